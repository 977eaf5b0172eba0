"""The released test cells, the reference against which ``rnnlab check`` finds edits.

``released_tests.json``, next to this module, is package data written from
``exercises/`` (the student notebooks, whose test cells have no hidden tests) by
``make exercises``, right after ``nbgrader generate_assignment``::

    python -m rnnlab.course.grading.released [--exercises exercises] [--out FILE]

It maps each assignment to its graded test cells in notebook order, each as its
``grade_id``, ``points`` and the ``sha256`` of its normalised source: hashes only, so it
holds no solution and no hidden test. The student's own notebook cannot be the reference,
since the student edits that file.
"""

import argparse
import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path

FILE_NAME = "released_tests.json"


@dataclass(frozen=True)
class ReleasedTest:
    """One graded test cell as released."""

    grade_id: str
    points: float
    sha256: str


def normalise(source: str) -> str:
    """``source`` with ``\\n`` line endings and no trailing whitespace on any line or at the
    end, so that re-saving the notebook (in Jupyter, on Windows) is not an edit."""
    lines = source.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).rstrip()


def source_hash(source: str | list[str]) -> str:
    """The sha256 (hex) of a cell's normalised source (a string, or a notebook's list of
    lines)."""
    text = "".join(source) if isinstance(source, list) else source
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()


def is_test_cell(cell: Mapping) -> bool:
    """Whether a cell is a graded test cell (nbgrader: code, grade, not solution)."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


def tests_of(notebook: Mapping) -> list[ReleasedTest]:
    """The graded test cells of a notebook (a parsed ``.ipynb``), in order."""
    return [
        ReleasedTest(
            cell["metadata"]["nbgrader"]["grade_id"],
            cell["metadata"]["nbgrader"].get("points", 0),
            source_hash(cell["source"]),
        )
        for cell in notebook["cells"]
        if is_test_cell(cell)
    ]


def collect(exercises: Path) -> dict[str, list[ReleasedTest]]:
    """Each assignment of ``exercises/<name>/<name>.ipynb`` and its released test cells."""
    return {
        path.stem: tests_of(json.loads(path.read_text(encoding="utf-8")))
        for path in sorted(exercises.glob("*/*.ipynb"))
        if path.stem == path.parent.name
    }


def dumps(released: dict[str, list[ReleasedTest]]) -> str:
    """The text of ``released_tests.json``."""
    data = {name: [asdict(test) for test in tests] for name, tests in released.items()}
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def load() -> dict[str, list[ReleasedTest]]:
    """The released test cells shipped with the package, by assignment."""
    text = resources.files("rnnlab.course.grading").joinpath(FILE_NAME).read_text(encoding="utf-8")
    return {
        name: [ReleasedTest(**test) for test in tests] for name, tests in json.loads(text).items()
    }


def write(exercises: Path, out: Path) -> None:
    """Write ``out`` (``released_tests.json``) from the notebooks under ``exercises``."""
    released = collect(exercises)
    if not released:
        raise SystemExit(f"no exercises/<name>/<name>.ipynb under {exercises}")
    out.write_text(dumps(released), encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    """The command line: write the file from the exercises folder."""
    parser = argparse.ArgumentParser(
        prog="python -m rnnlab.course.grading.released",
        description=f"Write {FILE_NAME} (the released test cells' ids, points and hashes) "
        "from the student notebooks; run from the course root after generate_assignment.",
    )
    parser.add_argument("--exercises", type=Path, default=Path("exercises"), metavar="DIR")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name(FILE_NAME))
    args = parser.parse_args(argv)
    write(args.exercises, args.out)


if __name__ == "__main__":
    main()
