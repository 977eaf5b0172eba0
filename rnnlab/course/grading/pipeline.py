"""Checks of the pipeline exercise (ex00): from raw text to the tensor ``(T, B, D)``.

    text -> tokens -> ids -> padded ids (T, B) and lengths (B,) -> vectors (T, B, D)
    and back: the output at each sequence's last real step, hs[lengths[b] - 1, b]

The reference is ``rnnlab.data``: ``tokenize``, ``Vocabulary``, ``pad``, ``embed``.
"""

import re

import numpy as np

from rnnlab import data
from rnnlab.course.grading import _core

SENTENCES = (
    "The cat sat on the mat.",
    "Hello, world!",
    "It's 25 June 2009: isn't it?",
)
HIDDEN_SENTENCES = (
    "Où est la gare? Près du café.",
    "  Spaces   everywhere  ",
    "",
    "e-mail me at 9am!!",
    "Ada Lovelace wrote the first program; London remembers her.",
)
# The pieces hidden sentences are drawn from when a notebook is graded: words of several
# alphabets, digits, punctuation runs, and the spacing corners (none, many, an empty text).
WORDS = ("the", "Cat", "sat", "ON", "mat", "Où", "est", "café", "naïve", "Ωmega", "x_1", "9am",
         "2009", "e-mail", "it's", "don't", "A", "ß", "über", "日本")  # fmt: skip
PUNCTUATION = (".", ",", "!", "?", ";", ":", "!!", "...", "(", ")", "'", "-", "$", "%")
SPACES = (" ", " ", " ", "  ", "\t", "\n")
UNK_HINT = "a token that is not in the vocabulary gets the unknown id 1 (stoi.get(token, 1))"


def _sentences(hidden: bool) -> tuple[str, ...]:
    """The visible sentences, or the hidden ones (drawn when a notebook is graded)."""
    rng = _core.drawn_rng("sentences") if hidden else None
    if rng is None:
        return HIDDEN_SENTENCES if hidden else SENTENCES
    drawn = ["", "  " + str(rng.choice(WORDS)) + "   " + str(rng.choice(WORDS)) + "  "]
    for _ in range(3):
        pieces = [str(rng.choice(WORDS + PUNCTUATION)) for _ in range(rng.integers(3, 12))]
        drawn.append("".join(piece + str(rng.choice(SPACES)) for piece in pieces))
    return tuple(drawn)


def check_tokenize(fn, hidden: bool = False) -> None:
    """Check ``fn(text) -> list of tokens``: lower-case words and punctuation marks."""
    __tracebackhide__ = True
    name = _core.name_of(fn)
    sentences = _sentences(hidden)
    for text in sentences:
        got = _core.call(fn, name, text, case=repr(text))
        expected = data.tokenize(text)
        if not isinstance(got, list) or not all(isinstance(token, str) for token in got):
            _core.fail(name, f"your result is {_core.describe(got)}; expected a list of str")
        if got != expected:
            diagnosis = _core.first_match(
                got,
                [
                    (
                        "you split on spaces only: each punctuation mark is a token of its own",
                        lambda t=text: t.lower().split(),
                    ),
                    ("lower-case the text first", lambda t=text: re.findall(r"\w+|[^\w\s]", t)),
                    (
                        "a word is a run of letters, digits or _ (any alphabet: é counts), "
                        "and every other character that is not a space is a token of its own",
                        lambda t=text: re.findall(r"[a-z0-9]+|[^a-z0-9\s]", t.lower()),
                    ),
                ],
            )
            _core.fail(name, f"for {text!r} you return {got}, expected {expected}", "", diagnosis)
    _core.passed(name, len(sentences), hidden, "sentences")


def check_to_ids(fn, hidden: bool = False) -> None:
    """Check ``fn(tokens, stoi) -> list of ids``, with id 1 for unknown tokens."""
    __tracebackhide__ = True
    name = _core.name_of(fn)
    sentences = _sentences(hidden)
    vocabulary = data.Vocabulary.build([data.tokenize(text) for text in sentences[:-1]])
    for text in sentences:
        tokens = data.tokenize(text) + ["<never-seen>"]
        got = _core.call(
            fn, name, tokens, dict(vocabulary.stoi), case=repr(tokens), errors={KeyError: UNK_HINT}
        )
        expected = np.asarray(vocabulary.encode(tokens))
        got_ids = np.asarray(got) if isinstance(got, list | np.ndarray) else got
        problem = _core.compare(got_ids, expected, "ids", "N")
        if problem:
            unknown_zero = np.where(expected == data.Vocabulary.unk_id, 0, expected)
            diagnosis = None
            if _core.close(got_ids, unknown_zero):
                diagnosis = "unknown tokens get id 1 (<unk>); id 0 is padding"
            _core.fail(name, problem, f"tokens {tokens}", diagnosis)
    _core.passed(name, len(sentences), hidden, "sentences")


def _id_batches(hidden: bool) -> list[list[list[int]]]:
    drawn = _core.drawn_rng("batches") if hidden else None
    rng = drawn or np.random.default_rng(7 if hidden else 0)
    shapes = ([3, 1, 5, 2], [4], [2, 6, 6]) if hidden else ([2, 4, 3], [1], [5, 5])
    if drawn is not None:  # one batch of a single sequence, then two of random lengths
        shapes = (
            [int(rng.integers(1, 7))],
            *(rng.integers(1, 8, size=rng.integers(2, 6)) for _ in "ab"),
        )
    return [[rng.integers(2, 20, size=n).tolist() for n in lengths] for lengths in shapes]


def check_pad(fn, hidden: bool = False) -> None:
    """Check ``fn(sequences) -> (ids (T, B), lengths (B,))``: time-major, padded with 0."""
    __tracebackhide__ = True
    name = _core.name_of(fn)
    batches = _id_batches(hidden)
    for sequences in batches:
        label = f"sequences {sequences}"
        got = _core.call(fn, name, sequences, case=label)
        ids, lengths = data.pad(sequences)
        if not isinstance(got, tuple | list) or len(got) != 2:
            _core.fail(
                name, f"your result is {_core.describe(got)}; expected (ids, lengths)", label
            )
        problem = _core.compare(got[0], ids, "ids", "T, B")
        if problem:
            diagnosis = None
            if problem.endswith("other way round"):
                diagnosis = "the course is time-major: ids[t, b] is step t of sequence b"
            elif "differ" in problem:
                diagnosis = "each column holds one sequence, then the pad id 0 after its end"
            _core.fail(name, problem, label, diagnosis)
        problem = _core.compare(np.asarray(got[1]), lengths, "lengths", "B")
        if problem:
            _core.fail(name, problem, label, "lengths[b] is the number of ids of sequence b")
    _core.passed(name, len(batches), hidden, "batches")


def check_embed(fn, hidden: bool = False) -> None:
    """Check ``fn(ids (T, B), table (V, D)) -> vectors (T, B, D)``: row ids[t, b] of table."""
    __tracebackhide__ = True
    name = _core.name_of(fn)
    count = 0
    for case in _core.cases(hidden):
        rng = case.rng()
        V = case.H + 5
        ids = rng.integers(0, V, size=(case.T, case.B))
        table = case.normal(rng, V, case.D)
        label = f"T={case.T}, B={case.B}, V={V}, D={case.D}, seed={case.seed}"
        got = _core.call(fn, name, ids, table, case=label)
        problem = _core.compare(got, data.embed(ids, table), "vectors", "T, B, D")
        if problem:
            _core.fail(name, problem, label, "vectors[t, b] is the row ids[t, b] of table")
        count += 1
    _core.passed(name, count, hidden)


LAST_STEP = "lengths count steps: the last real step of sequence b is lengths[b] - 1"


def check_last_step(fn, hidden: bool = False) -> None:
    """Check ``fn(hs (T, B, H), lengths (B,)) -> (B, H)``: each sequence's output at its
    last real step, ``hs[lengths[b] - 1, b]``, not at the padded end."""
    __tracebackhide__ = True
    name = _core.name_of(fn)
    for case in _core.cases(hidden):
        rng = case.rng()
        hs = case.normal(rng, case.T, case.B, case.H)
        lengths = rng.integers(1, case.T + 1, size=case.B)
        lengths[0] = case.T  # one sequence fills the batch, as the longest does
        label = f"T={case.T}, B={case.B}, H={case.H}, lengths={lengths.tolist()}"
        got = _core.call(fn, name, hs, lengths, case=label, errors={IndexError: LAST_STEP})
        expected = hs[lengths - 1, np.arange(case.B)]
        problem = _core.compare(got, expected, "result", "B, H")
        if problem:
            _core.fail(name, problem, label, _last_step_mistake(got, hs, lengths))
    _core.passed(name, len(_core.cases(hidden)), hidden)


def _last_step_mistake(got, hs: np.ndarray, lengths: np.ndarray) -> str | None:
    T, B, H = hs.shape
    if isinstance(got, np.ndarray) and got.shape == (B, B, H):
        return (
            "hs[lengths - 1] takes whole time steps: pair each step with its own "
            "sequence, hs[lengths - 1, np.arange(B)]"
        )
    return _core.first_match(
        got,
        [
            ("hs[-1] is the last padded step: sequence b ends at lengths[b] - 1", lambda: hs[-1]),
            (LAST_STEP, lambda: hs[np.minimum(lengths, T - 1), np.arange(B)]),
        ],
    )
