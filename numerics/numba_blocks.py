"""Large N in bounded memory: row blocks of the output Gram, and Lemma 3.3's minimum 2x2 gap.

Both functions work from the raw inputs ``X`` (N x d) and never hold an
N x N matrix: rows of the input Gram are formed block by block
(``X[start:stop] @ X.T``) and run through the Numba kernel of
:mod:`dagnngp.numerics.numba_program`.  This module imports Numba at the top;
``dagnngp.numerics.nngp_blocks`` and ``min_pair_gap_blocks`` load it on first use.

>>> X = np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]])
>>> fixed = 3 * encode_program("2_02_002").bytes_per_input   # the pre-pass's arrays
>>> two_rows = 2 * (2 * 3 * 8)                                # input and output rows, float64
>>> [(a, b, blk.shape) for a, b, blk in nngp_blocks("2_02_002", X, max_bytes=fixed + two_rows)]
[(0, 2, (2, 3)), (2, 3, (1, 3))]
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
from numba import njit, prange

from dagnngp.motif import Motif
from dagnngp.numerics.numba_dual import NUMBA_FLAGS
from dagnngp.numerics.numba_encode import encode_program
from dagnngp.numerics.numba_program import (
    CHUNK,
    _chunk,
    main_pass_args,
    prepare,
    row_block_kernel,
)

__all__ = ["DEFAULT_MAX_BYTES", "min_pair_gap_blocks", "nngp_blocks"]

#: Default memory cap of the blocked evaluation (bytes).
DEFAULT_MAX_BYTES = 256 * 2**20


@njit(**NUMBA_FLAGS)
def _row_min_gap(main, main_slot, main_slot_e, main_coef, par, root, row_factor, col_factor, k0_slot, wn,
                 out_slot, diag_out, k0rows, r, r0, S, rowmin, rowarg):
    n = k0rows.shape[1]
    i = r0 + r
    a = diag_out[i]
    best = np.inf
    arg = -1
    for j0 in range(i + 1, n, CHUNK):
        nb = min(CHUNK, n - j0)
        if k0_slot >= 0:
            for jj in range(nb):
                S[k0_slot, jj] = k0rows[r, j0 + jj]
        _chunk(main, main_slot, main_slot_e, main_coef, par, root, row_factor, col_factor, wn, i, j0, nb, S)
        for jj in range(nb):
            c = diag_out[j0 + jj]
            b = S[out_slot, jj]
            half_diff = 0.5 * (a - c)
            gap = 0.5 * (a + c) - math.sqrt(half_diff * half_diff + b * b)
            if gap < best:
                best = gap
                arg = j0 + jj
    rowmin[r] = best
    rowarg[r] = arg


@njit(parallel=True, **NUMBA_FLAGS)
def _rows_min_gap(main, main_slot, main_slot_e, main_coef, par, root, row_factor, col_factor, k0_slot,
                  ek0_slot, wn, out_slot, ntk_slot, n_slots, diag_out, k0rows, r0, rowmin, rowarg):
    """Per row i of the block: min over j > i of the 2x2 least eigenvalue, and its j.

    Rows k and nr-1-k go to the same task so that triangles balance across threads.
    """
    nr = k0rows.shape[0]
    half = (nr + 1) // 2
    for k in prange(half):
        S = np.empty((n_slots, CHUNK))
        _row_min_gap(main, main_slot, main_slot_e, main_coef, par, root, row_factor, col_factor, k0_slot, wn,
                     out_slot, diag_out, k0rows, k, r0, S, rowmin, rowarg)
        if nr - 1 - k != k:
            _row_min_gap(main, main_slot, main_slot_e, main_coef, par, root, row_factor, col_factor,
                         k0_slot, wn, out_slot, diag_out, k0rows, nr - 1 - k, r0, S, rowmin, rowarg)


def _block_rows(m: Motif, model: str, n: int, itemsize: int, max_bytes: int, arrays_per_row: int) -> int:
    fixed = encode_program(m, model).bytes_per_input * n  # the pre-pass's per-input arrays
    rows = (int(max_bytes) - fixed) // (arrays_per_row * n * itemsize)
    if rows < 1:
        raise ValueError(
            f"max_bytes={max_bytes} is too small for N={n} inputs: one row block needs about "
            f"{fixed + arrays_per_row * n * itemsize} bytes"
        )
    return int(min(rows, n))


def nngp_blocks(motif: Motif | str, X: object, model: str = "exact", c_sigma: float = 2.0,
                sigma_b: float = 0.0, *, width: int | None = None,
                max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[tuple[int, int, np.ndarray]]:
    """Row blocks ``(start, stop, K_H[start:stop, :])`` of the output Gram of raw inputs ``X`` (N x d).

    For N too large for an N x N matrix (N = 50,000 is 20 GB in float64): the
    input Gram is formed block by block as ``X[start:stop] @ X.T`` and each
    block of output rows is yielded and then dropped.  What is kept at any
    time: ``X``, the pre-pass's per-input diagonals and means (a few arrays of
    N), and one input block plus one output block, together at most ``max_bytes``
    besides ``X``.  Inputs are placed as in :func:`dagnngp.numerics.inputs_to_gram`.

    >>> X = np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]])
    >>> sum(blk.shape[0] for _, _, blk in nngp_blocks("2_21_112", X))
    3
    """
    from dagnngp.numerics.reference import as_motif, inputs_to_gram
    from dagnngp.numerics.validate import check_c_sigma, check_model

    m = as_motif(motif)
    check_model(model)
    c_sigma = check_c_sigma(c_sigma)
    X = np.asarray(X)
    inputs_to_gram(X[:1], width)  # validates shape, dtype and width on one row
    X = X.astype(np.float64) if X.dtype.kind in "biu" else X
    if not np.all(np.isfinite(X)):
        raise ValueError("X has a non-finite entry (NaN or inf)")
    n = X.shape[0]
    w = X.shape[1] if width is None else int(width)
    rows = _block_rows(m, model, n, X.dtype.itemsize, max_bytes, 2)
    mu0 = X.sum(axis=1, dtype=np.float64) / np.sqrt(w)
    diag = np.einsum("ij,ij->i", X, X, dtype=np.float64)
    prep = prepare(m, model, diag, mu0, c_sigma, sigma_b)
    for start in range(0, n, rows):
        stop = min(n, start + rows)
        K0rows = X[start:stop] @ X.T
        yield start, stop, row_block_kernel(K0rows, start, prep, out=K0rows)


def min_pair_gap_blocks(motif: Motif | str, X: object, model: str = "exact", c_sigma: float = 2.0,
                        sigma_b: float = 0.0, *, width: int | None = None,
                        max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[float, int, int]:
    """Lemma 3.3's ``min_{i != j}`` 2x2 least eigenvalue of the output Gram, in bounded memory.

    Same result as ``min_pair_gap(nngp(motif, *inputs_to_gram(X)).output)``
    without ever holding the N x N Gram: rows of the input Gram are formed in
    blocks (``X[start:stop] @ X.T``, at most ``max_bytes``) and each output entry
    ``(i, j > i)`` is reduced to its 2x2 least eigenvalue as soon as it is computed.

    >>> X = np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]])
    >>> v, i, j = min_pair_gap_blocks("2_02_002", X)
    >>> round(v, 6), i, j
    (0.13335, 1, 2)
    """
    from dagnngp.numerics.reference import as_motif, inputs_to_gram
    from dagnngp.numerics.validate import check_c_sigma, check_model

    X = np.asarray(X)
    if X.ndim != 2 or X.shape[0] < 2:
        raise ValueError(f"min_pair_gap_blocks needs X of shape (N, d) with N >= 2, got {X.shape}")
    m = as_motif(motif)
    check_model(model)
    c_sigma = check_c_sigma(c_sigma)
    inputs_to_gram(X[:1], width)  # validates dtype and width
    X = X.astype(np.float64)
    if not np.all(np.isfinite(X)):
        raise ValueError("X has a non-finite entry (NaN or inf)")
    n = X.shape[0]
    w = X.shape[1] if width is None else int(width)
    # only the input block X[start:stop] @ X.T is held; the output is reduced on the fly
    rows = _block_rows(m, model, n, 8, max_bytes, 1)
    prep = prepare(m, model, np.einsum("ij,ij->i", X, X), X.sum(axis=1) / np.sqrt(w), c_sigma, sigma_b)
    best = (math.inf, -1, -1)
    for start in range(0, n - 1, rows):
        stop = min(n, start + rows)
        K0rows = X[start:stop] @ X.T
        rowmin = np.empty(stop - start)
        rowarg = np.empty(stop - start, dtype=np.int64)
        _rows_min_gap(*main_pass_args(prep), prep.enc.n_slots, prep.diag_out, K0rows, start, rowmin, rowarg)
        r = int(np.argmin(rowmin))
        if rowmin[r] < best[0]:
            best = (float(rowmin[r]), start + r, int(rowarg[r]))
        del K0rows  # free this block before the next one is formed
    return best
