"""Tokenizer, vocabulary, padding and embedding lookup."""

import re
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

PAD, UNK = "<pad>", "<unk>"
_WORD = re.compile(r"\w+|[^\w\s]")


def tokenize(text: str, level: str = "word") -> list[str]:
    """Split ``text`` into lower-case words and punctuation (``level="word"``) or into
    characters (``level="char"``, case kept)."""
    if not isinstance(text, str):
        raise ValueError(f"text must be a str, got {type(text).__name__}")
    if level == "word":
        return _WORD.findall(text.lower())
    if level == "char":
        return list(text)
    raise ValueError(f"level must be 'word' or 'char', got {level!r}")


class Vocabulary:
    """A two-way map between tokens and integer ids.

    Id 0 is always the padding token and id 1 the unknown token, so padded batches are
    zeros and a token never seen in training still gets an id.
    """

    pad_id = 0
    unk_id = 1

    def __init__(self, tokens: Iterable[str], specials: Sequence[str] = ()):
        self.itos: list[str] = list(dict.fromkeys([PAD, UNK, *specials, *tokens]))
        self.stoi: dict[str, int] = {token: i for i, token in enumerate(self.itos)}

    @classmethod
    def build(
        cls, sentences: Iterable[Sequence[str]], min_count: int = 1, specials: Sequence[str] = ()
    ) -> "Vocabulary":
        """The tokens of ``sentences`` seen at least ``min_count`` times, most frequent first
        (ties in order of first appearance)."""
        counts = Counter(token for sentence in sentences for token in sentence)
        return cls([t for t, n in counts.most_common() if n >= min_count], specials)

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: str) -> bool:
        return token in self.stoi

    def encode(self, tokens: Sequence[str]) -> list[int]:
        """Ids of ``tokens``; unknown tokens get ``unk_id``."""
        return [self.stoi.get(token, self.unk_id) for token in tokens]

    def decode(self, ids: Iterable[int], stop: str | None = None) -> list[str]:
        """Tokens of ``ids``, without padding; stops before ``stop`` if it appears."""
        tokens = []
        for i in ids:
            i = int(i)
            if not 0 <= i < len(self):
                raise ValueError(f"id {i} is outside this vocabulary of size {len(self)}")
            if stop is not None and self.itos[i] == stop:
                break
            if i != self.pad_id:
                tokens.append(self.itos[i])
        return tokens


def pad(
    sequences: Sequence[Sequence[int]], pad_id: int = 0, length: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Stack id sequences of different lengths into a time-major ``(T, B)`` array.

    Returns the ids ``(T, B)`` (int64, ``pad_id`` after each sequence's end) and the
    lengths ``(B,)``. T is the longest length, or ``length`` if given.
    """
    if len(sequences) == 0:
        raise ValueError("sequences must hold at least one sequence")
    lengths = np.array([len(s) for s in sequences], dtype=np.int64)
    T = int(lengths.max()) if length is None else length
    if lengths.max() > T:
        longest = int(np.argmax(lengths))
        raise ValueError(f"sequence {longest} has length {lengths[longest]} > length={T}")
    ids = np.full((T, len(sequences)), pad_id, dtype=np.int64)
    for b, sequence in enumerate(sequences):
        ids[: len(sequence), b] = sequence
    return ids, lengths


def mask_from_lengths(lengths, T: int) -> np.ndarray:
    """``(T, B)`` booleans, True where step t is inside sequence b (t < lengths[b])."""
    return np.arange(T)[:, None] < np.asarray(lengths)[None, :]


def embed(ids, table) -> np.ndarray:
    """Look up each id's row of ``table (V, D)``: ``ids (T, B)`` -> ``(T, B, D)``."""
    ids = np.asarray(ids)
    table = np.asarray(table)
    if ids.dtype.kind not in "iu":
        raise ValueError(f"ids must be integers, got dtype {ids.dtype}")
    if table.ndim != 2:
        raise ValueError(f"table must have 2 dimensions (V, D), got shape {table.shape}")
    if ids.size and (ids.min() < 0 or ids.max() >= len(table)):
        bad = ids[(ids < 0) | (ids >= len(table))].flat[0]
        raise ValueError(f"ids must lie in [0, V) = [0, {len(table)}), found {bad}")
    return table[ids]
