"""The student edition made from the built book: no answer in it, and every link a
student follows (book to notebook, book to wheel, notebook to book, the download button)
resolves to a file of the edition."""

import re
import zipfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest
from book_tools import CHAPTERS, REPO, element_ids, html_pages
from bs4 import BeautifulSoup

from rnnlab.course.classroom import secret
from rnnlab.course.release import edition, leaks, wheel

pytestmark = [pytest.mark.book, pytest.mark.slow]

MARKDOWN_LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.fixture(scope="module")
def folder(html: Path, tmp_path_factory) -> Path:
    """The edition, as ``make release`` assembles it from the book under test."""
    scratch = tmp_path_factory.mktemp("edition")
    built = wheel.build(REPO, scratch / "wheel")
    return edition.assemble(REPO, html, built, scratch / edition.NAME)


def resolve(folder: Path, page: Path, href: str) -> tuple[Path, str]:
    """The file an href of ``page`` names, and its #fragment."""
    parts = urlsplit(href)
    return (page.parent / unquote(parts.path)).resolve(), parts.fragment


def exercise(chapter: str) -> str:
    """ch2_lstm -> ex02_lstm: chapter N goes with exercise exNN."""
    number = int(re.match(r"ch(\d+)_", chapter).group(1))
    return next(path.stem for path in (REPO / "exercises").glob(f"ex{number:02d}_*/*.ipynb"))


def test_the_edition_holds_no_solution_line_no_hidden_test_no_secret(folder: Path):
    key, _ = secret.course_secret(REPO)  # a fresh clone's is the public default
    secrets = leaks.from_course(REPO, key)
    assert len(secrets.lines) > 50 and len(secrets.files) >= 6  # there is something to find
    assert leaks.scan(folder, secrets) == []
    assert not [path for path in folder.rglob("*") if "solutions" in path.parts]


def test_the_released_notebooks_are_the_exercises_folders(folder: Path):
    released = sorted((REPO / "exercises").glob("*/*.ipynb"))
    assert len(released) == len(CHAPTERS)
    for notebook in released:
        copy = folder / notebook.relative_to(REPO)
        assert copy.read_bytes() == notebook.read_bytes()


def test_each_chapter_links_its_notebook_and_the_intro_the_wheel(folder: Path):
    for chapter in CHAPTERS:
        page = folder / "book" / f"{chapter}.html"
        targets = [resolve(folder, page, a["href"])[0] for a in _download_links(page)]
        name = exercise(chapter)
        linked = [target for target in targets if target.name == f"{name}.ipynb"]
        assert linked, f"{chapter} has no download link to {name}.ipynb"
        assert linked[0].read_bytes() == (REPO / "exercises" / name / f"{name}.ipynb").read_bytes()
    intro = folder / "book" / "intro.html"
    wheels = [resolve(folder, intro, a["href"])[0] for a in _download_links(intro)]
    shipped = next((folder / "wheels").glob("*.whl"))
    assert [target.read_bytes() for target in wheels if target.suffix == ".whl"] == [
        shipped.read_bytes()
    ]


def test_every_download_link_of_the_book_resolves_inside_the_edition(folder: Path):
    checked = 0
    for page in html_pages(folder):
        for anchor in _download_links(page):
            target, _ = resolve(folder, page, anchor["href"])
            assert target.is_relative_to(folder.resolve()), f"{page.name}: {anchor['href']}"
            assert target.is_file(), f"{page.name}: {anchor['href']} is not in the edition"
            checked += 1
    assert checked >= len(CHAPTERS) + 1


def test_every_link_of_a_released_notebook_resolves_in_the_edition(folder: Path):
    for path in sorted(folder.glob("exercises/*/*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        text = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
        links = MARKDOWN_LINK.findall(text)
        chapter = next(name for name in CHAPTERS if name.startswith(f"ch{int(path.stem[2:4])}_"))
        pages = {resolve(folder, path, link)[0].name for link in links}
        assert pages == {f"{chapter}.html", "bibliography.html"}, f"{path.name} links {pages}"
        for link in links:
            target, fragment = resolve(folder, path, link)
            assert target.is_file(), f"{path.name}: {link} is not in the edition"
            assert not fragment or fragment in element_ids(target), f"{path.name}: {link}"


def test_the_download_button_gives_each_chapter_as_notebook_and_markdown(folder: Path):
    for chapter in CHAPTERS:
        page = folder / "book" / f"{chapter}.html"
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        offered = {a["href"] for a in soup.select(".dropdown-download-buttons a[href]")}
        assert offered == {f"../_sources/book/{chapter}.ipynb", f"../_sources/book/{chapter}.md"}
        markdown = (folder / "_sources" / "book" / f"{chapter}.md").read_text()
        assert markdown == (REPO / "book" / f"{chapter}.md").read_text()
        notebook = nbformat.read(folder / "_sources" / "book" / f"{chapter}.ipynb", as_version=4)
        nbformat.validate(notebook)
        code = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
        assert len(code) == markdown.count("```{code-cell}")
        assert all(source in markdown for source in code)


def test_the_archive_holds_the_edition_under_one_folder(folder: Path):
    files = {
        f"{edition.NAME}/{path.relative_to(folder).as_posix()}"
        for path in folder.rglob("*")
        if path.is_file()
    }
    with zipfile.ZipFile(edition.archive(folder)) as archive:
        assert set(archive.namelist()) == files
        readme = archive.read(f"{edition.NAME}/README.md").decode()
    shipped = next((folder / "wheels").glob("*.whl")).name
    assert f"pip install wheels/{shipped}" in readme and "rnnlab check" in readme


def _download_links(page: Path) -> list:
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    return soup.select("a.download[href]")
