"""Checks of the LSTM's backpropagation through time (ex02).

A wrong gradient is explained, in order, by:

1. a usual mistake: BPTT computed with it (``_lstm_bptt``) gives the student's numbers;
2. a mistake in the gradient itself, δ_t being right: the student's dW_ih (Σ_t δ_tᵀ x_t,
   with x_t given) agrees, so the sum, the states or the order over time of this one
   gradient is off;
3. the first step alone (``xs[:1]``, where nothing comes back from a later step): the
   gate blocks of the student's dW_ih there say which gate's δ is off, or that one step is
   right and what comes back from step t + 1 is not.
"""

import itertools

import numpy as np

from rnnlab import lstm
from rnnlab.course.grading import _backward, _core
from rnnlab.course.grading._lstm_bptt import D_C, D_H, DELTAS, MISTAKES, PARAMETERS, applies, bptt
from rnnlab.course.grading.lstm import FAMILY, GATE_NAMES

GRADIENTS = {  # checked in this order: the simplest sum first
    "b_hh": ("4H", "db_hh = Σ_t Σ_b δ_t, the blocks i, f, g, o side by side"),
    "b_ih": ("4H", "db_ih = Σ_t Σ_b δ_t, the same sum as db_hh"),
    "W_ih": ("4H, D", "dW_ih = Σ_t δ_tᵀ x_t"),
    "W_hh": (
        "4H, H",
        "dW_hh = Σ_t δ_tᵀ h_{t-1}, with h_{t-1} the state step t started from (h_0 at the first)",
    ),
    "xs": ("T, B, D", "dxs[t] = δ_t W_ih"),
    "h0": ("B, H", "dh0 = δ_1 W_hh: what flows out of the first step into h_0"),
    "c0": ("B, H", "dc0 = dc_1 ⊙ f_1: what flows out of the first step into c_0"),
}


def check_lstm_backward(fn, hidden: bool = False, cell=None) -> None:
    """Check ``fn(xs, params, d_hs (T, B, H), state0=None) -> dict of gradients``.

    The dict holds the gradients of ``W_ih, W_hh, b_ih, b_hh, xs, h0, c0``, each of the
    shape of what it is the gradient of. Given the student's ``cell``, a wrong gradient
    that comes from a wrong cell says to fix the cell first.
    """
    __tracebackhide__ = True
    count = _backward.check(
        fn, FAMILY, hidden, cell, lstm.backward, GRADIENTS, _diagnose, "state0"
    )
    _core.passed(_core.name_of(fn), count, hidden)


def _diagnose(fn, got: dict, key: str, args: tuple, hint: str) -> str:
    """Why the student's gradient of ``key`` is wrong (see the module's docstring)."""
    found = _core.first_match(got[key], _mistakes(key, args))
    if found:
        return found
    expected = lstm.backward(*args)
    if key != "W_ih" and _agrees(got["W_ih"], expected["W_ih"]):
        return f"your δ_t is right at every step (your dW_ih agrees), so check d{key}: {hint}"
    found = _first_step(fn, args, key)
    if found or key not in PARAMETERS:
        return found or hint
    return f"{hint}; with " + "; ".join(DELTAS.values())


def _agrees(got, expected: np.ndarray) -> bool:
    """Whether the student's ``got`` (anything at all) holds the expected numbers."""
    try:
        return _core.close(np.asarray(got), expected)
    except (ValueError, TypeError):
        return False


def _mistakes(key: str, args: tuple) -> list[tuple[str, object]]:
    """Every usual mistake, as (its words, the gradient of ``key`` it gives)."""
    xs, _, _, state0 = args
    found = [
        (MISTAKES[mistake].replace("{key}", key), lambda m=mistake: bptt(*args, mistake=m)[key])
        for mistake in MISTAKES
        if applies(mistake, key, state0)
    ]
    found += [
        (
            f"your δ_t stacks the gates' blocks in the order {', '.join(order)}: torch's "
            "order is i, f, g, o, the order of W_ih's and W_hh's rows",
            lambda o=order: bptt(*args, order=o)[key],
        )
        for order in itertools.permutations("ifgo")
        if order != tuple("ifgo")
    ]
    if key.startswith("b_") and xs.shape[1] > 1:
        found.append((
            f"your d{key} is the mean over the batch: the loss adds up the batch's "
            f"examples, so d{key} = Σ_t Σ_b δ_t, a sum",
            lambda: lstm.backward(*args)[key] / xs.shape[1],
        ))  # fmt: skip
    if key == "xs" and len(xs) > 1:
        found.append((
            "your dxs is in reverse time order: dxs[t] = δ_t W_ih belongs at index t (a "
            "backward loop reaches t = T - 1 first: write into dxs[t] rather than append)",
            lambda: lstm.backward(*args)["xs"][::-1],
        ))  # fmt: skip
    return found


def _first_step(fn, args: tuple, key: str) -> str | None:
    """Which gate's δ is off on the first step alone (``xs[:1]``), from the gate blocks of
    the student's dW_ih there; or that this step is right and later ones are not."""
    xs, params, d_hs, state0 = args
    one = (xs[:1], params, d_hs[:1], state0)
    expected = lstm.backward(*one)
    try:
        got = _core.call(fn, _core.name_of(fn), *one)
        wrong = [gate for gate in "ifgo" if not _block_right(got["W_ih"], expected["W_ih"], gate)]
        key_right = _core.close(np.asarray(got[key]), expected[key])
    except (AssertionError, KeyError, TypeError, ValueError, IndexError):
        return None  # the student's function fails on one step: inconclusive
    if wrong:
        return _wrong_gates(wrong)
    if key_right and len(xs) > 1:
        return (
            "on the first step alone (xs[:1]) your gradients are right, so what comes back "
            f"from step t + 1 is off: {D_H} and {D_C}"
        )
    return None


def _wrong_gates(wrong: list[str]) -> str:
    """The gates whose δ is off on the first step, in words, with their formulas."""
    where = "on the first step alone (xs[:1], where nothing comes back from a later step)"
    if len(wrong) == 4:
        return (
            f"{where} the δ of all four gates is off: check dh_t and dc_t, from which they "
            f"are made: {D_H}; {D_C}"
        )
    if wrong == list("ifg"):
        return f"{where} δo_t is right and δi, δf, δg are off: all three are made from dc_t: {D_C}"
    right = ", ".join(GATE_NAMES[gate] for gate in "ifgo" if gate not in wrong)
    names = ", ".join(GATE_NAMES[gate] for gate in wrong)
    formulas = "; ".join(DELTAS[gate] for gate in wrong)
    return f"{where} your δ of the {names} is off ({right} right): {formulas}"


def _block_right(got, expected: np.ndarray, gate: str) -> bool:
    """Whether the rows of ``gate``'s block of a (4H, ...) gradient agree."""
    H = expected.shape[0] // 4
    rows = slice("ifgo".index(gate) * H, ("ifgo".index(gate) + 1) * H)
    return _core.close(np.asarray(got)[rows], expected[rows])
