"""Checks of the attention exercise's four scores (ex05).

    dot         e_s = q · k_s                      general   e_s = q W k_s
    scaled_dot  e_s = q · k_s / √Dk                additive  e_s = v · tanh(W_q q + W_k k_s)

Each returns the raw scores ``(B, S)`` of ``query (B, Dq)`` against ``keys (B, S, Dk)``;
the masked softmax and attend are checked in ``attend``.
"""

from collections.abc import Callable

import numpy as np

from rnnlab import attention
from rnnlab.course.grading import _core, _runner
from rnnlab.course.grading._attention_cases import LAYOUT, cases
from rnnlab.course.grading._mismatch import Kind
from rnnlab.course.grading._runner import Part

SCORE_HINT = "{name} returns the raw scores e (B, S); the softmax comes later"


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
    checked = cases(hidden, unequal)
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
        mistakes = scaled_score_mistakes(a["query"], a["keys"])
        return [*mistakes, _softmaxed(lambda: scaled(a), "scaled_dot_score")]

    _check(fn, hidden, lambda a: (a["query"], a["keys"]), scaled, wrong)


def scaled_score_mistakes(query, keys) -> list[tuple[str, Callable]]:
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
