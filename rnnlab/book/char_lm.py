"""A character-level language model on Python's own source: one training for ``nn.RNN``,
``nn.LSTM`` and ``nn.GRU``.

    "def f(x):\\n    retur"  ->  one-hot x_t (V,)  ->  recurrent layer h_t (H,)  ->  logits (V,)
                                                                       ->  "n" next?

The text is a few modules of Python's standard library (``corpus/stdlib.txt``, PSF
License, see ``corpus/README.md``). The last module, ``textwrap``, is held out: the
perplexity is measured on it and the model never trains on it.

Training uses *truncated backpropagation through time*: the training text is cut into
``batch`` long streams read side by side, chunk after chunk of ``chunk`` characters. The
hidden state at the end of a chunk is the start of the next one (the model sees an
unbroken text), but it is detached, so the gradient stops at the chunk's border and every
step costs ``chunk`` steps of backpropagation, not the whole text.

``rnnlab/__init__`` does not import this module, and torch is imported inside the
functions. Trained models are kept on disk (``disk_cache``) under a key made of this
file's code, the corpus, the settings and torch's version.
"""

import hashlib
import math
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from rnnlab.book import disk_cache, seeded

CORPUS = Path(__file__).with_name("corpus") / "stdlib.txt"
HELD_OUT = "# ==== Lib/textwrap.py ====\n"  # the held-out module starts at this line
KINDS = ("RNN", "LSTM", "GRU")
CLIP = 1.0  # gradient-norm clipping, as for the adding problem
EVERY = 50  # the held-out perplexity is measured every EVERY training steps
# The chapters' runs: about a minute of CPU for the three kinds together (the GRU is the
# slowest of them in torch on a CPU), each reading the training text about four times.
DEFAULTS = {"H": 128, "chunk": 64, "batch": 64, "steps": 200, "lr": 0.01, "seed": 0}
TEMPERATURES = (0.2, 0.6, 1.0, 1.5)  # the chapters' samples
PROMPT = "def "
SAMPLE_LENGTH = 240


@dataclass(frozen=True)
class Text:
    """The corpus as ids: the vocabulary ``chars`` (sorted), the training and held-out ids."""

    chars: str
    train: np.ndarray  # (N_train,) int64
    held_out: np.ndarray  # (N_held,) int64

    def encode(self, s: str) -> np.ndarray:
        """The ids ``(len(s),)`` of the characters of ``s``."""
        return np.array([self.chars.index(ch) for ch in s], dtype=np.int64)

    def decode(self, ids) -> str:
        return "".join(self.chars[i] for i in ids)


@cache
def text() -> Text:
    """The corpus, split before the held-out module; the vocabulary covers both parts."""
    corpus = CORPUS.read_text(encoding="utf-8")
    cut = corpus.index(HELD_OUT)
    chars = "".join(sorted(set(corpus)))
    lookup = {ch: i for i, ch in enumerate(chars)}
    ids = np.array([lookup[ch] for ch in corpus], dtype=np.int64)
    return Text(chars, ids[:cut], ids[cut:])


def streams(ids: np.ndarray, batch: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and targets ``(L, batch)``: column b is the b-th of ``batch`` equal, contiguous
    pieces of ``ids``, and the target of every character is the next one."""
    L = (len(ids) - 1) // batch
    xs = ids[: L * batch].reshape(batch, L).T  # (L, batch)
    ys = ids[1 : L * batch + 1].reshape(batch, L).T  # (L, batch): shifted by one
    return xs, ys


def unigram_perplexity(train: np.ndarray, held_out: np.ndarray, V: int) -> float:
    """The perplexity on ``held_out`` of the model that ignores the past: each character's
    frequency in ``train`` (plus one, so no character has probability 0)."""
    counts = np.bincount(train, minlength=V) + 1.0
    log_p = np.log(counts / counts.sum())  # (V,)
    return float(np.exp(-log_p[held_out[1:]].mean()))  # the first character is never predicted


def model(kind: str, V: int, H: int):
    """``nn.RNN``, ``nn.LSTM`` or ``nn.GRU`` with one-hot inputs (D = V) and H units, read out
    by ``nn.Linear(H, V)`` at every step: the logits of the next character."""
    import torch

    if kind not in KINDS:
        raise ValueError(f"kind must be one of {list(KINDS)}, got {kind!r}")

    class CharModel(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.kind, self.V = kind, V
            self.recurrent = getattr(torch.nn, kind)(V, H)
            self.readout = torch.nn.Linear(H, V)

        def forward(self, ids: torch.Tensor, state=None):
            xs = torch.nn.functional.one_hot(ids, V).float()  # (T, B) -> (T, B, V)
            hs, state = self.recurrent(xs, state)  # (T, B, H)
            return self.readout(hs), state  # logits (T, B, V)

    return CharModel()


def detach(state):
    """The state with its history cut: ``h`` (RNN, GRU) or ``(h, c)`` (LSTM)."""
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


def loss(logits, ys):
    """Mean cross-entropy (nats per character) of ``logits (T, B, V)`` for targets ``(T, B)``."""
    import torch

    return torch.nn.functional.cross_entropy(logits.flatten(0, 1), ys.flatten())


def bptt_step(net, optimizer, xs, ys, state):
    """One step of truncated BPTT on a chunk ``xs, ys (chunk, B)`` that continues ``state``.

    Returns the chunk's loss (a float) and its final state, detached: the next chunk starts
    from it, but no gradient will flow back into this chunk.
    """
    import torch

    logits, state = net(xs, state)
    chunk_loss = loss(logits, ys)
    optimizer.zero_grad()
    chunk_loss.backward()
    torch.nn.utils.clip_grad_norm_(net.parameters(), CLIP)
    optimizer.step()
    return chunk_loss.item(), detach(state)


def held_out_loss(net, ids: np.ndarray) -> float:
    """Mean cross-entropy of ``net`` on ``ids``, read as one stream from a zero state."""
    import torch

    x = torch.from_numpy(ids[:-1, None])  # (N - 1, 1)
    with torch.no_grad():
        logits, _ = net(x)
    return loss(logits, torch.from_numpy(ids[1:, None])).item()


def perplexity(mean_loss: float) -> float:
    """exp of the mean cross-entropy per character: the number of equally likely
    characters the model is, on average, as unsure as."""
    return math.exp(mean_loss)


@dataclass(frozen=True)
class Run:
    """One training: per-step losses, the held-out perplexity along the way, the model."""

    kind: str
    losses: tuple[float, ...]  # training cross-entropy of every step's chunk
    curve: tuple[tuple[int, float], ...]  # (step, held-out perplexity) every EVERY steps
    perplexity: float  # held-out perplexity at the end
    seconds: float  # CPU time of the training that filled the cache (never glued)
    model: object  # the trained CharModel


def fit(kind: str, H: int, chunk: int, batch: int, steps: int, lr: float, seed: int) -> Run:
    """Train ``kind`` with Adam and truncated BPTT (no cache). The streams start again
    from a zero state whenever they run out."""
    import torch

    data = text()
    xs, ys = (torch.from_numpy(a) for a in streams(data.train, batch))
    per_pass = xs.shape[0] // chunk
    with seeded.torch_run(seed):
        start = time.process_time()  # CPU time: the machine may be shared
        net = model(kind, len(data.chars), H)
        optimizer = torch.optim.Adam(net.parameters(), lr=lr)
        losses, curve, state = [], [], None
        for step in range(steps):
            if step % EVERY == 0:
                curve.append((step, perplexity(held_out_loss(net, data.held_out))))
            k = step % per_pass
            state = None if k == 0 else state  # a new pass: the streams start over
            window = slice(k * chunk, (k + 1) * chunk)
            step_loss, state = bptt_step(net, optimizer, xs[window], ys[window], state)
            losses.append(step_loss)
        curve.append((steps, perplexity(held_out_loss(net, data.held_out))))
        seconds = time.process_time() - start
    return Run(kind, tuple(losses), tuple(curve), curve[-1][1], seconds, net)


def train(kind: str, **settings) -> Run:
    """:func:`fit` with ``DEFAULTS`` for what ``settings`` leaves out, cached in memory and
    on disk, so every chapter (and the tests) share one run per kind and settings."""
    unknown = set(settings) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"unknown settings {sorted(unknown)}; known: {list(DEFAULTS)}")
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {list(KINDS)}, got {kind!r}")
    return _train(kind, tuple(sorted((DEFAULTS | settings).items())))


@cache
def _train(kind: str, settings: tuple) -> Run:
    import torch

    key = (Path(__file__).read_bytes(), CORPUS.read_bytes(), kind, settings, EVERY, CLIP)
    digest = hashlib.sha256(repr(key).encode()).hexdigest()[:16]
    path = disk_cache.path("char_lm", kind, digest, f"torch{torch.__version__}")
    if path.exists():
        saved = torch.load(path, weights_only=False)  # our own file, written below
        net = model(kind, len(text().chars), dict(settings)["H"])
        net.load_state_dict(saved.pop("state"))
        return Run(model=net, **saved)
    run = fit(kind, **dict(settings))
    fields = {k: getattr(run, k) for k in ("kind", "losses", "curve", "perplexity", "seconds")}
    disk_cache.write(path, lambda f: torch.save({**fields, "state": run.model.state_dict()}, f))
    return run


def sample(net, prompt: str, length: int, temperature: float, seed: int = 0) -> str:
    """``length`` characters drawn one at a time after ``prompt``, each fed back in.

    The next character is drawn from softmax(logits / temperature): below 1 the likely
    characters get likelier (0 is the argmax every time), above 1 the distribution
    flattens towards uniform. Seeded, on one thread (a step is far too small to share).
    """
    import torch

    data = text()
    ids = torch.from_numpy(data.encode(prompt))[:, None]  # (P, 1)
    out = []
    with seeded.torch_run(seed), torch.no_grad():
        logits, state = net(ids)
        for _ in range(length):
            out.append(pick(logits[-1, 0], temperature))
            logits, state = net(torch.tensor([[out[-1]]]), state)
    return data.decode(out)


def pick(logits, temperature: float) -> int:
    """One id from ``logits (V,)`` at ``temperature`` (0: the argmax)."""
    import torch

    if temperature < 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    if temperature == 0:
        return int(logits.argmax())
    probs = torch.softmax(logits / temperature, dim=-1)
    return int(torch.multinomial(probs, 1))
