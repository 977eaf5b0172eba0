"""rnnlab.activations: values, derivatives (through the output) and numerical range."""

import math
import warnings

import numpy as np
import pytest
from helpers import numerical_gradient

from rnnlab import activations
from rnnlab.activations import d_relu, d_sigmoid, d_tanh, identity, relu, sigmoid, tanh

X = np.linspace(-6.0, 6.0, 49)  # includes 0


def test_friendly_values_by_hand():
    assert sigmoid(np.array(0.0)) == 0.5  # 1 / (1 + e^0)
    assert sigmoid(np.array(1.0)) == pytest.approx(1 / (1 + math.exp(-1)), rel=1e-15)
    assert tanh(np.array(0.0)) == 0.0
    np.testing.assert_array_equal(relu(np.array([-0.5, 0.0, 0.5])), [0.0, 0.0, 0.5])
    np.testing.assert_array_equal(identity(np.array([-0.5, 1.0])), [-0.5, 1.0])


def test_sigmoid_is_the_logistic_function():
    np.testing.assert_allclose(sigmoid(X), 1 / (1 + np.exp(-X)), rtol=1e-14, atol=1e-16)
    np.testing.assert_allclose(sigmoid(X) + sigmoid(-X), 1.0, rtol=1e-15)  # σ(-x) = 1 - σ(x)


def test_sigmoid_and_tanh_do_not_overflow_at_huge_inputs():
    x = np.array([-1000.0, -50.0, 50.0, 1000.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # exp(1000) would overflow and warn
        s, t = sigmoid(x), tanh(x)
    assert s[0] == 0.0 and s[-1] == 1.0 and np.all(np.isfinite(s))
    np.testing.assert_array_equal(t, [-1.0, -1.0, 1.0, 1.0])


def test_sigmoid_is_accurate_to_1e_16_everywhere_and_relatively_where_it_is_not_tiny():
    x = np.linspace(-60.0, 60.0, 2401)
    exact = np.exp(-np.logaddexp(0.0, -x))  # 1 / (1 + e^-x) without cancellation
    np.testing.assert_allclose(sigmoid(x), exact, rtol=0, atol=2e-16)
    middle = x >= -5.0  # σ ≥ 0.0067: every bit that matters for a gate
    np.testing.assert_allclose(sigmoid(x[middle]), exact[middle], rtol=1e-13)


@pytest.mark.parametrize(
    ("f", "d_f"), [(sigmoid, d_sigmoid), (tanh, d_tanh)], ids=["sigmoid", "tanh"]
)
def test_each_derivative_written_through_the_output_is_the_slope(f, d_f):
    for x0 in X:
        x = np.array([x0])
        slope = numerical_gradient(lambda x=x: float(f(x)[0]), x)
        np.testing.assert_allclose(d_f(f(np.array([x0]))), slope, rtol=1e-7, atol=1e-10)


def test_relu_derivative_is_zero_up_to_zero_and_one_above():
    np.testing.assert_array_equal(d_relu(relu(np.array([-1.0, 0.0, 1e-9, 2.0]))), [0, 0, 1, 1])


def test_derivatives_by_hand_at_zero():
    assert d_sigmoid(sigmoid(np.array(0.0))) == 0.25  # 0.5 (1 - 0.5)
    assert d_tanh(tanh(np.array(0.0))) == 1.0  # 1 - 0²


@pytest.mark.parametrize(
    "name", ["sigmoid", "tanh", "relu", "identity", "d_sigmoid", "d_tanh", "d_relu"]
)
def test_every_function_keeps_float32(name):
    x = np.linspace(-2, 2, 5, dtype=np.float32)
    assert getattr(activations, name)(x).dtype == np.float32


def test_the_rnn_nonlinearities_are_tanh_and_relu_with_their_derivatives():
    assert {"tanh": (tanh, d_tanh), "relu": (relu, d_relu)} == activations.NONLINEARITIES
