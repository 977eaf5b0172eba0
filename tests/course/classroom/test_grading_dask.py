"""`rnnlab grade --scheduler`: a class graded on a real Dask cluster equals a local run.

A scheduler and two single-threaded workers on 127.0.0.1 (``dask scheduler``,
``dask worker``), the gradebook in a throw-away PostgreSQL server (conftest). One worker
is killed, with its grading process and kernel, while it grades a notebook: the job is
graded again on the other worker, what the killed worker left in its temporary folder
is removed, and grades.csv, the feedback and the gradebook are those of the same class
graded on this machine, notebooks over their limits included. Then the driver itself is
stopped once a few notebooks are recorded, and run again: the gradebook holds every
notebook once, as after the local run.
"""

import contextlib
import fcntl
import os
import pty
import re
import select
import signal
import socket
import struct
import subprocess
import termios
import time
from types import SimpleNamespace

import psutil
import pytest
import sqlalchemy
from nbformat.v4 import new_code_cell
from terminal_screen import screen
from toy_course import BIN, SOLVED, grade, hand_in, make_course, student

from rnnlab.course.classroom import run, sandbox
from rnnlab.course.classroom.report import read_csv

pytestmark = [pytest.mark.grading, pytest.mark.slow]

TIMEOUT, CELL_TIMEOUT, MEMORY_GB = 20, 4, 2
OPTIONS = ("--timeout", str(TIMEOUT), "--cell-timeout", str(CELL_TIMEOUT))
OPTIONS += ("--memory", str(MEMORY_GB))
HONEST = ("alice", "anna", "amir", "ayla")
JOBS = len(HONEST) + 6  # every notebook but dave's, which is no notebook


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
    endless = student()  # each cell within the limit per cell, all past that per notebook
    endless.cells += [new_code_cell("import time\ntime.sleep(3)") for _ in range(TIMEOUT)]
    hand_in(folder, "hank", endless)
    big = f"import numpy as np\nx = np.ones(4 * 10**8)  # 3 GB, beyond {MEMORY_GB} GB\n"
    hand_in(folder, "jill", student({**SOLVED, "mul": big + SOLVED["mul"]}))


class Cluster:
    """A scheduler on 127.0.0.1 and workers of one thread, whose temporary folder
    (``TMPDIR``) is the test's; ``workers`` are the worker processes started so far."""

    def __init__(self, tmp):
        self.address = f"tcp://127.0.0.1:{_free_port()}"
        self.env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
        self.env["TMPDIR"] = str(tmp)
        self.tmp = tmp
        port = self.address.rsplit(":", 1)[1]
        command = [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", port]
        self.scheduler = self._start([*command, "--no-dashboard"])
        self.workers: list[subprocess.Popen] = []

    def _start(self, command: list[str]) -> subprocess.Popen:
        return subprocess.Popen(command, env=self.env, stderr=subprocess.DEVNULL)

    def start_worker(self) -> None:
        command = [str(BIN / "dask"), "worker", self.address, "--nthreads", "1"]
        self.workers.append(self._start([*command, "--no-nanny", "--no-dashboard"]))

    def wait_for_workers(self, n: int) -> None:
        from distributed import Client

        with Client(self.address, timeout=60) as client:
            client.wait_for_workers(n, timeout=120)

    def folders(self) -> list[str]:
        """The kinds of folder (``worker``, ``job``, ``kernel``) the workers' jobs have
        in their working folder (``workdirs.here()``) now."""
        parent = self.tmp / f"rnnlab-{os.geteuid()}"
        return sorted(path.name.split("-")[0] for path in parent.iterdir())

    def stop(self) -> None:
        for process in [*reversed(self.workers), self.scheduler]:  # workers first
            process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=30)
            run.kill_tree(process.pid)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A scheduler and two workers on 127.0.0.1."""
    started = Cluster(tmp_path_factory.mktemp("workers"))
    try:
        for _ in range(2):
            started.start_worker()
        started.wait_for_workers(2)
        yield started
    finally:
        started.stop()


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


def _rows(out):
    """The rows of grades.csv; which cell was running when a notebook reached the limit
    per notebook depends on the machine's load, so its number is blanked."""
    rows = read_csv(out / "grades.csv")
    for row in rows:
        row.reason = re.sub(r"while running cell \d+", "while running cell N", row.reason)
    return rows


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
def local(tmp_path_factory):
    """The class graded on this machine (SQLite): the course ``root``, the class
    ``folder``, how the command ended (``done``) and the grading folder (``out``)."""
    base = tmp_path_factory.mktemp("dask")
    root = make_course(base / "course")
    folder = base / "class"
    _class(folder)
    done = grade(root, folder, base / "local", "--jobs", "2", *OPTIONS)
    return SimpleNamespace(root=root, folder=folder, done=done, out=base / "local")


def _command(local, out, db: str, address: str) -> list[str]:
    """``rnnlab grade`` of the local run's class on the cluster at ``address``."""
    command = [str(BIN / "rnnlab"), "grade", str(local.folder), "--out", str(out), *OPTIONS]
    return [*command, "--db", db, "--scheduler", address]


def _env() -> dict:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    env.pop("RNNLAB_DB_URL", None)
    return env


def _start(command: list[str], root) -> subprocess.Popen:
    """``rnnlab grade`` started in the course ``root``, its output captured as text."""
    return subprocess.Popen(
        command, cwd=root, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


@pytest.fixture(scope="module")
def graded(tmp_path_factory, local, cluster, database):
    """The class graded on the cluster (PostgreSQL), one worker killed while it grades:
    how the command ended (``done``), the ``killed`` worker, the grading folder
    (``out``), the gradebook (``url``), and the kinds of folder the workers' jobs
    ``left``; then a new worker takes the killed one's place."""
    out = tmp_path_factory.mktemp("cluster") / "grading"
    command = _command(local, out, database, cluster.address)
    running = _start(command, local.root)
    killed = None
    deadline = time.monotonic() + 300
    while killed is None and running.poll() is None and time.monotonic() < deadline:
        for worker in cluster.workers:
            if _kernel_under(worker.pid):
                run.kill_tree(worker.pid)
                killed = worker
                break
        time.sleep(0.2)
    stdout, stderr = running.communicate(timeout=900)
    done = subprocess.CompletedProcess(command, running.returncode, stdout, stderr)
    left = cluster.folders()
    cluster.start_worker()  # two workers again for the next test
    cluster.wait_for_workers(2)
    return SimpleNamespace(done=done, killed=killed, out=out, url=database, left=left)


def test_both_runs_succeed_and_a_worker_was_killed_mid_job(local, graded):
    assert local.done.returncode == 0, local.done.stdout + local.done.stderr
    assert graded.done.returncode == 0, graded.done.stdout + graded.done.stderr
    assert graded.killed is not None and graded.killed.poll() is not None


def test_the_cluster_grades_equal_the_local_ones(local, graded):
    rows = _rows(graded.out)
    assert rows == _rows(local.out)
    by_name = {row.student: (row.score, row.status) for row in rows}
    assert by_name == {
        **{name: (3, "graded") for name in (*HONEST, "sam")},
        "bob": (1, "graded"),
        "carol": (0, "crashed"),  # the kernel died
        "dave": (0, "invalid"),
        "erin": (1, "graded"),  # add's endless loop was interrupted at the cell limit
        "hank": (0, "timeout"),  # stopped at the limit per notebook
        "jill": (2, "graded"),  # 3 GB failed in its cell: the kernel's memory limit
    }


def test_over_its_limits_a_notebook_gets_the_reason_it_gets_on_this_machine(graded):
    rows = {row.student: row for row in _rows(graded.out)}
    assert rows["hank"].reason == (
        f"stopped after {TIMEOUT} s, the limit per notebook, while running cell N"
    )
    assert rows["jill"].reason.startswith("cell 4 (mul): MemoryError: Unable to allocate 2.98")
    assert "test_mul 0/1: NameError" in rows["jill"].reason


def test_what_the_killed_worker_left_in_its_temporary_folder_is_removed(graded):
    assert graded.left == ["worker"]  # the live worker's own; the killed one's job and its own


def test_the_cluster_feedback_equals_the_local_feedback(local, graded):
    assert _feedback(graded.out) == _feedback(local.out)
    graded_notebooks = len(HONEST) + 4  # bob, erin, jill, sam; not carol's, hank's
    assert len(_feedback(graded.out)) == graded_notebooks


def test_the_gradebook_holds_each_notebook_once_as_the_local_one(local, graded):
    assert _gradebook(graded.url) == _gradebook(f"sqlite:///{local.out / 'gradebook.db'}")
    submissions = _gradebook(graded.url)["submissions"]
    assert len(submissions) == len(set(submissions)) == JOBS  # dave's: none


def test_progress_counts_each_notebook_once_in_the_log_and_on_the_terminal(graded):
    logged = (graded.out / "logs" / "progress.log").read_text().splitlines()
    assert [line.split("]")[0] for line in logged] == [
        f"[{n:>3}/{JOBS}" for n in range(1, JOBS + 1)
    ]
    assert logged[-1].endswith("failures 2, ETA 0 s")  # carol crashed, hank timed out
    stdout = graded.done.stdout
    shown = [line for line in stdout.splitlines() if line.startswith("[")]
    assert shown == logged  # not a terminal: a line per 5 %, and each is 10 % of 10
    assert "\r" not in stdout


def _on_a_terminal(command: list[str], **options) -> tuple[int, str]:
    """Run ``command`` with its output on a terminal of 100 columns (a pseudo-terminal);
    its exit code and what it wrote there."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
    process = subprocess.Popen(command, stdout=follower, stderr=follower, **options)
    os.close(follower)
    written, deadline = b"", time.monotonic() + 900
    try:
        while time.monotonic() < deadline:
            if select.select([leader], [], [], 1.0)[0]:
                try:
                    chunk = os.read(leader, 65536)
                except OSError:  # every process that had the terminal is gone
                    break
                if not chunk:
                    break
                written += chunk
            elif process.poll() is not None:
                break
    finally:
        os.close(leader)
        process.kill()
    return process.wait(), written.decode(errors="replace")


@pytest.fixture(scope="module")
def rerun(tmp_path_factory, local, cluster, postgres_url):
    """The class graded on the cluster into a new folder and database, the command
    stopped (SIGTERM) once two notebooks are recorded, then run again on a terminal:
    how the stopped run ended (``stopped``, and whether it ``wrote_grades``), the
    notebooks its gradebook then held (``recorded``), the exit ``code`` of the second
    run and what it wrote on its terminal (``written``), the grading folder (``out``)
    and the gradebook (``url``)."""
    engine = sqlalchemy.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as db:
        db.execute(sqlalchemy.text("CREATE DATABASE dask_rerun"))
    engine.dispose()
    url = f"{postgres_url.rsplit('/', 1)[0]}/dask_rerun"
    out = tmp_path_factory.mktemp("rerun") / "grading"
    command = _command(local, out, url, cluster.address)
    stopped = _start(command, local.root)
    log, deadline = out / "logs" / "progress.log", time.monotonic() + 300
    while stopped.poll() is None and time.monotonic() < deadline:
        if log.exists() and len(log.read_text().splitlines()) >= 2:
            stopped.send_signal(signal.SIGTERM)
            break
        time.sleep(0.2)
    stdout, stderr = stopped.communicate(timeout=120)
    first = subprocess.CompletedProcess(command, stopped.returncode, stdout, stderr)
    recorded = _gradebook(url)["submissions"]
    wrote_grades = (out / "grades.csv").exists()
    code, written = _on_a_terminal(command, cwd=local.root, env={**_env(), "TERM": "xterm"})
    return SimpleNamespace(
        stopped=first, wrote_grades=wrote_grades, recorded=recorded,
        code=code, written=written, out=out, url=url,
    )  # fmt: skip


def test_a_stopped_run_recorded_some_notebooks_and_wrote_no_grades(rerun):
    stopped, recorded = rerun.stopped, rerun.recorded
    assert stopped.returncode == 130, stopped.stdout + stopped.stderr
    assert "interrupted; grades.csv not written" in stopped.stderr
    assert 2 <= len(recorded) < JOBS and len(set(recorded)) == len(recorded)
    assert not rerun.wrote_grades


def test_run_again_it_loses_nothing_and_doubles_nothing(local, rerun):
    assert rerun.code == 0, rerun.written
    assert _rows(rerun.out) == _rows(local.out)
    assert _feedback(rerun.out) == _feedback(local.out)
    assert _gradebook(rerun.url) == _gradebook(f"sqlite:///{local.out / 'gradebook.db'}")
    submissions = _gradebook(rerun.url)["submissions"]
    assert len(submissions) == len(set(submissions)) == JOBS


def test_on_a_terminal_the_bar_is_redrawn_in_place_and_the_summary_follows(rerun):
    written = rerun.written
    lines = screen(written)
    summary = next(i for i, line in enumerate(lines) if " notebooks of " in line)
    assert lines[summary - 1] == f"[{'#' * 30}] {JOBS}/{JOBS} notebooks, failures 2, ETA 0 s"
    assert lines[summary].startswith(f"{JOBS + 1} notebooks of {JOBS + 1} students (ex_toy)")
    assert written.count(" notebooks, failures ") == JOBS + 1  # drawn at 0, then per notebook
    assert sum(" notebooks, failures " in line for line in lines) == 1


def test_an_unreachable_scheduler_is_one_line_of_error(tmp_path):
    root = make_course(tmp_path / "course")
    hand_in(tmp_path / "class", "alice", student())
    address = f"tcp://127.0.0.1:{_free_port()}"
    done = grade(root, tmp_path / "class", tmp_path / "out", "--scheduler", address)
    assert done.returncode == 2
    assert done.stderr.startswith(f"rnnlab grade: cannot reach the Dask scheduler at {address}")
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()
