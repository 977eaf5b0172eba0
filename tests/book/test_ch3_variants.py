"""Chapter 3's worked numbers, checked against arithmetic done by hand.

The worked step: H = D = 1, x_1 = 1, h_0 = 0, c_0 = 1, and the weights of
``rnnlab/book/ch3_variants.py`` (W_ig = 1, b_f = 1, p_i = -0.5, p_f = 0.5, p_o = 1,
every other weight of the first step 0). With h_0 = 0 the recurrent weights drop out,
so the pre-activations are a_i = 0, a_f = 1, a_g = 1, a_o = 0.
"""

import math

import numpy as np
import pytest

from rnnlab import init, variants
from rnnlab.book import ch3_variants as ch3


def sig(a: float) -> float:
    return 1.0 / (1.0 + math.exp(-a))


G = math.tanh(1.0)  # g = tanh(W_ig x_1) = tanh(1), the same in every column


def test_worked_step_without_peepholes_is_sigmoid_of_zero_and_one():
    step = ch3.intermediates("")
    i = 0.5  # σ(0)
    f = sig(1.0)  # the forget bias 1 alone
    c1 = f * 1.0 + i * G  # f c_0 + i g
    o = 0.5  # σ(0): no peephole, h_0 = 0
    assert step["i"] == pytest.approx(i, abs=1e-15)
    assert step["f"] == pytest.approx(f, abs=1e-15)
    assert step["g"] == pytest.approx(G, abs=1e-15)
    assert step["c1"] == pytest.approx(c1, abs=1e-15)
    assert step["o"] == pytest.approx(o, abs=1e-15)
    assert step["h1"] == pytest.approx(o * math.tanh(c1), abs=1e-15)
    assert (step["pc_i"], step["pc_f"], step["pc_o"]) == (0.0, 0.0, 0.0)


def test_each_peephole_moves_its_own_gate_only():
    np_step = ch3.intermediates("")
    only_i = ch3.intermediates("i")
    assert only_i["pc_i"] == -0.5  # p_i c_0 = -0.5 * 1
    assert only_i["i"] == pytest.approx(sig(-0.5), abs=1e-15)
    assert only_i["f"] == np_step["f"]
    assert only_i["c1"] == pytest.approx(sig(1.0) + sig(-0.5) * G, abs=1e-15)
    assert only_i["o"] == 0.5

    only_f = ch3.intermediates("f")
    assert only_f["pc_f"] == 0.5  # p_f c_0 = 0.5 * 1
    assert only_f["f"] == pytest.approx(sig(1.5), abs=1e-15)  # σ(1 + 0.5)
    assert only_f["i"] == 0.5
    assert only_f["c1"] == pytest.approx(sig(1.5) + 0.5 * G, abs=1e-15)

    only_o = ch3.intermediates("o")
    c1 = sig(1.0) + 0.5 * G  # the cell is that of the no-peephole step
    assert only_o["c1"] == pytest.approx(c1, abs=1e-15)
    assert only_o["pc_o"] == pytest.approx(1.0 * c1, abs=1e-15)  # p_o c_1, the *new* cell
    assert only_o["o"] == pytest.approx(sig(c1), abs=1e-15)
    assert only_o["h1"] == pytest.approx(sig(c1) * math.tanh(c1), abs=1e-15)


def test_worked_step_with_all_peepholes_matches_hand_arithmetic():
    step = ch3.intermediates("ifo")
    i, f = sig(-0.5), sig(1.5)
    c1 = f + i * G
    o = sig(c1)
    assert step["i"] == pytest.approx(i, abs=1e-15)
    assert step["f"] == pytest.approx(f, abs=1e-15)
    assert step["c1"] == pytest.approx(c1, abs=1e-15)
    assert step["o"] == pytest.approx(o, abs=1e-15)
    assert step["h1"] == pytest.approx(o * math.tanh(c1), abs=1e-15)
    # rough values a reader gets with a calculator
    assert step["i"] == pytest.approx(0.3775, abs=1e-4)
    assert step["f"] == pytest.approx(0.8176, abs=1e-4)
    assert step["c1"] == pytest.approx(1.1051, abs=1e-4)
    assert step["h1"] == pytest.approx(0.6027, abs=1e-4)


def test_cifg_step_couples_forget_to_one_minus_input():
    step = ch3.intermediates("io", coupled=True)
    i = sig(-0.5)  # a_i = 0 plus the peephole p_i c_0 = -0.5
    f = 1.0 - i  # = σ(0.5)
    c1 = f * 1.0 + i * G  # a weighted average of c_0 = 1 and g
    o = sig(c1)  # a_o = 0 plus p_o c_1
    assert step["f"] == pytest.approx(sig(0.5), abs=1e-15)
    assert step["c1"] == pytest.approx(c1, abs=1e-15)
    assert G < step["c1"] < 1.0  # between g and c_0
    assert step["o"] == pytest.approx(o, abs=1e-15)
    assert step["h1"] == pytest.approx(o * math.tanh(c1), abs=1e-15)
    assert step["pc_f"] == 0.0  # CIFG's forget gate has no parameters of its own


@pytest.mark.parametrize("label", list(ch3.PEEPHOLE_CONFIGS))
def test_intermediates_agree_with_rnnlab_variants_cell(label):
    on = ch3.PEEPHOLE_CONFIGS[label]
    step = ch3.intermediates(on)
    variant = "peephole" if on else "NP"
    h, c = variants.cell(
        np.array([[ch3.X1]]),
        ch3.state0(),
        ch3.params(),
        variant=variant,
        peepholes=on or None,
    )
    assert h[0, 0] == pytest.approx(step["h1"], abs=1e-14)
    assert c[0, 0] == pytest.approx(step["c1"], abs=1e-14)


def test_cifg_intermediates_agree_with_rnnlab():
    step = ch3.intermediates("io", coupled=True)
    h, c = variants.cell(np.array([[ch3.X1]]), ch3.state0(), ch3.params(), variant="CIFG")
    assert h[0, 0] == pytest.approx(step["h1"], abs=1e-14)
    assert c[0, 0] == pytest.approx(step["c1"], abs=1e-14)


def test_first_step_of_each_variant_by_hand():
    runs = ch3.variant_outputs()
    i, f = sig(-0.5), sig(1.5)  # vanilla's gates in the first step
    c1 = f + i * G
    vanilla = sig(c1) * math.tanh(c1)
    assert runs["peephole"][0] == pytest.approx(vanilla, abs=1e-14)
    assert runs["FGR"][0] == pytest.approx(vanilla, abs=1e-14)  # no gates before step 1
    assert runs["NOG"][0] == pytest.approx(math.tanh(c1), abs=1e-14)  # o = 1
    assert runs["NOAF"][0] == pytest.approx(sig(c1) * c1, abs=1e-14)  # h = o c
    c_nig = f + 1.0 * G  # i = 1
    assert runs["NIG"][0] == pytest.approx(sig(c_nig) * math.tanh(c_nig), abs=1e-14)
    c_nfg = 1.0 + i * G  # f = 1
    assert runs["NFG"][0] == pytest.approx(sig(c_nfg) * math.tanh(c_nfg), abs=1e-14)
    c_niaf = f + i * 1.0  # g = a_g = 1, no tanh
    assert runs["NIAF"][0] == pytest.approx(sig(c_niaf) * math.tanh(c_niaf), abs=1e-14)
    c_np = sig(1.0) + 0.5 * G
    assert runs["NP"][0] == pytest.approx(0.5 * math.tanh(c_np), abs=1e-14)
    c_cifg = (1 - i) + i * G
    assert runs["CIFG"][0] == pytest.approx(sig(c_cifg) * math.tanh(c_cifg), abs=1e-14)


def test_second_step_of_fgr_adds_half_of_each_previous_gate():
    runs = ch3.variant_outputs()
    # step 1 (vanilla and FGR agree)
    i1, f1 = sig(-0.5), sig(1.5)
    c1 = f1 + i1 * G
    o1 = sig(c1)
    h1 = o1 * math.tanh(c1)
    # step 2: x_2 = 0, so only W_hh h_1, the biases, the peepholes and (FGR) 0.5 * gate
    i2 = sig(0.5 * h1 - 0.5 * c1 + 0.5 * i1)
    f2 = sig(1.0 + 0.5 * c1 + 0.5 * f1)
    g2 = 0.0  # tanh(0): W_ig x_2 = 0, W_hg = 0
    c2 = f2 * c1 + i2 * g2
    o2 = sig(-0.5 * h1 + 1.0 * c2 + 0.5 * o1)
    assert runs["FGR"][1] == pytest.approx(o2 * math.tanh(c2), abs=1e-14)


def test_parameter_counts_by_hand():
    D, H = 32, 64
    assert (ch3.COUNT_D, ch3.COUNT_H) == (D, H)
    block = H * (D + H + 2)  # one gate's W (H, D), R (H, H), b_ih, b_hh: 6272
    assert block == 6272
    expected = {
        "peephole": 4 * block + 3 * H,  # 25280
        "NIG": 3 * block + 2 * H,
        "NFG": 3 * block + 2 * H,
        "NOG": 3 * block + 2 * H,
        "NIAF": 4 * block + 3 * H,
        "NOAF": 4 * block + 3 * H,
        "NP": 4 * block,  # 25088
        "CIFG": 3 * block + 2 * H,  # 18944
        "FGR": 4 * block + 3 * H + (3 * H) ** 2,  # 25280 + 36864
    }
    assert expected["peephole"] == 25280 and expected["FGR"] == 62144
    for name, n in expected.items():
        assert ch3.parameter_count(name, D, H) == n, name


def test_full_variants_count_what_rnnlab_init_allocates():
    for name in ("peephole", "NP", "FGR"):
        params = init.variant(5, 3, name, seed=0)
        assert ch3.parameter_count(name, 5, 3) == sum(a.size for a in params.values())


@pytest.mark.torch
def test_no_peephole_step_and_count_match_torch():
    torch = pytest.importorskip("torch")
    from rnnlab import torch_bridge

    p = {k: v for k, v in ch3.params().items() if k in ("W_ih", "W_hh", "b_ih", "b_hh")}
    h0, c0 = ch3.state0()
    out, (h, c) = torch_bridge.run("lstm", np.array([[[ch3.X1]]]), p, (h0, c0))
    step = ch3.intermediates("")
    assert h[0, 0] == pytest.approx(step["h1"], abs=1e-12)
    assert c[0, 0] == pytest.approx(step["c1"], abs=1e-12)
    module = torch.nn.LSTM(32, 64)
    assert ch3.parameter_count("NP", 32, 64) == sum(q.numel() for q in module.parameters())


def test_forget_bias_arithmetic():
    n = ch3.numbers()
    assert n["var_sigma1"] == pytest.approx(1 / (1 + math.exp(-1)), abs=1e-15)  # 0.7311
    assert n["var_keep_bias0"] == 1 / 1024  # 0.5 ** 10
    assert n["var_keep_bias1"] == pytest.approx(0.7310585786300049**10, rel=1e-12)
    assert n["var_keep_bias1"] == pytest.approx(0.0436, abs=1e-4)


def test_forget_retention_starts_at_the_first_forget_gate_and_bias_one_keeps_more():
    for bias, centre in ((None, 0.0), (1.0, 1.0)):
        kept = ch3.forget_retention(bias)
        p = init.lstm(ch3.RETENTION_D, ch3.RETENTION_H, seed=ch3.RETENTION_SEED, forget_bias=bias)
        x1 = np.random.default_rng(ch3.RETENTION_SEED).standard_normal(
            (ch3.RETENTION_T, 1, ch3.RETENTION_D)
        )[0, 0]
        H = ch3.RETENTION_H
        a_f = p["W_ih"][H : 2 * H] @ x1 + p["b_ih"][H : 2 * H] + p["b_hh"][H : 2 * H]  # h_0 = 0
        assert kept[0] == pytest.approx(np.mean(1 / (1 + np.exp(-a_f))), abs=1e-14)
        assert abs(kept[0] - sig(centre)) < 0.15  # small weights: f is near σ(bias)
        assert np.all(np.diff(kept) < 0)  # a product of numbers in (0, 1) only shrinks
    assert np.all(ch3.forget_retention(1.0) > ch3.forget_retention(None))


def test_numbers_are_plain_deterministic_and_prefixed():
    first, second = ch3.numbers(), ch3.numbers()
    assert first == second
    for key, value in first.items():
        assert key.startswith("var_"), key
        assert type(value) in (int, float, str), (key, type(value))
    assert first["var_run_peephole_dev"] == 0.0
    assert first["var_run_FGR_h1"] == first["var_run_peephole_h1"]


def test_exercise_numbers_by_hand():
    n = ch3.numbers()
    c1 = sig(1.5) + sig(-0.5) * G  # the vanilla cell of the worked step
    assert n["var_oprev_o"] == pytest.approx(sig(1.0), abs=1e-15)  # a_o + p_o c_0 = 0 + 1 * 1
    assert n["var_oprev_h1"] == pytest.approx(sig(1.0) * math.tanh(c1), abs=1e-15)
    assert n["var_keep_pct"] == 1
    assert n["var_keep_pct_steps_bias0"] == 7  # 0.5**6 = 0.0156 > 1 % > 0.5**7 = 0.0078
    assert n["var_keep_pct_steps_bias1"] == 15  # σ(1)**14 = 0.0125 > 1 % > σ(1)**15 = 0.0091
