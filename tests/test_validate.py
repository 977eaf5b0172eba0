"""Bad input gets a ValueError that names it; the dtype of the input is kept.

(rnnlab._validate is reached through the public functions that rely on it.)
"""

import numpy as np
import pytest

from rnnlab import attention, gru, init, lstm, rnn, variants

T, B, D, H = 4, 2, 3, 2
XS = np.zeros((T, B, D))
P = {"rnn": init.rnn(D, H, seed=0), "lstm": init.lstm(D, H, seed=0), "gru": init.gru(D, H, seed=0)}
PEEP = init.variant(D, H, "peephole", seed=0)
STATE = (np.zeros((B, H)), np.zeros((B, H)))
Q, K = np.zeros((B, 3)), np.zeros((B, 5, 3))


def without(params, key):
    return {k: v for k, v in params.items() if k != key}


def raises(message: str, call) -> None:
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: rnn.forward(XS[0], P["rnn"]), r"xs must have 3 dimensions \(T, B, D\), got 2"),
        (lambda: lstm.forward(XS[0], P["lstm"]), r"xs must have 3 dimensions"),
        (lambda: gru.forward(XS[None], P["gru"]), r"xs must have 3 dimensions .* got 4"),
        (lambda: variants.forward(XS[0], PEEP), r"xs must have 3 dimensions"),
        (lambda: lstm.forward(np.zeros((0, B, D)), P["lstm"]), r"xs must not be empty"),
        (lambda: lstm.cell(XS, STATE, P["lstm"]), r"x must have 2 dimensions \(B, D\), got 3"),
        (lambda: rnn.cell(XS[0], np.zeros(H), P["rnn"]), r"h must have 2 dimensions \(B, H\)"),
        (lambda: rnn.forward(XS, P["rnn"], np.zeros(H)), r"h0 must have 2 dimensions \(B, H\)"),
        (lambda: rnn.forward(XS, P["rnn"], np.zeros((3, H))), r"h0 .* = \(2, 2\), got \(3, 2\)"),
        (lambda: gru.forward(XS, P["gru"], np.zeros((B, 3))), r"h0 .* = \(2, 2\), got \(2, 3\)"),
        (lambda: lstm.forward(XS, P["lstm"], (np.zeros((B, 1)), STATE[1])), r"state0\[0\] \(h\)"),
        (lambda: lstm.forward(XS, P["lstm"], (STATE[0], np.zeros((B, 3)))), r"state0\[1\] \(c\)"),
        (lambda: variants.forward(XS, PEEP, (STATE[0], np.zeros((B, 3)))), r"state0\[1\] \(c\)"),
        (lambda: rnn.backward(XS, P["rnn"], np.zeros((T, B, 3))), r"d_hs .* got \(4, 2, 3\)"),
        (lambda: lstm.backward(XS, P["lstm"], np.zeros((T, B))), r"d_hs must have 3 dimensions"),
        (lambda: gru.backward(XS, P["gru"], np.zeros((5, B, H))), r"d_hs .* = \(4, 2, 2\)"),
    ],
)
def test_a_wrong_shape_of_input_state_or_gradient_is_named(call, message):
    raises(message, call)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: rnn.forward(np.zeros((T, B, 5)), P["rnn"]), r"'W_ih'\] .* \(H, D\) = \(2, 5\)"),
        (lambda: lstm.forward(np.zeros((T, B, 5)), P["lstm"]), r"'W_ih'\] .* = \(8, 5\)"),
        (lambda: gru.cell(np.zeros((B, 1)), None, P["gru"]), r"'W_ih'\] .* \(3·H, D\) = \(6, 1\)"),
        (
            lambda: lstm.forward(XS, {**P["lstm"], "W_hh": np.zeros((8, 3))}),
            r"'W_hh'\] of the LSTM",
        ),
        (lambda: gru.forward(XS, P["lstm"]), r"'W_hh'\] of the GRU .* \(3·H, H\), got \(8, 2\)"),
        (
            lambda: rnn.forward(XS, {**P["rnn"], "W_hh": np.zeros((H, H, 1))}),
            r"'W_hh'\] of the RNN",
        ),
        (lambda: gru.forward(XS, {**P["gru"], "b_ih": np.zeros(5)}), r"'b_ih'\] .* got \(5,\)"),
        (lambda: lstm.forward(XS, without(P["lstm"], "b_hh")), r"params is missing 'b_hh'"),
        (lambda: rnn.forward(XS, without(P["rnn"], "W_hh")), r"params is missing 'W_hh'"),
        (lambda: variants.forward(XS, P["lstm"]), r"missing 'p_i' \(H,\) = \(2,\), 'p_f'"),
        (lambda: variants.forward(XS, PEEP, variant="FGR"), r"missing 'W_gg' \(3·H, 3·H\)"),
        (lambda: lstm.forward(XS, [1, 2]), r"params must be a dict"),
    ],
)
def test_a_wrong_or_missing_parameter_is_named(call, message):
    raises(message, call)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: lstm.forward(np.full((T, B, D), "a"), P["lstm"]), r"xs must hold real numbers"),
        (
            lambda: rnn.forward([[[1.0, 2.0]], [[1.0]]], P["rnn"]),
            r"xs must be an array of numbers",
        ),
        (lambda: gru.forward(np.zeros((T, B, D), bool), P["gru"]), r"xs .* got dtype bool"),
        (lambda: lstm.forward(XS, {**P["lstm"], "b_ih": ["x"] * 8}), r"'b_ih'\] must hold real"),
        (
            lambda: lstm.forward(XS, P["lstm"], (STATE[0], np.full((B, H), None))),
            r"\(c\) must hold",
        ),
    ],
)
def test_input_that_is_not_real_numbers_is_named(call, message):
    raises(message, call)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: variants.forward(XS, PEEP, variant="XYZ"), r"variant must be one of .* 'XYZ'"),
        (lambda: variants.forward(XS, PEEP, variant="NIG", peepholes="i"), r"NIG has no gate 'i'"),
        (
            lambda: variants.forward(XS, PEEP, variant="CIFG", peepholes="f"),
            r"CIFG has no gate 'f'",
        ),
        (lambda: variants.spec("NOG", peepholes="io"), r"NOG has no gate 'o'"),
        (lambda: variants.spec("peephole", peepholes="g"), r"peepholes must be a subset of 'ifo'"),
        (lambda: rnn.forward(XS, P["rnn"], nonlinearity="sigmoid"), r"nonlinearity .* 'sigmoid'"),
        (lambda: rnn.cell(XS[0], None, P["rnn"], nonlinearity="gelu"), r"nonlinearity .* 'gelu'"),
        (lambda: rnn.backward(XS, P["rnn"], XS[..., :H], nonlinearity="Tanh"), r"got 'Tanh'"),
        (lambda: lstm.forward(XS, P["lstm"], STATE[0]), r"state0 must be a tuple \(h, c\)"),
        (lambda: lstm.forward(XS, P["lstm"], STATE[:1]), r"state0 must be a tuple \(h, c\)"),
        (lambda: variants.forward(XS, PEEP, (*STATE, STATE[0])), r"state0 must be a tuple"),
        (lambda: lstm.cell(XS[0], STATE[0], P["lstm"]), r"state must be a tuple"),
    ],
)
def test_an_unknown_name_or_a_state_that_is_not_a_tuple_is_named(call, message):
    raises(message, call)


ADDITIVE_NO_V = {"W_q": np.zeros((4, 3)), "W_k": np.zeros((4, 3))}


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: attention.score(Q, K, "cosine"), r"kind must be one of .* 'cosine'"),
        (
            lambda: attention.score(Q, K[..., :2], "dot"),
            r"dot .* same size, got Dq = 3 and Dk = 2",
        ),
        (lambda: attention.score(Q, K[..., :2], "scaled_dot"), r"scaled_dot .* Dk = 2"),
        (lambda: attention.score(Q, K, "general"), r"general attention needs params with W"),
        (lambda: attention.score(Q, K, "general", {"W": np.eye(2)}), r"'W'\] .* = \(3, 3\)"),
        (lambda: attention.score(Q, K, "additive", ADDITIVE_NO_V), r"'v' is missing"),
        (
            lambda: attention.score(Q, K, "additive", {"v": np.zeros(4)}),
            r"missing 'W_q' \(A, Dq\)",
        ),
        (lambda: attention.score(Q[0], K, "dot"), r"query must have 2 dimensions \(B, Dq\)"),
        (lambda: attention.score(Q, K[:1], "dot"), r"keys .* = \(2, S, Dk\), got \(1, 5, 3\)"),
        (lambda: attention.attend(Q, K, K[:, :4]), r"values .* = \(2, 5, Dv\)"),
        (lambda: attention.softmax(Q, np.ones((B, 3))), r"mask must be boolean .* float64"),
        (lambda: attention.softmax(Q, np.ones((3, B), bool)), r"mask .* = \(2, 3\), got \(3, 2\)"),
        (lambda: attention.attend(Q, K, K, mask=np.ones((B, 4), bool)), r"mask .* = \(2, 5\)"),
    ],
)
def test_bad_attention_input_is_named(call, message):
    raises(message, call)


# Every forward, as f(xs, dtype of the parameters) -> the arrays it returns.
FORWARDS = {
    "rnn tanh": lambda xs, dt: rnn.forward(xs, init.rnn(D, H, seed=0, dtype=dt)),
    "rnn relu": lambda xs, dt: rnn.forward(
        xs, init.rnn(D, H, seed=0, dtype=dt), nonlinearity="relu"
    ),
    "rnn cell": lambda xs, dt: rnn.cell(xs[0], None, init.rnn(D, H, seed=0, dtype=dt)),
    "lstm": lambda xs, dt: lstm.forward(xs, init.lstm(D, H, seed=0, dtype=dt)),
    "lstm cell": lambda xs, dt: lstm.cell(xs[0], STATE, init.lstm(D, H, seed=0, dtype=dt)),
    "gru torch": lambda xs, dt: gru.forward(xs, init.gru(D, H, seed=0, dtype=dt)),
    "gru cho": lambda xs, dt: gru.forward(xs, init.gru(D, H, seed=0, dtype=dt), reset_after=False),
    "gru cell": lambda xs, dt: gru.cell(xs[0], STATE[0], init.gru(D, H, seed=0, dtype=dt)),
    **{
        f"variant {name}": lambda xs, dt, name=name: variants.forward(
            xs, init.variant(D, H, name, seed=0, dtype=dt), variant=name
        )
        for name in variants.VARIANTS
    },
    **{
        f"attend {kind}": lambda xs, dt, kind=kind: attention.attend(
            xs[0], xs.transpose(1, 0, 2), xs.transpose(1, 0, 2), kind, ATTENTION_PARAMS[kind](dt)
        )
        for kind in attention.KINDS
    },
    "softmax": lambda xs, dt: attention.softmax(xs[0]),
}
ATTENTION_PARAMS = {
    "dot": lambda dt: None,
    "scaled_dot": lambda dt: None,
    "general": lambda dt: {"W": np.eye(D, dtype=dt)},
    "additive": lambda dt: {
        "W_q": np.eye(D, dtype=dt),
        "W_k": np.eye(D, dtype=dt),
        "v": np.ones(D, dtype=dt),
    },
}
BACKWARDS = {
    "rnn": lambda xs: rnn.backward(xs, P["rnn"], np.ones((T, B, H))),
    "lstm": lambda xs: lstm.backward(xs, P["lstm"], np.ones((T, B, H))),
    "gru torch": lambda xs: gru.backward(xs, P["gru"], np.ones((T, B, H))),
    "gru cho": lambda xs: gru.backward(xs, P["gru"], np.ones((T, B, H)), reset_after=False),
}


def arrays(result):
    """Every array in a nested tuple of results."""
    if isinstance(result, tuple):
        return [a for part in result for a in arrays(part)]
    return [result]


@pytest.mark.parametrize("run", FORWARDS.values(), ids=FORWARDS.keys())
@pytest.mark.parametrize("param_dtype", [np.float32, np.float64])
def test_float32_input_gives_float32_output(run, param_dtype):
    xs = np.random.default_rng(0).normal(size=(T, B, D)).astype(np.float32)
    dtypes = {a.dtype for a in arrays(run(xs, param_dtype))}
    assert dtypes == {np.dtype(np.float32)}


@pytest.mark.parametrize("run", FORWARDS.values(), ids=FORWARDS.keys())
def test_integer_input_becomes_float64(run):
    xs = np.arange(T * B * D).reshape(T, B, D) % 3 - 1  # int64 in {-1, 0, 1}
    result = arrays(run(xs, np.float32))
    assert {a.dtype for a in result} == {np.dtype(np.float64)}
    expected = arrays(run(xs.astype(np.float64), np.float32))
    for actual, want in zip(result, expected, strict=True):
        np.testing.assert_array_equal(actual, want)


@pytest.mark.parametrize("run", BACKWARDS.values(), ids=BACKWARDS.keys())
def test_backward_keeps_float32(run):
    grads = run(np.ones((T, B, D), np.float32))
    assert {g.dtype for g in grads.values()} == {np.dtype(np.float32)}
