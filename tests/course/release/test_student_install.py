"""A student's path, end to end: a fresh virtual environment, the wheel installed from a
folder of its own (no repository on the path), a released notebook solved and checked
with ``rnnlab check`` (exit 0), a wrong one (exit 1).

pip fetches the wheel's dependencies (numpy, nbclient, ipykernel, ...) from the package
index, or from pip's cache when ``make`` has installed them before.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from rnnlab.course.release import wheel

REPO = Path(__file__).resolve().parents[3]
ASSIGNMENT = "ex00_pipeline"
WRONG_LAST_STEP = '''def last_step(hs, lengths):
    """Each sequence's state at its last real step: hs (T, B, H), lengths (B,) -> (B, H)."""
    return hs[-1]  # the last step of the padded batch, padding included
'''

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def student(tmp_path_factory) -> dict:
    """A student's folder: the wheel alone, a virtual environment with it installed."""
    home = tmp_path_factory.mktemp("student")
    downloads = home / "downloads"
    built = wheel.build(REPO, downloads)
    env = {
        key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")
    }
    env |= {
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        # Jupyter's and IPython's own folders, so that no kernel registered on this
        # machine stands in for the environment's own.
        "JUPYTER_DATA_DIR": str(home / "jupyter-data"),
        "JUPYTER_CONFIG_DIR": str(home / "jupyter-config"),
        "JUPYTER_PATH": "",
        "IPYTHONDIR": str(home / "ipython"),
    }
    venv = home / "venv"
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", str(venv)], check=True, cwd=home, env=env, timeout=300)
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"
    installed = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", str(built)],
        cwd=home, env=env, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr[-3000:]
    return {"home": home, "venv": venv, "env": env}


def run(student: dict, *command: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        command, cwd=student["home"], env=student["env"], capture_output=True, text=True,
        timeout=600, check=False,
    )  # fmt: skip


def released_copy(student: dict, name: str) -> Path:
    target = student["home"] / "work" / name / f"{ASSIGNMENT}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", target)
    return target


def solve(path: Path, replace: dict[str, str] | None = None) -> None:
    """Write the instructor's solution into every answer cell (or the given source)."""
    source = REPO / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    solutions = {cell.id: cell.source for cell in nbformat.read(source, as_version=4).cells}
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = (replace or {}).get(cell.id, solutions[cell.id])
    nbformat.write(notebook, path)


def statuses(report: str) -> dict[str, str]:
    """Each test's status in ``rnnlab check``'s report: ``✓ embed  2 points  passed``."""
    found = re.findall(r"^  \S (\w+)\s+\d+ points?\s+(.+)$", report, re.MULTILINE)
    return dict(found)


def test_the_installed_rnnlab_is_the_wheels_and_has_no_class_grader(student: dict):
    python = str(student["venv"] / "bin" / "python")
    where = run(student, python, "-c", "import rnnlab.course.selfcheck as s; print(s.__file__)")
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).is_relative_to(student["venv"])
    grader = run(student, python, "-c", "import rnnlab.course.classroom")
    assert "No module named 'rnnlab.course.classroom'" in grader.stderr


def test_a_solved_notebook_passes_rnnlab_check(student: dict):
    notebook = released_copy(student, "solved")
    solve(notebook)
    result = run(student, str(student["venv"] / "bin" / "rnnlab"), "check", str(notebook))
    assert result.returncode == 0, result.stdout + result.stderr
    functions = ("tokenize", "to_ids", "pad_batch", "embed", "last_step")
    assert statuses(result.stdout) == {name: "passed" for name in functions}


def test_a_wrong_notebook_fails_rnnlab_check_and_says_where(student: dict):
    notebook = released_copy(student, "wrong")
    solve(notebook, replace={"last_step": WRONG_LAST_STEP})
    result = run(student, str(student["venv"] / "bin" / "rnnlab"), "check", str(notebook))
    assert result.returncode == 1, result.stdout + result.stderr
    found = statuses(result.stdout)
    assert found["embed"] == "passed" and found["last_step"] == "failed", result.stdout
    assert "hs[-1] is the last padded step" in result.stdout  # the diagnosis names the slip


def test_rnnlab_grade_says_it_is_not_in_the_students_edition(student: dict):
    result = run(student, str(student["venv"] / "bin" / "rnnlab"), "grade", "submissions")
    assert result.returncode == 2
    assert "students' edition" in result.stderr and "class grader" in result.stderr
