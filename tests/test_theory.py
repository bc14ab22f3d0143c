"""The theory layer: derivations against the spec's closed forms and the NumPy reference.

References are independent of the code under test: the paper's formulas (spec 2.3)
written out by hand here in SymPy, the exact DAG#3 gap of spec 2.4, the spec's
test-vector tables, mpmath, and :func:`dagnngp.numerics.nngp` with ``backend="numpy"``.
"""

from __future__ import annotations

import json

import mpmath
import numpy as np
import pytest
import sympy
from references import FIVE_DECIMALS, SPEC_DAG_TABLE
from sympy import pi, sqrt

from dagnngp import MotifError
from dagnngp.cli import main
from dagnngp.numerics import lambdify, nngp, pair_gap, pair_gram
from dagnngp.numerics.dual import relu_correlation
from dagnngp.theory import GENERAL_SYMBOLS, derive, explicit, h
from dagnngp.theory.derivation import EPS, C

DAG1, DAG2, DAG3 = "2_02_002", "1_01_222", "2_21_112"
GRID = [-1.0, -0.75, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 0.999]


def _mp_equal(a: sympy.Expr, b: sympy.Expr, points, sym=C, dps=40, tol=1e-30):
    """High-precision numeric equality of two expressions at many points.

    Both are rewritten to explicit acos form and evaluated by mpmath at ``dps`` digits.
    """
    fa = sympy.lambdify(sym, explicit(sympy.sympify(a)), "mpmath")
    fb = sympy.lambdify(sym, explicit(sympy.sympify(b)), "mpmath")
    with mpmath.workdps(dps):
        for p in points:
            va, vb = fa(mpmath.mpf(p)), fb(mpmath.mpf(p))
            assert abs(va - vb) <= tol * max(1, abs(vb)), (p, va, vb)


POINTS = ["-1", "-0.9", "-0.7250", "-0.5", "-0.1", "0", "0.3", "0.5", "0.9", "0.99999"]


# ------------------------------------------------------------------ spec 2.3 formulas
def test_paper_dag_formulas_are_reproduced_exactly():
    hh = h(h(C))
    d1, d2, d3 = (derive(m, model="paper") for m in (DAG1, DAG2, DAG3))
    assert d1.offdiagonal == h(hh) and d1.diagonal == 1
    assert sympy.simplify(d1.gap - (1 - sympy.Abs(h(hh)))) == 0
    assert d2.diagonal == 3 and sympy.expand(d2.offdiagonal - 3 * h(C)) == 0
    assert d3.diagonal == 4
    assert sympy.expand(d3.offdiagonal - (C + h(C) + 2 * hh)) == 0
    assert sympy.expand(d3.gap - (4 - sympy.Abs(C + h(C) + 2 * hh))) == 0
    # the distance forms are the same functions: D(eps) = diagonal - offdiagonal(1 - eps)
    for d in (d1, d2, d3):
        _mp_equal(d.gap_distance.subs(EPS, 1 - C), d.diagonal - d.offdiagonal, POINTS[3:])


def test_paper_dag_gaps_match_the_spec_table():
    # C: (dag1, dag2, true 2x2 dag3 in the paper model), spec 2.3
    table = {C: (row[0], row[1], row[3]) for C, row in SPEC_DAG_TABLE.items()}
    fns = [lambdify(derive(m, model="paper"), "gap") for m in (DAG1, DAG2, DAG3)]
    for c, expected in table.items():
        got = [float(f(c)) for f in fns]
        np.testing.assert_allclose(got, expected, rtol=0, atol=FIVE_DECIMALS)


def test_exact_dag3_matches_spec_2_4():
    d = derive(DAG3, model="exact")
    C2 = (pi * h(C) + 1) / (pi + 1)
    expected_off = (2 + 2 / pi) * h(C2) + h(C) + C + 2 / pi * sqrt(2 + 2 / pi)
    expected_diag = 4 + 2 / pi + 2 / pi * sqrt(2 + 2 / pi)
    expected_gap = (2 + 2 / pi) * (1 - h(C2)) + (1 - h(C)) + (1 - C)
    assert sympy.simplify(d.diagonal - expected_diag) == 0
    _mp_equal(d.offdiagonal, expected_off, POINTS)
    _mp_equal(d.gap, expected_gap, POINTS[3:])  # the off-diagonal is > 0 there
    f = lambdify(d, "gap")
    for c, row in SPEC_DAG_TABLE.items():
        if row[4] is not None:
            assert abs(float(f(c)) - row[4]) <= FIVE_DECIMALS
    assert abs(float(sympy.N(d.diagonal)) - 5.67034) <= FIVE_DECIMALS
    mean = (1 + mpmath.sqrt(2 + 2 / mpmath.pi)) / mpmath.sqrt(mpmath.pi)  # a_0 + a_2 of spec 2.4
    assert abs(float(sympy.N(d.output.mean)) - float(mean)) < 1e-14


def test_exact_dag2_is_paper_plus_six_over_pi():
    d = derive(DAG2, model="exact")
    p = derive(DAG2, model="paper")
    assert sympy.simplify(d.diagonal - (3 + 6 / pi)) == 0
    assert sympy.simplify(d.offdiagonal - p.offdiagonal - 6 / pi) == 0
    assert d.gap_distance == p.gap_distance == 3 * derive(DAG1, model="paper").nodes[1].distance


# ------------------------------------------------------------------ series (spec CC-13, CC-5)
@pytest.mark.parametrize("model", ["paper", "exact"])
def test_series_leading_coefficients_are_1_3_4(model):
    for motif, kappa in ((DAG1, 1), (DAG2, 3), (DAG3, 4)):
        s = derive(motif, model=model).series(3)
        assert s.leading == (kappa, 1)
        assert s.kappa == kappa


def test_series_three_halves_terms_by_hand():
    a = 2 * sqrt(2) / (3 * pi)  # h(1 - y) = 1 - y + a y^(3/2) + ...  (spec CC-5)
    s1 = derive(DAG1, model="paper").series(2)
    assert sympy.simplify(s1.coefficient(sympy.Rational(3, 2)) + 3 * a) == 0
    s2 = derive(DAG2, model="paper").series(3)
    assert sympy.simplify(s2.coefficient(sympy.Rational(3, 2)) + 3 * a) == 0
    assert sympy.simplify(s2.coefficient(sympy.Rational(5, 2)) + 3 * sqrt(2) / (30 * pi)) == 0


@pytest.mark.parametrize("motif,model", [(DAG3, "exact"), (DAG3, "paper"), ("2_12_122_1022", "exact")])
def test_series_agree_with_mpmath_near_both_ends(motif, model, mp50):
    # Truncated after x^3 (order 7/2), the Puiseux series leaves a residual c x^(7/2) + O(x^4).  Two
    # method-derived bounds, at 50 digits: |residual| <= x^(7/2) (the x^(7/2) coefficients of these
    # motifs are below 0.2 in magnitude), and the residual falls like x^(7/2) between x = 1e-3 and
    # 1e-4 (log-slope 3.5 +- 0.25).  A wrong or missing coefficient of x^k, k <= 3, leaves a residual
    # of order x^k instead, which fails both.
    d = derive(motif, model=model)
    ref = lambdify(d, "gap", "mpmath")
    for at, var in ((1, "eps"), (-1, "delta")):
        s = d.series(sympy.Rational(7, 2), at=at)
        assert max(s.terms) <= 3
        residual = {}
        for x in ("1e-3", "1e-4"):
            xv = mpmath.mpf(x)
            c = 1 - xv if at == 1 else -1 + xv
            exact = ref(c, dps=50)
            approx = sum(mpmath.mpf(sympy.N(coef, 50)) * xv ** mpmath.mpf(sympy.N(e, 50))
                         for e, coef in s.terms.items())
            residual[x] = exact - approx
            assert abs(residual[x]) <= xv ** mpmath.mpf(3.5), (at, var, x, residual[x])
        slope = mpmath.log10(abs(residual["1e-3"] / residual["1e-4"]))
        assert abs(slope - 3.5) <= 0.25, (at, var, slope)


# ------------------------------------------------------------------ general inputs
def _general_fn(expr):
    return sympy.lambdify(GENERAL_SYMBOLS, expr, modules=[{"h": relu_correlation}, "numpy"])


@pytest.mark.parametrize("model", ["paper", "exact"])
@pytest.mark.parametrize("motif", [DAG1, DAG2, DAG3, "1_12_112", "2_12_122_1212", "0_21_102_2211"])
def test_general_input_expressions_match_nngp(motif, model):
    d = derive(motif, model=model)
    fns = {k: _general_fn(v) for k, v in d.general.items()}
    gap_fn = _general_fn(d.general_gap)
    rng = np.random.default_rng(7)
    for _ in range(6):
        X = rng.normal(size=(2, 5))
        K0 = X @ X.T
        mu0 = X.sum(1) / np.sqrt(5)
        args = (K0[0, 0], K0[1, 1], K0[0, 1], mu0[0], mu0[1])
        res = nngp(motif, K0, mu0, model=model, backend="numpy")
        got = {k: float(f(*args)) for k, f in fns.items()}
        np.testing.assert_allclose([got["K_ii"], got["K_jj"], got["K_ij"]],
                                   [res.output[0, 0], res.output[1, 1], res.output[0, 1]], rtol=1e-12)
        np.testing.assert_allclose([got["mu_i"], got["mu_j"]], res.output_mean, rtol=1e-12, atol=1e-14)
        assert abs(float(gap_fn(*args)) - pair_gap(res.output, 0, 1)) <= 1e-12 * res.output[0, 0]


def test_node_expressions_match_nngp_all_nodes():
    d = derive("2_21_112_1201", model="exact")
    for c in (-0.6, 0.2, 0.8):
        res = nngp(d.motif, *pair_gram(c), model="exact", all_nodes=True, backend="numpy")
        for t in range(d.motif.n_nodes):
            diag, off, mean = lambdify(d, ("diagonal", "offdiagonal", "mean"), node=t)(c)
            np.testing.assert_allclose([diag, off, mean],
                                       [res.nodes[t][0, 0], res.nodes[t][0, 1], res.means[t][0]],
                                       rtol=1e-12, atol=1e-14)


def test_rule12_matches_numeric_rule12():
    from dagnngp.numerics import rule12

    for motif in (DAG1, DAG2, DAG3, "1_22_122", "2_11_212_1122"):
        d = derive(motif, model="paper")
        f = lambdify(d, "rule12")
        C_grid = np.array(GRID)
        np.testing.assert_allclose(f(C_grid), rule12(motif, C_grid), rtol=1e-12, atol=1e-15)
        # and the correlation form is the same function
        _mp_equal(d.rule12, d.rule12_distance.subs(EPS, 1 - C), POINTS[3:])


# ------------------------------------------------------------------ outputs, caching, errors
def test_derivation_is_cached_and_printable():
    a = derive(DAG3, model="exact")
    assert derive(DAG3, model="exact") is a
    assert derive("2_21_112", "exact", "relu", 2.0, 0.0) is a
    tex = a.latex()
    assert r"\begin{align*}" in tex and r"h\left(C\right)" in tex and r"\varepsilon" in tex
    text = a.pretty()
    assert "node 3:  K3 = f(K2) + K0 + K1" in text and "rule (12)" in text


def test_unreachable_nodes_and_empty_motifs():
    d = derive("0_02", model="exact")  # node 1 receives nothing; the output sees only f(K0)... and f(K1)
    assert d.nodes[1].diagonal == 0 and d.nodes[1].offdiagonal == 0
    res = nngp("0_02", *pair_gram(0.3), backend="numpy")
    assert abs(float(lambdify(d, "offdiagonal")(0.3)) - res.output[0, 1]) < 1e-14
    empty = derive("0_00", model="exact")
    assert empty.diagonal == 0 and empty.gap == 0
    assert float(lambdify(empty, "gap")(0.5)) == 0.0


def test_bad_inputs_are_refused_with_clear_messages():
    with pytest.raises(MotifError):
        derive("2_3")
    with pytest.raises(ValueError, match="model='fancy'"):
        derive(DAG3, model="fancy")
    with pytest.raises(ValueError, match="activation='tanh' is not known"):
        derive(DAG3, activation="tanh")
    with pytest.raises(ValueError, match="c_sigma"):
        derive(DAG3, c_sigma=-1)
    with pytest.raises(ValueError, match="sigma_b"):
        derive(DAG3, sigma_b=-0.5)
    with pytest.raises(ValueError, match="finite"):
        derive(DAG3, c_sigma=float("nan"))
    with pytest.raises(ValueError, match="takes parameters"):
        derive(DAG3, activation="relu", activation_params={"slope": 0.1})
    with pytest.raises(ValueError, match="both slopes 0"):
        derive(DAG3, activation="abrelu", activation_params={"a": 0, "b": 0})
    d = derive(DAG3)
    with pytest.raises(ValueError, match="quantity='trace'"):
        lambdify(d, "trace")
    with pytest.raises(ValueError, match="backend='julia'"):
        lambdify(d, "gap", "julia")
    with pytest.raises(ValueError, match="node=7"):
        lambdify(d, "gap", node=7)
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        lambdify(d, "gap")(1.5)
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        lambdify(d, "gap")(np.array([0.1, np.nan]))
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        lambdify(d, "gap", "mpmath")(-1.01)
    with pytest.raises(ValueError, match="at="):
        d.series(2, at=0)
    with pytest.raises(ValueError, match="order"):
        d.series(0)


# ------------------------------------------------------------------ CLI
def test_cli_derive_prints_recursion_gap_and_series(capsys):
    assert main(["derive", DAG3, "--model", "paper", "--series", "2"]) == 0
    out = capsys.readouterr().out
    assert "K_ij = C + h(C) + 2*h(h(C))" in out
    assert "(K_ij >= 0)      = eps + G(eps) + 2*G(G(eps))" in out
    assert "leading: gap ~ 4 * eps^1" in out


def test_cli_derive_json_and_latex(capsys):
    assert main(["derive", DAG3, "--json", "--series", "2"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["kappa"] == "4" and data["leading"]["exponent"] == "1"
    assert abs(data["diagonal_value"] - 5.670342049) < 1e-9
    assert main(["derive", DAG1, "--latex", "--model", "paper"]) == 0
    assert r"\begin{align*}" in capsys.readouterr().out


def test_cli_derive_bad_arguments(capsys):
    assert main(["derive", DAG3, "--activation", "tanh"]) == 2
    assert "not known" in capsys.readouterr().err
    assert main(["derive", DAG3, "--param", "slope"]) == 2
    assert "NAME=VALUE" in capsys.readouterr().err
    assert main(["derive", "2_9"]) == 2


def test_series_of_the_offdiagonal_and_of_rule12():
    # DAG#1 under the paper model has diagonal 1, so its off-diagonal is 1 - gap term by term, and
    # rule (12) is exact for DAG#1-3 (spec 7.2), so its series is the gap's
    d = derive(DAG1, model="paper")
    gap = d.series(3)
    off = d.series(3, quantity="offdiagonal")
    rule = d.series(3, quantity="rule12")
    assert off.quantity == "offdiagonal" and rule.quantity == "rule12"
    combined = {e: off.terms.get(e, 0) + gap.terms.get(e, 0) for e in set(off.terms) | set(gap.terms)}
    assert {e: sympy.simplify(c) for e, c in combined.items() if sympy.simplify(c) != 0} == {0: 1}
    assert all(sympy.simplify(rule.terms[e] - c) == 0 for e, c in gap.terms.items())
    assert set(rule.terms) == set(gap.terms)
    with pytest.raises(ValueError, match="quantity='diagonal'"):
        d.series(3, quantity="diagonal")
