"""Helpers of tests/book/test_built_book.py: build the book, read its glued values, scan
the HTML for references to other hosts, and render a page in headless Chromium with the
network off.

Kept apart from the tests so that each test reads as the property it checks.
"""

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import yaml
from bs4 import BeautifulSoup

REPO = Path(__file__).resolve().parents[2]
BOOK = REPO / "book"
CHAPTERS = (
    "ch0_sequences",
    "ch1_rnn",
    "ch2_lstm",
    "ch3_variants",
    "ch4_gru",
    "ch5_attention",
)
BACK_MATTER = ("notation", "glossary", "questions", "bibliography")
# Glue names carry their chapter's topic, so that they never clash across chapters.
PREFIXES = {
    "ch0_sequences": "seq_",
    "ch1_rnn": "rnn_",
    "ch2_lstm": "lstm_",
    "ch3_variants": "var_",
    "ch4_gru": "gru_",
    "ch5_attention": "att_",
}

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
LOG_TAIL = 6000  # characters of the build log a failure shows
# What pyzmq logs (in either spelling) when a kernel's stream gets a message while the
# kernel shuts down: seen in fresh-clone CI runs of builds that passed every other test.
TEARDOWN = re.compile(
    r"ERROR:tornado\.general:Uncaught exception in (ZMQStream|zmqstream) callback"
)


# --------------------------------------------------------------------------- building


def toc_files() -> list[str]:
    """The pages _toc.yml lists, in reading order, as paths without suffix ("book/intro")."""
    toc = yaml.safe_load((REPO / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]

    def walk(entries):
        for entry in entries:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections", []))

    for part in toc.get("parts", [toc]):
        walk(part.get("chapters", []))
    return files


def mathjax_file() -> Path:
    """The vendored MathJax script that _config.yml's ``mathjax_path`` points at."""
    config = yaml.safe_load((REPO / "_config.yml").read_text(encoding="utf-8"))
    sphinx = config.get("sphinx", {}).get("config", {})
    static = sphinx.get("html_static_path", ["_vendor"])[0]
    return REPO / static / sphinx.get("mathjax_path", "mathjax/tex-mml-chtml.js")


def jupyter_book() -> str:
    """The jupyter-book executable of the interpreter running the tests (the .venv)."""
    local = Path(sys.executable).with_name("jupyter-book")
    return str(local) if local.exists() else (shutil.which("jupyter-book") or "jupyter-book")


@dataclass
class Build:
    """One ``jupyter-book build`` of the whole book into ``output``."""

    output: Path
    returncode: int
    log: str
    seconds: float

    @property
    def html(self) -> Path:
        return self.output / "_build" / "html"

    @property
    def cache(self) -> Path:
        return self.output / "_build" / ".jupyter_cache"

    def problems(self) -> list[str]:
        """Every warning and error the build printed, Sphinx's and the kernels' alike,
        but the one line a kernel's pyzmq stream may log as the kernel is shut down
        (``TEARDOWN``): it comes after the notebook ran, and changes no output."""
        lines = _ANSI.sub("", self.log).splitlines()
        return [
            line
            for line in lines
            if re.search(r"\b(WARNING|ERROR|CRITICAL|SEVERE)\b", line)
            and not TEARDOWN.fullmatch(line.strip())
        ]


def build_book(output: Path, *, all_pages: bool = False, timeout: float = 1800) -> Build:
    """``jupyter-book build -W --keep-going`` of the repository into ``output``.

    ``--keep-going`` reports every warning, not only the first, and still writes the HTML.
    ``all_pages`` re-reads every page (Sphinx's fresh environment) but keeps the
    execution cache found in ``output``.
    """
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    command = [jupyter_book(), "build", "-W", "--keep-going", "--path-output", str(output)]
    if all_pages:
        command.append("--all")
    start = time.perf_counter()
    result = subprocess.run(
        [*command, str(REPO)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Build(Path(output), result.returncode, result.stdout, time.perf_counter() - start)


# ----------------------------------------------------------------------- glued values


class NotPlainValueError(ValueError):
    """A glued value whose repr is not that of a plain int, float or str."""


def glued_outputs(build: Build, page: str) -> dict[str, dict]:
    """Every value glued by ``book/<page>.md`` in ``build``: name -> its mime bundle.

    myst-nb strips glue outputs from the notebooks it writes to ``_build/jupyter_execute``
    (it moves them into Sphinx's environment), so they are read from the execution cache,
    which keeps the executed notebook whole. The page is matched to its cache record the
    way myst-nb does it: by the hash of its code cells.
    """
    from jupyter_cache import get_cache
    from myst_nb.core.read import read_myst_markdown_notebook

    source = BOOK / f"{page}.md"
    notebook = read_myst_markdown_notebook(source.read_text(encoding="utf-8"))
    cache = get_cache(str(build.cache))
    try:
        record = cache.match_cache_notebook(notebook)
    except KeyError:  # edited since the build? then check the version the book was built from
        records = [r for r in cache.list_cache_records() if Path(r.uri) == source]
        if not records:
            raise LookupError(
                f"book/{page}.md has no executed notebook in {build.cache}: it has no code "
                "cell, or a cell failed (see the build log)"
            ) from None
        record = max(records, key=lambda r: r.created)
    glued = {}
    for cell in cache.get_cache_bundle(record.pk).nb.cells:
        for output in cell.get("outputs", []):
            scrapbook = output.get("metadata", {}).get("scrapbook")
            if scrapbook:
                prefix = scrapbook.get("mime_prefix", "")
                data = output.get("data", {})
                glued[scrapbook["name"]] = {k.removeprefix(prefix): v for k, v in data.items()}
    return glued


def is_figure(bundle: dict) -> bool:
    """Whether a glued mime bundle is an image (a figure glued for ``{glue:figure}``)."""
    return any(mime.startswith("image/") for mime in bundle)


def plain_value(bundle: dict):
    """The int, float or str whose repr the glued bundle shows as ``text/plain``."""
    text = bundle.get("text/plain", "")
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        raise NotPlainValueError(text) from None
    if type(value) not in (int, float, str):
        raise NotPlainValueError(text)
    return value


_GLUE_ROLE = re.compile(r"\{glue(?::[a-z]*)?\}`([^`]+)`")
_GLUE_DIRECTIVE = re.compile(r"^[ \t]*(?:`{3,}|:{3,})\{glue(?::[a-z]*)?\}[ \t]+(\S+)", re.M)


def glue_references(page: str) -> list[tuple[str, str]]:
    """Every ``{glue...}`` role and directive in ``book/<page>.md`` as (page, name) pairs;
    ``other.ipynb::name`` refers to another page's value."""
    text = (BOOK / f"{page}.md").read_text(encoding="utf-8")
    references = []
    for target in _GLUE_ROLE.findall(text):
        if "::" in target:
            document, target = target.split("::", 1)
            owner = Path(document).stem
        else:
            owner = page
        references.append((owner, target.split(":", 1)[0].strip()))
    references += [(page, name) for name in _GLUE_DIRECTIVE.findall(text)]
    return references


# -------------------------------------------------------------------- hosts and links

# Hosts that serve scripts, styles or fonts: none may be named by a script, a style sheet
# or a loading attribute of the book, even in code that looks unused.
CDN_HOSTS = re.compile(
    r"(?:cdn\.jsdelivr\.net|unpkg\.com|cdnjs\.cloudflare\.com|fonts\.googleapis\.com"
    r"|fonts\.gstatic\.com|ajax\.googleapis\.com|code\.jquery\.com|cdn\.mathjax\.org"
    r"|polyfill\.io|bootstrapcdn\.com|use\.fontawesome\.com|kit\.fontawesome\.com"
    r"|esm\.sh|cdn\.skypack\.dev|cdn\.plot\.ly|mybinder\.org/v2)",
    re.I,
)
# MathJax loaded from anywhere but the book's own _static folder.
REMOTE_MATHJAX = re.compile(r"(?:https?:)?//[^\s\"'`()]*mathjax[^\s\"'`()]*\.js", re.I)
_URL = r"""((?:https?:)?//[^\s"'`()<>]+)"""
# Script code that makes the browser fetch a URL.
JS_LOADS = [
    re.compile(r"""\bsrc\s*[=:]\s*\\?["'`]""" + _URL),
    re.compile(r"""(?<!<a )\bhref\s*[=:]\s*\\?["'`]""" + _URL),
    re.compile(r"""\b(?:fetch|import|importScripts|require|loadScript)\s*\(\s*["'`]""" + _URL),
    re.compile(r"""\.open\(\s*["'`][A-Za-z]+["'`]\s*,\s*["'`]""" + _URL),
    re.compile(r"""\burl\(\s*\\?["']?""" + _URL),
    re.compile(r"""@import\s+(?:url\()?\s*\\?["']?""" + _URL),
]
CSS_LOADS = JS_LOADS[-2:]
# Attributes that make the browser fetch what they name (<a href> is a plain link).
LOADING_ATTRIBUTES = ("src", "srcset", "poster", "data", "background", "manifest")


def is_remote(url: str) -> bool:
    """Whether ``url`` names another host: it has a network scheme or starts with //."""
    url = url.strip()
    return url.startswith("//") or urlsplit(url).scheme.lower() in (
        "http",
        "https",
        "ftp",
        "ws",
        "wss",
    )


SVG_LOADS = [
    *CSS_LOADS,
    re.compile(r"""<(?:image|use|script|feImage)\b[^>]*\bhref\s*=\s*["']""" + _URL),
]


def _script_findings(text: str, patterns, css: bool = False) -> list[str]:
    """What ``patterns`` find in a script, style sheet or SVG, plus any CDN host name and
    any remote MathJax script, wherever they appear (comments of a style sheet aside)."""
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S) if css else text
    found = [m.group(1) for pattern in patterns for m in pattern.finditer(text)]
    found += [
        text[max(0, m.start() - 40) : m.end() + 40].replace("\n", " ")
        for m in CDN_HOSTS.finditer(text)
    ]
    found += [m.group(0) for m in REMOTE_MATHJAX.finditer(text)]
    return found


def remote_references(html_root: Path) -> list[tuple[str, str, str]]:
    """Every reference of the built book that would make a browser contact another host,
    as (file, where, what). Plain hyperlinks (<a href>) are not references of that kind."""
    findings = []
    for path in sorted(html_root.rglob("*")):
        name = str(path.relative_to(html_root))
        if path.suffix == ".html":
            soup = BeautifulSoup(path.read_text(encoding="utf-8", errors="replace"), "html.parser")
            for tag in soup.find_all(True):
                for attribute in LOADING_ATTRIBUTES:
                    for url in (tag.get(attribute) or "").split(","):
                        if url.strip() and is_remote(url.split()[0]):
                            findings.append((name, f"<{tag.name} {attribute}>", url.strip()))
                if tag.name == "link" and is_remote(tag.get("href", "")):
                    findings.append((name, f"<link rel={tag.get('rel')}>", tag["href"]))
                if tag.name == "meta" and "url=" in (tag.get("content") or "").lower():
                    url = tag["content"].lower().split("url=", 1)[1]
                    if is_remote(url):
                        findings.append((name, "<meta refresh>", url))
                if tag.get("style"):
                    for found in _script_findings(tag["style"], CSS_LOADS, css=True):
                        findings.append((name, f"<{tag.name} style>", found))
                if tag.name in ("script", "style") and tag.string:
                    css = tag.name == "style"
                    for found in _script_findings(tag.string, CSS_LOADS if css else JS_LOADS, css):
                        findings.append((name, f"inline <{tag.name}>", found))
        elif path.suffix in (".js", ".mjs", ".css", ".svg"):
            kind = {".css": "style sheet", ".svg": "SVG"}.get(path.suffix, "script")
            patterns = {".css": CSS_LOADS, ".svg": SVG_LOADS}.get(path.suffix, JS_LOADS)
            text = path.read_text(encoding="utf-8", errors="replace")
            for found in _script_findings(text, patterns, css=path.suffix == ".css"):
                findings.append((name, kind, found))
    return findings


def html_pages(html_root: Path) -> list[Path]:
    """The built pages: the book's and Sphinx's own (index, search, genindex)."""
    return sorted(p for p in html_root.rglob("*.html") if "_static" not in p.parts)


def element_ids(page: Path) -> set[str]:
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    return {tag["id"] for tag in soup.find_all(id=True)}


def broken_links(html_root: Path) -> list[str]:
    """Local links (href and src) whose file or #anchor does not exist in the build."""
    ids: dict[Path, set[str]] = {}
    broken = []
    for page in html_pages(html_root):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        for tag in soup.find_all(["a", "link", "script", "img", "source"]):
            url = tag.get("href") or tag.get("src")
            if not url or is_remote(url) or urlsplit(url).scheme:
                continue  # remote links are the CDN test's business; mailto: etc. skipped
            parts = urlsplit(url)
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            where = f"{page.relative_to(html_root)}: {url}"
            if not target.exists():
                broken.append(f"{where} (no file {target})")
            elif parts.fragment and target.suffix == ".html":
                if target not in ids:
                    ids[target] = element_ids(target)
                if unquote(parts.fragment) not in ids[target]:
                    broken.append(f"{where} (no id {parts.fragment!r} in {target.name})")
    return broken


# ------------------------------------------------------------------ headless Chromium


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


@dataclass
class Rendering:
    """What headless Chromium made of one page with the network off."""

    dom: str
    console: list[str]  # the page's console messages
    remote_requests: list[str]  # URLs the page asked the network stack for
    failure: str = ""  # Chromium's exit status and last words when it dumped no DOM

    def math_elements(self) -> tuple[int, int, list[str]]:
        """(math elements, those MathJax rendered, the errors it shows).

        A TeX error becomes an ``mjx-merror`` element; an undefined macro is not an error
        to MathJax, which prints its name in red (``mjx-mtext`` styled ``color: red``).
        """
        soup = BeautifulSoup(self.dom, "html.parser")
        maths = soup.select(".math")
        rendered = [m for m in maths if m.find("mjx-container")]
        errors = [e.get("data-mjx-error", "error") for e in soup.find_all("mjx-merror")]
        red = soup.find_all("mjx-mtext", style=re.compile(r"color:\s*red"))
        if red:  # the macro's name is legible only in the assistive MathML, if loaded
            names = [t.get_text() for t in soup.find_all("mtext", mathcolor="red")]
            errors += [f"undefined {name}" for name in names] or [f"{len(red)} undefined macros"]
        return len(maths), len(rendered), errors


def render(url: str, browser: str, timeout: float = 120) -> Rendering:
    """Open ``url`` in headless Chromium that can reach no host, and dump its DOM.

    The proxy points at a closed port and every host name resolves to nothing, so any
    request for another host fails; the net log records the requests the page tried.
    """
    with tempfile.TemporaryDirectory(prefix="book-chromium-") as tmp:
        net_log = Path(tmp) / "net.json"
        command = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp}/profile",
            "--proxy-server=127.0.0.1:9",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            f"--log-net-log={net_log}",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=10000",
            "--dump-dom",
            url,
        ]
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, check=False
        )
        console = [line for line in result.stderr.splitlines() if ":CONSOLE" in line]
        failure = ""
        if not result.stdout.strip():
            failure = f"exit {result.returncode}: {result.stderr[-800:]}"
        return Rendering(result.stdout, console, _page_requests(net_log), failure)


def _page_requests(net_log: Path) -> list[str]:
    """Network requests made on behalf of a file:// page (not the browser's own)."""
    if not net_log.exists():
        return []
    text = net_log.read_text(encoding="utf-8", errors="replace").rstrip().rstrip(",")
    try:
        log = json.loads(text)
    except json.JSONDecodeError:  # a net log cut short lacks its closing brackets
        log = json.loads(text + "]}")
    start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    return sorted(
        {
            event["params"]["url"]
            for event in log["events"]
            if event.get("type") == start_job
            and "file://" in str(event.get("params", {}).get("network_isolation_key", ""))
            and not event["params"].get("url", "").startswith("file:")
        }
    )
