"""The infinite-width NTK (:func:`dagnngp.numerics.ntk`): finite networks, structure, validation.

False-alarm budget: each Monte Carlo test takes its share of the suite's budget
from the ``alpha`` fixture (``tests/conftest.py``) and divides it by Bonferroni
among its cases and the two readout conventions.  The empirical NTK of a width-m
network is biased by O(1/m); ``FINITE_WIDTH_BIAS_SE`` standard errors allow for it
(``tests/test_mc_nodes.py`` measures that bias for the NNGP).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from helpers import unit_rows
from hypothesis import HealthCheck, given, settings

from dagnngp.motif import Motif
from dagnngp.numerics import inputs_to_gram, nngp, ntk
from dagnngp.numerics.sampling import monte_carlo_ntk
from dagnngp.proofs_check.statistics import FINITE_WIDTH_BIAS_SE, compare_to_mc
from dagnngp.proofs_check.strategies import general_grams, motifs
from dagnngp.theory import program as program_module

WIDTH, DRAWS = 1024, 24
DAGS = ["1_01_222", "2_21_112", "1_12_112"]
CASES = [(m, edge, centred) for m in DAGS for edge in ("post", "pre") for centred in (True, False)
         if not (edge == "pre" and not centred)]  # pre: node 0 is a centred Gaussian field either way


def _inputs(centred: bool, seed: int) -> np.ndarray:
    # non-centred inputs fill the whole input node, so their normalised means do not vanish
    return unit_rows(3, 8, seed=seed) if centred else unit_rows(3, WIDTH, seed=seed, centred=False)


def _compare_both_readouts(motif, X, edge, alpha, seed, sigma_b=0.0, **kernel):
    res = monte_carlo_ntk(motif, X, WIDTH, DRAWS, seed=seed, edge=edge, sigma_b=sigma_b, **kernel)
    K0, mu0 = inputs_to_gram(X, WIDTH)
    mu0 = None if edge == "pre" else mu0
    out = []
    for readout in (True, False):
        limit = ntk(motif, K0, mu0, readout=readout, edge=edge, sigma_b=sigma_b, **kernel).ntk
        samples = res.samples if readout else res.samples - res.nngp_samples
        cmp = compare_to_mc(limit, samples.mean(axis=0), samples.std(axis=0, ddof=1) / np.sqrt(DRAWS), DRAWS,
                            alpha=alpha / 2, bias_se=FINITE_WIDTH_BIAS_SE)
        out.append(cmp)
    return out


# --------------------------------------------------------------- networks
@pytest.mark.parametrize(("motif", "edge", "centred"), CASES)
def test_ntk_matches_networks_on_dags(motif, edge, centred, alpha):
    X = _inputs(centred, seed=11)
    if not centred:
        assert np.min(inputs_to_gram(X, WIDTH)[1]) > 0.5  # the means really do not vanish
    for cmp in _compare_both_readouts(motif, X, edge, alpha / len(CASES), seed=60):
        assert not cmp.rejected, (motif, edge, centred, cmp.as_dict())


def _random_motifs(n: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    out: list[str] = []
    while len(out) < n:
        nodes = int(rng.integers(5, 7))
        rows = tuple(tuple(int(rng.choice(3, p=[0.3, 0.35, 0.35])) for _ in range(t))
                     for t in range(1, nodes))
        m = Motif.parse("_".join("".join(map(str, r)) for r in rows))
        if m.n_paths > 0 and m.n_linear >= 2:
            out.append(str(m))
    return out


RANDOM = [*zip(_random_motifs(4, seed=3), ["post", "pre", "post", "pre"], strict=True),
          ("2_1(0.5)2_1(-0.7)12(2)", "post"), ("2_2(0.3)1(2)", "pre")]  # weighted edges


@pytest.mark.parametrize(("motif", "edge"), RANDOM)
def test_ntk_matches_networks_on_random_motifs(motif, edge, alpha):
    X = _inputs(edge == "pre", seed=12)
    for cmp in _compare_both_readouts(motif, X, edge, alpha / len(RANDOM), seed=61, sigma_b=0.2):
        assert not cmp.rejected, (motif, edge, cmp.as_dict())


def _ntk_without_cross_gradients(monkeypatch, motif, K0, mu0):
    monkeypatch.setattr(program_module._Builder, "pair_ntk", lambda self, a, b: None)
    program_module._compile.cache_clear()
    try:
        return ntk(motif, K0, mu0, readout=False).ntk
    finally:
        program_module._compile.cache_clear()


@pytest.mark.parametrize("motif", ["2_11_011", "2_21_011"])
def test_dropping_the_cross_gradient_terms_is_rejected(motif, monkeypatch):
    # X_1 reaches the output through two skip paths: their gradients are perfectly correlated
    X = _inputs(True, seed=13)
    res = monte_carlo_ntk(motif, X, WIDTH, DRAWS, seed=62, readout=False)
    K0, mu0 = inputs_to_gram(X, WIDTH)
    right = ntk(motif, K0, mu0, readout=False).ntk
    wrong = _ntk_without_cross_gradients(monkeypatch, motif, K0, mu0)  # patched until the test ends
    assert not np.allclose(wrong, right, rtol=0.05)
    assert compare_to_mc(wrong, res.mean, res.stderr, DRAWS, alpha=1e-6,
                         bias_se=FINITE_WIDTH_BIAS_SE).rejected
    assert not compare_to_mc(right, res.mean, res.stderr, DRAWS, alpha=1e-6,
                             bias_se=FINITE_WIDTH_BIAS_SE).rejected


# -------------------------------------------------------------- structure
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(motif=motifs(min_nodes=2, max_nodes=6), grams=general_grams(n_inputs=(2, 5)))
def test_ntk_is_psd_and_its_least_eigenvalue_bounds_the_nngps(motif, grams):
    K0, mu0 = grams
    for model, edge in itertools.product(("exact", "paper"), ("post", "pre")):
        mu = None if edge == "pre" else mu0
        res = ntk(motif, K0, mu, model=model, edge=edge, sigma_b=0.1)
        theta, gram = res.ntk, res.nngp
        scale = max(1.0, float(np.max(np.abs(theta))))
        lam_theta = np.linalg.eigvalsh(theta)[0]
        assert lam_theta >= -1e-10 * scale
        # Theta = K_H + Theta_H with Theta_H PSD, so lambda_min(Theta) >= lambda_min(K_H)
        assert lam_theta >= np.linalg.eigvalsh(gram)[0] - 1e-10 * scale
        np.testing.assert_allclose(ntk(motif, K0, mu, model=model, edge=edge, sigma_b=0.1, readout=False).ntk,
                                   theta - gram, rtol=1e-12, atol=1e-12 * scale)


def test_closed_forms_of_small_motifs():
    K0, _ = inputs_to_gram(unit_rows(3, 5, seed=1))
    C = np.clip(K0, -1, 1)
    e_dot = 0.5 * (1 - np.arccos(C) / np.pi)           # E[relu'(u) relu'(v)] at unit variances
    k1 = nngp("2", K0).output
    # one linear edge: Theta_1 = c E[s's'] * K0; a skip of weight 3 on top multiplies by 9
    np.testing.assert_allclose(ntk("2", K0, readout=False).ntk, 2 * e_dot * K0, rtol=1e-13)
    np.testing.assert_allclose(ntk("2", K0).ntk, k1 + 2 * e_dot * K0, rtol=1e-13)
    np.testing.assert_allclose(ntk("2_01(3)", K0, readout=False).ntk, 9 * 2 * e_dot * K0, rtol=1e-13)
    # two skips from a trained node meet: Theta = (1 + 1)^2 Theta_1 (neural-tangents would give 2 Theta_1)
    np.testing.assert_allclose(ntk("2_11_011", K0, readout=False).ntk, 4 * 2 * e_dot * K0, rtol=1e-13)
    # skips from the untrained input carry no NTK
    np.testing.assert_allclose(ntk("1_11", K0, readout=False).ntk, 0 * K0, atol=0)


def test_all_nodes_gives_each_nodes_ntk_and_the_output_matches():
    K0, mu0 = inputs_to_gram(unit_rows(3, 5, seed=2, centred=False), 8)
    res = ntk("2_21_112", K0, mu0, all_nodes=True, readout=False)
    assert sorted(res.nodes_ntk) == [0, 1, 2, 3]
    np.testing.assert_array_equal(res.nodes_ntk[0], 0 * K0)
    np.testing.assert_allclose(res.nodes_ntk[3], res.ntk, rtol=1e-14)
    np.testing.assert_allclose(res.nodes[3], nngp("2_21_112", K0, mu0).output, rtol=1e-14)
    assert np.asarray(res) is res.ntk


# -------------------------------------------------------------- validation
@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"activation": "step"}, "no derivative dual map"),
        ({"edge": "middle"}, "edge='middle' is not known"),
        ({"edge": "pre", "mu0": np.ones(2)}, "centred Gaussian field"),
        ({"backend": "numba", "all_nodes": True}, "keeps only the output node"),
        ({"model": "approx"}, "model"),
    ],
)
def test_bad_options_raise_clear_value_errors(kwargs, fragment):
    args = {"motif": "2_21_112", "K0": np.eye(2)}
    args.update(kwargs)
    with pytest.raises(ValueError, match=fragment):
        ntk(**args)
