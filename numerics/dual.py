"""The arc-cosine dual maps, one algorithm per primitive, written against an array namespace.

For a standard bivariate normal pair ``(u, v)`` with correlation ``C = cos(theta)``
the order-``n`` arc-cosine activation ``x^n 1(x > 0)`` has the normalised dual map
``h_n(C) = J_n(theta) / J_n(0)``; order 1 is the ReLU map of the paper,

    ``h(C) = 2 E[relu(u) relu(v)] = (sqrt(1 - C^2) + (pi - arccos C) C) / pi``.

Names (the same as the SymPy functions of :mod:`dagnngp.theory.arccos`):

* ``h0``, ``h``, ``h2`` -- the normalised dual maps of the correlation ``C``;
* ``G0``, ``G``, ``G2`` -- the *distance maps* ``G_n(eps) = 1 - h_n(1 - eps)`` of the
  distance ``eps = 1 - C``; iterating ``G`` carries ``1 - h^k(C)`` with full
  relative accuracy;
* :func:`dual_gap` -- the *dual gap* ``1 - h(C)`` of a correlation.

Each primitive takes the namespace first, ``h(xp, C)``: NumPy, any array-API
library (CuPy, array-api-strict) or the scalar namespace that the Numba
backend compiles the same functions with (:func:`dagnngp.numerics.generated.scalar_helpers`).
Every one of them

* never returns NaN for a correlation that rounding pushed slightly past +-1;
* forms no angle with ``arccos``/``atan2``: ``theta = arccos C`` and ``pi - theta``
  come from fdlibm's rational arcsine on ``[0, 1/2]`` (a half-angle step where
  ``|C| > 1/2``), each exact to rounding where it is small;
* keeps full relative accuracy of ``h_n`` as ``C -> -1`` (where ``h_n -> 0``)
  and of ``G_n`` as ``eps -> 0``: the small-angle combinations
  (``sin t - t cos t`` and its relatives) use their Taylor series below ``t = 1``.

The public ReLU names of :mod:`dagnngp.numerics` (:func:`relu_correlation`,
:func:`relu_gap`, :func:`relu_gap_from_distance`, :func:`relu_dual`, :func:`relu_mean`)
are these functions with NumPy bound.

>>> round(float(relu_correlation(0.0)) * np.pi, 15)
1.0
>>> print(f"{float(relu_gap_from_distance(1e-12)):.12e}")  # 1 - h(1 - 1e-12), no digits lost
9.999996998946e-13
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = [
    "G",
    "G0",
    "G2",
    "PRIMITIVES",
    "derivative_gram",
    "derivative_gram_gap",
    "dual_gram_gap",
    "gram_gap",
    "dual_gap",
    "dual_gram",
    "h",
    "h0",
    "h2",
    "relu_correlation",
    "relu_dual",
    "relu_gap",
    "relu_gap_from_distance",
    "relu_mean",
    "sin_minus_t_cos",
]

# J(t) = sin t - t cos t = sum_{k>=1} (-1)^(k+1) 2k t^(2k+1) / (2k+1)!;
# 11 terms reach 1e-20 relative for t < 1.  Also read by the Numba kernel (fused.py).
J_SERIES = tuple((-1) ** (k + 1) * 2 * k / math.factorial(2 * k + 1) for k in range(1, 12))

# fdlibm e_asin.c: asin(x) = x + x z P(z) / Q(z), z = x^2, for |x| <= 1/2 (error < 2^-58).
ASIN_P = (1.66666666666666657415e-01, -3.25565818622400915405e-01, 2.01212532134862925881e-01,
          -4.00555345006794114027e-02, 7.91534994289814532176e-04, 3.47933107596021167570e-05)
ASIN_Q = (1.0, -2.40339491173441421878e00, 2.02094576023350569471e00,
          -6.88283971605453293030e-01, 7.70381505559019352791e-02)

# Series in t^2 (times t^3) of the other two small-angle combinations:
# S(t) = t - sin t cos t = (2t - sin 2t) / 2 (the distance map G2; 14 terms, < 1e-19 at t = 1),
# K2(t) = t (1 + 2 cos^2 t) - 3 sin t cos t = O(t^5) (the map h2 near C = -1; 18 terms, < 1e-20
# at t = 1.5: its direct form still cancels by a factor ~7 at t = 1).
S_SERIES = tuple((-1) ** (k + 1) * 2 ** (2 * k) / math.factorial(2 * k + 1) for k in range(1, 15))
K2_SERIES = tuple((-1) ** k * (k - 1) * 2 ** (2 * k + 1) / math.factorial(2 * k + 1) for k in range(1, 19))

# Below these angles the series are used; above them the direct forms lose at most a factor ~2.
_SWITCH = 1.0
_SWITCH_K2 = 1.5
_PI = math.pi


def _poly(coefs: tuple[float, ...], z: Any) -> Any:
    """``sum_k coefs[k] z^k`` by Horner's rule (array or scalar ``z``)."""
    acc = z * 0.0 + coefs[-1]
    for k in range(len(coefs) - 2, -1, -1):
        acc = acc * z + coefs[k]
    return acc


def _small(coefs: tuple[float, ...], t: Any) -> Any:
    """``t^3 sum_k coefs[k] t^(2k)``: a small-angle series."""
    t2 = t * t
    return _poly(coefs, t2) * t2 * t


def _half_angle(xp: Any, C: Any, omc: Any, opc: Any) -> tuple[Any, Any, Any]:
    """``(big, small, r)``: ``r = asin(x)`` of the reduced argument ``x`` in ``[0, 1/2]``.

    ``theta = arccos C`` is ``2 r`` where ``big`` (``C > 1/2``), ``pi - 2 r`` where
    ``small`` (``C < -1/2``) and ``pi/2 - r`` between.  ``omc = 1 - C`` and
    ``opc = 1 + C`` are passed separately because each must be exact where it is
    small (near ``C = 1`` and ``C = -1`` respectively).
    """
    big = C > 0.5
    small = C < -0.5
    z_out = xp.where(big, 0.5 * omc, 0.5 * opc)
    outer = xp.logical_or(big, small)
    z = xp.where(outer, z_out, C * C)
    x = xp.where(outer, xp.sqrt(z_out), C)
    return big, small, x + x * (z * _poly(ASIN_P, z) / _poly(ASIN_Q, z))


def _theta(xp: Any, C: Any, omc: Any, opc: Any) -> Any:
    """``arccos C``, exact to rounding where it is small (``C -> 1``)."""
    big, small, r = _half_angle(xp, C, omc, opc)
    return xp.where(big, 2.0 * r, xp.where(small, _PI - 2.0 * r, 0.5 * _PI - r))


def _phi(xp: Any, C: Any, omc: Any, opc: Any) -> Any:
    """``pi - arccos C``, exact to rounding where it is small (``C -> -1``)."""
    big, small, r = _half_angle(xp, C, omc, opc)
    return xp.where(big, _PI - 2.0 * r, xp.where(small, 2.0 * r, 0.5 * _PI + r))


def _sin(xp: Any, omc: Any, opc: Any) -> Any:
    """``sin(arccos C) = sqrt((1 - C)(1 + C))``."""
    return xp.sqrt(xp.clip(omc * opc, 0.0, None))


def h0(xp: Any, C: Any) -> Any:
    """Step (order-0 arc-cosine) map ``h_0(C) = 1 - arccos(C) / pi``.

    >>> float(h0(np, np.asarray(0.0)))
    0.5
    """
    C = xp.clip(C, -1.0, 1.0)
    return _phi(xp, C, 1.0 - C, 1.0 + C) / _PI


def h(xp: Any, C: Any) -> Any:
    """ReLU map ``h(C) = (sin phi - phi cos phi) / pi`` with ``phi = pi - arccos C``.

    >>> h(np, np.asarray([-1.0, 0.5, 1.0])).round(7).tolist()
    [0.0, 0.6089978, 1.0]
    """
    C = xp.clip(C, -1.0, 1.0)
    omc, opc = 1.0 - C, 1.0 + C
    phi = _phi(xp, C, omc, opc)
    return xp.where(phi < _SWITCH, _small(J_SERIES, phi), _sin(xp, omc, opc) + phi * C) / _PI


def h2(xp: Any, C: Any) -> Any:
    """Order-2 arc-cosine map ``h_2(C) = (3 sin(theta) C + phi (1 + 2 C^2)) / (3 pi)``.

    >>> round(float(h2(np, np.asarray(0.0))) * 6, 12)  # h_2(0) = 1/6
    1.0
    """
    C = xp.clip(C, -1.0, 1.0)
    omc, opc = 1.0 - C, 1.0 + C
    phi = _phi(xp, C, omc, opc)
    direct = 3.0 * _sin(xp, omc, opc) * C + phi * (1.0 + 2.0 * C * C)
    return xp.where(phi < _SWITCH_K2, _small(K2_SERIES, phi), direct) / (3.0 * _PI)


def G0(xp: Any, eps: Any) -> Any:  # noqa: N802  (the theory layer's name)
    """``1 - h_0(1 - eps) = arccos(1 - eps) / pi``."""
    eps = xp.clip(eps, 0.0, 2.0)
    return _theta(xp, 1.0 - eps, eps, 2.0 - eps) / _PI  # 2 - eps is exact where it is small


def G(xp: Any, eps: Any) -> Any:  # noqa: N802
    """The ReLU distance map ``1 - h(1 - eps) = eps - (sin theta - theta cos theta) / pi``.

    >>> round(float(G(np, np.asarray(1e-12))) * 1e12, 9)  # no digits lost
    0.9999997
    """
    eps = xp.clip(eps, 0.0, 2.0)
    C, opc = 1.0 - eps, 2.0 - eps
    theta = _theta(xp, C, eps, opc)
    J = xp.where(theta < _SWITCH, _small(J_SERIES, theta), _sin(xp, eps, opc) - theta * C)
    return eps - J / _PI


def G2(xp: Any, eps: Any) -> Any:  # noqa: N802
    """``1 - h_2(1 - eps) = (3 (theta - sin theta cos theta) + 2 phi sin^2 theta) / (3 pi)``."""
    eps = xp.clip(eps, 0.0, 2.0)
    C, opc = 1.0 - eps, 2.0 - eps
    theta = _theta(xp, C, eps, opc)
    S = xp.where(theta < _SWITCH, _small(S_SERIES, theta), theta - _sin(xp, eps, opc) * C)
    return (3.0 * S + 2.0 * (_PI - theta) * (eps * opc)) / (3.0 * _PI)


#: the primitives by their SymPy name (``h`` is also printed ``h1`` by older generated code)
PRIMITIVES = {"h0": h0, "h": h, "h2": h2, "G0": G0, "G": G, "G2": G2}


def dual_gap(xp: Any, C: Any) -> Any:
    """The dual gap ``1 - h(C)`` of the ReLU map, exact to rounding as ``C -> 1``."""
    return G(xp, 1.0 - xp.clip(C, -1.0, 1.0))


def _diagonal(xp: Any, K: Any) -> Any:
    if xp is np:
        return np.diagonal(K)
    n = K.shape[0]
    return xp.sum(K * xp.eye(n, dtype=K.dtype), axis=1)


def _correlation(xp: Any, K: Any) -> tuple[Any, Any, Any]:
    """``(diag, C, positive)``: the clipped diagonal, the correlations (in [-1, 1]) and where defined."""
    diag = xp.clip(_diagonal(xp, K), 0.0, None)
    # Scale by a power of two first (exact), so the products below neither overflow
    # nor underflow for Grams anywhere in 1e-300 .. 1e300; then the sqrt of the product,
    # not a product of roots: equal diagonals give C = 1 exactly.
    top = float(xp.max(diag)) if diag.shape[0] else 0.0
    e = math.frexp(top)[1] if 0.0 < top < math.inf else 0

    def unit(x: Any) -> Any:  # x * 2^-e in two exact steps (2^-e alone may not be a float64)
        return (x * 2.0 ** -(e // 2)) * 2.0 ** -(e - e // 2)

    dn = unit(diag)
    prod = dn[:, None] * dn[None, :]
    tiny = prod < 1e-290  # diagonals more than ~290 decades apart: roots, to stay normal
    root_n = xp.sqrt(dn)
    scale = xp.where(tiny, root_n[:, None] * root_n[None, :], xp.sqrt(prod))
    positive = scale > 0
    C = xp.where(positive, unit(K) / xp.where(positive, scale, 1.0), 0.0)
    return diag, xp.clip(C, -1.0, 1.0), positive


def dual_gram(
    xp: Any,
    K: Any,
    second_moment: Any,
    h_map: Any,
    zero_value: float = 0.0,
) -> Any:
    """``out_ij = sqrt(d_i d_j) h(C_ij)``, ``d_i = second_moment(K_ii)``: a Gram's dual map.

    ``second_moment(d)`` is ``c E[s(u)^2]`` for ``u ~ N(0, d)`` (``d > 0``) and
    ``h_map(C)`` the normalised dual map.  A row with a zero diagonal (an input
    of zero variance, ``u = 0``) maps to ``c s(0)^2 = zero_value`` on the diagonal
    and 0 elsewhere.  ``K`` is assumed symmetric PSD.

    >>> dual_gram(np, np.array([[1.0, 0.0], [0.0, 4.0]]), lambda d: d, lambda C: h(np, C)).round(6).tolist()
    [[1.0, 0.63662], [0.63662, 4.0]]
    """
    diag, C, positive = _correlation(xp, K)
    # (+ zeros: a moment that does not depend on the variance comes back as a Python number)
    d = xp.where(diag > 0, second_moment(xp.where(diag > 0, diag, 1.0)) + xp.zeros_like(diag), zero_value)
    root = xp.sqrt(d)
    out = xp.where(positive, (root[:, None] * root[None, :]) * h_map(C), 0.0)
    if xp is np:
        np.fill_diagonal(out, d)
        return out.astype(K.dtype, copy=False)
    eye = xp.eye(K.shape[0], dtype=K.dtype)
    return xp.astype(out * (1.0 - eye) + eye * d[:, None], K.dtype)


def derivative_gram(xp: Any, K: Any, moment: Any) -> Any:
    """``out_ij = moment(d_i, d_j, C_ij)``, ``d = diag(K)``: the derivative dual map of a Gram.

    ``moment(s_i, s_j, C)`` is ``E[s'(u) s'(v)]`` for variances ``s_i, s_j`` and
    correlation ``C`` (the activation's :meth:`derivative_moment`); the
    correlations are formed as in :func:`dual_gram`, so equal diagonals give
    ``C = 1`` exactly.  Rows of zero variance map to 0: an input that is
    constantly zero passes no gradient back (its pre-activation Gram row is zero).

    >>> derivative_gram(np, np.array([[1.0, 0.0], [0.0, 4.0]]), lambda a, b, C: h0(np, C) / 2).tolist()
    [[0.5, 0.25], [0.25, 0.5]]
    """
    diag, C, positive = _correlation(xp, K)
    safe = xp.where(diag > 0, diag, 1.0)
    out = xp.where(positive, moment(safe[:, None], safe[None, :], C) + xp.zeros_like(C), 0.0)
    return xp.astype(out, K.dtype) if xp is not np else out.astype(K.dtype, copy=False)


def gram_gap(xp: Any, K: Any) -> Any:
    """``E_ij = (K_ii + K_jj)/2 - K_ij``: a Gram's *gap*, the quantity that keeps ``1 - C`` as ``C -> 1``.

    >>> gram_gap(np, np.array([[1.0, 0.75], [0.75, 4.0]])).tolist()
    [[0.0, 1.75], [1.75, 0.0]]
    """
    d = _diagonal(xp, K)
    return 0.5 * (d[:, None] + d[None, :]) - K


def _distance(xp: Any, K: Any, E: Any) -> tuple[Any, Any, Any]:
    """``(diag, eps, positive)``: ``eps = 1 - C`` read from the gaps ``E`` (no cancellation as C -> 1).

    ``1 - C = (E_ij - (sqrt(K_ii) - sqrt(K_jj))^2 / 2) / sqrt(K_ii K_jj)``, after the
    power-of-two scaling of :func:`_correlation`.
    """
    diag = xp.clip(_diagonal(xp, K), 0.0, None)
    top = float(xp.max(diag)) if diag.shape[0] else 0.0
    e = math.frexp(top)[1] if 0.0 < top < math.inf else 0

    def unit(x: Any) -> Any:
        return (x * 2.0 ** -(e // 2)) * 2.0 ** -(e - e // 2)

    root = xp.sqrt(unit(diag))
    den = root[:, None] * root[None, :]
    num = unit(E) - 0.5 * (root[:, None] - root[None, :]) ** 2
    positive = den > 0
    eps = xp.where(positive, num / xp.where(positive, den, 1.0), 0.0)
    return diag, xp.clip(eps, 0.0, 2.0), positive


def dual_gram_gap(xp: Any, K: Any, E: Any, second_moment: Any, h_map: Any, g_map: Any,
                  zero_value: float = 0.0) -> tuple[Any, Any]:
    """:func:`dual_gram` and the output's gap, both read from the input's gap ``E``.

    ``out_ij = r_i r_j h(1 - eps)`` and ``gap_ij = (r_i - r_j)^2 / 2 + r_i r_j G(eps)`` with
    ``r_i^2 = second_moment(K_ii)``: near ``C = 1`` neither cancels.

    >>> K = np.array([[1.0, 1 - 1e-15], [1 - 1e-15, 1.0]])
    >>> out, gap = dual_gram_gap(np, K, gram_gap(np, K), lambda d: d, lambda C: h(np, C), lambda e: G(np, e))
    >>> abs(float(gap[0, 1]) / float(G(np, 1 - K[0, 1])) - 1) < 1e-15   # every digit of G(1 - C)
    True
    """
    diag, eps, positive = _distance(xp, K, E)
    d = xp.where(diag > 0, second_moment(xp.where(diag > 0, diag, 1.0)) + xp.zeros_like(diag), zero_value)
    r = xp.sqrt(d)
    rr = r[:, None] * r[None, :]
    out = xp.where(positive, rr * h_map(1.0 - eps), 0.0)
    gap = xp.where(positive, 0.5 * (r[:, None] - r[None, :]) ** 2 + rr * g_map(eps),
                   0.5 * (d[:, None] + d[None, :]) - out)
    eye = xp.eye(K.shape[0], dtype=K.dtype)
    out = out * (1.0 - eye) + eye * d[:, None]
    return xp.astype(out, K.dtype), xp.astype(gap * (1.0 - eye), K.dtype)


def derivative_gram_gap(xp: Any, K: Any, E: Any, moment: Any, distance: Any) -> tuple[Any, Any]:
    """The derivative map ``e_ij`` and ``sqrt(e_ii e_jj) - e_ij``, both read from the gap ``E``.

    ``moment(s_i, s_j, C)`` and ``distance(s_i, s_j, eps)`` are the activation's
    :meth:`derivative_moment` and :meth:`derivative_distance`; ``e_ij = moment(.., 1) -
    distance(.., eps)``, so the square-root singularity at ``C = 1`` is read from ``eps``.
    """
    diag, eps, positive = _distance(xp, K, E)
    _, C, _ = _correlation(xp, K)
    safe = xp.where(diag > 0, diag, 1.0)
    si, sj = safe[:, None], safe[None, :]
    top = xp.where(positive, moment(si, sj, xp.ones_like(eps)) + xp.zeros_like(eps), 0.0)
    # near C = 1 from eps; for C <= 0, where eps carries no more digits than C, from C as derivative_gram does
    near = eps < 1.0
    drop = xp.where(positive & near, distance(si, sj, xp.where(near, eps, 0.0)) + xp.zeros_like(eps), 0.0)
    e_c = xp.where(positive, moment(si, sj, C) + xp.zeros_like(C), 0.0)
    e = xp.where(near, top - drop, e_c)
    return e, xp.where(near, drop, top - e_c)


# ---------------------------------------------------------------------- NumPy names of the ReLU map
def _as_float_array(x: object) -> np.ndarray:
    arr = np.asarray(x)
    if arr.dtype.kind != "f":
        arr = arr.astype(np.float64)
    return arr


def sin_minus_t_cos(t: np.ndarray | float) -> np.ndarray:
    """``sin t - t cos t`` for ``t`` in ``[0, pi]`` with full relative accuracy near 0.

    >>> print(f"{float(sin_minus_t_cos(1e-5)):.12e}")  # = t^3/3 - t^5/30 + ...
    3.333333333300e-16
    """
    t = _as_float_array(t)
    return np.where(t < _SWITCH, _small(J_SERIES, t), np.sin(t) - t * np.cos(t))


def relu_correlation(C: np.ndarray | float) -> np.ndarray:
    """The normalised ReLU dual map ``h(C)`` in NumPy; ``C`` is clipped to ``[-1, 1]``.

    >>> np.round(relu_correlation([-1.0, 0.5, 1.0]), 7).tolist()
    [0.0, 0.6089978, 1.0]
    """
    return h(np, _as_float_array(C))


def relu_gap_from_distance(eps: np.ndarray | float) -> np.ndarray:
    """The distance map ``G(eps) = 1 - h(1 - eps)``, ``eps = 1 - C`` in ``[0, 2]``, in NumPy.

    Passing the distance ``eps`` rather than ``C`` lets iterated maps keep full
    relative accuracy: ``1 - h^k(C)`` is ``relu_gap_from_distance`` applied ``k`` times.
    """
    return G(np, _as_float_array(eps))


def relu_gap(C: np.ndarray | float) -> np.ndarray:
    """The dual gap ``1 - h(C)`` in NumPy, with full relative accuracy as ``C -> 1``.

    >>> float(relu_gap(-1.0))
    1.0
    """
    return dual_gap(np, _as_float_array(C))


def relu_dual(K: np.ndarray, c_sigma: float = 2.0) -> np.ndarray:
    """ReLU dual map of a Gram matrix: ``f(K)_ij = c/2 sqrt(K_ii K_jj) h(C_ij)``.

    Rows with a zero diagonal (a node that receives nothing) map to zero; the
    diagonal is ``c/2 K_ii`` exactly.  ``K`` is validated as a Gram matrix (O(N^2))
    and ``c_sigma`` as a positive finite number; any scale from 1e-300 to 1e300 works.

    >>> relu_dual(np.array([[1.0, 0.0], [0.0, 4.0]])).round(6).tolist()
    [[1.0, 0.63662], [0.63662, 4.0]]
    """
    from dagnngp.numerics.validate import check_c_sigma, check_gram

    half_c = 0.5 * check_c_sigma(c_sigma)
    with np.errstate(over="ignore", invalid="ignore"):
        out = dual_gram(np, check_gram(K, "K"), lambda d: half_c * d, lambda C: h(np, C))
    if not np.all(np.isfinite(out)):
        raise ValueError(f"relu_dual: the result overflows float64 (c_sigma={c_sigma:g}, largest diagonal "
                         f"{float(np.max(np.diagonal(K))):.3g}); rescale the Gram or lower c_sigma")
    return out


def relu_mean(diag: np.ndarray, c_sigma: float = 2.0) -> np.ndarray:
    """Normalised mean of a linear edge's output: ``sqrt(c K_ii / (2 pi))`` per sample."""
    return np.sqrt(c_sigma * np.maximum(diag, 0.0) / (2.0 * np.pi))
