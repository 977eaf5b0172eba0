"""Looking inside a trained character-level LSTM: what do single cells track?

Four properties a reader can name, one number per character of a Python source text:

* ``in_string``: 1 inside a string literal (its quotes included), else 0;
* ``bracket_depth``: how many ``(``, ``[``, ``{`` are open after the character, outside
  strings and comments;
* ``indentation``: the spaces at the start of the character's line, counted up to the
  character (a model reading left to right cannot know more);
* ``column``: the character's position in its line, 0 first.

The method: run the trained LSTM over the held-out text with ``rnnlab.lstm.step`` (the
chapter's own equations, so every gate is at hand), take each unit's cell state c_t at
every character, compute its Pearson correlation with each property over the whole text,
and report the unit of the largest |correlation|, whatever its size.
"""

from dataclasses import dataclass
from functools import cache

import numpy as np

from rnnlab import lstm, torch_bridge

PROPERTIES = ("in_string", "bracket_depth", "indentation", "column")
OPEN, CLOSE = "([{", ")]}"
# The passage the chapter colours: nine lines of textwrap's _wrap_chunks (held out).
PASSAGE_START = "        lines = []\n        if self.width <= 0:"
PASSAGE_LINES = 9


def _lexical_states(text: str) -> list[str]:
    """For every character: "code", "comment" or "string" (a small scanner of Python that
    knows ' and " strings, their triple forms, backslash escapes and # comments)."""
    states, i, n = [], 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "#":
            end = text.find("\n", i)
            end = n if end < 0 else end
            states += ["comment"] * (end - i)
            i = end
        elif ch in "'\"":
            quote = text[i : i + 3] if text[i : i + 3] == ch * 3 else ch
            end = _string_end(text, i + len(quote), quote)
            states += ["string"] * (end - i)
            i = end
        else:
            states.append("code")
            i += 1
    return states


def _string_end(text: str, i: int, quote: str) -> int:
    """The index just after the closing ``quote`` of a string whose body starts at ``i``
    (a one-quote string also ends at the end of its line)."""
    while i < len(text):
        if text[i] == "\\":
            i += 2
        elif text.startswith(quote, i):
            return i + len(quote)
        elif text[i] == "\n" and len(quote) == 1:
            return i
        else:
            i += 1
    return len(text)


def in_string(text: str) -> np.ndarray:
    """``(N,)``: 1.0 for the characters of string literals, quotes included, else 0.0."""
    return np.array([s == "string" for s in _lexical_states(text)], dtype=float)


def bracket_depth(text: str) -> np.ndarray:
    """``(N,)``: the brackets open after each character, strings and comments ignored."""
    depth, out = 0, []
    for ch, state in zip(text, _lexical_states(text), strict=True):
        if state == "code":
            depth += (ch in OPEN) - (ch in CLOSE)
            depth = max(depth, 0)  # a text cut mid-expression closes more than it opened
        out.append(depth)
    return np.array(out, dtype=float)


def column(text: str) -> np.ndarray:
    """``(N,)``: each character's position in its line (0 first; "\\n" ends its line)."""
    out, position = [], 0
    for ch in text:
        out.append(position)
        position = 0 if ch == "\n" else position + 1
    return np.array(out, dtype=float)


def indentation(text: str) -> np.ndarray:
    """``(N,)``: the leading spaces of each character's line, counted up to the character."""
    out, spaces, leading = [], 0, True
    for ch in text:
        leading = leading and ch == " "
        spaces += leading
        out.append(spaces)
        if ch == "\n":
            spaces, leading = 0, True
    return np.array(out, dtype=float)


def properties(text: str) -> dict[str, np.ndarray]:
    """Every property of ``PROPERTIES``, each ``(N,)``."""
    return {
        "in_string": in_string(text),
        "bracket_depth": bracket_depth(text),
        "indentation": indentation(text),
        "column": column(text),
    }


def correlations(values: np.ndarray, prop: np.ndarray) -> np.ndarray:
    """Pearson correlation ``(H,)`` of each column of ``values (N, H)`` with ``prop (N,)``;
    0 for a constant column."""
    v = values - values.mean(axis=0)  # (N, H)
    p = prop - prop.mean()  # (N,)
    norms = np.sqrt((v**2).sum(axis=0) * (p**2).sum())  # (H,)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(norms > 0, (v.T @ p) / norms, 0.0)


def best_unit(values: np.ndarray, prop: np.ndarray) -> tuple[int, float]:
    """The unit of the largest |correlation| with ``prop``, and that (signed) correlation."""
    r = correlations(values, prop)
    unit = int(np.argmax(np.abs(r)))
    return unit, float(r[unit])


def lstm_states(net, ids: np.ndarray) -> dict[str, np.ndarray]:
    """Run the LSTM of a trained ``char_lm`` model over ``ids`` from a zero state with
    ``rnnlab.lstm.step``; returns ``c``, ``h``, ``i``, ``f``, ``g``, ``o``, each ``(N, H)``."""
    p = torch_bridge.from_torch(net.recurrent)
    p = {k: v.astype(np.float64) for k, v in p.items()}
    H = p["W_hh"].shape[1]
    h, c = np.zeros((1, H)), np.zeros((1, H))
    steps = []
    for x in ids:
        u = (p["W_ih"][:, x] + p["b_ih"])[None, :]  # (1, 4H): W_ih times a one-hot x_t
        steps.append(lstm.step(u, h, c, p))
        h, c = steps[-1].h_t, steps[-1].c_t
    names = {"c": "c_t", "h": "h_t", "i": "i_t", "f": "f_t", "g": "g_t", "o": "o_t"}
    return {ours: np.concatenate([getattr(s, f) for s in steps]) for ours, f in names.items()}


@dataclass(frozen=True)
class Findings:
    """The trained LSTM read over the held-out text, and what its cells correlate with."""

    text: str  # the held-out text, N characters
    states: dict[str, np.ndarray]  # c, h, i, f, g, o, each (N, H)
    properties: dict[str, np.ndarray]  # each (N,)
    best: dict[str, tuple[int, float]]  # property -> (unit, correlation of its c_t)

    def passage(self) -> slice:
        """Where the chapter's passage lies in ``text``: PASSAGE_LINES lines from PASSAGE_START."""
        start = self.text.index(PASSAGE_START)
        end = start
        for _ in range(PASSAGE_LINES):
            end = self.text.index("\n", end) + 1
        return slice(start, end - 1)  # without the last "\n"


@cache
def findings() -> Findings:
    """:class:`Findings` for the chapters' trained LSTM (``char_lm.train("LSTM")``)."""
    from rnnlab.book import char_lm

    data = char_lm.text()
    states = lstm_states(char_lm.train("LSTM").model, data.held_out)
    held = data.decode(data.held_out)
    props = properties(held)
    best = {name: best_unit(states["c"], p) for name, p in props.items()}
    return Findings(held, states, props, best)
