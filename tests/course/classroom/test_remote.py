"""Calling a student's function through a proxy: the grader's side (remote) and the
kernel's side (callee), joined here by an in-process stand-in for the kernel that
evaluates the same user expressions a real kernel evaluates."""

import json
import re

import numpy as np
import pytest

from rnnlab import init
from rnnlab.course import grading
from rnnlab.course.classroom import remote
from rnnlab.course.grading import _core

SOLVED_CELL = """
import numpy as np
from rnnlab.activations import sigmoid

def lstm_cell(x, state, params):
    h, c = state
    z = x @ params["W_ih"].T + params["b_ih"] + h @ params["W_hh"].T + params["b_hh"]
    zi, zf, zg, zo = np.split(z, 4, axis=1)
    i, f, g, o = sigmoid(zi), sigmoid(zf), np.tanh(zg), sigmoid(zo)
    c = f * c + i * g
    return o * np.tanh(c), c
"""


def kernel(source: str):
    """A namespace where ``source`` ran, and a Remote whose calls are evaluated there."""
    namespace: dict = {}
    exec(source, namespace)

    def evaluate(expression: str, seconds: float) -> str:
        return repr(eval(expression, namespace))

    return namespace, remote.Remote(evaluate)


def proxy(source: str, name: str):
    _, far = kernel(source)
    return far.lookup([name])[name]


def test_a_call_returns_what_the_function_returned():
    lstm_cell = proxy(SOLVED_CELL, "lstm_cell")
    params = init.lstm(D=3, H=2, seed=0)
    x, h, c = np.ones((4, 3)), np.zeros((4, 2)), np.full((4, 2), 0.5, np.float32)
    namespace = {}
    exec(SOLVED_CELL, namespace)
    expected = namespace["lstm_cell"](x, (h, c), params)
    got = lstm_cell(x, (h, c), params)
    assert isinstance(got, tuple) and len(got) == 2
    for g, e in zip(got, expected, strict=True):
        assert g.dtype == e.dtype and np.array_equal(g, e)


def test_a_lookup_gives_a_proxy_with_the_functions_name_and_parameters_and_values_as_data():
    _, far = kernel(SOLVED_CELL + "\nH = 4\nweights = np.eye(2)\n")
    found = far.lookup(["lstm_cell", "H", "weights", "nowhere"])
    assert sorted(found) == ["H", "lstm_cell", "weights"]
    assert found["lstm_cell"].__name__ == "lstm_cell"
    import inspect

    assert list(inspect.signature(found["lstm_cell"]).parameters) == ["x", "state", "params"]
    assert found["H"] == 4 and np.array_equal(found["weights"], np.eye(2))


BUGGY = {
    "tanh for sigmoid": SOLVED_CELL.replace("sigmoid(zf)", "np.tanh(zf)"),
    "gates swapped": SOLVED_CELL.replace("zi, zf, zg, zo =", "zf, zi, zg, zo ="),
    "no bias": SOLVED_CELL.replace(' + params["b_hh"]', ""),
    "in place": SOLVED_CELL.replace("    c = f * c + i * g", "    c *= f\n    c += i * g"),
    "not implemented": "def lstm_cell(x, state, params):\n    raise NotImplementedError()",
    "raises": "def lstm_cell(x, state, params):\n    raise KeyError('W_xx')",
    "returns None": "def lstm_cell(x, state, params):\n    pass",
}


def _message(fn, hidden: bool) -> tuple[str, str]:
    try:
        grading.check_lstm_cell(fn, hidden=hidden)
    except AssertionError as error:
        return type(error).__name__, str(error)
    return "", ""


@pytest.mark.parametrize("bug", BUGGY)
@pytest.mark.parametrize("hidden", [False, True])
def test_a_check_through_a_proxy_says_exactly_what_it_says_of_the_function(bug, hidden):
    namespace = {}
    exec(BUGGY[bug], namespace)
    direct = _message(namespace["lstm_cell"], hidden)
    assert direct[0], f"the check should fail on {bug}"
    assert _message(proxy(BUGGY[bug], "lstm_cell"), hidden) == direct


def test_a_change_in_place_made_in_the_kernel_reaches_the_callers_arguments():
    bump = proxy("def bump(a, d):\n    a += 1\n    d['k'][0] = 7\n    d['new'] = 1", "bump")
    a, d = np.zeros(3), {"k": np.zeros(2), "gone": 1}
    assert bump(a, d) is None
    assert a.tolist() == [1, 1, 1] and d["k"].tolist() == [7, 0]
    assert sorted(d) == ["gone", "k", "new"]


def test_an_exception_keeps_its_class_when_it_is_a_built_in_one():
    source = (
        "class GateError(Exception):\n    pass\n"
        "def f(kind):\n"
        "    if kind == 'value':\n        raise ValueError('matmul: mismatch')\n"
        "    if kind == 'own':\n        raise GateError('my own')\n"
        "    if kind == 'exit':\n        raise SystemExit(3)\n"
    )
    f = proxy(source, "f")
    with pytest.raises(ValueError, match="matmul: mismatch"):
        f("value")
    with pytest.raises(remote.StudentError, match="my own") as raised:
        f("own")
    assert type(raised.value).__name__ == "GateError"
    with pytest.raises(remote.StudentError) as raised:  # never a SystemExit in the grader
        f("exit")
    assert type(raised.value).__name__ == "SystemExit"


@pytest.mark.parametrize(
    "reply",
    [
        "garbage",
        "[" * 100_000,
        json.dumps({"value": {"t": "dict", "v": []}, "arrays": []}),  # neither result nor error
        json.dumps({"value": {"t": "array", "v": 0}, "arrays": ["gASVAAAA"]}),
    ],
)
def test_a_reply_that_does_not_parse_fails_the_call(reply):
    far = remote.Remote(lambda expression, seconds: reply)
    with pytest.raises(remote.CallFailedError):
        far.call("f", (1,), {})


def test_a_call_past_the_cells_time_fails_before_reaching_the_kernel():
    asked = []
    far = remote.Remote(lambda expression, seconds: asked.append(expression))
    far.deadline = 0.0
    with pytest.raises(remote.CellTimeoutError):
        far.call("f", (), {})
    assert asked == []


def test_a_hidden_check_draws_other_cases_for_another_seed_and_the_same_for_the_same():
    labels = {}
    for seed in (1, 1, 2):
        with _core.drawn_cases(seed):
            labels.setdefault(seed, []).append([c.label() for c in _core.cases(hidden=True)])
    assert labels[1][0] == labels[1][1] and labels[1][0] != labels[2][0]
    with _core.drawn_cases(1):
        drawn = _core.cases(hidden=True)
    assert (drawn[0].T, drawn[0].B) == (1, 1) and drawn[-1].dtype == "float32"
    assert drawn[1].D != drawn[1].H
    assert _core.cases(hidden=True) == _core.HIDDEN  # outside grading: the fixed ones


def test_the_proxys_repr_says_where_the_function_runs():
    assert re.search(r"lstm_cell.*kernel", repr(proxy(SOLVED_CELL, "lstm_cell")))
