"""The book's worked examples and every number its prose cites, one module per chapter.

``rnnlab.worked.ch2_lstm`` belongs to ``book/ch2_lstm.md``, and so on. Each module's
``numbers()`` returns a dict of plain ``int``, ``float`` or ``str`` values; the chapter
glues every entry (``glue(name, value, display=False)``) and cites them in its prose, and
a test checks that the built book shows exactly these values.
"""

import numpy as np


def bracketed(a) -> str:
    """An array written as the code cells print it, compactly: ``[[0, 1], [0, -0.5]]``."""
    a = np.asarray(a)
    if a.ndim == 0:
        return f"{float(a):g}"
    return "[" + ", ".join(bracketed(row) for row in a) + "]"
