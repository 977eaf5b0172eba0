"""What every check shares: test cases, running the student's function, reporting.

A check runs the student's function on several cases (shapes and seeds; T = 1, B = 1,
D ≠ H and a float32 case among them), compares with the rnnlab reference
(``_mismatch``), and on the first difference raises ``AssertionError`` with a message that
says what is wrong (``_words``) and why (each module's diagnosis, chosen by the kind of
the mismatch), followed by the case that showed it; ``_runner`` is that loop. The checks
set ``__tracebackhide__`` so that IPython shows the student that message, not our frames.
"""

import contextlib
import copy
import inspect
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass

import numpy as np

from rnnlab.course.grading import _guard
from rnnlab.course.grading._mismatch import Mismatch, close
from rnnlab.course.grading._words import sentence


class NotImplementedYetError(AssertionError):
    """The student's function still raises ``NotImplementedError``."""


@dataclass(frozen=True)
class Case:
    """One test case: sizes, the seed of its random numbers and the dtype of its arrays."""

    B: int
    D: int
    H: int
    seed: int
    T: int = 1
    dtype: str = "float64"

    def rng(self) -> np.random.Generator:
        return np.random.default_rng(self.seed)

    def normal(self, rng: np.random.Generator, *shape: int) -> np.ndarray:
        """Standard-normal numbers of ``shape``, in this case's dtype."""
        return rng.normal(size=shape).astype(self.dtype)

    def label(self, sequence: bool = True) -> str:
        sizes = f"T={self.T}, " if sequence else ""
        sizes += f"B={self.B}, D={self.D}, H={self.H}, seed={self.seed}"
        return sizes + (f", {self.dtype}" if self.dtype != "float64" else "")


# Visible and hidden checks share the code and differ in their cases.
VISIBLE = (
    Case(T=1, B=1, D=3, H=2, seed=1),
    Case(T=4, B=2, D=3, H=5, seed=2),
    Case(T=3, B=3, D=4, H=4, seed=3),
    Case(T=2, B=2, D=2, H=3, seed=4, dtype="float32"),
)
HIDDEN = (
    Case(T=1, B=2, D=5, H=3, seed=101),
    Case(T=6, B=3, D=2, H=4, seed=102),
    Case(T=2, B=1, D=3, H=3, seed=103),
    Case(T=5, B=4, D=6, H=2, seed=104),
    Case(T=3, B=2, D=3, H=4, seed=105, dtype="float32"),
)


# Where hidden cases come from while a notebook is graded: a seed nobody can predict
# (``rnnlab grade`` derives it from the course secret); None: the fixed HIDDEN cases.
_drawn_seed: ContextVar[int | None] = ContextVar("drawn_seed", default=None)


@contextlib.contextmanager
def drawn_cases(seed: int) -> Iterator[None]:
    """While active, every hidden check draws its cases from ``seed``."""
    token = _drawn_seed.set(seed)
    try:
        yield
    finally:
        _drawn_seed.reset(token)


def drawn_rng(tag: str) -> np.random.Generator | None:
    """The generator a hidden check named ``tag`` draws its cases from, or None outside
    :func:`drawn_cases` (then the fixed hidden cases are used)."""
    seed = _drawn_seed.get()
    return None if seed is None else np.random.default_rng([seed, zlib.crc32(tag.encode())])


def _draw(rng: np.random.Generator, count: int = 5) -> tuple[Case, ...]:
    """``count`` cases of random sizes: the first has T = B = 1, the last is float32,
    and D ≠ H in the second, so the corners the visible cases cover are covered too."""
    drawn = []
    for k in range(count):
        T, B, D, H = (int(n) for n in rng.integers(1, 7, size=4))
        if k == 0:
            T, B = 1, 1
        if k == 1 and D == H:
            D = H + 1
        dtype = "float32" if k == count - 1 else "float64"
        drawn.append(Case(B=B, D=D, H=H, seed=int(rng.integers(10**6)), T=T, dtype=dtype))
    return tuple(drawn)


def cases(hidden: bool) -> tuple[Case, ...]:
    """The visible cases, or the hidden ones (drawn from the grading seed when set)."""
    if not hidden:
        return VISIBLE
    rng = drawn_rng("recurrent")
    return HIDDEN if rng is None else _draw(rng)


def name_of(fn) -> str:
    return getattr(fn, "__name__", None) or type(fn).__name__


def _shape_error_hint(error: Exception, layout: str) -> str:
    text = str(error)
    if isinstance(error, ValueError) and ("matmul" in text or "broadcast" in text):
        return f"\n  → two arrays of mismatched shapes met. {layout}"
    return ""


def call(
    fn: Callable,
    name: str,
    *args,
    layout: str = "",
    case: str = "",
    errors: dict[type, str] | None = None,
    **kwargs,
):
    """``fn(*args, **kwargs)`` on copies of the arguments, with the reference switched off.

    Turns what can go wrong into an ``AssertionError`` that says so: not implemented yet,
    the rnnlab reference called, an exception raised, an argument changed in place.
    ``layout`` is a hint added when the error looks like mismatched shapes, ``errors``
    one per exception type; ``case`` names the case in the message.
    """
    __tracebackhide__ = True
    where = f"\n  (case: {case})" if case else ""
    given = copy.deepcopy((args, kwargs))
    # A function graded in its sandbox (a proxy) runs where the reference is absent.
    guard = contextlib.nullcontext([]) if getattr(fn, "remote", False) else _guard.reference_off()
    try:
        with guard as used:
            result = fn(*given[0], **given[1])
            used = list(used)
    except NotImplementedError:
        raise NotImplementedYetError(
            f"{name} is not implemented yet: replace `raise NotImplementedError()` with your code."
        ) from None
    except _guard.ReferenceUsedError as error:
        used = [error.name]
    except Exception as error:
        hint = next((f"\n  → {h}" for t, h in (errors or {}).items() if isinstance(error, t)), "")
        raise AssertionError(
            f"{name} raised {type(error).__name__}: {error}"
            f"{hint or _shape_error_hint(error, layout)}{where}"
        ) from error
    if used:
        raise AssertionError(
            f"{name} calls the rnnlab reference ({used[0]}), which a graded function may "
            "not use: write it yourself with numpy."
        )
    for label, before, after in _arguments(fn, (args, kwargs), given):
        changed = _changed_in_place(after, before, label)
        if changed:
            raise AssertionError(
                f"{name} changed its argument {changed} in place: compute new arrays "
                f"instead.{where}"
            )
    return result


def _arguments(fn, before: tuple, after: tuple):
    """(name, value before, value after) for every argument, named as ``fn`` names them."""
    try:
        names = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        names = []
    for k, (value, copied) in enumerate(zip(before[0], after[0], strict=True)):
        yield (names[k] if k < len(names) else f"number {k + 1}"), value, copied
    for key, value in before[1].items():
        yield key, value, after[1][key]


def _changed_in_place(after, before, path: str) -> str | None:
    """The path of the first array in ``after`` that differs from ``before``, if any."""
    if isinstance(before, np.ndarray):
        same = isinstance(after, np.ndarray) and after.shape == before.shape
        return None if same and np.array_equal(after, before, equal_nan=True) else path
    if isinstance(before, dict) and isinstance(after, dict):
        pairs = [(after[k], v, f"{path}[{k!r}]") for k, v in before.items() if k in after]
    elif isinstance(before, tuple | list) and isinstance(after, tuple | list):
        pairs = [(after[k], b, f"{path}[{k}]") for k, b in enumerate(before) if k < len(after)]
    else:
        return None
    for pair in pairs:
        found = _changed_in_place(*pair)
        if found:
            return found
    return None


def fail(
    name: str, problem: Mismatch | str, case: str = "", diagnosis: str | None = None, note=""
):
    """Raise the ``AssertionError`` a student reads: the problem (a mismatch, put in words
    by ``_words``), the diagnosis, the case."""
    __tracebackhide__ = True
    text = sentence(problem) if isinstance(problem, Mismatch) else problem
    lines = [f"{name}: {text}{' ' + note if note else ''}."]
    if diagnosis:
        lines.append(f"  → {diagnosis}")
    if case:
        lines.append(f"  (case: {case})")
    raise AssertionError("\n".join(lines))


def passed(name: str, count: int, hidden: bool, what: str = "cases") -> None:
    """Tell the student their function passed (visible checks only: hidden ones are quiet)."""
    if not hidden:
        print(f"✓ {name}: right on all {count} {what}.")


def first_match(
    got, candidates: Iterable[tuple[str, Callable[[], object]]], equal_nan: bool = False
) -> str | None:
    """The description of the first candidate whose value equals ``got`` (with
    ``equal_nan``, NaN where the candidate has NaN counts as equal).

    Each candidate is computed lazily; one that raises is skipped (a deliberately wrong
    variant may not exist for every shape).
    """
    candidates = list(candidates)
    found = matching(got, candidates, equal_nan)
    return None if found is None else candidates[found[0]][0]


def matching(
    got, candidates: Iterable[tuple[str, Callable[[], object]]], equal_nan: bool = False
) -> tuple[int, object] | None:
    """(index, value) of the first candidate whose value equals ``got``, as
    :func:`first_match` finds it; None if none does."""
    for k, (_, compute) in enumerate(candidates):
        try:
            with np.errstate(all="ignore"):
                value = compute()
        except (ValueError, IndexError):
            continue
        if same(got, value, equal_nan):
            return k, value
    return None


def same(got, value, equal_nan: bool = False) -> bool:
    """Whether the student's ``got`` is ``value``: a list equal to it, a tuple of arrays
    each close to value's, or an array close to it."""
    if isinstance(value, list):
        return got == value
    if isinstance(value, tuple):
        return (
            isinstance(got, tuple)
            and len(got) == len(value)
            and all(close(g, v, equal_nan) for g, v in zip(got, value, strict=True))
        )
    return close(got, value, equal_nan)


def only(params: dict, key: str, rows: slice | None = None) -> dict:
    """A copy of ``params`` with every entry zero except ``params[key]`` (or its ``rows``)."""
    isolated = {k: np.zeros_like(v) for k, v in params.items()}
    if rows is None:
        isolated[key] = params[key].copy()
    else:
        isolated[key][rows] = params[key][rows]
    return isolated
