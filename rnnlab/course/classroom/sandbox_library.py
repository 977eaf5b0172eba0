"""The ``rnnlab`` a graded notebook's kernel can import: no reference model inside.

A notebook imports ``rnnlab.init``, ``rnnlab.activations`` and ``rnnlab.course.grading``.
In the sandbox those come from a package built here, and nothing else of ``rnnlab`` is
there: not the models (``rnnlab.lstm`` ...), not the checks. Calling or loading a
reference model is then impossible in the sandbox, not merely detected.

* ``rnnlab.activations``, ``rnnlab.init`` and ``rnnlab.variant_spec`` are copied as they
  are (no model in them);
* ``rnnlab.course.grading`` is a stand-in whose ``check_*`` functions do nothing: the grader
  runs the real checks itself, outside (``rnnlab.course.classroom.verdicts``);
* ``rnnlab.course.classroom.wire`` and ``callee`` answer the grader's calls.
"""

import shutil
from pathlib import Path

import rnnlab
from rnnlab.course import grading

COPIED = (
    "activations.py",
    "init.py",
    "variant_spec.py",
    "course/classroom/wire.py",
    "course/classroom/callee.py",
)
PACKAGE = '''"""rnnlab, as a graded notebook's sandbox has it: activations and init only.

The reference models are not here while a notebook is graded: write them yourself.
"""

from rnnlab import activations, init

__all__ = ["activations", "init"]
'''
STAND_IN = '''"""rnnlab.course.grading while a notebook is graded: the grader runs each
check itself, outside this notebook, on your functions; here a check does nothing."""


def _checked_by_the_grader(*args, **kwargs) -> None:
    return None


'''


def _stand_in() -> str:
    names = "".join(f"{name} = _checked_by_the_grader\n" for name in grading.__all__)
    return STAND_IN + names + f"__all__ = {list(grading.__all__)!r}\n"


def build(folder: Path) -> Path:
    """Write the sandbox's ``rnnlab`` package into ``folder`` (replacing it); return it."""
    source = Path(rnnlab.__file__).parent
    package = folder / "rnnlab"
    shutil.rmtree(package, ignore_errors=True)
    course = package / "course"
    (course / "grading").mkdir(parents=True)
    (course / "classroom").mkdir()
    for name in COPIED:
        shutil.copyfile(source / name, package / name)
    (package / "__init__.py").write_text(PACKAGE)
    (course / "__init__.py").write_text('"""The exercises\' side, as the sandbox has it."""\n')
    (course / "classroom" / "__init__.py").write_text('"""The sandbox\'s side of grading."""\n')
    (course / "grading" / "__init__.py").write_text(_stand_in())
    return package
