"""The one loop of every check: call the student's function, compare each part of its
result with the reference, diagnose a mismatch by its kind, report.

A check supplies, per case, the arguments and a function from the student's result to
the :class:`Part` s to compare, in order (a generator: a part is built only when the
parts before it agree, so a diagnosis may rely on them). A part's ``diagnoses`` map a
mismatch's kind to what explains it; the first part that differs fails the check.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from rnnlab.course.grading import _core
from rnnlab.course.grading._mismatch import Kind, Mismatch, compare

Diagnoses = Mapping[Kind, Callable[[Mismatch], str | None]]


@dataclass(frozen=True)
class Part:
    """One value of the student's result, the value expected, and how to explain a
    difference."""

    what: str  # as the message names it: "h", "weights", "gradient of W_hh"
    got: object
    expected: object
    labels: str = ""  # the book's symbols of its shape: "B, H"
    diagnoses: Diagnoses = field(default_factory=dict)
    note: str = ""  # said after the mismatch: "(hs is right: ...)"
    exact_dtype: bool = False  # floats in the expected dtype only (not a more precise one)


def for_every_kind(diagnose: Callable[[Mismatch], str | None]) -> Diagnoses:
    """The same diagnosis for a mismatch of any kind."""
    return dict.fromkeys(Kind, diagnose)


def always(diagnosis: str) -> Diagnoses:
    """The same words for a mismatch of any kind."""
    return for_every_kind(lambda m: diagnosis)


def first_difference(parts: Iterable[Part | Mismatch]) -> tuple[Part, Mismatch] | None:
    """The first part that differs and how (a :class:`Mismatch` among the parts is one
    found already, such as a result that is not the tuple expected); None if all agree."""
    for part in parts:
        if isinstance(part, Mismatch):
            return Part(part.what, None, None), part
        mismatch = compare(part.got, part.expected, part.what, part.labels, part.exact_dtype)
        if mismatch:
            return part, mismatch
    return None


def verdict(name: str, case: str, parts: Iterable[Part | Mismatch]) -> None:
    """Fail on the first part that differs, with the diagnosis its kind calls for."""
    __tracebackhide__ = True
    found = first_difference(parts)
    if found:
        part, mismatch = found
        diagnose = part.diagnoses.get(mismatch.kind)
        _core.fail(name, mismatch, case, diagnose(mismatch) if diagnose else None, part.note)


def run(fn, name: str, args: tuple, case: str, parts: Callable, **options) -> None:
    """One case of a check: ``fn(*args)`` (see ``_core.call`` for ``options``), then
    :func:`verdict` on ``parts(result)``."""
    __tracebackhide__ = True
    result = _core.call(fn, name, *args, case=case, **options)
    verdict(name, case, parts(result))
