"""Least-eigenvalue bounds: the pair gap of Lemma 3.3, its minimum, and rule (12).

Three different "gaps" appear in the toolkit; this module holds the first:

* the *pair gap* -- the least eigenvalue of the 2x2 principal submatrix of a Gram on
  two inputs (:func:`least_eigenvalue_2x2`, :func:`pair_gap`, :func:`min_pair_gap`);
* the *dual gap* ``1 - h(C)`` of the dual map (:func:`dagnngp.numerics.dual.dual_gap`);
* the *distance map* ``G(eps) = 1 - h(1 - eps)`` (:func:`dagnngp.numerics.dual.G`), which
  rule (12) iterates.

>>> from dagnngp import Motif
>>> round(float(rule12(Motif.parse("2_21_112"), 0.5)), 5)
1.52319
"""

from __future__ import annotations

import numpy as np

from dagnngp.motif import Motif
from dagnngp.numerics.dual import G
from dagnngp.numerics.reference import as_motif
from dagnngp.numerics.validate import check_gram

__all__ = [
    "least_eigenvalue",
    "least_eigenvalue_2x2",
    "min_pair_gap",
    "pair_gap",
    "rule12",
    "rule12_gram",
]


def least_eigenvalue_2x2(a: object, c: object, b: object) -> np.ndarray:
    """Least eigenvalue of ``[[a, b], [b, c]]``: ``(a+c)/2 - sqrt(((a-c)/2)^2 + b^2)``.

    Correct for negative ``b`` too (the paper's ``P - f`` form assumes ``b >= 0``),
    and for entries anywhere in the float64 range (each 2x2 block is scaled by a
    power of two before the sums are formed).

    >>> float(least_eigenvalue_2x2(4.0, 4.0, -0.36338))
    3.63662
    >>> float(least_eigenvalue_2x2(1e308, 1e308, 0.0))
    1e+308
    """
    a, c, b = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (a, c, b)))
    big = np.maximum(np.maximum(np.abs(a), np.abs(c)), np.abs(b))
    _, e = np.frexp(np.where(np.isfinite(big) & (big > 0), big, 1.0))
    a, c, b = (np.ldexp(v, -e) for v in (a, c, b))
    return np.ldexp(0.5 * (a + c) - np.hypot(0.5 * (a - c), b), e)


def _index(value: object, n: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or not 0 <= value < n:
        raise ValueError(f"{name}={value!r} is not an input index; use an int in 0..{n - 1}")
    return int(value)


def pair_gap(K: object, i: int, j: int) -> float:
    """2x2 least eigenvalue of the principal submatrix of ``K`` on inputs ``i != j``.

    >>> pair_gap([[1.0, 0.5], [0.5, 1.0]], 0, 1)
    0.5
    """
    arr = np.asarray(K) if not isinstance(K, np.ndarray) else K
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
        raise ValueError(f"K must be a square N x N matrix, got shape {arr.shape}")
    n = arr.shape[0]
    i, j = _index(i, n, "i"), _index(j, n, "j")
    if i == j:
        raise ValueError(f"need two distinct input indices in 0..{n - 1}, got ({i}, {j})")
    block = check_gram(arr[np.ix_([i, j], [i, j])], f"K[({i},{j}),({i},{j})]")
    return float(least_eigenvalue_2x2(block[0, 0], block[1, 1], block[0, 1]))


def min_pair_gap(K: object) -> tuple[float, int, int]:
    """``min_{i != j}`` of the 2x2 gap, with the minimising pair: Lemma 3.3's upper bound.

    ``K`` is validated as a Gram matrix first (O(N^2)), so every 2x2 gap is >= 0
    up to rounding.

    >>> min_pair_gap(np.array([[1.0, 0.5, 0.0], [0.5, 1.0, 0.2], [0.0, 0.2, 1.0]]))
    (0.5, 0, 1)
    """
    arr = np.asarray(K) if not isinstance(K, np.ndarray) else K
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1] or arr.shape[0] < 2:
        raise ValueError(f"min_pair_gap needs an N x N matrix with N >= 2, got shape {arr.shape}")
    K = check_gram(arr, "K")
    d = np.diagonal(K)
    gaps = least_eigenvalue_2x2(d[:, None], d[None, :], K)
    np.fill_diagonal(gaps, np.inf)
    i, j = np.unravel_index(int(np.argmin(gaps)), gaps.shape)
    i, j = (int(i), int(j)) if i < j else (int(j), int(i))
    return float(gaps[i, j]), i, j


def least_eigenvalue(K: object) -> float:
    """Least eigenvalue of a symmetric matrix (validated as a Gram matrix first; any float64 scale).

    >>> least_eigenvalue(1e308 * np.eye(2))
    1e+308
    """
    arr = check_gram(K, "K", check_psd=False).astype(np.float64)
    top = float(np.max(np.abs(arr))) if arr.size else 0.0
    _, e = np.frexp(top) if 0.0 < top < np.inf else (0.0, 0)
    return float(np.ldexp(np.linalg.eigvalsh(np.ldexp(arr, -int(e)))[0], int(e)))


def rule12(motif: Motif | str, C: object) -> np.ndarray:
    """Rule (12) of the paper at correlation ``C``: ``P - sum_p h^{d_p}(C)``.

    Evaluated as ``sum_p (1 - h^{d_p}(C))``: the distance ``1 - h^d(C)`` is carried
    from map to map by the distance map ``G``, so it keeps relative accuracy as
    ``C -> 1``.  Vectorised over ``C``.
    """
    m = as_motif(motif)
    C = np.asarray(C, dtype=float)
    if np.any(~np.isfinite(C)) or np.any(np.abs(C) > 1):
        raise ValueError("correlations C must be finite and lie in [-1, 1]")
    counts = m.path_depth_counts()
    total = np.zeros_like(C)
    distance = 1.0 - C
    for d in range(max(counts, default=-1) + 1):
        if d > 0:
            distance = G(np, distance)
        total = total + counts.get(d, 0) * distance
    return total


def rule12_gram(motif: Motif | str, K0: object) -> tuple[float, int, int]:
    """Rule (12) minimised over input pairs of a Gram matrix (inputs normalised first)."""
    K0 = check_gram(K0, "K0")
    n = K0.shape[0]
    if n < 2:
        raise ValueError("rule (12) needs at least two inputs")
    root = np.sqrt(np.diagonal(K0))
    if np.any(root == 0):
        raise ValueError("rule (12) needs non-zero inputs (a zero row has no correlation)")
    C = np.clip(K0 / np.multiply.outer(root, root), -1, 1)
    vals = rule12(motif, C)
    np.fill_diagonal(vals, np.inf)
    i, j = np.unravel_index(int(np.argmin(vals)), vals.shape)
    i, j = (int(i), int(j)) if i < j else (int(j), int(i))
    return float(vals[i, j]), i, j
