"""Accuracy of the generated float64 code against the 50-digit mpmath code.

The mpmath function is generated from the same expression but evaluates every
constant exactly and every map at 50 digits (plus guard digits), so it is the
reference for the float64 NumPy and Numba functions: the 2x2 gap keeps a
relative error <= 1e-12 from 1 - C = 1e-15 up to C = -1.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from references import h_mp

from dagnngp.numerics import lambdify
from dagnngp.theory import derive

C_GRID = np.array([1.0 - 10.0**-k for k in range(15, 0, -1)] + [0.5, 0.0, -0.5, -0.9, -1.0])
CASES = [
    ("2_02_002", "paper", "relu", {}),
    ("1_01_222", "paper", "relu", {}),
    ("2_21_112", "paper", "relu", {}),
    ("2_21_112", "exact", "relu", {}),
    ("2_12_122_1022_21202", "exact", "relu", {}),
    ("2_22_222_2222_22222", "exact", "relu", {}),
    ("2_21_112", "exact", "arccos2", {}),
    ("2_21_112", "exact", "leaky", {"slope": 0.1}),
    ("2_21_112", "paper", "step", {}),
]


def _reference(d) -> np.ndarray:
    f = lambdify(d, "gap", "mpmath")
    return np.array([f(float(c), dps=50) for c in C_GRID], dtype=object)


@pytest.mark.parametrize("motif,model,act,params", CASES)
def test_numpy_gap_relative_accuracy(motif, model, act, params):
    d = derive(motif, model=model, activation=act, activation_params=params, general=False)
    ref = _reference(d)
    got = lambdify(d, "gap", "numpy")(C_GRID)
    with mpmath.workdps(50):
        rel = [abs((mpmath.mpf(float(g)) - r) / r) for g, r in zip(got, ref, strict=True)]
    assert all(r > 0 for r in ref)
    assert max(rel) <= 1e-12, max(rel)


@pytest.mark.parametrize("motif,model,act,params", [CASES[2], CASES[3], CASES[4], CASES[7]])
def test_numba_gap_relative_accuracy(motif, model, act, params):
    d = derive(motif, model=model, activation=act, activation_params=params, general=False)
    ref = _reference(d)
    got = lambdify(d, "gap", "numba")(C_GRID)
    assert got.shape == C_GRID.shape
    with mpmath.workdps(50):
        rel = [abs((mpmath.mpf(float(g)) - r) / r) for g, r in zip(got, ref, strict=True)]
    assert max(rel) <= 1e-12, max(rel)
    # scalar input gives a float; 2-D input keeps its shape
    assert isinstance(lambdify(d, "gap", "numba")(0.25), float)
    assert lambdify(d, "gap", "numba")(C_GRID.reshape(4, 5)).shape == (4, 5)


def test_naive_formula_would_fail_the_same_test():
    """The bar is meaningful: diagonal - offdiagonal in float64 loses the gap near C = 1."""
    d = derive("2_21_112", model="exact", general=False)
    ref = _reference(d)
    diag, off = lambdify(d, ("diagonal", "offdiagonal"))(C_GRID)
    with mpmath.workdps(50):
        rel = [abs((mpmath.mpf(float(a - b)) - r) / r) for a, b, r in zip(diag, off, ref, strict=True)]
    assert max(rel) > 1e-3


def test_array_api_strict_namespace_round_trip():
    xp = pytest.importorskip("array_api_strict")
    d = derive("2_21_112", model="exact", general=False)
    f = lambdify(d, ("offdiagonal", "gap", "rule12"), "array_api")
    C = xp.asarray(C_GRID)
    out = f(C)
    ref = lambdify(d, ("offdiagonal", "gap", "rule12"), "numpy")(C_GRID)
    for o, r in zip(out, ref, strict=True):
        assert type(o).__module__.startswith("array_api_strict")
        np.testing.assert_allclose(np.asarray(o), r, rtol=1e-15, atol=0)


def test_mpmath_backend_follows_precision():
    d = derive("2_02_002", model="paper", general=False)
    f = lambdify(d, "gap", "mpmath")
    lo, hi = f(0.5, dps=20), f(0.5, dps=60)
    assert abs(lo - hi) < mpmath.mpf(10) ** -18
    with mpmath.workdps(60):
        # 1 - h(h(h(1/2))) from the explicit acos form, independently
        def hh(c):
            return h_mp(c)
        assert abs(hi - (1 - hh(hh(hh(mpmath.mpf(0.5)))))) < mpmath.mpf(10) ** -55
    assert isinstance(f([0.1, 0.2]), list)


def test_generated_source_is_plain_text_with_stable_helpers():
    d = derive("2_21_112", model="paper", general=False)
    src = lambdify(d, "gap").source
    assert "G(xp, " in src and "acos" not in src and "asin" not in src
