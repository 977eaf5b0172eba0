"""A long-memory task, the adding problem, and a small torch comparison of nn.RNN and nn.LSTM.

The adding problem (Hochreiter and Schmidhuber 1997): every step carries two features, a
random number in [0, 1) and a marker in {0, 1}. Exactly two steps are marked, one in the
first half of the sequence and one in the second half; the target is the sum of the two
marked numbers. The answer is only read after the last step, so a network must carry the
first marked number across up to T steps of distracting input.

Two reference levels the trained models are measured against:

* **chance**: always answering the mean target 1 gives the mean squared error
  Var(a + b) = 2/12 = 1/6 (a, b uniform on [0, 1));
* **last number only**: a network that forgets the early number but adds the late one
  to 0.5 (the early number's mean) gets Var(a) = 1/12.

``rnnlab/__init__`` does not import this module: it needs torch (imported inside the
training function), and the generator is plain numpy.
"""

import time
from dataclasses import dataclass
from functools import cache

import numpy as np

from rnnlab.book import seeded

FEATURES = 2  # (number, marker) at every step
TOLERANCE = 0.04  # an answer counts as right when |prediction - target| < 0.04 (as in 1997)
# The chapter's run: long enough that the plain RNN fails, short enough for ~10 s of CPU.
CLIP = 1.0  # gradient-norm clipping: it tames the plain RNN's rare loss spikes
DEFAULTS = {
    "T": 100,
    "H": 32,
    "steps": 2000,
    "batch": 64,
    "lr": 0.01,
    "seed": 0,
    "test_size": 1000,
}


def adding_problem(n: int, T: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` sequences of the adding problem, time-major.

    Returns ``xs (T, n, 2)`` float32, whose feature 0 is the number and feature 1 the
    marker, and ``targets (n,)`` float32, the sum of the two marked numbers.
    """
    if T < 2:
        raise ValueError(f"T must be at least 2 (one marker in each half), got {T}")
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    numbers = rng.uniform(0.0, 1.0, size=(T, n))  # (T, n)
    first = rng.integers(0, T // 2, size=n)  # one marked step in the first half ...
    second = rng.integers(T // 2, T, size=n)  # ... and one in the second half
    markers = np.zeros((T, n))
    markers[first, np.arange(n)] = 1.0
    markers[second, np.arange(n)] = 1.0
    xs = np.stack([numbers, markers], axis=-1)  # (T, n, 2)
    targets = (numbers * markers).sum(axis=0)  # (n,)
    return xs.astype(np.float32), targets.astype(np.float32)


def reference_levels(xs: np.ndarray, targets: np.ndarray) -> dict[str, float]:
    """The mean squared errors of the two reference answers on a data set, and the
    accuracy of the first.

    ``"chance"``: always 1 (the mean target); ``"last_only"``: the second marked number
    plus 0.5, what a network that remembers only the recent past can do at best;
    ``"chance_accuracy"``: the fraction of targets within TOLERANCE of 1.
    """
    T = xs.shape[0]
    late = (xs[T // 2 :, :, 0] * xs[T // 2 :, :, 1]).sum(axis=0)  # (n,) the second number
    return {
        "chance": float(np.mean((targets - 1.0) ** 2)),
        "last_only": float(np.mean((targets - (late + 0.5)) ** 2)),
        "chance_accuracy": float(np.mean(np.abs(targets - 1.0) < TOLERANCE)),
    }


@dataclass(frozen=True)
class Run:
    """One training run: the per-step training losses and the final test metrics."""

    kind: str
    losses: tuple[float, ...]  # training MSE of each step's batch
    test_mse: float
    test_accuracy: float  # fraction of test answers within TOLERANCE of the target
    seconds: float  # wall-clock time of the training (not deterministic: never glued)
    model: object  # the trained torch module (recurrent layer + linear read-out)


def held_out(T: int, seed: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The test set of :func:`train` (same ``T``, ``seed`` and ``test_size``): its own
    generator, so no test sequence is a training batch."""
    return adding_problem(size, T, np.random.default_rng([seed, 1]))


def _model(kind: str, H: int):
    """``nn.RNN`` or ``nn.LSTM`` with input size 2 and H units, read out by ``nn.Linear(H, 1)``
    applied to the last hidden state."""
    import torch

    class Reader(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.recurrent = getattr(torch.nn, kind)(FEATURES, H)
            self.readout = torch.nn.Linear(H, 1)

        def forward(self, xs: torch.Tensor) -> torch.Tensor:
            hs, _ = self.recurrent(xs)  # (T, B, H)
            return self.readout(hs[-1]).squeeze(-1)  # (B,): only the last step is read

    return Reader()


def train(
    kind: str,
    T: int = DEFAULTS["T"],
    H: int = DEFAULTS["H"],
    steps: int = DEFAULTS["steps"],
    batch: int = DEFAULTS["batch"],
    lr: float = DEFAULTS["lr"],
    seed: int = DEFAULTS["seed"],
    test_size: int = DEFAULTS["test_size"],
) -> Run:
    """Train ``kind`` ("RNN" or "LSTM") on fresh adding-problem batches with Adam.

    Deterministic for a given set of arguments: torch's generator and the data's numpy
    generator are seeded with ``seed`` and the training runs in float32 on one CPU
    thread. The caller's thread count, default dtype and torch generator are left as
    they were. Both kinds see the same batches for the same ``seed``; the test set comes
    from a separate generator. Cached per argument set, so the chapter's numbers and
    plots reuse one run.
    """
    return _train(kind, T, H, steps, batch, lr, seed, test_size)


@cache  # called with every argument in order, so equal runs share one cache entry
def _train(
    kind: str, T: int, H: int, steps: int, batch: int, lr: float, seed: int, test_size: int
) -> Run:
    import torch

    if kind not in ("RNN", "LSTM"):
        raise ValueError(f"kind must be 'RNN' or 'LSTM', got {kind!r}")
    with seeded.torch_run(seed):  # float32, as the data
        start = time.perf_counter()
        model = _model(kind, H)
        losses = _fit(model, T, steps, batch, lr, seed)
        seconds = time.perf_counter() - start
        xs, targets = held_out(T, seed, test_size)
        with torch.no_grad():
            error = (model(torch.from_numpy(xs)) - torch.from_numpy(targets)).numpy()
    return Run(
        kind=kind,
        losses=tuple(losses),
        test_mse=float(np.mean(error**2)),
        test_accuracy=float(np.mean(np.abs(error) < TOLERANCE)),
        seconds=seconds,
        model=model,
    )


def _fit(model, T: int, steps: int, batch: int, lr: float, seed: int) -> list[float]:
    """``steps`` steps of Adam, each on a fresh batch of the adding problem drawn from a
    numpy generator seeded with ``seed``; returns every step's training loss."""
    import torch

    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    rng = np.random.default_rng(seed)
    losses = []
    for _ in range(steps):
        xs, targets = adding_problem(batch, T, rng)
        loss = torch.nn.functional.mse_loss(model(torch.from_numpy(xs)), torch.from_numpy(targets))
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP)
        optimizer.step()
        losses.append(loss.item())
    return losses
