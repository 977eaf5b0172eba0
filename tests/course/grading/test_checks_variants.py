"""rnnlab.course.grading's checks of the LSTM variants (ex03): peepholes and CIFG."""

import numpy as np
import pytest
import students

from rnnlab.course import grading


def test_right_peephole_and_cifg_cells_pass_the_visible_and_the_hidden_checks():
    for hidden in (False, True):
        grading.check_peephole_cell(students.peephole(), hidden=hidden)
        grading.check_cifg_cell(students.cifg(), hidden=hidden)


def test_an_output_peephole_on_the_old_cell_state_is_named():
    with pytest.raises(AssertionError, match=r"output gate's peephole looks at c_\{t-1\}"):
        grading.check_peephole_cell(students.peephole(o_source="c"))


def test_peepholes_on_every_gate_when_fewer_are_asked_for_are_named():
    with pytest.raises(AssertionError, match=r"act on gates i, f, o, but here they belong on f"):
        grading.check_peephole_cell(students.peephole(everywhere=True))


def test_peepholes_that_do_nothing_are_named():
    def none(x, state, params, peepholes="ifo"):
        return students.lstm()(x, state, params)

    with pytest.raises(AssertionError, match="your peepholes act nowhere"):
        grading.check_peephole_cell(none)


def test_a_gate_activation_is_still_read_off_with_peepholes():
    def tanh_forget(x, state, params, peepholes="ifo"):
        sources = dict.fromkeys(peepholes, "c") | ({"o": "c_new"} if "o" in peepholes else {})
        return students.lstm(acts={"f": np.tanh}, peepholes=sources)(x, state, params)

    with pytest.raises(AssertionError, match="forget gate f looks like it uses tanh"):
        grading.check_peephole_cell(tanh_forget)


def test_a_cifg_cell_with_its_own_forget_gate_is_told_to_couple_it():
    with pytest.raises(AssertionError, match=r"in CIFG it is coupled, f_t = 1 - i_t"):
        grading.check_cifg_cell(students.cifg(coupled=False))
