"""Run a grading step in a child process, under a wall-clock limit.

nbgrader grades one notebook at a time in a process, so each (student, assignment) is
graded in a process of its own (``job.grade``; ``cluster`` runs several at a time), and
the driver's gradebook steps (``worker.prepare``, ``worker.record``) run in one.
Children are forked from a server that imported nbgrader once (``forkserver`` with a
preload), so a job costs a kernel start, not two seconds of imports. A job over its
time limit is killed with every process under it: the kernel runs in its own session,
so killing a process group would leave it running.
"""

import contextlib
import importlib
import multiprocessing
import time
from dataclasses import dataclass

import psutil

PRELOAD = ["rnnlab.course.classroom.worker"]


@dataclass
class Job:
    """``function`` ("module:name") called with ``args`` in a child process.

    The function is named, not passed, so that the driver never imports nbgrader: the
    child finds the module already imported by the server it was forked from.
    """

    key: tuple
    function: str
    args: tuple
    timeout: float


def _call(function: str, args: tuple) -> None:
    module, name = function.split(":")
    getattr(importlib.import_module(module), name)(*args)


@dataclass
class Outcome:
    """How a child process ended: its exit code (negative: killed by that signal)."""

    exitcode: int | None
    timed_out: bool
    seconds: float


def _context() -> multiprocessing.context.BaseContext:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)  # no effect once the server runs: same list
    return context


def kill_tree(pid: int) -> None:
    """Kill a process and all its descendants (found before the parent dies)."""
    try:
        parent = psutil.Process(pid)
        family = [*parent.children(recursive=True), parent]
    except psutil.NoSuchProcess:
        return
    for process in family:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()
    psutil.wait_procs(family, timeout=10)


def run_one(job: Job, running: set[int] | None = None) -> Outcome:
    """Run a job in a child process and wait at most ``job.timeout`` seconds for it;
    the child's pid is in ``running`` while it runs."""
    running = set() if running is None else running
    start = time.monotonic()
    process = _context().Process(target=_call, args=(job.function, job.args))
    process.start()
    running.add(process.pid)
    try:
        process.join(job.timeout)
        timed_out = process.is_alive()
        if timed_out:
            kill_tree(process.pid)
            process.join()
    finally:
        running.discard(process.pid)
    return Outcome(process.exitcode, timed_out, time.monotonic() - start)
