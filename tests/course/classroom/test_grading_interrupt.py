"""Stopping `rnnlab grade` (SIGTERM, or Ctrl-C) kills the notebooks it is running."""

import contextlib
import os
import signal
import subprocess
import time

import psutil
import pytest
from nbformat.v4 import new_code_cell
from toy_course import BIN, hand_in, make_course, student

from rnnlab.course.classroom import sandbox

pytestmark = [pytest.mark.grading, pytest.mark.slow]


def _processes_in(folder):
    """Processes working in ``folder``, or sandboxes made from it (bwrap's arguments name
    the sandbox library in the grading folder; the kernel's own cwd is in its sandbox)."""
    return [
        p.pid
        for p in psutil.process_iter(["cwd", "cmdline"])
        if p.pid != os.getpid()
        and (
            str(folder) in (p.info["cwd"] or "")
            or str(folder) in " ".join(p.info["cmdline"] or [])
        )
    ]


def _kernels(out):
    """Sandboxed kernels of the run grading into ``out`` (a kernel's connection file is
    where the sandbox puts it; its bwrap names the grading folder)."""
    found = []
    for p in psutil.process_iter(["cmdline"]):
        if {"ipykernel_launcher", sandbox.CONNECTION} <= set(p.info["cmdline"] or []):
            with contextlib.suppress(psutil.Error):
                if any(str(out) in " ".join(parent.cmdline()) for parent in p.parents()):
                    found.append(p.pid)
    return found


def test_a_stopped_run_leaves_no_process_behind(tmp_path):
    root = make_course(tmp_path / "course")
    slow = student()
    slow.cells.append(new_code_cell("import time\ntime.sleep(600)"))
    hand_in(tmp_path / "class", "hank", slow)
    out = tmp_path / "grading"
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    command = [str(BIN / "rnnlab"), "grade", str(tmp_path / "class"), "--out", str(out)]
    run = subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not _kernels(out) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert _kernels(out), "the kernel never started"

        run.send_signal(signal.SIGTERM)
        assert run.wait(timeout=60) == 130
    finally:
        run.kill()
    time.sleep(1)
    assert _processes_in(out) == [] and _kernels(out) == []
    assert not (out / "grades.csv").exists()
