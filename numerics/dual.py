"""Numerically safe primitives of the ReLU (degree-1 arc-cosine) dual map.

For a standard bivariate normal pair ``(u, v)`` with correlation ``C``,
``h(C) = 2 E[relu(u) relu(v)] = (sqrt(1 - C^2) + (pi - arccos C) C) / pi``.

Every function here is written so that it

* never returns NaN for a correlation that rounding pushed slightly past +-1;
* uses ``atan2`` of a clamped square root, never a bare ``arccos``;
* keeps full *relative* accuracy both of ``h`` as ``C -> -1`` (where ``h -> 0``)
  and of the gap ``1 - h(C)`` as ``C -> 1`` (where a naive formula cancels).

Both ends reduce to ``J(t) = sin t - t cos t`` for a small angle ``t``, which
is evaluated by its Taylor series there.

>>> round(float(relu_correlation(0.0)) * np.pi, 15)
1.0
>>> print(f"{float(relu_gap_from_distance(1e-12)):.12e}")  # 1 - h(1 - 1e-12), no digits lost
9.999996998946e-13
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "relu_correlation",
    "relu_gap",
    "relu_gap_from_distance",
    "relu_dual",
    "relu_mean",
    "sin_minus_t_cos",
]

# J(t) = sum_{k>=1} (-1)^(k+1) 2k t^(2k+1) / (2k+1)!   (alternating, fast for small t);
# 11 terms reach 1e-20 relative for t < 1.  Shared by every backend (fused, xp).
J_SERIES = tuple((-1) ** (k + 1) * 2 * k / math.factorial(2 * k + 1) for k in range(1, 12))

# fdlibm e_asin.c: asin(x) = x + x z P(z) / Q(z), z = x^2, for |x| <= 1/2 (error < 2^-58);
# the rational arcsine of the vectorisable backends (fused, xp, the CUDA source).
ASIN_P = (1.66666666666666657415e-01, -3.25565818622400915405e-01, 2.01212532134862925881e-01,
          -4.00555345006794114027e-02, 7.91534994289814532176e-04, 3.47933107596021167570e-05)
ASIN_Q = (1.0, -2.40339491173441421878e00, 2.02094576023350569471e00,
          -6.88283971605453293030e-01, 7.70381505559019352791e-02)
# Below this angle the series is used; above it sin t - t cos t loses at most
# a factor ~1/t^2 ~ 4 in relative accuracy.
_J_SWITCH = 0.5


def sin_minus_t_cos(t: np.ndarray | float) -> np.ndarray:
    """``sin t - t cos t`` for ``t`` in ``[0, pi]`` with full relative accuracy near 0.

    >>> print(f"{float(sin_minus_t_cos(1e-5)):.12e}")  # = t^3/3 - t^5/30 + ...
    3.333333333300e-16
    """
    t = np.asarray(t)
    t2 = t * t
    series = np.zeros_like(t2)
    for coef in reversed(J_SERIES):
        series = series * t2 + coef
    series = series * t2 * t
    direct = np.sin(t) - t * np.cos(t)
    return np.where(t < _J_SWITCH, series, direct)


def _angles(
    C: np.ndarray, one_minus_c: np.ndarray, one_plus_c: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``(theta, pi - theta)`` with ``theta = arccos C``, both from atan2 of a clamped sqrt.

    ``1 - C`` and ``1 + C`` are passed separately because each must be exact
    where it is small (near ``C = 1`` and ``C = -1`` respectively).
    """
    s = np.sqrt(np.maximum(one_minus_c * one_plus_c, 0.0))
    return np.arctan2(s, C), np.arctan2(s, -C)


def _as_float_array(x: object) -> np.ndarray:
    arr = np.asarray(x)
    if arr.dtype.kind != "f":
        arr = arr.astype(np.float64)
    return arr


def relu_correlation(C: np.ndarray | float) -> np.ndarray:
    """The normalised ReLU dual map ``h(C)``, vectorised; ``C`` is clipped to ``[-1, 1]``.

    >>> np.round(relu_correlation([-1.0, 0.5, 1.0]), 7).tolist()
    [0.0, 0.6089978, 1.0]
    """
    C = np.clip(_as_float_array(C), -1.0, 1.0)
    _, phi = _angles(C, 1.0 - C, 1.0 + C)
    return sin_minus_t_cos(phi) / np.pi


def relu_gap_from_distance(eps: np.ndarray | float) -> np.ndarray:
    """``1 - h(1 - eps)`` computed from ``eps = 1 - C`` in ``[0, 2]`` without cancellation.

    Passing the distance ``eps`` rather than ``C`` lets iterated maps keep full
    relative accuracy: ``1 - h^k(C)`` is ``relu_gap_from_distance`` applied ``k`` times.
    """
    eps = np.clip(_as_float_array(eps), 0.0, 2.0)
    C = 1.0 - eps
    theta, _ = _angles(C, eps, 2.0 - eps)  # 2 - eps is exact where it is small
    return eps - sin_minus_t_cos(theta) / np.pi


def relu_gap(C: np.ndarray | float) -> np.ndarray:
    """``1 - h(C)``, with full relative accuracy as ``C -> 1``.

    >>> float(relu_gap(-1.0))
    1.0
    """
    C = np.clip(_as_float_array(C), -1.0, 1.0)
    return relu_gap_from_distance(1.0 - C)


def relu_dual(K: np.ndarray, c_sigma: float = 2.0) -> np.ndarray:
    """ReLU dual map of a Gram matrix: ``f(K)_ij = c/2 sqrt(K_ii K_jj) h(C_ij)``.

    Rows with a zero diagonal (a node that receives nothing) map to zero; the
    diagonal is ``c/2 K_ii`` exactly.  ``K`` is assumed symmetric PSD (validated
    by the public entry points).

    >>> relu_dual(np.array([[1.0, 0.0], [0.0, 4.0]])).round(6).tolist()
    [[1.0, 0.63662], [0.63662, 4.0]]
    """
    diag = np.maximum(np.diagonal(K), 0.0)
    # sqrt of the product, not a product of roots: equal diagonals then give C = 1 exactly
    scale = np.sqrt(np.multiply.outer(diag, diag))
    positive = scale > 0
    C = np.divide(K, scale, out=np.zeros_like(K), where=positive)
    out = (0.5 * c_sigma) * scale * relu_correlation(C)
    np.fill_diagonal(out, (0.5 * c_sigma) * diag)
    return out


def relu_mean(diag: np.ndarray, c_sigma: float = 2.0) -> np.ndarray:
    """Normalised mean of a linear edge's output: ``sqrt(c K_ii / (2 pi))`` per sample."""
    return np.sqrt(c_sigma * np.maximum(diag, 0.0) / (2.0 * np.pi))
