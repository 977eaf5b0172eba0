"""The shared core of rnnlab.course.grading: the reference switched off, calling the student's
function, and comparing its result."""

import numpy as np
import pytest

from rnnlab import attention, gru, init, lstm, rnn, torch_bridge
from rnnlab.course.grading import _core, _guard
from rnnlab.data import Vocabulary


def test_the_reference_raises_while_switched_off_and_works_again_after():
    params = init.lstm(D=2, H=3, seed=0)
    x, state = np.ones((1, 2)), (np.zeros((1, 3)), np.zeros((1, 3)))
    before = lstm.cell(x, state, params)
    calls = {
        "lstm.cell": lambda: lstm.cell(x, state, params),
        "lstm.step": lambda: lstm.step(x @ params["W_ih"].T, *state, params),
        "lstm._run": lambda: lstm._run(np.ones((2, 1, 2)), params, *state),
        "rnn.forward": lambda: rnn.forward(np.ones((2, 1, 2)), init.rnn(D=2, H=3, seed=0)),
        "gru.backward": lambda: gru.backward(None, None, None),
        "attention.softmax": lambda: attention.softmax(np.zeros((1, 2))),
        "torch_bridge.run": lambda: torch_bridge.run("lstm", None, params),
        "Vocabulary.encode": lambda: Vocabulary.encode(None, ["a"]),
    }
    with _guard.reference_off():
        for name, call in calls.items():
            with pytest.raises(_guard.ReferenceUsedError, match=name.replace(".", r"\.")):
                call()
    after = lstm.cell(x, state, params)
    np.testing.assert_array_equal(after[0], before[0])
    np.testing.assert_array_equal(after[1], before[1])


def test_a_name_bound_before_the_guard_is_switched_off_too():
    from rnnlab.lstm import forward as bound_early

    with _guard.reference_off(), pytest.raises(_guard.ReferenceUsedError, match="lstm.forward"):
        bound_early(np.ones((1, 1, 2)), init.lstm(D=2, H=1, seed=0))


def test_the_reference_is_restored_when_the_code_inside_raises():
    with pytest.raises(KeyboardInterrupt), _guard.reference_off():
        raise KeyboardInterrupt
    hs, _ = rnn.forward(np.zeros((2, 1, 1)), init.rnn(D=1, H=2, seed=0))
    assert hs.shape == (2, 1, 2)


def test_activations_and_initialisation_stay_usable():
    from rnnlab.activations import sigmoid

    with _guard.reference_off():
        assert sigmoid(np.zeros(1))[0] == 0.5
        assert init.gru(D=1, H=2, seed=0)["W_ih"].shape == (6, 1)


def test_calling_the_reference_earns_nothing_even_when_the_error_is_swallowed():
    def sneaky(x):
        try:
            return rnn.cell(x, None, init.rnn(D=1, H=1, seed=0))
        except Exception:
            return x

    with pytest.raises(AssertionError, match=r"calls the rnnlab reference \(rnnlab\.rnn\.cell\)"):
        _core.call(sneaky, "sneaky", np.ones((1, 1)))


def test_not_implemented_and_other_exceptions_are_named():
    def stub(x):
        raise NotImplementedError()

    def broken(x):
        return {}["W_ih"]

    with pytest.raises(_core.NotImplementedYetError, match="stub is not implemented yet"):
        _core.call(stub, "stub", 1)
    with pytest.raises(AssertionError, match="broken raised KeyError: 'W_ih'"):
        _core.call(broken, "broken", 1)


def test_a_shape_error_gets_the_layout_hint():
    def untransposed(x, W):
        return x @ W

    with pytest.raises(AssertionError, match=r"(?s)raised ValueError.*use x @ W\.T"):
        _core.call(untransposed, "f", np.ones((2, 3)), np.ones((4, 3)), layout="use x @ W.T")


def test_an_argument_changed_in_place_is_reported_by_name():
    def scales(xs, params):
        params["W"] *= 2
        return xs

    with pytest.raises(AssertionError, match=r"changed its argument params\['W'\] in place"):
        _core.call(scales, "scales", np.ones(2), {"W": np.ones(2)})


def test_only_keeps_one_parameter_or_one_block():
    params = {"W": np.ones((4, 2)), "b": np.ones(4)}
    isolated = _core.only(params, "W", slice(2, 4))
    assert isolated["b"].tolist() == [0, 0, 0, 0]
    assert isolated["W"][:, 0].tolist() == [0, 0, 1, 1]
    assert params["W"].sum() == 8  # the original is untouched
