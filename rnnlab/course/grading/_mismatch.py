"""How a student's value differs from the expected one, as data: a kind and its numbers.

``compare`` returns a :class:`Mismatch` (or None when the values agree). Diagnoses look at
its ``kind`` and numbers, never at its words: the words are made from it in one place,
``_words``, and rewording them changes no diagnosis.
"""

import enum
from dataclasses import dataclass

import numpy as np


class Kind(enum.Enum):
    """What is wrong, from the outside in: the first that applies."""

    STRUCTURE = "not the container expected"  # a tuple, dict or list of the wrong make
    ITEMS = "other items"  # a list of other items than expected (tokens, ids)
    NOT_AN_ARRAY = "not a numpy array"  # None, a list, a torch tensor, a number ...
    NUMBER_KIND = "integers for floats"  # or floats for integers, or not numbers at all
    AXES_SWAPPED = "the axes the other way round"  # the shape reversed
    REARRANGED = "the same entries, another shape"  # as many entries, another shape
    SHAPE = "another shape"
    DTYPE = "floats of another precision"  # than the input's
    NOT_FINITE = "NaN or inf"  # where every expected value is finite
    VALUES = "other numbers"  # the same shape and dtype


@dataclass(frozen=True)
class Mismatch:
    """One mismatch: its kind, what it is about, and the numbers that show it."""

    kind: Kind
    what: str  # the value, as the messages name it: "h", "weights", "gradient of W_hh"
    expected: str = ""  # STRUCTURE: what was expected, in words ("the pair (hs, h_T)")
    got: str = ""  # what the student's value is, in words ("a list of 3 items")
    shape: tuple[int, ...] = ()  # the expected shape
    labels: str = ""  # the book's symbols of that shape: "B, H"
    dtype: str = ""  # the expected dtype
    got_shape: tuple[int, ...] = ()
    got_dtype: str = ""
    largest: float = 0.0  # VALUES: the largest difference,
    at: tuple[int, ...] = ()  # where it is,
    expected_value: float = 0.0  # and the two values there
    got_value: float = 0.0


def structure(what: str, got, expected: str) -> Mismatch:
    """The student's ``got`` is not the container expected (described in words)."""
    return Mismatch(Kind.STRUCTURE, what, expected=expected, got=describe(got))


def describe(value) -> str:
    """What ``value`` is, in a few words."""
    if value is None:
        return "None (is a `return` missing?)"
    if type(value).__module__.startswith("torch"):
        return f"a torch {type(value).__name__}: use numpy only"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, tuple | list):
        items = "item" if len(value) == 1 else "items"
        return f"a {type(value).__name__} of {len(value)} {items}"
    return f"a {type(value).__name__}"


def tolerance(dtype) -> float:
    return 1e-4 if np.dtype(dtype) == np.float32 else 1e-7


def plain(got):
    """``got`` as a plain ndarray when it is an array of any class, else as it is: a
    subclass can redefine ``==``, ``allclose`` or ``shape`` to agree with anything, and
    the comparison must see the numbers only."""
    return np.ndarray.view(got, np.ndarray) if isinstance(got, np.ndarray) else got


def close(got, expected, equal_nan: bool = False) -> bool:
    """Same shape and the same numbers (to the tolerance of ``expected``'s dtype); with
    ``equal_nan``, NaN in the same places counts as the same."""
    got = plain(got)
    if not isinstance(got, np.ndarray) or got.shape != np.shape(expected):
        return False
    expected = np.asarray(expected)
    if expected.dtype.kind in "iub":
        return bool(np.array_equal(got, expected))
    tol = tolerance(expected.dtype)
    return bool(np.allclose(got, expected, rtol=tol, atol=tol, equal_nan=equal_nan))


def compare(got, expected, what: str, labels: str = "", exact_dtype=False) -> Mismatch | None:
    """None when ``got`` equals ``expected`` (floats: to the tolerance of ``expected``'s
    dtype, in that dtype or a more precise one, or in that dtype only with
    ``exact_dtype``); otherwise the first mismatch, from the outside in (see :class:`Kind`)."""
    if isinstance(expected, list):
        return _compare_lists(got, expected, what)
    expected, got = np.asarray(expected), plain(got)
    found = dict(what=what, shape=expected.shape, labels=labels, dtype=str(expected.dtype))
    if not isinstance(got, np.ndarray):
        return Mismatch(Kind.NOT_AN_ARRAY, got=describe(got), **found)
    found.update(got_shape=got.shape, got_dtype=str(got.dtype))
    kind = _form_kind(got, expected, exact_dtype)
    if kind is not None:
        return Mismatch(kind, **found)
    if close(got, expected):
        return None
    if expected.dtype.kind not in "iu" and not np.all(np.isfinite(got)):
        return Mismatch(Kind.NOT_FINITE, **found)
    difference = np.abs(got.astype(np.float64) - expected.astype(np.float64))
    at = np.unravel_index(np.argmax(difference), difference.shape)
    numbers = dict(largest=float(difference[at]), at=tuple(map(int, at)))
    numbers.update(expected_value=float(expected[at]), got_value=float(got[at]))
    return Mismatch(Kind.VALUES, **numbers, **found)


def _form_kind(got: np.ndarray, expected: np.ndarray, exact_dtype: bool) -> Kind | None:
    """What is wrong with the form of ``got`` (kind of number, shape, dtype), if anything."""
    integral = expected.dtype.kind in "iu"
    if (got.dtype.kind in "iu") != integral or got.dtype.kind not in "iuf":
        return Kind.NUMBER_KIND
    if got.shape != expected.shape:
        return _shape_kind(got.shape, expected.shape)
    less_precise = got.dtype.itemsize < expected.dtype.itemsize
    if not integral and got.dtype != expected.dtype and (exact_dtype or less_precise):
        return Kind.DTYPE
    return None


def _compare_lists(got, expected: list, what: str) -> Mismatch | None:
    kinds = {type(item) for item in expected} or {str}
    if not isinstance(got, list) or not all(type(item) in kinds for item in got):
        names = " or ".join(sorted(kind.__name__ for kind in kinds))
        return structure(what, got, f"a list of {names}")
    if got != expected:
        return Mismatch(Kind.ITEMS, what, expected=repr(expected), got=repr(got))
    return None


def _shape_kind(got: tuple[int, ...], expected: tuple[int, ...]) -> Kind:
    if got == expected[::-1] and len(got) > 1:
        return Kind.AXES_SWAPPED
    if np.prod(got) == np.prod(expected):
        return Kind.REARRANGED
    return Kind.SHAPE
