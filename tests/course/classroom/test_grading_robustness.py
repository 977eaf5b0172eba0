"""One class, graded once by `rnnlab grade`, with a broken submission per student.

Each broken student gets a clear result (0 or partial, with the reason in grades.csv
and in the summary); every other student is graded; the gradebook and the other
feedback are intact; no process of the run is left behind.
"""

import os
import sqlite3
import subprocess

import nbformat
import psutil
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell
from toy_course import (
    ASSIGNMENT,
    BIN,
    HIDDEN_MESSAGE,
    HIDDEN_SOURCE,
    SOLVED,
    grade,
    hand_in,
    html_text,
    make_course,
    student,
)

from rnnlab.course.classroom.failures import DELETED
from rnnlab.course.classroom.report import COLUMNS, read_csv

pytestmark = [pytest.mark.grading, pytest.mark.slow]

TIMEOUT, CELL_TIMEOUT, MEMORY_GB = 20, 4, 2
ADD, MUL = SOLVED["add"], SOLVED["mul"]


def _with(**answers):
    return student({"add": ADD, "mul": MUL, **answers})


def _class(folder):
    hand_in(folder, "alice", student(), layout="flat")
    hand_in(folder, "bob", _with(add="def addition(a, b):\n    return a + b"), layout="nested")
    hand_in(folder, "carol", _with(mul="import os\nos.kill(os.getpid(), 9)"), layout="zip")
    hand_in(folder, "dave", b'{"cells": [{"cell_type": "code",')
    hand_in(folder, "erin", _with(add="def add(a, b):\n    while True:\n        pass"))
    hand_in(folder, "frank", _with(mul="import numpy as np\nx = np.ones(10**10)"))
    hand_in(folder, "gina", student(), assignment="ex-toy")  # misnamed: ex_toy is missing
    slow = _with()
    slow.cells += [new_code_cell("import time\ntime.sleep(2)") for _ in range(TIMEOUT)]
    hand_in(folder, "hank", slow)
    stubborn = "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass"
    hand_in(folder, "ivan", _with(add=stubborn))
    three_gb = f"import numpy as np\nx = np.ones(4 * 10**8)  # beyond {MEMORY_GB} GB\n{MUL}"
    hand_in(folder, "jill", _with(mul=three_gb))
    deleted = _with()
    deleted.cells = [c for c in deleted.cells if c.metadata["nbgrader"]["grade_id"] != "test_add"]
    hand_in(folder, "kate", deleted)
    edited = _with(add="def add(a, b):\n    return 0")
    edited.cells[2].source = "pass  # the test is gone"
    hand_in(folder, "liam", edited)
    hand_in(folder, "mona", _with(add="def add(a, b):\n    return a + b if a >= 0 else 99"))
    _hostile(folder)


# What a red team tried against the grader's own process (besides test_grading_attacks).
XSS = "<script>window.PWNED=1</script><img src=x onerror='window.PWNED=2'>"
ESCAPE = "\x1b[2K\x1b[1A  full marks 99"
WIDGET = (
    "import uuid\nk = get_ipython().kernel\n"
    "for _ in range(20):\n"
    "    k.session.send(k.iopub_socket, 'comm_msg', {'comm_id': uuid.uuid4().hex,"
    " 'data': {'state': {'_model_name': 'HTMLModel', 'value': 'w' * 5_000_000}}},"
    " parent=k.get_parent())"
)
DISPLAYS = (
    "from IPython.display import HTML, display\n"
    "def add(a, b):\n"
    "    for _ in range(3):\n"
    "        display(HTML('x'), display_id='d1')\n"
    "    return a + b"
)


def _hostile(folder):
    xss = _with()
    xss.cells.append(new_markdown_cell(f"# hi {XSS}"))
    show = "from IPython.display import HTML, Javascript, display\n"
    show += f"display(HTML({XSS!r}))\ndisplay(Javascript('window.PWNED=3'))"
    xss.cells.append(new_code_cell(show))
    hand_in(folder, "nina", xss)
    escape = _with(mul=f"raise ValueError({ESCAPE!r})")
    hand_in(folder, "oscar", escape)
    widgets = _with()
    widgets.cells.append(new_code_cell(WIDGET))
    hand_in(folder, "pia", widgets)
    displays = _with(add=DISPLAYS)
    update = "from IPython.display import update_display\n"
    displays.cells.append(
        new_code_cell(update + "update_display(HTML('UPDATED'), display_id='d1')")
    )
    hand_in(folder, "quinn", displays)
    points = _with(add="def add(a, b):\n    return 0")  # a solution cell marked as a test cell
    points.cells[1].metadata["nbgrader"].update(grade=True, points=100)
    hand_in(folder, "rita", points)
    # "<id>.verdicts" once named a file of student <id>'s job
    hand_in(folder, "alice.verdicts", _with(add="def add(a, b):\n    return 0"))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("robust")
    root = make_course(base / "course")
    _class(base / "class")
    out = base / "grading"
    options = ["--timeout", str(TIMEOUT), "--cell-timeout", str(CELL_TIMEOUT)]
    done = grade(root, base / "class", out, *options, "--memory", str(MEMORY_GB))
    rows = {row.student: row for row in read_csv(out / "grades.csv")}
    return done, rows, out


def _feedback(out, name):
    return (out / "feedback" / name / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()


def test_the_command_exits_0_and_its_summary_names_every_problem(graded):
    done, rows, _ = graded
    assert done.returncode == 0, done.stderr
    assert "19 notebooks of 19 students (ex_toy)" in done.stdout
    summary = done.stdout.split("lost points:\n")[1].splitlines()
    for name, row in rows.items():
        lines = [line for line in summary if line.split()[:1] == [name]]
        if row.status == "graded" and row.score == row.max_score:
            assert lines == []
        else:
            assert len(lines) == 1 and row.reason and lines[0].endswith(row.reason)
            assert f" {row.score:g}/3  {row.status}  " in lines[0]


def test_grades_csv_has_one_row_per_student_with_the_documented_columns(graded):
    _, rows, out = graded
    assert (out / "grades.csv").read_text().splitlines()[0] == ",".join(COLUMNS)
    assert len(rows) == 19
    assert {row.max_score for row in rows.values()} == {3.0}


def test_a_correct_submission_earns_full_marks_and_feedback(graded):
    _, rows, out = graded
    assert (rows["alice"].score, rows["alice"].status, rows["alice"].reason) == (3, "graded", "")
    assert "Score: 3.0 / 3.0" in _feedback(out, "alice")


def test_a_renamed_function_loses_its_tests_points_only(graded):
    _, rows, _ = graded
    assert (rows["bob"].score, rows["bob"].status) == (1, "graded")
    assert rows["bob"].reason == "test_add 0/2: NameError: name 'add' is not defined"


def test_a_kernel_crash_scores_zero_and_names_the_cell(graded):
    _, rows, out = graded
    assert (rows["carol"].score, rows["carol"].status) == (0, "crashed")
    assert rows["carol"].reason.startswith("the kernel died while running cell 4 (mul)")
    assert not (out / "feedback" / "carol").exists()


def test_invalid_json_is_invalid_and_never_reaches_nbgrader(graded):
    _, rows, out = graded
    assert (rows["dave"].score, rows["dave"].status) == (0, "invalid")
    assert "invalid JSON" in rows["dave"].reason
    assert not (out / "submitted" / "dave").exists()


def test_an_endless_loop_is_interrupted_and_the_rest_of_the_notebook_graded(graded):
    _, rows, _ = graded
    assert (rows["erin"].score, rows["erin"].status) == (1, "graded")
    assert rows["erin"].reason.startswith("test_add 0/2: interrupted: the cell ran longer")


def test_an_allocation_of_tens_of_gigabytes_fails_in_its_cell_only(graded):
    _, rows, _ = graded
    assert (rows["frank"].score, rows["frank"].status) == (2, "graded")
    assert rows["frank"].reason.startswith("cell 4 (mul): MemoryError: Unable to allocate")
    assert "test_mul 0/1: NameError" in rows["frank"].reason


def test_the_memory_limit_applies_to_the_kernel(graded):
    _, rows, _ = graded  # 3 GB would fit in this machine's memory, not in the limit
    assert (rows["jill"].score, rows["jill"].status) == (2, "graded")
    assert "MemoryError: Unable to allocate 2.98 GiB" in rows["jill"].reason


def test_a_missing_notebook_scores_zero_and_the_reason_lists_what_was_handed_in(graded):
    _, rows, _ = graded
    assert (rows["gina"].score, rows["gina"].status) == (0, "missing")
    assert rows["gina"].reason == f"no {ASSIGNMENT}.ipynb in the submission (found: ex-toy.ipynb)"


def test_a_notebook_running_past_the_limit_per_notebook_is_stopped(graded):
    _, rows, _ = graded
    assert (rows["hank"].score, rows["hank"].status) == (0, "timeout")
    assert rows["hank"].reason.startswith(f"stopped after {TIMEOUT} s, the limit per notebook")


def test_a_loop_that_ignores_interrupts_is_a_timeout(graded):
    _, rows, _ = graded
    assert (rows["ivan"].score, rows["ivan"].status) == (0, "timeout")
    assert rows["ivan"].reason == (
        "a cell ran past the limit per cell and could not be interrupted"
        " while running cell 2 (add)"
    )


def test_a_deleted_test_cell_loses_its_points_with_the_reason(graded):
    _, rows, _ = graded
    assert (rows["kate"].score, rows["kate"].status) == (1, "graded")
    assert rows["kate"].reason == f"test_add 0/2: {DELETED}"


def test_an_edited_test_cell_is_restored_and_run(graded):
    _, rows, out = graded
    assert (rows["liam"].score, rows["liam"].status) == (1, "graded")
    assert rows["liam"].reason == "test_add 0/2: AssertionError: add(1, 2) should be 3"
    assert "the test is gone" not in _feedback(out, "liam")


def test_feedback_shows_a_hidden_tests_message_but_never_its_code(graded):
    _, rows, out = graded
    assert rows["mona"].reason == f"test_add 0/2: AssertionError: {HIDDEN_MESSAGE}"
    autograded = out / "autograded" / "mona" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    assert HIDDEN_SOURCE in autograded.read_text()  # the hidden test did run
    assert HIDDEN_MESSAGE in _feedback(out, "mona")
    for name, row in rows.items():
        if row.feedback:
            text = html_text(out / row.feedback)
            assert HIDDEN_SOURCE not in text and "HIDDEN TESTS" not in text, name


def test_every_graded_student_has_feedback_and_the_others_have_none(graded):
    _, rows, out = graded
    for name, row in rows.items():
        path = out / "feedback" / name / ASSIGNMENT / f"{ASSIGNMENT}.html"
        assert path.exists() == (row.status == "graded"), name
        if row.status == "graded":
            assert row.feedback == path.relative_to(out).as_posix()
            assert f"Score: {row.score:.1f} / 3.0" in path.read_text()


def test_the_gradebook_is_intact_and_agrees_with_grades_csv(graded):
    _, rows, out = graded
    with sqlite3.connect(out / "gradebook.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        names = [n for (n,) in db.execute("SELECT student_id FROM submitted_assignment")]
        grade_rows = db.execute("SELECT count(*) FROM grade").fetchone()[0]
    graded_names = sorted(name for name, row in rows.items() if row.status == "graded")
    assert sorted(set(names)) == sorted(names)  # one submission per student
    assert set(graded_names) <= set(names)
    assert grade_rows == 2 * len(names)  # two test cells each


def test_no_kernel_or_grading_process_is_left_running(graded):
    _, _, out = graded
    leftovers = []
    for process in psutil.process_iter(["cmdline", "cwd"]):
        if str(out) in (process.info["cwd"] or "") or str(out) in " ".join(
            process.info["cmdline"] or []
        ):
            leftovers.append(process.info)
    assert leftovers == []


def test_nbgrader_generate_feedback_run_by_hand_in_the_grading_folder_hides_them_too(graded):
    _, rows, out = graded
    before = (out / rows["mona"].feedback).read_bytes()
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    env.pop("RNNLAB_DB_URL", None)
    command = [
        str(BIN / "nbgrader"),
        "generate_feedback",
        ASSIGNMENT,
        "--student",
        "mona",
        "--force",
    ]
    subprocess.run(command, cwd=out, env=env, check=True, capture_output=True)
    assert (out / rows["mona"].feedback).read_bytes() == before


def test_feedback_and_the_autograded_notebook_hold_no_live_script(graded):
    _, rows, out = graded
    assert (rows["nina"].score, rows["nina"].status) == (3, "graded")
    feedback = _feedback(out, "nina")
    assert "<script>window.PWNED" not in feedback and "<img src=x" not in feedback
    assert feedback.count("window.PWNED=3") == 1  # in the code shown; its output is gone
    assert "&lt;script&gt;window.PWNED=1" in feedback  # shown, as text
    autograded = nbformat.read(out / "autograded" / "nina" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4)
    markdown, code = autograded.cells[-2:]
    assert markdown.source.startswith("# hi &lt;script&gt;")  # what formgrader renders
    html, script = code.outputs
    assert html.data["text/html"].startswith("&lt;script&gt;")
    assert set(script.data) == {"text/plain"}


def test_no_control_character_of_a_notebook_reaches_the_summary_or_grades_csv(graded):
    done, rows, out = graded
    assert (rows["oscar"].score, rows["oscar"].status) == (2, "graded")
    assert "?[2K?[1A full marks 99" in rows["oscar"].reason
    assert "\x1b" not in done.stdout and "\x1b" not in (out / "grades.csv").read_text()


def test_widget_state_a_kernel_sends_is_not_kept(graded):
    _, rows, out = graded
    assert (rows["pia"].score, rows["pia"].status) == (3, "graded")
    autograded = out / "autograded" / "pia" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    assert autograded.stat().st_size < 100_000


def test_a_display_update_reaching_a_test_cell_neither_crashes_nor_changes_it(graded):
    _, rows, out = graded
    assert (rows["quinn"].score, rows["quinn"].status, rows["quinn"].reason) == (3, "graded", "")
    assert "UPDATED" not in _feedback(out, "quinn").split("update_display")[0]


def test_a_solution_cell_marked_as_a_test_cell_earns_nothing_and_breaks_nothing(graded):
    _, rows, _ = graded
    assert (rows["rita"].score, rows["rita"].status) == (1, "graded")
    assert rows["rita"].reason == "test_add 0/2: AssertionError: add(1, 2) should be 3"


def test_a_student_id_with_a_dot_cannot_reach_another_students_job(graded):
    _, rows, _ = graded
    assert (rows["alice"].score, rows["alice"].reason) == (3, "")
    assert (rows["alice.verdicts"].score, rows["alice.verdicts"].status) == (1, "graded")
