"""The leak check of the student edition: each kind of leak, planted in an otherwise
clean edition, is found and named; what carries no answer is not."""

import io
import json
import zipfile
from pathlib import Path

import nbformat
import pytest

from rnnlab.course.release import leaks

REPO = Path(__file__).resolve().parents[3]
SECRET = b"9f86d081884c7d659a2feaa0c55ad015"

SOLUTION_CELL = """\
def lstm_cell(x, state, params):
    \"\"\"One step.\"\"\"
    ### BEGIN SOLUTION
    h_prev, c_prev = state
    gates = x @ params["W_ih"].T + h_prev @ params["W_hh"].T  # (B, 4H)
    if gates.ndim == 2:
        pass
    # the candidate
    ],
    c_t = f_t * c_prev + i_t * g_t
    ### END SOLUTION
"""
TEST_CELL = """\
grading.check_lstm_cell(lstm_cell)
### BEGIN HIDDEN TESTS
grading.check_lstm_cell(lstm_cell, hidden=True)
### END HIDDEN TESTS
"""
ANSWER = 'gates = x @ params["W_ih"].T + h_prev @ params["W_hh"].T  # (B, 4H)'
HIDDEN = "grading.check_lstm_cell(lstm_cell, hidden=True)"


@pytest.fixture
def course(tmp_path: Path) -> Path:
    """A course with one solution notebook and a model that shares a line with it."""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(SOLUTION_CELL),
        nbformat.v4.new_code_cell(TEST_CELL),
    ]
    (tmp_path / "solutions" / "ex02_lstm").mkdir(parents=True)
    nbformat.write(notebook, tmp_path / "solutions" / "ex02_lstm" / "ex02_lstm.ipynb")
    (tmp_path / "rnnlab").mkdir()
    (tmp_path / "rnnlab" / "lstm.py").write_text("    c_t = f_t * c_prev + i_t * g_t\n")
    return tmp_path


@pytest.fixture
def edition(tmp_path: Path) -> Path:
    """A clean edition: a page, a released notebook, a wheel."""
    folder = tmp_path / "edition"
    (folder / "exercises" / "ex02_lstm").mkdir(parents=True)
    (folder / "index.html").write_text(
        "<p>The LSTM: <code>c_t = f_t * c_prev + i_t * g_t</code></p>"
    )
    released = nbformat.v4.new_notebook()
    released.cells = [
        nbformat.v4.new_code_cell("def lstm_cell(x, state, params):\n    # YOUR CODE HERE\n"),
        nbformat.v4.new_code_cell("grading.check_lstm_cell(lstm_cell)\n"),
    ]
    nbformat.write(released, folder / "exercises" / "ex02_lstm" / "ex02_lstm.ipynb")
    (folder / "wheels").mkdir()
    (folder / "wheels" / "rnnlab.whl").write_bytes(_zipped({"rnnlab/lstm.py": "h = 1\n"}))
    return folder


def _zipped(members: dict[str, str | bytes], compression=zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_a_clean_edition_has_no_leak(course: Path, edition: Path):
    assert leaks.scan(edition, leaks.from_course(course, SECRET)) == []


def test_only_lines_that_carry_an_answer_are_looked_for(course: Path):
    lines = leaks.from_course(course, SECRET).lines
    # The answer and the hidden test; not the signature, the header, the comment, the
    # bracket, nor the line the public model shares.
    assert set(lines) == {"h_prev, c_prev = state", ANSWER, HIDDEN}
    assert lines[ANSWER] == "solutions/ex02_lstm/ex02_lstm.ipynb"


def test_a_solution_line_in_a_released_notebook_is_found(course: Path, edition: Path):
    path = edition / "exercises" / "ex02_lstm" / "ex02_lstm.ipynb"
    notebook = nbformat.read(path, as_version=4)
    notebook.cells[0].source = notebook.cells[0].source.replace("# YOUR CODE HERE", ANSWER)
    nbformat.write(notebook, path)
    found = leaks.scan(edition, leaks.from_course(course, SECRET))
    assert [leak.where for leak in found] == ["exercises/ex02_lstm/ex02_lstm.ipynb"]
    assert "solutions/ex02_lstm/ex02_lstm.ipynb" in found[0].what and ANSWER in found[0].what


def test_a_hidden_test_in_an_output_or_in_highlighted_html_is_found(course, edition):
    path = edition / "exercises" / "ex02_lstm" / "ex02_lstm.ipynb"
    notebook = nbformat.read(path, as_version=4)
    notebook.cells[1].outputs = [
        nbformat.v4.new_output("stream", text=f"ran {HIDDEN}\n{HIDDEN}\n")
    ]
    nbformat.write(notebook, path)
    # Pygments splits a line into spans and escapes its quotes: the reader sees the line.
    highlighted = (
        '<span class="n">grading</span><span class="o">.</span>check_lstm_cell'
        "(lstm_cell, <span>hidden</span>=True)"
    )
    (edition / "page.html").write_text(f"<pre>  {highlighted}\n</pre>")
    found = leaks.scan(edition, leaks.from_course(course, SECRET))
    assert sorted(leak.where for leak in found) == [
        "exercises/ex02_lstm/ex02_lstm.ipynb",
        "page.html",
    ]


def test_a_leak_inside_a_wheel_inside_the_archive_is_found(course, edition):
    wheel = _zipped({"rnnlab/grading.py": f"    {HIDDEN}\n", "rnnlab/key.txt": SECRET})
    outer = _zipped({"course/wheels/rnnlab.whl": wheel}, zipfile.ZIP_DEFLATED)
    (edition / "course.zip").write_bytes(outer)
    found = leaks.scan(edition, leaks.from_course(course, SECRET))
    assert {(leak.where, leak.what.split(":")[0]) for leak in found} == {
        ("course.zip!course/wheels/rnnlab.whl", "holds the course secret"),
        (
            "course.zip!course/wheels/rnnlab.whl!rnnlab/grading.py",
            "holds a line of solutions/ex02_lstm/ex02_lstm.ipynb",
        ),
        ("course.zip!course/wheels/rnnlab.whl!rnnlab/key.txt", "holds the course secret"),
    }


def test_a_file_of_solutions_under_another_name_is_found(course, edition):
    source = course / "solutions" / "ex02_lstm" / "ex02_lstm.ipynb"
    (edition / "notes.json").write_bytes(source.read_bytes())
    found = leaks.scan(edition, leaks.from_course(course, SECRET))
    assert found[0] == leaks.Leak("notes.json", "is solutions/ex02_lstm/ex02_lstm.ipynb")


def test_the_course_secret_is_found_anywhere(course, edition):
    (edition / "static.js").write_text(f"var k = '{SECRET.decode()}';")
    found = leaks.scan(edition, leaks.from_course(course, SECRET))
    assert found == [leaks.Leak("static.js", "holds the course secret")]


def test_the_real_solutions_give_their_answers_and_hidden_tests():
    secrets = leaks.from_course(REPO, SECRET)
    solutions = sorted((REPO / "solutions").glob("*/*.ipynb"))
    for path in solutions:
        cells = json.loads(path.read_text())["cells"]
        sources = ["".join(cell["source"]) for cell in cells]
        hidden = [s.split("### BEGIN HIDDEN TESTS")[1] for s in sources if "BEGIN HIDDEN" in s]
        calls = [line.strip() for s in hidden for line in s.splitlines() if "hidden=True" in line]
        assert calls, f"{path.name} has no hidden test"
        assert all(call in secrets.lines for call in calls)
    assert len(secrets.files) >= len(solutions)
