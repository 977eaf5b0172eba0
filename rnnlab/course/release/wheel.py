"""The students' wheel of rnnlab, built from a copy of the package without the
instructor's parts.

Left out: the class grader (``rnnlab grade``, which keeps the course secret) and the
release tool. The copy's ``pyproject.toml`` keeps the repository's name, version, extras
``torch`` and ``book`` and the ``rnnlab`` command; its base dependencies add the
``student`` extra, so that ``pip install rnnlab-….whl`` is enough for ``rnnlab check``;
its description is the students' README, not the instructor's.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

INSTRUCTOR_ONLY = ("course/classroom", "course/release")  # folders of rnnlab/, left out
STUDENT_README = Path(__file__).with_name("student_readme.md")
EXTRAS_KEPT = ("torch", "book")
# The wheel's files carry this date (zip entries), so the same sources give the same bytes.
SOURCE_DATE_EPOCH = "1764547200"  # 2025-12-01


class WheelError(RuntimeError):
    """The wheel could not be built."""


def wheel_name(repo: Path) -> str:
    """The wheel's file name, from pyproject.toml's name and version."""
    project = tomllib.loads((repo / "pyproject.toml").read_text())["project"]
    return f"{project['name']}-{project['version']}-py3-none-any.whl"


def build(repo: Path, out: Path) -> Path:
    """Build the students' wheel of ``repo``'s rnnlab into ``out`` (in place of any
    wheel there)."""
    with tempfile.TemporaryDirectory(prefix="rnnlab-wheel-") as stage:
        stage = Path(stage)
        _copy_package(repo / "rnnlab", stage / "rnnlab")
        (stage / "README.md").write_text(student_readme(wheel_name(repo)))
        (stage / "pyproject.toml").write_text(student_pyproject(repo))
        out.mkdir(parents=True, exist_ok=True)
        for old in out.glob("*.whl"):  # an earlier version's; other files (make's) stay
            old.unlink()
        env = {**os.environ, "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH}
        result = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
             "--no-build-isolation", "--wheel-dir", str(out), str(stage)],
            capture_output=True, text=True, env=env, check=False,
        )  # fmt: skip
    built = out / wheel_name(repo)
    if result.returncode != 0 or not built.is_file():
        raise WheelError(f"pip wheel failed:\n{result.stdout}{result.stderr}")
    return built


def student_readme(wheel: str) -> str:
    """The students' README, naming the wheel's file."""
    return STUDENT_README.read_text().replace("{wheel}", wheel)


def _copy_package(source: Path, target: Path) -> None:
    def ignored(folder: str, names: list[str]) -> set[str]:
        def path(name: str) -> str:
            return (Path(folder) / name).relative_to(source).as_posix()

        return {name for name in names if path(name) in INSTRUCTOR_ONLY or name == "__pycache__"}

    shutil.copytree(source, target, ignore=ignored)


def student_pyproject(repo: Path) -> str:
    """The copy's pyproject.toml, from the repository's (values written as TOML)."""
    full = tomllib.loads((repo / "pyproject.toml").read_text())
    project = full["project"]
    extras = project["optional-dependencies"]
    lines = ["[build-system]", *_assignments(full["build-system"]), "", "[project]"]
    lines += _assignments(
        {
            "name": project["name"],
            "version": project["version"],
            "description": project["description"],
            "readme": "README.md",
            "requires-python": project["requires-python"],
            "dependencies": [*project["dependencies"], *extras["student"]],
        }
    )
    lines += ["", "[project.optional-dependencies]"]
    lines += _assignments({name: extras[name] for name in EXTRAS_KEPT})
    lines += ["", "[project.scripts]", *_assignments(project["scripts"])]
    setuptools = full["tool"]["setuptools"]
    lines += ["", "[tool.setuptools.packages.find]"]
    lines += _assignments(setuptools["packages"]["find"])
    lines += ["", "[tool.setuptools.package-data]", *_assignments(setuptools["package-data"])]
    return "\n".join(lines) + "\n"


def _assignments(table: dict) -> list[str]:
    # A JSON string or list of strings is also a TOML one; keys are quoted the same way.
    return [f"{json.dumps(key)} = {json.dumps(value)}" for key, value in table.items()]
