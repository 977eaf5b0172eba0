"""rnnlab.course.grading's checks of the text pipeline (ex00)."""

import pytest
import students

from rnnlab import data
from rnnlab.course import grading


def test_a_right_pipeline_passes_the_visible_and_the_hidden_checks():
    checks = {
        grading.check_tokenize: students.tokenize,
        grading.check_to_ids: students.to_ids,
        grading.check_pad: students.pad_batch,
        grading.check_embed: students.embed,
        grading.check_last_step: students.last_step,
    }
    for check, fn in checks.items():
        check(fn)
        check(fn, hidden=True)


def test_splitting_on_spaces_only_is_named():
    with pytest.raises(AssertionError, match="you split on spaces only"):
        grading.check_tokenize(lambda text: text.lower().split())


def test_an_unknown_token_that_raises_gets_the_unknown_id_hint():
    with pytest.raises(AssertionError, match=r"raised KeyError(?s:.*)gets the unknown id 1"):
        grading.check_to_ids(lambda tokens, stoi: [stoi[token] for token in tokens])


def test_batch_major_padding_is_told_the_course_is_time_major():
    def batch_major(sequences):
        ids, lengths = students.pad_batch(sequences)
        return ids.T, lengths

    with pytest.raises(AssertionError, match="axes are the other way round(?s:.*)time-major"):
        grading.check_pad(batch_major)


def test_float_ids_fail_on_the_dtype():
    def floats(sequences):
        ids, lengths = students.pad_batch(sequences)
        return ids.astype(float), lengths

    with pytest.raises(
        AssertionError, match=r"expected ids of integers \(int64\), got dtype float64"
    ):
        grading.check_pad(floats)


def test_the_last_padded_step_instead_of_the_last_real_one_is_named():
    with pytest.raises(AssertionError, match=r"hs\[-1\] is the last padded step"):
        grading.check_last_step(lambda hs, lengths: hs[-1])


def test_a_pipeline_that_calls_rnnlab_data_earns_nothing():
    with pytest.raises(
        AssertionError, match=r"calls the rnnlab reference \(rnnlab\.data\.text\.embed\)"
    ):
        grading.check_embed(lambda ids, table: data.embed(ids, table))
