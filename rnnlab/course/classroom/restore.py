"""The course's nbgrader metadata on a submitted notebook, before nbgrader reads it.

nbgrader finds the test cells of a submission by their cell metadata, which the
student's file carries and the student can edit: a solution cell marked as a test cell
with 100 points, a test cell marked as ungraded, a metadata that is not even a record.
nbgrader then stops with an error, and such an error was the course's problem, not the
notebook's. So the metadata is never taken from the student: a cell whose ``grade_id``
the course's notebook has gets the course's metadata for it (the first such cell only),
and every other cell gets none; nbgrader then restores the locked and test cells' code
as usual. A file that is not a valid notebook at all is reported as such.
"""

import copy
import json
from pathlib import Path

import nbformat


def _course_metadata(source: Path) -> dict[str, dict]:
    notebook = json.loads(source.read_text())
    found = {}
    for cell in notebook["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader")
        if isinstance(meta, dict) and "grade_id" in meta:
            found[meta["grade_id"]] = meta
    return found


def restore(submitted: Path, source: Path) -> str:
    """Rewrite ``submitted`` with the nbgrader metadata of ``source`` (the course's
    notebook); return why it is not a valid notebook, or "" when it is."""
    known = _course_metadata(source)
    notebook = json.loads(submitted.read_bytes())
    seen = set()
    for cell in notebook.get("cells", []):
        if not isinstance(cell, dict):
            continue
        if not isinstance(cell.get("metadata"), dict):
            cell["metadata"] = {}
        meta = cell["metadata"].pop("nbgrader", None)
        grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
        if isinstance(grade_id, str) and grade_id in known and grade_id not in seen:
            cell["metadata"]["nbgrader"] = copy.deepcopy(known[grade_id])
            seen.add(grade_id)
    try:
        nbformat.validate(nbformat.from_dict(notebook), version=4)
    except nbformat.ValidationError as error:
        return f"not a valid notebook: {str(error).splitlines()[0][:200]}"
    submitted.write_text(json.dumps(notebook))
    return ""
