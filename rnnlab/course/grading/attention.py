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
from rnnlab.course.grading import _core


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
        got = _core.call(fn, name, *arguments(a), layout=LAYOUT, case=case.label())
        expected = reference(a)
        problem = _core.compare(got, expected, what, "B, S")
        if problem:
            diagnosis = _core.first_match(got, wrong(a)) if "differ" in problem else None
            _core.fail(name, problem, case.label(), diagnosis)
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
        dot = attention.score(a["query"], a["keys"], "dot")
        S, D = a["keys"].shape[1:]
        return [
            ("you do not divide by √D: the scaled score is q · k_s / √D", lambda: dot),
            ("you divide by D instead of √D", lambda: dot / D),
            ("you divide by √S (the number of positions) instead of √D", lambda: dot / np.sqrt(S)),
            _softmaxed(lambda: scaled(a), "scaled_dot_score"),
        ]

    _check(fn, hidden, lambda a: (a["query"], a["keys"]), scaled, wrong)


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
    positions with mask False get weight 0; also with large scores and with no mask."""
    __tracebackhide__ = True
    name = _core.name_of(fn)
    checked = 0
    for case in _cases(hidden):
        a = case.arrays()
        variants = (
            ("with a mask", a["scores"], a["mask"]),
            ("with mask=None", a["scores"], None),
            (
                "with large scores (around 1000)",
                a["scores"] + a["scores"].dtype.type(1000),
                a["mask"],
            ),
        )
        for text, scores, mask in variants:
            checked += 1
            label = f"{case.label()}, {text}"
            got = _core.call(fn, name, scores, mask, case=label)
            expected = attention.softmax(scores, mask)
            problem = _core.compare(got, expected, "weights", "B, S")
            if problem:
                diagnosis = None
                if "NaN" in problem:
                    diagnosis = (
                        "exp overflows for large scores: subtract each row's maximum "
                        "before exp (the softmax does not change)"
                    )
                elif "differ" in problem:
                    diagnosis = _core.first_match(got, _softmax_mistakes(scores, mask))
                _core.fail(name, problem, label, diagnosis)
    _core.passed(name, checked, hidden)


def _softmax_mistakes(scores: np.ndarray, mask) -> list[tuple[str, Callable]]:
    def over_batch():
        e = np.exp(scores - scores.max(axis=0))
        e = e if mask is None else e * mask
        return e / e.sum(axis=0)

    found = [
        (
            "you normalize over the batch (axis 0): normalize each row over its S positions",
            over_batch,
        )
    ]
    if mask is None:
        return found
    return found + [
        (
            "you ignore the mask: positions where mask is False get weight 0",
            lambda: attention.softmax(scores),
        ),
        (
            "your mask is the other way round: True means keep",
            lambda: attention.softmax(scores, ~mask),
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


def check_attend(fn, hidden: bool = False) -> None:
    """Check ``fn(query (B, D), keys (B, S, D), values (B, S, Dv), mask=None)
    -> (context (B, Dv), weights (B, S))`` with scaled dot-product scores."""
    __tracebackhide__ = True
    name = _core.name_of(fn)
    checked = 0
    for case in _cases(hidden):
        a = case.arrays()
        for mask in (a["mask"], None):
            checked += 1
            label = case.label() + (", mask=None" if mask is None else "")
            _check_attend_once(fn, name, a["query"], a["keys"], a["values"], mask, label)
    _core.passed(name, checked, hidden)


def _check_attend_once(fn, name: str, q, k, v, mask, label: str) -> None:
    __tracebackhide__ = True
    result = _core.call(fn, name, q, k, v, mask, layout=LAYOUT, case=label)
    context, weights = attention.attend(q, k, v, "scaled_dot", mask=mask)
    if not isinstance(result, tuple | list) or len(result) != 2:
        pair = "expected the pair (context, weights)"
        _core.fail(name, f"your result is {_core.describe(result)}; {pair}", label)
    problem = _core.compare(result[1], weights, "weights", "B, S")
    if problem:
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
        diagnosis = _core.first_match(result[1], mistakes) if "differ" in problem else None
        _core.fail(name, problem, label, diagnosis)
    problem = _core.compare(result[0], context, "context", "B, Dv")
    if problem:
        diagnosis = "the context is Σ_s α_s v_s: the weighted average of the values"
        if _core.close(result[0], np.einsum("bs,bsd->bd", weights, k)):
            diagnosis = "your context averages the keys: " + diagnosis
        _core.fail(name, f"{problem} (your weights are right)", label, diagnosis)
