"""rnnlab.attention: the four scores, the masked softmax and the context vector."""

import math
import warnings

import numpy as np
import pytest
import torch
import torch_reference as ref

from rnnlab import attention

KINDS = ["dot", "scaled_dot", "general", "additive"]
SHAPES = [(1, 1, 2, 2, 1), (2, 5, 3, 3, 4), (3, 4, 2, 2, 3)]  # (B, S, Dq, Dk, Dv), Dq = Dk
A = 4  # attention size of the additive score


def problem(rng, B, S, Dq, Dk, Dv):
    query, keys, values = (rng.normal(size=s) for s in [(B, Dq), (B, S, Dk), (B, S, Dv)])
    mask = rng.random((B, S)) < 0.7
    mask[:, 0] = True  # every row keeps at least one position
    params = {
        "general": {"W": rng.normal(size=(Dq, Dk))},
        "additive": {
            "W_q": rng.normal(size=(A, Dq)),
            "W_k": rng.normal(size=(A, Dk)),
            "v": rng.normal(size=A),
        },
    }
    return query, keys, values, mask, params


def torch_scores(kind, query, keys, params):
    """The scores (B, S), written directly with torch tensor ops."""
    q, k = ref.tensor(query), ref.tensor(keys)
    if kind == "general":
        q = q @ ref.tensor(params["W"])  # q W, then dotted with each k_s
    if kind == "additive":
        W_q, W_k, v = (ref.tensor(params[name]) for name in ("W_q", "W_k", "v"))
        return torch.tanh((q @ W_q.T)[:, None, :] + k @ W_k.T) @ v
    e = torch.bmm(k, q[:, :, None])[:, :, 0]
    return e / math.sqrt(k.shape[2]) if kind == "scaled_dot" else e


@pytest.mark.torch
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("masked", [False, True])
def test_attention_matches_a_direct_torch_computation(rng, kind, shape, masked):
    query, keys, values, mask, params = problem(rng, *shape)
    mask = mask if masked else None

    scores = attention.score(query, keys, kind, params.get(kind))
    context, weights = attention.attend(query, keys, values, kind, params.get(kind), mask)

    e = torch_scores(kind, query, keys, params.get(kind))
    if masked:
        e = e.masked_fill(~torch.from_numpy(mask), -torch.inf)
    expected_weights = torch.softmax(e, dim=1)
    expected_context = torch.bmm(expected_weights[:, None, :], ref.tensor(values))[:, 0]
    if not masked:
        np.testing.assert_allclose(scores, e.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(weights, expected_weights.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(context, expected_context.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.torch
@pytest.mark.parametrize("shape", SHAPES)
def test_scaled_dot_matches_torch_scaled_dot_product_attention(rng, shape):
    query, keys, values, mask, _ = problem(rng, *shape)
    context, _ = attention.attend(query, keys, values, "scaled_dot", mask=mask)
    expected = torch.nn.functional.scaled_dot_product_attention(
        ref.tensor(query)[:, None, :],  # one query per row: (B, 1, D)
        ref.tensor(keys),
        ref.tensor(values),
        attn_mask=torch.from_numpy(mask)[:, None, :],  # True = takes part
    )[:, 0]
    np.testing.assert_allclose(context, expected.numpy(), rtol=1e-12, atol=1e-12)


# Two positions by hand: q = [1, 0], k_1 = [1, 0], k_2 = [0, 1], v_1 = [1, 0], v_2 = [0, 1],
# so the context is exactly the weights (α_1, α_2).
Q = np.array([[1.0, 0.0]])
K = np.array([[[1.0, 0.0], [0.0, 1.0]]])


def two_way_softmax(e1: float, e2: float) -> list[float]:
    return [
        math.exp(e1) / (math.exp(e1) + math.exp(e2)),
        math.exp(e2) / (math.exp(e1) + math.exp(e2)),
    ]


@pytest.mark.parametrize(
    ("kind", "params", "expected_scores"),
    [
        ("dot", None, [1.0 * 1 + 0 * 0, 1.0 * 0 + 0 * 1]),  # q · k_s
        ("scaled_dot", None, [1 / math.sqrt(2), 0.0]),  # q · k_s / √Dk, Dk = 2
        # W swaps the two coordinates: q W = [0, 1], which matches k_2, not k_1.
        ("general", {"W": np.array([[0.0, 1.0], [1.0, 0.0]])}, [0.0, 1.0]),
        # A = 1: W_q q = 1; W_k k_1 = 0.5, W_k k_2 = -0.5; v = 1.
        (
            "additive",
            {"W_q": np.array([[1.0, 0.0]]), "W_k": np.array([[0.5, -0.5]]), "v": np.array([1.0])},
            [math.tanh(1 + 0.5), math.tanh(1 - 0.5)],
        ),
    ],
)
def test_each_score_on_two_positions_by_hand(kind, params, expected_scores):
    np.testing.assert_allclose(attention.score(Q, K, kind, params), [expected_scores], rtol=1e-15)
    context, weights = attention.attend(Q, K, K, kind, params)  # values = keys here
    np.testing.assert_allclose(weights, [two_way_softmax(*expected_scores)], rtol=1e-15)
    np.testing.assert_allclose(context, weights, rtol=1e-15)


def test_masking_the_second_position_attends_to_the_first_only():
    mask = np.array([[True, False]])
    context, weights = attention.attend(Q, K, K, "dot", mask=mask)
    np.testing.assert_array_equal(weights, [[1.0, 0.0]])
    np.testing.assert_array_equal(context, [[1.0, 0.0]])  # v_1


def test_softmax_of_equal_scores_by_hand():
    weights = attention.softmax(np.zeros((1, 3)), np.array([[True, True, False]]))
    np.testing.assert_array_equal(weights, [[0.5, 0.5, 0.0]])  # e^0 / (e^0 + e^0)


def test_masked_softmax_gives_exact_zeros_and_rows_summing_to_one(rng):
    scores = rng.normal(size=(4, 6))
    mask = np.array(
        [[True] * 6, [True] + [False] * 5, [False, True] * 3, [True] * 3 + [False] * 3]
    )
    scores[~mask] = 1e4  # masked positions would dominate if they leaked in

    weights = attention.softmax(scores, mask)

    assert np.all(weights[~mask] == 0.0)
    assert np.all(weights[mask] > 0.0)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, rtol=1e-15)
    np.testing.assert_array_equal(weights[1], [1.0, 0, 0, 0, 0, 0])


def test_a_row_with_nothing_to_attend_to_is_an_error_naming_the_row():
    mask = np.array([[True, False], [False, False], [False, True]])
    with pytest.raises(ValueError, match=r"row\(s\) \[1\]"):
        attention.softmax(np.zeros((3, 2)), mask)


def test_large_scores_do_not_overflow():
    scores = np.array([[1000.0, 0.0, -1000.0], [800.0, 800.0, 799.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow in exp would warn
        weights = attention.softmax(scores)
    np.testing.assert_array_equal(weights[0], [1.0, 0.0, 0.0])
    e = math.exp(-1.0)  # the third score is 1 below the other two
    np.testing.assert_allclose(weights[1], [1 / (2 + e), 1 / (2 + e), e / (2 + e)], rtol=1e-14)


def test_the_context_lies_between_the_smallest_and_largest_values(rng):
    query, keys, values, mask, params = problem(rng, 3, 5, 2, 2, 4)
    context, _ = attention.attend(query, keys, values, "additive", params["additive"], mask)
    lo, hi = values.min(axis=1), values.max(axis=1)
    assert np.all((lo - 1e-12 <= context) & (context <= hi + 1e-12))
