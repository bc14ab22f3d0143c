"""The fused Numba backend against the NumPy reference and against mpmath."""

from __future__ import annotations

import subprocess
import sys

import mpmath as mp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from references import h_mp

from dagnngp.motif import Motif
from dagnngp.numerics import inputs_to_gram, min_pair_gap, nngp
from dagnngp.numerics.numba_blocks import min_pair_gap_blocks, nngp_blocks
from dagnngp.numerics.numba_dual import relu_gap_eps, relu_h
from dagnngp.numerics.numba_encode import DUAL, encode_program
from dagnngp.numerics.numba_program import CHUNK, node_diagonals
from dagnngp.proofs_check.strategies import motifs, psd_grams

pytestmark = pytest.mark.usefixtures("mp50")  # mpmath references at 50 digits, restored afterwards
DAG3 = Motif.parse("2_21_112")
_h_mp = h_mp


def _grid() -> list[float]:
    pts = list(np.linspace(-1, 1, 401))
    tiny = np.logspace(-17, -0.3, 60)
    return pts + list(-1 + tiny) + list(1 - tiny)


def test_dual_map_matches_mpmath_to_a_few_ulp_including_relative_accuracy_near_minus_one():
    worst = 0.0
    for C in _grid():
        ref = _h_mp(mp.mpf(float(C)))
        got = relu_h(float(C))
        if ref == 0:
            assert got == 0.0
            continue
        worst = max(worst, float(abs(got - ref) / ref))
    assert worst < 1e-15


def test_gap_matches_mpmath_with_relative_accuracy_as_c_tends_to_one():
    worst = 0.0
    for eps in list(np.logspace(-18, np.log10(2.0), 300)) + [0.5, 1.0, 1.5, 2.0]:
        ref = 1 - _h_mp(1 - mp.mpf(float(eps)))
        got = relu_gap_eps(float(eps))
        worst = max(worst, float(abs(got - ref) / ref))
    assert worst < 1e-15
    assert relu_gap_eps(0.0) == 0.0


def _compare(m: Motif, K0: np.ndarray, mu0: np.ndarray, model: str, c_sigma=2.0, sigma_b=0.0,
             rtol=1e-13) -> None:
    ref = nngp(m, K0, mu0, model=model, c_sigma=c_sigma, sigma_b=sigma_b, backend="numpy")
    got = nngp(m, K0, mu0, model=model, c_sigma=c_sigma, sigma_b=sigma_b, backend="numba")
    d = np.diagonal(ref.output)
    scale = np.sqrt(np.multiply.outer(d, d))  # entries are compared at their natural scale
    err = np.abs(got.output - ref.output)
    assert np.all(err <= rtol * scale), f"{m} {model}: worst {np.max(err - rtol * scale)}"
    assert np.all(np.abs(got.output_mean - ref.output_mean) <= rtol * np.sqrt(d))
    assert got.output.dtype == K0.dtype


@st.composite
def _means(draw, K0):
    fr = draw(st.lists(st.floats(-1, 1), min_size=K0.shape[0], max_size=K0.shape[0]))
    return np.asarray(fr) * np.sqrt(np.diagonal(K0))


@pytest.mark.slow  # ~13 s with an empty Numba cache (compilation), ~2 s with it
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(m=motifs(2, 6), K0=psd_grams((1, 6)), data=st.data(),
       model=st.sampled_from(["exact", "paper"]),
       c_sigma=st.sampled_from([2.0, 1.0, 3.5]), sigma_b=st.sampled_from([0.0, 0.0, 0.7]))
def test_numba_agrees_with_numpy_on_drawn_motifs_and_grams(m, K0, data, model, c_sigma, sigma_b):
    # psd_grams draws N = 1, zero rows, duplicate and antipodal inputs, scales 1e-3 .. 1e3
    mu0 = data.draw(_means(K0))
    _compare(m, K0, mu0, model, c_sigma, sigma_b)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(m=motifs(2, 6), seed=st.integers(0, 2**32 - 1), n=st.integers(1, 12), d=st.integers(1, 6),
       offset=st.floats(-2.0, 2.0), model=st.sampled_from(["exact", "paper"]),
       c_sigma=st.floats(0.25, 4.0), sigma_b=st.floats(0.01, 3.0))
def test_program_kernel_agrees_with_numpy_with_bias_and_non_zero_means(m, seed, n, d, offset, model,
                                                                       c_sigma, sigma_b):
    # raw inputs with a common offset: non-zero means, so the exact model's outer terms matter
    X = np.random.default_rng(seed).standard_normal((n, d)) + offset
    K0, mu0 = inputs_to_gram(X, width=d + 2)
    _compare(m, K0, mu0, model, c_sigma, sigma_b)


def test_encoder_forms_only_what_the_output_needs():
    # the output is a skip from the input: every dual map is dead, K_H = K0
    enc = encode_program("2_02_100", "exact")
    assert enc.main.shape[0] == 0 and enc.out_slot == enc.k0_slot
    # skips from X0 and X1 = X0: K2 = 4 K0 (exact), 2 K0 (paper: no cross terms), in one pass
    for model, coef in (("exact", 4.0), ("paper", 2.0)):
        enc = encode_program("1_11", model)
        assert enc.main[:, 0].tolist() == [2] and enc.main_coef.tolist() == [coef]
    # one dual map per distinct linear source, however many edges leave it
    for model in ("exact", "paper"):
        enc = encode_program("2_22_222_2222_22222_222222", model)
        assert int(np.sum(enc.main[:, 0] == DUAL)) == 6


@pytest.mark.parametrize("model", ["exact", "paper"])
def test_node_diagonals_match_the_reference_nodes(model):
    rng = np.random.default_rng(4)
    K0, mu0 = inputs_to_gram(np.abs(rng.standard_normal((9, 5))))
    m = Motif.parse("2_12_121_2112")
    ref = nngp(m, K0, mu0, model=model, sigma_b=0.3, backend="numpy", all_nodes=True)
    dg, mu = node_diagonals(m, np.diagonal(K0), mu0, model, sigma_b=0.3)
    for t in range(m.n_nodes):
        d = np.diagonal(ref.nodes[t])
        assert np.all(np.abs(dg[t] - d) <= 1e-14 * d)
        if model == "exact":
            assert np.all(np.abs(mu[t] - ref.means[t]) <= 1e-14 * np.sqrt(d))
        elif t > 0:
            assert not np.any(mu[t])  # the paper's recursion has no means


@pytest.mark.parametrize("n", [1, 2, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK + 3])
@pytest.mark.parametrize("model", ["exact", "paper"])
def test_numba_agrees_across_chunk_boundaries_with_degenerate_rows(n, model):
    rng = np.random.default_rng(n)
    X = np.abs(rng.standard_normal((n, 9)))  # non-centred: non-zero means exercise cross terms
    if n > 3:
        X[1] = X[0]  # duplicate
        X[2] = -X[0]  # antipodal
        X[3] = 0.0  # zero row
    K0, mu0 = inputs_to_gram(X, width=12)
    for code in ("2_21_112", "1_12_112", "2_12_121_2112_21112_121212"):
        _compare(Motif.parse(code), K0, mu0, model)


@pytest.mark.slow  # compiles the float32 specialisation (~10 s) unless cached
def test_float32_runs_in_float32_and_agrees_with_float64():
    rng = np.random.default_rng(3)
    K0, mu0 = inputs_to_gram(rng.standard_normal((70, 5)))
    ref = nngp(DAG3, K0, mu0, backend="numpy").output
    got = nngp(DAG3, K0.astype(np.float32), mu0.astype(np.float32), backend="numba")
    assert got.output.dtype == np.float32 and got.output_mean.dtype == np.float32
    d = np.diagonal(ref)
    assert np.all(np.abs(got.output - ref) <= 64 * np.finfo(np.float32).eps * np.sqrt(np.outer(d, d)))


def test_default_backend_is_numba_for_relu_and_reproduces_spec_dag3_exact_values():
    K0, mu0 = np.array([[1.0, 0.5], [0.5, 1.0]]), np.zeros(2)
    res = nngp(DAG3, K0, mu0)
    assert res.cross == {}  # only the reference records cross-Grams
    # spec 2.4: K_ii = 4 + 2/pi + 2/pi sqrt(2 + 2/pi) ~ 5.67034; 2x2 gap 1.54320 at C = 0.5
    assert abs(res.output[0, 0] - (4 + 2 / np.pi + 2 / np.pi * np.sqrt(2 + 2 / np.pi))) < 1e-13
    assert round(res.output[0, 0] - res.output[0, 1], 5) == 1.54320


def test_row_blocks_and_blocked_min_gap_match_the_full_kernel():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((150, 7))
    X[7] = X[3]
    K0, mu0 = inputs_to_gram(X)
    full = nngp(DAG3, K0, mu0).output
    seen = []
    for start, stop, blk in nngp_blocks(DAG3, X, max_bytes=40_000):
        seen.append((start, stop))
        d = np.diagonal(full)
        assert np.all(np.abs(blk - full[start:stop]) <= 1e-13 * np.sqrt(np.outer(d[start:stop], d)))
    assert len(seen) > 3 and seen[0][0] == 0 and seen[-1][1] == 150
    assert all(a[1] == b[0] for a, b in zip(seen, seen[1:], strict=False))
    value, i, j = min_pair_gap_blocks(DAG3, X, max_bytes=60_000)
    ref_value, ri, rj = min_pair_gap(full)
    assert (i, j) == (ri, rj) == (3, 7)
    assert abs(value - ref_value) <= 1e-12 * full[3, 3]


def test_bad_backend_arguments_say_what_to_do():
    K0 = np.eye(3)
    with pytest.raises(ValueError, match="backend='cuda' is not known"):
        nngp(DAG3, K0, backend="cuda")
    with pytest.raises(ValueError, match="all_nodes=True"):
        nngp(DAG3, K0, backend="numba", all_nodes=True)
    with pytest.raises(ValueError, match="relu"):
        nngp(DAG3, K0, backend="numba", activation="tanh")
    with pytest.raises(ValueError, match="nngp_blocks"):
        nngp(DAG3, np.eye(100), max_bytes=1000)
    with pytest.raises(ValueError, match="max_bytes must be a positive int"):
        nngp(DAG3, K0, max_bytes=-5)
    with pytest.raises(ValueError, match="too small"):
        list(nngp_blocks(DAG3, np.ones((100, 2)), max_bytes=100))
    # the reference path stays available and unchanged
    assert nngp(DAG3, K0, backend="numpy", all_nodes=True).nodes[3].shape == (3, 3)


def test_a_second_process_loads_the_compiled_kernel_from_the_cache():
    nngp(DAG3, np.eye(3), backend="numba")  # make sure this process has written the cache
    code = (
        "import numpy as np\n"
        "from dagnngp.numerics import nngp\n"
        "from dagnngp.numerics import numba_program\n"
        "nngp('2_21_112', np.eye(3), backend='numba')\n"
        "print(len(numba_program._rows.stats.cache_hits), len(numba_program._rows.stats.cache_misses))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    hits, misses = (int(v) for v in out.stdout.split())
    assert hits >= 1 and misses == 0


@pytest.mark.parametrize(("edit", "message"), [
    (lambda K: K.__setitem__((0, 1), np.nan), "non-finite"),
    (lambda K: K.__setitem__((0, 1), K[0, 1] + 1e-3), "not symmetric"),
    (lambda K: K.__setitem__((2, 2), -1.0), "negative diagonal"),
    (lambda K: (K.__setitem__((0, 1), 5.0), K.__setitem__((1, 0), 5.0)), "not positive semi-definite"),
])
def test_fused_validation_raises_the_reference_messages(edit, message):
    K = np.eye(5) + 0.1
    edit(K)
    for backend in ("numpy", "numba"):
        with pytest.raises(ValueError, match=message):
            nngp(DAG3, K, backend=backend, check_psd=False)


def test_fused_validation_symmetrises_like_the_reference():
    rng = np.random.default_rng(9)
    X = rng.standard_normal((40, 6))
    K = X @ X.T
    K[3, 5] += 1e-14  # tolerated rounding asymmetry
    a = nngp(DAG3, K, backend="numba", check_psd=False).output
    b = nngp(DAG3, K, backend="numpy", check_psd=False).output
    d = np.diagonal(b)
    assert np.all(np.abs(a - b) <= 1e-13 * np.sqrt(np.outer(d, d)))


def _outcome(fn, K):
    try:
        return "ok", fn(K.copy())
    except ValueError as exc:
        return "raise", str(exc)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n", [3, 64, 130])
def test_fused_validation_decides_exactly_like_check_gram_near_every_threshold(n, dtype):
    from dagnngp.numerics.numba_validate import check_gram_fused
    from dagnngp.numerics.validate import check_gram

    rng = np.random.default_rng(n)
    X = rng.standard_normal((n, 4))
    base = (X @ X.T).astype(dtype)
    eps = float(np.finfo(dtype).eps)
    tol = 64 * eps * float(np.max(np.abs(base)))
    d = np.sqrt(np.diagonal(base).astype(np.float64))
    i, j = n - 1, n // 2  # the last, partly filled tile and an off-diagonal tile
    cases = []
    for f in (0.3, 0.9, 1.1, 3.0):  # asymmetry around check_gram's tolerance tol * n
        K = base.copy()
        K[i, j] += f * tol * n
        cases.append(K)
    for f in (0.3, 0.9, 1.1, 3.0):  # |K_ij| around sqrt(K_ii K_jj) + tol, symmetric
        K = base.copy()
        K[i, j] = K[j, i] = dtype(d[i] * d[j] + f * tol)
        cases.append(K)
    for f in (0.5, 2.0):  # a slightly negative diagonal
        K = base.copy()
        K[j, j] = dtype(-f * tol)
        cases.append(K)
    for bad in (np.nan, np.inf, -np.inf):
        K = base.copy()
        K[i, j] = bad
        cases.append(K)
    K = np.zeros((n, n), dtype)  # zero diagonal: the scale comes from an off-diagonal entry
    K[i, j] = K[j, i] = 1e-20
    cases.append(K)
    cases.append(np.zeros((n, n), dtype))
    for K in cases:
        got, ref = _outcome(check_gram_fused, K), _outcome(check_gram, K)
        assert got[0] == ref[0], (got, ref)
        if got[0] == "raise":
            assert got[1] == ref[1]
        else:
            assert got[1].dtype == ref[1].dtype and np.array_equal(got[1], ref[1])


@pytest.mark.parametrize("where", ["diagonal", "off-diagonal"])
def test_an_output_that_overflows_only_when_stored_as_float32_is_reported_like_the_reference(where):
    # finite in the float64 registers, inf once stored as float32, in one entry of a large output:
    # the kernel's own finiteness flag must catch it (the output is not scanned again)
    n = 300
    X = unit_rows_like(n, seed=4)
    s = np.ones(n)
    s[-1] = 1e19  # the output diagonal there is about 5.7 * 1e38 > float32 max
    if where == "off-diagonal":
        s[-1] = s[CHUNK + 3] = 1.2e19
        X[CHUNK + 3] = X[-1]  # so that the entry between them is ~ 5.7 * 1.44e38 too
    K = (X @ X.T * np.outer(s, s)).astype(np.float32)
    assert np.all(np.isfinite(K))
    for backend in ("numpy", "numba"):
        with pytest.raises(ValueError, match="the output Gram overflowed"):
            nngp(DAG3, K, backend=backend)
    ok = nngp(DAG3, K.astype(np.float64) / 1e10, backend="numba").output  # same inputs, rescaled: fine
    assert np.all(np.isfinite(ok))


def unit_rows_like(n: int, seed: int) -> np.ndarray:
    X = np.random.default_rng(seed).standard_normal((n, 5))
    return X / np.linalg.norm(X, axis=1, keepdims=True)


@pytest.mark.parametrize("n", [17, 53, 300])
def test_the_output_is_exactly_symmetric_across_row_blocks(n):
    X = unit_rows_like(n, seed=n)
    out = nngp(DAG3, X @ X.T, backend="numba").output
    assert np.array_equal(out, out.T)
    ref = nngp(DAG3, X @ X.T, backend="numpy").output
    assert np.all(np.abs(np.tril(out) - np.tril(ref)) <= 1e-13 * np.abs(np.diagonal(ref)).max())
