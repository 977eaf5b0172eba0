"""A small encoder–decoder with attention, in torch, for the date task of ``rnnlab.data``.

    "25th of June, 2009"  ->  encoder GRU  ->  keys (B, S, H)  ->  decoder GRU + attention
                                                                  ->  "2009-06-25"

The encoder reads the characters of a human date and keeps *all* its states, one per
character. At each output step the decoder compares its state (the query) with every
encoder state (the keys), turns the scores into weights with a masked softmax (padding
gets weight 0), and feeds the weighted average of the states (the context) into its next
step, as in Bahdanau et al. (2015). The scores follow ``rnnlab.attention`` exactly, with
the same names and layouts (``W (Dq, Dk)``; ``W_q (A, Dq)``, ``W_k (A, Dk)``, ``v (A,)``),
so the two can be compared on the same tensors.

Unlike the rest of ``rnnlab`` this module imports torch at the top; ``import rnnlab``
does not import it. The layout is batch-first inside attention (``keys (B, S, H)``, as in
``rnnlab.attention``) and time-major everywhere else (``source (S, B)``, ``logits (10, B, V)``).
"""

import functools
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812 (the torch idiom)
from torch import nn

from rnnlab.book import seeded
from rnnlab.data import DateTask
from rnnlab.data.dates import BOS, ISO_LENGTH

KINDS = ("dot", "scaled_dot", "general", "additive")


def score(query: torch.Tensor, keys: torch.Tensor, kind: str, params: dict) -> torch.Tensor:
    """Scores ``(B, S)`` of ``query (B, Dq)`` against ``keys (B, S, Dk)``: the formulas of
    ``rnnlab.attention.score``, in torch."""
    if kind in ("dot", "scaled_dot"):
        e = torch.einsum("bd,bsd->bs", query, keys)
        return e / keys.shape[-1] ** 0.5 if kind == "scaled_dot" else e
    if kind == "general":
        return torch.einsum("bd,de,bse->bs", query, params["W"], keys)
    if kind == "additive":
        hidden = torch.tanh((query @ params["W_q"].T)[:, None, :] + keys @ params["W_k"].T)
        return hidden @ params["v"]  # (B, S, A) @ (A,) -> (B, S)
    raise ValueError(f"kind must be one of {list(KINDS)}, got {kind!r}")


def softmax(scores: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Weights ``(B, S)`` over S; ``mask (B, S)``, True = keep; an all-False row is an error."""
    if mask is not None:
        if not bool(mask.any(dim=1).all()):
            empty = torch.nonzero(~mask.any(dim=1)).flatten().tolist()
            raise ValueError(f"mask keeps no position in row(s) {empty}")
        scores = scores.masked_fill(~mask, float("-inf"))
    return torch.softmax(scores, dim=1)


def attend(
    query: torch.Tensor,
    keys: torch.Tensor,
    values: torch.Tensor,
    kind: str,
    params: dict,
    mask: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The context ``(B, Dv)`` and the weights ``(B, S)`` of ``query (B, Dq)`` over
    ``keys (B, S, Dk)`` and ``values (B, S, Dv)``, as ``rnnlab.attention.attend``."""
    weights = softmax(score(query, keys, kind, params), mask)
    return torch.einsum("bs,bsd->bd", weights, values), weights


class Attention(nn.Module):
    """The learned parameters of one kind of score, named as in ``rnnlab.attention``."""

    def __init__(self, kind: str, Dq: int, Dk: int, A: int):
        super().__init__()
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {list(KINDS)}, got {kind!r}")
        if kind in ("dot", "scaled_dot") and Dq != Dk:
            raise ValueError(f"{kind} attention needs Dq = Dk, got {Dq} and {Dk}")
        self.kind = kind
        bound = 1 / Dk**0.5  # U(-1/√Dk, 1/√Dk), the scale of torch's own layers
        shapes = {
            "general": {"W": (Dq, Dk)},
            "additive": {"W_q": (A, Dq), "W_k": (A, Dk), "v": (A,)},
        }
        self.params = nn.ParameterDict(
            {
                name: nn.Parameter(torch.empty(shape).uniform_(-bound, bound))
                for name, shape in shapes.get(kind, {}).items()
            }
        )

    def forward(self, query, keys, mask=None):
        """Context ``(B, H)`` and weights ``(B, S)``; keys are also the values."""
        return attend(query, keys, keys, self.kind, dict(self.params), mask)

    def numpy_params(self) -> dict[str, np.ndarray]:
        """The parameters as float64 numpy arrays, ready for ``rnnlab.attention``."""
        return {k: p.detach().double().numpy().copy() for k, p in self.params.items()}


class Seq2Seq(nn.Module):
    """Character embeddings, a GRU encoder, a GRU decoder that attends to every encoder state.

    Args:
        n_source, n_target: vocabulary sizes (id 0 is padding in both).
        E: embedding size. H: hidden size of encoder and decoder. A: additive attention size.
        kind: the score, one of ``KINDS``; ``None`` for no attention: the context is then
            the encoder's last state at every step, as in Cho et al. (2014).
    """

    def __init__(self, n_source: int, n_target: int, E: int = 32, H: int = 64,
                 kind: str | None = "additive", A: int = 64):  # fmt: skip
        super().__init__()
        self.source_embedding = nn.Embedding(n_source, E, padding_idx=0)
        self.encoder = nn.GRU(E, H)  # time-major: (S, B, E) -> (S, B, H)
        self.target_embedding = nn.Embedding(n_target, E)
        self.decoder = nn.GRUCell(E + H, H)  # input [y_{t-1}; c_t]
        self.attention = None if kind is None else Attention(kind, H, H, A)
        self.out = nn.Linear(2 * H, n_target)  # from [s_t; c_t]

    def encode(self, source: torch.Tensor, lengths: torch.Tensor):
        """Keys ``(B, S, H)``, mask ``(B, S)`` and the decoder's first state ``(B, H)``."""
        S, B = source.shape
        hs, _ = self.encoder(self.source_embedding(source))  # (S, B, H)
        keys = hs.transpose(0, 1)  # (B, S, H): every state is kept
        mask = torch.arange(S)[None, :] < lengths[:, None]  # (B, S)
        s0 = keys[torch.arange(B), lengths - 1]  # (B, H): the state after each last character
        return keys, mask, s0

    def context(self, s, keys, mask):
        """The context ``(B, H)`` and weights ``(B, S)`` for the decoder state ``s (B, H)``."""
        if self.attention is None:  # all the weight on the last character's state
            weights = F.one_hot(mask.sum(dim=1) - 1, keys.shape[1]).to(keys.dtype)
            return torch.einsum("bs,bsd->bd", weights, keys), weights
        return self.attention(s, keys, mask)

    def step(self, y_prev, s, keys, mask):
        """One decoder step: logits ``(B, V)``, new state ``(B, H)``, weights ``(B, S)``."""
        c, weights = self.context(s, keys, mask)  # query = previous state s_{t-1}
        s = self.decoder(torch.cat([self.target_embedding(y_prev), c], dim=1), s)
        return self.out(torch.cat([s, c], dim=1)), s, weights

    def forward(self, source, lengths, target_in):
        """Teacher forcing: logits ``(T, B, V)`` and weights ``(T, B, S)`` given the
        previous true characters ``target_in (T, B)`` (``<bos>`` first)."""
        keys, mask, s = self.encode(source, lengths)
        logits, weights = [], []
        for y_prev in target_in:
            z, s, w = self.step(y_prev, s, keys, mask)
            logits.append(z)
            weights.append(w)
        return torch.stack(logits), torch.stack(weights)

    @torch.no_grad()
    def greedy(self, source, lengths, bos: int, steps: int = ISO_LENGTH):
        """Greedy decoding, feeding back its own best guess: ids ``(steps, B)``, weights
        ``(steps, B, S)``."""
        keys, mask, s = self.encode(source, lengths)
        y = torch.full((source.shape[1],), bos, dtype=torch.long)
        ids, weights = [], []
        for _ in range(steps):
            z, s, w = self.step(y, s, keys, mask)
            y = z.argmax(dim=1)
            ids.append(y)
            weights.append(w)
        return torch.stack(ids), torch.stack(weights)


def batch(task: DateTask, pairs: list[tuple[str, str]]):
    """Tensors of ``pairs``: source ``(S, B)``, lengths ``(B,)``, decoder input and target
    ``(10, B)`` each (the input is the target shifted right behind ``<bos>``)."""
    source, lengths = task.encode_source([h for h, _ in pairs])
    target = torch.from_numpy(task.encode_target([iso for _, iso in pairs]))
    bos = torch.full((1, target.shape[1]), task.target.stoi[BOS], dtype=torch.long)
    return (
        torch.from_numpy(source),
        torch.from_numpy(lengths),
        torch.cat([bos, target[:-1]]),
        target,
    )


@dataclass(frozen=True)
class Trained:
    """A trained model, its data, the loss of every update, and the wall-clock seconds."""

    model: Seq2Seq
    task: DateTask
    losses: tuple[float, ...]
    seconds: float


@functools.cache
def train(seed: int = 0, kind: str | None = "additive", n_train: int = 8000,
          n_test: int = 1000, epochs: int = 3, batch_size: int = 64, E: int = 32,
          H: int = 64, lr: float = 3e-3) -> Trained:  # fmt: skip
    """Train a ``Seq2Seq`` on ``DateTask.make(n_train, n_test, seed)`` with teacher forcing,
    cross-entropy and Adam, on one CPU thread.

    Deterministic for a given seed (the global torch random state is left as it was).
    Cached: repeated calls with the same arguments return the same object; do not modify it.
    """
    start = time.perf_counter()
    task = DateTask.make(n_train, n_test, seed)
    with seeded.torch_run(seed):
        model = Seq2Seq(len(task.source), len(task.target), E=E, H=H, kind=kind, A=H)
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        order = torch.Generator().manual_seed(seed)
        losses = []
        for _ in range(epochs):
            for idx in torch.randperm(n_train, generator=order).split(batch_size):
                source, lengths, target_in, target = batch(task, [task.train[i] for i in idx])
                logits, _ = model(source, lengths, target_in)
                loss = F.cross_entropy(logits.flatten(0, 1), target.flatten())
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
    model.eval()
    return Trained(model, task, tuple(losses), time.perf_counter() - start)


def translate(model: Seq2Seq, task: DateTask, humans: list[str]):
    """Greedy ISO strings of ``humans`` and their attention weights ``(B, 10, S)`` (numpy;
    row t says where the decoder looked to write character t)."""
    source, lengths = task.encode_source(humans)
    ids, weights = model.greedy(
        torch.from_numpy(source), torch.from_numpy(lengths), task.target.stoi[BOS]
    )
    return task.decode_target(ids.numpy()), weights.transpose(0, 1).numpy()


def accuracy(model: Seq2Seq, task: DateTask, pairs: list[tuple[str, str]]) -> tuple[float, float]:
    """Exact-match accuracy (all ten characters right) and per-character accuracy of greedy
    decoding on ``pairs``."""
    source, lengths, _, target = batch(task, pairs)
    ids, _ = model.greedy(source, lengths, task.target.stoi[BOS])
    right = ids == target  # (10, B)
    return float(right.all(dim=0).double().mean()), float(right.double().mean())
