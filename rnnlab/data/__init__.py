"""From raw text to the time-major tensor ``(T, B, D)`` a recurrent network reads.

    text -> tokens (tokenize) -> ids (Vocabulary.encode) -> padded (T, B) ids (pad)
         -> (T, B, D) vectors (embed)

plus a generated data set for sequence-to-sequence practice: human-written dates and
their ISO form (``rnnlab.data.dates``), made from a seed, with no download.
"""

from rnnlab.data.dates import DateTask, date_pairs, format_date
from rnnlab.data.text import PAD, UNK, Vocabulary, embed, mask_from_lengths, pad, tokenize

__all__ = [
    "PAD",
    "UNK",
    "DateTask",
    "Vocabulary",
    "date_pairs",
    "embed",
    "format_date",
    "mask_from_lengths",
    "pad",
    "tokenize",
]
