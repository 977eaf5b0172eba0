"""The `rnnlab` command: `check` hands over to rnnlab.course.selfcheck, `grade` to
rnnlab.course.classroom."""

import subprocess
import sys
import types
from pathlib import Path

import pytest

from rnnlab.course import cli

RNNLAB = Path(sys.executable).parent / "rnnlab"


@pytest.fixture
def fake_checking(monkeypatch):
    """Stands in for rnnlab.course.selfcheck: records its argv and returns 3."""
    calls = []
    module = types.ModuleType("rnnlab.course.selfcheck")
    module.main = lambda argv: calls.append(argv) or 3
    monkeypatch.setitem(sys.modules, "rnnlab.course.selfcheck", module)
    monkeypatch.setattr("rnnlab.course.selfcheck", module, raising=False)
    return calls


def test_check_passes_the_notebook_and_its_options_and_returns_the_exit_code(fake_checking):
    code = cli.main(["check", "exercises/ex01_rnn/ex01_rnn.ipynb", "--verbose"])

    assert code == 3
    assert fake_checking == [["exercises/ex01_rnn/ex01_rnn.ipynb", "--verbose"]]


def test_importing_the_command_imports_neither_the_checker_nor_nbgrader():
    code = "import sys, rnnlab.course.cli; print(sorted(m for m in sys.modules if m.startswith(("
    code += "'nbgrader', 'rnnlab.course.selfcheck', 'rnnlab.course.classroom', 'torch'))))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_command_is_required(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main([])
    assert exit_.value.code == 2
    assert "check" in capsys.readouterr().err


def test_grade_outside_a_course_says_where_it_looked(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "class").mkdir()

    assert cli.main(["grade", "class"]) == 2
    assert f"no nbgrader_config.py with a solutions/ folder at or above {tmp_path}" in (
        capsys.readouterr().err
    )


def test_grade_of_a_folder_that_does_not_exist_is_a_usage_error(tmp_path, capsys):
    (tmp_path / "solutions").mkdir()
    (tmp_path / "nbgrader_config.py").write_text("")

    assert cli.main(["grade", str(tmp_path / "nowhere"), "--course", str(tmp_path)]) == 2
    assert "is not a folder of submissions" in capsys.readouterr().err


def test_grade_help_documents_every_option():
    out = subprocess.run([str(RNNLAB), "grade", "--help"], capture_output=True, text=True)
    assert out.returncode == 0
    options = ("--db", "--jobs", "--timeout", "--cell-timeout", "--memory", "--out")
    for option in (*options, "--unsafe-no-sandbox"):
        assert option in out.stdout


def test_the_gradebook_url_comes_from_rnnlab_db_url_unless_db_is_given(monkeypatch):
    url = "postgresql+psycopg2://teacher@db.example/gradebook"
    monkeypatch.setenv("RNNLAB_DB_URL", url)

    assert cli._parser().parse_args(["grade", "class"]).db == url
    assert cli._parser().parse_args(["grade", "class", "--db", "sqlite:///x.db"]).db == (
        "sqlite:///x.db"
    )


def test_check_leaves_every_option_to_the_checker_even_help(fake_checking):
    assert cli.main(["check", "--help"]) == 3
    assert fake_checking == [["--help"]]


def test_grade_without_bubblewrap_refuses_and_says_how_to_install_it(
    tmp_path, monkeypatch, capsys
):
    (tmp_path / "solutions" / "ex").mkdir(parents=True)
    (tmp_path / "solutions" / "ex" / "ex.ipynb").write_text('{"cells": [], "metadata": {}}')
    (tmp_path / "nbgrader_config.py").write_text("")
    (tmp_path / "class" / "ann").mkdir(parents=True)
    (tmp_path / "class" / "ann" / "ex.ipynb").write_text('{"cells": [], "nbformat": 4}')
    monkeypatch.setenv("PATH", str(tmp_path / "no-bwrap-here"))

    assert cli.main(["grade", str(tmp_path / "class"), "--course", str(tmp_path)]) == 2
    assert "sudo apt-get install bubblewrap" in capsys.readouterr().err
    assert not (tmp_path / "grading").exists()  # refused before anything was written


MISSING_NBFORMAT = """
import importlib.abc, sys
class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.partition(".")[0] == "nbformat":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, Refuse())
from rnnlab.course import cli
sys.exit(cli.main(["check", "ex02_lstm.ipynb"]))
"""


def test_check_without_the_student_extra_names_the_package_and_the_install(tmp_path):
    # `pip install rnnlab` has the models alone: `rnnlab check` then says what to install
    result = subprocess.run(
        [sys.executable, "-c", MISSING_NBFORMAT],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "rnnlab check: the package nbformat is not installed; "
        "pip install 'rnnlab[student]' installs what check needs"
    )
