"""The notation page's table of code names against the code: every name the steps and
their backward passes use is in the table, and every name in the table is used."""

import re
from pathlib import Path

import pytest

from rnnlab import gru, lstm, rnn, variants

REPO = Path(__file__).resolve().parents[1]
SHOWN = [rnn.step, rnn.backward, lstm.step, lstm.step_backward, gru.step, gru.step_backward,
         variants.step]  # fmt: skip
# Names that are not symbols of the book: the parameters and options, loop counters.
PLUMBING = {"p", "s", "v", "state", "one", "reset_after", "xs", "hs", "h0", "params",
            "nonlinearity", "t"}  # fmt: skip


def table_names() -> set[str]:
    """The code names of the notation page's table (its second column)."""
    page = (REPO / "book" / "notation.md").read_text()
    section = page.split("(notation-code)=")[1]
    rows = [line.split(" | ") for line in section.splitlines() if line.startswith("| $")]
    return {name for row in rows for name in re.findall(r"`(\w+)`", row[1])}


def local_names(function) -> set[str]:
    code = function.__code__
    return set(code.co_varnames) - {"_"}


@pytest.mark.parametrize("function", SHOWN, ids=lambda f: f"{f.__module__}.{f.__name__}")
def test_every_name_a_step_uses_is_in_the_notation_table(function):
    unknown = local_names(function) - table_names() - PLUMBING
    assert not unknown, f"{function.__qualname__} uses {sorted(unknown)}, not on the page"


def test_every_name_in_the_notation_table_is_used_by_a_step():
    used = set().union(*(local_names(f) for f in SHOWN))
    # x_t is the cells' input (they pass u_t on), γ is FGR's helper's; epsilons is backward's
    assert table_names() - used - {"x_t", "gamma", "epsilons"} == set()


def test_the_table_is_read():
    # the control: the table holds the book's letters for the LSTM's gates
    assert {"i_t", "f_t", "g_t", "o_t", "a_i", "delta", "u_t"} <= table_names()
