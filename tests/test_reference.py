"""The NumPy NNGP reference: spec tables, closed forms, an independent exact model, properties."""

from __future__ import annotations

import re

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from references import FIVE_DECIMALS, SPEC_DAG_TABLE, h_mp

from dagnngp import Motif, Op
from dagnngp.numerics import (
    inputs_to_gram,
    least_eigenvalue,
    min_pair_gap,
    nngp,
    pair_gap,
    pair_gram,
    relu_dual,
    relu_mean,
)
from dagnngp.proofs_check.strategies import general_grams, motifs, psd_grams, unit_centred_inputs

DAG1, DAG2, DAG3 = "2_02_002", "1_01_222", "2_21_112"

# spec §2.3 test vectors: C -> (dag1, dag2, dag3 true 2x2 paper model, dag3 exact model)
SPEC_TABLE = {C: (row[0], row[1], row[3], row[4]) for C, row in SPEC_DAG_TABLE.items()}


def gap(motif, C, model):
    K0, mu0 = pair_gram(C)
    return pair_gap(nngp(motif, K0, mu0, model=model).output, 0, 1)


@pytest.mark.parametrize("C", sorted(SPEC_TABLE))
def test_spec_test_vectors(C):
    d1, d2, d3, d3_exact = SPEC_TABLE[C]
    assert gap(DAG1, C, "paper") == pytest.approx(d1, abs=FIVE_DECIMALS)
    assert gap(DAG2, C, "paper") == pytest.approx(d2, abs=FIVE_DECIMALS)
    assert gap(DAG3, C, "paper") == pytest.approx(d3, abs=FIVE_DECIMALS)
    # DAG#1 and DAG#2 2x2 gaps are the same in both models (spec §2.4)
    assert gap(DAG1, C, "exact") == pytest.approx(d1, abs=FIVE_DECIMALS)
    assert gap(DAG2, C, "exact") == pytest.approx(d2, abs=FIVE_DECIMALS)
    if d3_exact is not None:
        assert gap(DAG3, C, "exact") == pytest.approx(d3_exact, abs=FIVE_DECIMALS)


def test_exact_closed_forms():
    with mpmath.workdps(40):
        pi = mpmath.pi
        dag2_diag = 3 + 6 / pi
        dag3_diag = 4 + 2 / pi + (2 / pi) * mpmath.sqrt(2 + 2 / pi)
        for C in (-0.9, -0.3, 0.0, 0.4, 0.77):
            K0, mu0 = pair_gram(C)
            K2 = nngp(DAG2, K0, mu0).output
            K3 = nngp(DAG3, K0, mu0).output
            assert K2[0, 0] == pytest.approx(float(dag2_diag), rel=1e-12, abs=0)
            assert K3[0, 0] == pytest.approx(float(dag3_diag), rel=1e-12, abs=0)
            # spec §2.4: DAG#3 off-diagonal with C2 = (pi h(C) + 1) / (pi + 1)
            Cm = mpmath.mpf(C)
            C2 = (pi * h_mp(Cm) + 1) / (pi + 1)
            off = (2 + 2 / pi) * h_mp(C2) + h_mp(Cm) + Cm + (2 / pi) * mpmath.sqrt(2 + 2 / pi)
            assert K3[0, 1] == pytest.approx(float(off), rel=1e-12)
            # DAG#2: K3 = 3 f(K0) + 6/pi 11^T
            assert K2[0, 1] == pytest.approx(float(3 * h_mp(Cm) + 6 / pi), rel=1e-12)


def test_paper_example_diagonals_in_both_models():
    K0, _ = pair_gram(0.2)
    assert nngp("1_12_112", K0).output[0, 0] == pytest.approx(6.0, rel=1e-14)  # skip-skip merge
    assert nngp("1_12_112", K0, model="paper").output[0, 0] == pytest.approx(4.0, rel=1e-14)


def skip_path_counts(m: Motif) -> np.ndarray:
    """n[s, t] = number of all-skip paths from s to t (n[t, t] = 1)."""
    n = np.zeros((m.n_nodes, m.n_nodes))
    for t in range(m.n_nodes):
        n[t, t] = 1
        for s in range(t):
            n[:, t] += n[:, s] * (m.op(s, t) is Op.SKIP)
    return n


def exact_by_edge_decomposition(m: Motif, K0, mu0, c_sigma=2.0, sigma_b=0.0):
    """An independent formulation of the exact limit.

    Every node is ``X_t = n(0,t) X_0 + sum_e n(target(e), t) Z_e`` over linear edges ``e``,
    with ``n`` counting all-skip paths.  In the limit ``<Z_e, Z_e> = f(K_source + sigma_b^2)``,
    ``<Z_e, Z_e'> = a_e a_e'^T`` for ``e != e'`` (independent weights) and
    ``<Z_e, X_0> = a_e mu0^T``, with ``a_e`` the mean for pre-activation variance ``K_ii + sigma_b^2``.
    """
    n = skip_path_counts(m)
    K = {0: K0}
    mu = {0: mu0}
    linear = [(s, t) for s, t, op in m.edges() if op is Op.LINEAR]
    for t in range(1, m.n_nodes):
        into = [(e, n[e[1], t]) for e in linear if e[1] <= t and n[e[1], t] > 0]
        sb2 = sigma_b * sigma_b
        f = {e: relu_dual(K[e[0]] + sb2, c_sigma) for e, _ in into}
        a = {e: relu_mean(np.diagonal(K[e[0]]) + sb2, c_sigma) for e, _ in into}
        Kt = n[0, t] ** 2 * K0
        mut = n[0, t] * mu0
        for e, w in into:
            Kt = Kt + w * w * f[e] + n[0, t] * w * (np.outer(mu0, a[e]) + np.outer(a[e], mu0))
            mut = mut + w * a[e]
            for e2, w2 in into:
                if e2 != e:
                    Kt = Kt + w * w2 * np.outer(a[e], a[e2])
        K[t], mu[t] = Kt, mut
    return K, mu


@settings(max_examples=120, deadline=None)
@given(motifs(max_nodes=7), general_grams((1, 5)), st.sampled_from([1.0, 2.0]),
       st.sampled_from([0.0, 0.1, 1.0, 30.0]))
def test_exact_model_matches_edge_decomposition(m, inputs, c_sigma, sigma_b):
    # general inputs: mixed signs, non-zero means, any norms, rank-deficient sets; with a bias
    K0, mu0 = inputs
    res = nngp(m, K0, mu0, c_sigma=c_sigma, sigma_b=sigma_b, all_nodes=True)
    K_ref, mu_ref = exact_by_edge_decomposition(m, K0, mu0, c_sigma, sigma_b)
    for t in range(m.n_nodes):
        scale = max(1.0, float(np.abs(K_ref[t]).max()))
        np.testing.assert_allclose(res.nodes[t], K_ref[t], rtol=1e-12, atol=1e-12 * scale)
        np.testing.assert_allclose(res.means[t], mu_ref[t], rtol=1e-12, atol=1e-12 * scale)


@settings(max_examples=150, deadline=None)
@given(motifs(max_nodes=8), st.one_of(psd_grams((1, 6)).map(lambda K: (K, None)), general_grams((1, 6))),
       st.sampled_from(["exact", "paper"]))
def test_every_node_gram_is_symmetric_psd(m, inputs, model):
    K0, mu0 = inputs
    res = nngp(m, K0, mu0, model=model, all_nodes=True)
    for t, K in res.nodes.items():
        assert np.all(np.isfinite(K)), t
        np.testing.assert_array_equal(K, K.T)
        scale = max(1.0, float(np.abs(K).max()))
        assert np.linalg.eigvalsh(K)[0] >= -1e-12 * scale, (t, str(m))


@settings(max_examples=150, deadline=None)
@given(motifs(max_nodes=8), unit_centred_inputs((2, 5)))
def test_paper_model_diagonal_is_number_of_paths(m, inputs):
    K0, _ = inputs
    out = nngp(m, K0, model="paper").output
    np.testing.assert_allclose(np.diagonal(out), m.n_paths, rtol=1e-13, atol=1e-13)


@settings(max_examples=100, deadline=None)
@given(motifs(max_nodes=8), st.one_of(unit_centred_inputs((2, 6)), general_grams((2, 6))),
       st.sampled_from(["exact", "paper"]))
def test_least_eigenvalue_never_exceeds_pair_gap(m, inputs, model):
    # Lemma 3.3 (interlacing), on unit centred inputs and on any real inputs
    K0, mu0 = inputs
    out = nngp(m, K0, mu0, model=model).output
    scale = max(1.0, float(np.abs(out).max()))
    assert least_eigenvalue(out) <= min_pair_gap(out)[0] + 1e-12 * scale


@settings(max_examples=100, deadline=None)
@given(motifs(max_nodes=8), unit_centred_inputs((1, 5), centred=False), st.sampled_from(["exact", "paper"]))
def test_float32_agrees_with_float64(m, inputs, model):
    K0, mu0 = inputs
    out64 = nngp(m, K0, mu0, model=model).output
    res32 = nngp(m, K0.astype(np.float32), mu0.astype(np.float32), model=model)
    assert res32.output.dtype == np.float32
    scale = max(1.0, float(np.abs(out64).max()))
    np.testing.assert_allclose(res32.output, out64, rtol=0, atol=64 * np.finfo(np.float32).eps * scale)


@settings(max_examples=60, deadline=None)
@given(motifs(max_nodes=6), general_grams((1, 4)), st.floats(1e-2, 1e2))
def test_kernel_is_positively_homogeneous(m, inputs, alpha):
    # scaling the inputs by sqrt(alpha) scales every Gram by alpha and every mean by sqrt(alpha)
    K0, mu0 = inputs
    base = nngp(m, K0, mu0)
    scaled = nngp(m, alpha * K0, np.sqrt(alpha) * mu0)
    scale = max(1.0, float(np.abs(base.output).max()))
    np.testing.assert_allclose(scaled.output, alpha * base.output, rtol=1e-12, atol=1e-12 * alpha * scale)
    np.testing.assert_allclose(scaled.output_mean, np.sqrt(alpha) * base.output_mean, rtol=1e-12,
                               atol=1e-12 * np.sqrt(alpha * scale))


def test_unreachable_nodes_and_zero_rows():
    K0, mu0 = pair_gram(0.3)
    out = nngp("0_20_112", K0).output  # node 1 receives nothing, feeds node 3
    ref = nngp("0_20_102", K0).output
    np.testing.assert_allclose(out, ref, rtol=1e-15)
    X = np.array([[1.0, -1.0, 0.0], [0.0, 0.0, 0.0], [0.5, 0.5, -1.0]])
    K0, mu0 = inputs_to_gram(X)
    out = nngp(DAG3, K0, mu0).output
    assert np.all(np.isfinite(out)) and np.all(out[1] == 0) and np.all(out[:, 1] == 0)


def test_duplicate_and_antipodal_inputs():
    x = np.array([0.6, -0.8, 0.0])
    X = np.stack([x, x, -x])
    K0, mu0 = inputs_to_gram(X)
    for model in ("exact", "paper"):
        out = nngp(DAG3, K0, mu0, model=model).output
        assert np.all(np.isfinite(out))
        assert out[0, 1] == pytest.approx(out[0, 0], rel=1e-14)  # duplicates stay duplicates
        assert least_eigenvalue(out) == pytest.approx(0.0, abs=1e-12)


def test_inputs_to_gram_places_inputs_in_a_wider_node():
    X = np.array([[3.0, 4.0]])
    K0, mu0 = inputs_to_gram(X, width=25)
    assert K0.tolist() == [[25.0]] and mu0.tolist() == [7.0 / 5.0]


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"K0": [[1.0, 2.0], [2.0, 1.0]]}, "not positive semi-definite"),
        ({"K0": [[1.0, np.nan], [np.nan, 1.0]]}, "non-finite"),
        ({"K0": [[1.0, 0.2], [0.3, 1.0]]}, "not symmetric"),
        ({"K0": [[1.0, 0.0, 0.0]]}, "square"),
        ({"K0": np.zeros((0, 0))}, "empty"),
        ({"K0": [[-1.0]]}, "negative diagonal"),
        ({"K0": [[2.0, 1.9, -1.9], [1.9, 2.0, 1.9], [-1.9, 1.9, 2.0]], "check_psd": True},
         "least eigenvalue"),
        ({"K0": [["a", "b"], ["c", "d"]]}, "real numbers"),
        ({"mu0": [0.0, 0.0, 0.0]}, "shape (2,)"),
        ({"mu0": [2.0, 0.0]}, "impossible"),
        ({"mu0": [np.inf, 0.0]}, "non-finite"),
        ({"model": "ntk"}, "model='ntk'"),
        ({"c_sigma": -2.0}, "c_sigma"),
        ({"c_sigma": float("nan")}, "c_sigma"),
        ({"sigma_b": -1.0}, "sigma_b"),
        ({"activation": "tanh"}, "activation='tanh'"),
    ],
)
def test_bad_input_is_reported(kwargs, fragment):
    args = {"K0": [[1.0, 0.5], [0.5, 1.0]]} | kwargs
    K0 = args.pop("K0")
    with pytest.raises(ValueError) as info:
        nngp(DAG3, K0, **args)
    assert fragment in str(info.value)


def test_bad_motif_and_inputs():
    with pytest.raises(ValueError, match="group 2"):
        nngp("2_2_112", np.eye(2))
    with pytest.raises(ValueError, match="Motif or a motif string"):
        nngp(3, np.eye(2))
    with pytest.raises(ValueError, match="2-D array"):
        inputs_to_gram([1.0, 2.0])
    with pytest.raises(ValueError, match="smaller than the input dimension"):
        inputs_to_gram(np.eye(3), width=2)
    with pytest.raises(ValueError, match="correlation"):
        pair_gram(1.5)


def test_default_validation_is_quadratic_and_the_eigenvalue_test_is_on_request():
    # every 2x2 minor of this matrix is PSD, the whole is not: only check_psd=True sees it
    K = [[2.0, 1.9, -1.9], [1.9, 2.0, 1.9], [-1.9, 1.9, 2.0]]
    assert np.linalg.eigvalsh(np.array(K))[0] < 0
    nngp("2", K, backend="numpy")
    with pytest.raises(ValueError, match="least eigenvalue"):
        nngp("2", K, backend="numpy", check_psd=True)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize(("kwargs", "culprit"), [({"c_sigma": 1e300}, "c_sigma=1e+300"),
                                                 ({"sigma_b": 1e200}, "sigma_b=1e+200")])
def test_an_overflowing_kernel_is_an_error_that_names_its_cause(backend, kwargs, culprit):
    K = np.array([[1.0, 0.5], [0.5, 1.0]])
    with pytest.raises(ValueError, match=f"overflowed float64.*{re.escape(culprit)}"):
        nngp(DAG3, K, backend=backend, **kwargs)
