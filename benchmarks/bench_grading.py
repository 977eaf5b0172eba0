"""Grading cost: `rnnlab grade` of a class per notebook, sandboxed against unsandboxed,
and the speed-up of grading in parallel.

The class is 20 students handing in the course's own LSTM exercise (ex02_lstm), solved.
It is graded three times by the whole command: without the sandbox
(`--unsafe-no-sandbox`, one process), in the sandbox (one process: its cost against
the unsandboxed run, aim <= 1.3x) and in the sandbox with two processes (the speed-up,
aim >= 1.6x on 2 cores, also shown without the cost paid once per run). For scale, the
floor: nbgrader's own `autograde` of the same notebook for one student, whose checks run
inside the kernel, unsandboxed, as nbgrader does on its own.
"""

import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ASSIGNMENT = "ex02_lstm"
STUDENTS = 20
FLOOR_REPEATS = 3
ENV = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
ENV.pop("RNNLAB_DB_URL", None)
MARKERS = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$\n?", re.MULTILINE)


def solved() -> nbformat.NotebookNode:
    """The released notebook with the instructor's answers in its solution cells."""
    source = nbformat.read(REPO / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4)
    answers = {
        cell.metadata["nbgrader"]["grade_id"]: MARKERS.sub("", cell.source)
        for cell in source.cells
        if cell.metadata.get("nbgrader", {}).get("solution")
    }
    notebook = nbformat.read(REPO / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4)
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = answers[cell.metadata["nbgrader"]["grade_id"]]
    return notebook


def make_course(root: Path) -> None:
    shutil.copyfile(REPO / "nbgrader_config.py", root / "nbgrader_config.py")
    shutil.copytree(REPO / "solutions" / ASSIGNMENT, root / "solutions" / ASSIGNMENT)


def make_class(folder: Path, students: int = STUDENTS) -> Path:
    """``students`` sub-folders, each holding the solved notebook."""
    for k in range(students):
        target = folder / f"student{k:02d}"
        target.mkdir(parents=True)
        nbformat.write(solved(), target / f"{ASSIGNMENT}.ipynb")
    return folder


def run(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=ENV, check=True, capture_output=True)
    return time.perf_counter() - start


def floor_seconds(root: Path) -> float:
    """Median wall time of `nbgrader autograde` of the solved notebook, one student."""
    run([str(BIN / "nbgrader"), "generate_assignment", ASSIGNMENT, "--force"], root)
    submitted = root / "submitted" / "floor" / ASSIGNMENT
    submitted.mkdir(parents=True)
    nbformat.write(solved(), submitted / f"{ASSIGNMENT}.ipynb")
    command = [str(BIN / "nbgrader"), "autograde", ASSIGNMENT, "--student", "floor", "--force"]
    return statistics.median(run(command, root) for _ in range(FLOOR_REPEATS))


def grade_seconds(root: Path, folder: Path, jobs: int, *options: str) -> float:
    """Wall time of `rnnlab grade` (the whole command); every notebook must get 10/10."""
    out = Path(tempfile.mkdtemp(dir=root, prefix=f"out_{folder.name}_{jobs}_"))
    command = [str(BIN / "rnnlab"), "grade", str(folder), "--out", str(out), "--jobs", str(jobs)]
    seconds = run([*command, *options], root)
    full = (out / "grades.csv").read_text().count(",10,10,graded,")
    assert full == len(list(folder.iterdir())), f"{full} notebooks of {folder} got 10/10"
    return seconds


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench_grading_") as tmp:
        root = Path(tmp)
        make_course(root)
        floor = floor_seconds(root)
        group = make_class(root / "class")
        unsafe = grade_seconds(root, group, 1, "--unsafe-no-sandbox")
        serial = grade_seconds(root, group, 1)
        parallel = grade_seconds(root, group, 2)
        one = grade_seconds(root, make_class(root / "one", 1), 1)

    per, once = serial / STUDENTS, one - serial / STUDENTS  # once: start-up, gradebook set-up
    lines = [
        f"grading cost, {STUDENTS} students of {ASSIGNMENT} (solved), {os.cpu_count()} CPUs",
        f"  unsandboxed (--unsafe-no-sandbox), 1 process  {unsafe / STUDENTS:6.2f} s per notebook",
        f"  sandboxed, 1 process                         {per:6.2f} s per notebook"
        f"   {serial / unsafe:.2f}x unsandboxed (aim <= 1.3x)",
        f"  sandboxed, 2 processes                       {parallel / STUDENTS:6.2f} s per notebook"
        f"   speed-up {serial / parallel:.2f}x (aim >= 1.6x)",
        f"  paid once per run (start, gradebook set-up) {once:5.2f} s; without it the"
        f" speed-up is {(serial - once) / (parallel - once):.2f}x",
        f"  floor: nbgrader autograde of the notebook alone (checks in its kernel)"
        f"  {floor:6.2f} s",
    ]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
