"""The sandbox a graded notebook's kernel runs in, tried from the inside: a script runs
where a kernel would, and reports what it could see, reach and do.

These tests need bubblewrap (`make test` and CI install it) and, as root, a writable
cgroup file system; they fail rather than skip where either is missing.
"""

import errno
import json
import os
import signal
import socket
import subprocess
import sys
import sysconfig
import textwrap
import time
from pathlib import Path

import psutil
import pytest

from rnnlab.course.classroom import course, sandbox, sandbox_library, seccomp
from rnnlab.course.classroom.cgroups import Cgroup

REPO = Path(__file__).resolve().parents[3]
PROCESSES = 24
MEMORY = 2**30


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    return sandbox_library.build(tmp_path_factory.mktemp("library")).parent


@pytest.fixture(scope="module")
def packages():
    return tuple(sandbox.visible_packages(Path(sysconfig.get_paths()["purelib"])))


@pytest.fixture
def cgroup():
    run = Cgroup.for_run()
    if run is None:
        pytest.fail("no writable pids cgroup: rnnlab grade refuses to sandbox without one")
    yield run
    run.remove()


def run_inside(library, packages, cgroup, script: str, tmp_path: Path, seconds=60, **limits):
    """Run a Python script where a kernel would run, seccomp filter included; its stdout,
    parsed as JSON."""
    sandbox.check()
    job = cgroup.child("test", PROCESSES, MEMORY)
    box = sandbox.Sandbox(library, packages, sandbox.Limits(cpu_seconds=seconds, **limits), job)
    connection = tmp_path / "connection.json"
    connection.write_text("{}")
    read, write = os.pipe()
    rules = os.memfd_create("rules")
    os.write(rules, seccomp.program())
    os.lseek(rules, 0, os.SEEK_SET)
    command = box.command(
        [sys.executable, "-c", textwrap.dedent(script)], connection, write, rules
    )
    env = {**os.environ, "RNNLAB_DB_URL": "postgresql://teacher:hunter2@localhost/grades"}
    done = subprocess.run(command, pass_fds=(write, rules), capture_output=True, text=True,
                          timeout=seconds + 30, env=env)  # fmt: skip
    for fd in (write, read, rules):
        os.close(fd)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.splitlines()[-1])


def test_the_sandbox_sees_none_of_the_graders_files(library, packages, cgroup, tmp_path):
    secret = tmp_path / "gradebook.db"
    secret.write_text("grades")
    paths = [
        REPO / "solutions",
        REPO / "rnnlab",
        REPO / "nbgrader_config.py",
        REPO / ".git",
        secret,
        tmp_path,
        Path.home() / ".bashrc",
        Path("/etc/shadow"),
        Path("/var/run"),
        Path("/run/postgresql"),
        Path(sys.base_prefix) / "lib/python3.11/site-packages/pip",
    ]
    found = run_inside(library, packages, cgroup, f"""
        import json, os
        paths = {[str(p) for p in paths]!r}
        print(json.dumps({{"seen": [p for p in paths if os.path.exists(p)],
                          "cwd": os.getcwd(), "repo": os.listdir({str(REPO)!r})}}))
    """, tmp_path)  # fmt: skip
    assert found["seen"] == []
    assert found["cwd"] == sandbox.HOME
    assert found["repo"] == [".venv"] if (REPO / ".venv").exists() else True


def test_a_package_below_tmp_is_bound_read_only_with_nothing_writable_beside_it(
    library, packages, cgroup, tmp_path
):
    # A CI checkout in /tmp: its venv is bound into the sandbox's own /tmp, and the
    # folders bwrap makes to hold it must not take files at the checkout's paths.
    checkout = tmp_path / "checkout"
    (checkout / "site").mkdir(parents=True)
    (checkout / "site" / "beside_tmp.py").write_text("WHERE = 'host'\n")
    (checkout / "nbgrader_config.py").write_text("# the instructor's\n")
    top = Path("/tmp", tmp_path.relative_to("/tmp").parts[0])
    found = run_inside(library, (*packages, checkout / "site"), cgroup, f"""
        import json, os, sys
        sys.path.append({str(checkout / "site")!r})
        import beside_tmp
        written = []
        for path in [{str(checkout / "nbgrader_config.py")!r}, {str(checkout / "new.py")!r},
                     {str(top / "planted")!r}, "/tmp/private"]:
            try:
                with open(path, "a") as file:
                    file.write("x")
                written.append(path)
            except OSError as error:
                written.append(error.errno)
        print(json.dumps({{"module": beside_tmp.WHERE, "written": written}}))
    """, tmp_path)  # fmt: skip
    assert found["module"] == "host"
    assert found["written"] == [errno.EROFS, errno.EROFS, errno.EROFS, "/tmp/private"]
    assert (checkout / "nbgrader_config.py").read_text() == "# the instructor's\n"
    assert sorted(p.name for p in checkout.iterdir()) == ["nbgrader_config.py", "site"]


def test_no_reference_model_no_torch_and_no_grader_package_can_be_imported(
    library, packages, cgroup, tmp_path
):
    modules = ["torch", "rnnlab.lstm", "rnnlab.rnn", "rnnlab.gru", "rnnlab.attention",
               "rnnlab.variants", "rnnlab.data", "rnnlab.course.classroom.grade", "nbgrader",
               "sqlalchemy", "psycopg2", "jupyter_book"]  # fmt: skip
    found = run_inside(library, packages, cgroup, f"""
        import importlib, json
        missing = []
        for name in {modules!r}:
            try:
                importlib.import_module(name)
            except ImportError:
                missing.append(name)
        from rnnlab import activations, init
        from rnnlab.course import grading
        import numpy, matplotlib.pyplot, ipykernel
        params = init.lstm(D=2, H=3, seed=0)
        print(json.dumps({{"missing": missing, "stand_in": grading.check_lstm_cell(len) is None,
                          "init": sorted(params)}}))
    """, tmp_path)  # fmt: skip
    assert found["missing"] == modules
    assert found["stand_in"] is True
    assert found["init"] == ["W_hh", "W_ih", "b_hh", "b_ih"]


def test_no_network_no_socket_of_the_host_and_no_environment_of_the_grader(
    library, packages, cgroup, tmp_path
):
    server = socket.create_server(("127.0.0.1", 0))
    unix = socket.socket(socket.AF_UNIX)
    unix.bind(str(tmp_path / "host.sock"))
    unix.listen()
    port = server.getsockname()[1]
    found = run_inside(library, packages, cgroup, f"""
        import json, os, socket
        reached = []
        for family, address in [(socket.AF_INET, ("127.0.0.1", {port})),
                                (socket.AF_UNIX, {str(tmp_path / "host.sock")!r})]:
            try:
                socket.socket(family).connect(address)
                reached.append(str(address))
            except OSError:
                pass
        try:
            socket.getaddrinfo("pypi.org", 443)
            reached.append("dns")
        except OSError:
            pass
        others = [p for p in os.listdir("/proc") if p.isdigit()]
        print(json.dumps({{"reached": reached, "env": sorted(os.environ), "pids": len(others),
                          "ppid": os.getppid()}}))
    """, tmp_path)  # fmt: skip
    server.close()
    unix.close()
    assert found["reached"] == []
    assert "RNNLAB_DB_URL" not in found["env"] and set(found["env"]) <= set(sandbox.ENV) | {"PWD"}
    assert found["pids"] <= 3  # bwrap's init, the script (and what it runs): no one else's


def test_the_limits_are_hard_and_cannot_be_raised(library, packages, cgroup, tmp_path):
    found = run_inside(library, packages, cgroup, """
        import json, resource
        limits = {name: resource.getrlimit(getattr(resource, name))
                  for name in ("RLIMIT_AS", "RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_NOFILE")}
        raised = []
        for name, (soft, hard) in limits.items():
            try:
                resource.setrlimit(getattr(resource, name), (hard * 2, hard * 2))
                raised.append(name)
            except (ValueError, OSError):
                pass
        try:
            with open("big", "wb") as f:
                f.write(b"x" * (2 * 2**20))
            wrote = "big file"
        except OSError as error:
            wrote = error.strerror
        try:
            open("/work/x", "w")
            wrote_outside = True
        except OSError:
            wrote_outside = False
        print(json.dumps({"limits": limits, "raised": raised, "wrote": wrote,
                          "outside": wrote_outside}))
    """, tmp_path, seconds=30, memory_bytes=MEMORY, file_bytes=2**20)  # fmt: skip
    assert found["limits"] == {
        "RLIMIT_AS": [MEMORY, MEMORY],
        "RLIMIT_CPU": [30, 30],
        "RLIMIT_FSIZE": [2**20, 2**20],
        "RLIMIT_NOFILE": [512, 512],
    }
    assert found["raised"] == []
    assert found["wrote"] == "File too large"
    assert found["outside"] is False


def test_a_fork_bomb_stops_at_the_process_limit(library, packages, cgroup, tmp_path):
    found = run_inside(library, packages, cgroup, """
        import json, threading, time
        started = 0
        for _ in range(500):
            try:
                threading.Thread(target=time.sleep, args=(5,), daemon=True).start()
                started += 1
            except RuntimeError:
                break
        print(json.dumps({"started": started}))
    """, tmp_path)  # fmt: skip
    assert 0 < found["started"] < PROCESSES


def test_nothing_the_sandbox_started_outlives_it(library, packages, cgroup, tmp_path):
    marker = "617.25"
    run_inside(library, packages, cgroup, f"""
        import json, os, subprocess
        subprocess.Popen(["sleep", "{marker}"], start_new_session=True)
        if os.fork() == 0:
            os.setsid()
            os.execvp("sleep", ["sleep", "{marker}"])
        print(json.dumps({{"left": "two sleepers"}}))
    """, tmp_path)  # fmt: skip
    time.sleep(0.5)
    left = [p for p in psutil.process_iter(["cmdline"]) if marker in (p.info["cmdline"] or [])]
    for process in left:
        process.send_signal(signal.SIGKILL)
    assert left == []


def test_an_assignment_that_needs_torch_says_so_and_its_sandbox_has_it(library, cgroup, tmp_path):
    root = tmp_path / "course"
    (root / "solutions" / "ex").mkdir(parents=True)
    notebook = {"cells": [], "metadata": {"rnnlab": {"needs": ["torch"]}}, "nbformat": 4}
    (root / "solutions" / "ex" / "ex.ipynb").write_text(json.dumps(notebook))
    needs = course.needs(root, "ex")
    assert needs == ("torch",)
    site = Path(sysconfig.get_paths()["purelib"])
    packages = tuple(sandbox.visible_packages(site, needs))
    found = run_inside(library, packages, cgroup, """
        import json, torch
        print(json.dumps({"sum": torch.ones(3).sum().item()}))
    """, tmp_path, memory_bytes=4 * 2**30)  # fmt: skip
    assert found == {"sum": 3.0}


def test_the_cgroup_of_a_run_that_died_is_removed_with_what_it_holds(cgroup):
    dead = next(pid for pid in range(4_000_000, 4_100_000) if not Path(f"/proc/{pid}").exists())
    stale = Cgroup([folder.parent / f"rnnlab-{dead}" for folder in cgroup.folders])
    stale._make()
    task = stale.child("task-0", 8, None)
    left = subprocess.Popen(
        ["sh", "-c", f"echo $$ > {task.folders[0]}/cgroup.procs; exec sleep 600"]
    )
    deadline = time.monotonic() + 10
    while left.pid not in task.pids() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert left.pid in task.pids()
    again = Cgroup.for_run()  # the next run cleans up
    assert left.wait(timeout=10) == -signal.SIGKILL
    assert not any(folder.exists() for folder in stale.folders)
    assert again is not None and all(folder.exists() for folder in again.folders)


SYSCALLS = """
    import ctypes, errno, json, os
    libc = ctypes.CDLL(None, use_errno=True)

    def call(number, *args):
        result = libc.syscall(number, *args)
        return "allowed" if result >= 0 else errno.errorcode[ctypes.get_errno()]

    found = {
        "keyctl": call(250, 0, -3, 0),  # KEYCTL_GET_KEYRING_ID of the session key ring
        "add_key": call(248, b"user", b"planted", b"x", 1, -3),
        "ptrace": call(101, 16, 1, 0, 0),  # PTRACE_ATTACH to bwrap, the sandbox's pid 1
        "io_uring_setup": call(425, 8, ctypes.create_string_buffer(120)),
        "unshare": call(272, 0x10000000),  # a user namespace of its own
        "x32 getpid": call(0x40000000 | 39),
        "getpid": call(39),
        "environ of pid 1": open("/proc/1/environ", "rb").read().decode(),
        "cwd of pid 1": os.readlink("/proc/1/cwd"),
    }
    try:
        with open("/dev/shm/big", "wb") as f:
            for _ in range(300):
                f.write(b"x" * 2**20)
        found["/dev/shm"] = "300 MiB written"
    except OSError as error:
        found["/dev/shm"] = error.strerror
    print(json.dumps(found))
"""


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="the system call numbers are x86_64's")
def test_system_calls_that_reach_past_the_namespaces_are_refused(
    library, packages, cgroup, tmp_path
):
    found = run_inside(library, packages, cgroup, SYSCALLS, tmp_path, file_bytes=2**30)
    assert found == {
        "keyctl": "EPERM",
        "add_key": "EPERM",
        "ptrace": "EPERM",
        "io_uring_setup": "EPERM",
        "unshare": "EPERM",
        "x32 getpid": "EPERM",
        "getpid": "allowed",
        "environ of pid 1": "",
        "cwd of pid 1": sandbox.HOME,  # not a folder of the grader's
        "/dev/shm": "No space left on device",
    }


def test_a_sandbox_may_use_one_cpu_at_most(cgroup):
    job = cgroup.child("cpu", PROCESSES, MEMORY)
    quotas = {f.name: f.read_text().split() for d in job.folders for f in d.glob("cpu*")
              if f.name in ("cpu.max", "cpu.cfs_quota_us", "cpu.cfs_period_us")}  # fmt: skip
    assert quotas in (
        {"cpu.max": ["100000", "100000"]},
        {"cpu.cfs_quota_us": ["100000"], "cpu.cfs_period_us": ["100000"]},
    )


def test_what_is_bound_below_tmp_stays_visible(library, packages, cgroup, tmp_path):
    # A CI checkout, its venv and so its packages can live below /tmp, which the sandbox
    # replaces by a folder of its own: the binds must come on top of it, not under it.
    below_tmp = tmp_path / "venv_package"
    below_tmp.mkdir()
    (below_tmp / "marker.py").write_text("VALUE = 42\n")
    found = run_inside(library, (*packages, below_tmp), cgroup, f"""
        import json, os
        print(json.dumps({{"seen": os.listdir({str(below_tmp)!r})}}))
    """, tmp_path)  # fmt: skip
    assert found == {"seen": ["marker.py"]}
