"""rnnlab.course.grading's attention checks (ex05): scores, masked softmax, attend."""

import numpy as np
import pytest
import students

from rnnlab.course import grading


def test_right_attention_functions_pass_the_visible_and_the_hidden_checks():
    checks = {
        grading.check_dot_score: students.dot_score,
        grading.check_scaled_dot_score: students.scaled_dot_score,
        grading.check_general_score: students.general_score,
        grading.check_additive_score: students.additive_score,
        grading.check_masked_softmax: students.masked_softmax_of(),
        grading.check_attend: students.attend_of(),
    }
    for check, fn in checks.items():
        check(fn)
        check(fn, hidden=True)


def test_a_scaled_score_without_the_square_root_is_named():
    with pytest.raises(AssertionError, match=r"you do not divide by √D"):
        grading.check_scaled_dot_score(students.dot_score)


def test_scores_with_their_axes_swapped_fail_on_the_shape():
    def transposed(query, keys):
        return students.dot_score(query, keys).T

    with pytest.raises(
        AssertionError, match=r"expected scores of shape \(B, S\) = \(2, 5\), got shape \(5, 2\)"
    ):
        grading.check_dot_score(transposed)


def test_a_general_score_with_w_transposed_is_named():
    def transposed(query, keys, W):
        return students.general_score(query, keys, W.T)

    with pytest.raises(AssertionError, match="you use Wᵀ"):
        grading.check_general_score(transposed)


def test_an_additive_score_without_tanh_is_named():
    def linear(query, keys, W_q, W_k, v):
        return ((query @ W_q.T)[:, None, :] + keys @ W_k.T) @ v

    with pytest.raises(AssertionError, match="you left out the tanh"):
        grading.check_additive_score(linear)


@pytest.mark.parametrize(
    ("softmax", "message"),
    [
        (students.masked_softmax_of(masked=False), "you ignore the mask"),
        (students.masked_softmax_of(fill=0.0), "you set the masked scores to 0"),
        (students.masked_softmax_of(stable=False), "exp overflows for large scores: subtract"),
    ],
    ids=["unmasked", "masked with 0", "no max subtracted"],
)
def test_a_wrong_masked_softmax_fails_with_what_is_wrong(softmax, message):
    with np.errstate(all="ignore"), pytest.raises(AssertionError, match=message):
        grading.check_masked_softmax(softmax)


def test_attend_with_the_plain_dot_product_is_told_to_scale():
    with pytest.raises(AssertionError, match="attend uses the scaled score"):
        grading.check_attend(students.attend_of(score=students.dot_score))


def test_attend_that_ignores_the_mask_is_named():
    with pytest.raises(AssertionError, match="wrong values in weights(?s:.*)you ignore the mask"):
        grading.check_attend(students.attend_of(masked=False))


def test_attend_that_averages_the_keys_is_named():
    with pytest.raises(AssertionError, match="weights are right(?s:.*)context averages the keys"):
        grading.check_attend(students.attend_of(average="keys"))
