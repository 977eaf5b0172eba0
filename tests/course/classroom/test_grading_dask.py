"""`rnnlab grade --scheduler`: a class graded on a real Dask cluster equals a local run.

A scheduler and two single-threaded workers on 127.0.0.1 (``dask scheduler``,
``dask worker``), the gradebook in a throw-away PostgreSQL server (conftest). One worker
is killed, with its grading process and kernel, while it grades a notebook: the job is
graded again on the other worker, and grades.csv, the feedback and the gradebook are
those of the same class graded on this machine.
"""

import contextlib
import os
import re
import socket
import subprocess
import time

import psutil
import pytest
import sqlalchemy
from nbformat.v4 import new_code_cell
from toy_course import BIN, SOLVED, grade, hand_in, make_course, student

from rnnlab.course.classroom import run, sandbox
from rnnlab.course.classroom.report import read_csv

pytestmark = [pytest.mark.grading, pytest.mark.slow]

CELL_TIMEOUT = 4
HONEST = ("alice", "anna", "amir", "ayla")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _class(folder):
    for name in HONEST:
        hand_in(folder, name, student())
    hand_in(folder, "bob", student({"mul": SOLVED["mul"]}))
    hand_in(folder, "carol", student({**SOLVED, "mul": "import os\nos.kill(os.getpid(), 9)"}))
    hand_in(folder, "dave", b'{"cells": [{"cell_type": "code",')
    hand_in(folder, "erin", student({**SOLVED, "add": "def add(a, b):\n    while True: pass"}))
    slow = student()  # long enough to be graded when its worker is killed
    slow.cells.append(new_code_cell("import time\ntime.sleep(3)"))
    hand_in(folder, "sam", slow)


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    """A scheduler on 127.0.0.1 and two workers of one thread; their processes. The
    workers' temporary folders (a killed worker leaves its own) are the test's."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    env["TMPDIR"] = str(tmp_path_factory.mktemp("workers"))
    dask = str(BIN / "dask")
    common = ["--no-dashboard"]
    started = [
        subprocess.Popen(
            [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), *common],
            env=env,
            stderr=subprocess.DEVNULL,
        )
    ]
    for _ in range(2):
        worker = [dask, "worker", address, "--nthreads", "1", "--no-nanny", *common]
        started.append(subprocess.Popen(worker, env=env, stderr=subprocess.DEVNULL))
    try:
        from distributed import Client

        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=120)
        yield address, started[1:]
    finally:
        for process in reversed(started):  # workers first, each removing its folders
            process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=30)
            run.kill_tree(process.pid)


def _kernel_under(pid: int) -> bool:
    """Whether a sandboxed kernel runs below the process ``pid``."""
    try:
        below = psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return False
    return any(sandbox.CONNECTION in " ".join(p.cmdline()) for p in below if p.is_running())


def _gradebook(url: str) -> dict:
    engine = sqlalchemy.create_engine(url)
    with engine.connect() as db:
        scores = db.execute(
            sqlalchemy.text(
                "SELECT s.student_id, c.name, g.auto_score, g.needs_manual_grade FROM grade g"
                " JOIN base_cell c ON g.cell_id = c.id"
                " JOIN submitted_notebook n ON g.notebook_id = n.id"
                " JOIN submitted_assignment s ON n.assignment_id = s.id ORDER BY 1, 2"
            )
        ).fetchall()
        submissions = db.execute(
            sqlalchemy.text("SELECT student_id FROM submitted_assignment ORDER BY 1")
        ).fetchall()
        students = db.execute(sqlalchemy.text("SELECT id FROM student ORDER BY 1")).fetchall()
    engine.dispose()
    return {
        "scores": [tuple(row) for row in scores],
        "submissions": [row[0] for row in submissions],
        "students": [row[0] for row in students],
    }


def _feedback(out):
    """The feedback files; the time an interrupted call had left (what remained of the
    limit per cell when it started, so it depends on the machine's load) is blanked."""
    blank = re.compile(rb"ran longer than \d+ s")
    return {
        p.relative_to(out): blank.sub(b"ran longer than N s", p.read_bytes())
        for p in (out / "feedback").rglob("*.html")
    }


@pytest.fixture(scope="module")
def database(postgres_url):
    """A database of its own on the session's PostgreSQL server (the other test's
    gradebook holds its own class)."""
    engine = sqlalchemy.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as db:
        db.execute(sqlalchemy.text("CREATE DATABASE dask_gradebook"))
    engine.dispose()
    return f"{postgres_url.rsplit('/', 1)[0]}/dask_gradebook"


@pytest.fixture(scope="module")
def graded(tmp_path_factory, scheduler, database):
    """The class graded on this machine (SQLite) and on the cluster (PostgreSQL), one
    worker killed while it grades."""
    address, workers = scheduler
    base = tmp_path_factory.mktemp("dask")
    root = make_course(base / "course")
    folder = base / "class"
    _class(folder)
    options = ("--cell-timeout", str(CELL_TIMEOUT))
    local = grade(root, folder, base / "local", "--jobs", "2", *options)

    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    env.pop("RNNLAB_DB_URL", None)
    out = base / "cluster"
    command = [str(BIN / "rnnlab"), "grade", str(folder), "--out", str(out), *options]
    command += ["--db", database, "--scheduler", address]
    running = subprocess.Popen(
        command, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    killed = None
    deadline = time.monotonic() + 300
    while killed is None and running.poll() is None and time.monotonic() < deadline:
        for worker in workers:
            if _kernel_under(worker.pid):
                run.kill_tree(worker.pid)
                killed = worker
                break
        time.sleep(0.2)
    stdout, stderr = running.communicate(timeout=900)
    cluster = subprocess.CompletedProcess(command, running.returncode, stdout, stderr)
    return local, cluster, killed, base / "local", out, database


def test_both_runs_succeed_and_a_worker_was_killed_mid_job(graded):
    local, cluster, killed, *_ = graded
    assert local.returncode == 0, local.stdout + local.stderr
    assert cluster.returncode == 0, cluster.stdout + cluster.stderr
    assert killed is not None and killed.poll() is not None


def test_the_cluster_grades_equal_the_local_ones(graded):
    *_, local, out, _ = graded
    rows = read_csv(out / "grades.csv")
    assert rows == read_csv(local / "grades.csv")
    by_name = {row.student: (row.score, row.status) for row in rows}
    assert by_name == {
        **{name: (3, "graded") for name in (*HONEST, "sam")},
        "bob": (1, "graded"),
        "carol": (0, "crashed"),  # the kernel died
        "dave": (0, "invalid"),
        "erin": (1, "graded"),  # add's endless loop was interrupted at the cell limit
    }


def test_the_cluster_feedback_equals_the_local_feedback(graded):
    *_, local, out, _ = graded
    assert _feedback(out) == _feedback(local)
    assert len(_feedback(out)) == len(HONEST) + 3  # every graded notebook: not carol's


def test_the_gradebook_holds_each_notebook_once_as_the_local_one(graded):
    *_, local, _, url = graded
    assert _gradebook(url) == _gradebook(f"sqlite:///{local / 'gradebook.db'}")
    submissions = _gradebook(url)["submissions"]
    assert len(submissions) == len(set(submissions)) == len(HONEST) + 4  # dave's: none


def test_progress_counts_each_notebook_once(graded):
    _, cluster, *_ = graded
    lines = [line for line in cluster.stdout.splitlines() if line.startswith("[")]
    total = len(HONEST) + 4
    assert [line.split("]")[0].strip("[ ") for line in lines] == [
        f"{n}/{total}" for n in range(1, total + 1)
    ]
    assert "failures" in lines[-1] and "ETA 0 s" in lines[-1]


def test_an_unreachable_scheduler_is_one_line_of_error(tmp_path):
    root = make_course(tmp_path / "course")
    hand_in(tmp_path / "class", "alice", student())
    address = f"tcp://127.0.0.1:{_free_port()}"
    done = grade(root, tmp_path / "class", tmp_path / "out", "--scheduler", address)
    assert done.returncode == 2
    assert done.stderr.startswith(f"rnnlab grade: cannot reach the Dask scheduler at {address}")
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()
