"""A Sphinx extension: the download button offers every chapter as a notebook.

sphinx-book-theme lists a page's ``.ipynb`` only when a launch service (Binder, Colab, a
JupyterHub) is configured, and an offline book has none. This copies the notebook
myst-nb executed (``jupyter_execute/``, beside the HTML) next to the page's Markdown
source in ``_sources/`` and names it to the theme, which then offers both.
"""

import shutil
from pathlib import Path


def offer_notebook(app, pagename: str, templatename: str, context: dict, doctree) -> None:
    """``html-page-context``: give the page's executed notebook to the download button."""
    executed = Path(app.outdir).parent / "jupyter_execute" / f"{pagename}.ipynb"
    if doctree is None or not executed.is_file():
        return  # a page with no code (glossary, bibliography): Markdown only
    target = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(executed, target)
    context["ipynb_source"] = f"{pagename}.ipynb"


def setup(app) -> dict:
    # Before the theme builds its header buttons (priority 501).
    app.connect("html-page-context", offer_notebook, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
