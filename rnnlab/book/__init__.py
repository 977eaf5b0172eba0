"""The book's code: its worked examples, every number its prose cites, and its trainings.

``rnnlab.book.ch2_lstm`` belongs to ``book/ch2_lstm.md``, and so on. Each chapter module's
``numbers()`` returns a dict of plain ``int``, ``float`` or ``str`` values; the chapter
glues every entry (``glue(name, value, display=False)``) and cites them in its prose, and
a test checks that the built book shows exactly these values.

The trainings run with torch (extra ``rnnlab[book]``): ``long_memory``, the adding
problem of chapter 2; ``seq2seq``, the date translator with attention of chapter 5; and
``char_lm``, the character-level language model of chapters 1, 2 and 4, trained on the
Python source in ``corpus/`` and kept on disk between builds (``disk_cache``), with
``inside_cells``, the look inside its LSTM, ``lm_figures`` and ``lm_numbers``. They are
the book's experiments, not models of the package: the models are ``rnnlab.lstm``,
``rnnlab.attention`` and their neighbours.
"""

import numpy as np


def bracketed(a) -> str:
    """An array written as the code cells print it, compactly: ``[[0, 1], [0, -0.5]]``."""
    a = np.asarray(a)
    if a.ndim == 0:
        return f"{float(a):g}"
    return "[" + ", ".join(bracketed(row) for row in a) + "]"
