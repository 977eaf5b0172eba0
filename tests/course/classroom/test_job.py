"""A job's files: what travels back is put into the grading folder, never outside it."""

from types import SimpleNamespace

import distributed
import pytest
from distributed.scheduler import KilledWorker

from rnnlab.course.classroom import cluster, job
from rnnlab.course.classroom.report import Row


def _job() -> job.Job:
    course = job.Course("ex_toy", 3.0, {"nbgrader_config.py": b"c = get_config()\n"})
    return job.Job("alice", "ex_toy", b"{}", course, 0, 1, 60.0, None, None, True)


def test_unpack_replaces_an_earlier_runs_feedback_and_writes_the_new_files(tmp_path):
    old = tmp_path / "feedback" / "alice" / "ex_toy" / "old.html"
    old.parent.mkdir(parents=True)
    old.write_text("earlier")
    files = {
        "feedback/alice/ex_toy/ex_toy.html": b"<html>new</html>",
        "logs/ex_toy/alice.log": b"log",
    }
    result = job.Result(Row("alice", "ex_toy", 3.0, 3.0, "graded"), files)

    job.unpack(result, tmp_path)

    assert not old.exists()
    assert (tmp_path / "feedback/alice/ex_toy/ex_toy.html").read_bytes() == b"<html>new</html>"
    assert (tmp_path / "logs/ex_toy/alice.log").read_bytes() == b"log"


@pytest.mark.parametrize("name", ["/etc/passwd", "../grades.csv", "feedback/../../x", ""])
def test_unpack_refuses_a_path_outside_the_grading_folder(tmp_path, name):
    result = job.Result(Row("alice", "ex_toy", 0.0, 3.0, "graded"), {name: b"x"})

    with pytest.raises(ValueError, match="not a relative path inside the folder"):
        job.unpack(result, tmp_path / "out")


def test_a_job_whose_workers_kept_dying_is_crashed_and_one_that_raised_is_an_error():
    last = SimpleNamespace(address="tcp://10.0.0.9:40000")  # the worker that died last
    killed = cluster.failed(_job(), KilledWorker("grade-ex_toy-alice-0", last, 3))
    raised = cluster.failed(_job(), RuntimeError("no bwrap on this worker"))

    assert (killed.row.status, killed.row.score, killed.row.max_score) == ("crashed", 0.0, 3.0)
    assert killed.row.reason == f"{cluster.WORKERS_DIED} (KilledWorker); see the workers' logs"
    assert raised.row.status == "error" and "no bwrap on this worker" in raised.row.reason
    assert killed.gradebook is None and killed.files == {}


class _Client:
    """A Dask client that keeps the keys of what is submitted, and runs nothing."""

    def __init__(self, address, **options):
        self.keys = []

    def run(self, function):
        return {"tcp://10.0.0.9:40000": False}  # the worker is not daemonic

    def submit(self, function, *args, key, **options):
        self.keys.append(key)

    def close(self):
        pass


def test_a_job_sent_again_by_another_run_has_a_key_of_its_own(monkeypatch):
    monkeypatch.setattr(distributed, "Client", _Client)
    stopped, rerun = cluster.Dask("tcp://10.0.0.1:8786"), cluster.Dask("tcp://10.0.0.1:8786")
    stopped.submit(_job())
    rerun.submit(_job())
    rerun.submit(_job())

    (first,), (second, third) = stopped.client.keys, rerun.client.keys
    assert first.startswith("grade-ex_toy-alice-0-") and second.startswith("grade-ex_toy-alice-0-")
    assert first != second and second == third
