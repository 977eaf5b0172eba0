"""Random problems and the finite-difference check shared by the backward tests."""

import numpy as np
from helpers import numerical_gradient, random_params


def problem(rng: np.random.Generator, gates: int, states: str = "h", T=3, B=2, D=2, H=2):
    """Standard-normal ``params``, ``xs (T, B, D)``, ``d_hs (T, B, H)`` and one ``(B, H)``
    array per letter of ``states`` (named ``h0``, ``c0``)."""
    G = gates
    shapes = {"W_ih": (G * H, D), "W_hh": (G * H, H), "b_ih": (G * H,), "b_hh": (G * H,)}
    params = random_params(rng, shapes)
    xs, d_hs = rng.normal(size=(T, B, D)), rng.normal(size=(T, B, H))
    return params, xs, d_hs, {f"{s}0": rng.normal(size=(B, H)) for s in states}


def assert_matches_differences(loss, grads: dict, arrays: dict) -> None:
    """``grads`` (from a backward) equal the central differences of the scalar ``loss()``
    with respect to each of ``arrays``, which ``loss`` reads (they are perturbed in place)."""
    assert set(grads) == set(arrays), f"backward returned {sorted(grads)}, not {sorted(arrays)}"
    for name, array in arrays.items():
        expected = numerical_gradient(loss, array)
        np.testing.assert_allclose(grads[name], expected, rtol=1e-6, atol=1e-8, err_msg=name)


def assert_gradients_equal(actual: dict, expected: dict, tol: float = 1e-10) -> None:
    """Same keys, and every gradient equal to ``tol`` (absolute and relative)."""
    assert set(actual) == set(expected), f"{sorted(actual)} != {sorted(expected)}"
    for name in expected:
        np.testing.assert_allclose(actual[name], expected[name], rtol=tol, atol=tol, err_msg=name)
