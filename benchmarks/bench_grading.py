"""Grading cost: `rnnlab grade` per submission against nbgrader's floor, and the speed-up
of grading in parallel.

The floor is `nbgrader autograde` of an empty notebook for one student, with the same
kernel, run as instructors run it (a process that imports nbgrader and starts a
kernel). `rnnlab grade` then grades 20 generated students, one process at a time, with
the same empty notebook (its overhead: aim ≤ 1.5x the floor) and with a small numpy
notebook; the numpy class again with 2 processes gives the speed-up on 2 cores (of the
whole command, and without the cost paid once per run, measured by grading one
student). The numpy notebook's last test cell asserts that grading it never imported
torch.
"""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
STUDENTS = 20
FLOOR_REPEATS = 3
ENV = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
ENV.pop("RNNLAB_DB_URL", None)

SETUP = "import sys\nimport numpy as np\nfrom rnnlab import grading, init, rnn"
ANSWER = (
    "def step(x, h, p):\n"
    "    ### BEGIN SOLUTION\n"
    '    return np.tanh(x @ p["W_ih"].T + p["b_ih"] + h @ p["W_hh"].T + p["b_hh"])\n'
    "    ### END SOLUTION"
)
TESTS = [
    "p = init.rnn(3, 4, seed=0)\nx, h = np.ones((2, 3)), np.zeros((2, 4))\n"
    "assert np.allclose(step(x, h, p), rnn.cell(x, h, p))",
    'assert "torch" not in sys.modules, "grading imported torch"',
]


def _meta(grade_id: str, solution: bool = False, points: int | None = None) -> dict:
    meta = {
        "grade_id": grade_id,
        "solution": solution,
        "grade": points is not None,
        "locked": not solution,
        "schema_version": 3,
    }
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def _notebook(cells: list) -> nbformat.NotebookNode:
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


def numpy_notebook() -> nbformat.NotebookNode:
    return _notebook(
        [
            new_code_cell(SETUP, metadata=_meta("setup")),
            new_code_cell(ANSWER, metadata=_meta("step", solution=True)),
            *[
                new_code_cell(t, metadata=_meta(f"test_{k}", points=1))
                for k, t in enumerate(TESTS)
            ],
        ]
    )


def make_course(root: Path) -> None:
    shutil.copyfile(REPO / "nbgrader_config.py", root / "nbgrader_config.py")
    for name, nb in {"empty": _notebook([]), "numpy_only": numpy_notebook()}.items():
        (root / "solutions" / name).mkdir(parents=True)
        nbformat.write(nb, root / "solutions" / name / f"{name}.ipynb")


def make_class(folder: Path, assignment: str, root: Path, students: int = STUDENTS) -> Path:
    """``students`` sub-folders, each holding the assignment's solution notebook."""
    source = root / "solutions" / assignment / f"{assignment}.ipynb"
    for k in range(students):
        target = folder / f"student{k:02d}" / assignment
        target.mkdir(parents=True)
        shutil.copyfile(source, target / f"{assignment}.ipynb")
    return folder


def run(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=ENV, check=True, capture_output=True)
    return time.perf_counter() - start


def floor_seconds(root: Path) -> float:
    """Median wall time of `nbgrader autograde` of the empty notebook, one student."""
    run([str(BIN / "nbgrader"), "generate_assignment", "empty", "--force"], root)
    submitted = root / "submitted" / "floor" / "empty"
    submitted.mkdir(parents=True)
    shutil.copyfile(root / "solutions" / "empty" / "empty.ipynb", submitted / "empty.ipynb")
    command = [str(BIN / "nbgrader"), "autograde", "empty", "--student", "floor", "--force"]
    return statistics.median(run(command, root) for _ in range(FLOOR_REPEATS))


def grade_seconds(root: Path, folder: Path, jobs: int) -> tuple[float, str]:
    """Wall time of `rnnlab grade` (the whole command) and its grades.csv."""
    out = Path(tempfile.mkdtemp(dir=root, prefix=f"out_{folder.name}_{jobs}_"))
    command = [str(BIN / "rnnlab"), "grade", str(folder), "--out", str(out), "--jobs", str(jobs)]
    seconds = run(command, root)
    return seconds, (out / "grades.csv").read_text()


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench_grading_") as tmp:
        root = Path(tmp)
        make_course(root)
        floor = floor_seconds(root)
        empty, _ = grade_seconds(root, make_class(root / "empty", "empty", root), jobs=1)
        numpy_class = make_class(root / "numpy", "numpy_only", root)
        serial, _ = grade_seconds(root, numpy_class, jobs=1)
        parallel, grades = grade_seconds(root, numpy_class, jobs=2)
        one, _ = grade_seconds(root, make_class(root / "one", "numpy_only", root, 1), jobs=1)

    per = empty / STUDENTS
    once = one - serial / STUDENTS  # start-up and gradebook set-up, paid once per run
    lines = [
        f"grading cost, {STUDENTS} students, {os.cpu_count()} CPUs",
        f"  floor: nbgrader autograde of an empty notebook, one student  {floor:6.2f} s",
        f"  rnnlab grade, empty notebook, 1 process    {per:6.2f} s per submission"
        f"   {per / floor:.2f}x the floor (aim <= 1.5x)",
        f"  rnnlab grade, numpy notebook, 1 process    {serial / STUDENTS:6.2f} s per submission",
        f"  rnnlab grade, numpy notebook, 2 processes  {parallel / STUDENTS:6.2f} s per submission"
        f"   speed-up {serial / parallel:.2f}x",
        f"  paid once per run (start, gradebook set-up) {once:5.2f} s; without it the"
        f" speed-up is {(serial - once) / (parallel - once):.2f}x",
        f"  torch never imported while grading the numpy notebook:"
        f" {grades.count(',2,2,graded,')}/{STUDENTS} students passed that test cell",
    ]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
