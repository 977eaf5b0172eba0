"""``import rnnlab`` (and its submodules that do not need torch) never imports torch."""

import subprocess
import sys
from pathlib import Path

import pytest

WORKED = Path(__file__).resolve().parents[1] / "rnnlab" / "worked" / "__init__.py"
MODULES = ["rnnlab", "rnnlab.data", "rnnlab.torch_bridge"]
if WORKED.exists():
    MODULES.append("rnnlab.worked")


def modules_loaded_after(statement: str) -> set[str]:
    """The names in sys.modules after running ``statement`` in a fresh interpreter."""
    code = f"{statement}\nimport sys\nprint('\\n'.join(sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return set(result.stdout.split())


@pytest.mark.parametrize("module", MODULES)
def test_importing_leaves_torch_out(module):
    loaded = modules_loaded_after(f"import {module}")
    assert module in loaded  # the import did happen
    assert not {name for name in loaded if name == "torch" or name.startswith("torch.")}


def test_the_package_exposes_its_families_without_torch():
    loaded = modules_loaded_after(
        "import rnnlab\n"
        "assert all(hasattr(rnnlab, m) for m in "
        "('rnn', 'lstm', 'gru', 'variants', 'attention', 'init', 'data', 'activations'))"
    )
    assert "torch" not in loaded
