"""Input validation shared by every model family.

Each check raises ``ValueError`` naming the argument, the expected shape (with the
symbols of the book: T, B, D, H, ...) and the actual one, so that a shape mistake is
reported where it is made instead of surfacing later as a numpy broadcasting error.
"""

from collections.abc import Mapping

import numpy as np

Dim = tuple[str, int | None]  # (symbol, size); size None means "any"


def _format(dims: tuple[Dim, ...]) -> str:
    symbols = ", ".join(label for label, _ in dims)
    sizes = ", ".join(label if size is None else str(size) for label, size in dims)
    comma = "," if len(dims) == 1 else ""
    if symbols == sizes:
        return f"({symbols}{comma})"
    return f"({symbols}{comma}) = ({sizes}{comma})"


def as_float_array(value, name: str, dtype: np.dtype | None = None) -> np.ndarray:
    """``value`` as a float array (of ``dtype`` if given; integers become float64)."""
    try:
        array = np.asarray(value)
    except Exception as error:  # ragged lists and the like
        raise ValueError(f"{name} must be an array of numbers: {error}") from None
    if array.dtype.kind not in "fiu" or array.dtype.kind == "b":
        raise ValueError(f"{name} must hold real numbers, got dtype {array.dtype}")
    if dtype is not None:
        return array.astype(dtype, copy=False)
    return array if array.dtype.kind == "f" else array.astype(np.float64)


def check_shape(array: np.ndarray, name: str, dims: tuple[Dim, ...]) -> np.ndarray:
    """Raise ValueError unless ``array`` has the rank and sizes described by ``dims``."""
    expected = _format(dims)
    if array.ndim != len(dims):
        raise ValueError(
            f"{name} must have {len(dims)} dimensions {expected}, "
            f"got {array.ndim} (shape {array.shape})"
        )
    for axis, (_, size) in enumerate(dims):
        if size is not None and array.shape[axis] != size:
            raise ValueError(f"{name} must have shape {expected}, got {array.shape}")
    return array


def sequence(xs, name: str = "xs") -> np.ndarray:
    """A time-major batch of sequences ``(T, B, D)`` with T, B, D ≥ 1."""
    xs = check_shape(as_float_array(xs, name), name, (("T", None), ("B", None), ("D", None)))
    if 0 in xs.shape:
        raise ValueError(f"{name} must not be empty, got shape {xs.shape}")
    return xs


def hidden_size(params: Mapping, gates: int, family: str) -> int:
    """H, read off ``W_hh`` of shape ``(gates*H, H)``."""
    if not isinstance(params, Mapping):
        raise ValueError(f"params must be a dict of arrays, got {type(params).__name__}")
    if "W_hh" not in params:
        raise ValueError(f"params is missing 'W_hh' for the {family}; it has {sorted(params)}")
    W_hh = np.asarray(params["W_hh"])
    if W_hh.ndim != 2 or W_hh.shape[0] != gates * W_hh.shape[1] or W_hh.shape[1] == 0:
        g = f"{gates}·H" if gates > 1 else "H"
        raise ValueError(
            f"params['W_hh'] of the {family} must have shape ({g}, H), got {W_hh.shape}"
        )
    return W_hh.shape[1]


def parameters(
    params: Mapping, spec: dict[str, tuple[Dim, ...]], dtype: np.dtype, family: str
) -> dict[str, np.ndarray]:
    """The arrays named in ``spec``, cast to ``dtype`` and checked against their shapes."""
    missing = [key for key in spec if key not in params]
    if missing:
        wanted = ", ".join(f"'{key}' {_format(spec[key])}" for key in missing)
        raise ValueError(f"params is missing {wanted} for the {family}; it has {sorted(params)}")
    return {
        key: check_shape(
            as_float_array(params[key], f"params['{key}']", dtype), f"params['{key}']", dims
        )
        for key, dims in spec.items()
    }


def state(
    value, name: str, batch: int, hidden: int, dtype: np.dtype, label: str = "H"
) -> np.ndarray:
    """A state ``(B, H)`` (``label`` names the second size); zeros when ``value`` is None."""
    if value is None:
        return np.zeros((batch, hidden), dtype=dtype)
    array = as_float_array(value, name, dtype)
    return check_shape(array, name, (("B", batch), (label, hidden)))


def recurrent_params(
    params: Mapping, gates: int, input_size: int, dtype: np.dtype, family: str
) -> dict[str, np.ndarray]:
    """The four torch-layout arrays ``W_ih, W_hh, b_ih, b_hh`` of a G-gate recurrence."""
    H = hidden_size(params, gates, family)
    rows = (f"{gates}·H" if gates > 1 else "H", gates * H)
    spec = {
        "W_ih": (rows, ("D", input_size)),
        "W_hh": (rows, ("H", H)),
        "b_ih": (rows,),
        "b_hh": (rows,),
    }
    return parameters(params, spec, dtype, family)


def gradient(value, name: str, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """An upstream gradient such as ``d_hs`` that must match the output's shape exactly."""
    array = as_float_array(value, name, dtype)
    labels = ("T", "B", "H")[-len(shape) :] if len(shape) <= 3 else tuple("?" * len(shape))
    return check_shape(array, name, tuple(zip(labels, shape, strict=True)))


def step_input(x, name: str = "x") -> np.ndarray:
    """One time step's input ``(B, D)``."""
    return check_shape(as_float_array(x, name), name, (("B", None), ("D", None)))


def _wrong_state(value, name: str, parts: str, sizes) -> None:
    length = len(value) if isinstance(value, tuple | list) else "not a tuple"
    shapes = ", ".join(
        f"{part} (B, {label})" for part, (label, _) in zip(parts, sizes, strict=True)
    )
    raise ValueError(
        f"{name} must be a tuple ({', '.join(parts)}) with {shapes}; "
        f"got {type(value).__name__} ({length})"
    )


def states(
    value,
    name: str,
    parts: str,
    sizes: tuple[int, ...],
    batch: int,
    dtype,
    required: int | None = None,
) -> tuple[np.ndarray, ...]:
    """A state made of several ``(B, size)`` arrays, such as the LSTM's ``(h, c)``.

    ``parts`` names them ("hc"); None, or parts left off after the first ``required``,
    become zeros.
    """
    required = len(parts) if required is None else required
    if value is None:
        value = ()
    elif not isinstance(value, tuple | list) or not required <= len(value) <= len(parts):
        _wrong_state(value, name, parts, sizes)
    value = tuple(value) + (None,) * (len(parts) - len(value))
    return tuple(
        state(v, f"{name}[{k}] ({parts[k]})", batch, size, dtype, label)
        for k, (v, (label, size)) in enumerate(zip(value, sizes, strict=True))
    )
