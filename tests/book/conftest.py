"""The book, built once per test session, for every test of the built book.

The whole book is built cold into a temporary folder (a few minutes). To iterate
faster, set ``BOOK_TEST_OUTPUT=/some/folder``: the book is then built there with
``--all`` (every page re-read, so every warning is reported again) and the execution
cache already in that folder is reused.
"""

import os
from pathlib import Path

import pytest
from book_tools import LOG_TAIL, REPO, Build, build_book, mathjax_file

from rnnlab.course.release import wheel

WHEEL_FOLDER = REPO / "_build" / "wheel"  # where `make` puts the wheel the book links


@pytest.fixture(scope="session")
def book(tmp_path_factory) -> Build:
    mathjax = mathjax_file()
    if not mathjax.exists():
        pytest.skip(
            f"the vendored MathJax {mathjax.relative_to(REPO)} is missing: run `make setup` "
            "(npm ci, then the copy into _vendor/) before the book tests"
        )
    if not (WHEEL_FOLDER / wheel.wheel_name(REPO)).is_file():
        wheel.build(REPO, WHEEL_FOLDER)  # `make` builds it; pytest run alone may not have
    reuse = os.environ.get("BOOK_TEST_OUTPUT")
    output = Path(reuse) if reuse else tmp_path_factory.mktemp("book")
    return build_book(output, all_pages=bool(reuse))


@pytest.fixture(scope="session")
def html(book: Build) -> Path:
    """The built HTML; fails (rather than errors) with the log when the build wrote none."""
    if not (book.html / "index.html").exists():
        pytest.fail(f"the book build wrote no HTML:\n{book.log[-LOG_TAIL:]}")
    return book.html
