"""Cross-kernels K(X1, X2): the blocks of the joint set's kernel, in bounded memory, on every path."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dagnngp.numerics import inputs_to_gram, nngp, ntk
from dagnngp.numerics.cross import cross_kernel, kernel_diag, train_test_kernels

MOTIFS = ["2", "2_21_112", "1_01_222", "2_12_012_1111", "2_2(0.5)1_1(-2)12"]


def _sets(seed: int = 0, n1: int = 23, n2: int = 17, d: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Non-centred inputs with mixed signs (the exact model's means matter)."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n1, d)) + 0.4, rng.normal(size=(n2, d)) - 0.2


def _joint(motif: str, X1: np.ndarray, X2: np.ndarray, kind: str = "nngp", **kw) -> np.ndarray:
    K0, mu0 = inputs_to_gram(np.vstack([X1, X2]))
    if kw.get("edge") == "pre":
        mu0 = None
    if kind == "ntk":
        return ntk(motif, K0, mu0, backend="numpy", **kw).ntk
    return nngp(motif, K0, mu0, backend="numpy", **kw).output


def _rel(A: np.ndarray, B: np.ndarray) -> float:
    return float(np.max(np.abs(A - B)) / np.max(np.abs(B)))


def test_single_linear_edge_is_the_arccosine_kernel():
    """Motif "2" (X1 = sqrt(2/m) relu(W X0)): Cho and Saul's closed form, written out independently."""
    X1, X2 = _sets(1)
    K = cross_kernel("2", X1, X2)
    n1, n2 = np.linalg.norm(X1, axis=1), np.linalg.norm(X2, axis=1)
    cos = np.clip((X1 @ X2.T) / np.outer(n1, n2), -1, 1)
    theta = np.arccos(cos)
    expected = np.outer(n1, n2) * (np.sin(theta) + (math.pi - theta) * cos) / math.pi
    assert _rel(K, expected) < 1e-13


@pytest.mark.parametrize("motif", MOTIFS)
@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_cross_is_the_joint_block(motif, backend):
    X1, X2 = _sets(2)
    ref = _joint(motif, X1, X2)[: len(X1), len(X1):]
    assert _rel(cross_kernel(motif, X1, X2, backend=backend), ref) < 1e-13


@pytest.mark.parametrize("motif", MOTIFS[1:])
def test_numba_rectangle_beyond_one_chunk(motif):
    """More columns than one 256-wide chunk, uneven rows: every entry of the rectangle is the joint block."""
    X1, X2 = _sets(3, n1=37, n2=300, d=3)
    ref = _joint(motif, X1, X2)[:37, 37:]
    assert _rel(cross_kernel(motif, X1, X2, backend="numba"), ref) < 1e-13


@pytest.mark.parametrize("motif", ["2_21_112", "2_2(0.5)1_1(-2)12"])
def test_blocks_equal_one_call(motif):
    """A max_bytes that forces many joint blocks changes nothing (rectangular and symmetric)."""
    X1, X2 = _sets(4, n1=31, n2=19)
    joint = _joint(motif, X1, X2)
    small = 8 * (_n_nodes(motif) + 4) * 12**2  # joint blocks of 12 inputs
    K = cross_kernel(motif, X1, X2, backend="numpy", max_bytes=small)
    assert _rel(K, joint[:31, 31:]) < 1e-13
    S = cross_kernel(motif, X1, None, backend="numpy", max_bytes=small)
    assert _rel(S, joint[:31, :31]) < 1e-13
    np.testing.assert_array_equal(S, S.T)


def _n_nodes(motif: str) -> int:
    from dagnngp import Motif

    return Motif.parse(motif).n_nodes


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize("readout", [True, False])
@pytest.mark.parametrize("edge", ["post", "pre"])
def test_ntk_cross_is_the_joint_block(readout, edge, backend):
    X1, X2 = _sets(5, n1=13, n2=9)
    for motif in ("2_21_112", "2_2(0.5)1_1(-2)12"):
        ref = _joint(motif, X1, X2, kind="ntk", readout=readout, edge=edge)
        K = cross_kernel(motif, X1, X2, kind="ntk", readout=readout, edge=edge, backend=backend)
        assert _rel(K, ref[:13, 13:]) < 1e-12
        if backend == "numpy":
            Kb = cross_kernel(motif, X1, X2, kind="ntk", readout=readout, edge=edge, backend=backend,
                              max_bytes=8 * 3 * (_n_nodes(motif) + 4) * 8**2)
            assert _rel(Kb, ref[:13, 13:]) < 1e-13


@pytest.mark.parametrize("edge", ["post", "pre"])
def test_numba_ntk_rectangle_beyond_one_chunk(edge):
    X1, X2 = _sets(12, n1=21, n2=290, d=3)
    for motif in ("2_21_112", "2_12_012_1111"):
        ref = _joint(motif, X1, X2, kind="ntk", edge=edge, sigma_b=0.2)[:21, 21:]
        K = cross_kernel(motif, X1, X2, kind="ntk", edge=edge, sigma_b=0.2, backend="numba")
        assert _rel(K, ref) < 1e-12
        k = train_test_kernels(motif, X2, X1, kind="ntk", edge=edge, sigma_b=0.2, max_bytes=8 * 30 * 200**2)
        assert _rel(k.test_train["ntk"], ref) < 1e-12  # blocked train/test: the rectangle for test x train


def test_options_reach_the_engine():
    X1, X2 = _sets(6)
    kw = dict(model="paper", c_sigma=1.5, sigma_b=0.3)
    with pytest.warns(Warning):
        ref = _joint("2_21_112", X1, X2, **kw)[:23, 23:]
    with pytest.warns(Warning):  # c_sigma = 1.5 does not preserve ReLU's variance
        assert _rel(cross_kernel("2_21_112", X1, X2, backend="numba", **kw), ref) < 1e-13
    ref = _joint("2_21_112", X1, X2, activation="step")[:23, 23:]
    assert _rel(cross_kernel("2_21_112", X1, X2, activation="step"), ref) < 1e-13


def test_diagonal_and_train_test_kernels():
    X1, X2 = _sets(7, n1=20, n2=11)
    joint = _joint("2_21_112", X1, X2, kind="ntk")
    K0, mu0 = inputs_to_gram(np.vstack([X1, X2]))
    joint_nngp = nngp("2_21_112", K0, mu0).output
    np.testing.assert_allclose(kernel_diag("2_21_112", X1, block=7), np.diag(joint_nngp)[:20], rtol=1e-13)
    np.testing.assert_allclose(kernel_diag("2_21_112", X1, kind="ntk"), np.diag(joint)[:20], rtol=1e-13)
    for max_bytes in (None, 8 * 24 * 10**2):  # one joint call, then blocks of 10
        kw = {} if max_bytes is None else {"max_bytes": max_bytes}
        for full in (True, False):
            k = train_test_kernels("2_21_112", X1, X2, kind="ntk", full_test=full, **kw)
            assert _rel(k.train["ntk"], joint[:20, :20]) < 1e-13
            assert _rel(k.test_train["ntk"], joint[20:, :20]) < 1e-13
            assert _rel(k.train["nngp"], joint_nngp[:20, :20]) < 1e-13
            test = joint[20:, 20:] if full else np.diag(joint)[20:]
            assert _rel(k.test["ntk"], test) < 1e-13


def test_array_api_inputs_stay_in_their_library():
    xps = pytest.importorskip("array_api_strict")
    X1, X2 = _sets(8, n1=9, n2=6)
    K = cross_kernel("2_21_112", xps.asarray(X1), xps.asarray(X2))
    assert type(K).__module__.startswith("array_api_strict")
    ref = _joint("2_21_112", X1, X2)[:9, 9:]
    assert _rel(np.asarray(K), ref) < 1e-12
    Kb = cross_kernel("2_21_112", xps.asarray(X1), xps.asarray(X2), max_bytes=8 * 8 * 6**2)
    assert _rel(np.asarray(Kb), ref) < 1e-12


def test_inputs_to_gram_of_two_sets():
    X1, X2 = _sets(9, n1=5, n2=3)
    K12, mu1, mu2 = inputs_to_gram(X1, X2)
    np.testing.assert_allclose(K12, X1 @ X2.T, rtol=1e-15)
    np.testing.assert_allclose(mu1, X1.sum(axis=1) / 2, rtol=1e-15)  # width d = 4
    np.testing.assert_allclose(mu2, X2.sum(axis=1) / 2, rtol=1e-15)
    K12, mu1, mu2 = inputs_to_gram(X1, X2, width=16)
    np.testing.assert_allclose(mu2, X2.sum(axis=1) / 4, rtol=1e-15)
    K0, mu0 = inputs_to_gram(X1, 16)  # an int in second place is still the width
    np.testing.assert_allclose(mu0, X1.sum(axis=1) / 4, rtol=1e-15)
    with pytest.raises(ValueError, match="same number of features"):
        inputs_to_gram(X1, X2[:, :3])
    with pytest.raises(ValueError, match="X2 has a non-finite"):
        inputs_to_gram(X1, np.full((2, 4), np.nan))
    with pytest.raises(ValueError, match="width is given twice"):
        inputs_to_gram(X1, 8, width=8)


@pytest.mark.parametrize(("call", "match"), [
    (lambda X1, X2: cross_kernel("2_21_112", X1, X2, kind="gram"), "kind='gram' is not known"),
    (lambda X1, X2: cross_kernel("2_21_112", X1, X2[:, :2]), "same number of features"),
    (lambda X1, X2: cross_kernel("2_21_112", X1, np.where(X2 > 1, np.inf, X2)), "X2 has a non-finite"),
    (lambda X1, X2: cross_kernel("2_21_112", X1, X2, max_bytes=100), "max_bytes=100 is too small"),
    (lambda X1, X2: cross_kernel("2_21_112", X1, X2, max_bytes=0), "max_bytes must be a positive int"),
    (lambda X1, X2: cross_kernel("2_21_112", X1, X2, edge="mid"), "edge='mid' is not known"),
    (lambda X1, X2: cross_kernel("2_21_112", X1, X2, width=2), "width=2 is smaller"),
    (lambda X1, X2: cross_kernel("2_21_112", X1, X2, backend="cuda"), "backend='cuda' is not known"),
    (lambda X1, X2: cross_kernel("2_21_112", X1[0], X2), "X1 must be a 2-D array"),
    (lambda X1, X2: kernel_diag("2_21_112", X1, block=0), "block must be a positive int"),
])
def test_bad_input_is_a_clear_error(call, match):
    X1, X2 = _sets(10)
    with pytest.raises(ValueError, match=match):
        call(X1, X2)


def test_overflow_is_reported_not_returned():
    X1, X2 = _sets(11, n1=150, n2=100)
    with pytest.raises(ValueError, match="overflowed"), pytest.warns(Warning):
        cross_kernel("2_02_002_0002", X1, X2, c_sigma=1e120, backend="numba")
