"""Each chapter shows the package's own step under its equations (a literalinclude of
the function, so the page shows the code that runs); a missing function would fail the
build, which runs with -W."""

import importlib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHOWN = {
    "ch1_rnn": [("rnn", "step"), ("rnn", "backward")],
    "ch2_lstm": [("lstm", "step"), ("lstm", "step_backward")],
    "ch3_variants": [("variants", "step")],
    "ch4_gru": [("gru", "step"), ("gru", "step_backward")],
    "ch5_attention": [("attention", "attend")],
}


@pytest.mark.parametrize("chapter", SHOWN)
def test_each_chapter_shows_the_packages_step_after_its_equations(chapter):
    text = (REPO / "book" / f"{chapter}.md").read_text()
    for module, name in SHOWN[chapter]:
        directive = f"```{{literalinclude}} /rnnlab/{module}.py\n:pyobject: {name}\n"
        assert directive in text, f"{chapter} does not show rnnlab.{module}.{name}"
        assert text.index("$$") < text.index(directive)  # the equations come first
        assert f"`rnnlab.{module}.{name}`" in text  # and the prose names it
        assert callable(getattr(importlib.import_module(f"rnnlab.{module}"), name))
