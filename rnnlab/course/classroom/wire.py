"""Values across the sandbox boundary: JSON text with numpy arrays as ``.npy`` bytes.

The grader calls a student's function inside the sandboxed kernel and reads back what
it returned; both directions use this format, and nothing is ever unpickled. A value is
JSON (None, bool, int, float, str) or a tagged object:

    {"t": "list" | "tuple", "v": [value, ...]}
    {"t": "dict", "v": [[key, value], ...]}          keys are JSON scalars or tuples
    {"t": "array", "v": k}                           arrays[k], .npy in base64
    {"t": "scalar", "v": k}                          a numpy scalar: arrays[k] is 0-d
    {"t": "ref", "v": "name"}                        a function of the kernel, by name
    {"t": "other", "v": "type name"}                 an object that does not cross

A document is ``{"value": value, "arrays": [base64, ...]}``. ``decode`` checks what a
hostile kernel could send: the size, the depth, and only plain numeric or text arrays
(``allow_pickle=False``); anything else raises :class:`WireError`.

This module is also copied into the sandbox, so it imports numpy and the standard
library only.
"""

import base64
import io
import json

import numpy as np

MAX_BYTES = 16 * 2**20  # a document larger than this is refused
MAX_DEPTH = 16  # nesting of lists, tuples and dicts
MAX_ITEMS = 100_000  # items in all containers of one document
ARRAY_KINDS = "biufcU"  # bool, integers, floats, complex, text: nothing that pickles


class WireError(ValueError):
    """A document that does not parse, is too large, or holds what may not cross."""


class Ref:
    """A function of the kernel's namespace, sent by name (a proxy's own argument)."""

    def __init__(self, name: str):
        self.name = name


class Other:
    """An object that did not cross the boundary: only its type's name did (an instance
    of a subclass of that name, so that ``type(value).__name__`` says what it was)."""

    def __init__(self, type_name: str):
        self.type_name = type_name

    def __repr__(self) -> str:
        return f"<{self.type_name}>"


def other(type_name: str) -> Other:
    """An :class:`Other` for an object of the type named ``type_name``."""
    name = type_name[:60] if type_name[:60].isidentifier() else "object"
    return type(name, (Other,), {})(name)


def dumps(value) -> str:
    """The document of ``value``, as JSON text."""
    arrays: list[str] = []
    return json.dumps({"value": _encode(value, arrays, 0), "arrays": arrays})


def _npy(array: np.ndarray, arrays: list[str]) -> int:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    arrays.append(base64.b64encode(buffer.getvalue()).decode("ascii"))
    return len(arrays) - 1


def _encode(value, arrays: list[str], depth: int):
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if depth >= MAX_DEPTH:
        return {"t": "other", "v": "too deeply nested value"}
    if isinstance(value, np.ndarray) and value.dtype.kind in ARRAY_KINDS:
        return {"t": "array", "v": _npy(value, arrays)}
    if isinstance(value, np.generic) and value.dtype.kind in ARRAY_KINDS:
        return {"t": "scalar", "v": _npy(np.asarray(value), arrays)}
    if isinstance(value, list | tuple):
        items = [_encode(item, arrays, depth + 1) for item in value]
        return {"t": "list" if isinstance(value, list) else "tuple", "v": items}
    if isinstance(value, dict):
        pairs = [
            [_encode(k, arrays, depth + 1), _encode(v, arrays, depth + 1)]
            for k, v in value.items()
        ]
        return {"t": "dict", "v": pairs}
    if isinstance(value, Ref):
        return {"t": "ref", "v": value.name}
    return {"t": "other", "v": type(value).__name__}


def loads(text: str | bytes, resolve=None):
    """The value of a document; ``resolve(name)`` turns a ``ref`` into a function
    (refs are refused when it is None)."""
    if len(text) > MAX_BYTES:
        raise WireError(f"the reply is larger than {MAX_BYTES} bytes")
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise WireError(f"the reply is not valid JSON ({type(error).__name__})") from None
    if not isinstance(document, dict) or not isinstance(document.get("arrays"), list):
        raise WireError("the reply is not a document of values")
    decoder = _Decoder(document["arrays"], resolve)
    return decoder.value(document.get("value"), 0)


class _Decoder:
    def __init__(self, arrays: list, resolve):
        self.arrays, self.resolve, self.items = arrays, resolve, 0

    def value(self, node, depth: int):
        if node is None or isinstance(node, bool | int | float | str):
            return node
        if depth >= MAX_DEPTH or not isinstance(node, dict) or "t" not in node:
            raise WireError("the reply nests too deeply or holds an unknown value")
        kind, content = node["t"], node.get("v")
        if kind in ("list", "tuple", "dict"):
            return self.container(kind, content, depth)
        if kind in ("array", "scalar"):
            array = self.array(content)
            return array[()] if kind == "scalar" else array
        if kind == "ref" and self.resolve is not None and isinstance(content, str):
            return self.resolve(content)
        if kind == "other" and isinstance(content, str):
            return other(content)
        raise WireError(f"the reply holds a value of unknown kind {str(kind)[:40]!r}")

    def container(self, kind: str, content, depth: int):
        if not isinstance(content, list):
            raise WireError(f"the reply's {kind} is not a list")
        self.items += len(content)
        if self.items > MAX_ITEMS:
            raise WireError(f"the reply holds more than {MAX_ITEMS} items")
        if kind != "dict":
            items = [self.value(item, depth + 1) for item in content]
            return items if kind == "list" else tuple(items)
        if not all(isinstance(pair, list) and len(pair) == 2 for pair in content):
            raise WireError("the reply's dict is not a list of pairs")
        pairs = [(self.value(k, depth + 1), self.value(v, depth + 1)) for k, v in content]
        try:
            return dict(pairs)
        except TypeError:
            raise WireError("the reply's dict has a key that is not hashable") from None

    def array(self, index) -> np.ndarray:
        if not isinstance(index, int) or not 0 <= index < len(self.arrays):
            raise WireError("the reply names an array it does not hold")
        try:
            raw = base64.b64decode(self.arrays[index], validate=True)
            array = np.load(io.BytesIO(raw), allow_pickle=False)
        except Exception as error:  # anything np.load raises on bytes it cannot read
            raise WireError(f"the reply holds an unreadable array ({error})"[:200]) from None
        if not isinstance(array, np.ndarray) or array.dtype.kind not in ARRAY_KINDS:
            raise WireError("the reply holds an array that is not numbers or text")
        return array
