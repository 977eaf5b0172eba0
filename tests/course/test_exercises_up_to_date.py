"""exercises/ is exactly what nbgrader generates from solutions/ (`make exercises`).

The notebooks are regenerated in a temporary course folder (a copy of nbgrader_config.py
and solutions/), so the repository's gradebook is not touched, and compared cell by cell
with the committed ones: type, id, source, outputs and the nbgrader metadata (checksums
included); other metadata, which Jupyter changes when a notebook is opened, is ignored.
The released test cells shipped for `rnnlab check` (rnnlab/course/grading/released_tests.json)
are, in turn, exactly those of exercises/.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from course_layout import ASSIGNMENTS, ROOT

from rnnlab.course.grading import released

pytestmark = pytest.mark.grading

KEPT_METADATA = ("nbgrader", "editable", "deletable")


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    course = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "nbgrader_config.py", course)
    ignore = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__")
    shutil.copytree(ROOT / "solutions", course / "solutions", ignore=ignore)
    env = {key: value for key, value in os.environ.items() if key != "RNNLAB_DB_URL"}
    # nbgrader runs alembic, next to this Python, to create the new gradebook.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    result = subprocess.run(
        [sys.executable, "-m", "nbgrader", "generate_assignment", "*", "--force"],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    return course / "exercises"


def cells(path: Path) -> list[dict]:
    """What must match in each cell of the notebook at ``path``."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    return [
        {
            "cell_type": cell["cell_type"],
            "id": cell.get("id"),
            "source": "".join(cell["source"]),
            "outputs": cell.get("outputs"),
            "execution_count": cell.get("execution_count"),
            **{key: cell["metadata"].get(key) for key in KEPT_METADATA},
        }
        for cell in notebook["cells"]
    ]


def test_every_solution_is_released_and_nothing_else():
    solutions = sorted(p.relative_to(ROOT / "solutions") for p in ROOT.glob("solutions/*/*.ipynb"))
    exercises = sorted(p.relative_to(ROOT / "exercises") for p in ROOT.glob("exercises/*/*.ipynb"))
    assert solutions == exercises == [Path(name, f"{name}.ipynb") for name in ASSIGNMENTS]


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_the_released_notebook_is_what_nbgrader_generates(generated, name):
    committed = cells(ROOT / "exercises" / name / f"{name}.ipynb")
    fresh = cells(generated / name / f"{name}.ipynb")
    stale = [
        f"cell {k} ({cell.get('nbgrader', {}).get('grade_id')})"
        for k, (cell, new) in enumerate(zip(committed, fresh, strict=False))
        if cell != new
    ]
    assert len(committed) == len(fresh) and not stale, (
        f"exercises/{name} is out of date with solutions/{name} ({len(committed)} cells "
        f"committed, {len(fresh)} generated; differing: {', '.join(stale) or 'none'}): "
        "run `make exercises`"
    )


def test_the_shipped_released_tests_are_exactly_those_of_exercises():
    shipped = Path(released.__file__).with_name(released.FILE_NAME).read_text(encoding="utf-8")
    assert shipped == released.dumps(released.collect(ROOT / "exercises")), (
        f"rnnlab/course/grading/{released.FILE_NAME} is out of date: run `make exercises`"
    )


def test_the_shipped_released_tests_hold_ids_points_and_hashes_only():
    shipped = json.loads((Path(released.__file__).with_name(released.FILE_NAME)).read_text())
    assert sorted(shipped) == list(ASSIGNMENTS)
    for name, tests in shipped.items():
        assert tests and sum(test["points"] for test in tests) == 10, name
        for test in tests:
            assert sorted(test) == ["grade_id", "points", "sha256"]
            assert test["grade_id"].startswith("test_")
            assert re.fullmatch(r"[0-9a-f]{64}", test["sha256"])


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_released_graded_cells_hold_only_the_stub(name):
    released = cells(ROOT / "exercises" / name / f"{name}.ipynb")
    answers = [cell for cell in released if (cell["nbgrader"] or {}).get("solution")]
    assert answers, f"{name} has no answer cells"
    for cell in answers:
        assert "raise NotImplementedError()" in cell["source"]
        assert "BEGIN SOLUTION" not in cell["source"]
    for cell in released:
        assert "HIDDEN TESTS" not in cell["source"] and "hidden=True" not in cell["source"]


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_the_solution_notebook_is_valid_nbgrader_source_without_outputs(name):
    import nbformat
    from nbgrader.nbgraderformat import MetadataValidator

    notebook = nbformat.read(ROOT / "solutions" / name / f"{name}.ipynb", as_version=4)
    MetadataValidator().validate_nb(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(not cell.outputs and cell.execution_count is None for cell in code)
    assert not any("import torch" in cell.source for cell in code)
    roles = [cell.metadata["nbgrader"] for cell in code]
    for answer, following in zip(roles, roles[1:], strict=False):
        if answer["solution"]:  # every graded function is followed by its test cell
            assert following["grade"] and following["points"] > 0, answer["grade_id"]
    tests = [cell for cell in code if cell.metadata["nbgrader"]["grade"]]
    for cell in tests:
        assert "### BEGIN HIDDEN TESTS" in cell.source and "hidden=True" in cell.source
    assert sum(cell.metadata["nbgrader"]["points"] for cell in tests) == 10
