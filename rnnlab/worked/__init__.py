"""The book's worked examples and every number its prose cites, one module per chapter.

``rnnlab.worked.ch2_lstm`` belongs to ``book/ch2_lstm.md``, and so on. Each module's
``numbers()`` returns a dict of plain ``int``, ``float`` or ``str`` values; the chapter
glues every entry (``glue(name, value, display=False)``) and cites them in its prose, and
a test checks that the built book shows exactly these values.
"""
