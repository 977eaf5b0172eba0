"""Checks shared by the recurrent families (RNN, LSTM and its variants, GRU): one step
(``cell``) and the loop over time (``forward``).

When the student's result differs from the reference, the diagnosis tries, in order:

1. deliberately wrong variants computed *with the reference* on changed inputs: gate
   blocks read in another order (the parameters' blocks permuted), a bias left out (set
   to zero), ``W`` where ``W.T`` belongs (a square matrix transposed), and the family's
   own (the GRU's other convention, the LSTM without a gate, ...);
2. the family's probe, which reads each gate off the output on inputs where the other
   gates are saturated, to tell which activation it uses;
3. isolation: every parameter alone nonzero, then each of its gate blocks alone, to
   say which term is off.

The loop over time is checked in ``_sequence``, the probes' tools are in ``_probes``.
"""

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rnnlab.course.grading import _core, _runner
from rnnlab.course.grading._core import Case
from rnnlab.course.grading._mismatch import Kind, Mismatch, structure
from rnnlab.course.grading._runner import Part

State = tuple[np.ndarray, ...]
Options = dict
Step = Callable[[np.ndarray, State, dict], State]  # (x, state, params) -> next state
Mutant = tuple[str, Step]


@dataclass(frozen=True)
class Family:
    """What the generic checks need to know about one recurrent family."""

    name: str  # "LSTM", for messages
    gates: str  # gate blocks in torch's order: "ifgo", "rzn"; "h" for the RNN's one block
    state: tuple[str, ...]  # ("h",) or ("h", "c")
    shapes: Callable[[int, int, Options], dict[str, tuple[int, ...]]]  # (D, H, options)
    cell: Callable[..., State]  # reference (x, state, params, options) -> next state
    forward: Callable[..., tuple[np.ndarray, State]]  # reference (xs, state0, params, options)
    hints: dict[str, str]  # what to check when the term of each parameter is off
    layout: str  # added to the message of a shape error in the student's code
    mutants: Callable[[Options], list[Mutant]] = lambda options: []
    probe: Callable[[Callable, Options], str | None] | None = None
    zero_hint: str = ""  # what every parameter zero should give

    def pack(self, state: State):
        """The state as the student's function takes it: ``h``, or the tuple ``(h, c)``."""
        return state[0] if len(self.state) == 1 else tuple(state)

    @property
    def state_text(self) -> str:
        return self.state[0] if len(self.state) == 1 else f"({', '.join(self.state)})"


def inputs(case: Case, family: Family, options: Options):
    """Random ``xs (T, B, D)``, state (each ``(B, H)``) and parameters for ``case``."""
    rng = case.rng()
    xs = case.normal(rng, case.T, case.B, case.D)
    state = tuple(case.normal(rng, case.B, case.H) for _ in family.state)
    shapes = family.shapes(case.D, case.H, options)
    params = {key: case.normal(rng, *shape) for key, shape in shapes.items()}
    return xs, state, params


def unpack(family: Family, result, what: str) -> State | Mismatch:
    """The student's returned state as a tuple, or the mismatch of its structure."""
    if len(family.state) == 1:
        return (result,)
    if not isinstance(result, tuple | list) or len(result) != len(family.state):
        return structure(what, result, f"the tuple {family.state_text}")
    return tuple(result)


def state_parts(family: Family, got: State, expected: State, prefix="", **part) -> list[Part]:
    """The parts of a state to compare, ``h`` then ``c``; ``part`` adds to each."""
    return [
        Part(prefix + name, g, e, "B, H", exact_dtype=True, **part)
        for name, g, e in zip(family.state, got, expected, strict=True)
    ]


class Student:
    """The student's one-step function as ``(x, state, params) -> state`` for diagnoses:
    returns None instead of raising, so a probe that breaks it is just inconclusive."""

    def __init__(self, step: Callable[[np.ndarray, State, dict], State]):
        self.step = step

    def __call__(self, x, state, params) -> State | None:
        try:
            return self.step(x, state, params)
        except AssertionError:
            return None


def student_cell(fn, family: Family, options: Options) -> Student:
    name = _core.name_of(fn)

    def step(x, state, params):
        result = _core.call(
            fn, name, x, family.pack(state), params, layout=family.layout, **options
        )
        got = unpack(family, result, "result")
        if isinstance(got, Mismatch):
            raise AssertionError(got)
        return got

    return Student(step)


def cell_first(cell, family: Family, xs, state0, params) -> str | None:
    """ "Fix the cell first", when the student's ``cell`` is wrong on the first step of
    ``xs`` from ``state0`` (as the student's function takes it; None for zeros): a
    gradient computed through a wrong cell cannot be right."""
    if cell is None:
        return None
    name = _core.name_of(cell)
    zeros = np.zeros((xs.shape[1], params["W_hh"].shape[1]), xs.dtype)
    state = tuple(zeros for _ in family.state) if state0 is None else unpack(family, state0, "")
    try:
        step = student_cell(cell, family, {}).step(xs[0], state, params)
    except AssertionError:
        step = None
    expected = family.cell(xs[0], state, params, {})
    if step is not None and all(map(_core.close, step, expected)):
        return None
    return f"your {name} is wrong, and BPTT runs through it: fix {name} first (its test says how)"


def options_text(options: Options) -> str:
    return "".join(f", {key}={value!r}" for key, value in options.items())


def check_cell(fn, family: Family, options: Options, hidden: bool) -> int:
    """Compare the student's cell with the reference on every case; explain a difference.

    Returns the number of cases checked.
    """
    __tracebackhide__ = True
    name = _core.name_of(fn)
    for case in _core.cases(hidden):
        label = case.label(sequence=False) + options_text(options)
        xs, state, params = inputs(case, family, options)
        parts = _cell_parts(fn, family, options, xs[0], state, params)
        args = (xs[0], family.pack(state), params)
        _runner.run(fn, name, args, label, parts, layout=family.layout, **options)
    return len(_core.cases(hidden))


def _cell_parts(fn, family: Family, options: Options, x, state, params):
    """What to compare of the student's next state, and how to explain a difference."""
    expected = family.cell(x, state, params, options)

    def parts(result):
        got = unpack(family, result, "result")
        if isinstance(got, Mismatch):
            return [got]
        student = student_cell(fn, family, options)
        why = {
            Kind.VALUES: lambda m: diagnose_cell(student, family, options, x, state, params, got)
        }
        return state_parts(family, got, expected, diagnoses=why)

    return parts


def diagnose_cell(student: Student, family, options, x, state, params, got) -> str | None:
    """Why ``got``, the student's next state, differs: see the module docstring."""
    ref = family.cell
    candidates = [
        (message, lambda m=mutant: m(x, state, params))
        for message, mutant in mutants(family, options, params)
    ]
    found = _core.first_match(got, candidates)
    if found:
        return found
    if family.probe is not None:
        found = family.probe(student, options)
        if found:
            return found
    zero = {k: np.zeros_like(v) for k, v in params.items()}
    part = _differing_part(family, student(x, state, zero), ref(x, state, zero, options))
    if part:
        return f"with every parameter zero your {part} already differs: {family.zero_hint}"
    for key in params:
        isolated = _core.only(params, key)
        part = _differing_part(
            family, student(x, state, isolated), ref(x, state, isolated, options)
        )
        if part:
            return _isolation_message(student, family, options, x, state, params, key, part)
    return None


def _differing_part(family: Family, got: State | None, expected: State) -> str | None:
    """The name of the first state part that differs ("h" or "c"); "result" if unusable."""
    if got is None:
        return "result"
    for part, g, e in zip(family.state, got, expected, strict=True):
        if not _core.close(g, e):
            return part
    return None


def _isolation_message(student, family, options, x, state, params, key, part) -> str:
    message = (
        f"with only {key} nonzero (every other parameter zero) your {part} differs "
        f"→ {family.hints.get(key, f'check the term with {key}')}"
    )
    W = params[key]
    if W.ndim == 2 and W.shape[0] == W.shape[1]:
        transposed = _core.only(params, key)
        transposed[key] = W.T.copy()
        got = student(x, state, _core.only(params, key))
        if got is not None and not _differing_part(
            family, got, family.cell(x, state, transposed, options)
        ):
            return message + f". Your result matches {key}ᵀ instead of {key}: {family.layout}"
    H = state[0].shape[1]
    if len(family.gates) > 1 and W.shape[0] == len(family.gates) * H:
        blocks = []
        for j, gate in enumerate(family.gates):
            isolated = _core.only(params, key, slice(j * H, (j + 1) * H))
            if _differing_part(
                family, student(x, state, isolated), family.cell(x, state, isolated, options)
            ):
                blocks.append(f"{gate} (rows {_rows(j)})")
        if len(blocks) == 1:
            message += f". The difference comes from its {blocks[0]} block"
        elif blocks:
            message += f". The difference comes from its blocks {', '.join(blocks)}"
    return message


def _rows(j: int) -> str:
    """Rows of gate block j in the book's symbols: 0:H, H:2H, 2H:3H, ..."""
    return f"{j}H:{j + 1}H".replace("0H", "0").replace("1H", "H")


def mutants(family: Family, options: Options, params: dict) -> list[Mutant]:
    """Deliberately wrong variants of the reference cell, each with what it means."""
    ref = family.cell
    found: list[Mutant] = []
    order = family.gates
    for permutation in itertools.permutations(range(len(order))):
        if list(permutation) == sorted(permutation):
            continue
        student_order = "".join(order[k] for k in permutation)
        # The student's gate order[k] reads block student_order.index(order[k]).
        blocks = [student_order.index(gate) for gate in order]
        found.append(
            (
                f"your gate blocks seem to be in the order {', '.join(student_order)} instead "
                f"of {', '.join(order)}: in torch's layout rows 0:H are {order[0]}, H:2H "
                f"{order[1]}, and so on",
                lambda x, s, p, b=blocks: ref(x, s, _permuted(p, b), options),
            )
        )
    for key, term in (("b_hh", "recurrent"), ("b_ih", "input")):
        found.append(
            (
                f"your result is what you get without {key}: add the {term} bias {key}",
                lambda x, s, p, k=key: ref(x, s, _zeroed(p, k), options),
            )
        )
    for key in ("W_hh", "W_ih"):
        if params[key].shape[0] == params[key].shape[1]:
            found.append(
                (
                    f"your result matches {key}ᵀ instead of {key}: {family.layout}",
                    lambda x, s, p, k=key: ref(x, s, {**p, k: p[k].T.copy()}, options),
                )
            )
    return found + family.mutants(options)


def _permuted(params: dict, blocks: list[int]) -> dict:
    """``params`` with gate block k of every stacked array replaced by block ``blocks[k]``."""
    H = params["W_hh"].shape[1]
    G = len(blocks)
    rows = np.concatenate([np.arange(b * H, (b + 1) * H) for b in blocks])
    return {k: v[rows] if v.shape[0] == G * H else v for k, v in params.items()}


def _zeroed(params: dict, key: str) -> dict:
    return {**params, key: np.zeros_like(params[key])}
