"""The symbolic NTK (``derive(..., ntk=True)``) against the numeric one, and its forms near C -> 1."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy

from dagnngp.numerics import ntk, pair_gram
from dagnngp.theory import derive
from dagnngp.theory.derivation import EPS, GENERAL_SYMBOLS, C

DAGS = ["2_02_002", "1_01_222", "2_21_112"]
C_VALUES = [-0.95, -0.6, -0.3, 0.0, 0.2, 0.45, 0.7, 0.9, 0.99]   # nine correlations
CASES = [(m, model, edge, readout) for m in DAGS for model in ("exact", "paper")
         for edge in ("post", "pre") for readout in (True, False)]


def _value(expr, symbol, value) -> float:
    with mpmath.workdps(40):
        return float(expr.subs(symbol, value).evalf(40))


@pytest.mark.parametrize(("motif", "model", "edge", "readout"), CASES)
def test_symbolic_ntk_of_dag1_to_3_equals_the_numeric_one(motif, model, edge, readout):
    d = derive(motif, model=model, edge=edge, ntk=True, readout=readout, sigma_b=0.25, general=False)
    for c in C_VALUES:
        K0, mu0 = pair_gram(c)
        num = ntk(motif, K0, None if edge == "pre" else mu0, model=model, edge=edge, readout=readout,
                  sigma_b=0.25, backend="numpy").ntk
        assert _value(d.offdiagonal, C, c) == pytest.approx(num[0, 1], rel=1e-12, abs=1e-14)
        assert _value(d.diagonal, C, c) == pytest.approx(num[0, 0], rel=1e-12)
        gap = num[0, 0] - num[0, 1]
        assert _value(d.gap_distance, EPS, 1 - c) == pytest.approx(gap, rel=1e-11, abs=1e-13)


@pytest.mark.parametrize("motif", DAGS)
def test_general_input_ntk_equals_the_numeric_one(motif):
    d = derive(motif, ntk=True, sigma_b=0.5)
    X = np.array([[0.9, -0.3, 0.4], [0.2, 0.8, 0.5]])
    from dagnngp.numerics import inputs_to_gram

    K0, mu0 = inputs_to_gram(X)
    num = ntk(motif, K0, mu0, sigma_b=0.5, backend="numpy").ntk
    subs = dict(zip(GENERAL_SYMBOLS, (K0[0, 0], K0[1, 1], K0[0, 1], mu0[0], mu0[1]), strict=True))
    for key, (i, j) in (("K_ii", (0, 0)), ("K_jj", (1, 1)), ("K_ij", (0, 1))):
        assert float(d.general[key].subs(subs).evalf(30)) == pytest.approx(num[i, j], rel=1e-12)


@pytest.mark.parametrize("backend", ["numpy", "mpmath"])
def test_generated_ntk_gap_keeps_its_digits_near_c_equal_1(backend):
    # the float function compiled from the eps form, against the expression at 40 digits
    from dagnngp.numerics import lambdify

    d = derive("2_21_112", ntk=True, general=False)
    f = lambdify(d, "gap", backend)
    for e in (1e-15, 1e-13, 1e-10, 1e-6, 1e-3, 0.3):
        c = 1.0 - e  # the float C; its distance from 1 is exact
        ref = d.gap_distance.subs(EPS, 1 - sympy.Rational(c)).evalf(40)
        got = float(np.asarray(f(np.array([c]) if backend == "numpy" else c)).ravel()[0])
        assert abs(got / float(ref) - 1) <= 1e-12, (e, got, ref)


def test_ntk_derivation_reads_as_an_ntk():
    d = derive("2_11_011", ntk=True, readout=False)
    assert d.kernel == "ntk" and d.nngp_nodes is not None
    assert "cross-NTKs" in d.output.rule
    assert d.diagonal == 4   # X_3 = X_1 + (X_0 + X_1): (1 + 1)^2 Theta_1, Theta_1 = 1 on the diagonal
    with pytest.raises(ValueError, match="no derivative dual map"):
        derive("2", activation="step", ntk=True)


@pytest.mark.parametrize("edge", ["post", "pre"])
@pytest.mark.parametrize("namespace", ["numpy", "array_api_strict"])
def test_numpy_and_array_api_ntk_keep_their_digits_near_c_equal_1(edge, namespace):
    # the derivative map has a square-root singularity at C = 1: the executors read 1 - C from
    # the gaps they carry, so the NTK meets the NNGP's bar (1e-12 against 40 digits) down to 1e-15
    xp = np if namespace == "numpy" else pytest.importorskip("array_api_strict")
    for motif in ("2_21_112", "2_11_011"):
        d = derive(motif, ntk=True, edge=edge, general=False, sigma_b=0)
        for e in (1e-15, 1e-13, 1e-10, 1e-6, 1e-2, 0.5, 1.5):
            K0, mu0 = pair_gram(1 - e)
            K0x = xp.asarray(K0)
            mu = None if edge == "pre" else xp.asarray(mu0)
            num = np.asarray(ntk(motif, K0x, mu, edge=edge, backend=None if xp is not np else "numpy").ntk)
            c = sympy.Rational(float(K0[0, 1]))
            assert num[0, 1] == pytest.approx(float(d.offdiagonal.subs(C, c).evalf(40)), rel=1e-12)
            if e < 1:
                gap = float(d.gap_distance.subs(EPS, 1 - c).evalf(40))
                assert num[0, 0] - num[0, 1] == pytest.approx(gap, rel=1e-12)
