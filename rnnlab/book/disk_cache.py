"""Where the book's trainings keep their results between builds.

The folder is ``$RNNLAB_CACHE`` if set; otherwise, in a source checkout, ``_build/.rnnlab-cache``
next to the book's other build products (git-ignored, and gone with ``_build``, so a cold
build trains again); otherwise ``~/.cache/rnnlab``. A file's name holds the hash of
everything its result depends on, so a change of code or settings never reads a stale one.
"""

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]


def folder() -> Path:
    """The cache folder (not created)."""
    if os.environ.get("RNNLAB_CACHE"):
        return Path(os.environ["RNNLAB_CACHE"])
    if (CHECKOUT / "pyproject.toml").exists():
        return CHECKOUT / "_build" / ".rnnlab-cache"
    return Path.home() / ".cache" / "rnnlab"


def path(*parts: str) -> Path:
    """The file for a result named by ``parts`` (e.g. module, kind, hash of the key)."""
    return folder() / "-".join(parts)


def write(target: Path, writer: Callable) -> None:
    """Call ``writer(file)`` on a temporary file, then move it to ``target`` in one step,
    so a reader never sees half a file (two builds may train at once)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as f:
        writer(f)
    os.chmod(f.name, 0o644)  # as any other file of the build, not private to its writer
    os.replace(f.name, target)
