"""The figures of the language model, shared by chapters 1, 2 and 4: the perplexity
curves of the trained kinds, and a passage of text coloured character by character."""

import numpy as np

COLORS = {"RNN": "#c2410c", "LSTM": "#1d4ed8", "GRU": "#15803d"}  # as in every chapter
SMOOTH = 20  # training perplexity: running mean of the loss over this many steps
SPAN = (2, 98)  # a passage's colours span these percentiles of the unit over the whole text


def perplexity_curves(ax, runs: dict, unigram: float) -> None:
    """Each run's training perplexity (exp of the smoothed loss, thin) and held-out
    perplexity (dots, thick), on a log axis, with the unigram baseline dashed."""
    for kind, run in runs.items():
        losses = np.array(run.losses)
        smooth = np.convolve(losses, np.ones(SMOOTH) / SMOOTH, mode="valid")
        steps = np.arange(SMOOTH, len(losses) + 1)  # the last step of each window
        ax.semilogy(steps, np.exp(smooth), color=COLORS[kind], lw=1, alpha=0.6)
        at, ppl = zip(*run.curve, strict=True)
        ax.semilogy(at, ppl, "o-", color=COLORS[kind], lw=2, label=f"{kind}, held out")
    ax.axhline(unigram, color="#555", ls="--", lw=1.2, label="unigram (no memory)")
    ax.set(xlabel="training step", ylabel="perplexity (characters)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="upper right", fontsize=9)


def grid(text: str, values: np.ndarray) -> np.ndarray:
    """``values (N,)`` laid out as ``text`` is (rows, width): one row per line, the
    "\\n" of each line at its end, NaN where a line has no character."""
    rows = text.split("\n")
    out = np.full((len(rows), max(len(r) for r in rows) + 1), np.nan)
    k = 0
    for y, row in enumerate(rows):
        n = min(len(row) + 1, len(values) - k)  # the last line has no "\n"
        out[y, :n] = values[k : k + n]
        k += n
    return out


def draw_passage(ax, text: str, values: np.ndarray, **style):
    """``text`` in a monospaced grid on ``ax``, each character on a background coloured by
    its value (``style`` goes to ``imshow``: cmap, vmin, vmax); returns the image."""
    image = ax.imshow(grid(text, values), aspect="auto", interpolation="nearest", **style)
    for y, row in enumerate(text.split("\n")):
        for x, ch in enumerate(row):
            ax.text(x, y, ch, ha="center", va="center", family="monospace", fontsize=8)
    ax.set(xticks=[], yticks=[])
    return image


def forget_map(ax, text: str, f: np.ndarray):
    """The forget gate ``f (N, H)`` along ``text`` (N characters) as an image, one row per
    unit (in the order given), one column per character, labelled below; returns it."""
    image = ax.imshow(f.T, aspect="auto", cmap="viridis", vmin=0, vmax=1, interpolation="nearest")
    ax.set_xticks(range(len(text)), [{"\n": "⏎", " ": "·"}.get(ch, ch) for ch in text])
    ax.tick_params(axis="x", labelsize=9, length=0)
    for label in ax.get_xticklabels():
        label.set_family("monospace")
    ax.set_ylabel("unit (sorted)")
    return image
