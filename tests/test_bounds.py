"""Least-eigenvalue bounds: 2x2 formula, pair minimum, rule (12)."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from references import h_mp

from dagnngp.numerics import (
    least_eigenvalue,
    least_eigenvalue_2x2,
    min_pair_gap,
    nngp,
    pair_gap,
    pair_gram,
    relu_correlation,
    rule12,
    rule12_gram,
)
from dagnngp.proofs_check.strategies import psd_grams

finite = st.floats(-1e3, 1e3, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(st.floats(0, 1e3), st.floats(0, 1e3), finite)
def test_2x2_formula_matches_eigvalsh(a, c, b):
    ref = np.linalg.eigvalsh(np.array([[a, b], [b, c]]))[0]
    assert float(least_eigenvalue_2x2(a, c, b)) == pytest.approx(ref, rel=1e-12, abs=1e-12 * (a + c + abs(b)))


def test_2x2_with_negative_off_diagonal():
    # the paper's "P - f" assumes f >= 0; the correct value is a - |b|
    assert float(least_eigenvalue_2x2(4.0, 4.0, -0.5)) == 3.5
    assert pair_gap(np.array([[4.0, -0.5], [-0.5, 4.0]]), 0, 1) == 3.5


@settings(max_examples=100, deadline=None)
@given(psd_grams((2, 7)))
def test_min_pair_gap_is_the_brute_force_minimum_and_bounds_lambda_min(K):
    n = K.shape[0]
    brute = min((np.linalg.eigvalsh(K[np.ix_([i, j], [i, j])])[0], i, j)
                for i in range(n) for j in range(i + 1, n))
    value, i, j = min_pair_gap(K)
    scale = max(1.0, float(np.abs(K).max()))
    assert value == pytest.approx(brute[0], abs=1e-10 * scale)
    assert pair_gap(K, i, j) == value
    assert least_eigenvalue(K) <= value + 1e-10 * scale  # Lemma 3.3


def test_rule12_formulas_of_the_example_dags():
    C = np.linspace(-1, 0.99, 57)
    h = relu_correlation
    np.testing.assert_allclose(rule12("2_02_002", C), 1 - h(h(h(C))), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(rule12("1_01_222", C), 3 * (1 - h(C)), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(rule12("2_21_112", C), 4 - C - h(C) - 2 * h(h(C)), rtol=1e-13, atol=1e-14)
    assert float(rule12("0_00", 0.3)) == 0.0  # no path, nothing to sum
    assert float(rule12("1_01_111", 0.25)) == pytest.approx(3 * 0.75)  # all-skip, 3 paths: P (1 - C)


def test_rule12_keeps_relative_accuracy_near_one():
    h = h_mp
    with mpmath.workdps(50):
        for eps in (1e-15, 1e-12, 1e-8, 1e-3):
            C = 1 - eps
            Cm = mpmath.mpf(C)
            ref = 4 - Cm - h(Cm) - 2 * h(h(Cm))
            assert abs(float(rule12("2_21_112", C)) - ref) / ref < 1e-12, eps


def test_rule12_equals_paper_gap_for_the_example_dags():
    for motif in ("2_02_002", "1_01_222", "2_21_112"):
        for C in (-0.5, 0.0, 0.5, 0.9):
            K0, _ = pair_gram(C)
            out = nngp(motif, K0, model="paper").output
            assert float(rule12(motif, C)) == pytest.approx(pair_gap(out, 0, 1), rel=1e-12)


def test_rule12_gram_minimises_over_pairs():
    K0 = np.array([[1.0, 0.9, 0.1], [0.9, 1.0, -0.2], [0.1, -0.2, 1.0]])
    value, i, j = rule12_gram("2_21_112", K0)
    assert (i, j) == (0, 1) and value == pytest.approx(float(rule12("2_21_112", 0.9)))


def test_bad_input():
    with pytest.raises(ValueError, match="N >= 2"):
        min_pair_gap(np.eye(1))
    with pytest.raises(ValueError, match="distinct"):
        pair_gap(np.eye(3), 1, 1)
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        rule12("2_21_112", 1.5)
    with pytest.raises(ValueError, match="non-zero inputs"):
        rule12_gram("2_21_112", np.diag([1.0, 0.0]))
    with pytest.raises(ValueError, match="not positive semi-definite"):
        least_eigenvalue([[1.0, 3.0], [3.0, 1.0]])
