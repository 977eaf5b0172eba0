"""rnnlab.course.grading's GRU checks (ex04): both conventions, and the usual mistakes."""

import numpy as np
import pytest
import students

from rnnlab.course import grading


def test_a_right_gru_passes_in_both_conventions_visible_and_hidden():
    for hidden in (False, True):
        for reset_after in (True, False):
            grading.check_gru_cell(students.gru(), reset_after=reset_after, hidden=hidden)
        grading.check_gru_forward(students.gru_forward_of(students.gru()), hidden=hidden)


def test_cho_s_convention_where_torch_s_was_asked_is_named():
    with pytest.raises(
        AssertionError, match=r"n follows Cho et al.'s convention.*asks for torch's"
    ):
        grading.check_gru_cell(students.gru(swap_conventions=True), reset_after=True)


def test_torch_s_convention_where_cho_s_was_asked_is_named():
    with pytest.raises(
        AssertionError, match=r"n follows torch's convention.*asks for Cho et al.'s"
    ):
        grading.check_gru_cell(students.gru(swap_conventions=True), reset_after=False)


def test_the_update_mixed_the_other_way_round_is_named():
    with pytest.raises(AssertionError, match=r"mix the other way round: h_t = \(1 - z_t\)"):
        grading.check_gru_cell(students.gru(reversed_update=True))


def test_tanh_for_the_update_gate_is_named():
    with pytest.raises(
        AssertionError, match="update gate z looks like it uses tanh instead of sigmoid"
    ):
        grading.check_gru_cell(students.gru(z_act=np.tanh), reset_after=False)


def test_b_hn_outside_the_reset_gate_is_named():
    with pytest.raises(AssertionError, match=r"b_hn is added outside r_t ⊙ \(...\)"):
        grading.check_gru_cell(students.gru(b_hn_inside=False), reset_after=True)


def test_a_loop_over_the_wrong_convention_is_traced_to_its_first_step():
    forward = students.gru_forward_of(students.gru(swap_conventions=True))
    with pytest.raises(AssertionError, match=r"first step already differs .* Cho et al.'s"):
        grading.check_gru_forward(forward)
