"""Build time of the whole book: cold, cached, and the share of each chapter's execution.

1. cold: `jupyter-book build` into a fresh output folder, so every notebook executes and
   every model trains (the trained language models' cache, ``$RNNLAB_CACHE``, is empty);
2. cached: the same output again with `--all`: every page is read and written anew, every
   notebook comes from the execution cache (the upper bound of a rebuild without code
   changes);
3. no change: the same output again, as `make book` runs it when nothing was edited.

Then each page's execution time as jupyter-cache recorded it (kernel start included),
as a share of the cold build, and the ratios to the aims on 2 cores: cold ≤ 3 min,
cached ≤ 10 s (issue 10's budgets). A ratio above 1 misses the aim.
"""

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "book"))
from book_tools import BOOK, REPO, Build, build_book, toc_files  # noqa: E402

COLD_AIM, CACHED_AIM = 180.0, 10.0


def execution_times(build: Build) -> list[tuple[str, str, float | None]]:
    """(page, what happened, seconds) for every page, from the build's jupyter cache."""
    from jupyter_cache import get_cache
    from myst_nb.core.read import is_myst_markdown_notebook, read_myst_markdown_notebook

    cache = get_cache(str(build.cache))
    rows = []
    for page in toc_files():
        text = (REPO / f"{page}.md").read_text(encoding="utf-8")
        if not is_myst_markdown_notebook(text):
            rows.append((page, "not a notebook", None))
            continue
        try:
            record = cache.match_cache_notebook(read_myst_markdown_notebook(text))
        except KeyError:
            rows.append((page, "not in the cache (failed?)", None))
            continue
        owner = Path(record.uri).with_suffix("")
        owner = owner.relative_to(REPO) if owner.is_relative_to(REPO) else owner
        if str(owner) != page:  # identical code cells share one execution
            rows.append((page, f"same code as {owner}", None))
        else:
            rows.append((page, "executed", record.data.get("execution_seconds")))
    return rows


def report_build(label: str, build: Build) -> None:
    status = "" if build.returncode == 0 else f"   (FAILED, exit {build.returncode})"
    print(f"  {label:58} {build.seconds:7.1f} s{status}")


def main() -> None:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"book build, {cores} cores available, pages under {BOOK.relative_to(REPO)}/")
    with tempfile.TemporaryDirectory(prefix="bench-book-") as tmp:
        # Cold means every training too: the trained language models are looked up here.
        os.environ["RNNLAB_CACHE"] = str(Path(tmp) / "rnnlab-cache")
        cold = build_book(Path(tmp))
        report_build("cold (fresh output, no execution cache)", cold)
        cached = build_book(Path(tmp), all_pages=True)
        report_build("cached (--all: every page re-read, notebooks from cache)", cached)
        unchanged = build_book(Path(tmp))
        report_build("no change (same output, nothing edited)", unchanged)
        rows = execution_times(cold)
    for build in (cold, cached, unchanged):
        if build.returncode != 0:
            print("  the build failed; its problems:", *build.problems()[:10], sep="\n    ")
            break

    print(f"\n  {'page':22} {'execution':>10} {'share of cold':>14}   note")
    executed = 0.0
    for page, note, seconds in rows:
        if seconds is None:
            print(f"  {page:22} {'-':>10} {'-':>14}   {note}")
            continue
        executed += seconds
        print(f"  {page:22} {seconds:8.1f} s {seconds / cold.seconds:13.1%}")
    rest = cold.seconds - executed
    print(f"  {'all notebooks':22} {executed:8.1f} s {executed / cold.seconds:13.1%}")
    print(f"  {'the rest (Sphinx)':22} {rest:8.1f} s {rest / cold.seconds:13.1%}")

    print(f"\n  ratio cold / 3 min    {cold.seconds / COLD_AIM:6.2f}   (aim <= 1)")
    print(f"  ratio cached / 10 s   {cached.seconds / CACHED_AIM:6.2f}   (aim <= 1)")


if __name__ == "__main__":
    main()
