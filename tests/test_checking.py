"""rnnlab.checking: the student's `rnnlab check NOTEBOOK`."""

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from course_layout import ASSIGNMENTS, ROOT

from rnnlab import checking

RELEASED_RNN = ROOT / "exercises" / "ex01_rnn" / "ex01_rnn.ipynb"


# ---------------------------------------------------------------- without a kernel


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ('{"cells": [', r"is not valid JSON \(line 1, column 12"),
        ("[1, 2]", "is JSON but not a Jupyter notebook"),
        (
            json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}),
            "is not one of the course's exercise notebooks: it has no graded test cells",
        ),
    ],
    ids=["missing", "invalid JSON", "not a notebook", "not the course's"],
)
def test_a_notebook_that_cannot_be_checked_exits_2_and_says_why(
    tmp_path, capsys, content, message
):
    path = tmp_path / "ex01_rnn.ipynb"
    if content is not None:
        path.write_text(content)
    assert checking.check_notebook(path) == 2
    assert re.search(message, capsys.readouterr().err)


def test_a_folder_is_not_a_notebook(tmp_path, capsys):
    assert checking.main([str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("reply", "status", "message"),
    [
        (None, "not run", "stopped before this cell"),
        ({"status": "ok"}, "passed", ""),
        ({"status": "error", "ename": "NotImplementedError", "evalue": ""}, "not implemented", ""),
        (
            {"status": "error", "ename": "NotImplementedYetError", "evalue": "x"},
            "not implemented",
            "",
        ),
        (
            {"status": "error", "ename": "AssertionError", "evalue": "lstm_cell: your c"},
            "failed",
            "your c",
        ),
        (
            {"status": "error", "ename": "CellTimeoutError", "evalue": "longer than 5 s"},
            "timed out",
            "5 s",
        ),
        (
            {"status": "error", "ename": "NameError", "evalue": "name 'f' is not defined"},
            "error",
            "NameError",
        ),
    ],
)
def test_each_test_cell_reply_becomes_a_result(reply, status, message):
    result = checking.outcome("test_lstm_cell", 6, reply)
    assert (result.name, result.points, result.status) == ("lstm_cell", 6, status)
    assert message in result.message


def test_an_edited_test_cell_is_noticed_through_nbgrader_s_checksum():
    notebook = nbformat.read(RELEASED_RNN, as_version=4)
    tests = [notebook.cells[k] for k in checking.test_cells(notebook)]
    assert len(tests) == 3 and not any(checking.edited(cell) for cell in tests)
    tests[0].source = tests[0].source.replace("grading.check_rnn_cell(rnn_cell)", "pass")
    assert checking.edited(tests[0])


# ---------------------------------------------------------------- with a kernel


@pytest.mark.grading
@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_the_solution_notebook_passes_every_test(name, capsys):
    assert checking.check_notebook(ROOT / "solutions" / name / f"{name}.ipynb") == 0
    printed = capsys.readouterr().out
    count = int(printed.split(" tests, ")[0].rsplit("(", 1)[1])
    assert f"{count} of {count} tests pass" in printed and "✗" not in printed


@pytest.mark.grading
def test_the_released_exercises_exit_1_with_not_implemented_yet():
    paths = [str(ROOT / "exercises" / name / f"{name}.ipynb") for name in ASSIGNMENTS]
    result = subprocess.run(
        [sys.executable, "-m", "rnnlab.checking", *paths],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    tests = sum(len(checking.test_cells(nbformat.read(path, as_version=4))) for path in paths)
    assert result.stdout.count("not implemented") == tests
    assert len(re.findall(r"^0 of \d+ tests pass", result.stdout, re.MULTILINE)) == len(paths)


def _student_notebook(tmp_path: Path) -> Path:
    """The released ex01 with a wrong rnn_cell, an endless rnn_forward, no rnn_backward,
    and an edited test cell."""
    notebook = nbformat.read(RELEASED_RNN, as_version=4)
    stub = "    # YOUR CODE HERE\n    raise NotImplementedError()"
    answers = {
        # no recurrent bias b_hh
        "rnn_cell": "    p = params\n"
        "    return np.tanh(x @ p['W_ih'].T + p['b_ih'] + h @ p['W_hh'].T)",
        "rnn_forward": "    while True:\n        pass",
    }
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = cell.source.replace(stub, answers[grade_id])
        if grade_id == "test_rnn_backward":
            cell.source += "\n# my note"
    path = tmp_path / "ex01_rnn.ipynb"
    nbformat.write(notebook, path)
    return path


@pytest.mark.grading
def test_a_student_notebook_gets_each_test_s_outcome_and_exits_1(tmp_path, capsys):
    path = _student_notebook(tmp_path)
    assert checking.main([str(path), "--timeout", "3"]) == 1
    printed = capsys.readouterr().out
    lines = {m[1]: m[0] for m in re.finditer(r"^  \S (\w+) .*$", printed, re.MULTILINE)}
    assert lines["rnn_cell"].rstrip().endswith("failed")
    assert "add the recurrent bias b_hh" in printed
    assert lines["rnn_forward"].rstrip().endswith("timed out")
    assert "longer than 3 s" in printed
    assert lines["rnn_backward"].rstrip().endswith("not implemented")
    assert "test cell test_rnn_backward was edited" in printed
    assert printed.count("was edited") == 1
    assert "0 of 3 tests pass" in printed
