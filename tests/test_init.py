"""rnnlab.init: torch's shapes and torch's U(-1/√H, 1/√H), seeded, and the forget bias."""

import math

import numpy as np
import pytest
import torch

from rnnlab import init, lstm

FAMILIES = {"rnn": 1, "lstm": 4, "gru": 3}  # gate blocks G
PEEPHOLES = {"NIG": "fo", "NFG": "io", "NOG": "if", "NP": "", "CIFG": "io"}  # default "ifo"
NAMES = ["peephole", "NIG", "NFG", "NOG", "NIAF", "NOAF", "NP", "CIFG", "FGR"]


def make(family, D, H, **kwargs):
    return getattr(init, family)(D, H, **kwargs)


@pytest.mark.parametrize(("family", "G"), FAMILIES.items())
def test_each_family_has_torchs_parameter_shapes(family, G):
    params = make(family, 3, 5, seed=0)
    shapes = {key: value.shape for key, value in params.items()}
    assert shapes == {"W_ih": (G * 5, 3), "W_hh": (G * 5, 5), "b_ih": (G * 5,), "b_hh": (G * 5,)}


@pytest.mark.parametrize("name", NAMES)
def test_each_variant_gets_the_lstm_parameters_plus_its_own(name):
    H = 2
    shapes = {key: value.shape for key, value in init.variant(3, H, name, seed=0).items()}
    expected = {"W_ih": (4 * H, 3), "W_hh": (4 * H, H), "b_ih": (4 * H,), "b_hh": (4 * H,)}
    expected |= {f"p_{gate}": (H,) for gate in PEEPHOLES.get(name, "ifo")}
    if name == "FGR":
        expected["W_gg"] = (3 * H, 3 * H)
    assert shapes == expected


def test_variant_peepholes_on_a_chosen_subset():
    params = init.variant(2, 3, "peephole", seed=0, peepholes="o")
    assert sorted(params) == ["W_hh", "W_ih", "b_hh", "b_ih", "p_o"]


@pytest.mark.parametrize("family", [*FAMILIES, "variant"])
def test_every_value_lies_within_one_over_root_h_and_fills_the_range(family):
    H = 16
    bound = 1 / math.sqrt(H)  # 0.25
    if family == "variant":
        params = init.variant(8, H, "FGR", seed=3)
    else:
        params = make(family, 8, H, seed=3)
    values = np.concatenate([v.ravel() for v in params.values()])
    assert np.all(np.abs(values) <= bound)
    assert values.max() > 0.95 * bound and values.min() < -0.95 * bound
    assert abs(values.mean()) < 0.05 * bound


@pytest.mark.parametrize("family", FAMILIES)
def test_same_seed_same_numbers_other_seed_other_numbers(family):
    first, again, other = (make(family, 3, 4, seed=s) for s in (7, 7, 8))
    for key in first:
        np.testing.assert_array_equal(first[key], again[key])
        assert not np.array_equal(first[key], other[key])


@pytest.mark.parametrize("family", FAMILIES)
def test_the_requested_dtype_is_used(family):
    params = make(family, 2, 3, seed=0, dtype=np.float32)
    assert {v.dtype for v in params.values()} == {np.dtype(np.float32)}
    assert np.all(np.abs(np.concatenate([v.ravel() for v in params.values()])) <= 1 / math.sqrt(3))


def test_forget_bias_sets_the_input_bias_block_and_zeroes_the_recurrent_one():
    H = 3
    plain, biased = init.lstm(2, H, seed=5), init.lstm(2, H, seed=5, forget_bias=1.0)
    np.testing.assert_array_equal(biased["b_ih"][H : 2 * H], np.ones(H))
    np.testing.assert_array_equal(biased["b_hh"][H : 2 * H], np.zeros(H))
    for key in ("W_ih", "W_hh"):
        np.testing.assert_array_equal(biased[key], plain[key])
    for key in ("b_ih", "b_hh"):  # the i, g, o blocks are untouched
        np.testing.assert_array_equal(
            np.delete(biased[key], np.s_[H : 2 * H]), np.delete(plain[key], np.s_[H : 2 * H])
        )


@pytest.mark.parametrize(
    "make_params", [init.lstm, lambda D, H, **kw: init.variant(D, H, "NP", **kw)]
)
def test_forget_bias_one_makes_the_forget_gate_sigma_of_one_at_zero_input(make_params):
    # x = 0 and h = 0: c_1 = f c_0 + i g, so f is the difference between c_0 = 1 and c_0 = 0.
    params = make_params(2, 3, seed=11, forget_bias=1.0)
    x, h = np.zeros((1, 2)), np.zeros((1, 3))
    _, c_from_one = lstm.cell(x, (h, np.ones((1, 3))), params)
    _, c_from_zero = lstm.cell(x, (h, np.zeros((1, 3))), params)
    f = c_from_one - c_from_zero
    np.testing.assert_allclose(f, np.full((1, 3), 1 / (1 + math.exp(-1.0))), rtol=1e-14)


@pytest.mark.torch
@pytest.mark.parametrize("family", FAMILIES)
def test_the_distribution_matches_torchs_default(family):
    D, H = 10, 32
    with torch.random.fork_rng():
        torch.manual_seed(0)
        module = getattr(torch.nn, family.upper())(D, H)
    theirs = torch.cat([p.detach().ravel() for p in module.parameters()]).double().numpy()
    ours = np.concatenate([v.ravel() for v in make(family, D, H, seed=0).values()])
    assert ours.size == theirs.size
    # Same support and about the same spread (U(-b, b) has standard deviation b/√3).
    assert abs(ours.max() - theirs.max()) < 0.02 and abs(ours.min() - theirs.min()) < 0.02
    assert ours.std() == pytest.approx(theirs.std(), rel=0.1)
    deciles = np.linspace(0.1, 0.9, 9)
    np.testing.assert_allclose(np.quantile(ours, deciles), np.quantile(theirs, deciles), atol=0.03)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        pytest.param(lambda: init.rnn(3, 0), "hidden size H", id="H = 0"),
        pytest.param(lambda: init.lstm(0, 3), "input size D", id="D = 0"),
        pytest.param(lambda: init.variant(0, 3), "input size D", id="variant D = 0"),
        pytest.param(lambda: init.recurrent("transformer", 3, 3), "family", id="family"),
        pytest.param(lambda: init.variant(3, 3, "XYZ"), "variant", id="variant name"),
    ],
)
def test_bad_sizes_and_names_are_reported(call, message):
    with pytest.raises(ValueError, match=message):
        call()
