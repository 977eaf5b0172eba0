"""rnnlab.data.dates: the generated human-date -> ISO-date task."""

import datetime as dt
import re

import numpy as np
import pytest

from rnnlab.data import DateTask, date_pairs, format_date

MONTHS = "january february march april may june july august september october november december"
WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday"


def read_human_date(human: str) -> dt.date:
    """The date a human string names, read without rnnlab: day, month name (or its first
    three letters) and year, or DD.MM.YYYY; a weekday, if written, must be the right one."""
    dotted = re.fullmatch(r"(\d\d)\.(\d\d)\.(\d{4})", human)
    if dotted:
        day, month, year = map(int, dotted.groups())
        return dt.date(year, month, day)
    words = re.findall(r"[a-z]+", human.lower())
    months = [k + 1 for k, name in enumerate(MONTHS.split()) if name in words or name[:3] in words]
    (day,) = (int(n) for n in re.findall(r"\b(\d{1,2})(?:st|nd|rd|th)?\b", human))
    (year,) = (int(n) for n in re.findall(r"\b\d{4}\b", human))
    (month,) = months
    date = dt.date(year, month, day)
    weekdays = [k for k, name in enumerate(WEEKDAYS.split()) if name in words or name[:3] in words]
    assert weekdays in ([], [date.weekday()]), f"{human!r}: wrong weekday"
    return date


def test_one_date_in_every_format_by_hand():
    date = dt.date(2009, 6, 25)  # a Thursday
    expected = {
        "ordinal_of": "25th of June, 2009",
        "month_day_year": "June 25, 2009",
        "day_month_year": "25 June 2009",
        "short_month": "25 Jun 2009",
        "short_weekday": "Thu, 25 Jun 2009",
        "long_weekday": "Thursday, June 25, 2009",
        "lower_case": "june 25 2009",
        "dotted": "25.06.2009",
    }
    assert {style: format_date(date, style) for style in expected} == expected


@pytest.mark.parametrize(
    ("day", "ordinal"),
    [
        (1, "1st"),
        (2, "2nd"),
        (3, "3rd"),
        (4, "4th"),
        (11, "11th"),
        (12, "12th"),
        (13, "13th"),
        (21, "21st"),
        (22, "22nd"),
        (23, "23rd"),
        (30, "30th"),
        (31, "31st"),
    ],
)
def test_ordinal_suffixes(day, ordinal):
    assert format_date(dt.date(2020, 1, day), "ordinal_of") == f"{ordinal} of January, 2020"


def test_an_unknown_style_is_rejected():
    with pytest.raises(ValueError, match="style must be one of"):
        format_date(dt.date(2020, 1, 1), "roman")


def test_same_seed_same_pairs_other_seed_other_pairs():
    assert date_pairs(50, seed=3) == date_pairs(50, seed=3)
    assert date_pairs(50, seed=3) != date_pairs(50, seed=4)


def test_pairs_are_distinct_and_every_iso_names_the_human_date():
    pairs = date_pairs(2000, seed=0)
    assert len(pairs) == 2000
    assert len({human for human, _ in pairs}) == 2000
    for human, iso in pairs:
        date = dt.date.fromisoformat(iso)
        assert len(iso) == 10 and iso == f"{date.year:04d}-{date.month:02d}-{date.day:02d}"
        assert dt.date(1950, 1, 1) <= date <= dt.date(2049, 12, 31)
        assert read_human_date(human) == date, human


LAYOUTS = {  # how each of the eight formats looks, read off the strings themselves
    "ordinal_of": r"\d{1,2}(st|nd|rd|th) of [A-Z][a-z]+, \d{4}",
    "month_day_year": r"[A-Z][a-z]+ \d{1,2}, \d{4}",
    "day_month_year": r"\d{1,2} [A-Z][a-z]{3,} \d{4}",  # a full name, "May" aside
    "short_month": r"\d{1,2} [A-Z][a-z]{2} \d{4}",
    "short_weekday": r"[A-Z][a-z]{2}, \d{1,2} [A-Z][a-z]{2} \d{4}",
    "long_weekday": r"[A-Z][a-z]+day, [A-Z][a-z]+ \d{1,2}, \d{4}",
    "lower_case": r"[a-z]+ \d{1,2} \d{4}",
    "dotted": r"\d\d\.\d\d\.\d{4}",
}


def test_the_pairs_use_all_eight_formats_and_no_other():
    humans = [human for human, _ in date_pairs(500, seed=1)]
    seen = {name: [h for h in humans if re.fullmatch(p, h)] for name, p in LAYOUTS.items()}
    assert all(seen.values()), [name for name, found in seen.items() if not found]
    assert all(any(re.fullmatch(p, h) for p in LAYOUTS.values()) for h in humans)


@pytest.mark.parametrize("n", [0, 100_001])
def test_an_impossible_count_is_rejected(n):
    with pytest.raises(ValueError, match="n must be between 1 and 100000"):
        date_pairs(n)


@pytest.fixture(scope="module")
def task() -> DateTask:
    return DateTask.make(n_train=400, n_test=100, seed=0)


def test_train_and_test_share_no_human_string(task):
    assert len(task.train) == 400 and len(task.test) == 100
    assert not {h for h, _ in task.train} & {h for h, _ in task.test}


def test_the_same_seed_makes_the_same_task(task):
    again = DateTask.make(n_train=400, n_test=100, seed=0)
    assert again.train == task.train and again.test == task.test
    assert again.source.itos == task.source.itos


def test_target_vocabulary_holds_the_iso_characters_after_the_specials(task):
    assert task.target.itos[:2] == ["<pad>", "<unk>"]
    assert set("0123456789-") <= set(task.target.itos)
    assert len(task.target) == 2 + 1 + 11  # pad, unk, <bos>, ten digits and "-"


def test_encode_then_decode_target_gives_the_iso_dates_back(task):
    isos = [iso for _, iso in task.test[:20]]
    ids = task.encode_target(isos)
    assert ids.shape == (10, 20)  # (T, B), time-major
    assert task.decode_target(ids) == isos
    assert ids[4, 0] == task.target.stoi["-"]  # YYYY-MM-DD: the first dash is at index 4


def test_encode_target_rejects_a_date_of_the_wrong_length(task):
    with pytest.raises(ValueError, match="10 characters"):
        task.encode_target(["2009-6-25"])


def test_encode_source_pads_character_ids_time_major(task):
    humans = [human for human, _ in task.train[:5]]
    ids, lengths = task.encode_source(humans)
    assert ids.shape == (max(map(len, humans)), 5)
    np.testing.assert_array_equal(lengths, [len(h) for h in humans])
    for b, human in enumerate(humans):
        assert "".join(task.source.decode(ids[:, b])) == human
