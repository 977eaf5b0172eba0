"""Feedback that never shows hidden tests.

nbgrader's ``GenerateFeedback`` renders the autograded notebook, whose test cells were
restored from the gradebook *with* their hidden tests. ``HideHiddenTests`` runs before
the HTML export: it cuts every ``### BEGIN HIDDEN TESTS`` … ``### END HIDDEN TESTS``
region out of the test cells, and shortens the error of a cell that had one to its last
line (``AssertionError: your forget gate looks like it uses tanh``), because an IPython
traceback quotes the source line that failed, which may be a hidden one.
"""

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor, Preprocessor
from nbconvert.preprocessors.sanitize import SanitizeHTML
from nbformat import NotebookNode
from traitlets import Bool

BEGIN = "BEGIN HIDDEN TESTS"
END = "END HIDDEN TESTS"


def cut_hidden_region(source: str) -> tuple[str, bool]:
    """Return ``source`` without its hidden-test regions, and whether it had one.

    A region left open runs to the end of the cell: better to show too little than to
    show a hidden test.
    """
    kept, hidden, found = [], False, False
    for line in source.split("\n"):
        if BEGIN in line:
            hidden = found = True
        elif END in line and hidden:
            hidden = False
        elif not hidden:
            kept.append(line)
    return "\n".join(kept), found


def hidden_lines(source: str) -> set[int]:
    """The numbers (from 1) of the lines of ``source`` in its hidden-test regions,
    markers included; as cut_hidden_region, a region left open runs to the end."""
    lines, hidden = set(), False
    for number, line in enumerate(source.split("\n"), start=1):
        if BEGIN in line:
            hidden = True
        if hidden:
            lines.add(number)
        if END in line and hidden:
            hidden = False
    return lines


def last_line_only(output: NotebookNode) -> NotebookNode:
    """Replace an error output's traceback by the one line ``ename: evalue``."""
    if output.get("output_type") == "error":
        output["traceback"] = [f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"]
    return output


class HideHiddenTests(Preprocessor):
    """Remove hidden tests, and the traceback lines that could quote them, from test cells."""

    enabled = Bool(True, help="nbconvert runs a preprocessor only when enabled").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or not cell.metadata.get("nbgrader", {}).get("grade"):
            return cell, resources
        cell.source, had_hidden = cut_hidden_region(cell.source)
        if had_hidden:
            cell.outputs = [last_line_only(output) for output in cell.get("outputs", [])]
        return cell, resources


class NoScript(SanitizeHTML):
    """nbconvert's SanitizeHTML, switched on: markdown and HTML outputs lose their
    scripts and event handlers (shown as text), script outputs are dropped. A submitted
    notebook's HTML would otherwise run in the instructor's browser (formgrader) and the
    student's (feedback)."""

    enabled = Bool(True, help="nbconvert runs a preprocessor only when enabled").tag(config=True)


def feedback_preprocessors() -> list:
    """GenerateFeedback's preprocessors, with the hidden tests removed first and no
    script or live HTML a notebook could carry (markdown, outputs) left in the page."""
    from nbgrader.preprocessors import GetGrades

    return [HideHiddenTests, NoScript, GetGrades, CSSHTMLHeaderPreprocessor]
