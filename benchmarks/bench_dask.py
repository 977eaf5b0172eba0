"""Grading on a Dask cluster: throughput with 1 and 2 workers, and the cluster's cost
per notebook against grading on this machine.

The class of bench_grading (students handing in ex02_lstm, solved) is graded by the
whole `rnnlab grade` command: on this machine with one process, then with
`--scheduler` on a scheduler and one single-threaded worker on 127.0.0.1 (the cluster's
cost per notebook against local grading, aim <= 1.15x), then two (the throughput,
notebooks per second). From one worker's cost per notebook, the time for a class of
10,000 students x 6 notebooks on a given number of workers (one per core).
"""

import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_grading import BIN, ENV, STUDENTS, grade_seconds, make_class, make_course

WORKERS_ON_PAPER = (100, 500)
CLASS_ON_PAPER = 10_000 * 6


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(*args: str) -> subprocess.Popen:
    return subprocess.Popen([str(BIN / "dask"), *args], env=ENV, stderr=subprocess.DEVNULL)


def _wait_for_workers(address: str, count: int) -> None:
    from distributed import Client

    with Client(address, timeout=60) as client:
        client.wait_for_workers(count, timeout=120)


def cluster_seconds(root: Path, folder: Path, workers: int) -> float:
    """Wall time of `rnnlab grade --scheduler` with ``workers`` workers of one thread."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    started = [_start("scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard")]
    try:
        for _ in range(workers):
            started.append(_start("worker", address, "--nthreads", "1", "--no-nanny"))
        _wait_for_workers(address, workers)
        return grade_seconds(root, folder, 1, "--scheduler", address)
    finally:
        for process in reversed(started):
            process.terminate()
            process.wait(timeout=60)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench_dask_") as tmp:
        root = Path(tmp)
        make_course(root)
        group = make_class(root / "class")
        local = grade_seconds(root, group, 1)
        one = cluster_seconds(root, group, 1)
        two = cluster_seconds(root, group, 2)

    per_local, per_one, per_two = local / STUDENTS, one / STUDENTS, two / STUDENTS
    lines = [
        f"Dask cluster grading, {STUDENTS} students of ex02_lstm (solved), "
        f"{os.cpu_count()} CPUs, scheduler and workers on 127.0.0.1",
        f"  this machine, 1 process      {per_local:6.2f} s per notebook",
        f"  cluster, 1 worker            {per_one:6.2f} s per notebook"
        f"   {per_one / per_local:.2f}x local (aim <= 1.15x)   {1 / per_one:.2f} notebooks/s",
        f"  cluster, 2 workers           {per_two:6.2f} s per notebook"
        f"   {one / two:.2f}x 1 worker's throughput   {1 / per_two:.2f} notebooks/s",
        f"  on paper, {CLASS_ON_PAPER:,} notebooks at {per_one:.2f} s each (one worker's"
        " cost), one worker per core:",
    ]
    for workers in WORKERS_ON_PAPER:
        hours = CLASS_ON_PAPER * per_one / workers / 3600
        lines.append(f"    {workers} single-threaded workers   {hours:6.2f} h")
    print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
