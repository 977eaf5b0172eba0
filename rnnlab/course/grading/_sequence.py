"""The check of a recurrent family's loop over time (``forward``), shared by the RNN,
the LSTM and the GRU.

A wrong ``hs`` is explained by the first step that differs: a later step means the state
is not carried (compared with the loop that restarts from state0 at every step, the one
that stores the state before the step, and the one that runs backwards); the first step
means the cell itself is wrong, and the student's forward run on one step is diagnosed
as a cell.

Given the student's own ``cell``, the loop is graded on its own: when that cell makes a
known mistake, a forward that equals that mistake run over time passes, so that one
mistake in the cell, which the cell's own test charges, is not charged twice.
"""

import numpy as np

from rnnlab.course.grading import _core, _runner
from rnnlab.course.grading._mismatch import Kind, Mismatch, structure
from rnnlab.course.grading._recurrent import (
    Family,
    Options,
    Student,
    diagnose_cell,
    inputs,
    mutants,
    options_text,
    state_parts,
    student_cell,
    unpack,
)
from rnnlab.course.grading._runner import Part

ZEROS_DTYPE = "with state0=None, make the zero state in the dtype of xs (dtype=xs.dtype)"


def check_forward(fn, family: Family, options: Options, hidden: bool, cell=None) -> int:
    """Compare the student's forward with the reference, with and without a start state;
    with the student's ``cell``, also accept the loop over time of a known mistake it makes.

    Returns the number of cases checked.
    """
    __tracebackhide__ = True
    count = 0
    for case in _core.cases(hidden):
        xs, state, params = inputs(case, family, options)
        for state0 in (state, None):
            count += 1
            label = case.label() + (", state0=None" if state0 is None else "")
            label += options_text(options)
            _check_case(fn, family, options, xs, (state, state0), params, label, cell)
    return count


def _check_case(fn, family, options, xs, states, params, label, cell) -> None:
    """One case: call, compare hs and the final state, accept the loop of the student's
    own cell's mistake, or fail with the diagnosis of a wrong hs."""
    __tracebackhide__ = True
    name, state0 = _core.name_of(fn), states[1]
    given = None if state0 is None else family.pack(state0)
    result = _core.call(fn, name, xs, params, given, layout=family.layout, case=label, **options)
    hs = result[0] if isinstance(result, tuple | list) and result else None
    why = {
        Kind.VALUES: lambda m: diagnose_forward(fn, family, options, xs, state0, params, hs),
        Kind.DTYPE: lambda m: ZEROS_DTYPE if state0 is None else None,
    }
    expected_hs, expected_final = family.forward(xs, state0, params, options)
    parts = _forward_parts(family, result, expected_hs, expected_final, why)
    own = cell is not None and _runner.first_difference(parts)
    if own and _own_loop(cell, family, options, xs, states, params, result):
        return
    _runner.verdict(name, label, parts)


def _own_loop(cell, family: Family, options: Options, xs, states, params, result) -> bool:
    """Whether ``result`` is the loop over time of a known mistake that the student's
    ``cell`` makes (gate blocks swapped, tanh for a sigmoid, a bias left out, ...): one
    mistake in the cell is then not charged to the loop too. The mistake is named from
    one step of the cell at the case's random state ``states[0]`` (a zero state hides
    some), then run over time here from the forward's start ``states[1]``: never by
    calling the student's cell again, since a kernel keeps state and could answer each
    call with whatever matches its forward."""
    probe, state0 = states
    zeros = np.zeros((xs.shape[1], params["W_hh"].shape[1]), dtype=xs.dtype)
    start = state0 if state0 is not None else tuple(zeros for _ in family.state)
    got = student_cell(cell, family, options)(xs[0], probe, params)
    if got is None:
        return False
    for _, mutant in mutants(family, options, params):
        try:
            with np.errstate(all="ignore"):
                if not _core.same(got, mutant(xs[0], probe, params)):
                    continue
                hs, state = _run(mutant, xs, start, params)
        except (ValueError, IndexError):  # a mistake that does not exist for these sizes
            continue
        return _runner.first_difference(_forward_parts(family, result, hs, state)) is None
    return False


def _run(step, xs, state, params) -> tuple[np.ndarray, tuple]:
    """``(hs, final state)`` of a reference-computed ``step`` run over ``xs``."""
    hs = []
    for x in xs:
        state = tuple(step(x, state, params))
        hs.append(state[0])
    return np.stack(hs), state


def _forward_parts(family, result, expected_hs, expected_final, why_hs=None) -> list:
    """What to compare of the student's ``(hs, final state)``: hs (a wrong one explained by
    ``why_hs``), then the final state."""
    final = "h_T" if len(family.state) == 1 else "(h_T, c_T)"
    if not isinstance(result, tuple | list) or len(result) != 2:
        return [structure("result", result, f"the pair (hs, {final})")]
    hs, got_final = result
    hs_part = Part("hs", hs, expected_hs, "T, B, H", why_hs or {}, exact_dtype=True)
    got_final = unpack(family, got_final, f"final state {final}")
    if isinstance(got_final, Mismatch):
        return [hs_part, got_final]
    note = "(hs is right: the final state is the state after the last step)"
    return [hs_part, *state_parts(family, got_final, expected_final, prefix="final ", note=note)]


def diagnose_forward(fn, family, options, xs, state0, params, hs) -> str | None:
    """Why the student's ``hs`` differs: the first step, or how the state is carried."""
    expected, _ = family.forward(xs, state0, params, options)
    zeros = tuple(np.zeros_like(expected[0]) for _ in family.state)
    start = zeros if state0 is None else state0
    t = next(t for t in range(len(xs)) if not _core.close(hs[t], expected[t]))
    if state0 is None and not _core.close(hs[0], family.cell(xs[0], start, params, options)[0]):
        return f"with state0=None start from zeros {family.state_text}, each of shape (B, H)"
    mistakes = _loop_mistakes(family, options, xs, (state0, start), params, expected)
    found = _core.first_match(hs, mistakes)
    if found:
        return found
    if t > 0:
        return (
            f"hs[0..{t - 1}] are right but hs[{t}] differs: step {t} must start from the "
            f"state {family.state_text} that step {t - 1} produced"
        )
    return _first_step(fn, family, options, xs[0], start, params)


def _loop_mistakes(family, options, xs, states, params, expected) -> list:
    """The usual mistakes of a loop over time, each as the hs it gives; ``states`` is
    (state0 as given, the state the loop starts from), ``expected`` the right hs."""
    state0, start = states

    def cell_states():
        state, cs = start, []
        for x in xs:
            state = family.cell(x, state, params, options)
            cs.append(state[1])
        return np.stack(cs)

    return [
        (
            "every step starts from state0: carry the state from one step to the next",
            lambda: np.stack([family.cell(x, start, params, options)[0] for x in xs]),
        ),
        (
            "hs[t] holds the state *before* step t: store the new state after each step",
            lambda: np.concatenate([start[0][None], expected[:-1]]),
        ),
        (
            "your steps run backwards in time: go from t = 0 to T - 1",
            lambda: family.forward(xs[::-1], state0, params, options)[0][::-1],
        ),
        (
            "hs[t] holds c_t, the cell state: hs holds the outputs h_t = o_t ⊙ tanh(c_t)",
            cell_states if len(family.state) == 2 else lambda: None,
        ),
    ]


def _first_step(fn, family, options, x, start, params) -> str:
    """The first step is wrong: the student's forward run on one step, diagnosed as a cell."""
    name = _core.name_of(fn)

    def one_step(x, state, p):
        result = _core.call(
            fn, name, x[None], p, family.pack(state), layout=family.layout, **options
        )
        got = unpack(family, result[1] if isinstance(result, tuple) else None, "final state")
        if isinstance(got, Mismatch):
            raise AssertionError(got)
        return got

    got = Student(one_step)(x, start, params)
    inner = got and diagnose_cell(Student(one_step), family, options, x, start, params, got)
    return "the first step already differs from one cell step" + (f": {inner}" if inner else "")
