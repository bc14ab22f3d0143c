"""The array-API path (array-api-strict stands in for a GPU library) and the CUDA source text."""

from __future__ import annotations

import ctypes
import importlib.util
import shutil
import subprocess

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from references import h_mp

from dagnngp.motif import Motif
from dagnngp.numerics import inputs_to_gram, nngp
from dagnngp.numerics.xp import (
    CupyUnavailableError,
    array_namespace,
    cupy_dual_kernel,
    dual_map_c_source,
    relu_h_xp,
    to_numpy,
)
from dagnngp.proofs_check.strategies import motifs

xps = pytest.importorskip("array_api_strict")
pytestmark = pytest.mark.usefixtures("mp50")  # mpmath references at 50 digits, restored afterwards
_h_mp = h_mp


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


@pytest.mark.skipif(shutil.which("cc") is None, reason="needs a C compiler")
def test_cuda_dual_map_source_compiles_as_c_and_matches_mpmath(tmp_path):
    # the GPU kernel's expression, compiled on the host: the same text, checked without a GPU
    src = tmp_path / "dual.c"
    src.write_text("#include <math.h>\n" + dual_map_c_source("")
                   + "void eval(const double *c, double *o, int n)"
                   " { for (int i = 0; i < n; ++i) o[i] = dagnngp_relu_h(c[i]); }\n")
    lib = tmp_path / "dual.so"
    subprocess.run(["cc", "-O2", "-ffp-contract=off", "-shared", "-fPIC", str(src), "-o", str(lib), "-lm"],
                   check=True)
    fn = ctypes.CDLL(str(lib)).eval
    c = np.ascontiguousarray(GRID)
    out = np.empty_like(c)
    fn(c.ctypes.data_as(ctypes.c_void_p), out.ctypes.data_as(ctypes.c_void_p), ctypes.c_int(c.size))
    assert _worst_rel(out) < 1e-15


@pytest.mark.skipif(importlib.util.find_spec("cupy") is not None, reason="CuPy is installed")
def test_missing_cupy_gives_a_clear_message():
    with pytest.raises(CupyUnavailableError, match=r"dagnngp\[gpu\]"):
        cupy_dual_kernel()


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
    from dagnngp.numerics.monte_carlo import monte_carlo

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
