"""The Numba kernel's NTK, pre-activation edges and weighted motifs, against mpmath and the NumPy reference.

The mpmath reference runs each motif's program (:func:`dagnngp.theory.program.compile_program`) on
object arrays of mpmath numbers at 50 digits (the executor of :mod:`dagnngp.numerics.engine`), with
the ReLU maps written here from their closed forms: the dual map
``c/2 sqrt(P_ii P_jj) (sqrt(1 - C^2) + (pi - arccos C) C) / pi`` and the derivative map
``c/2 (1 - arccos(C) / pi)``, and the two edge conventions as the docs state them.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from references import DAG1, DAG2, DAG3

from dagnngp.motif import Motif, Op
from dagnngp.numerics import inputs_to_gram, ntk
from dagnngp.numerics.engine import run_program
from dagnngp.numerics.numba_encode import encode_program
from dagnngp.proofs_check.strategies import motifs
from dagnngp.theory.program import compile_program


def _mp_maps(c_sigma: float, sigma_b: float, edge: str):
    """``(dual, mean, tangent)`` of the program's instructions on object arrays of mpmath numbers."""
    half = mpmath.mpf(c_sigma) / 2
    sb2 = mpmath.mpf(sigma_b) ** 2
    post = edge == "post"

    def entrywise(P, f):
        n = P.shape[0]
        out = np.empty((n, n), dtype=object)
        for i in range(n):
            for j in range(n):
                s = mpmath.sqrt(max(P[i, i], 0) * max(P[j, j], 0))
                if s == 0:
                    out[i, j] = mpmath.mpf(0)
                else:
                    out[i, j] = f(s, min(max(P[i, j] / s, mpmath.mpf(-1)), mpmath.mpf(1)))
        return out

    def dual(K):
        out = entrywise(K + sb2 if post else K,
                        lambda s, C: half * s * (mpmath.sqrt(1 - C * C) + (mpmath.pi - mpmath.acos(C)) * C)
                        / mpmath.pi)
        return out if post else out + sb2

    def mean(K):
        return np.array([mpmath.sqrt(half * max(K[i, i] + sb2, 0) / mpmath.pi) for i in range(K.shape[0])],
                        dtype=object)

    def tangent(K, theta):
        P = K + sb2 if post else K
        D = entrywise(P, lambda s, C: half * (1 - mpmath.acos(C) / mpmath.pi))
        if post:
            return D * P if theta is None else D * (P + theta)
        return D * theta

    return dual, mean, tangent


def _mp_ntk(motif, K0, mu0, model, edge, readout, c_sigma=2.0, sigma_b=0.0):
    """``(NTK, NNGP)`` of the output as object arrays of 50-digit mpmath numbers."""
    p = compile_program(motif, model, edge, ntk=True, readout=readout)
    to_mp = np.vectorize(mpmath.mpf, otypes=[object])
    dual, mean, tangent = _mp_maps(c_sigma, sigma_b, edge)
    pairs, _ = run_program(p, to_mp(K0), to_mp(mu0), dual, mean, tangent=tangent)
    return pairs[p.ntk_output], pairs[p.output]


def _worst_rel(got: np.ndarray, ref: np.ndarray) -> float:
    n = ref.shape[0]
    return max(float(abs((mpmath.mpf(float(got[i, j])) - ref[i, j]) / ref[i, j]))
               for i in range(n) for j in range(n))


# distances 1 - C down to 1e-15, and correlations near -1.  The input norms are equal up to powers
# of two, so that the inputs' correlations K_ij / sqrt(K_ii K_jj) are exact in float64 (otherwise
# the first layer's 1 - C is only known to ~1e-16, and the derivative map turns that into ~1e-10)
EPS = [1e-15, 3e-14, 1e-12, 1e-9, 1e-6, 1e-3, 0.5, 1.5, 2 - 1e-9]


@pytest.mark.parametrize("motif", [DAG1, DAG2, DAG3, "1_12_112", "2(0.5)_21(0.7)_112(-1.5)"])
@pytest.mark.parametrize("edge", ["post", "pre"])
def test_ntk_matches_mpmath_to_1e_12_as_c_tends_to_one(motif, edge):
    # three inputs: two of unit norm at correlation C and a third of norm 2 at nearly the same
    # direction, so the roots differ and the gaps are not plain 1 - C
    worst = 0.0
    with mpmath.workdps(50):
        for eps in EPS:
            C = 1.0 - eps
            K0 = np.array([[1.0, C, 2 * C], [C, 1.0, 2.0], [2 * C, 2.0, 4.0]])
            for model in ("exact", "paper"):
                for readout in (True, False):
                    got = ntk(motif, K0, model=model, edge=edge, readout=readout, backend="numba")
                    ref_ntk, ref_nngp = _mp_ntk(motif, K0, np.zeros(3), model, edge, readout)
                    worst = max(worst, _worst_rel(got.ntk, ref_ntk), _worst_rel(got.nngp, ref_nngp))
    assert worst <= 1e-12, worst


@pytest.mark.parametrize("edge", ["post", "pre"])
@pytest.mark.filterwarnings("ignore:c_sigma=1.5 does not preserve")
def test_ntk_matches_mpmath_with_bias_other_c_sigma_and_non_zero_means(edge):
    worst = 0.0
    with mpmath.workdps(50):
        for eps in (1e-15, 1e-11, 1e-6, 0.3):
            C = 1.0 - eps
            K0 = np.array([[1.0, C, 2 * C], [C, 1.0, 2.0], [2 * C, 2.0, 4.0]])
            mu0 = np.array([0.4, 0.4, 0.8]) if edge == "post" else np.zeros(3)
            for motif in (DAG3, "1_12_112", "2_11_011"):
                got = ntk(motif, K0, mu0, model="exact", edge=edge, c_sigma=1.5, sigma_b=0.6, backend="numba")
                ref_ntk, ref_nngp = _mp_ntk(motif, K0, mu0, "exact", edge, True, 1.5, 0.6)
                worst = max(worst, _worst_rel(got.ntk, ref_ntk), _worst_rel(got.nngp, ref_nngp))
    assert worst <= 1e-12, worst


@pytest.mark.parametrize("edge", ["post", "pre"])
def test_duplicate_inputs_get_the_value_at_c_equal_one(edge):
    # a duplicate pair has C = 1 exactly in every layer: its NTK entry equals the diagonal
    X = np.random.default_rng(2).standard_normal((6, 3))
    X[4] = X[1]
    K0, _ = inputs_to_gram(X)
    for motif in (DAG1, DAG3, "1_12_112"):
        got = ntk(motif, K0, edge=edge, backend="numba")
        assert got.ntk[1, 4] == got.ntk[4, 1]
        assert abs(got.ntk[1, 4] - got.ntk[1, 1]) <= 4e-16 * got.ntk[1, 1]
        assert abs(got.nngp[1, 4] - got.nngp[1, 1]) <= 4e-16 * got.nngp[1, 1]


_WEIGHTS = st.sampled_from([1.0, 1.0, 0.5, -0.7, 2.0, 3 ** -0.5])


@st.composite
def _weighted(draw, m: Motif) -> Motif:
    if not draw(st.booleans()):
        return m
    weights = tuple(tuple(1.0 if op is Op.ZERO else draw(_WEIGHTS) for op in row) for row in m.ops)
    return Motif(m.ops, weights)


def _compare(m, K0, mu0, model, edge, readout, c_sigma, sigma_b, rtol=1e-13) -> None:
    kw = dict(model=model, edge=edge, readout=readout, c_sigma=c_sigma, sigma_b=sigma_b)
    ref = ntk(m, K0, mu0, backend="numpy", **kw)
    got = ntk(m, K0, mu0, backend="numba", **kw)
    # the derivative map has a square-root singularity at C = +-1: an input rounding of one ulp moves the
    # NTK by ~ulp / sqrt(1 - |C|), whichever backend computes it, so near-parallel pairs get that much more
    d0 = np.maximum(np.diagonal(K0), 0.0)
    s0 = np.sqrt(np.multiply.outer(d0, d0))
    c0 = np.abs(np.divide(K0, s0, out=np.zeros_like(K0), where=s0 > 0))
    cond = {"ntk": 1.0 + 1e-3 / np.sqrt(np.maximum(1.0 - c0, 1e-30)), "nngp": 1.0}
    for what, g, r in (("ntk", got.ntk, ref.ntk), ("nngp", got.nngp, ref.nngp)):
        d = np.maximum(np.diagonal(r), 0.0)
        scale = np.sqrt(np.multiply.outer(d, d)) * cond[what]  # entries compared at their natural scale
        err = np.abs(g - r)
        worst = np.max(err / np.where(scale > 0, scale, 1.0))
        assert np.all(err <= rtol * scale), f"{m} {kw} {what}: worst {worst}"
        assert g.dtype == K0.dtype
    assert np.all(np.abs(got.output_mean - ref.output_mean) <= rtol * np.sqrt(np.diagonal(ref.nngp)))
    assert (got.readout, got.edge) == (readout, edge)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(m=motifs(2, 6), data=st.data(), seed=st.integers(0, 2**32 - 1), n=st.integers(1, 10),
       d=st.integers(2, 6), offset=st.sampled_from([0.0, 0.0, 0.7, -1.5]),
       model=st.sampled_from(["exact", "paper"]), edge=st.sampled_from(["post", "pre"]),
       readout=st.booleans(), c_sigma=st.sampled_from([2.0, 1.0, 3.5]),
       sigma_b=st.sampled_from([0.0, 0.0, 0.7]))
def test_numba_ntk_agrees_with_numpy_on_drawn_motifs(m, data, seed, n, d, offset, model, edge, readout,
                                                     c_sigma, sigma_b):
    # inputs from a continuous distribution in d >= 2 dimensions: no two are parallel (where C = 1
    # exactly, the NumPy reference's C is off by an ulp and its derivative map by ~1e-8; see
    # test_duplicate_inputs_get_the_value_at_c_equal_one)
    m = data.draw(_weighted(m))
    X = np.random.default_rng(seed).standard_normal((n, d)) + offset
    K0, mu0 = inputs_to_gram(X, width=d + 2)
    if edge == "pre":
        mu0 = None
    _compare(m, K0, mu0, model, edge, readout, c_sigma, sigma_b)


@pytest.mark.parametrize("n", [1, 2, 255, 256, 257, 515])
def test_numba_ntk_agrees_across_chunk_boundaries_with_a_zero_row(n):
    rng = np.random.default_rng(n)
    X = np.abs(rng.standard_normal((n, 9)))
    if n > 3:
        X[3] = 0.0  # zero row: no gradient passes through it
    K0, mu0 = inputs_to_gram(X, width=12)
    for code in (DAG3, "2_12_121_2112_21112_121212"):
        _compare(Motif.parse(code), K0, mu0, "exact", "post", True, 2.0, 0.3)
        _compare(Motif.parse(code), K0, None, "exact", "pre", False, 2.0, 0.3)


def test_ntk_encoding_shares_one_angle_per_source_and_drops_what_the_outputs_do_not_need():
    # DAG#3: two linear sources (X0 and X2); each map writes its dual map and its Tangent
    enc = encode_program(DAG3, "exact", ntk=True)
    maps = enc.main[enc.main[:, 0] == 0]
    assert len(maps) == 2 and np.all(maps[:, 8] >= 0)
    # one linear edge, no readout: only the Tangent is read (the dual map goes to an unread slot)
    enc = encode_program("2", "exact", ntk=True, readout=False)
    assert enc.main.shape[0] == 1 and enc.ntk_slot == enc.main[0, 8] != enc.out_slot
    # the NNGP alone carries no gaps
    assert encode_program(DAG3, "exact").ek0_slot == -1


def test_default_backend_takes_numba_for_the_ntk_of_many_inputs(monkeypatch):
    from dagnngp.numerics import numba_program

    calls = []
    kernel = numba_program.kernel_fused
    monkeypatch.setattr(numba_program, "kernel_fused", lambda *a, **k: calls.append(k) or kernel(*a, **k))
    X = np.random.default_rng(1).standard_normal((300, 4))
    K0, _ = inputs_to_gram(X)
    got = ntk(DAG3, K0, edge="pre")  # N = 300 > NUMPY_MAX_N: the Numba kernel
    assert calls == [{"ntk": True, "readout": True}]
    ref = ntk(DAG3, K0, edge="pre", backend="numpy")
    d = np.diagonal(ref.ntk)
    assert np.all(np.abs(got.ntk - ref.ntk) <= 1e-13 * np.sqrt(np.outer(d, d)))
