"""The package's parts: the models need numpy alone, torch stays out of ``import rnnlab``,
and every package a part imports is declared for that part in ``pyproject.toml``."""

import ast
import importlib.metadata
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "rnnlab"
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]

# Each part of rnnlab, its files, and the extras it may use beyond `dependencies`.
PARTS = {
    "models": ([*PACKAGE.glob("*.py"), *PACKAGE.glob("data/*.py")], ["torch"]),
    "exercise checks": (list(PACKAGE.glob("course/grading/*.py")), []),
    "the student's rnnlab check": ([PACKAGE / "course/selfcheck.py"], ["student"]),
    "the command line": ([PACKAGE / "course/cli.py"], ["student"]),
    "the class grader": (list(PACKAGE.glob("course/classroom/*.py")), ["course"]),
    "the student edition (make release)": (list(PACKAGE.glob("course/release/*.py")), ["course"]),
    "the book's code": (list(PACKAGE.glob("book/*.py")), ["book"]),
}

# Only numpy and the standard library may load; anything else raises ImportError.
NUMPY_ONLY = """
import importlib.abc, sys
class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        top = name.partition(".")[0]
        if top in sys.stdlib_module_names or top in ("numpy", "rnnlab"):
            return None
        raise ImportError(f"{name} is not numpy")
sys.meta_path.insert(0, Refuse())
"""


def run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO
    )


def loaded_after(statement: str) -> set[str]:
    """The names in sys.modules after ``statement`` in a fresh interpreter."""
    result = run(f"{statement}\nimport sys\nprint('\\n'.join(sys.modules))")
    assert result.returncode == 0, result.stderr
    return set(result.stdout.split())


def test_the_models_and_the_exercise_checks_run_with_numpy_alone():
    result = run(
        NUMPY_ONLY + "import numpy as np\n"
        "from rnnlab import activations, attention, data, gru, init, lstm, rnn, variants\n"
        "from rnnlab import torch_bridge\n"
        "from rnnlab.course import grading\n"
        "hs, (h, c) = lstm.forward(np.ones((3, 2, 4)), init.lstm(D=4, H=5, seed=0))\n"
        "print(hs.shape)\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "(3, 2, 5)"


def test_the_refusing_import_hook_does_refuse():
    # the control of the test above: a package other than numpy is refused
    result = run(NUMPY_ONLY + "import nbformat\n")
    assert result.returncode != 0 and "nbformat is not numpy" in result.stderr


@pytest.mark.parametrize("module", ["rnnlab", "rnnlab.data", "rnnlab.torch_bridge", "rnnlab.book"])
def test_importing_leaves_torch_out(module):
    loaded = loaded_after(f"import {module}")
    assert module in loaded  # the import did happen
    assert not {name for name in loaded if name == "torch" or name.startswith("torch.")}


def test_the_package_exposes_its_families_without_torch():
    loaded = loaded_after(
        "import rnnlab\n"
        "assert all(hasattr(rnnlab, m) for m in "
        "('rnn', 'lstm', 'gru', 'variants', 'attention', 'init', 'data', 'activations'))"
    )
    assert "torch" not in loaded


def imported_packages(files: list[Path]) -> set[str]:
    """The top-level names the files import (at the top or inside a function), other than
    the standard library and rnnlab."""
    names = set()
    for file in files:
        for node in ast.walk(ast.parse(file.read_text())):
            if isinstance(node, ast.Import):
                names |= {alias.name.partition(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.partition(".")[0])
    return names - set(sys.stdlib_module_names) - {"rnnlab"}


def declared(extras: list[str]) -> set[str]:
    """The distributions that `dependencies` and the extras name, following ``rnnlab[...]``."""
    requirements, seen, todo = list(PROJECT["dependencies"]), set(), list(extras)
    while todo:
        extra = todo.pop()
        if extra in seen:
            continue
        seen.add(extra)
        for requirement in PROJECT["optional-dependencies"][extra]:
            if match := re.fullmatch(r"rnnlab\[(.+)\]", requirement):
                todo += match[1].split(",")
            else:
                requirements.append(requirement)
    return {normal(re.split(r"[<>=~!\[ ;]", r)[0]) for r in requirements}


def normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@pytest.mark.parametrize("part", PARTS)
def test_every_package_a_part_imports_is_declared_for_it(part):
    files, extras = PARTS[part]
    assert files, part
    distributions = importlib.metadata.packages_distributions()
    needed = {
        normal(distributions[name][0]) if name in distributions else name
        for name in imported_packages(files)
    }
    assert needed <= declared(extras), f"{part} imports {sorted(needed - declared(extras))}"


def test_the_models_need_numpy_alone():
    assert [normal(re.split(r"[<>=]", r)[0]) for r in PROJECT["dependencies"]] == ["numpy"]
    files, _ = PARTS["models"]
    torch_bridge = PACKAGE / "torch_bridge.py"
    assert imported_packages([f for f in files if f != torch_bridge]) == {"numpy"}


def test_one_module_name_says_check():
    # the input validation, the student's self-check and the exercise checks were all
    # "check"; only the self-check's module keeps the word
    modules = [p.relative_to(PACKAGE) for p in PACKAGE.rglob("*.py")]
    assert [str(m) for m in modules if "check" in m.stem] == ["course/selfcheck.py"]


def test_every_function_of_the_models_is_at_most_25_lines():
    files, _ = PARTS["models"]
    long = [
        f"{file.name}:{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for file in files
        for node in ast.walk(ast.parse(file.read_text()))
        if isinstance(node, ast.FunctionDef) and node.end_lineno - node.lineno + 1 > 25
    ]
    assert long == []
