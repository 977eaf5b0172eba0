"""``python -m rnnlab.course.release`` (``make release``) on a course of its own: it
releases a clean edition, and refuses one that would leak, releasing nothing."""

import json
import shutil
from pathlib import Path

import pytest

from rnnlab.course.release import __main__ as release
from rnnlab.course.release import wheel

REPO = Path(__file__).resolve().parents[3]
SECRET = "3a7bd3e2360a3d29eea436fcfb7e44c7"

pytestmark = pytest.mark.slow


@pytest.fixture
def course(tmp_path: Path) -> Path:
    """A copy of the course with a built book: one page, and the wheel it links."""
    root = tmp_path / "course"
    root.mkdir()
    shutil.copy(REPO / "pyproject.toml", root)
    for folder in ("rnnlab", "solutions", "exercises"):
        shutil.copytree(REPO / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__"))
    (root / "course_secret").write_text(SECRET + "\n")
    html = root / "_build" / "html"
    (html / "book").mkdir(parents=True)
    (html / "index.html").write_text("<p>Recurrent networks</p>")
    built = wheel.build(root, tmp_path / "prebuilt")  # the same bytes main will build
    (html / "_downloads" / "0a1b").mkdir(parents=True)
    shutil.copy(built, html / "_downloads" / "0a1b" / built.name)
    return root


def a_solution_line(root: Path) -> str:
    cells = json.loads((root / "solutions/ex00_pipeline/ex00_pipeline.ipynb").read_text())["cells"]
    source = "".join(next(c for c in cells if c["id"] == "tokenize")["source"])
    return source.split("### BEGIN SOLUTION")[1].splitlines()[1].strip()


def test_a_clean_course_is_released_as_a_folder_and_an_archive(course: Path, capsys):
    assert release.main(["--course", str(course)]) == 0
    folder = course / "_build" / "release" / "rnn-course"
    assert (folder / "index.html").read_text() == "<p>Recurrent networks</p>"
    assert (folder / "exercises" / "ex02_lstm" / "ex02_lstm.ipynb").is_file()
    assert (folder / "wheels" / wheel.wheel_name(course)).is_file()
    assert (folder / "README.md").is_file() and folder.with_suffix(".zip").is_file()
    assert "archive: _build/release/rnn-course.zip" in capsys.readouterr().out


def test_an_edition_that_would_leak_is_refused_and_nothing_released(course: Path, capsys):
    line = a_solution_line(course)
    page = course / "_build" / "html" / "book" / "ch0_sequences.html"
    page.write_text(f"<pre><span>{line}</span></pre>")
    (course / "_build" / "html" / "config.js").write_text(f"var key = '{SECRET}';")
    assert release.main(["--course", str(course)]) == 1
    err = capsys.readouterr().err
    assert "2 leaks; nothing released" in err
    assert "book/ch0_sequences.html: holds a line of solutions/ex00_pipeline/" in err
    assert "config.js: holds the course secret" in err
    assert not (course / "_build" / "release" / "rnn-course").exists()
    assert list((course / "_build" / "release").iterdir()) == []


def test_a_book_built_before_the_package_changed_is_refused(course: Path, capsys):
    (course / "rnnlab" / "course" / "grading" / "extra.py").write_text("HINT = 1\n")
    assert release.main(["--course", str(course)]) == 2
    assert "run `make book` again" in capsys.readouterr().err


def test_without_a_built_book_it_says_to_build_it(course: Path, capsys):
    shutil.rmtree(course / "_build" / "html")
    assert release.main(["--course", str(course)]) == 2
    assert "no built book" in capsys.readouterr().err
