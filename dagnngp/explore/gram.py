"""Kernels of input sets too large for memory: block by block, on Dask workers, into a Zarr array.

:func:`gram_to_zarr` computes the output kernel ``K(X1, X2)`` (NNGP or NTK, ``N1 x N2``,
train x test or ``X1`` with itself) of a motif as square blocks. Each block is one
:func:`dagnngp.numerics.cross.cross_kernel` call, which is exact because entry ``(i, j)``
of a motif's kernel depends on inputs ``i`` and ``j`` only. Blocks are written into a
Zarr array whose chunks are the blocks, so no two writers share a chunk; a block is
marked done (an empty file renamed into ``.done/``) only after its values are stored, so
an interrupted run resumes where it stopped and a worker killed mid-block changes nothing
(Dask retries the block). A resumed run must ask for the same kernel of the same inputs:
the array's attributes record both, and a different request is refused.

>>> import numpy as np, tempfile
>>> X = np.random.default_rng(0).standard_normal((5, 3))
>>> out = gram_to_zarr("2_21_112", X, out=tempfile.mkdtemp() + "/k.zarr", block=2, progress=False)
>>> import zarr
>>> from dagnngp.numerics.cross import cross_kernel
>>> bool(np.allclose(zarr.open_array(out, mode="r")[:], cross_kernel("2_21_112", X), rtol=1e-13))
True
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import numpy as np

from dagnngp.limits import check_memory

__all__ = ["gram_to_zarr", "pending_blocks"]

#: Arrays with more blocks than this run on a LocalCluster unless told otherwise.
INPROCESS_MAX_BLOCKS = 16


def _inputs(X: Any, name: str) -> np.ndarray:
    arr = np.asarray(X, dtype=np.float64) if not isinstance(X, np.ndarray) else X
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} must be a 2-D array of inputs (N x d), got shape {arr.shape}")
    if arr.dtype not in (np.float32, np.float64):
        raise ValueError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} has a non-finite entry (NaN or inf)")
    return np.ascontiguousarray(arr, dtype=np.float64)


def _fingerprint(*arrays: np.ndarray) -> str:
    h = hashlib.sha256()
    for a in arrays:
        h.update(str(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _blocks(n1: int, n2: int, block: int) -> list[tuple[int, int]]:
    return [(i, j) for i in range(0, n1, block) for j in range(0, n2, block)]


def _marker(out: Path, i: int, j: int) -> Path:
    return out / ".done" / f"{i}_{j}"


def pending_blocks(out: str | os.PathLike) -> list[tuple[int, int]]:
    """The blocks ``(row start, column start)`` of a run in ``out`` that are not stored yet."""
    import zarr

    z = zarr.open_array(os.fspath(out), mode="r")
    n1, n2 = z.shape
    block = int(z.attrs["block"])
    return [(i, j) for i, j in _blocks(n1, n2, block) if not _marker(Path(out), i, j).exists()]


def _compute_block(out: str, motif: str, X1: np.ndarray, X2: np.ndarray, i: int, j: int, block: int,
                   kind: str, options: dict[str, Any]) -> int:
    """One block: compute, store into its Zarr chunk, then mark it done (atomically)."""
    import zarr

    from dagnngp.numerics.cross import cross_kernel

    K = cross_kernel(motif, X1[i:i + block], X2[j:j + block], kind=kind, **options)
    z = zarr.open_array(out, mode="r+")
    z[i:i + K.shape[0], j:j + K.shape[1]] = np.asarray(K)
    marker = _marker(Path(out), i, j)
    tmp = marker.with_name(marker.name + f".tmp{os.getpid()}")
    tmp.touch()
    os.replace(tmp, marker)
    return 1


def gram_to_zarr(
    motif: Any,
    X1: Any,
    X2: Any | None = None,
    *,
    out: str | os.PathLike,
    kind: str = "nngp",
    block: int = 2048,
    scheduler: str | None = None,
    n_workers: int | None = None,
    client: Any = None,
    progress: bool | None = None,
    max_memory: int | None = None,
    **kernel_options: Any,
) -> str:
    """The kernel ``K(X1, X2)`` of ``motif`` (``X2=None``: ``X1`` with itself) as a Zarr array at ``out``.

    ``kind`` is ``"nngp"`` or ``"ntk"``; ``kernel_options`` are those of
    :func:`dagnngp.numerics.cross.cross_kernel` (``model``, ``c_sigma``, ``activation``,
    ``sigma_b``, ``edge``, ``readout``, ...). ``block`` is the side of the square blocks
    (and of the array's chunks). ``scheduler``: ``"inprocess"``, ``"local"`` (a
    ``dask.distributed`` LocalCluster of ``n_workers`` single-threaded processes), an
    address of an existing scheduler, or ``None``: ``$DAGNNGP_SCHEDULER`` if set, else
    in-process for at most :data:`INPROCESS_MAX_BLOCKS` blocks and a LocalCluster above.
    ``client``: an existing ``distributed.Client``. Calling again with the same request
    resumes; the memory of one block is estimated before anything runs. Returns the path.
    """
    import zarr

    from dagnngp.explore.run import _bar, _optional, dask_client
    from dagnngp.motif import Motif

    m = Motif.coerce(motif)
    if kind not in ("nngp", "ntk"):
        raise ValueError(f"kind={kind!r} is not known; use 'nngp' or 'ntk'")
    if isinstance(block, bool) or not isinstance(block, int | np.integer) or block < 1:
        raise ValueError(f"block must be a positive int (the side of a square block), got {block!r}")
    A = _inputs(X1, "X1")
    B = A if X2 is None else _inputs(X2, "X2")
    if A.shape[1] != B.shape[1]:
        raise ValueError(f"X1 and X2 must have the same number of features, got {A.shape[1]} and "
                         f"{B.shape[1]}")
    block = int(block)
    n1, n2 = A.shape[0], B.shape[0]
    # one block in flight per worker: the block itself plus the kernel's working set (a few times it)
    check_memory(8.0 * 16 * block * block + 8.0 * block * A.shape[1] * 2,
                 f"gram_to_zarr(block={block})", max_memory, option=None)
    request = {"motif": str(m), "kind": kind, "block": block, "shape": [n1, n2],
               "inputs": _fingerprint(A, B),
               "options": {k: (dict(v) if isinstance(v, dict) else v)
                           for k, v in sorted(kernel_options.items())}}
    path = Path(out)
    if (path / "zarr.json").exists():
        z = zarr.open_array(os.fspath(path), mode="r+")
        stored = dict(z.attrs).get("request")
        if stored != request:
            raise ValueError(f"{path} holds a different kernel (motif, kind, options, block or inputs); "
                             "choose another --out folder to compute this one")
    else:
        z = zarr.create_array(store=os.fspath(path), shape=(n1, n2), chunks=(block, block), dtype="f8",
                              fill_value=np.nan)
        z.attrs.update({"request": request, "block": block})
    (path / ".done").mkdir(exist_ok=True)
    todo = [(i, j) for i, j in _blocks(n1, n2, block) if not _marker(path, i, j).exists()]
    total = len(_blocks(n1, n2, block))
    mode = scheduler or os.environ.get("DAGNNGP_SCHEDULER") or (
        "inprocess" if total <= INPROCESS_MAX_BLOCKS else "local")
    if client is not None:
        mode = "client"
    bar = _bar(total, total - len(todo), bool(progress) if progress is not None else False)
    args = (os.fspath(path), str(m), A, B)
    try:
        if mode == "inprocess":
            for i, j in todo:
                _compute_block(*args, i, j, block, kind, kernel_options)
                bar.update(1)
        else:
            distributed = _optional("distributed")
            with dask_client(mode, n_workers, client) as client:
                [a_f, b_f] = client.scatter([A, B], broadcast=True)
                futures = [client.submit(_compute_block, os.fspath(path), str(m), a_f, b_f, i, j, block, kind,
                                         kernel_options, key=f"gram-{i}-{j}-{os.getpid()}", retries=3)
                           for i, j in todo]
                for fut in distributed.as_completed(futures):
                    fut.result()
                    bar.update(1)
    finally:
        bar.close()
    return os.fspath(path)
