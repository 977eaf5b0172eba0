"""What a student meets in the exercise notebooks' tests: every assert says what it wanted,
and a graded test calls only the function it grades (a wrong neighbour is no knock-on)."""

import ast
import json
import re

import pytest
from course_layout import ASSIGNMENTS, ROOT


def code_cells(name: str):
    notebook = json.loads((ROOT / "solutions" / name / f"{name}.ipynb").read_text())
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            yield cell["metadata"].get("nbgrader", {}), "".join(cell["source"])


def parse(source: str) -> ast.Module:
    return ast.parse("\n".join(line for line in source.splitlines() if line[:1] not in "%!"))


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_every_assert_has_a_message(name):
    bare = [
        ast.unparse(node)
        for _, source in code_cells(name)
        for node in ast.walk(parse(source))
        if isinstance(node, ast.Assert) and node.msg is None
    ]
    assert bare == [], f"{name}: asserts without a message"


def called_names(source: str) -> set[str]:
    return {
        node.func.id
        for node in ast.walk(parse(source))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_a_graded_test_calls_no_other_exercise_function_than_its_own(name):
    defined = {
        node.name
        for meta, source in code_cells(name)
        if meta.get("solution")
        for node in ast.walk(parse(source))
        if isinstance(node, ast.FunctionDef)
    }
    for meta, source in code_cells(name):
        if not meta.get("grade") or meta.get("solution"):
            continue
        graded = set(re.findall(r"grading\.check_\w+\((\w+)", source))
        called = called_names(source) & defined
        assert called <= graded, f"{meta['grade_id']} also runs {sorted(called - graded)}"
