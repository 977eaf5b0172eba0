"""Checks of the LSTM-variants exercise (ex03): peepholes on chosen gates, and CIFG.

    i_t = σ(W_i x_t + R_i h_{t-1} + p_i ⊙ c_{t-1} + b_i)     (peephole on i)
    f_t = σ(W_f x_t + R_f h_{t-1} + p_f ⊙ c_{t-1} + b_f)     (peephole on f)
    o_t = σ(W_o x_t + R_o h_{t-1} + p_o ⊙ c_t + b_o)         (peephole on o: the new c_t)
    CIFG: f_t = 1 - i_t, peepholes on i and o (Greff et al. 2017)

The parameters always hold ``p_i``, ``p_f`` and ``p_o``, so a peephole used where
``peepholes`` does not ask for it shows. A peephole that looks at the wrong state is
computed with the reference too: for one batch row, ``p ⊙ s`` is a bias, so folding it
into that row's bias and dropping the peephole gives exactly that mistake.
"""

import numpy as np

from rnnlab import variants
from rnnlab.course.grading import _core, _recurrent, lstm

GATE_NAMES = {"i": "input gate", "f": "forget gate", "o": "output gate"}
SOURCES = {"i": "c_{t-1}", "f": "c_{t-1}", "o": "c_t (the new cell state)"}


def _shapes(peepholes: str):
    def shapes(D: int, H: int, options) -> dict[str, tuple[int, ...]]:
        found = lstm._shapes(D, H, options)
        return found | {f"p_{gate}": (H,) for gate in peepholes}

    return shapes


def _reference(variant: str, peepholes: str):
    def cell(x, state, params, options):
        return variants.cell(x, state, params, variant=variant, peepholes=peepholes)

    return cell


def _folded(variant: str, peepholes: str, gate: str, source: str):
    """The cell whose ``gate`` peephole multiplies ``source`` ("c_prev" or "h_prev")
    instead of the right state: one reference call per batch row, p ⊙ s in the bias."""
    kept = peepholes.replace(gate, "")

    def cell(x, state, params):
        h_prev, c_prev = state
        H = h_prev.shape[1]
        j = "ifgo".index(gate)
        rows = []
        for b in range(len(x)):
            looked_at = (c_prev if source == "c_prev" else h_prev)[b]
            p = {**params, "b_ih": params["b_ih"].copy()}
            p["b_ih"][j * H : (j + 1) * H] += params[f"p_{gate}"] * looked_at
            row = (h_prev[b : b + 1], c_prev[b : b + 1])
            rows.append(variants.cell(x[b : b + 1], row, p, variant, kept))
        return tuple(np.concatenate(parts) for parts in zip(*rows, strict=True))

    return cell


def _peephole_mutants(variant: str, peepholes: str, asked: str) -> list[_recurrent.Mutant]:
    found = []
    for others in ("ifo", ""):
        if others != peepholes:
            used = f"on gates {', '.join(others)}" if others else "nowhere"
            found.append(
                (
                    f"your peepholes act {used}, but here they belong on {asked}",
                    lambda x, s, p, o=others: variants.cell(x, s, p, variant, o),
                )
            )
    for gate in peepholes:
        for source in ("c_prev", "h_prev"):
            if (gate, source) == ("i", "c_prev") or (gate, source) == ("f", "c_prev"):
                continue
            wrong = "c_{t-1}" if source == "c_prev" else "h_{t-1}"
            found.append(
                (
                    f"your {GATE_NAMES[gate]}'s peephole looks at {wrong}: "
                    f"p_{gate} multiplies {SOURCES[gate]}",
                    _folded(variant, peepholes, gate, source),
                )
            )
    return found


def _hints(peepholes: str) -> dict[str, str]:
    hints = dict(lstm.HINTS)
    for gate in "ifo":
        if gate in peepholes:
            hints[f"p_{gate}"] = (
                f"check the {GATE_NAMES[gate]}'s peephole: p_{gate} ⊙ {SOURCES[gate]} "
                f"(elementwise, p_{gate} has shape (H,)) is added to its pre-activation"
            )
        else:
            hints[f"p_{gate}"] = (
                f"the {GATE_NAMES[gate]} has no peephole here: leave p_{gate} out of it"
            )
    return hints


def _family(name: str, variant: str, peepholes: str, extra: list, probe_gates: str):
    asked = ", ".join(peepholes) if peepholes else "no gate"
    family = _recurrent.Family(
        name=name,
        gates="ifgo",
        state=("h", "c"),
        shapes=_shapes("ifo" if variant == "peephole" else peepholes),
        cell=_reference(variant, peepholes),
        forward=lambda xs, s0, p, options: variants.forward(xs, p, s0, variant, peepholes),
        hints=_hints(peepholes),
        layout=lstm.LAYOUT + " Each peephole p_i, p_f, p_o has shape (H,) and acts elementwise.",
        mutants=lambda options: (
            _peephole_mutants(variant, peepholes, asked)
            + extra
            + lstm.state_order_mutants(lambda x, s, p: variants.cell(x, s, p, variant, peepholes))
        ),
        probe=lambda student, options: lstm.probe_gates(student, family, options, probe_gates),
        zero_hint=lstm.ZERO_HINT + " (peepholes zero add nothing)",
    )
    return family


def check_peephole_cell(fn, hidden: bool = False) -> None:
    """Check ``fn(x, (h, c), params, peepholes="ifo") -> (h, c)`` for several ``peepholes``:
    the vanilla LSTM of Greff et al. with peepholes on the gates listed."""
    __tracebackhide__ = True
    count = 0
    for peepholes in ("ifo", "f", "io", "") if not hidden else ("ifo", "o", "if", "fo"):
        family = _family("peephole LSTM", "peephole", peepholes, [], "igof")
        count += _recurrent.check_cell(fn, family, {"peepholes": peepholes}, hidden)
    _core.passed(_core.name_of(fn), count, hidden)


def check_cifg_cell(fn, hidden: bool = False) -> None:
    """Check ``fn(x, (h, c), params) -> (h, c)``: the coupled input-forget gate variant,
    f = 1 - i, with peepholes on i and o."""
    __tracebackhide__ = True
    uncoupled = (
        "your forget gate is computed from its own rows: in CIFG it is coupled, "
        "f_t = 1 - i_t, and the f block of the parameters is not used",
        lambda x, s, p: variants.cell(x, s, {**p, "p_f": np.zeros_like(p["p_i"])}, "peephole"),
    )
    family = _family("CIFG LSTM", "CIFG", "io", [uncoupled], "igo")
    _core.passed(_core.name_of(fn), _recurrent.check_cell(fn, family, {}, hidden), hidden)
