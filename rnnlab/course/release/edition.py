"""The student edition: one folder, and one archive of it.

The folder is the built book as a web site (``index.html`` at its top), with beside it
the released notebooks (``exercises/<name>/<name>.ipynb``, as in the repository), the
students' wheel (``wheels/``) and their README. The book's download links point into
its own ``_downloads/``, and a notebook's links into the book (``../../book/…``), so
every link is relative and works offline and from any web server.
"""

import shutil
import zipfile
from pathlib import Path

from rnnlab.course.release import wheel

NAME = "rnn-course"  # the folder's name, and the archive's


class EditionError(RuntimeError):
    """The edition cannot be assembled from what was built."""


def assemble(repo: Path, html: Path, built_wheel: Path, folder: Path) -> Path:
    """Put the edition together in ``folder`` (made anew)."""
    if not (html / "index.html").is_file():
        raise EditionError(f"no built book in {html}: run `make book` first")
    _same_wheel_as_the_book(html, built_wheel)
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(html, folder, ignore=shutil.ignore_patterns(".buildinfo"))
    for notebook in sorted((repo / "exercises").glob("*/*.ipynb")):
        target = folder / notebook.relative_to(repo)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(notebook, target)
    (folder / "wheels").mkdir()
    shutil.copy(built_wheel, folder / "wheels" / built_wheel.name)
    (folder / "README.md").write_text(wheel.student_readme(built_wheel.name))
    return folder


def archive(folder: Path) -> Path:
    """``folder`` as a zip next to it, its files under ``<folder's name>/``."""
    target = folder.with_suffix(".zip")
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zipped:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zipped.write(path, (Path(folder.name) / path.relative_to(folder)).as_posix())
    return target


def _same_wheel_as_the_book(html: Path, built_wheel: Path) -> None:
    linked = list((html / "_downloads").glob(f"*/{built_wheel.name}"))
    if not linked or any(copy.read_bytes() != built_wheel.read_bytes() for copy in linked):
        raise EditionError(
            f"the book in {html} does not link this {built_wheel.name}: "
            "it was built before the package changed; run `make book` again"
        )
