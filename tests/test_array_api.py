"""The array-API path: array-api-strict stands in for a GPU library (CuPy runs the same functions)."""

from __future__ import annotations

import importlib.util

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from references import h_mp

from dagnngp.motif import Motif
from dagnngp.numerics import dual, inputs_to_gram, nngp
from dagnngp.numerics.activations import ACTIVATIONS, get_activation
from dagnngp.numerics.xp import array_namespace, relu_h_xp, to_numpy
from dagnngp.proofs_check.strategies import motifs
from dagnngp.theory.activations import lookup

xps = pytest.importorskip("array_api_strict")


def _h_mp(C):
    with mp.workdps(50):
        return h_mp(C)


GRID = np.concatenate([np.linspace(-1, 1, 201), -1 + np.logspace(-16, -0.5, 30),
                       1 - np.logspace(-16, -0.5, 30)])


def _worst_rel(values, grid=GRID):
    worst = 0.0
    for C, v in zip(grid, values, strict=True):
        ref = _h_mp(float(C))
        worst = max(worst, float(abs(v - ref) / ref) if ref else abs(float(v)))
    return worst


def test_namespace_dual_map_matches_mpmath_in_numpy_and_strict_namespaces():
    assert _worst_rel(relu_h_xp(GRID, np)) < 1e-15
    strict = relu_h_xp(xps.asarray(GRID), xps)
    assert type(strict).__module__.startswith("array_api_strict")
    assert _worst_rel(to_numpy(strict)) < 1e-15


@settings(max_examples=25, deadline=None)
@given(m=motifs(2, 5), seed=st.integers(0, 2**32 - 1), n=st.integers(1, 6),
       model=st.sampled_from(["exact", "paper"]))
def test_nngp_on_strict_arrays_stays_in_the_namespace_and_matches_the_reference(m, seed, n, model):
    X = np.abs(np.random.default_rng(seed).standard_normal((n, 4)))
    K0, mu0 = inputs_to_gram(X)
    ref = nngp(m, K0, mu0, model=model, backend="numpy")
    res = nngp(m, xps.asarray(K0), xps.asarray(mu0), model=model)
    assert array_namespace(res.output) is array_namespace(xps.asarray(K0))
    d = np.diagonal(ref.output)
    assert np.all(np.abs(to_numpy(res.output) - ref.output) <= 1e-13 * np.sqrt(np.outer(d, d)))
    assert np.all(np.abs(to_numpy(res.output_mean) - ref.output_mean) <= 1e-13 * np.sqrt(d))


def test_strict_arrays_are_validated_like_numpy_ones():
    bad = xps.asarray([[1.0, 2.0], [2.0, 1.0]])
    with pytest.raises(ValueError, match="not positive semi-definite"):
        nngp(Motif.parse("2_21"), bad)
    with pytest.raises(ValueError, match="all_nodes=False"):
        nngp(Motif.parse("2_21"), xps.asarray(np.eye(2)), all_nodes=True)


@pytest.mark.parametrize("name", sorted(dual.PRIMITIVES))
def test_every_primitive_is_one_function_for_numpy_and_strict_arrays(name):
    # the same code runs in both namespaces: the results agree to the last bit
    fn = dual.PRIMITIVES[name]
    x = GRID if name.startswith("h") else 1.0 - GRID
    ref = fn(np, x)
    got = fn(xps, xps.asarray(x))
    assert type(got).__module__.startswith("array_api_strict")
    np.testing.assert_array_equal(to_numpy(got), ref)


@pytest.mark.parametrize("name", sorted(n for n in ACTIVATIONS if lookup(n).closed_form))
def test_registered_activation_maps_run_on_strict_arrays(name):
    X = np.random.default_rng(3).standard_normal((5, 7))
    X[4] = 0.0  # a zero-variance input
    K = X @ X.T / 7
    maps = get_activation(name, c_sigma=1.7)
    ref_dual, ref_mean, ref_fin = maps.dual(K), maps.mean(np.diagonal(K).copy()), maps.finite(X)
    got_dual = maps.dual(xps.asarray(K))
    got_mean = maps.mean(xps.asarray(np.diagonal(K).copy()))
    got_fin = maps.finite(xps.asarray(X))
    for got, ref in ((got_dual, ref_dual), (got_mean, ref_mean), (got_fin, ref_fin)):
        assert type(got).__module__.startswith("array_api_strict")
        np.testing.assert_allclose(to_numpy(got), ref, rtol=1e-15, atol=0)


def _cupy_with_a_device():
    """CuPy when it is installed and sees a GPU; otherwise skip with the reason."""
    if importlib.util.find_spec("cupy") is None:
        pytest.skip("CuPy is not installed (pip install 'dagnngp[gpu]' on a machine with a CUDA GPU)")
    import cupy

    try:
        n = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # no driver, no runtime: CuPy cannot run here
        pytest.skip(f"CuPy is installed but no CUDA device is usable: {exc}")
    if n < 1:
        pytest.skip("CuPy is installed but sees no CUDA device")
    return cupy


@pytest.mark.gpu
def test_cupy_kernels_and_sampler_match_numpy_on_a_gpu():
    cupy = _cupy_with_a_device()
    from dagnngp.numerics.sampling import monte_carlo

    # the dual map on the device against mpmath, over the grid with both edges
    assert _worst_rel(cupy.asnumpy(relu_h_xp(cupy.asarray(GRID), cupy))) < 1e-15
    rng = np.random.default_rng(11)
    X = rng.standard_normal((4, 6))
    K0, mu0 = inputs_to_gram(X)
    for model in ("exact", "paper"):
        ref = nngp("2_21_112", K0, mu0, model=model, backend="numpy")
        res = nngp("2_21_112", cupy.asarray(K0), cupy.asarray(mu0), model=model)
        assert isinstance(res.output, cupy.ndarray)
        d = np.diagonal(ref.output)
        assert np.all(np.abs(cupy.asnumpy(res.output) - ref.output) <= 1e-13 * np.sqrt(np.outer(d, d)))
    # the sampler draws the same normals on the device: a seeded run equals the CPU run to rounding
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    cpu = monte_carlo("2_21_112", X, width=256, draws=3, seed=5)
    gpu = monte_carlo("2_21_112", cupy.asarray(X), width=256, draws=3, seed=5)
    np.testing.assert_allclose(cupy.asnumpy(gpu.mean), cpu.mean, rtol=1e-10)
    np.testing.assert_allclose(cupy.asnumpy(gpu.means[3]), cpu.means[3], rtol=1e-10, atol=1e-12)
