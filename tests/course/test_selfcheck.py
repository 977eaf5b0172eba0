"""rnnlab.course.selfcheck: the student's `rnnlab check NOTEBOOK`."""

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from course_layout import ASSIGNMENTS, ROOT

from rnnlab.course import selfcheck
from rnnlab.course.grading import released

RELEASED_RNN = ROOT / "exercises" / "ex01_rnn" / "ex01_rnn.ipynb"
RESTORE = "restore it (copy it from a fresh copy of the notebook)"
SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


def _grade_id(cell) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def _solved(name: str) -> nbformat.NotebookNode:
    """The released notebook of ``name`` with every answer cell filled in from solutions/
    (the code between the solution markers), as a student who solved it hands it in."""
    notebook = nbformat.read(ROOT / "exercises" / name / f"{name}.ipynb", as_version=4)
    source = nbformat.read(ROOT / "solutions" / name / f"{name}.ipynb", as_version=4)
    answers = {
        _grade_id(cell): "\n".join(
            line for line in cell.source.splitlines() if line.strip() not in SOLUTION_MARKERS
        )
        for cell in source.cells
        if cell.metadata.get("nbgrader", {}).get("solution")
    }
    for cell in notebook.cells:
        cell.source = answers.get(_grade_id(cell), cell.source)
    return notebook


def _cell(notebook, grade_id: str):
    return next(cell for cell in notebook.cells if _grade_id(cell) == grade_id)


def _lines(printed: str) -> dict[str, str]:
    """Each test's line of the report, by the tested function's name."""
    return {m[1]: m[0].rstrip() for m in re.finditer(r"^  \S (\w+) .*$", printed, re.MULTILINE)}


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
    assert selfcheck.check_notebook(path) == 2
    assert re.search(message, capsys.readouterr().err)


def test_a_folder_is_not_a_notebook(tmp_path, capsys):
    assert selfcheck.main([str(tmp_path)]) == 2
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
    result = selfcheck.outcome("test_lstm_cell", 6, reply)
    assert (result.name, result.points, result.status) == ("lstm_cell", 6, status)
    assert message in result.message


def test_a_source_hash_ignores_line_endings_and_trailing_whitespace_and_nothing_else():
    source = "grading.check_rnn_cell(rnn_cell)\n\nassert np.allclose(h1, 0.5)"
    resaved = "grading.check_rnn_cell(rnn_cell)  \r\n\t\r\nassert np.allclose(h1, 0.5)\r\n\r\n"
    as_lines = ["grading.check_rnn_cell(rnn_cell)\n", "\n", "assert np.allclose(h1, 0.5)"]
    assert released.source_hash(resaved) == released.source_hash(source)
    assert released.source_hash(as_lines) == released.source_hash(source)
    for edit in (
        source.replace("grading.check_rnn_cell(rnn_cell)", "pass"),
        source.replace("assert np.allclose(h1, 0.5)", ""),
        source.replace("0.5", "0.50"),
        "    " + source,
        source + "\n# my note",
    ):
        assert released.source_hash(edit) != released.source_hash(source), edit


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_the_released_notebooks_test_cells_are_the_shipped_ones(name):
    notebook = nbformat.read(ROOT / "exercises" / name / f"{name}.ipynb", as_version=4)
    tests = selfcheck.locate(notebook, released.load()[name])
    assert [test.index for test in tests] == selfcheck.test_cells(notebook)
    assert all(test.intact for test in tests)
    assert sum(test.points for test in tests) == 10


def test_the_assignment_is_the_file_name_else_the_one_whose_test_grade_ids_it_holds():
    reference = released.load()
    notebook = nbformat.read(RELEASED_RNN, as_version=4)
    assert selfcheck.assignment(Path("ex02_lstm.ipynb"), notebook, reference) == (
        "ex02_lstm",
        "name",
    )
    assert selfcheck.assignment(Path("ex01_rnn (1).ipynb"), notebook, reference) == (
        "ex01_rnn",
        "grade_ids",
    )
    for cell in notebook.cells:
        cell.metadata.get("nbgrader", {}).pop("grade_id", None)
    assert selfcheck.assignment(Path("mine.ipynb"), notebook, reference) == (None, "")


def test_an_edited_or_deleted_test_cell_is_a_failure_that_names_it_before_anything_runs():
    notebook = nbformat.read(RELEASED_RNN, as_version=4)
    cell = _cell(notebook, "test_rnn_cell")
    cell.source = cell.source.replace("grading.check_rnn_cell(rnn_cell)", "pass")
    notebook.cells.remove(_cell(notebook, "test_rnn_backward"))
    results = [
        selfcheck.result(test, {})
        for test in selfcheck.locate(notebook, released.load()["ex01_rnn"])
    ]
    assert [(r.grade_id, r.points, r.status) for r in results] == [
        ("test_rnn_cell", 3, "edited"),
        ("test_rnn_forward", 3, "not run"),
        ("test_rnn_backward", 4, "deleted"),
    ]
    assert results[0].message == (
        "test cell test_rnn_cell was changed since its release: the grader runs the "
        f"original, so {RESTORE}"
    )
    assert results[2].message == (
        f"test cell test_rnn_backward was deleted: the grader will give it 0 points, so {RESTORE}"
    )


# ---------------------------------------------------------------- with a kernel


@pytest.mark.grading
@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_a_solved_notebook_passes_every_test(name, tmp_path, capsys):
    path = tmp_path / f"{name}.ipynb"
    nbformat.write(_solved(name), path)
    assert selfcheck.check_notebook(path) == 0
    printed = capsys.readouterr().out
    count = len(released.load()[name])
    assert f"({count} tests, 10 points)" in printed
    assert f"{count} of {count} tests pass (10 of 10 points" in printed
    assert "✗" not in printed and "!" not in printed


@pytest.mark.grading
def test_the_released_exercises_exit_1_with_not_implemented_yet():
    paths = [str(ROOT / "exercises" / name / f"{name}.ipynb") for name in ASSIGNMENTS]
    result = subprocess.run(
        [sys.executable, "-m", "rnnlab.course.selfcheck", *paths],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    tests = sum(len(selfcheck.test_cells(nbformat.read(path, as_version=4))) for path in paths)
    assert result.stdout.count("not implemented") == tests
    assert len(re.findall(r"^0 of \d+ tests pass", result.stdout, re.MULTILINE)) == len(paths)


@pytest.mark.grading
@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("grading.check_rnn_cell(rnn_cell)", "pass"),
        ('assert np.allclose(h1, np.tanh(0.5)), f"expected tanh(0.5) = ', "pass  # "),
        ("assert np.allclose(h1, np.tanh(0.5))", ""),
    ],
    ids=["check replaced by pass", "assert replaced by pass", "assert removed"],
)
def test_a_solved_notebook_with_a_test_cell_weakened_fails_naming_the_cell_as_edited(
    tmp_path, capsys, old, new
):
    notebook = _solved("ex01_rnn")
    cell = _cell(notebook, "test_rnn_cell")
    assert old in cell.source
    cell.source = cell.source.replace(old, new)
    path = tmp_path / "ex01_rnn.ipynb"
    nbformat.write(notebook, path)

    assert selfcheck.main([str(path)]) == 1
    printed = capsys.readouterr().out
    lines = _lines(printed)
    assert lines["rnn_cell"].endswith("3 points  edited") and lines["rnn_cell"].startswith("  ✗")
    assert lines["rnn_forward"].endswith("passed") and lines["rnn_backward"].endswith("passed")
    assert (
        "      test cell test_rnn_cell was changed since its release: the grader runs the "
        f"original, so {RESTORE}\n"
    ) in printed
    assert printed.count("was changed since its release") == 1
    assert printed.rstrip().endswith(
        "2 of 3 tests pass (7 of 10 points on the visible tests; hidden tests run when you are "
        "graded). Test cells changed since their release: 1 edited."
    )


@pytest.mark.grading
def test_a_deleted_test_cell_fails_and_the_grader_gives_it_0_points(tmp_path, capsys):
    notebook = _solved("ex01_rnn")
    notebook.cells.remove(_cell(notebook, "test_rnn_forward"))
    path = tmp_path / "ex01_rnn.ipynb"
    nbformat.write(notebook, path)

    assert selfcheck.main([str(path)]) == 1
    printed = capsys.readouterr().out
    assert "(3 tests, 10 points)" in printed
    assert _lines(printed)["rnn_forward"] == "  ✗ rnn_forward     3 points  deleted"
    assert (
        f"test cell test_rnn_forward was deleted: the grader will give it 0 points, so {RESTORE}"
    ) in printed
    assert (
        "2 of 3 tests pass (7 of 10 points on the visible tests; hidden tests run when you are "
        "graded). Test cells changed since their release: 1 deleted."
    ) in printed


@pytest.mark.grading
def test_a_notebook_re_saved_with_crlf_and_trailing_spaces_still_passes(tmp_path, capsys):
    notebook = _solved("ex01_rnn")
    for cell in notebook.cells:
        cell.source = "".join(f"{line}  \r\n" for line in cell.source.splitlines()) + "\r\n"
    path = tmp_path / "ex01_rnn.ipynb"
    path.write_bytes(nbformat.writes(notebook).replace("\n", "\r\n").encode("utf-8"))

    assert selfcheck.main([str(path)]) == 0
    printed = capsys.readouterr().out
    assert "3 of 3 tests pass (10 of 10 points" in printed and "edited" not in printed


@pytest.mark.grading
def test_a_renamed_notebook_is_matched_to_its_assignment_by_its_test_cells(tmp_path, capsys):
    notebook = _solved("ex01_rnn")
    notebook.cells.remove(_cell(notebook, "test_rnn_backward"))
    path = tmp_path / "ex01_rnn (1).ipynb"
    nbformat.write(notebook, path)

    assert selfcheck.main([str(path)]) == 1
    printed = capsys.readouterr().out
    assert (
        "  ! ex01_rnn (1).ipynb is not named after an exercise; its test cells are ex01_rnn's\n"
    ) in printed
    assert "(3 tests, 10 points)" in printed
    assert _lines(printed)["rnn_backward"].endswith("deleted")
    assert "2 of 3 tests pass (6 of 10 points" in printed


@pytest.mark.grading
def test_a_notebook_of_no_assignment_has_its_test_cells_checked_as_they_are(tmp_path, capsys):
    notebook = _solved("ex01_rnn")
    for cell in notebook.cells:
        if "nbgrader" in cell.metadata:
            cell.metadata.nbgrader.grade_id = "my_" + cell.metadata.nbgrader.grade_id
    cell = _cell(notebook, "my_test_rnn_cell")
    cell.source = cell.source.replace("grading.check_rnn_cell(rnn_cell)", "pass")
    path = tmp_path / "mine.ipynb"
    nbformat.write(notebook, path)

    assert selfcheck.main([str(path)]) == 0
    printed = capsys.readouterr().out
    assert (
        "  ! mine.ipynb is not one of the course's exercises by name or by its test cells: "
        "its test cells are checked as they are, edited or not"
    ) in printed
    assert "3 of 3 tests pass (10 of 10 points" in printed


@pytest.mark.grading
def test_the_check_runs_without_nbgrader(tmp_path):
    notebook = _solved("ex02_lstm")
    notebook.cells.remove(_cell(notebook, "test_lstm_forward"))
    path = tmp_path / "ex02_lstm.ipynb"
    nbformat.write(notebook, path)
    code = "import sys; sys.modules['nbgrader'] = None; from rnnlab.course.selfcheck import main; "
    code += "sys.exit(main(sys.argv[1:]))"
    result = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "2 of 3 tests pass (8 of 10 points" in result.stdout
    assert "test cell test_lstm_forward was deleted" in result.stdout


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
    assert selfcheck.main([str(path), "--timeout", "3"]) == 1
    printed = capsys.readouterr().out
    lines = {m[1]: m[0] for m in re.finditer(r"^  \S (\w+) .*$", printed, re.MULTILINE)}
    assert lines["rnn_cell"].rstrip().endswith("failed")
    assert "add the recurrent bias b_hh" in printed
    assert lines["rnn_forward"].rstrip().endswith("timed out")
    assert "longer than 3 s" in printed
    assert lines["rnn_backward"].rstrip().endswith("edited")
    assert "test cell test_rnn_backward was changed since its release" in printed
    assert printed.count("was changed since its release") == 1
    assert "0 of 3 tests pass" in printed
    assert "Test cells changed since their release: 1 edited." in printed
