"""The check of a backpropagation through time, for any recurrent family: the student's
``fn(xs, params, d_hs, state0)`` returns a dict of gradients, compared key by key with the
reference's, in the order given (the simplest sum first).

A wrong gradient is explained by the family's own ``diagnose``; when the student's one
step (``cell``) is wrong on the first step, by "fix the cell first" instead, since the
gradients run through it.
"""

from collections.abc import Callable

import numpy as np

from rnnlab.course.grading import _core, _recurrent, _runner
from rnnlab.course.grading._mismatch import Kind, Mismatch, structure
from rnnlab.course.grading._recurrent import Family
from rnnlab.course.grading._runner import Part

Gradients = dict[str, tuple[str, str]]  # key -> (the book's symbols of its shape, its formula)
Diagnose = Callable[[Callable, dict, str, tuple, str], str]  # (fn, got, key, args, formula)


def check(fn, family: Family, hidden: bool, cell, backward: Callable, gradients: Gradients,
          diagnose: Diagnose, start: str) -> int:  # fmt: skip
    """Compare ``fn`` with the reference ``backward(xs, params, d_hs, state0)`` on every
    case, from the case's state and from None (named ``start`` in the label); returns the
    number of calls checked."""
    __tracebackhide__ = True
    name = _core.name_of(fn)
    count = 0
    for case in _core.cases(hidden):
        xs, state0, params = _recurrent.inputs(case, family, {})
        d_hs = case.normal(np.random.default_rng(case.seed + 1000), case.T, case.B, case.H)
        for state in (family.pack(state0), None):
            count += 1
            label = case.label() + (f", {start}=None" if state is None else "")
            args = (xs, params, d_hs, state)
            parts = _parts(fn, args, family, cell, backward(*args), gradients, diagnose)
            _runner.run(fn, name, args, label, parts, layout=family.layout)
    return count


def _parts(fn, args, family, cell, expected: dict, gradients: Gradients, diagnose: Diagnose):
    """What to compare of the student's dict of gradients, and how to explain each."""

    def parts(got):
        expected_keys = f"a dict with the keys {', '.join(gradients)}"
        if not isinstance(got, dict):
            return [structure("result", got, expected_keys)]
        missing = ", ".join(key for key in gradients if key not in got)
        if missing:
            return [Mismatch(Kind.STRUCTURE, "result", expected_keys, f"a dict without {missing}")]
        why = _recurrent.cell_first(cell, family, args[0], args[3], args[1])
        return [
            Part(f"gradient of {key}", got[key], expected[key], labels, {Kind.VALUES: (
                lambda m, k=key, h=hint: why or diagnose(fn, got, k, args, h))})
            for key, (labels, hint) in gradients.items()
        ]  # fmt: skip

    return parts
