"""The public Hypothesis strategies: any inputs a real network can see, drawn as values so they shrink."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import find, given, settings

from dagnngp.numerics.reference import inputs_to_gram, nngp
from dagnngp.proofs_check.strategies import general_grams, general_inputs


def lam(motif: str, K0: np.ndarray, mu0: np.ndarray) -> float:
    return float(np.linalg.eigvalsh(nngp(motif, K0, mu0, backend="numpy").output)[0])


def skip_lowers(inputs: tuple[np.ndarray, np.ndarray]) -> bool:
    K0, mu0 = inputs
    return lam("1_12", K0, mu0) < lam("1_02", K0, mu0) - 1e-3


FIND = settings(max_examples=500, derandomize=True, database=None)


def test_general_grams_find_the_skip_edge_counterexample_and_shrink_it():
    K0, mu0 = find(general_grams(n_inputs=(1, 4), dim=(1, 4)), skip_lowers, settings=FIND)
    # shrunk towards one input with a negative mean (the skip edge's cross term lowers the diagonal
    # itself); where the shrinker stops depends on its path, so "small" is at most two inputs
    assert K0.shape[0] <= 2 and mu0.min() < 0
    K0, mu0 = find(general_grams(n_inputs=2, dim=(1, 4)), skip_lowers, settings=FIND)
    assert K0.shape == (2, 2) and (mu0 < 0).any()


def test_centred_inputs_cannot_find_it():
    """With mu0 = 0 the counterexample disappears (the 4-node census of the check API agrees)."""
    with pytest.raises(Exception, match="No examples found"):
        find(general_grams(n_inputs=(2, 3), dim=(2, 4), centred=True), skip_lowers,
             settings=settings(max_examples=150, derandomize=True, database=None))


def test_rank_deficient_and_degenerate_sets_are_drawn():
    K0, _ = find(general_grams(n_inputs=3, dim=(3, 5)),
                 lambda g: np.linalg.matrix_rank(g[0], tol=1e-9 * max(1.0, np.abs(g[0]).max())) < 3,
                 settings=FIND)
    assert np.linalg.matrix_rank(K0) < 3
    X = find(general_inputs(n_inputs=3, dim=3),
             lambda X: np.array_equal(X[0], -X[1]) and np.abs(X[0]).max() > 1e-3, settings=FIND)
    np.testing.assert_array_equal(X[0], -X[1])


@settings(max_examples=60, derandomize=True)
@given(general_inputs(n_inputs=(1, 5), dim=(1, 6)))
def test_grams_are_what_inputs_to_gram_forms_and_what_real_inputs_allow(X):
    K0, mu0 = inputs_to_gram(X)
    np.testing.assert_array_equal(K0, X @ X.T)
    scale = max(1.0, float(np.abs(K0).max()))
    # K0 - mu0 mu0^T = X (I - 11^T/d) X^T is PSD for every real input set
    assert np.linalg.eigvalsh(K0 - np.outer(mu0, mu0))[0] >= -1e-12 * scale


@settings(max_examples=40, derandomize=True)
@given(general_grams(n_inputs=(1, 4), dim=(2, 4), centred=True))
def test_centred_grams_have_zero_means(g):
    K0, mu0 = g
    assert np.abs(mu0).max(initial=0.0) <= 1e-12 * max(1.0, float(np.abs(K0).max()))


def test_width_pads_the_inputs_as_inputs_to_gram_does():
    X = find(general_inputs(n_inputs=2, dim=2), lambda X: X.sum() > 0.5, settings=FIND)
    (K_pad, mu_pad) = find(general_grams(n_inputs=2, dim=2, width=8), lambda g: g[1].sum() > 0.5 / np.sqrt(8),
                          settings=FIND)
    assert mu_pad.shape == (2,)
    K_ref, mu_ref = inputs_to_gram(X, width=8)
    assert np.allclose(mu_ref * np.sqrt(8), X.sum(axis=1))


@pytest.mark.parametrize("kwargs, fragment", [
    ({"dim": 1, "centred": True}, "need dim >= 2"),
    ({"width": 3, "dim": (1, 6)}, "width must be an int >= the largest dim 6"),
    ({"n_inputs": 0}, "n_inputs must be"),
    ({"max_scale": 0.5}, "max_scale must be >= 1"),
])
def test_bad_arguments(kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        general_grams(**kwargs)
