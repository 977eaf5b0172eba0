"""The glossary names every term in English, Chinese and Spanish, side by side."""

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PAGE = (REPO / "book" / "glossary.md").read_text()


def glossary_terms() -> set[str]:
    """The terms of the ```{glossary} block: its unindented lines."""
    block = PAGE.split("```{glossary}")[1].split("```")[0]
    return {line for line in block.splitlines()[2:] if line and not line.startswith((" ", ":"))}


def language_rows() -> dict[str, tuple[str, str]]:
    """English name -> (Chinese, Spanish), one entry per name of a row of the table."""
    table = PAGE.split("(glossary-languages)=")[1]
    rows = {}
    for line in table.splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if len(cells) == 3 and cells[0] not in ("English", "---"):
            for name in cells[0].split(", "):
                rows[name] = (cells[1], cells[2])
    return rows


def test_every_glossary_term_is_named_in_chinese_and_spanish():
    rows = language_rows()
    assert glossary_terms() - set(rows) == set()
    for name, (chinese, spanish) in rows.items():
        assert re.search(r"[\u4e00-\u9fff]", chinese), f"{name}: no Chinese name"
        assert spanish and not re.search(r"[\u4e00-\u9fff]", spanish), f"{name}: {spanish!r}"


def test_the_terms_are_read():
    assert {"forget gate", "BPTT", "vocabulary"} <= glossary_terms()
    assert language_rows()["forget gate"] == ("遗忘门", "puerta de olvido")
