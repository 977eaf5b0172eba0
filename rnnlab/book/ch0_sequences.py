"""Chapter 0's worked example: three short reviews through the text pipeline.

    raw text -> tokens -> ids -> padded ids (T, B) -> embedded (T, B, D)

plus the parameter counts that show why a feed-forward network does not fit sequences.
Every number ``book/ch0_sequences.md`` cites comes from :func:`numbers`.
"""

from functools import cache

import numpy as np

from rnnlab import data, init, rnn
from rnnlab.book import bracketed

SENTENCES = ("I loved this film.", "Boring.", "Not bad!")
D = 2  # embedding size: tiny, so every vector can be read
H = 3  # hidden size of the recurrent layer used to show "last step" versus "every step"
FF_D, FF_H = 100, 128  # a realistic word-vector size and hidden size for the counts
FF_LENGTHS = (10, 100, 1000)
EXTRA_REVIEW = "Great!"  # the fourth review of the exercise "Shapes by hand"


@cache
def pipeline() -> dict:
    """Every stage of the pipeline for :data:`SENTENCES` (seeded, so always the same).

    Returns a dict with ``tokens`` (list of B lists), ``vocab``, ``ids`` (B lists),
    ``padded (T, B)`` int ids, ``lengths (B,)``, ``table (V, D)`` and ``xs (T, B, D)``.
    """
    tokens = [data.tokenize(s) for s in SENTENCES]
    vocab = data.Vocabulary.build(tokens)
    ids = [vocab.encode(t) for t in tokens]
    padded, lengths = data.pad(ids)  # (T, B), (B,)
    rng = np.random.default_rng(0)
    table = np.round(rng.normal(size=(len(vocab), D)), 1)  # (V, D), one decimal
    table[vocab.pad_id] = 0.0  # padding reads as a zero vector, as torch's padding_idx does
    xs = data.embed(padded, table)  # (T, B, D)
    return {
        "tokens": tokens,
        "vocab": vocab,
        "ids": ids,
        "padded": padded,
        "lengths": lengths,
        "table": table,
        "xs": xs,
    }


def recurrent_states() -> tuple[np.ndarray, np.ndarray]:
    """Run a seeded RNN (D -> H) over the padded batch: ``hs (T, B, H)`` and the state at
    each sequence's real last token, ``last (B, H)``."""
    p = pipeline()
    hs, _ = rnn.forward(p["xs"], init.rnn(D, H, seed=0))
    last = hs[p["lengths"] - 1, np.arange(len(p["lengths"]))]  # (B, H)
    return hs, last


def feedforward_params(T: int, D: int = FF_D, H: int = FF_H) -> int:
    """First-layer parameters of a dense net reading a whole padded sentence (T·D inputs)."""
    return T * D * H + H


def recurrent_params(D: int = FF_D, H: int = FF_H) -> int:
    """Parameters of one recurrent layer, W_ih (H, D), W_hh (H, H), b_ih and b_hh (H,):
    the same for every sequence length."""
    return H * D + H * H + 2 * H


def with_review(extra: str = EXTRA_REVIEW) -> dict:
    """The exercise's batch: :data:`SENTENCES` and ``extra``, through tokens, a vocabulary
    built anew, and padding. Returns ``padded (T, B)``, ``lengths (B,)``, ``vocab``,
    ``new`` (the tokens the vocabulary gains) and ``moved`` (the tokens whose id changes)."""
    tokens = [data.tokenize(s) for s in (*SENTENCES, extra)]
    vocab = data.Vocabulary.build(tokens)
    padded, lengths = data.pad([vocab.encode(t) for t in tokens])
    before = pipeline()["vocab"].stoi
    new = [token for token in vocab.stoi if token not in before]
    moved = [token for token, i in before.items() if vocab.stoi[token] != i]
    return {"padded": padded, "lengths": lengths, "vocab": vocab, "new": new, "moved": moved}


def dense_overtakes(D: int, H: int) -> int:
    """The smallest length T at which a dense first layer over T·D inputs has more
    parameters than a recurrent layer of the same hidden size."""
    T = 1
    while feedforward_params(T, D, H) <= recurrent_params(D, H):
        T += 1
    return T


def exercise_numbers() -> dict[str, int | float | str]:
    """The values the solutions of the chapter's exercises cite."""
    extra = with_review()
    T, B = extra["padded"].shape
    stoi = extra["vocab"].stoi
    return {
        "seq_ex_review": EXTRA_REVIEW,
        "seq_ex_T": T,
        "seq_ex_B": B,
        "seq_ex_column": bracketed(extra["padded"][:, B - 1]),
        "seq_ex_new": ", ".join(extra["new"]),
        "seq_ex_n_moved": len(extra["moved"]),
        "seq_ex_bang_before": pipeline()["vocab"].stoi["!"],
        "seq_ex_bang_after": stoi["!"],
        "seq_ex_V": len(extra["vocab"]),
        "seq_ex_dense_T": dense_overtakes(FF_D, FF_H),
        "seq_ex_dense_T_equal": dense_overtakes(FF_H, FF_H),  # D = H: the same for any H
    }


def numbers() -> dict[str, int | float | str]:
    """Every value the chapter cites, as plain ``int``, ``float`` or ``str``."""
    p = pipeline()
    T, B = p["padded"].shape
    hs, last = recurrent_states()
    b = 1  # the short review, "Boring.", follows the pipeline in the chapter's table
    out: dict[str, int | float | str] = {
        "seq_T": T,
        "seq_B": B,
        "seq_D": D,
        "seq_H": H,
        "seq_V": len(p["vocab"]),
        "seq_pad_id": p["vocab"].pad_id,
        "seq_unk_id": p["vocab"].unk_id,
        "seq_b2_text": SENTENCES[b],
        "seq_b2_tokens": str(p["tokens"][b]),
        "seq_b2_ids": str(p["ids"][b]),
        "seq_b2_padded": bracketed(p["padded"][:, b]),
        "seq_b2_first_vector": bracketed(p["xs"][0, b]),
        "seq_b2_last_vector": bracketed(p["xs"][p["lengths"][b] - 1, b]),
        "seq_b2_pad_vector": bracketed(p["xs"][T - 1, b]),
        "seq_b2_n_pad": int(T - p["lengths"][b]),
        "seq_n_real": int(p["lengths"].sum()),
        "seq_n_slots": T * B,
        "seq_last_gap": float(np.abs(hs[T - 1, b] - last[b]).max()),
        "seq_ff_D": FF_D,
        "seq_ff_H": FF_H,
        "seq_rnn_params": recurrent_params(),
    }
    for k, length in enumerate(p["lengths"], start=1):
        out[f"seq_len_{k}"] = int(length)
    for k, length in enumerate(FF_LENGTHS, start=1):
        out[f"seq_ff_T_{k}"] = length
        out[f"seq_ff_params_{k}"] = feedforward_params(length)
    return out | exercise_numbers()
