"""The numbers chapters 1, 2 and 4 cite about the character-level language model and the
look inside its LSTM; each chapter module adds its part to its ``numbers()``."""

import numpy as np

from rnnlab.book import char_lm, inside_cells, lm_figures

FORGET_HIGH = 0.9  # a forget gate above this keeps most of its cell from step to step


def setup(prefix: str) -> dict[str, int | float | str]:
    """The text, the vocabulary, the settings and the unigram baseline, named ``prefix...``."""
    data = char_lm.text()
    V = len(data.chars)
    out: dict[str, int | float | str] = {f"{prefix}{k}": v for k, v in char_lm.DEFAULTS.items()}
    out[f"{prefix}clip"] = char_lm.CLIP
    out[f"{prefix}every"] = char_lm.EVERY
    out[f"{prefix}V"] = V
    out[f"{prefix}train_chars"] = len(data.train)
    out[f"{prefix}held_chars"] = len(data.held_out)
    out[f"{prefix}unigram"] = char_lm.unigram_perplexity(data.train, data.held_out, V)
    return out


def results(prefix: str, kinds: tuple[str, ...]) -> dict[str, int | float | str]:
    """Each kind's held-out perplexity (and its mean loss in nats per character), as
    ``{prefix}{kind}_perplexity`` and ``{prefix}{kind}_loss``."""
    out: dict[str, int | float | str] = {}
    for kind in kinds:
        run = char_lm.train(kind)
        out[f"{prefix}{kind.lower()}_perplexity"] = run.perplexity
        out[f"{prefix}{kind.lower()}_loss"] = float(np.log(run.perplexity))
    return out


def ch1() -> dict[str, int | float | str]:
    d = char_lm.DEFAULTS
    out = setup("rnn_lm_") | results("rnn_lm_", ("RNN",))
    out["rnn_lm_start_perplexity"] = char_lm.train("RNN").curve[0][1]
    out["rnn_lm_chars_per_step"] = d["chunk"] * d["batch"]
    out["rnn_lm_passes"] = float(d["steps"] * d["chunk"] * d["batch"] / len(char_lm.text().train))
    out["rnn_lm_temperatures"] = ", ".join(f"{t:g}" for t in char_lm.TEMPERATURES)
    out["rnn_lm_sample_length"] = char_lm.SAMPLE_LENGTH
    out["rnn_lm_smooth"] = lm_figures.SMOOTH
    return out


def ch2() -> dict[str, int | float | str]:
    out = _cited("lstm_lm_", "H", "steps", "every", "held_chars", "unigram")
    return out | results("lstm_lm_", ("RNN", "LSTM")) | cells()


def ch4() -> dict[str, int | float | str]:
    return _cited("gru_lm_", "every", "unigram") | results("gru_lm_", char_lm.KINDS)


def _cited(prefix: str, *names: str) -> dict[str, int | float | str]:
    """The entries ``names`` of :func:`setup`, for a chapter that cites only those."""
    every = setup(prefix)
    return {f"{prefix}{name}": every[f"{prefix}{name}"] for name in names}


def cells() -> dict[str, int | float | str]:
    """What the look inside the trained LSTM finds: for each property its best unit and
    correlation, and how often the forget gate is high."""
    found = inside_cells.findings()
    out: dict[str, int | float | str] = {"lstm_cells_forget_high": FORGET_HIGH}
    out["lstm_cells_span_low"], out["lstm_cells_span_high"] = lm_figures.SPAN
    f = found.states["f"]  # (N, H)
    out["lstm_cells_forget_share_high"] = float(np.mean(f > FORGET_HIGH))
    out["lstm_cells_forget_median"] = float(np.median(f))
    out["lstm_cells_units_high"] = int(np.sum(np.median(f, axis=0) > FORGET_HIGH))
    for name, (unit, r) in found.best.items():
        out[f"lstm_cells_{name}_unit"] = unit
        out[f"lstm_cells_{name}_r"] = r
    return out
