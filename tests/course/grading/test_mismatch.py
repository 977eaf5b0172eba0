"""A comparison returns data (a kind and its numbers); the words are made from it in one
place, and diagnoses never read them: rewording every message changes no diagnosis."""

import re

import numpy as np
import pytest
import students

from rnnlab.course import grading
from rnnlab.course.grading import _words
from rnnlab.course.grading._mismatch import Kind, compare

EXPECTED = np.ones((2, 3))


@pytest.mark.parametrize(
    ("got", "kind"),
    [
        ([[1.0, 2.0]], Kind.NOT_AN_ARRAY),
        (None, Kind.NOT_AN_ARRAY),
        (np.ones((2, 3), dtype=np.int64), Kind.NUMBER_KIND),
        (np.ones((3, 2)), Kind.AXES_SWAPPED),
        (np.ones(6), Kind.REARRANGED),
        (np.ones((2, 4)), Kind.SHAPE),
        (np.ones((2, 3), dtype=np.float32), Kind.DTYPE),
        (np.full((2, 3), np.nan), Kind.NOT_FINITE),
        (np.full((2, 3), 2.0), Kind.VALUES),
    ],
)
def test_compare_names_the_kind_of_each_mismatch(got, kind):
    assert compare(got, EXPECTED, "h", "B, H").kind is kind


def test_a_mismatch_of_values_carries_its_numbers():
    got = EXPECTED.copy()
    got[1, 2] = 3.5
    mismatch = compare(got, EXPECTED, "h", "B, H")
    assert (mismatch.largest, mismatch.at) == (2.5, (1, 2))
    assert (mismatch.expected_value, mismatch.got_value) == (1.0, 3.5)
    assert (mismatch.shape, mismatch.labels, mismatch.dtype) == ((2, 3), "B, H", "float64")


def test_more_precision_passes_unless_the_exact_dtype_is_asked_for():
    expected = np.linspace(0, 1, 6, dtype=np.float32).reshape(2, 3)
    assert compare(expected.astype(np.float64), expected, "scores") is None
    assert compare(expected + 1e-7, expected, "scores") is None
    found = compare(expected.astype(np.float64), expected, "h", exact_dtype=True)
    assert (found.kind, found.got_dtype, found.dtype) == (Kind.DTYPE, "float64", "float32")


def test_lists_of_tokens_compare_by_their_items():
    assert compare(["a", "b"], ["a", "b"], "tokens") is None
    assert compare(["a"], ["a", "b"], "tokens").kind is Kind.ITEMS
    assert compare(("a", "b"), ["a", "b"], "tokens").kind is Kind.STRUCTURE


@pytest.mark.parametrize(
    ("got", "words"),
    [
        (
            [[1.0, 2.0]],
            "expected h as a numpy array of shape (B, H) = (2, 3), got a list of 1 item",
        ),
        (None, "got None (is a `return` missing?)"),
        (np.ones((3, 2)), "got shape (3, 2): the axes are the other way round"),
        (np.ones((2, 3), dtype=np.int64), "expected h of floats (float64), got dtype int64"),
        (np.ones((2, 3), dtype=np.float32), "got float32: compute in the input's dtype (yours "),
        (np.full((2, 3), np.nan), "expected finite values in h, got NaN or inf"),
        (np.full((2, 3), 2.0), "wrong values in h: the largest difference is 1 at [0, 0]"),
    ],
)
def test_each_kind_is_put_in_words(got, words):
    assert words in _words.sentence(compare(got, EXPECTED, "h", "B, H"))


def test_every_kind_has_words():
    assert set(_words.TEMPLATES) == set(Kind)


# A mistake per check, each with the diagnosis it gets (by its kind, then its numbers).
MISTAKES = [
    (grading.check_lstm_cell, students.lstm(order="fgio")),
    (grading.check_lstm_forward, students.lstm_forward_of(students.lstm(), returns_c=True)),
    (grading.check_rnn_backward, students.rnn_backward(tanh_factor=False)),
    (grading.check_masked_softmax, students.masked_softmax_of(axis=0)),
    (grading.check_attend, students.attend_of(masked=False)),
    (grading.check_pad, students.pad_batch_major),
]


def diagnosis(check, fn) -> str:
    with pytest.raises(AssertionError) as failure:
        check(fn)
    lines = str(failure.value).splitlines()
    return next(line for line in lines if line.lstrip().startswith("→"))


@pytest.mark.parametrize(("check", "fn"), MISTAKES)
def test_rewording_every_message_changes_no_diagnosis(check, fn, monkeypatch):
    before = diagnosis(check, fn)
    reworded = {kind: f"NEW WORDS {kind.name} {{what}}" for kind in Kind}
    monkeypatch.setattr(_words, "TEMPLATES", reworded)
    with pytest.raises(AssertionError, match="NEW WORDS"):
        check(fn)
    assert diagnosis(check, fn) == before
    assert re.match(r"\s*→ \w", before)


# ------------------------------------------------------ the diagnoses that were missing


@pytest.mark.parametrize(
    ("softmax", "named"),
    [
        (students.masked_softmax_of(axis=0), "you normalize over the batch (axis 0)"),
        (students.masked_softmax_of(max_axis=0), "you subtract each column's maximum (axis 0)"),
        (students.masked_softmax_of(fill=-1e9), "a large negative number (-1e9)"),
        (students.masked_softmax_of(stable=False), "exp overflows for large scores"),
    ],
)
def test_softmax_mistakes_are_named(softmax, named):
    with pytest.raises(AssertionError) as failure:
        grading.check_masked_softmax(softmax, hidden=True)
    assert named in str(failure.value)


def test_a_softmax_over_the_wrong_axis_with_its_maximum_subtracted_is_not_told_to_subtract_it():
    # the maximum over axis 0 leaves a fully masked column at -inf - (-inf) = NaN
    with pytest.raises(AssertionError) as failure:
        grading.check_masked_softmax(students.masked_softmax_of(max_axis=0))
    message = str(failure.value)
    assert "NaN or inf" in message and "column's maximum (axis 0)" in message
    assert "before exp" not in message


@pytest.mark.parametrize(
    ("backward", "named"),
    [
        (students.rnn_backward(tanh_factor=False), "leaves out the derivative of tanh"),
        (students.rnn_backward(summed=False), "holds the last step's term only"),
    ],
)
def test_bptt_mistakes_are_named(backward, named):
    with pytest.raises(AssertionError) as failure:
        grading.check_rnn_backward(backward)
    assert named in str(failure.value)


def test_a_wrong_cell_under_bptt_says_fix_the_cell_first():
    wrong_cell = students.rnn(act=lambda a: np.maximum(a, 0))
    wrong_backward = students.rnn_backward(tanh_factor=False)
    with pytest.raises(AssertionError, match="your rnn_cell is wrong, and BPTT runs through it"):
        grading.check_rnn_backward(wrong_backward, cell=wrong_cell)
    # with a right cell the backward's own mistake is named
    with pytest.raises(AssertionError, match="leaves out the derivative of tanh"):
        grading.check_rnn_backward(wrong_backward, cell=students.rnn())
    grading.check_rnn_backward(students.rnn_backward(), cell=students.rnn())


def test_an_lstm_forward_that_stores_c_in_hs_is_named():
    forward = students.lstm_forward_of(students.lstm(), returns_c=True)
    with pytest.raises(AssertionError, match="hs\\[t\\] holds c_t, the cell state"):
        grading.check_lstm_forward(forward)


def test_a_state_in_another_float_dtype_than_xs_fails():
    forward = students.lstm_forward_of(students.lstm(), zeros_dtype=np.float64)
    with pytest.raises(AssertionError) as failure:
        grading.check_lstm_forward(forward)
    message = str(failure.value)
    assert "expected hs in float32, the dtype of the input, got float64" in message
    assert "make the zero state in the dtype of xs" in message


def test_attend_built_on_the_students_own_wrong_softmax_passes_given_that_softmax():
    wrong_softmax = students.masked_softmax_of(axis=0)
    attend = students.attend_of(softmax=wrong_softmax)
    with pytest.raises(AssertionError, match="attend: expected finite values in weights"):
        grading.check_attend(attend)  # without the student's own functions: a knock-on
    grading.check_attend(attend, score=students.scaled_dot_score, softmax=wrong_softmax)
    wrong_score = students.dot_score
    attend = students.attend_of(score=wrong_score, softmax=wrong_softmax)
    grading.check_attend(attend, score=wrong_score, softmax=wrong_softmax, hidden=True)


def test_own_functions_excuse_no_mistake_of_attend_itself():
    # right own functions: an attend that averages the keys still fails
    with pytest.raises(AssertionError, match="your context averages the keys"):
        grading.check_attend(
            students.attend_of(average="keys"),
            score=students.scaled_dot_score,
            softmax=students.masked_softmax_of(),
        )

    # an own softmax that makes no known mistake vouches for nothing
    def constant(scores, mask=None):
        return np.full(scores.shape, 1 / scores.shape[1])

    with pytest.raises(AssertionError, match="wrong values in weights"):
        grading.check_attend(students.attend_of(softmax=constant), softmax=constant)


class AgreesWithAnything(np.ndarray):
    """A student's array that answers "equal" to every comparison numpy offers."""

    def __array_function__(self, func, types, args, kwargs):
        if func.__name__ in ("allclose", "array_equal", "isclose"):
            return True
        return super().__array_function__(func, types, args, kwargs)

    def __eq__(self, other):
        return np.ones(self.shape, dtype=bool)


def test_an_array_that_agrees_with_anything_is_compared_by_its_numbers():
    zeros = np.zeros((2, 3)).view(AgreesWithAnything)
    assert np.allclose(zeros, np.ones((2, 3)))  # the lie the subclass tells
    assert compare(zeros, np.ones((2, 3)), "h").kind is Kind.VALUES
    assert compare(np.ones((2, 3)).view(AgreesWithAnything), np.ones((2, 3)), "h") is None

    def rnn_cell(x, h, params):
        return np.zeros((x.shape[0], params["W_hh"].shape[1]), x.dtype).view(AgreesWithAnything)

    with pytest.raises(AssertionError, match="wrong values in h"):
        grading.check_rnn_cell(rnn_cell)
