"""What crosses the sandbox boundary: data only, checked, never unpickled."""

import base64
import io
import json

import numpy as np
import pytest

from rnnlab.course.classroom import wire


def _roundtrip(value):
    return wire.loads(wire.dumps(value))


def test_arrays_keep_their_values_dtype_and_shape():
    for array in (
        np.arange(6.0).reshape(2, 3),
        np.ones((2, 1), np.float32),
        np.array([True]),
        np.array([[1, 2]], np.int16),
        np.array(["é", "ab"]),
        np.zeros((0, 3)),
    ):
        back = _roundtrip(array)
        assert back.dtype == array.dtype and back.shape == array.shape
        assert np.array_equal(back, array)


def test_containers_keep_their_kind_and_a_numpy_scalar_stays_a_scalar():
    value = {"h": (np.ones(2), [1, "a", None, 2.5]), 3: np.float32(1.5), (1, 2): True}
    back = _roundtrip(value)
    assert isinstance(back["h"], tuple) and isinstance(back["h"][1], list)
    assert back["h"][1] == [1, "a", None, 2.5]
    assert type(back[3]) is np.float32 and back[3] == 1.5
    assert back[(1, 2)] is True


def test_nan_and_infinity_cross():
    back = _roundtrip([float("nan"), float("inf"), np.array([np.nan])])
    assert np.isnan(back[0]) and back[1] == float("inf") and np.isnan(back[2][0])


def test_an_object_that_cannot_cross_arrives_as_its_type_name():
    back = _roundtrip([lambda x: x, np.array([object()], dtype=object)])
    assert all(isinstance(item, wire.Other) for item in back)
    assert [type(item).__name__ for item in back] == ["function", "ndarray"]
    from rnnlab.course.grading._mismatch import describe

    assert describe(back[0]) == "a function"


def _document(value, arrays=()):
    return json.dumps({"value": value, "arrays": list(arrays)})


def _npy(array, allow_pickle=False) -> str:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return base64.b64encode(buffer.getvalue()).decode()


def _nested(depth: int):
    value = 1
    for _ in range(depth):
        value = {"t": "list", "v": [value]}
    return value


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("not json", "not valid JSON"),
        ("[" * 100_000 + "]" * 100_000, "not valid JSON"),
        (
            _document({"t": "array", "v": 0}, [_npy(np.array([{1: 2}], dtype=object), True)]),
            "unreadable array",
        ),  # fmt: skip
        (_document({"t": "array", "v": 3}), "does not hold"),
        (_document({"t": "array", "v": 0}, ["@@@"]), "unreadable array"),
        (_document({"t": "shell", "v": "rm -rf /"}), "unknown kind"),
        (_document({"t": "ref", "v": "lstm"}), "unknown kind"),  # refs only when resolvable
        (_document({"t": "dict", "v": [[{"t": "list", "v": []}, 1]]}), "not hashable"),
        (_document({"t": "list", "v": list(range(wire.MAX_ITEMS + 1))}), "more than"),
        (_document(_nested(40)), "nests too deeply"),
        (_document("x" * wire.MAX_BYTES), "larger than"),
        ('["value", "arrays"]', "not a document"),
    ],
)
def test_a_document_that_is_wrong_or_hostile_is_refused(text, match):
    with pytest.raises(wire.WireError, match=match):
        wire.loads(text)
