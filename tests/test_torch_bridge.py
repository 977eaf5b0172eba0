"""rnnlab.torch_bridge: parameters to and from torch modules, and torch run on numpy input."""

import numpy as np
import pytest
import torch

from rnnlab import gru, init, lstm, rnn, torch_bridge

pytestmark = pytest.mark.torch

MODULES = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}
FORWARD = {"rnn": rnn.forward, "lstm": lstm.forward, "gru": gru.forward}
NAMES = {
    "W_ih": "weight_ih_l{}",
    "W_hh": "weight_hh_l{}",
    "b_ih": "bias_ih_l{}",
    "b_hh": "bias_hh_l{}",
}
D, H = 3, 4


def random_state(rng, family, B):
    h0 = rng.normal(size=(B, H))
    return (h0, rng.normal(size=(B, H))) if family == "lstm" else h0


@pytest.mark.parametrize("family", MODULES)
def test_params_survive_a_round_trip_through_torch_exactly(family):
    params = getattr(init, family)(D, H, seed=1)
    module = torch_bridge.to_torch(family, params)
    assert isinstance(module, MODULES[family])
    for ours, theirs in NAMES.items():  # each under torch's own name, bit for bit
        np.testing.assert_array_equal(
            getattr(module, theirs.format(0)).detach().numpy(), params[ours]
        )
    back = torch_bridge.from_torch(module)
    assert set(back) == set(params)
    for key in params:
        assert back[key].dtype == np.float64
        np.testing.assert_array_equal(back[key], params[key])


def test_to_torch_follows_the_parameters_dtype():
    module = torch_bridge.to_torch("gru", init.gru(D, H, seed=0, dtype=np.float32))
    assert module.weight_ih_l0.dtype == torch.float32
    assert torch_bridge.to_torch("rnn", init.rnn(D, H, seed=0)).weight_hh_l0.dtype == torch.float64


def test_to_torch_keeps_the_nonlinearity():
    module = torch_bridge.to_torch("rnn", init.rnn(D, H, seed=0), nonlinearity="relu")
    assert module.nonlinearity == "relu"


@pytest.mark.parametrize("family", MODULES)
def test_from_torch_reads_the_requested_layer_of_a_stack(family):
    module = MODULES[family](D, H, num_layers=2).double()
    params = torch_bridge.from_torch(module, layer=1)
    for ours, theirs in NAMES.items():
        np.testing.assert_array_equal(
            params[ours], getattr(module, theirs.format(1)).detach().numpy()
        )
    assert params["W_ih"].shape[1] == H  # layer 1 reads layer 0's states, not the input


def test_from_torch_returns_copies():
    module = torch.nn.LSTM(D, H).double()
    params = torch_bridge.from_torch(module)
    params["W_ih"][:] = 0.0
    assert torch.count_nonzero(module.weight_ih_l0) > 0


@pytest.mark.parametrize("family", MODULES)
def test_two_layers_chained_in_rnnlab_equal_torchs_stacked_module(rng, family):
    module = MODULES[family](D, H, num_layers=2).double()
    xs = rng.normal(size=(5, 2, D))
    below = torch_bridge.from_torch(module, 0)
    above = torch_bridge.from_torch(module, 1)

    hs_0, final_0 = FORWARD[family](xs, below)
    hs_1, final_1 = FORWARD[family](hs_0, above)

    with torch.no_grad():
        out, final = module(torch.from_numpy(xs))
    np.testing.assert_allclose(hs_1, out.numpy(), rtol=1e-10, atol=1e-12)
    h_n = (final[0] if family == "lstm" else final).numpy()  # (layers, B, H)
    ours = [final_0[0], final_1[0]] if family == "lstm" else [final_0, final_1]
    np.testing.assert_allclose(np.stack(ours), h_n, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("family", MODULES)
@pytest.mark.parametrize("with_state", [False, True])
def test_run_agrees_with_rnnlab(rng, family, with_state):
    params = getattr(init, family)(D, H, seed=2)
    xs = rng.normal(size=(4, 3, D))
    state0 = random_state(rng, family, 3) if with_state else None

    hs, final = torch_bridge.run(family, xs, params, state0)

    expected_hs, expected_final = FORWARD[family](xs, params, state0)
    np.testing.assert_allclose(hs, expected_hs, rtol=1e-10, atol=1e-12)
    if family != "lstm":
        final, expected_final = (final,), (expected_final,)
    for part, expected in zip(final, expected_final, strict=True):
        np.testing.assert_allclose(part, expected, rtol=1e-10, atol=1e-12)


def test_run_relu_rnn_agrees_with_rnnlab(rng):
    params, xs = init.rnn(D, H, seed=4), rng.normal(size=(3, 2, D))
    hs, _ = torch_bridge.run("rnn", xs, params, nonlinearity="relu")
    np.testing.assert_allclose(hs, rnn.forward(xs, params, nonlinearity="relu")[0], rtol=1e-10)


@pytest.mark.parametrize("family", MODULES)
def test_run_on_a_stack_returns_the_top_layers_final_state(rng, family):
    layers = [getattr(init, family)(D, H, seed=5), getattr(init, family)(H, H, seed=6)]
    xs = rng.normal(size=(4, 2, D))
    hs, final = torch_bridge.run(family, xs, layers)
    h_T = final[0] if family == "lstm" else final
    np.testing.assert_allclose(h_T, hs[-1], rtol=1e-12)  # the last output is the top h_T


def test_from_torch_rejects_a_layer_that_does_not_exist():
    with pytest.raises(ValueError, match=r"layer must be in \[0, 2\), got 2"):
        torch_bridge.from_torch(torch.nn.GRU(D, H, num_layers=2), layer=2)


def test_load_into_rejects_a_layer_that_does_not_exist():
    module = torch.nn.LSTM(D, H).double()
    with pytest.raises(ValueError, match="layer"):
        torch_bridge.load_into(module, init.lstm(D, H, seed=0), layer=1)


def test_load_into_names_a_missing_key_and_a_wrong_shape():
    module = torch.nn.LSTM(D, H).double()
    params = init.lstm(D, H, seed=0)
    with pytest.raises(ValueError, match="missing 'b_hh'"):
        torch_bridge.load_into(module, {k: v for k, v in params.items() if k != "b_hh"})
    with pytest.raises(ValueError, match=r"W_hh.*\(16, 5\).*\(16, 4\)"):
        torch_bridge.load_into(module, {**params, "W_hh": np.zeros((16, 5))})


@pytest.mark.parametrize(
    "module",
    [
        torch.nn.LSTM(D, H, bidirectional=True),
        torch.nn.LSTM(D, H, proj_size=2),
        torch.nn.GRU(D, H, bias=False),
    ],
    ids=["bidirectional", "projected", "no bias"],
)
def test_from_torch_refuses_modules_it_cannot_represent(module):
    with pytest.raises(ValueError, match="not supported"):
        torch_bridge.from_torch(module)


def test_to_torch_rejects_an_unknown_family():
    with pytest.raises(ValueError, match="family"):
        torch_bridge.to_torch("transformer", init.rnn(D, H, seed=0))


def test_from_torch_reads_either_direction_of_a_bidirectional_module():
    module = torch.nn.LSTM(D, H, num_layers=2, bidirectional=True).double()
    for layer in (0, 1):
        for direction, suffix in (("forward", ""), ("reverse", "_reverse")):
            params = torch_bridge.from_torch(module, layer, direction)
            theirs = getattr(module, f"weight_hh_l{layer}{suffix}").detach().numpy()
            np.testing.assert_array_equal(params["W_hh"], theirs)
    forward = torch_bridge.from_torch(module, 0, "forward")["W_ih"]
    reverse = torch_bridge.from_torch(module, 0, "reverse")["W_ih"]
    assert not np.array_equal(forward, reverse)  # two different sets of weights


def test_a_direction_of_a_one_way_module_is_refused():
    with pytest.raises(ValueError, match="not bidirectional: no direction 'reverse'"):
        torch_bridge.from_torch(torch.nn.LSTM(D, H), direction="reverse")
    assert torch_bridge.from_torch(torch.nn.LSTM(D, H), direction="forward")["W_ih"].shape == (
        4 * H,
        D,
    )
