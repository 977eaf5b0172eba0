"""Chapter 5's worked numbers, checked against arithmetic done by hand.

The worked example: q = (1, 0); keys = values = h_1 = (1, 0), h_2 = (0, 1), h_3 = (1, 1);
general W = [[0, 1], [1, 0]]; additive W_q = W_k = I, v = (1, -1); the mask drops h_3.
"""

import math

import pytest

from rnnlab.book import ch5_attention as ch5

E = math.e  # exp(1)


def softmax(scores: list[float]) -> list[float]:
    total = sum(math.exp(e) for e in scores)
    return [math.exp(e) / total for e in scores]


def context(weights: list[float]) -> tuple[float, float]:
    # c = α_1 (1, 0) + α_2 (0, 1) + α_3 (1, 1)
    return (weights[0] + weights[2], weights[1] + weights[2])


# Scores by hand.
DOT = [1.0, 0.0, 1.0]  # q·h_s = (1·1 + 0·0, 1·0 + 0·1, 1·1 + 0·1)
SCALED = [1 / math.sqrt(2), 0.0, 1 / math.sqrt(2)]  # the dot scores / √2
GENERAL = [0.0, 1.0, 1.0]  # q W = (0, 1), then dotted with each h_s
# tanh(q + h_s) = tanh((2, 0)), tanh((1, 1)), tanh((2, 1)); v = (1, -1) takes the difference
ADDITIVE = [math.tanh(2), math.tanh(1) - math.tanh(1), math.tanh(2) - math.tanh(1)]
HAND = {"dot": DOT, "sdot": SCALED, "gen": GENERAL, "add": ADDITIVE}


@pytest.fixture(scope="module")
def worked() -> dict:
    return ch5.worked_numbers()


def test_inputs_are_the_friendly_numbers(worked):
    assert (worked["att_q1"], worked["att_q2"]) == (1, 0)
    keys = [(worked[f"att_h{s}1"], worked[f"att_h{s}2"]) for s in (1, 2, 3)]
    assert keys == [(1, 0), (0, 1), (1, 1)]
    assert [worked[f"att_W{i}{j}"] for i in (1, 2) for j in (1, 2)] == [0, 1, 1, 0]
    assert (worked["att_v1"], worked["att_v2"]) == (1, -1)
    assert (worked["att_S"], worked["att_d"], worked["att_A"]) == (3, 2, 2)
    assert worked["att_sqrt_d"] == pytest.approx(math.sqrt(2), abs=1e-15)


@pytest.mark.parametrize("kind", HAND)
def test_scores_weights_and_context_by_hand(worked, kind):
    scores = HAND[kind]
    weights = softmax(scores)
    for s in range(3):
        assert worked[f"att_{kind}_e{s + 1}"] == pytest.approx(scores[s], abs=1e-15)
        assert worked[f"att_{kind}_w{s + 1}"] == pytest.approx(weights[s], abs=1e-15)
    c = context(weights)
    assert (worked[f"att_{kind}_c1"], worked[f"att_{kind}_c2"]) == pytest.approx(c, abs=1e-15)


def test_dot_softmax_step_by_step(worked):
    # exp(1), exp(0), exp(1); the sum 2e + 1; α_1 = e / (2e + 1), α_2 = 1 / (2e + 1)
    assert [worked[f"att_dot_exp{s}"] for s in (1, 2, 3)] == pytest.approx([E, 1.0, E])
    assert worked["att_dot_expsum"] == pytest.approx(2 * E + 1, abs=1e-14)
    assert worked["att_dot_w1"] == pytest.approx(E / (2 * E + 1), abs=1e-15)
    assert worked["att_dot_w2"] == pytest.approx(1 / (2 * E + 1), abs=1e-15)


def test_general_and_additive_intermediates(worked):
    assert (worked["att_qW1"], worked["att_qW2"]) == (0, 1)  # (1, 0) [[0, 1], [1, 0]]
    sums = {(1, 1): 2, (1, 2): 0, (2, 1): 1, (2, 2): 1, (3, 1): 2, (3, 2): 1}  # q + h_s
    for (s, a), u in sums.items():
        assert worked[f"att_add_u{s}{a}"] == u
        assert worked[f"att_add_tanh{s}{a}"] == pytest.approx(math.tanh(u), abs=1e-15)


def test_masked_weights_ignore_the_padding(worked):
    w0 = math.exp(1) / (math.exp(1) + math.exp(0))  # h_3 dropped: softmax of (1, 0)
    w1 = math.exp(0) / (math.exp(1) + math.exp(0))
    assert [worked[f"att_mask_w{s}"] for s in (1, 2, 3)] == pytest.approx([w0, w1, 0.0])
    assert worked["att_mask_w3"] == 0.0  # exactly zero, not just small
    # c = w0 (1, 0) + w1 (0, 1)
    assert (worked["att_mask_c1"], worked["att_mask_c2"]) == pytest.approx((w0, w1))


def test_variance_of_the_dot_product_grows_like_d(worked):
    for i, d in enumerate(ch5.DIMS):
        assert worked[f"att_var{i}_d"] == d
        # the sample variance of a sum of d unit-variance products is d, give or take
        # a few standard errors (about d·√(2/n) for n = 10 000 scores)
        assert worked[f"att_var{i}_raw"] == pytest.approx(d, rel=0.1)
        assert worked[f"att_var{i}_scaled"] == pytest.approx(1.0, rel=0.1)
    raw = [worked[f"att_var{i}_top"] for i in range(len(ch5.DIMS))]
    assert raw == sorted(raw) and raw[-1] > 0.9  # ever more peaked without scaling
    scaled = [worked[f"att_var{i}_top_scaled"] for i in range(len(ch5.DIMS))]
    assert max(scaled) < 0.4  # scaled, no key takes over


def test_numbers_are_plain_and_deterministic(worked):
    again = ch5.worked_numbers()
    assert again == worked
    assert all(type(value) in (int, float, str) for value in worked.values())


@pytest.mark.slow
@pytest.mark.torch
def test_trained_model_numbers():
    numbers = ch5.numbers()
    assert all(type(v) in (int, float, str) for v in numbers.values())
    assert set(ch5.worked_numbers()) <= set(numbers)
    assert numbers["att_date_exact"] >= 0.9
    assert numbers["att_date_chars"] >= numbers["att_date_exact"]
    assert numbers["att_date_exact_plain"] < numbers["att_date_exact"]  # the bottleneck
    assert numbers["att_date_heatmap_iso"] == "2009-06-25"  # "25th of June, 2009"
    assert numbers["att_date_heatmap_in"] == "25th of June, 2009"
    assert numbers["att_date_updates"] == 3 * math.ceil(8000 / 64)  # epochs · batches
    # the per-field accuracies agree with the exact-match accuracy they bound
    fields = [numbers[f"att_date_{f}"] for f in ("year", "month", "day")]
    assert min(fields) >= numbers["att_date_exact"]
