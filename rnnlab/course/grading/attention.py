"""Checks of the attention exercise (ex05): four scores, the masked softmax, attend.

    dot         e_s = q · k_s                      general   e_s = q W k_s
    scaled_dot  e_s = q · k_s / √Dk                additive  e_s = v · tanh(W_q q + W_k k_s)
    α = softmax(e) over the S positions, masked positions 0;  context = Σ_s α_s v_s

Shapes: query (B, Dq), keys (B, S, Dk), values (B, S, Dv), scores and weights (B, S).
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rnnlab import attention
from rnnlab.course.grading import _core, _runner
from rnnlab.course.grading._mismatch import Kind, structure
from rnnlab.course.grading._runner import Part


@dataclass(frozen=True)
class Case:
    """Sizes and seed of one attention case (A is the additive score's hidden size)."""

    B: int
    S: int
    Dq: int
    Dk: int
    Dv: int
    A: int
    seed: int
    dtype: str = "float64"

    def label(self) -> str:
        sizes = f"B={self.B}, S={self.S}, Dq={self.Dq}, Dk={self.Dk}, Dv={self.Dv}"
        return f"{sizes}, seed={self.seed}" + (
            f", {self.dtype}" if self.dtype != "float64" else ""
        )

    def arrays(self) -> dict[str, np.ndarray]:
        """query, keys, values, the parameters of every score, and a padding mask."""
        rng = np.random.default_rng(self.seed)
        shapes = {
            "query": (self.B, self.Dq),
            "keys": (self.B, self.S, self.Dk),
            "values": (self.B, self.S, self.Dv),
            "W": (self.Dq, self.Dk),
            "W_q": (self.A, self.Dq),
            "W_k": (self.A, self.Dk),
            "v": (self.A,),
            "scores": (self.B, self.S),
        }
        found = {k: rng.normal(size=s).astype(self.dtype) for k, s in shapes.items()}
        lengths = rng.integers(1, self.S + 1, size=self.B)  # every row keeps ≥ 1 position
        found["mask"] = np.arange(self.S)[None, :] < lengths[:, None]  # (B, S)
        return found


VISIBLE = (
    Case(B=1, S=1, Dq=3, Dk=3, Dv=2, A=2, seed=1),
    Case(B=2, S=5, Dq=4, Dk=4, Dv=3, A=3, seed=2),
    Case(B=3, S=4, Dq=2, Dk=2, Dv=2, A=5, seed=3),
    Case(B=2, S=3, Dq=3, Dk=3, Dv=4, A=2, seed=4, dtype="float32"),
)
HIDDEN = (
    Case(B=1, S=6, Dq=5, Dk=5, Dv=2, A=3, seed=101),
    Case(B=4, S=2, Dq=3, Dk=3, Dv=3, A=4, seed=102),
    Case(B=2, S=7, Dq=2, Dk=2, Dv=5, A=2, seed=103),
    Case(B=3, S=3, Dq=4, Dk=4, Dv=1, A=3, seed=104, dtype="float32"),
)
# The general and additive scores also take Dq ≠ Dk.
UNEQUAL = (
    Case(B=2, S=4, Dq=3, Dk=5, Dv=2, A=4, seed=5),
    Case(B=1, S=3, Dq=6, Dk=2, Dv=3, A=2, seed=105),
)
LAYOUT = (
    "query is (B, Dq) and keys (B, S, Dk): one score per batch row and position, so "
    "scores are (B, S); np.einsum('bd,bsd->bs', query, keys) is one way to pair them up."
)
OVERFLOW = (
    "exp overflows for large scores: subtract each row's maximum before exp "
    "(the softmax does not change)"
)
SCORE_HINT = "{name} returns the raw scores e (B, S); the softmax comes later"


def _draw(rng: np.random.Generator, unequal: bool) -> tuple[Case, ...]:
    """Hidden cases of random sizes (the first with B = S = 1, the last float32); with
    ``unequal``, Dq ≠ Dk in every case."""
    drawn = []
    for k in range(4):
        B, S, Dq, Dv, A = (int(n) for n in rng.integers(1, 7, size=5))
        B, S = (1, 1) if k == 0 else (B, S)
        Dk = Dq + int(rng.integers(1, 4)) if unequal else Dq
        dtype = "float32" if k == 3 else "float64"
        drawn.append(Case(B, S, Dq, Dk, Dv, A, seed=int(rng.integers(10**6)), dtype=dtype))
    return tuple(drawn)


def _cases(hidden: bool, unequal: bool = False) -> tuple[Case, ...]:
    """The visible cases, or the hidden ones (drawn when a notebook is graded)."""
    rng = _core.drawn_rng("attention") if hidden else None
    if rng is not None:
        return _draw(rng, unequal=False) + (_draw(rng, unequal=True) if unequal else ())
    chosen = HIDDEN if hidden else VISIBLE
    return chosen + (UNEQUAL[1:] if hidden else UNEQUAL[:1]) if unequal else chosen


def _check(
    fn,
    hidden: bool,
    arguments: Callable[[dict], tuple],
    reference: Callable[[dict], np.ndarray],
    wrong: Callable[[dict], list[tuple[str, Callable]]],
    unequal: bool = False,
    what: str = "scores",
) -> None:
    """The shared loop: call, compare with the reference, match the wrong variants."""
    __tracebackhide__ = True
    name = _core.name_of(fn)
    checked = _cases(hidden, unequal)
    for case in checked:
        a = case.arrays()

        def parts(got, a=a):
            why = {Kind.VALUES: lambda m: _core.first_match(got, wrong(a))}
            return [Part(what, got, reference(a), "B, S", why)]

        _runner.run(fn, name, arguments(a), case.label(), parts, layout=LAYOUT)
    _core.passed(name, len(checked), hidden)


def _softmaxed(scores: Callable[[], np.ndarray], name: str) -> tuple[str, Callable]:
    return (
        f"you return the weights (a softmax of the scores): {SCORE_HINT.format(name=name)}",
        lambda: attention.softmax(scores()),
    )


def check_dot_score(fn, hidden: bool = False) -> None:
    """Check ``fn(query (B, D), keys (B, S, D)) -> scores (B, S)``: e_s = q · k_s."""
    __tracebackhide__ = True

    def dot(a):
        return attention.score(a["query"], a["keys"], "dot")

    def wrong(a):
        return [
            _softmaxed(lambda: dot(a), "dot_score"),
            (
                "you divide by √D: that is the scaled score",
                lambda: dot(a) / np.sqrt(a["keys"].shape[2]),
            ),
        ]

    _check(fn, hidden, lambda a: (a["query"], a["keys"]), dot, wrong)


def check_scaled_dot_score(fn, hidden: bool = False) -> None:
    """Check ``fn(query (B, D), keys (B, S, D)) -> scores (B, S)``: e_s = q · k_s / √D."""
    __tracebackhide__ = True

    def scaled(a):
        return attention.score(a["query"], a["keys"], "scaled_dot")

    def wrong(a):
        mistakes = _scaled_score_mistakes(a["query"], a["keys"])
        return [*mistakes, _softmaxed(lambda: scaled(a), "scaled_dot_score")]

    _check(fn, hidden, lambda a: (a["query"], a["keys"]), scaled, wrong)


def _scaled_score_mistakes(query, keys) -> list[tuple[str, Callable]]:
    """The usual mistakes of the scaled score, each as the scores it gives."""
    dot = attention.score(query, keys, "dot")
    S, D = keys.shape[1:]
    return [
        ("you do not divide by √D: the scaled score is q · k_s / √D", lambda: dot),
        ("you divide by D instead of √D", lambda: dot / D),
        ("you divide by √S (the number of positions) instead of √D", lambda: dot / np.sqrt(S)),
    ]


def check_general_score(fn, hidden: bool = False) -> None:
    """Check ``fn(query (B, Dq), keys (B, S, Dk), W (Dq, Dk)) -> scores (B, S)``:
    e_s = q W k_s."""
    __tracebackhide__ = True

    def general(a, W=None):
        W = a["W"] if W is None else W
        return attention.score(a["query"], a["keys"], "general", {"W": W})

    def wrong(a):
        return [
            (
                "you use Wᵀ: the score is q W k_s, with W (Dq, Dk) between q and k_s",
                lambda: general(a, a["W"].T),
            ),
            (
                "you leave W out: the general score is q W k_s",
                lambda: attention.score(a["query"], a["keys"]),
            ),
            _softmaxed(lambda: general(a), "general_score"),
        ]

    _check(fn, hidden, lambda a: (a["query"], a["keys"], a["W"]), general, wrong, unequal=True)


def check_additive_score(fn, hidden: bool = False) -> None:
    """Check ``fn(query (B, Dq), keys (B, S, Dk), W_q (A, Dq), W_k (A, Dk), v (A,))
    -> scores (B, S)``: e_s = v · tanh(W_q q + W_k k_s)."""
    __tracebackhide__ = True

    def additive(a, W_q=None, W_k=None):
        params = {"W_q": a["W_q"] if W_q is None else W_q, "W_k": a["W_k"] if W_k is None else W_k}
        return attention.score(a["query"], a["keys"], "additive", {**params, "v": a["v"]})

    def wrong(a):
        inside = (a["query"] @ a["W_q"].T)[:, None, :] + a["keys"] @ a["W_k"].T  # (B, S, A)
        return [
            ("you left out the tanh: e_s = v · tanh(W_q q + W_k k_s)", lambda: inside @ a["v"]),
            (
                "you apply W_q to the keys and W_k to the query",
                lambda: additive(a, a["W_k"], a["W_q"]),
            ),
            _softmaxed(lambda: additive(a), "additive_score"),
        ]

    _check(
        fn,
        hidden,
        lambda a: (a["query"], a["keys"], a["W_q"], a["W_k"], a["v"]),
        additive,
        wrong,
        unequal=True,
    )


def check_masked_softmax(fn, hidden: bool = False) -> None:
    """Check ``fn(scores (B, S), mask=None) -> weights (B, S)``: a softmax over S where
    positions with mask False get weight 0; also with large scores, with very negative
    ones (below -1e9) and with no mask."""
    __tracebackhide__ = True
    name = _core.name_of(fn)
    checked = 0
    for case in _cases(hidden):
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
    for case in _cases(hidden):
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
    why = {kind: lambda m: _context_mistake(result[0], weights, k) for kind in Kind}
    yield Part("context", result[0], context, "B, Dv", why, "(your weights are right)")


def _own_attend(own: tuple, arrays: tuple, result) -> bool:
    """Whether ``result`` is attend built on a known mistake of the student's own score
    or softmax (``own``, either None if not given), computed here."""
    (score, softmax), (q, k, v, mask) = own, arrays
    if score is softmax is None or not isinstance(result, tuple | list) or len(result) != 2:
        return False
    right = attention.score(q, k, "scaled_dot")
    scored = _known(score, (q, k), [("", lambda: right), *_scaled_score_mistakes(q, k)])
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
    for k, (_, compute) in enumerate(candidates):
        try:
            with np.errstate(all="ignore"):
                value = compute()
        except (ValueError, IndexError):
            continue
        if _core.same(got, value, equal_nan=True):
            return k == 0, value
    return None


def _context_mistake(got: np.ndarray, weights: np.ndarray, keys: np.ndarray) -> str:
    diagnosis = "the context is Σ_s α_s v_s: the weighted average of the values"
    if _core.close(got, np.einsum("bs,bsd->bd", weights, keys)):
        return "your context averages the keys: " + diagnosis
    return diagnosis
