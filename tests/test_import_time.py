"""Importing the package stays fast: Numba, SymPy, CuPy and Matplotlib load on first use."""

from __future__ import annotations

import subprocess
import sys

import pytest

LIMIT_S = 0.5
HEAVY = ("numba", "sympy", "cupy", "matplotlib", "array_api_strict")


def _import_seconds(module: str) -> tuple[float, list[str]]:
    code = (
        "import sys, time\n"
        "t = time.perf_counter()\n"
        f"import {module}\n"
        "dt = time.perf_counter() - t\n"
        f"print(dt, ','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    seconds, loaded = out.stdout.split(" ")
    return float(seconds), [m for m in loaded.strip().split(",") if m]


@pytest.mark.parametrize("module", ["dagnngp", "dagnngp.numerics"])
def test_import_is_fast_and_loads_no_heavy_dependency(module):
    # best of three, each in a fresh interpreter: a loaded CI machine can slow a single run
    runs = [_import_seconds(module) for _ in range(3)]
    assert min(t for t, _ in runs) < LIMIT_S, f"import {module} took {min(t for t, _ in runs):.3f} s"
    assert runs[0][1] == [], f"import {module} loaded {runs[0][1]}"
