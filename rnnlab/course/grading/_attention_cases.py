"""The cases of the attention checks (ex05): sizes, seeds and the arrays of each.

Shapes: query (B, Dq), keys (B, S, Dk), values (B, S, Dv), scores and weights (B, S);
A is the additive score's hidden size. The visible cases, the fixed hidden ones, and
hidden ones drawn from the grading seed when a notebook is graded.
"""

from dataclasses import dataclass

import numpy as np

from rnnlab.course.grading import _core


@dataclass(frozen=True)
class Case:
    """Sizes and seed of one attention case (A is the additive score's hidden size)."""

    B: int
    S: int
    Dq: int
    Dk: int
    Dv: int
    A: int
    seed: int
    dtype: str = "float64"

    def label(self) -> str:
        sizes = f"B={self.B}, S={self.S}, Dq={self.Dq}, Dk={self.Dk}, Dv={self.Dv}"
        return f"{sizes}, seed={self.seed}" + (
            f", {self.dtype}" if self.dtype != "float64" else ""
        )

    def arrays(self) -> dict[str, np.ndarray]:
        """query, keys, values, the parameters of every score, and a padding mask."""
        rng = np.random.default_rng(self.seed)
        shapes = {
            "query": (self.B, self.Dq),
            "keys": (self.B, self.S, self.Dk),
            "values": (self.B, self.S, self.Dv),
            "W": (self.Dq, self.Dk),
            "W_q": (self.A, self.Dq),
            "W_k": (self.A, self.Dk),
            "v": (self.A,),
            "scores": (self.B, self.S),
        }
        found = {k: rng.normal(size=s).astype(self.dtype) for k, s in shapes.items()}
        lengths = rng.integers(1, self.S + 1, size=self.B)  # every row keeps ≥ 1 position
        found["mask"] = np.arange(self.S)[None, :] < lengths[:, None]  # (B, S)
        return found


VISIBLE = (
    Case(B=1, S=1, Dq=3, Dk=3, Dv=2, A=2, seed=1),
    Case(B=2, S=5, Dq=4, Dk=4, Dv=3, A=3, seed=2),
    Case(B=3, S=4, Dq=2, Dk=2, Dv=2, A=5, seed=3),
    Case(B=2, S=3, Dq=3, Dk=3, Dv=4, A=2, seed=4, dtype="float32"),
)
HIDDEN = (
    Case(B=1, S=6, Dq=5, Dk=5, Dv=2, A=3, seed=101),
    Case(B=4, S=2, Dq=3, Dk=3, Dv=3, A=4, seed=102),
    Case(B=2, S=7, Dq=2, Dk=2, Dv=5, A=2, seed=103),
    Case(B=3, S=3, Dq=4, Dk=4, Dv=1, A=3, seed=104, dtype="float32"),
)
# The general and additive scores also take Dq ≠ Dk.
UNEQUAL = (
    Case(B=2, S=4, Dq=3, Dk=5, Dv=2, A=4, seed=5),
    Case(B=1, S=3, Dq=6, Dk=2, Dv=3, A=2, seed=105),
)
LAYOUT = (
    "query is (B, Dq) and keys (B, S, Dk): one score per batch row and position, so "
    "scores are (B, S): each row's query meets each of that row's S keys, a batched product "
    "over the feature axis."
)


def _draw(rng: np.random.Generator, unequal: bool) -> tuple[Case, ...]:
    """Hidden cases of random sizes (the first with B = S = 1, the last float32); with
    ``unequal``, Dq ≠ Dk in every case."""
    drawn = []
    for k in range(4):
        B, S, Dq, Dv, A = (int(n) for n in rng.integers(1, 7, size=5))
        B, S = (1, 1) if k == 0 else (B, S)
        Dk = Dq + int(rng.integers(1, 4)) if unequal else Dq
        dtype = "float32" if k == 3 else "float64"
        drawn.append(Case(B, S, Dq, Dk, Dv, A, seed=int(rng.integers(10**6)), dtype=dtype))
    return tuple(drawn)


def cases(hidden: bool, unequal: bool = False) -> tuple[Case, ...]:
    """The visible cases, or the hidden ones (drawn when a notebook is graded)."""
    rng = _core.drawn_rng("attention") if hidden else None
    if rng is not None:
        return _draw(rng, unequal=False) + (_draw(rng, unequal=True) if unequal else ())
    chosen = HIDDEN if hidden else VISIBLE
    return chosen + (UNEQUAL[1:] if hidden else UNEQUAL[:1]) if unequal else chosen
