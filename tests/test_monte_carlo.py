"""The finite-width sampler: validation, reproducibility, sampler equivalence, agreement with the exact model.

False-alarm budget: each statistical test here takes its share of the suite's
budget from the ``alpha`` fixture (``tests/conftest.py``) and divides it among its
cases (parametrisations, Hypothesis examples) by Bonferroni.  Comparisons on
motifs of up to 7 nodes allow ``FINITE_WIDTH_BIAS_SE`` standard errors of
finite-width bias (``tests/test_mc_nodes.py`` measures it on the deepest one).
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import unit_rows
from hypothesis import HealthCheck, given, settings
from scipy import stats

from dagnngp.errors import VarianceWarning
from dagnngp.numerics.reference import inputs_to_gram
from dagnngp.numerics.reference import nngp as reference_nngp
from dagnngp.numerics.sampling import forward_features, monte_carlo
from dagnngp.proofs_check.statistics import FINITE_WIDTH_BIAS_SE, compare_to_mc
from dagnngp.proofs_check.strategies import input_matrices, motifs

N_EXAMPLES = 15  # Hypothesis examples per drawn-motif test
DAGS = ["2_02_002", "1_01_222", "2_21_112"]


def nngp(*args, **kwargs):  # the NumPy reference is the ground truth
    return reference_nngp(*args, backend="numpy", **kwargs)


# ------------------------------------------------------------------ validation
@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"width": 2}, "smaller than the input dimension d=3"),
        ({"width": 64.0}, "width must be an integer"),
        ({"draws": 1}, "need draws >= 2"),
        ({"seed": -1}, "need seed >= 0"),
        ({"sampler": "fast"}, "sampler='fast' is not known"),
        ({"c_sigma": 0.0}, "c_sigma"),
        ({"X": [[1.0, np.nan, 0.0]]}, "non-finite"),
        ({"X": [1.0, 0.0, 0.0]}, "2-D array"),
        ({"motif": "2_3"}, "group t must have t digits"),
        ({"activation": "tanh"}, "activation='tanh' is not known"),
        ({"activation": "leaky", "activation_params": {"slope": float("inf")}}, "must be finite"),
        ({"activation_params": {"slope": 0.1}}, "bad parameters"),
        ({"sigma_b": -0.5}, "sigma_b"),
        ({"dtype": "int32"}, "dtype='int32' is not supported"),
    ],
)
def test_bad_arguments_raise_clear_value_errors(kwargs, fragment):
    args = {"motif": "2_21_112", "X": np.eye(3), "width": 64, "draws": 3, "seed": 0}
    args.update(kwargs)
    with pytest.raises(ValueError, match=fragment):
        monte_carlo(**args)


def test_seeded_runs_are_reproducible_bit_for_bit():
    X = unit_rows(3, 5, seed=1)
    for sampler in ("gram", "explicit"):
        a = monte_carlo("2_21_112", X, 128, 4, seed=11, sampler=sampler)
        b = monte_carlo("2_21_112", X, 128, 4, seed=11, sampler=sampler)
        assert np.array_equal(a.samples, b.samples)
        assert all(np.array_equal(a.cross[k], b.cross[k]) for k in a.cross)
        c = monte_carlo("2_21_112", X, 128, 4, seed=12, sampler=sampler)
        assert not np.array_equal(a.samples, c.samples)


def test_result_holds_every_node_cross_gram_and_mean_consistently():
    X = unit_rows(2, 4, seed=2)
    res = monte_carlo("1_12_112", X, 64, 3, seed=0)
    assert sorted(res.nodes) == [0, 1, 2, 3]
    assert sorted(res.cross) == [(t, u) for t in range(4) for u in range(t)]
    np.testing.assert_allclose(res.nodes[0], X @ X.T, atol=1e-14)  # input node is the padded X
    np.testing.assert_allclose(res.means[0], X.sum(axis=1) / 8.0, atol=1e-14)  # m^-1/2 sum, m = 64
    np.testing.assert_allclose(res.mean, res.nodes[3])
    # node 1 = X0 (skip), so <X1, X0> = K0 in every draw
    np.testing.assert_allclose(res.cross[(1, 0)], X @ X.T, atol=1e-14)
    np.testing.assert_allclose(res.stderr, res.samples.std(axis=0, ddof=1) / np.sqrt(3))


def test_gram_sampler_handles_rank_deficient_features():
    X = np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    feats = forward_features("2_21_112", X, 32, np.random.default_rng(0), sampler="gram")
    for F in feats:
        assert np.all(np.isfinite(F))
        np.testing.assert_allclose(F[:, 0], F[:, 1], atol=1e-12)  # duplicate inputs stay equal
        np.testing.assert_array_equal(F[:, 2], 0.0)  # a zero input stays zero (no bias)
    # a node that receives nothing (node 1 of "0_21_112" is empty) feeds zeros, not NaN
    res = monte_carlo("0_21_112", X, 32, 2, seed=0)
    assert np.all(res.nodes[1] == 0) and np.all(np.isfinite(res.mean))


def test_progress_bar_only_when_asked_or_on_a_terminal(capsys):
    monte_carlo("2", np.eye(2), 8, 3, seed=0)
    assert capsys.readouterr().err == ""  # pytest's stderr is not a terminal
    monte_carlo("2", np.eye(2), 8, 3, seed=0, progress=True)
    assert "3/3" in capsys.readouterr().err


# ------------------------------------------------------- sampler equivalence
def _two_sample_min_p(motif, X, width, draws, c_a=2.0, c_b=2.0, sampler_b="explicit", **kernel):
    """Smallest Bonferroni-adjusted KS p-value over the output Gram's entries and node-2 means."""
    a = monte_carlo(motif, X, width, draws, seed=1, sampler="gram", c_sigma=c_a, **kernel)
    b = monte_carlo(motif, X, width, draws, seed=2, sampler=sampler_b, c_sigma=c_b, **kernel)
    iu = np.triu_indices(X.shape[0])
    cols_a = [a.samples[:, i, j] for i, j in zip(*iu, strict=True)]
    cols_b = [b.samples[:, i, j] for i, j in zip(*iu, strict=True)]
    pvals = [stats.ks_2samp(x, y).pvalue for x, y in zip(cols_a, cols_b, strict=True)]
    return min(1.0, min(pvals) * len(pvals))


def test_gram_and_explicit_samplers_have_the_same_distribution(alpha):
    # 400 independent networks per sampler; KS test on every Gram entry (Bonferroni)
    X = unit_rows(3, 6, seed=3)
    assert _two_sample_min_p("2_21_112", X, 48, 400) > alpha


def test_gram_and_explicit_samplers_have_the_same_distribution_with_bias_and_leaky_relu(alpha):
    # the gram sampler adds the bias per row of E R; the explicit one to W X
    X = unit_rows(3, 6, seed=4)
    kernel = {"activation": "leaky", "activation_params": {"slope": -0.5}, "sigma_b": 0.6}
    assert _two_sample_min_p("2_21_112", X, 48, 400, c_a=1.6, c_b=1.6, **kernel) > alpha


def test_two_sample_test_has_power_against_a_slightly_different_network():
    # the same test tells c_sigma = 2 from c_sigma = 2.3 (a 15% scale change)
    X = unit_rows(3, 6, seed=3)
    with pytest.warns(VarianceWarning, match="variance-preserving value is c_sigma = 2$"):
        assert _two_sample_min_p("2_21_112", X, 48, 400, c_b=2.3, sampler_b="gram") < 1e-6


def test_two_sample_test_tells_a_bias_from_none():
    X = unit_rows(3, 6, seed=3)
    a = monte_carlo("2_21_112", X, 48, 400, seed=1)
    b = monte_carlo("2_21_112", X, 48, 400, seed=2, sigma_b=0.3)
    assert min(stats.ks_2samp(a.samples[:, i, j], b.samples[:, i, j]).pvalue
               for i, j in zip(*np.triu_indices(3), strict=True)) < 1e-6


# ---------------------------------------------------- exact model vs network
@pytest.mark.parametrize("motif", DAGS)
@pytest.mark.parametrize("centred", [True, False])
def test_exact_model_matches_width_2048_networks_on_dag1_to_3(motif, centred, alpha):
    width, draws = 2048, 30
    X = unit_rows(3, 8, seed=5) if centred else unit_rows(3, width, seed=6, centred=False)
    res = monte_carlo(motif, X, width, draws, seed=50)
    if not centred:
        assert np.min(res.mu0) > 0.5  # non-centred inputs really have non-vanishing means
    cmp = compare_to_mc(nngp(motif, res.K0, res.mu0).output, res.mean, res.stderr, draws,
                        alpha=alpha / (2 * len(DAGS)))
    assert not cmp.rejected, cmp.as_dict()


def test_paper_model_is_rejected_on_dag3():
    res = monte_carlo("2_21_112", unit_rows(3, 8, seed=5), 2048, 30, seed=51)
    cmp = compare_to_mc(nngp("2_21_112", res.K0, res.mu0, model="paper").output,
                        res.mean, res.stderr, 30, alpha=1e-6, bias_se=FINITE_WIDTH_BIAS_SE)
    assert cmp.rejected and cmp.max_abs_t > 10


@settings(max_examples=N_EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.function_scoped_fixture])
@given(motif=motifs(min_nodes=3, max_nodes=7, require_path=True),
       X=input_matrices(n_inputs=(2, 4), dim=(4, 10), centred=True))
def test_exact_model_matches_networks_on_drawn_motifs_centred(alpha, motif, X):
    res = monte_carlo(motif, X, 2048, 30, seed=52)
    cmp = compare_to_mc(nngp(motif, res.K0, res.mu0).output, res.mean, res.stderr, 30,
                        alpha=alpha / N_EXAMPLES, bias_se=FINITE_WIDTH_BIAS_SE)
    assert not cmp.rejected, (str(motif), cmp.as_dict())


@settings(max_examples=N_EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.function_scoped_fixture])
@given(motif=motifs(min_nodes=3, max_nodes=7, require_path=True),
       X=input_matrices(n_inputs=(2, 4), dim=2048, centred=False))
def test_exact_model_matches_networks_on_drawn_motifs_non_centred(alpha, motif, X):
    res = monte_carlo(motif, X, 2048, 30, seed=53)
    cmp = compare_to_mc(nngp(motif, res.K0, res.mu0).output, res.mean, res.stderr, 30,
                        alpha=alpha / N_EXAMPLES, bias_se=FINITE_WIDTH_BIAS_SE)
    assert not cmp.rejected, (str(motif), cmp.as_dict())


def test_input_placement_matches_inputs_to_gram():
    X = unit_rows(3, 5, seed=7, centred=False)
    res = monte_carlo("2", X, 50, 2, seed=0)
    K0, mu0 = inputs_to_gram(X, width=50)
    np.testing.assert_array_equal(res.K0, K0)
    np.testing.assert_array_equal(res.mu0, mu0)


def test_array_api_inputs_run_in_their_namespace_with_the_same_draws():
    # array-api-strict stands in for CuPy: the passes run in the inputs' namespace, with the
    # same NumPy-drawn normals, so a seeded run equals the NumPy run to rounding
    xps = pytest.importorskip("array_api_strict")
    rng = np.random.default_rng(3)
    X = rng.standard_normal((3, 5))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    leaky = {"activation": "leaky", "activation_params": {"slope": 0.5}, "c_sigma": 1.6, "sigma_b": 0.3}
    for sampler, kernel in (("gram", {}), ("explicit", {}), ("gram", leaky), ("explicit", leaky)):
        ref = monte_carlo("2_21_112", X, width=64, draws=3, seed=7, sampler=sampler, **kernel)
        res = monte_carlo("2_21_112", xps.asarray(X), width=64, draws=3, seed=7, sampler=sampler, **kernel)
        assert isinstance(res.mean, type(xps.asarray(1.0)))
        np.testing.assert_allclose(np.asarray(res.mean), ref.mean, rtol=1e-12)
        np.testing.assert_allclose(np.asarray(res.stderr), ref.stderr, rtol=1e-9, atol=1e-14)
        np.testing.assert_allclose(np.asarray(res.cross[(3, 1)]), ref.cross[(3, 1)], rtol=1e-12)
        np.testing.assert_allclose(np.asarray(res.means[2]), ref.means[2], rtol=1e-12)
