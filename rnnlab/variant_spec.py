"""Which parts of the LSTM each variant has, and the parameters it reads.

The names follow Greff et al. (2017): see ``rnnlab.variants`` for the equations. This
module holds no model, only the description of one, so that ``rnnlab.init`` can draw a
variant's parameters without the reference implementation at hand (a graded notebook's
sandbox has ``init`` but not the models).
"""

from dataclasses import dataclass, replace

GATES = "ifo"  # the gates that can have a peephole, in torch's order


@dataclass(frozen=True)
class Variant:
    """Which parts of the vanilla LSTM are present."""

    name: str
    input_gate: bool = True
    forget_gate: bool = True
    output_gate: bool = True
    input_activation: bool = True
    output_activation: bool = True
    peepholes: str = "ifo"  # the gates with a peephole, a subset of "ifo"
    coupled: bool = False  # CIFG: f = 1 - i
    gate_recurrence: bool = False  # FGR

    @property
    def state_size(self) -> int:
        """How many (B, ·) arrays the state holds: (h, c), or (h, c, a) for FGR."""
        return 3 if self.gate_recurrence else 2


VARIANTS: dict[str, Variant] = {
    "peephole": Variant("peephole"),
    "NIG": Variant("NIG", input_gate=False, peepholes="fo"),
    "NFG": Variant("NFG", forget_gate=False, peepholes="io"),
    "NOG": Variant("NOG", output_gate=False, peepholes="if"),
    "NIAF": Variant("NIAF", input_activation=False),
    "NOAF": Variant("NOAF", output_activation=False),
    "NP": Variant("NP", peepholes=""),
    "CIFG": Variant("CIFG", coupled=True, peepholes="io"),
    "FGR": Variant("FGR", gate_recurrence=True),
}


def spec(variant: str | Variant = "peephole", peepholes: str | None = None) -> Variant:
    """The :class:`Variant` named ``variant``, with peepholes on ``peepholes`` if given.

    ``spec("peephole", peepholes="f")`` is the vanilla LSTM with a peephole on the forget
    gate only; ``spec("NP")`` is torch's LSTM.
    """
    if isinstance(variant, str):
        if variant not in VARIANTS:
            raise ValueError(f"variant must be one of {list(VARIANTS)}, got {variant!r}")
        variant = VARIANTS[variant]
    elif not isinstance(variant, Variant):
        raise ValueError(f"variant must be a name or a Variant, got {type(variant).__name__}")
    if peepholes is None:
        return variant
    if not isinstance(peepholes, str) or set(peepholes) - set(GATES):
        raise ValueError(f"peepholes must be a subset of 'ifo' such as 'io', got {peepholes!r}")
    present = {
        "i": variant.input_gate,
        "f": variant.forget_gate and not variant.coupled,
        "o": variant.output_gate,
    }
    absent = [gate for gate in peepholes if not present[gate]]
    if absent:
        raise ValueError(f"variant {variant.name} has no gate {absent[0]!r} to put a peephole on")
    return replace(variant, peepholes="".join(g for g in GATES if g in peepholes))


def parameter_shapes(variant: Variant, D: int, H: int) -> dict[str, tuple[int, ...]]:
    """The shape of every parameter ``variant`` reads, for input size D and hidden size H."""
    shapes = {"W_ih": (4 * H, D), "W_hh": (4 * H, H), "b_ih": (4 * H,), "b_hh": (4 * H,)}
    shapes |= {f"p_{gate}": (H,) for gate in variant.peepholes}
    if variant.gate_recurrence:
        shapes["W_gg"] = (3 * H, 3 * H)
    return shapes
