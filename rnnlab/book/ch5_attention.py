"""Chapter 5's worked examples and every number its prose cites.

The hand-sized example: a decoder state (the query) looks at three encoder states, which
are both the keys and the values, as in an encoder–decoder. Every kind of score is worked
on the same numbers, then the weights, the context, and the mask of a padded position.

    q   = (1, 0)                      the decoder state            (B, Dq) = (1, 2)
    h_1 = (1, 0), h_2 = (0, 1), h_3 = (1, 1)   the encoder states  (B, S, Dk) = (1, 3, 2)
    general:  W = [[0, 1], [1, 0]]  (it swaps the two features)
    additive: W_q = W_k = I (A = 2), v = (1, -1)

``numbers()`` adds a measurement of why scaled dot-product attention divides by √d, and the
trained date model of ``rnnlab.book.seq2seq`` (torch; trained once per process, cached).
"""

import datetime as dt
import inspect

import numpy as np

from rnnlab import attention
from rnnlab.data.dates import ISO_LENGTH, format_date

QUERY = np.array([[1.0, 0.0]])  # (B, Dq) = (1, 2)
KEYS = np.array([[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]])  # (B, S, Dk) = (1, 3, 2)
VALUES = KEYS  # the encoder states are both what is compared and what is averaged
MASK = np.array([[True, True, False]])  # (B, S): pretend h_3 is padding
PARAMS = {
    "dot": None,
    "scaled_dot": None,
    "general": {"W": np.array([[0.0, 1.0], [1.0, 0.0]])},  # (Dq, Dk)
    "additive": {
        "W_q": np.eye(2),  # (A, Dq)
        "W_k": np.eye(2),  # (A, Dk)
        "v": np.array([1.0, -1.0]),  # (A,)
    },
}
PREFIX = {"dot": "dot", "scaled_dot": "sdot", "general": "gen", "additive": "add"}

# The √d measurement: q and k with independent standard-normal entries.
DIMS = (2, 8, 64, 512)
SAMPLES = 1000
POSITIONS = 10  # keys per query when measuring how peaked the softmax gets

FIELDS = {"year": slice(0, 4), "month": slice(5, 7), "day": slice(8, 10)}  # of "YYYY-MM-DD"

# The trained model's heat maps: a date not in the training set, and the first held-out one.
HEATMAP_DAY = dt.date(2009, 6, 25)
HEATMAP_DATE = format_date(HEATMAP_DAY, "ordinal_of")


def results(mask: np.ndarray | None = None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{kind: (context (1, 2), weights (1, 3))}`` for every kind of score."""
    return {
        kind: attention.attend(QUERY, KEYS, VALUES, kind, params, mask)
        for kind, params in PARAMS.items()
    }


def additive_input() -> np.ndarray:
    """``W_q q + W_k h_s``, shape ``(S, A) = (3, 2)``: what the additive score's tanh reads."""
    p = PARAMS["additive"]
    return QUERY @ p["W_q"].T + KEYS[0] @ p["W_k"].T


def variance_table(dims=DIMS, n: int = SAMPLES, S: int = POSITIONS, seed: int = 0) -> list:
    """For each d: the variance of q·k and of q·k/√d over ``n`` random pairs, and the mean
    largest softmax weight over ``S`` keys with and without the division."""
    rng = np.random.default_rng(seed)
    rows = []
    for d in dims:
        q = rng.standard_normal((n, d))
        k = rng.standard_normal((n, S, d))
        e = np.einsum("nd,nsd->ns", q, k)  # (n, S)
        top = attention.softmax(e).max(axis=1).mean()
        top_scaled = attention.softmax(e / np.sqrt(d)).max(axis=1).mean()
        rows.append((d, e.var(), (e / np.sqrt(d)).var(), top, top_scaled))
    return rows


def worked_numbers() -> dict:
    """The hand-sized example and the √d measurement (cheap, no torch)."""
    out: dict = {"att_S": KEYS.shape[1], "att_d": KEYS.shape[2], "att_sqrt_d": np.sqrt(2.0)}
    for j, x in enumerate(QUERY[0], 1):
        out[f"att_q{j}"] = x
    for s, key in enumerate(KEYS[0], 1):
        for j, x in enumerate(key, 1):
            out[f"att_h{s}{j}"] = x
    for (i, j), x in np.ndenumerate(PARAMS["general"]["W"]):
        out[f"att_W{i + 1}{j + 1}"] = x
    for j, x in enumerate(PARAMS["additive"]["v"], 1):
        out[f"att_v{j}"] = x
    out["att_A"] = len(PARAMS["additive"]["v"])
    out.update({f"att_qW{j}": x for j, x in enumerate(QUERY[0] @ PARAMS["general"]["W"], 1)})
    for (s, a), x in np.ndenumerate(additive_input()):
        out[f"att_add_u{s + 1}{a + 1}"] = x
        out[f"att_add_tanh{s + 1}{a + 1}"] = np.tanh(x)
    for kind, (context, weights) in results().items():
        p = PREFIX[kind]
        e = attention.score(QUERY, KEYS, kind, PARAMS[kind])
        for s in range(KEYS.shape[1]):
            out[f"att_{p}_e{s + 1}"] = e[0, s]
            out[f"att_{p}_w{s + 1}"] = weights[0, s]
        for j, x in enumerate(context[0], 1):
            out[f"att_{p}_c{j}"] = x
    e = attention.score(QUERY, KEYS, "dot")[0]
    for s, x in enumerate(np.exp(e), 1):
        out[f"att_dot_exp{s}"] = x
    out["att_dot_expsum"] = np.exp(e).sum()
    context, weights = results(MASK)["dot"]
    out.update({f"att_mask_w{s}": x for s, x in enumerate(weights[0], 1)})
    out.update({f"att_mask_c{j}": x for j, x in enumerate(context[0], 1)})
    out["att_var_samples"], out["att_var_S"] = SAMPLES, POSITIONS
    for i, (d, var, var_scaled, top, top_scaled) in enumerate(variance_table()):
        out[f"att_var{i}_d"] = d
        out[f"att_var{i}_raw"] = var
        out[f"att_var{i}_scaled"] = var_scaled
        out[f"att_var{i}_top"] = top
        out[f"att_var{i}_top_scaled"] = top_scaled
    return _plain(out)


def field_accuracy(guesses: list[str], isos: list[str]) -> dict[str, float]:
    """The fraction of ``guesses`` whose year, month and day match ``isos``."""
    return {
        name: float(np.mean([g[part] == iso[part] for g, iso in zip(guesses, isos, strict=True)]))
        for name, part in FIELDS.items()
    }


def model_numbers() -> dict:
    """The trained date models (with and without attention): sizes, accuracies, examples."""
    import torch

    from rnnlab.book import seq2seq

    trained, plain = seq2seq.train(), seq2seq.train(kind=None)
    defaults = inspect.signature(seq2seq.train.__wrapped__).parameters
    task, model = trained.task, trained.model
    exact, chars = seq2seq.accuracy(model, task, task.test)
    exact_plain, chars_plain = seq2seq.accuracy(plain.model, task, task.test)
    out = {
        "att_torch_version": str(torch.__version__),  # the torch the chapter ran on
        "att_date_n_train": len(task.train),
        "att_date_n_test": len(task.test),
        "att_date_n_source": len(task.source),
        "att_date_n_target": len(task.target),
        "att_date_target_len": ISO_LENGTH,
        "att_date_longest": max(len(h) for h, _ in task.train + task.test),
        "att_date_kept": max(len(h) for h, _ in task.test) * model.encoder.hidden_size,
        "att_date_E": model.source_embedding.embedding_dim,
        "att_date_H": model.encoder.hidden_size,
        "att_date_params": sum(p.numel() for p in model.parameters()),
        "att_date_params_plain": sum(p.numel() for p in plain.model.parameters()),
        "att_date_epochs": defaults["epochs"].default,
        "att_date_batch": defaults["batch_size"].default,
        "att_date_lr": defaults["lr"].default,
        "att_date_updates": len(trained.losses),
        "att_date_loss_first": trained.losses[0],
        "att_date_loss_last": trained.losses[-1],
        "att_date_loss_last_plain": plain.losses[-1],
        "att_date_exact": exact,
        "att_date_chars": chars,
        "att_date_exact_plain": exact_plain,
        "att_date_chars_plain": chars_plain,
        "att_date_heatmap_in": HEATMAP_DATE,
        "att_date_heatmap_iso": HEATMAP_DAY.isoformat(),
        "att_date_heatmap_out": seq2seq.translate(model, task, [HEATMAP_DATE])[0][0],
        "att_date_heatmap2_in": task.test[0][0],
        "att_date_heatmap2_out": seq2seq.translate(model, task, [task.test[0][0]])[0][0],
    }
    humans, isos = zip(*task.test, strict=True)
    for suffix, m in (("", model), ("_plain", plain.model)):
        guesses = seq2seq.translate(m, task, list(humans))[0]
        for name, value in field_accuracy(guesses, list(isos)).items():
            out[f"att_date_{name}{suffix}"] = value
    return _plain(out)


def numbers() -> dict:
    """Every number the chapter cites: plain ``int``, ``float`` or ``str``, deterministic."""
    return worked_numbers() | model_numbers()


def _plain(values: dict) -> dict:
    """numpy scalars as plain Python ``int`` and ``float``; strings kept."""

    def plain(x):
        if isinstance(x, str):
            return x
        return int(x) if isinstance(x, int | np.integer) else float(x)

    return {name: plain(x) for name, x in values.items()}
