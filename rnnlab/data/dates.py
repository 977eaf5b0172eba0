"""A generated translation task: human-written dates -> ISO dates.

    "25th of June, 2009" -> "2009-06-25"        "Thu, 25 Jun 2009" -> "2009-06-25"

Dates are drawn uniformly from 1950-01-01 to 2049-12-31 with a seeded generator and
written in one of several formats, so the data set needs no download and every run with
the same seed gives the same pairs. Inputs and outputs are read character by character.
"""

import datetime as dt
from dataclasses import dataclass

import numpy as np

from rnnlab.data.text import Vocabulary, pad

FIRST, LAST = dt.date(1950, 1, 1), dt.date(2049, 12, 31)
BOS = "<bos>"
ISO_LENGTH = 10  # "YYYY-MM-DD"


# Spelled out here rather than with strftime's %B and %A, which follow the locale.
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _month(d: dt.date) -> str:
    return MONTHS[d.month - 1]


def _weekday(d: dt.date) -> str:
    return WEEKDAYS[d.weekday()]


def _ordinal(day: int) -> str:
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


FORMATS = {
    "ordinal_of": lambda d: f"{_ordinal(d.day)} of {_month(d)}, {d.year}",
    "month_day_year": lambda d: f"{_month(d)} {d.day}, {d.year}",
    "day_month_year": lambda d: f"{d.day} {_month(d)} {d.year}",
    "short_month": lambda d: f"{d.day} {_month(d)[:3]} {d.year}",
    "short_weekday": lambda d: f"{_weekday(d)[:3]}, {d.day} {_month(d)[:3]} {d.year}",
    "long_weekday": lambda d: f"{_weekday(d)}, {_month(d)} {d.day}, {d.year}",
    "lower_case": lambda d: f"{_month(d)} {d.day} {d.year}".lower(),
    "dotted": lambda d: f"{d.day:02d}.{d.month:02d}.{d.year}",
}


def format_date(date: dt.date, style: str) -> str:
    """``date`` written in ``style``, one of ``FORMATS``."""
    if style not in FORMATS:
        raise ValueError(f"style must be one of {list(FORMATS)}, got {style!r}")
    return FORMATS[style](date)


def date_pairs(n: int, seed: int = 0) -> list[tuple[str, str]]:
    """``n`` distinct (human, ISO) pairs drawn with ``seed``."""
    if n < 1 or n > 100_000:
        raise ValueError(f"n must be between 1 and 100000, got {n}")
    rng = np.random.default_rng(seed)
    span = (LAST - FIRST).days + 1
    styles = list(FORMATS)
    pairs: dict[str, str] = {}
    while len(pairs) < n:
        date = FIRST + dt.timedelta(days=int(rng.integers(span)))
        human = format_date(date, styles[int(rng.integers(len(styles)))])
        pairs.setdefault(human, date.isoformat())
    return list(pairs.items())


@dataclass
class DateTask:
    """Train and held-out pairs (no human string in both) with their character vocabularies."""

    train: list[tuple[str, str]]
    test: list[tuple[str, str]]
    source: Vocabulary
    target: Vocabulary

    @classmethod
    def make(cls, n_train: int = 8000, n_test: int = 1000, seed: int = 0) -> "DateTask":
        pairs = date_pairs(n_train + n_test, seed)
        train, test = pairs[:n_train], pairs[n_train:]
        source = Vocabulary.build(list(human) for human, _ in train)
        target = Vocabulary(list("0123456789-"), specials=[BOS])
        return cls(train, test, source, target)

    def encode_source(self, humans: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Padded character ids ``(S, B)`` and lengths ``(B,)`` of human dates."""
        return pad([self.source.encode(list(h)) for h in humans])

    def encode_target(self, isos: list[str]) -> np.ndarray:
        """Character ids ``(10, B)`` of ISO dates."""
        for iso in isos:
            if len(iso) != ISO_LENGTH:
                raise ValueError(f"an ISO date has {ISO_LENGTH} characters, got {iso!r}")
        return pad([self.target.encode(list(iso)) for iso in isos])[0]

    def decode_target(self, ids: np.ndarray) -> list[str]:
        """ISO strings from character ids ``(10, B)``."""
        return ["".join(self.target.decode(column)) for column in np.asarray(ids).T]
