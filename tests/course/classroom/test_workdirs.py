"""Working folders: what a killed process left is removed by the next folder made beside
it; a folder that a live process holds is never removed."""

import os
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from rnnlab.course.classroom.workdirs import Workdir, here, sweep

# A process that makes a working folder, says where, puts a file in it, and waits.
HOLDER = """
import sys
from pathlib import Path
from rnnlab.course.classroom.workdirs import Workdir
folder = Workdir(Path(sys.argv[1]), "job-7-").path
(folder / "submitted.ipynb").write_text("{}")
print(folder, flush=True)
sys.stdin.read()
"""


def _holder(parent: Path) -> tuple[subprocess.Popen, Path]:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(parent)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    return process, Path(process.stdout.readline().strip())


def test_the_folder_of_a_killed_process_goes_with_the_next_one_made_beside_it(tmp_path):
    live, kept = _holder(tmp_path)
    killed, left = _holder(tmp_path)
    killed.kill()
    killed.wait()
    assert (left / "submitted.ipynb").exists()  # killed: nothing removed it

    with Workdir(tmp_path, "job-8-") as mine:
        assert not left.exists()
        assert (kept / "submitted.ipynb").exists()
        assert mine.is_dir() and mine.name.startswith("job-8-") and mine.parent == tmp_path
    assert not mine.exists()
    assert sorted(tmp_path.iterdir()) == [kept]

    live.stdin.close()  # it ends without removing its folder: the next sweep does
    assert live.wait() == 0
    assert sweep(tmp_path) == [kept]
    assert list(tmp_path.iterdir()) == []


def test_a_sweep_keeps_what_this_process_holds_and_every_file(tmp_path):
    (tmp_path / "notes.txt").write_text("not a folder")
    held = Workdir(tmp_path, "worker-")
    assert sweep(tmp_path) == []
    assert held.path.is_dir() and (tmp_path / "notes.txt").exists()
    held.close()
    held.close()  # a second close does nothing
    assert sorted(tmp_path.iterdir()) == [tmp_path / "notes.txt"]


def test_this_users_parent_is_made_private(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    parent = here()
    assert parent == tmp_path / f"rnnlab-{os.geteuid()}"
    assert stat.S_IMODE(parent.stat().st_mode) == 0o700
    assert here() == parent  # found again as it is


@pytest.mark.parametrize("kind", ["readable by others", "a link"])
def test_a_parent_others_could_use_is_refused_with_the_reason(tmp_path, monkeypatch, kind):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    parent = tmp_path / f"rnnlab-{os.geteuid()}"
    if kind == "a link":
        (tmp_path / "elsewhere").mkdir(mode=0o700)
        parent.symlink_to(tmp_path / "elsewhere")
    else:
        parent.mkdir()
        parent.chmod(0o755)
    with pytest.raises(PermissionError, match=f"{parent} is not a private folder"):
        here()
