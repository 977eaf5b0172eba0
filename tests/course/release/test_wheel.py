"""The students' wheel: what a student needs, none of the instructor's parts, and the
same bytes from the same sources."""

import email
import tomllib
import zipfile
from pathlib import Path

import pytest

from rnnlab.course.release import wheel

REPO = Path(__file__).resolve().parents[3]
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    return wheel.build(REPO, tmp_path_factory.mktemp("wheel"))


def members(path: Path) -> set[str]:
    with zipfile.ZipFile(path) as archive:
        return set(archive.namelist())


def metadata(path: Path) -> email.message.Message:
    with zipfile.ZipFile(path) as archive:
        name = f"rnnlab-{PROJECT['version']}.dist-info/METADATA"
        return email.message_from_bytes(archive.read(name))


def test_the_wheel_is_named_after_the_projects_version(built: Path):
    assert built.name == f"rnnlab-{PROJECT['version']}-py3-none-any.whl"


def test_the_wheel_holds_every_module_but_the_instructors(built: Path):
    package = {
        path.relative_to(REPO).as_posix()
        for path in (REPO / "rnnlab").rglob("*.py")
        if "__pycache__" not in path.parts
    }
    left_out = tuple(f"rnnlab/{folder}/" for folder in wheel.INSTRUCTOR_ONLY)
    instructor = {name for name in package if name.startswith(left_out)}
    inside = {name for name in members(built) if name.startswith("rnnlab/")}
    assert instructor and not instructor & inside
    assert package - instructor <= inside
    assert {"rnnlab/course/selfcheck.py", "rnnlab/course/cli.py"} <= inside


def test_the_wheel_holds_the_data_a_student_runs_on(built: Path):
    inside = members(built)
    assert "rnnlab/course/grading/released_tests.json" in inside  # what rnnlab check compares
    corpus = {path.name for path in (REPO / "rnnlab" / "book" / "corpus").iterdir()}
    assert {f"rnnlab/book/corpus/{name}" for name in corpus} <= inside


def test_installing_the_wheel_brings_what_rnnlab_check_needs(built: Path):
    meta = metadata(built)
    required = meta.get_all("Requires-Dist")
    base = [line for line in required if "extra ==" not in line]
    student = PROJECT["optional-dependencies"]["student"]
    assert sorted(base) == sorted([*PROJECT["dependencies"], *student])
    assert sorted(meta.get_all("Provides-Extra")) == ["book", "torch"]
    assert not any("nbgrader" in line or "dask" in line for line in required)
    assert meta["Version"] == PROJECT["version"]


def test_the_description_is_the_students_readme_not_the_instructors(built: Path):
    description = metadata(built).get_payload()
    assert "rnnlab check" in description and "student edition" in description
    assert built.name in description  # the README names the file to install
    assert "solutions/" not in description and "course_secret" not in description


def test_the_rnnlab_command_is_in_the_wheel(built: Path):
    with zipfile.ZipFile(built) as archive:
        entry_points = archive.read(f"rnnlab-{PROJECT['version']}.dist-info/entry_points.txt")
    assert "rnnlab = rnnlab.course.cli:main" in entry_points.decode()


def test_the_same_sources_give_the_same_wheel(built: Path, tmp_path: Path):
    again = wheel.build(REPO, tmp_path)
    assert again.read_bytes() == built.read_bytes()
