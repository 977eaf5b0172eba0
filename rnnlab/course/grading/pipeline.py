"""Checks of the pipeline exercise (ex00): from raw text to the tensor ``(T, B, D)``.

    text -> tokens -> ids -> padded ids (T, B) and lengths (B,) -> vectors (T, B, D)
    and back: the output at each sequence's last real step, hs[lengths[b] - 1, b]

The reference is ``rnnlab.data``: ``tokenize``, ``Vocabulary``, ``pad``, ``embed``.
"""

import re
from collections.abc import Callable

import numpy as np

from rnnlab import data
from rnnlab.course.grading import _core, _runner
from rnnlab.course.grading._mismatch import Kind, structure
from rnnlab.course.grading._runner import Part

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
UNK_ZERO = "unknown tokens get id 1 (<unk>); id 0 is padding"
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

        def parts(got, text=text):
            why = {Kind.ITEMS: lambda m: _core.first_match(got, _tokenize_mistakes(text))}
            return [Part(f"the tokens of {text!r}", got, data.tokenize(text), diagnoses=why)]

        _runner.run(fn, name, (text,), repr(text), parts)
    _core.passed(name, len(sentences), hidden, "sentences")


def _tokenize_mistakes(text: str) -> list[tuple[str, Callable]]:
    return [
        (
            "you split on spaces only: each punctuation mark is a token of its own",
            lambda: text.lower().split(),
        ),
        ("lower-case the text first", lambda: re.findall(r"\w+|[^\w\s]", text)),
        (
            "a word is a run of letters, digits or _ (any alphabet: é counts), "
            "and every other character that is not a space is a token of its own",
            lambda: re.findall(r"[a-z0-9]+|[^a-z0-9\s]", text.lower()),
        ),
    ]


def check_to_ids(fn, hidden: bool = False) -> None:
    """Check ``fn(tokens, stoi) -> list of ids``, with id 1 for unknown tokens."""
    __tracebackhide__ = True
    name = _core.name_of(fn)
    sentences = _sentences(hidden)
    vocabulary = data.Vocabulary.build([data.tokenize(text) for text in sentences[:-1]])
    for text in sentences:
        tokens = data.tokenize(text) + ["<never-seen>"]
        expected = np.asarray(vocabulary.encode(tokens))
        unknown_zero = np.where(expected == data.Vocabulary.unk_id, 0, expected)

        def parts(got, expected=expected, unknown_zero=unknown_zero):
            got = np.asarray(got) if isinstance(got, list | np.ndarray) else got
            why = {Kind.VALUES: lambda m: UNK_ZERO if _core.close(got, unknown_zero) else None}
            return [Part("ids", got, expected, "N", why)]

        args, case = (tokens, dict(vocabulary.stoi)), f"tokens {tokens}"
        _runner.run(fn, name, args, case, parts, errors={KeyError: UNK_HINT})
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
        _runner.run(fn, name, (sequences,), f"sequences {sequences}", _pad_parts(sequences))
    _core.passed(name, len(batches), hidden, "batches")


def _pad_parts(sequences: list[list[int]]):
    ids, lengths = data.pad(sequences)

    def parts(got):
        if not isinstance(got, tuple | list) or len(got) != 2:
            yield structure("result", got, "the pair (ids, lengths)")
            return
        yield Part("ids", got[0], ids, "T, B", {
            Kind.AXES_SWAPPED: lambda m: "the course is time-major: ids[t, b] is step t of "
            "sequence b",
            Kind.VALUES: lambda m: "each column holds one sequence, then the pad id 0 after "
            "its end",
        })  # fmt: skip
        got_lengths = np.asarray(got[1]) if isinstance(got[1], list) else got[1]
        why = _runner.always("lengths[b] is the number of ids of sequence b")
        yield Part("lengths", got_lengths, lengths, "B", why)

    return parts


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
        why = _runner.always("vectors[t, b] is the row ids[t, b] of table")
        expected = data.embed(ids, table)
        _runner.run(fn, name, (ids, table), label, lambda got, e=expected, w=why: [
            Part("vectors", got, e, "T, B, D", w)])  # fmt: skip
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
        expected = hs[lengths - 1, np.arange(case.B)]

        def parts(got, hs=hs, lengths=lengths, expected=expected):
            why = _runner.for_every_kind(lambda m: _last_step_mistake(got, hs, lengths))
            return [Part("result", got, expected, "B, H", why)]

        _runner.run(fn, name, (hs, lengths), label, parts, errors={IndexError: LAST_STEP})
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
