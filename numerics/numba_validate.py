"""Validation of an input Gram in one parallel pass (the Numba backend's ``check_gram``).

This module imports Numba at the top; ``nngp(..., backend="numba")`` loads it on first use.

>>> check_gram_fused(np.eye(2)).tolist()
[[1.0, 0.0], [0.0, 1.0]]
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from dagnngp.numerics.numba_dual import NUMBA_FLAGS, wide_vectors

__all__ = ["check_gram_fused"]

_TILE = 64


@njit(**NUMBA_FLAGS)
def _tile_row_counts(K, root, thr_asym, thr_cs, bi, T):
    """(suspicious entry pairs, pairs with K_ij != K_ji) of row tile ``bi`` against tiles ``bj <= bi``."""
    wide_vectors()
    n = K.shape[0]
    tile = _TILE
    i0 = bi * tile
    i1 = min(n, i0 + tile)
    sus = 0
    neq = 0
    for bj in range(bi + 1):
        j0 = bj * tile
        j1 = min(n, j0 + tile)
        for ii in range(i1 - i0):
            for jj in range(j1 - j0):
                T[ii, jj] = K[j0 + jj, i0 + ii]
        for ii in range(i1 - i0):
            i = i0 + ii
            ri = root[i]
            jend = j1 if bj < bi else i + 1
            for j in range(j0, jend):
                v = K[i, j]
                w = T[ii, j - j0]
                bad = ((v - v) + (w - w)) != 0.0
                asym = abs(v - w) > thr_asym
                cs = abs(0.5 * (v + w)) > ri * root[j] + thr_cs
                sus += bad | asym | cs
                neq += v != w
    return sus, neq


@njit(parallel=True, **NUMBA_FLAGS)
def _gram_tile_counts(K, root, thr_asym, thr_cs, counts):
    """Per row tile ``bi``: ``counts[bi] = (suspicious entries, entries with K_ij != K_ji)``.

    Each pair of 64 x 64 tiles ``(bi, bj <= bi)`` is visited once: the transposed
    tile is copied to a local buffer so that the comparisons run over contiguous
    rows and vectorise.  An entry pair is suspicious when either value is not
    finite (``x - x`` is then NaN, never 0), ``|K_ij - K_ji| > thr_asym`` or
    ``|K_ij + K_ji| / 2 > root_i root_j + thr_cs``; only counts are accumulated,
    so the inner loop has no branches and no NaN-aware reductions.
    """
    nt = (K.shape[0] + _TILE - 1) // _TILE
    for bi in prange(nt):
        T = np.empty((_TILE, _TILE), dtype=K.dtype)
        sus, neq = _tile_row_counts(K, root, thr_asym, thr_cs, bi, T)
        counts[bi, 0] = sus
        counts[bi, 1] = neq


def check_gram_fused(K: np.ndarray, name: str = "K0", check_psd: bool | None = None) -> np.ndarray:
    """:func:`dagnngp.numerics.validate.check_gram` in one parallel pass, same acceptance rule.

    For float arrays the O(N^2) checks (finite, symmetric, diagonal,
    Cauchy-Schwarz) run fused, without N x N temporaries, against thresholds that
    are at most half of ``check_gram``'s: its tolerance is ``64 eps max|K_ij|``,
    the one here ``64 eps max|K_ii|``, which is never larger.  So every input
    accepted here is accepted by ``check_gram`` with the same result, and any
    entry near a threshold, other dtypes and the eigenvalue test (``check_psd``)
    are handed to ``check_gram``, which decides and raises its usual message.
    An input that is already exactly symmetric is returned as is.

    >>> check_gram_fused(np.eye(3)).tolist()
    [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    >>> check_gram_fused(np.array([[1.0, 2.0, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 1.0]]))
    Traceback (most recent call last):
    ...
    ValueError: K0 is not positive semi-definite: |K0[0,1]| = 2 exceeds sqrt(K0[0,0] K0[1,1]) = 1; ...
    """
    from dagnngp.numerics.validate import check_gram

    n = K.shape[0] if isinstance(K, np.ndarray) and K.ndim == 2 else 0
    if (not isinstance(K, np.ndarray) or K.dtype not in (np.float32, np.float64) or K.ndim != 2
            or K.shape[1] != n or n < 3 or check_psd):
        return check_gram(K, name, check_psd=check_psd)
    K = np.ascontiguousarray(K)
    diag = np.diagonal(K).astype(np.float64)
    with np.errstate(invalid="ignore"):
        scale = float(np.max(np.abs(diag)))
        # tol <= check_gram's; a zero or non-finite diagonal is left to check_gram
        if not (np.isfinite(scale) and scale > 0.0) or float(diag.min()) < 0.0:
            return check_gram(K, name, check_psd=check_psd)
    tol = 64 * float(np.finfo(K.dtype).eps) * scale
    counts = np.empty(((n + _TILE - 1) // _TILE, 2), dtype=np.int64)
    _gram_tile_counts(K, np.sqrt(diag), 0.5 * tol * n, 0.5 * tol, counts)
    if counts[:, 0].any():
        return check_gram(K, name, check_psd=check_psd)  # decides, and raises with the precise message
    return K if not counts[:, 1].any() else 0.5 * (K + K.T)
