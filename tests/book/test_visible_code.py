"""What a chapter shows runs when copied: every name a visible code cell reads is bound by
a visible cell before it (or is a builtin), never only by a removed one (the glue cell)."""

import ast
import builtins
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHAPTERS = sorted((REPO / "book").glob("ch*.md"))
CELL = re.compile(r"```\{code-cell\}[^\n]*\n(.*?)```", re.S)
HIDDEN = ("remove-cell", "remove-input")


def code_cells(text: str):
    """(tags, source) of each code cell of a MyST notebook."""
    for match in CELL.finditer(text):
        lines = match.group(1).splitlines()
        meta = []
        if lines and lines[0].strip() == "---":  # a YAML block of options
            end = lines.index("---", 1)
            meta, lines = lines[1:end], lines[end + 1 :]
        while lines and lines[0].startswith(":"):  # short options such as :tags:
            meta, lines = [*meta, lines[0]], lines[1:]
        yield re.findall(r"remove-\w+", "\n".join(meta)), "\n".join(lines)


def read_and_bound(source: str) -> tuple[set[str], set[str]]:
    read, bound = set(), set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Name):
            (read if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            bound.add(node.name)
        elif isinstance(node, ast.alias):
            bound.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    return read, bound


def unbound_names(text: str) -> list[tuple[str, list[str]]]:
    """Visible cells that read a name no visible cell before them (or they) binds."""
    known, found = set(dir(builtins)), []
    for tags, source in code_cells(text):
        if set(tags) & set(HIDDEN):
            continue
        read, bound = read_and_bound(source)
        if read - bound - known:
            found.append((source.splitlines()[0], sorted(read - bound - known)))
        known |= bound
    return found


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda path: path.stem)
def test_visible_code_runs_without_the_removed_cells(chapter):
    assert unbound_names(chapter.read_text()) == []


def test_a_name_bound_only_in_a_removed_cell_is_found():
    page = (
        "```{code-cell} ipython3\n:tags: [remove-cell]\nfrom rnnlab.book import ch2_lstm\n```\n"
        "```{code-cell} ipython3\np = ch2_lstm.params()\n```\n"
    )
    assert unbound_names(page) == [("p = ch2_lstm.params()", ["ch2_lstm"])]
