"""Stopping `rnnlab grade` (SIGTERM, or Ctrl-C) kills the notebooks it is running."""

import os
import signal
import subprocess
import time

import psutil
import pytest
from nbformat.v4 import new_code_cell
from toy_course import BIN, hand_in, make_course, student

pytestmark = [pytest.mark.grading, pytest.mark.slow]


def _processes_in(folder):
    return [
        p.pid
        for p in psutil.process_iter(["cwd"])
        if str(folder) in (p.info["cwd"] or "") and p.pid != os.getpid()
    ]


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
        kernel_cwd = out / "autograded" / "hank"
        deadline = time.monotonic() + 120
        while not _processes_in(kernel_cwd) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert _processes_in(kernel_cwd), "the kernel never started"

        run.send_signal(signal.SIGTERM)
        assert run.wait(timeout=60) == 130
    finally:
        run.kill()
    time.sleep(1)
    assert _processes_in(out) == []
    assert not (out / "grades.csv").exists()
