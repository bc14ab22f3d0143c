"""Blocked kernels into Zarr (``dagnngp.explore.gram``): exact blocks, resumable runs, Dask workers."""

from __future__ import annotations

import numpy as np
import pytest

zarr = pytest.importorskip("zarr", reason="zarr comes with the dask extra")

from dagnngp.explore.gram import gram_to_zarr, pending_blocks  # noqa: E402
from dagnngp.numerics.cross import cross_kernel  # noqa: E402

RNG = np.random.default_rng(4)
X1 = RNG.standard_normal((70, 5)) + 0.3   # non-centred: the exact model's means matter
X2 = RNG.standard_normal((45, 5))


@pytest.mark.parametrize(("kind", "options"), [("nngp", {}), ("ntk", {"edge": "pre", "sigma_b": 0.2}),
                                               ("ntk", {"readout": False})])
def test_blocks_equal_the_whole_kernel(tmp_path, kind, options):
    out = gram_to_zarr("2_21_112", X1, X2, out=tmp_path / "k.zarr", kind=kind, block=16,
                       scheduler="inprocess", **options)
    got = zarr.open_array(out, mode="r")[:]
    ref = cross_kernel("2_21_112", X1, X2, kind=kind, **options)
    np.testing.assert_allclose(got, ref, rtol=1e-13, atol=1e-13 * np.abs(ref).max())
    assert pending_blocks(out) == []


def test_an_interrupted_run_resumes_only_its_missing_blocks(tmp_path, monkeypatch):
    out = tmp_path / "k.zarr"
    gram_to_zarr("2_12_012", X1, out=out, block=32, scheduler="inprocess")
    full = zarr.open_array(out, mode="r")[:]
    # forget two blocks as if the run had been killed before marking them done
    import dagnngp.explore.gram as gram

    for i, j in [(32, 0), (64, 64)]:
        gram._marker(out, i, j).unlink()
        z = zarr.open_array(out, mode="r+")
        z[i:i + 32, j:j + 32] = np.nan
    assert sorted(pending_blocks(out)) == [(32, 0), (64, 64)]
    calls = []
    real = gram._compute_block
    monkeypatch.setattr(gram, "_compute_block", lambda *a: calls.append(a[4:6]) or real(*a))
    gram_to_zarr("2_12_012", X1, out=out, block=32, scheduler="inprocess")
    assert sorted(calls) == [(32, 0), (64, 64)]
    np.testing.assert_array_equal(zarr.open_array(out, mode="r")[:], full)


def test_a_different_request_in_the_same_folder_is_refused(tmp_path):
    out = tmp_path / "k.zarr"
    gram_to_zarr("2_12_012", X1, out=out, block=32, scheduler="inprocess")
    with pytest.raises(ValueError, match="holds a different kernel"):
        gram_to_zarr("2_12_012", X1, out=out, block=32, kind="ntk", scheduler="inprocess")
    with pytest.raises(ValueError, match="holds a different kernel"):
        gram_to_zarr("2_12_012", X1 + 1e-9, out=out, block=32, scheduler="inprocess")


@pytest.mark.parametrize(("kwargs", "fragment"), [
    ({"kind": "gram"}, "kind='gram'"), ({"block": 0}, "block must be"),
    ({"X2": np.ones((3, 4))}, "same number of features"), ({"block": 10**7}, "memory"),
])
def test_bad_requests_get_clear_errors(tmp_path, kwargs, fragment):
    args = {"motif": "2", "X1": X1, "out": tmp_path / "k.zarr", "scheduler": "inprocess"}
    args.update(kwargs)
    with pytest.raises(ValueError, match=fragment):
        gram_to_zarr(**args)


@pytest.mark.slow
def test_a_local_cluster_gives_the_same_array(tmp_path):
    pytest.importorskip("distributed")
    a = gram_to_zarr("2_21_112", X1, X2, out=tmp_path / "a.zarr", block=16, scheduler="inprocess")
    b = gram_to_zarr("2_21_112", X1, X2, out=tmp_path / "b.zarr", block=16, scheduler="local", n_workers=2)
    np.testing.assert_array_equal(zarr.open_array(a, mode="r")[:], zarr.open_array(b, mode="r")[:])
