"""The arc-cosine / leaky activation family: symbolic identities, Gaussian integrals, numeric maps.

References: the spec's closed forms (section 2.1), 2-D Gaussian integrals by
mpmath quadrature of the activation itself, and the derivation of the same
motif by the theory layer against the numeric reference ``nngp``.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy
from sympy import acos, asin, pi, sqrt

from dagnngp.numerics import lambdify, nngp, pair_gram
from dagnngp.numerics.activations import ACTIVATIONS, get_activation
from dagnngp.theory import derive, explicit, h
from dagnngp.theory.arccos import activation

C = sympy.Symbol("C", real=True)


# ------------------------------------------------------------------ spec 2.1, symbolically
def test_relu_map_values_and_derivatives():
    relu = activation("relu")
    assert relu.h(sympy.Integer(1)) == 1 and h(0) == 1 / pi and h(-1) == 0
    # with c_sigma = 2 the diagonal is preserved: c E[relu(u)^2] = K
    K = sympy.Symbol("K", positive=True)
    assert 2 * relu.second_moment(K) == K
    h_explicit = explicit(h(C))
    paper = (2 * C * asin(C) + 2 * sqrt(1 - C**2) + pi * C) / (2 * pi)
    assert sympy.simplify((h_explicit - paper).rewrite(acos)) == 0
    d1 = explicit(sympy.diff(h(C), C))
    assert sympy.simplify((d1 - (asin(C) + pi / 2) / pi).rewrite(acos)) == 0
    d2 = explicit(sympy.diff(h(C), C, 2))
    assert sympy.simplify(d2 - 1 / (pi * sqrt(1 - C**2))) == 0
    # the named function differentiates like its explicit form
    assert sympy.simplify(sympy.diff(h_explicit, C, 2) - d2) == 0


def test_convexity_where_it_holds_and_not_for_the_step():
    t = sympy.Symbol("t", positive=True)  # C = cos t, t in (0, pi): second derivatives in t
    for name, params in (("relu", {}), ("arccos2", {}), ("leaky", {"slope": 0.3}),
                         ("abrelu", {"a": 1, "b": -2})):
        second = explicit(sympy.diff(activation(name, **params).h(C), C, 2))
        for c in np.linspace(-0.999, 0.999, 41):
            assert float(second.subs(C, c)) > 0, (name, c)
    step_second = explicit(sympy.diff(activation("step").h(C), C, 2))
    assert float(step_second.subs(C, -0.5)) < 0 < float(step_second.subs(C, 0.5))
    del t


def test_h_at_one_is_one_and_gap_functions_vanish():
    for name in ("step", "relu", "arccos2"):
        act = activation(name)
        assert act.h(sympy.Integer(1)) == 1 and act.h(sympy.Integer(-1)) == 0
        assert act.G(sympy.Integer(0)) == 0 and act.G(sympy.Integer(2)) == 1
        eps = sympy.Symbol("eps", positive=True)
        for e in ("1e-9", "0.3", "1.7"):
            lhs = sympy.N(explicit(act.G(eps)).subs(eps, sympy.Rational(e)), 40)
            rhs = sympy.N(1 - explicit(act.h(C)).subs(C, 1 - sympy.Rational(e)), 40)
            assert abs(lhs - rhs) < 1e-35


def test_expansion_at_one_matches_spec_cc5():
    d = derive("2", model="paper", general=False)  # a single linear edge: gap = G(eps)
    s = d.series(3)
    assert s.coefficient(1) == 1
    assert sympy.simplify(s.coefficient(sympy.Rational(3, 2)) + 2 * sqrt(2) / (3 * pi)) == 0
    assert sympy.simplify(s.coefficient(sympy.Rational(5, 2)) + sqrt(2) / (30 * pi)) == 0


# ------------------------------------------------------------------ Gaussian integrals
# A test activation is piecewise polynomial: sigma(x) = sum_n pos[n] x^n (x > 0) + neg[n] x^n (x < 0).
# E[sigma(u) sigma(v)] is computed as E_z1[ sigma(u) E[sigma(v) | z1] ]: the inner conditional
# expectation of a shifted Gaussian uses only truncated normal moments, the outer one mpmath.quad.
def _truncated_moment(n, m, s):
    """E[(m + s Z)^n 1(m + s Z > 0)] for Z ~ N(0, 1), n = 0, 1, 2."""
    if s == 0:
        return m**n if m > 0 else mpmath.mpf(0)
    t = -m / s
    tail0, tail1, tail2 = mpmath.ncdf(-t), mpmath.npdf(t), mpmath.ncdf(-t) + t * mpmath.npdf(t)
    return [tail0, m * tail0 + s * tail1, m * m * tail0 + 2 * m * s * tail1 + s * s * tail2][n]


def _num(a):
    """An exact rational coefficient at the working precision."""
    a = sympy.Rational(a)
    return mpmath.mpf(a.p) / a.q


def _full_moment(n, m, s):
    return [mpmath.mpf(1), m, m * m + s * s][n]


def _piecewise_mean(pos, neg, m, s):
    out = mpmath.mpf(0)
    for n, a in pos.items():
        out += _num(a) * _truncated_moment(n, m, s)
    for n, b in neg.items():
        out += _num(b) * (_full_moment(n, m, s) - _truncated_moment(n, m, s))
    return out


def _evaluate(pos, neg, x):
    return sum(_num(a) * x**n for n, a in (pos if x > 0 else neg).items()) if x != 0 else 0


def _gauss2(pos, neg, s_i, s_j, c):
    """E[sigma(u) sigma(v)] for u ~ N(0, s_i), v ~ N(0, s_j), corr(u, v) = c."""
    s_i, s_j, c = (mpmath.mpf(x) for x in (s_i, s_j, c))
    r = mpmath.sqrt(1 - c * c) * mpmath.sqrt(s_j)

    def integrand(z1):
        u = mpmath.sqrt(s_i) * z1
        inner = _piecewise_mean(pos, neg, mpmath.sqrt(s_j) * c * z1, r)
        return _evaluate(pos, neg, u) * inner * mpmath.npdf(z1)

    return mpmath.quad(integrand, [-mpmath.inf, 0, mpmath.inf])


F = sympy.Rational
SIGMAS = {  # name: (pos, neg, theory parameters)
    "step": ({0: 1}, {}, {}),
    "relu": ({1: 1}, {}, {}),
    "arccos2": ({2: 1}, {}, {}),
    "leaky": ({1: 1}, {1: F(1, 5)}, {"slope": sympy.Rational(1, 5)}),
    "abrelu": ({1: F(3, 2)}, {1: F(-1, 2)}, {"a": sympy.Rational(3, 2), "b": -sympy.Rational(1, 2)}),
}


@pytest.mark.parametrize("name", sorted(SIGMAS))
def test_dual_map_and_mean_against_gaussian_integrals(name):
    pos, neg, params = SIGMAS[name]
    act = activation(name, **params)
    s_i, s_j = sympy.Rational(13, 10), sympy.Rational(7, 10)
    with mpmath.workdps(30):
        for c in ("-0.6", "0.35", "0.9"):
            ref = _gauss2(pos, neg, s_i, s_j, c)
            theory = sympy.N(explicit(act.cross_moment(s_i, s_j, sympy.Rational(c))), 30)
            assert abs(ref - mpmath.mpf(str(theory))) < 1e-20 * max(1, abs(ref)), (name, c)
        sd = mpmath.sqrt(_num(s_i))
        mean_ref = mpmath.quad(lambda z: _evaluate(pos, neg, sd * z) * mpmath.npdf(z),
                               [-mpmath.inf, 0, mpmath.inf])
        assert abs(mean_ref - mpmath.mpf(str(sympy.N(act.mean(s_i), 30)))) < 1e-20
        var_ref = mpmath.quad(lambda z: _evaluate(pos, neg, sd * z) ** 2 * mpmath.npdf(z),
                              [-mpmath.inf, 0, mpmath.inf])
        assert abs(var_ref - mpmath.mpf(str(sympy.N(act.second_moment(s_i), 30)))) < 1e-20


def test_derivative_maps_against_gaussian_integrals():
    with mpmath.workdps(30):
        for name, pos, neg, params in (  # sigma' as a piecewise polynomial
            ("relu", {0: 1}, {}, {}),
            ("arccos2", {1: 2}, {}, {}),
            ("abrelu", {0: F(3, 2)}, {0: F(-1, 2)}, {"a": sympy.Rational(3, 2), "b": -sympy.Rational(1, 2)}),
        ):
            act = activation(name, **params)
            ref = _gauss2(pos, neg, "1.3", "0.7", "0.35")
            theory = sympy.N(explicit(act.derivative_moment(sympy.Rational(13, 10), sympy.Rational(7, 10),
                                                            sympy.Rational(35, 100))), 30)
            assert abs(ref - mpmath.mpf(str(theory))) < 1e-20, name
    with pytest.raises(ValueError, match="delta"):
        activation("step").derivative_moment(1, 1, C)


# ------------------------------------------------------------------ numeric registry
def test_registry_covers_the_theory_family():
    from dagnngp.theory.arccos import KNOWN_ACTIVATIONS

    assert set(KNOWN_ACTIVATIONS) <= set(ACTIVATIONS)


NUMERIC_CASES = [
    ("step", {}, 2.0, 0.0), ("step", {}, 1.5, 0.4), ("arccos2", {}, 2.0, 0.0), ("arccos2", {}, 0.8, 0.3),
    ("leaky", {"slope": 0.1}, 2.0, 0.0), ("abrelu", {"a": 1.5, "b": -0.5}, 1.0, 0.5),
    ("relu", {}, 1.3, 0.7), ("arccos1", {}, 2.0, 0.0),
]


@pytest.mark.parametrize("name,params,c_sigma,sigma_b", NUMERIC_CASES)
@pytest.mark.parametrize("motif", ["2_21_112", "1_22_122_2112"])
def test_numeric_activations_match_the_theory(name, params, c_sigma, sigma_b, motif):
    C_grid = np.array([-0.9, -0.4, 0.0, 0.3, 0.7, 0.95])
    for model in ("exact", "paper"):
        d = derive(motif, model=model, activation=name, c_sigma=c_sigma, sigma_b=sigma_b,
                   activation_params=params, general=False)
        diag, off, gap = lambdify(d, ("diagonal", "offdiagonal", "gap"))(C_grid)
        for k, c in enumerate(C_grid):
            K = nngp(motif, *pair_gram(c), model=model, c_sigma=c_sigma, sigma_b=sigma_b,
                     activation=name, activation_params=params, backend="numpy").output
            ref = np.array([K[0, 0], K[0, 1], K[0, 0] - abs(K[0, 1])])
            got = np.array([diag[k], off[k], gap[k]])
            assert np.all(np.abs(got - ref) <= 1e-12 * np.abs(ref) + 1e-14 * K[0, 0]), (model, c, got, ref)


def test_numeric_activation_bad_parameters():
    with pytest.raises(ValueError, match="both slopes 0"):
        get_activation("abrelu", a=0.0, b=0.0)
    with pytest.raises(ValueError, match="bad parameters"):
        get_activation("step", slope=0.1)
    with pytest.raises(ValueError, match="finite"):
        get_activation("leaky", slope=float("inf"))
    with pytest.raises(ValueError, match="not known"):
        nngp("2", *pair_gram(0.1), activation="tanh", backend="numpy")


def test_zero_variance_input_gives_zero_output_for_every_member():
    K = np.array([[0.0, 0.0], [0.0, 1.0]])
    for name in ("step", "relu", "arccos2", "leaky"):
        act = get_activation(name)
        out = act.dual(K)
        assert out[0, 0] == 0 and out[0, 1] == 0 and out[1, 1] > 0
        assert act.mean(np.array([0.0]))[0] == 0


def test_sympy_series_of_the_named_maps_at_the_kinks():
    x = sympy.Symbol("x", positive=True)
    s = sympy.series(h(1 - x), x, 0, 3).removeO()
    half3, half5 = sympy.Rational(3, 2), sympy.Rational(5, 2)
    expected = 1 - x + 2 * sqrt(2) / (3 * pi) * x**half3 + sqrt(2) / (30 * pi) * x**half5
    assert sympy.simplify(s - expected) == 0  # spec 2.1 / CC-5
    g = sympy.series(activation("relu").G(x), x, 0, 3).removeO()
    assert sympy.simplify(g - (1 - expected)) == 0
    # interior point: Taylor series from fdiff (h' = h0, h'' = 1/(pi sqrt(1 - C^2)))
    t = sympy.series(h(x), x, 0, 3).removeO()
    assert sympy.simplify(t - (1 / pi + x / 2 + x**2 / (2 * pi))) == 0


# ------------------------------------------------------------------ one registry
def test_one_registry_serves_both_layers():
    from dagnngp.theory import activations as registry

    assert ACTIVATIONS is registry.ACTIVATIONS
    for name in registry.ACTIVATIONS:
        maps = get_activation(name)
        assert maps.name == name
        if registry.lookup(name).closed_form:  # the others are refused by the symbolic layer
            assert activation(name).name == name


def test_h2_at_zero_is_one_sixth_as_the_gaussian_integral_says():
    # E[relu(u)^2 relu(v)^2] for independent unit u, v is (1/2)^2 and E[relu(u)^4] = 3/2
    assert activation("arccos2").h(sympy.Integer(0)) == sympy.Rational(1, 6)
    with mpmath.workdps(30):
        ref = _gauss2({2: 1}, {}, 1, 1, 0) / (mpmath.mpf(3) / 2)
        assert abs(ref - mpmath.mpf(1) / 6) < 1e-25
    assert activation("arccos2").G(sympy.Integer(1)) == sympy.Rational(5, 6)


@pytest.mark.parametrize("name", sorted(SIGMAS))
def test_variance_preserving_c_sigma_against_gaussian_integral(name):
    pos, neg, params = SIGMAS[name]
    with mpmath.workdps(30):
        second = mpmath.quad(lambda z: _evaluate(pos, neg, z) ** 2 * mpmath.npdf(z),
                             [-mpmath.inf, 0, mpmath.inf])
    c = activation(name, **params).c_sigma
    assert abs(mpmath.mpf(str(sympy.N(c, 30))) * second - 1) < 1e-20


@pytest.mark.parametrize("name", sorted(SIGMAS))
def test_finite_map_is_the_activation(name):
    pos, neg, params = SIGMAS[name]
    x = np.array([-2.5, -1.0, -0.3, 0.0, 0.4, 1.0, 3.0])
    got = get_activation(name, **{k: float(v) for k, v in params.items()}).finite(x)
    ref = [float(_evaluate(pos, neg, mpmath.mpf(float(v)))) for v in x]
    np.testing.assert_allclose(got, ref, rtol=1e-15, atol=0)
    sym = activation(name, **params).sigma(sympy.Symbol("x"))
    assert [float(sym.subs("x", sympy.Rational(str(v)))) for v in x] == pytest.approx(ref, rel=1e-15)


@pytest.mark.parametrize("name", sorted(SIGMAS))
def test_numeric_dual_and_mean_against_gaussian_integrals(name):
    # the numeric maps straight against a 2-D Gaussian integral of the activation (no theory involved)
    pos, neg, params = SIGMAS[name]
    maps = get_activation(name, c_sigma=1.3, **{k: float(v) for k, v in params.items()})
    K = np.array([[1.3, 0.35 * np.sqrt(1.3 * 0.7)], [0.35 * np.sqrt(1.3 * 0.7), 0.7]])
    out = maps.dual(K)
    with mpmath.workdps(30):
        ref = 1.3 * _gauss2(pos, neg, "1.3", "0.7", "0.35")
        sd = mpmath.sqrt(mpmath.mpf("1.3"))
        mean_ref = mpmath.sqrt(mpmath.mpf("1.3")) * mpmath.quad(
            lambda z: _evaluate(pos, neg, sd * z) * mpmath.npdf(z), [-mpmath.inf, 0, mpmath.inf])
    assert out[0, 1] == pytest.approx(float(ref), rel=1e-13)
    assert maps.mean(np.array([1.3]))[0] == pytest.approx(float(mean_ref), rel=1e-14, abs=1e-300)


def test_symbolic_series_of_every_closed_form():
    eps = sympy.Symbol("eps", positive=True)
    relu = activation("relu").series(3, eps)
    expected = eps - 2 * sqrt(2) / (3 * pi) * eps ** F(3, 2) - sqrt(2) / (30 * pi) * eps ** F(5, 2)
    assert sympy.simplify(relu.removeO() - expected) == 0  # spec CC-5
    # the leaky family's gap is the ReLU gap scaled by (a - b)^2 / (a^2 + b^2) plus the linear part
    leaky = activation("leaky", slope=sympy.Rational(1, 2)).series(3, eps).removeO()
    assert sympy.simplify(leaky - (sympy.Rational(1, 5) * expected + sympy.Rational(4, 5) * eps)) == 0


def test_unknown_parameter_message_names_the_parameters():
    with pytest.raises(ValueError, match=r"takes parameters \['slope'\]"):
        get_activation("leaky", a=1.0)
    with pytest.raises(ValueError, match="must be a real number"):
        get_activation("leaky", slope="x")
