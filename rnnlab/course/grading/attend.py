"""Checks of the attention exercise's masked softmax and attend (ex05).

    α = softmax(e) over the S positions, masked positions 0;  context = Σ_s α_s v_s

``attend`` is given the student's own score and softmax, so that a mistake in them is
charged by their own tests and not again by attend's.
"""

from collections.abc import Callable

import numpy as np

from rnnlab import attention
from rnnlab.course.grading import _core, _runner
from rnnlab.course.grading._attention_cases import LAYOUT, cases
from rnnlab.course.grading._mismatch import Kind, structure
from rnnlab.course.grading._runner import Part
from rnnlab.course.grading.attention import scaled_score_mistakes

OVERFLOW = (
    "exp overflows for large scores: subtract each row's maximum before exp "
    "(the softmax does not change)"
)


def check_masked_softmax(fn, hidden: bool = False) -> None:
    """Check ``fn(scores (B, S), mask=None) -> weights (B, S)``: a softmax over S where
    positions with mask False get weight 0; also with large scores, with very negative
    ones (below -1e9) and with no mask."""
    __tracebackhide__ = True
    name = _core.name_of(fn)
    checked = 0
    for case in cases(hidden):
        a = case.arrays()
        big = a["scores"].dtype.type
        variants = (
            ("with a mask", a["scores"], a["mask"]),
            ("with mask=None", a["scores"], None),
            ("with large scores (around 1000)", a["scores"] + big(1000), a["mask"]),
            ("with very negative scores (around -2e9)", a["scores"] - big(2e9), a["mask"]),
        )
        for text, scores, mask in variants:
            checked += 1
            parts = _softmax_parts(scores, mask)
            _runner.run(fn, name, (scores, mask), f"{case.label()}, {text}", parts)
    _core.passed(name, checked, hidden)


def _softmax_parts(scores: np.ndarray, mask):
    """What to compare of the student's weights, and how to explain a difference."""

    def parts(got):
        mistakes = _softmax_mistakes(scores, mask)
        why = {
            Kind.NOT_FINITE: lambda m: (
                _core.first_match(got, mistakes, equal_nan=True)
                or (OVERFLOW if np.max(scores) > 80 else None)
            ),
            Kind.VALUES: lambda m: _core.first_match(got, mistakes),
        }
        return [Part("weights", got, attention.softmax(scores, mask), "B, S", why)]

    return parts


def _softmax_mistakes(scores: np.ndarray, mask) -> list[tuple[str, Callable]]:
    """The usual mistakes of a masked softmax, each as the weights it gives."""
    kept = scores if mask is None else np.where(mask, scores, -np.inf)
    found = [
        (
            "you normalize over the batch (axis 0): normalize each row over its S positions "
            "(axis 1, or -1)",
            lambda: _softmax(kept, axis=0),
        ),
        (
            "you subtract each column's maximum (axis 0): subtract each row's maximum "
            "(axis 1, keepdims=True), over the positions the row keeps",
            lambda: _softmax(kept, axis=1, max_axis=0),
        ),
        (OVERFLOW, lambda: _softmax(kept, axis=1, max_axis=None)),
    ]
    if mask is None:
        return found
    return found + _mask_mistakes(scores, mask)


def _softmax(e: np.ndarray, axis: int, max_axis: int | None = 1) -> np.ndarray:
    """A softmax over ``axis`` after subtracting the maximum over ``max_axis`` (None:
    nothing subtracted), as a student may write it."""
    if max_axis is not None:
        e = e - e.max(axis=max_axis, keepdims=True)
    w = np.exp(e)
    return w / w.sum(axis=axis, keepdims=True)


def _mask_mistakes(scores: np.ndarray, mask: np.ndarray) -> list[tuple[str, Callable]]:
    return [
        (
            "you ignore the mask: positions where mask is False get weight 0",
            lambda: attention.softmax(scores),
        ),
        (
            "your mask is the other way round: True means keep",
            lambda: attention.softmax(scores, ~mask),
        ),
        (
            "you set the masked scores to a large negative number (-1e9), which scores "
            "below it outweigh: set them to -inf, which no score is below",
            lambda: attention.softmax(np.where(mask, scores, scores.dtype.type(-1e9))),
        ),
        (
            "you set the masked scores to 0, which still gives them weight e^0: set them "
            "to -inf before the softmax",
            lambda: attention.softmax(np.where(mask, scores, 0)),
        ),
        (
            "you zero the masked weights after the softmax without renormalizing: each row "
            "must sum to 1 over the positions it keeps",
            lambda: attention.softmax(scores) * mask,
        ),
    ]


def check_attend(fn, hidden: bool = False, score=None, softmax=None) -> None:
    """Check ``fn(query (B, D), keys (B, S, D), values (B, S, Dv), mask=None)
    -> (context (B, Dv), weights (B, S))`` with scaled dot-product scores.

    Given the student's own ``score`` and ``softmax``, an attend built on them passes
    where they make a known mistake (which the grader computes itself, from the mistake's
    name): their own tests charge that mistake, this one does not charge it again.
    """
    __tracebackhide__ = True
    name = _core.name_of(fn)
    checked = 0
    for case in cases(hidden):
        a = case.arrays()
        for mask in (a["mask"], None):
            checked += 1
            label = case.label() + (", mask=None" if mask is None else "")
            arrays = (a["query"], a["keys"], a["values"], mask)
            _check_attend_once(fn, name, arrays, label, (score, softmax))
    _core.passed(name, checked, hidden)


def _check_attend_once(fn, name: str, arrays: tuple, label: str, own: tuple) -> None:
    __tracebackhide__ = True
    result = _core.call(fn, name, *arrays, layout=LAYOUT, case=label)
    parts = list(_attend_parts(result, *arrays))
    if _runner.first_difference(parts) and _own_attend(own, arrays, result):
        return
    _runner.verdict(name, label, parts)


def _attend_parts(result, q, k, v, mask):
    if not isinstance(result, tuple | list) or len(result) != 2:
        yield structure("result", result, "the pair (context, weights)")
        return
    context, weights = attention.attend(q, k, v, "scaled_dot", mask=mask)
    mistakes = [
        (
            "you score with the plain dot product: attend uses the scaled score q · k_s / √D",
            lambda: attention.attend(q, k, v, "dot", mask=mask)[1],
        ),
        (
            "you ignore the mask: positions where mask is False get weight 0",
            lambda: attention.attend(q, k, v, "scaled_dot")[1],
        ),
    ]
    why = {Kind.VALUES: lambda m: _core.first_match(result[1], mistakes)}
    yield Part("weights", result[1], weights, "B, S", why)
    why = _runner.for_every_kind(lambda m: _context_mistake(result[0], weights, k))
    yield Part("context", result[0], context, "B, Dv", why, "(your weights are right)")


def _own_attend(own: tuple, arrays: tuple, result) -> bool:
    """Whether ``result`` is attend built on a known mistake of the student's own score
    or softmax (``own``, either None if not given), computed here."""
    (score, softmax), (q, k, v, mask) = own, arrays
    if score is softmax is None or not isinstance(result, tuple | list) or len(result) != 2:
        return False
    right = attention.score(q, k, "scaled_dot")
    scored = _known(score, (q, k), [("", lambda: right), *scaled_score_mistakes(q, k)])
    if scored is None:
        return False
    e = scored[1]
    softmaxes = [("", lambda: attention.softmax(e, mask)), *_softmax_mistakes(e, mask)]
    weighted = _known(softmax, (e, mask), softmaxes)
    if weighted is None or (scored[0] and weighted[0]):
        return False  # the student's own functions are right: attend itself is wrong
    with np.errstate(all="ignore"):
        context = np.einsum("bs,bsd->bd", weighted[1], v)
    return _core.same(tuple(result), (context, weighted[1]), equal_nan=True)


def _known(fn, args: tuple, candidates: list) -> tuple[bool, np.ndarray] | None:
    """(whether it is the first, the right one; its value) of the first of ``candidates``
    that the student's ``fn`` gives on ``args``; the right one when ``fn`` is None; None
    when ``fn`` gives none of them."""
    if fn is None:
        return True, candidates[0][1]()
    try:
        got = _core.call(fn, _core.name_of(fn), *args)
    except AssertionError:
        return None
    found = _core.matching(got, candidates, equal_nan=True)
    return None if found is None else (found[0] == 0, found[1])


def _context_mistake(got: np.ndarray, weights: np.ndarray, keys: np.ndarray) -> str:
    diagnosis = "the context is Σ_s α_s v_s: the weighted average of the values"
    if _core.close(got, np.einsum("bs,bsd->bd", weights, keys)):
        return "your context averages the keys: " + diagnosis
    return diagnosis
