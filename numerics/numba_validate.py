"""Validation of an input Gram in one parallel pass (the Numba backend's ``check_gram``).

This module imports Numba at the top; ``nngp(..., backend="numba")`` loads it on first use.

>>> check_gram_fused(np.eye(2)).tolist()
[[1.0, 0.0], [0.0, 1.0]]
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from dagnngp.numerics.numba_dual import NUMBA_FLAGS

__all__ = ["check_gram_fused"]


@njit(parallel=True, **NUMBA_FLAGS)
def _gram_row_stats(K, stats):
    """Per row: all finite, max |K_ij|, max |K_ij - K_ji|, max |sym K_ij| - sqrt(K_ii+ K_jj+).

    Walked in 64 x 64 tiles so that the transposed reads K[j, i] stay in cache.
    """
    n = K.shape[0]
    tile = 64
    n_tiles = (n + tile - 1) // tile
    for bi in prange(n_tiles):
        i0 = bi * tile
        i1 = min(n, i0 + tile)
        for i in range(i0, i1):
            stats[i, 0] = 1.0
            stats[i, 1] = 0.0
            stats[i, 2] = 0.0
            stats[i, 3] = -np.inf
        for bj in range(n_tiles):
            j0 = bj * tile
            j1 = min(n, j0 + tile)
            for i in range(i0, i1):
                ri = math.sqrt(max(K[i, i], 0.0))
                finite = stats[i, 0]
                big = stats[i, 1]
                asym = stats[i, 2]
                excess = stats[i, 3]
                for j in range(j0, j1):
                    v = K[i, j]
                    w = K[j, i]
                    if not math.isfinite(v):
                        finite = 0.0
                    big = max(big, abs(v))
                    asym = max(asym, abs(v - w))
                    excess = max(excess, abs(0.5 * (v + w)) - ri * math.sqrt(max(K[j, j], 0.0)))
                stats[i, 0] = finite
                stats[i, 1] = big
                stats[i, 2] = asym
                stats[i, 3] = excess


def check_gram_fused(K: np.ndarray, name: str = "K0", check_psd: bool | None = None) -> np.ndarray:
    """:func:`dagnngp.numerics.validate.check_gram` in one parallel pass, same acceptance rule.

    For float arrays: the O(N^2) checks (finite, symmetric, diagonal, Cauchy-Schwarz)
    run fused without N x N temporaries; anything suspicious, other dtypes and the
    eigenvalue test (``check_psd``) are handed to ``check_gram``, which raises its
    usual message.  An input that is already exactly symmetric is returned as is.

    >>> check_gram_fused(np.eye(2)).tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    from dagnngp.numerics.validate import check_gram

    n = K.shape[0] if isinstance(K, np.ndarray) and K.ndim == 2 else 0
    eig = bool(check_psd)
    if (not isinstance(K, np.ndarray) or K.dtype not in (np.float32, np.float64) or K.ndim != 2
            or K.shape[1] != n or n < 3 or eig):
        return check_gram(K, name, check_psd=check_psd)
    K = np.ascontiguousarray(K)
    stats = np.empty((n, 4))
    _gram_row_stats(K, stats)
    eps = float(np.finfo(K.dtype).eps)
    tol = 64 * eps * (float(stats[:, 1].max()) or 1.0)
    diag = np.diagonal(K)
    if (stats[:, 0].min() < 1.0 or stats[:, 2].max() > tol * n or diag.min() < -tol
            or stats[:, 3].max() > tol):
        return check_gram(K, name, check_psd=check_psd)  # raises with the precise message
    return K if stats[:, 2].max() == 0.0 else 0.5 * (K + K.T)
