"""GELU, the activation outside the arc-cosine family: its maps come from the Gauss-Hermite tier.

References (none of them uses the code under test):

* the bivariate integral ``E[g(u) g(v)]`` by ``mpmath.quad`` in two dimensions (one point,
  slow), and the same integral with the inner expectation done in closed form,
  ``E[(m + s Y) Phi(m + s Y)] = m Phi(m / r) + s^2 phi(m / r) / r``, ``r = sqrt(1 + s^2)``
  (Stein's lemma), and the outer one by ``mpmath.quad``;
* Stein's lemma for the moments of ``u ~ N(0, d)``: ``E[g(u)] = d / sqrt(2 pi (1 + d))`` and
  ``E[g(u)^2] = d/4 + d asin(d / (1 + d)) / (2 pi) + d^2 / (pi (1 + d) sqrt(1 + 2 d))``;
* Monte Carlo draws of the finite map, compared within their standard errors.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

from dagnngp.cli import main
from dagnngp.numerics import nngp, pair_gram
from dagnngp.numerics.activations import gauss_hermite_order, get_activation
from dagnngp.theory import derive

# relative error of the quadrature tier, measured against the references below: <= 1.1e-15 for
# variances <= 8 (the bar leaves room for rounding on other platforms)
REL = 1e-13


def _g(x):
    return x * mpmath.ncdf(x)


def _cross_reference(a, b, cov):
    """E[g(u) g(v)] for (u, v) ~ N(0, [[a, cov], [cov, b]]), 30 digits (inner integral exact)."""
    with mpmath.workdps(30):
        a, b, cov = mpmath.mpf(a), mpmath.mpf(b), mpmath.mpf(cov)
        ra = mpmath.sqrt(a)
        slope = cov / ra  # v = slope z + s Y with u = ra z
        s2 = b - slope * slope
        r = mpmath.sqrt(1 + s2)

        def integrand(z):
            m = slope * z
            inner = m * mpmath.ncdf(m / r) + s2 * mpmath.npdf(m / r) / r
            return _g(ra * z) * inner * mpmath.npdf(z)

        return mpmath.quad(integrand, [-mpmath.inf, 0, mpmath.inf])


def _mean_closed(d):
    return d / mpmath.sqrt(2 * mpmath.pi * (1 + d))


def _second_closed(d):
    return (d / 4 + d * mpmath.asin(d / (1 + d)) / (2 * mpmath.pi)
            + d * d / (mpmath.pi * (1 + d) * mpmath.sqrt(1 + 2 * d)))


def _gram(a, b, corr):
    cov = corr * math.sqrt(a * b)
    return np.array([[a, cov], [cov, b]])


POINTS = [(1.0, 1.0, 0.5), (1.3, 0.7, 0.35), (4.0, 0.25, -0.9), (1.0, 1.0, 0.999), (1.0, 1.0, -0.999),
          (0.1, 0.1, 0.3), (2.0, 3.0, 0.0), (4.0, 4.0, 0.8)]


@pytest.mark.parametrize("a,b,corr", POINTS)
def test_dual_map_against_mpmath(a, b, corr):
    K = _gram(a, b, corr)
    out = get_activation("gelu", c_sigma=1.0).dual(K)
    with mpmath.workdps(30):
        ref = _cross_reference(a, b, K[0, 1])
        assert abs(mpmath.mpf(float(out[0, 1])) - ref) <= REL * abs(ref)
        for k, d in enumerate((a, b)):
            ref_d = _second_closed(mpmath.mpf(d))
            assert abs(mpmath.mpf(float(out[k, k])) - ref_d) <= REL * ref_d
    assert out[0, 1] == out[1, 0]


@pytest.mark.slow
def test_dual_map_against_the_two_dimensional_mpmath_integral():
    a, b, corr = 1.3, 0.7, 0.35
    out = get_activation("gelu", c_sigma=1.0).dual(_gram(a, b, corr))
    with mpmath.workdps(15):
        ra, rb = mpmath.sqrt(mpmath.mpf(a)), mpmath.sqrt(mpmath.mpf(b))
        c = mpmath.mpf(corr)
        s = mpmath.sqrt(1 - c * c)

        def integrand(x, y):
            return _g(ra * x) * _g(rb * (c * x + s * y)) * mpmath.npdf(x) * mpmath.npdf(y)

        ref = mpmath.quad(integrand, [-10, 0, 10], [-10, 0, 10])
    assert abs(float(out[0, 1]) - float(ref)) <= 1e-12 * float(ref)


def test_the_closed_form_references_agree_with_plain_quadrature():
    # guards the references: Stein's-lemma moments against mpmath.quad of the definition
    with mpmath.workdps(30):
        for d in ("0.3", "1", "2.5"):
            d = mpmath.mpf(d)
            sd = mpmath.sqrt(d)
            m = mpmath.quad(lambda z, sd=sd: _g(sd * z) * mpmath.npdf(z), [-mpmath.inf, 0, mpmath.inf])
            v = mpmath.quad(lambda z, sd=sd: _g(sd * z) ** 2 * mpmath.npdf(z), [-mpmath.inf, 0, mpmath.inf])
            assert abs(m - _mean_closed(d)) < 1e-25 and abs(v - _second_closed(d)) < 1e-25
        assert abs(_cross_reference(2, 2, 2) - _second_closed(mpmath.mpf(2))) < 1e-25  # C = 1


def test_mean_and_zero_variance():
    maps = get_activation("gelu", c_sigma=2.0)
    d = np.array([0.0, 0.25, 1.0, 3.0])
    got = maps.mean(d)
    assert got[0] == 0.0
    with mpmath.workdps(30):
        for k in range(1, 4):
            ref = mpmath.sqrt(2) * _mean_closed(mpmath.mpf(float(d[k])))
            assert abs(mpmath.mpf(float(got[k])) - ref) <= REL * ref
    out = maps.dual(np.array([[0.0, 0.0], [0.0, 1.0]]))
    assert out[0, 0] == 0.0 and out[0, 1] == 0.0 and out[1, 1] > 0  # gelu(0) = 0


def test_variance_preserving_c_sigma():
    from dagnngp.theory.activations import lookup

    c = lookup("gelu").c_sigma()
    with mpmath.workdps(30):
        assert abs(c * _second_closed(mpmath.mpf(1)) - 1) < 1e-15
    assert get_activation("gelu", c_sigma=c).dual(np.eye(1))[0, 0] == pytest.approx(1.0, rel=REL)


def test_order_grows_with_the_variance_and_keeps_the_accuracy_at_variance_ten():
    assert gauss_hermite_order(0.5) == 64 < gauss_hermite_order(4.0) < gauss_hermite_order(10.0) <= 320
    K = _gram(10.0, 10.0, 0.5)
    out = get_activation("gelu", c_sigma=1.0).dual(K)
    with mpmath.workdps(30):
        ref = _cross_reference(10, 10, K[0, 1])
        assert abs(mpmath.mpf(float(out[0, 1])) - ref) <= 1e-12 * ref  # measured 2e-16
        ref_d = _second_closed(mpmath.mpf(10))
        assert abs(mpmath.mpf(float(out[0, 0])) - ref_d) <= 1e-12 * ref_d


def test_variance_beyond_the_calibration_warns():
    with pytest.warns(RuntimeWarning, match="calibrated"):
        get_activation("gelu", c_sigma=1.0).dual(np.diag([1.0, 40.0]))
    with pytest.raises(ValueError, match="order must be an int"):
        from dagnngp.numerics.activations import quadrature_maps
        from dagnngp.theory.activations import lookup

        quadrature_maps(lookup("gelu"), 2.0, order=1000)


def test_nngp_chain_is_the_composed_reference():
    # motif 2_02: two linear edges in a chain, paper model (no means): K2 = f(f(K0))
    c = 2.0
    K0, mu0 = pair_gram(0.3)
    out = nngp("2_02", K0, mu0, model="paper", activation="gelu", c_sigma=c).output
    with mpmath.workdps(30):
        d1 = c * _second_closed(mpmath.mpf(1))
        k1 = c * _cross_reference(1, 1, "0.3")
        ref_d = c * _second_closed(d1)
        ref_off = c * _cross_reference(d1, d1, k1)
        assert abs(mpmath.mpf(float(out[0, 0])) - ref_d) <= REL * ref_d
        assert abs(mpmath.mpf(float(out[0, 1])) - ref_off) <= REL * ref_off


def test_exact_model_means_against_monte_carlo_of_the_finite_map():
    # a width-m layer on two inputs: its Gram and normalised means are averages of m iid terms
    # of the finite map, compared with the tier within 4.5 standard errors (five comparisons,
    # false-alarm rate below 4e-5 in all)
    rng = np.random.default_rng(20261130)
    c, m = 2.0, 400_000
    K = _gram(1.5, 0.8, 0.6)
    maps = get_activation("gelu", c_sigma=c)
    u = rng.standard_normal((m, 2)) @ np.linalg.cholesky(K).T
    z = maps.finite(u)
    samples = {(0, 0): c * z[:, 0] ** 2, (1, 1): c * z[:, 1] ** 2, (0, 1): c * z[:, 0] * z[:, 1]}
    dual = maps.dual(K)
    for (i, j), x in samples.items():
        se = x.std(ddof=1) / math.sqrt(m)
        assert abs(x.mean() - dual[i, j]) <= 4.5 * se, (i, j)
    mean = maps.mean(np.diagonal(K).copy())
    for i in range(2):
        x = math.sqrt(c) * z[:, i]
        assert abs(x.mean() - mean[i]) <= 4.5 * x.std(ddof=1) / math.sqrt(m)


def test_exact_model_runs_and_differs_from_the_paper_model_by_the_means():
    K0, mu0 = pair_gram(0.2)
    exact = nngp("1_01_222", K0, mu0, model="exact", activation="gelu", c_sigma=2.0)
    paper = nngp("1_01_222", K0, mu0, model="paper", activation="gelu", c_sigma=2.0)
    assert np.all(np.isfinite(exact.output)) and exact.output_mean[0] > 0
    assert exact.output[0, 0] > paper.output[0, 0]


def test_derive_and_the_cli_say_a_closed_form_is_needed(capsys):
    with pytest.raises(ValueError, match="no closed-form dual map"):
        derive("2_21_112", activation="gelu")
    assert main(["derive", "2_21_112", "--activation", "gelu"]) == 2
    err = capsys.readouterr().err.strip()
    assert "no closed-form dual map" in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_non_numpy_arrays_get_a_clear_message():
    xps = pytest.importorskip("array_api_strict")
    maps = get_activation("gelu")
    with pytest.raises(ValueError, match="needs NumPy arrays"):
        maps.dual(xps.asarray(np.eye(2)))
    with pytest.raises(ValueError, match="erfc"):
        maps.finite(xps.asarray([0.5]))
