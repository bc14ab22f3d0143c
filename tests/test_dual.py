"""The ReLU dual map primitives against mpmath and the spec's exact values."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from references import SEVEN_DECIMALS, SPEC_H_ITERATES_AT_0, SPEC_H_SPOT_VALUES, h_mp

from dagnngp.numerics import (
    lambdify,
    relu_correlation,
    relu_dual,
    relu_gap,
    relu_gap_from_distance,
    relu_mean,
)
from dagnngp.numerics.dual import sin_minus_t_cos
from dagnngp.proofs_check.strategies import psd_grams

mp = mpmath.mp
pytestmark = pytest.mark.usefixtures("mp50")  # mpmath references at 50 digits, restored afterwards


def rel_err(x, ref):
    return abs(mp.mpf(float(x)) - ref) / abs(ref)


def test_spec_spot_values():
    # spec §2.1: h, h∘h, h∘h∘h at four correlations (7 decimals)
    for C, expected in SPEC_H_SPOT_VALUES.items():
        values = [relu_correlation(C)]
        values.append(relu_correlation(values[-1]))
        values.append(relu_correlation(values[-1]))
        np.testing.assert_allclose(values, expected, rtol=0, atol=SEVEN_DECIMALS)
    iterates, c = [], 0.0
    for _ in range(5):
        c = relu_correlation(c)
        iterates.append(float(c))
    np.testing.assert_allclose(iterates, SPEC_H_ITERATES_AT_0, rtol=0, atol=SEVEN_DECIMALS)
    assert float(relu_correlation(0.0)) == pytest.approx(1 / np.pi, rel=1e-15)
    assert float(relu_correlation(1.0)) == 1.0 and float(relu_correlation(-1.0)) == 0.0


def test_correlation_against_mpmath_on_a_grid_with_edges():
    near = np.array([1e-16, 1e-14, 1e-12, 1e-9, 1e-6, 1e-3, 0.1])
    grid = np.concatenate([[-1.0, 1.0, 0.0], -1 + near, 1 - near, np.linspace(-0.99, 0.99, 41)])
    for C in grid:
        ref = h_mp(C)
        if ref == 0:
            assert float(relu_correlation(C)) == 0.0
            continue
        # full relative accuracy even as C -> -1, where h ~ (1 + C)^(3/2) -> 0
        assert rel_err(relu_correlation(C), ref) < 4e-15, C


def test_gap_against_mpmath_from_1e_16_to_2():
    # the foundation issue's bar: 1 - h(1 - eps) to 1e-13 relative, eps in [1e-16, 2]
    eps_grid = np.concatenate([np.logspace(-16, np.log10(2.0), 200), [2.0, 1.0, 1e-16]])
    worst = 0.0
    for eps in eps_grid:
        C = 1.0 - eps  # the double the user passes; 1 - C is exact in binary
        ref = 1 - h_mp(C)
        worst = max(worst, float(rel_err(relu_gap(C), ref)))
        assert float(rel_err(relu_gap_from_distance(1 - C), ref)) < 1e-13
    assert worst < 1e-13


def test_naive_formula_would_fail_the_gap_bar():
    # guards the test above: the textbook arccos form loses ~7 digits at 1 - C = 1e-12
    C = 1 - 1e-12
    naive = 1 - (np.sqrt(1 - C * C) + (np.pi - np.arccos(C)) * C) / np.pi
    assert float(rel_err(naive, 1 - h_mp(C))) > 1e-9


def test_sin_minus_t_cos_series_and_direct_branches():
    for t in [1e-8, 1e-3, 0.3, 0.49999, 0.5, 0.50001, 1.0, 2.0, np.pi]:
        ref = mp.sin(t) - t * mp.cos(t)
        assert rel_err(sin_minus_t_cos(t), ref) < 4e-15, t


def test_no_nan_when_rounding_pushes_correlation_past_one():
    C = np.array([1 + 1e-15, -1 - 1e-15, np.nextafter(1, 2), np.nextafter(-1, -2)])
    assert np.all(np.isfinite(relu_correlation(C))) and np.all(np.isfinite(relu_gap(C)))
    assert relu_correlation(C).tolist() == [1.0, 0.0, 1.0, 0.0]
    K = np.array([[1.0, 1.0 + 4e-16, 0.0], [1.0 + 4e-16, 1.0, 0.0], [0.0, 0.0, 0.0]])
    out = relu_dual(K)
    assert np.all(np.isfinite(out))
    assert out[2].tolist() == [0.0, 0.0, 0.0]  # zero row (unreachable input) stays zero


def test_dual_closed_form_and_c_sigma():
    K = np.array([[4.0, 1.0], [1.0, 9.0]])
    out = relu_dual(K, c_sigma=3.0)
    C = 1.0 / 6.0
    expected = 1.5 * 6.0 * float(h_mp(C))
    assert out[0, 1] == pytest.approx(expected, rel=1e-15)
    assert out[0, 0] == 6.0 and out[1, 1] == 13.5  # c/2 K_ii


def test_mean_against_gaussian_integral():
    # sqrt(2) E[relu(u)], u ~ N(0, 1), is 1/sqrt(pi) (spec CC-7), not the paper's sqrt(2)/2
    integral = mp.quad(lambda u: mp.sqrt(2) * u * mp.npdf(u), [0, mp.inf])
    assert float(relu_mean(np.array([1.0]))[0]) == pytest.approx(float(integral), rel=1e-14)
    assert float(relu_mean(np.array([4.0]), c_sigma=2.0)[0]) == pytest.approx(2 / np.sqrt(np.pi))


def test_dual_against_gaussian_integral():
    # c E[relu(u) relu(v)] with (u, v) ~ N(0, [[a, b], [b, c]]): condition on u = sqrt(a) x,
    # then v | x ~ N(b x / sqrt(a), c - b^2 / a) and E[relu(mu + s Z)] = mu Phi(mu/s) + s phi(mu/s)
    for a, c, b in [(2.0, 0.5, -0.4), (1.0, 1.0, 0.3), (3.0, 2.0, 2.4)]:
        s = mp.sqrt(c - mp.mpf(b) ** 2 / a)

        def integrand(x, a=a, b=b, s=s):
            mu = mp.mpf(b) * x / mp.sqrt(a)
            return mp.sqrt(a) * x * (mu * mp.ncdf(mu / s) + s * mp.npdf(mu / s)) * mp.npdf(x)

        ref = 2 * mp.quad(integrand, [0, mp.inf])
        out = relu_dual(np.array([[a, b], [b, c]]))
        assert out[0, 1] == pytest.approx(float(ref), rel=1e-14)


@settings(max_examples=60, deadline=None)
@given(psd_grams((1, 6)), st.floats(1e-3, 1e3))
def test_dual_positive_homogeneity_and_psd(K, alpha):
    out = relu_dual(K)
    np.testing.assert_allclose(relu_dual(alpha * K), alpha * out, rtol=1e-13,
                               atol=1e-13 * alpha * max(1.0, float(np.abs(K).max())))
    assert np.all(np.isfinite(out))
    np.testing.assert_array_equal(out, out.T)
    scale = max(1.0, float(np.abs(K).max()))
    assert np.linalg.eigvalsh(out)[0] >= -1e-12 * scale


# ------------------------------------------------------------------ the six primitives, one algorithm each
def _explicit_mp(order, C):
    """h_n(C) from the explicit arc-cosine form J_n(theta) / J_n(0), at 60 digits."""
    with mpmath.workdps(60):
        C = mpmath.mpf(C)
        theta = mpmath.acos(C)
        s = mpmath.sqrt(1 - C * C)
        phi = mpmath.pi - theta
        J = [phi, s + phi * C, 3 * s * C + phi * (1 + 2 * C * C)]
        return J[order] / [mpmath.pi, mpmath.pi, 3 * mpmath.pi][order]


EDGE = np.logspace(-16, -0.3, 60)
C_ALL = np.concatenate([np.linspace(-1, 1, 401), -1 + EDGE, 1 - EDGE])
EPS_ALL = np.concatenate([np.logspace(-16, np.log10(2.0), 200), np.linspace(0, 2, 101)[1:]])


@pytest.mark.parametrize("order,name", [(0, "h0"), (1, "h"), (2, "h2")])
def test_every_dual_map_against_mpmath(order, name):
    from dagnngp.numerics import dual

    got = dual.PRIMITIVES[name](np, C_ALL)
    with mpmath.workdps(60):
        worst = 0.0
        for g, c in zip(got, C_ALL, strict=True):
            ref = _explicit_mp(order, float(c))
            if c == -1.0:
                assert g == 0.0
                continue
            worst = max(worst, float(abs(mpmath.mpf(float(g)) - ref) / ref))
    # measured: 2.7e-16 (h0), 7.4e-16 (h), 1.2e-15 (h2, which inherits 5x the angle's error as C -> -1)
    assert worst < 3e-15, worst


@pytest.mark.parametrize("order,name", [(0, "G0"), (1, "G"), (2, "G2")])
def test_every_distance_map_against_mpmath(order, name):
    from dagnngp.numerics import dual

    got = dual.PRIMITIVES[name](np, EPS_ALL)
    with mpmath.workdps(60):
        worst = 0.0
        for g, e in zip(got, EPS_ALL, strict=True):
            ref = 1 - _explicit_mp(order, 1 - mpmath.mpf(float(e)))
            worst = max(worst, float(abs(mpmath.mpf(float(g)) - ref) / ref))
    assert worst < 1e-15, worst  # measured <= 3.4e-16


def test_dual_gap_is_one_minus_h_without_cancellation():
    from dagnngp.numerics.dual import dual_gap

    for C in (1 - 1e-14, 0.3, -1.0):
        with mpmath.workdps(60):
            ref = 1 - _explicit_mp(1, C)
            assert float(abs(mpmath.mpf(float(dual_gap(np, np.asarray(C)))) - ref) / ref) < 1e-15


def test_numba_helpers_are_the_same_functions_compiled():
    from dagnngp.numerics import dual
    from dagnngp.numerics.generated import scalar_helpers

    helpers = scalar_helpers(jit=True)
    for name, fn in dual.PRIMITIVES.items():
        grid = C_ALL if name.startswith("h") else EPS_ALL
        ref = fn(np, grid)
        got = np.array([helpers[name](float(x)) for x in grid])
        np.testing.assert_allclose(got, ref, rtol=4e-16, atol=0, err_msg=name)


def test_mpmath_helpers_leave_the_global_precision_alone():
    from dagnngp.theory import derive

    before = mpmath.mp.dps
    f = lambdify(derive("2_02_002", model="paper", general=False), "gap", "mpmath")
    value = f(0.5, dps=60)
    assert mpmath.mp.dps == before
    with mpmath.workdps(60):
        ref = 1 - _explicit_mp(1, _explicit_mp(1, _explicit_mp(1, 0.5)))
        assert abs(value - ref) < mpmath.mpf(10) ** -50
