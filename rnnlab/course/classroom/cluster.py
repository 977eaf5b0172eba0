"""Where the jobs run: on this machine (:class:`Local`) or on a Dask cluster (:class:`Dask`).

Both run the same function, ``job.grade``, and give back futures that the driver reads
in the order they finish (:func:`finished`, in batches: whatever has finished while the
driver recorded the last batch). On this machine, threads each wait for one grading
process. On a cluster, ``client.submit`` sends a job (its bytes) to a worker, which
grades it in a sandbox of its own (:func:`grade_on_worker`) and sends the result back;
a worker lost mid-job costs a retry on another worker, and since a job writes nothing
but its private folder, the driver gets each job's result once. A job's key names its
run: a job of a stopped run may still be running on a worker (Dask cannot stop a
thread), and a later run that sent the same key would get that job's result, whatever
the notebook is now. ``distributed`` is
imported only here, and only for a cluster.
"""

import atexit
import contextlib
import multiprocessing
import queue
import secrets
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from rnnlab.course.classroom import job, run, sandbox, workdirs
from rnnlab.course.classroom.cgroups import Cgroup
from rnnlab.course.classroom.course import CourseError
from rnnlab.course.classroom.report import Row
from rnnlab.course.classroom.task import Isolation

CONNECT_TIMEOUT = 10  # seconds to reach the scheduler
RETRIES = 2  # a job whose worker raised is tried this many more times
WORKERS_DIED = "every worker that graded it died while grading it"
DAEMON = (
    "its workers run as daemonic processes, which may not start the grading process: "
    "start them with DASK_DISTRIBUTED__WORKER__DAEMON=False (or dask worker --no-nanny)"
)


class Local:
    """``workers`` jobs at a time on this machine, their private folders in ``scratch``."""

    def __init__(self, workers: int, isolation: Isolation, scratch: Path):
        self.workers = max(1, workers)
        self.isolation, self.scratch = isolation, scratch
        self.pool = ThreadPoolExecutor(max_workers=self.workers)
        self.running: set[int] = set()

    def submit(self, one: job.Job) -> Future:
        return self.pool.submit(job.grade, one, self.isolation, self.scratch, self.running)

    def stop(self) -> None:
        """Drop the jobs not started and kill the running ones, kernels included."""
        self.pool.shutdown(wait=False, cancel_futures=True)
        for pid in list(self.running):
            run.kill_tree(pid)

    def close(self) -> None:
        self.pool.shutdown()


class Dask:
    """The workers of the Dask scheduler at ``address`` (``tcp://host:8786``)."""

    def __init__(self, address: str):
        try:
            from distributed import Client
        except ModuleNotFoundError as err:
            needs = f"--scheduler needs Dask ({err}): pip install 'rnnlab[course]'"
            raise CourseError(needs) from None
        try:
            self.client = Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except (OSError, TimeoutError) as err:
            first = str(err).splitlines()[0] if str(err) else type(err).__name__
            raise CourseError(f"cannot reach the Dask scheduler at {address}: {first}") from None
        self.address = address
        self.run = secrets.token_hex(4)  # in this run's keys
        self.futures: list = []
        if any(self.client.run(_daemonic).values()):
            self.client.close()
            raise CourseError(f"the Dask cluster at {address}: {DAEMON}")

    @property
    def workers(self) -> int:
        """Jobs at a time: the threads of the workers there now."""
        return sum(self.client.nthreads().values()) or 1

    def submit(self, one: job.Job):
        student, assignment = one.key
        future = self.client.submit(
            grade_on_worker,
            one,
            key=f"grade-{assignment}-{student}-{one.number}-{self.run}",
            pure=False,
            retries=RETRIES,
        )
        self.futures.append(future)
        return future

    def stop(self) -> None:
        self.client.cancel(self.futures, force=True)
        self.close()

    def close(self) -> None:
        self.client.close()


def _daemonic() -> bool:
    return multiprocessing.current_process().daemon


_here: dict[bool, Isolation] = {}
_here_lock = threading.Lock()


def _isolation_on_worker(sandboxed: bool) -> Isolation:
    """This worker process's isolation, made on its first job (and removed at its exit,
    or, should the worker be killed, by the next job on this machine)."""
    with _here_lock:
        if sandboxed not in _here:
            cgroup = None
            if sandboxed:
                sandbox.check()
                cgroup = Cgroup.for_run()
                if cgroup is None:
                    raise sandbox.SandboxUnavailableError("no pids cgroup on this worker")
                atexit.register(cgroup.remove)
                atexit.register(cgroup.kill)
            folder = workdirs.Workdir(workdirs.here(), "worker-")
            atexit.register(folder.close)
            _here[sandboxed] = job.isolation_here(folder.path, cgroup)
        return _here[sandboxed]


def grade_on_worker(one: job.Job) -> job.Result:
    """A Dask worker's side of a job: ``job.grade`` in this worker's sandbox."""
    return job.grade(one, _isolation_on_worker(one.sandboxed))


def failed(one: job.Job, error: BaseException) -> job.Result:
    """The result of a job that gave no result: its worker died too often, or the job's
    own code raised (a fault of the grader's, not of the notebook)."""
    name = type(error).__name__
    if name == "KilledWorker":
        status, reason = "crashed", f"{WORKERS_DIED} ({name}); see the workers' logs"
    else:
        status, reason = "error", f"the job failed on the cluster: {name}: {error}"[:300]
    return job.Result(Row(one.student, one.assignment, 0.0, one.course.max_score, status, reason))


def finished(
    engine: Local | Dask, jobs: list[job.Job], poll: float = 0.5
) -> Iterator[list[tuple[job.Job, job.Result]]]:
    """Submit every job; yield the finished ones in batches, as they finish. On any
    exception (Ctrl-C included) the engine is stopped: nothing runs on."""
    done: queue.Queue = queue.Queue()
    try:
        for one in jobs:
            future = engine.submit(one)
            future.add_done_callback(lambda f, one=one: done.put((one, f)))
        left = len(jobs)
        while left:
            try:
                batch = [done.get(timeout=poll)]
            except queue.Empty:
                continue
            with contextlib.suppress(queue.Empty):
                while True:
                    batch.append(done.get_nowait())
            left -= len(batch)
            yield [(one, _result(future, one)) for one, future in batch]
    except BaseException:
        engine.stop()
        raise
    engine.close()


def _result(future, one: job.Job) -> job.Result:
    try:
        return future.result()
    except Exception as error:  # one job's failure is that job's row, not the run's
        return failed(one, error)
