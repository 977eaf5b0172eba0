"""The quality bar of the book: it builds with zero warnings, its numbers are rnnlab's,
it refers to no other host, its math renders offline, and every page is in the table of
contents and links where it says.

The book is built once per test session (``conftest.py`` says how, and how to iterate
faster).
"""

import importlib
import math
import re
from functools import cache
from pathlib import Path

import pytest
from book_tools import (
    BACK_MATTER,
    BOOK,
    CHAPTERS,
    LOG_TAIL,
    PREFIXES,
    REPO,
    Build,
    NotPlainValueError,
    broken_links,
    chromium,
    glue_references,
    glued_outputs,
    html_pages,
    is_figure,
    mathjax_file,
    plain_value,
    remote_references,
    render,
    toc_files,
)
from bs4 import BeautifulSoup

pytestmark = [pytest.mark.book, pytest.mark.slow]


def _uses_glue(page: str) -> bool:
    worked = REPO / "rnnlab" / "book" / f"{page}.py"
    return worked.exists() or bool(glue_references(page))


# Every chapter owes numbers; a back-matter page only if it cites some.
GLUED_PAGES = CHAPTERS + tuple(
    page for page in ("intro", *BACK_MATTER) if (BOOK / f"{page}.md").exists() and _uses_glue(page)
)


def page_soup(html: Path, page: str) -> BeautifulSoup:
    return BeautifulSoup(
        (html / "book" / f"{page}.html").read_text(encoding="utf-8"), "html.parser"
    )


# ------------------------------------------------------------------------------ build


def test_book_builds_with_zero_warnings(book: Build):
    problems = book.problems()
    assert book.returncode == 0 and not problems, (
        f"jupyter-book build -W exited with {book.returncode} after {book.seconds:.0f} s, "
        f"with {len(problems)} warning(s) or error(s):\n"
        + "\n".join(problems)
        + f"\n\n--- end of the build log ---\n{book.log[-LOG_TAIL:]}"
    )


# ------------------------------------------------------------------ table of contents


def test_every_chapter_and_back_matter_page_is_in_the_toc():
    listed = set(toc_files())
    expected = [f"book/{page}" for page in ("intro", *CHAPTERS, *BACK_MATTER)]
    missing = [page for page in expected if page not in listed]
    assert not missing, f"_toc.yml does not list {missing}"
    absent = [f for f in listed if not (REPO / f"{f}.md").exists()]
    assert not absent, f"_toc.yml lists pages that do not exist: {absent}"


def test_every_markdown_page_under_book_is_in_the_toc():
    listed = set(toc_files())
    pages = sorted(str(p.relative_to(REPO).with_suffix("")) for p in BOOK.rglob("*.md"))
    unlisted = [page for page in pages if page not in listed]
    assert not unlisted, f"pages under book/ missing from _toc.yml: {unlisted}"


# ------------------------------------------------------------------------ glued numbers


@cache
def worked_numbers(page: str) -> dict:
    """``rnnlab.book.<page>.numbers()``, computed once per session."""
    try:
        module = importlib.import_module(f"rnnlab.book.{page}")
    except ModuleNotFoundError as error:
        if error.name != f"rnnlab.book.{page}":
            raise
        pytest.fail(
            f"book/{page}.md: its worked module rnnlab/book/{page}.py does not exist yet; "
            "the chapter must glue every entry of that module's numbers()"
        )
    return module.numbers()


def book_values(book: Build, page: str) -> dict[str, dict]:
    try:
        return glued_outputs(book, page)
    except LookupError as error:
        pytest.fail(f"{error} (see test_book_builds_with_zero_warnings for the build log)")


@pytest.mark.parametrize("page", GLUED_PAGES)
def test_glued_numbers_are_exactly_rnnlabs(book: Build, html: Path, page: str):
    ours = worked_numbers(page)
    assert isinstance(ours, dict), f"rnnlab.book.{page}.numbers() returned {type(ours)}"
    problems = []
    if not_plain := {
        k: type(v).__name__ for k, v in ours.items() if type(v) not in (int, float, str)
    }:
        problems.append(f"numbers() values must be plain int, float or str: {not_plain}")
    prefix = PREFIXES.get(page, "")
    if unprefixed := sorted(k for k in ours if not k.startswith(prefix)):
        problems.append(f"names that do not start with {prefix!r}: {unprefixed}")

    glued = book_values(book, page)
    # A glued image (a figure for {glue:figure}) is not a number: numbers() need not hold it.
    figures = {name for name, bundle in glued.items() if is_figure(bundle)}
    numbers = {name: bundle for name, bundle in glued.items() if name not in figures}
    if missing := sorted(set(ours) - set(numbers)):
        problems.append(f"in numbers() but not glued by the chapter: {missing}")
    if extra := sorted(set(numbers) - set(ours)):
        problems.append(f"glued by the chapter but not in numbers(): {extra}")
    if clash := sorted(figures & set(ours)):
        problems.append(f"glued as figures but numbers() has them: {clash}")
    for name in sorted(set(ours) & set(numbers)):
        try:
            shown = plain_value(numbers[name])
        except NotPlainValueError as error:
            problems.append(f"{name}: the book glued {error}, not a plain int, float or str")
            continue
        expected = ours[name]
        if type(shown) is not type(expected):
            problems.append(
                f"{name}: the book has {type(shown).__name__} {shown!r}, "
                f"rnnlab has {type(expected).__name__} {expected!r}"
            )
        elif isinstance(expected, float):
            if not math.isclose(shown, expected, rel_tol=1e-12, abs_tol=0.0):
                problems.append(f"{name}: the book has {shown!r}, rnnlab has {expected!r}")
        elif shown != expected:
            problems.append(f"{name}: the book has {shown!r}, rnnlab has {expected!r}")
    assert not problems, f"book/{page}.md against rnnlab.book.{page}:\n" + "\n".join(problems)


@pytest.mark.parametrize("page", GLUED_PAGES)
def test_every_glue_reference_names_a_glued_value(book: Build, html: Path, page: str):
    references = glue_references(page)
    glued = {owner: set(book_values(book, owner)) for owner in {o for o, _ in references}}
    unknown = sorted(
        f"{name}" if owner == page else f"{owner}::{name}"
        for owner, name in references
        if name not in glued[owner]
    )
    assert not unknown, f"book/{page}.md cites names that no cell glued: {unknown}"


# ------------------------------------------------------------------- offline, no host


def test_no_page_refers_to_another_host(html: Path):
    findings = remote_references(html)
    assert not findings, (
        "the built book makes a browser contact other hosts (plain <a href> links are "
        "allowed; scripts, style sheets, fonts, images and fetches are not):\n"
        + "\n".join(f"{where:40} {kind:24} {what}" for where, kind, what in findings)
    )


NAMED_CDNS = re.compile(
    r"cdn\.jsdelivr\.net|unpkg\.com|fonts\.googleapis\.com|fonts\.gstatic\.com"
    r"|cdnjs\.cloudflare\.com|cdn\.mathjax\.org|(?:https?:)?//[^\s\"'()]*mathjax[^\s\"'()]*\.js",
    re.I,
)


def test_no_cdn_name_remains_anywhere_in_the_build(html: Path):
    """A plain text search of every built file, as a backstop to the parsing above."""
    hits = []
    for path in sorted(html.rglob("*")):
        if path.is_file() and path.suffix in (".html", ".js", ".mjs", ".css", ".svg", ".json"):
            text = path.read_text(encoding="utf-8", errors="replace")
            for match in NAMED_CDNS.finditer(text):
                context = text[max(0, match.start() - 50) : match.end() + 30].replace("\n", " ")
                hits.append(f"{path.relative_to(html)}: …{context}…")
    assert not hits, "CDN names remain in the built book:\n" + "\n".join(hits)


def test_mathjax_is_served_from_the_book(html: Path):
    vendored = mathjax_file().name
    offenders = []
    pages_with_math = 0
    for page in html_pages(html):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        scripts = [s["src"] for s in soup.find_all("script", src=True) if "mathjax" in s["src"]]
        if soup.select(".math"):
            pages_with_math += 1
            if not scripts:
                offenders.append(f"{page.relative_to(html)}: has math but loads no MathJax")
        for src in scripts:
            local = (page.parent / src.split("?")[0]).resolve()
            if local.name != vendored or not local.is_file() or html not in local.parents:
                offenders.append(f"{page.relative_to(html)}: MathJax from {src}")
    assert pages_with_math, "no page of the book has math: the checks below would prove nothing"
    assert not offenders, "\n".join(offenders)


def test_local_links_and_anchors_resolve(html: Path):
    broken = broken_links(html)
    assert not broken, "links to files or anchors that the build lacks:\n" + "\n".join(broken)


# ----------------------------------------------------------- math in headless Chromium


def math_pages(html: Path) -> list[Path]:
    return [
        page
        for page in html_pages(html)
        if BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser").select(".math")
    ]


def rendering_problems(url: str, browser: str) -> list[str]:
    """What is wrong with ``url`` once Chromium has rendered it offline (empty if nothing)."""
    rendering = render(url, browser)
    if rendering.failure:
        return [f"Chromium dumped no DOM ({rendering.failure})"]
    total, rendered, errors = rendering.math_elements()
    problems = []
    if total == 0:
        problems.append("no math element in the rendered page")
    if rendered < total:
        problems.append(f"MathJax rendered {rendered} of its {total} math elements")
    if errors:
        problems.append(f"MathJax shows errors: {errors}")
    if rendering.remote_requests:
        problems.append(f"the page asked the network for {rendering.remote_requests}")
    if uncaught := [line for line in rendering.console if "Uncaught" in line]:
        problems.append(f"script errors: {uncaught}")
    return problems


@pytest.fixture(scope="session")
def browser() -> str:
    found = chromium()
    if found is None:
        pytest.skip("no headless Chromium (/usr/bin/chromium): apt-get install chromium")
    return found


def test_math_renders_offline_in_headless_chromium(html: Path, browser: str):
    pages = math_pages(html)
    assert html / "book" / "notation.html" in pages, "the notation page should have math"
    failures = {}
    for page in pages:
        if problems := rendering_problems(page.as_uri(), browser):
            failures[str(page.relative_to(html))] = problems
    assert not failures, "math does not render offline:\n" + "\n".join(
        f"{page}: {'; '.join(problems)}" for page, problems in failures.items()
    )


def test_the_rendering_check_fails_on_a_page_without_its_mathjax(
    html: Path, browser: str, tmp_path: Path
):
    """The control of the test above: the same check on a copy of a page that cannot
    reach its MathJax must fail. The copy sits in a folder with no _static/, and asks for
    MathJax from a CDN instead; with the network off that cannot load, and the request
    must show in the net log. (Checked by hand too: the page in the real build with
    _static/mathjax renamed away gives 0 rendered math elements.)"""
    page = tmp_path / "book" / "notation.html"
    page.parent.mkdir()
    text = (html / "book" / "notation.html").read_text(encoding="utf-8")
    cdn = '<script defer src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js">'
    page.write_text(text.replace("</head>", f"{cdn}</script></head>", 1), encoding="utf-8")
    problems = rendering_problems(page.as_uri(), browser)
    assert any(p.startswith("MathJax rendered 0 of") for p in problems), problems
    assert any("cdn.jsdelivr.net" in p for p in problems), problems


# ------------------------------------------------------------------------ back matter

GLOSSARY_TERMS = (
    "time step",
    "hidden state",
    "cell state",
    "gate",
    "BPTT",
    "vanishing gradient",
    "exploding gradient",
    "peephole",
    "CIFG",
    "teacher forcing",
    "attention weights",
    "context vector",
    "padding",
    "mask",
    "embedding",
    "time-major",
)
SEED_QUESTIONS = (
    "q-box-a",  # is each box "A" one neuron or a whole layer?
    "q-h-vector",  # is h_t a vector?
    "q-lengths",  # do x_t, h_t and c_t have the same length?
    "q-decoder-keeps",  # what does a seq2seq decoder with attention keep?
    "q-output-every-step",  # output at every step or at the last?
    "q-torch-outputs",  # torch's output versus h_n
    "q-4h-rows",  # why 4·H rows in weight_ih?
)
CHAPTER_LINK = re.compile(r"^(?:\.\./book/|\./)?(ch\d_\w+)\.html(?:#.*)?$")


def chapter_links(element, sections: bool = False) -> set[str]:
    """The chapters an element links to (with ``sections``, only links to a section)."""
    found = set()
    for a in element.find_all("a", href=True):
        if (match := CHAPTER_LINK.match(a["href"])) and ("#" in a["href"] or not sections):
            found.add(match.group(1))
    return found


def test_glossary_defines_the_course_terms_and_points_to_chapters(html: Path):
    soup = page_soup(html, "glossary")
    glossary = soup.select_one("dl.glossary")
    assert glossary is not None, "glossary.md has no {glossary} directive"
    terms = {dt.get_text(" ", strip=True).rstrip("#").strip() for dt in glossary.find_all("dt")}
    missing = [term for term in GLOSSARY_TERMS if term not in terms]
    assert not missing, f"the glossary lacks {missing}"
    unlinked = [
        dd.find_previous_sibling("dt").get_text(" ", strip=True).rstrip("#").strip()
        for dd in glossary.find_all("dd")
        if not chapter_links(dd)
    ]
    assert not unlinked, f"glossary entries that point to no chapter: {unlinked}"


def test_notation_maps_the_four_sources_and_pytorch(html: Path):
    soup = page_soup(html, "notation")
    tables = soup.find_all("table")
    assert len(tables) >= 4, f"the notation page has {len(tables)} tables"
    first = [th.get_text(strip=True) for th in tables[0].find_all("th")]
    for column in ("this book", "colah", "Lee", "Ng", "PyTorch"):
        assert column in first, f"the first notation table has no column {column!r}: {first}"
    text = re.sub(r"\s+", " ", soup.get_text(" "))
    for name in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "(T, B, D)"):
        assert name in text, f"the notation page never names {name}"
    assert "i, f, g, o" in text and "r, z, n" in text, "the gate orders are missing"
    for row in ("z^i", "z^f", "z^o", r"\Gamma_u", r"\Gamma_r", r"W_{aa}", r"W_{ax}", r"\tilde c"):
        assert row in text, f"the notation page never writes {row}"


def test_every_question_links_to_the_chapter_that_shows_it(html: Path):
    soup = page_soup(html, "questions")
    sections = soup.select("section section")
    assert len(sections) >= len(SEED_QUESTIONS), f"only {len(sections)} questions"
    ids = {tag["id"] for tag in soup.find_all(id=True)}
    missing = [label for label in SEED_QUESTIONS if label not in ids]
    assert not missing, f"the questions page lacks the seed questions {missing}"
    unlinked = [
        s.find(["h2", "h3"]).get_text(strip=True)
        for s in sections
        if not chapter_links(s, sections=True)
    ]
    assert not unlinked, f"questions whose answer links to no chapter section: {unlinked}"


def test_intro_links_every_chapter_and_back_matter_page(html: Path):
    soup = page_soup(html, "intro")
    hrefs = {a["href"].split("#")[0] for a in soup.select("article a[href]")}
    missing = [p for p in (*CHAPTERS, *BACK_MATTER) if f"{p}.html" not in hrefs]
    assert not missing, f"the landing page does not link to {missing}"


def test_bibliography_lists_the_references(html: Path):
    soup = page_soup(html, "bibliography")
    entries = soup.select("div.citation, dl.citation > dt, .bibtex .citation")
    bib = (BOOK / "references.bib").read_text(encoding="utf-8")
    keys = re.findall(r"^@\w+\{([^,]+),", bib, flags=re.M)
    assert len(entries) >= len(keys) > 0, f"{len(entries)} entries for {len(keys)} keys"
