"""`make bench` can start: every benchmark script loads (its imports resolve, from where
run_all.py runs it), without running its measurements."""

import runpy
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.mark.parametrize("script", sorted(p.name for p in BENCHMARKS.glob("bench_*.py")))
def test_every_benchmark_loads(script, monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))  # as `python benchmarks/x.py` has it
    names = runpy.run_path(str(BENCHMARKS / script), run_name="loaded_by_a_test")
    assert callable(names.get("main")), f"{script} has no main()"
    for module in [m for m in sys.modules if m.startswith("bench_")]:
        monkeypatch.delitem(sys.modules, module)
