"""Scalar ReLU maps for the Numba kernels: the dual map ``h(C)`` and its gap ``1 - h(1 - eps)``.

This module imports Numba at the top, so it is itself imported only when a
Numba backend is first used (``dagnngp.numerics`` does not import it).

The dual map uses only ``sqrt``, fused multiply-adds and one division:
``arccos`` is reduced to an arcsine on ``[0, 1/2]`` (fdlibm's rational
approximation, error below ``2^-58``), and ``sin t - t cos t`` is replaced by
its Taylor series for angles below 1, so ``h(C)`` keeps full relative accuracy as
``C -> -1`` and ``1 - h(C)`` as ``C -> 1``.  Every branch is computed and then
selected, so loops over these functions vectorise.

:func:`relu_h_and_slope` returns the derivative dual map ``h'(C) = 1 - theta / pi``
(the NTK's) from the same angle.  Besides the off-diagonal map, a linear edge needs its exact diagonal value
(:func:`relu_diag`, ``c/2 (K_ii + sigma_b^2)``) and its normalised mean
(:func:`relu_mean_scalar`).

Numba's on-disk cache checks only the file of the kernel it compiled, not the
files of the functions that kernel calls: after editing this module, delete
the cached ``*.nbi`` / ``*.nbc`` files of ``numerics/`` so that the kernels of
:mod:`~dagnngp.numerics.numba_program`, :mod:`~dagnngp.numerics.numba_blocks`
and :mod:`~dagnngp.numerics.numba_sweep` are recompiled.

>>> round(relu_h(0.5), 7)
0.6089978
>>> relu_diag(1.0, 2.0, 0.0), round(relu_mean_scalar(1.0, 1.0, 0.0), 7)  # c = 2, K_ii = 2
(2.0, 0.5641896)
"""

from __future__ import annotations

import math

from dagnngp._numba_cache import configure_numba_cache

# before any @njit(cache=True) of the toolkit (they all take NUMBA_FLAGS from here): a writable
# cache folder, or in-memory compilation when none is (never "no locator available")
configure_numba_cache()

from numba import njit, types  # noqa: E402
from numba.extending import intrinsic  # noqa: E402

from dagnngp.numerics.dual import ASIN_P, ASIN_Q, J_SERIES  # noqa: E402

__all__ = ["NUMBA_FLAGS", "relu_diag", "relu_gap_eps", "relu_h", "relu_h_and_slope", "relu_h_slope_gap",
           "relu_mean_scalar", "wide_vectors"]

#: Options of every ``njit`` of the toolkit's Numba kernels (on-disk cache, NumPy error model, FMAs).
NUMBA_FLAGS = {"cache": True, "error_model": "numpy", "fastmath": {"contract"}}



@intrinsic
def wide_vectors(typingctx):
    """Let LLVM vectorise the loops of the calling kernel with the CPU's widest vectors.

    LLVM's default on AVX-512 CPUs is 256-bit vectors (``prefer-vector-width``
    256, a guard against the clock throttling of early AVX-512 parts); the dual
    map's loops run about twice as fast with 512-bit vectors on current ones.
    Call it first in a kernel whose loops are meant to vectorise; on CPUs
    without AVX-512 it changes nothing.  The attribute is set on the function
    being compiled, so it applies where the loops end up after inlining.
    """
    def codegen(context, builder, signature, args):
        # llvmlite's attribute set knows only flag attributes; a key-value one is added as written
        set.add(builder.function.attributes, '"prefer-vector-width"="512"')
        return context.get_dummy_value()

    return types.none(), codegen


_PI = math.pi
_PIO2 = 0.5 * math.pi
_INV_PI = 1.0 / math.pi

# fdlibm's rational arcsine and the J series, from the one place every backend reads them
_PS0, _PS1, _PS2, _PS3, _PS4, _PS5 = ASIN_P
_QS1, _QS2, _QS3, _QS4 = ASIN_Q[1:]

# J(t) = sin t - t cos t by its series below t = 1; above it the direct form s -+ t C
# cancels by less than a factor 3.
_J1, _J2, _J3, _J4, _J5, _J6, _J7, _J8, _J9, _J10, _J11 = J_SERIES
_J_SWITCH = 1.0


@njit(**NUMBA_FLAGS)
def _asin_small(x, z):
    """asin(x) for |x| <= 1/2 given z = x*x (fdlibm rational approximation)."""
    p = z * (_PS0 + z * (_PS1 + z * (_PS2 + z * (_PS3 + z * (_PS4 + z * _PS5)))))
    q = 1.0 + z * (_QS1 + z * (_QS2 + z * (_QS3 + z * _QS4)))
    return x + x * (p / q)


@njit(**NUMBA_FLAGS)
def _j_series(t):
    t2 = t * t
    s = _J11
    s = s * t2 + _J10
    s = s * t2 + _J9
    s = s * t2 + _J8
    s = s * t2 + _J7
    s = s * t2 + _J6
    s = s * t2 + _J5
    s = s * t2 + _J4
    s = s * t2 + _J3
    s = s * t2 + _J2
    s = s * t2 + _J1
    return s * t2 * t


@njit(**NUMBA_FLAGS)
def _angles(C, omc, opc):
    """(theta, phi, sin theta) with theta = arccos C, phi = pi - theta.

    ``omc = 1 - C`` and ``opc = 1 + C`` must be exact where small; the small
    angle is always computed directly (never as pi minus something).
    """
    big = C > 0.5
    small = C < -0.5
    outer = abs(C) > 0.5
    z_outer = 0.5 * omc if big else 0.5 * opc
    sq = math.sqrt(z_outer)
    z = z_outer if outer else C * C
    x = sq if outer else C
    r = _asin_small(x, z)
    two_r = 2.0 * r
    pi_minus = _PI - two_r
    mid_theta = _PIO2 - r
    mid_phi = _PIO2 + r
    theta = two_r if big else (pi_minus if small else mid_theta)
    phi = pi_minus if big else (two_r if small else mid_phi)
    s = math.sqrt(max(omc * opc, 0.0))
    return theta, phi, s


@njit(**NUMBA_FLAGS)
def relu_h(C):
    """ReLU dual map ``h(C)`` for ``C`` in ``[-1, 1]``, relative accuracy kept as ``C -> -1``.

    >>> round(relu_h(-1.0), 7), round(relu_h(1.0), 7)
    (0.0, 1.0)
    """
    C = min(max(C, -1.0), 1.0)
    theta, phi, s = _angles(C, 1.0 - C, 1.0 + C)
    return _h_from_angles(C, theta, phi, s)


@njit(**NUMBA_FLAGS)
def _h_from_angles(C, theta, phi, s):
    """``h(C)``: ``J(phi) / pi`` for ``C <= 1/2``, ``C + J(theta) / pi`` above (``J(t) = sin t - t cos t``).

    ``J(phi) = pi C + J(theta)``; above ``C = 1/2`` the second form adds a small
    correction to the exact ``C``, so ``h(C)`` is within half an ulp or so of the
    true value and ``1 - h`` keeps its digits: the NTK's derivative map
    ``1 - theta / pi`` of the next layer reads that gap.  One series is
    evaluated, at ``theta`` (``< pi/3`` there) or at ``phi``.
    """
    big = C > 0.5
    series = _j_series(theta if big else phi)
    direct = s + phi * C  # = sin(phi) - phi cos(phi)
    J = series if phi < _J_SWITCH else direct
    return C + series * _INV_PI if big else J * _INV_PI


@njit(**NUMBA_FLAGS)
def relu_h_and_slope(C):
    """``(h(C), h'(C))`` from one angle: ``h'(C) = 1 - arccos(C) / pi`` is the derivative dual map.

    ``c E[relu'(u_i) relu'(u_j)] = c/2 h'(C)``, the NTK's map; both values keep full
    relative accuracy as ``C -> -1`` (``pi - arccos C`` is computed directly).

    >>> h, slope = relu_h_and_slope(0.0)
    >>> round(h * math.pi, 12), slope
    (1.0, 0.5)
    """
    C = min(max(C, -1.0), 1.0)
    theta, phi, s = _angles(C, 1.0 - C, 1.0 + C)
    return _h_from_angles(C, theta, phi, s), phi * _INV_PI


# inlined at the Numba level: LLVM's own inliner leaves a function this size as a call, and a
# loop that calls it does not vectorise
@njit(inline="always", **NUMBA_FLAGS)
def relu_h_slope_gap(C, omc):
    """``(h(C), h'(C), 1 - h(C))`` given ``C`` and, separately, ``omc = 1 - C`` exact to its last digits.

    Above ``C = 1/2`` every value is computed from ``omc`` (so ``h'(C) = 1 - theta / pi``
    and the gap ``1 - h`` keep full relative accuracy as ``C -> 1``), below it from ``C``.

    >>> h, slope, g = relu_h_slope_gap(1.0 - 1e-12, 1e-12)
    >>> h == 1.0 - 1e-12, round(slope, 9), float(f"{g:.12e}")
    (True, 0.99999955, 9.999996998946e-13)
    """
    C = min(max(C, -1.0), 1.0)
    omc = min(max(omc, 0.0), 2.0)
    big = C > 0.5
    Cb = 1.0 - omc if big else C
    theta, phi, s = _angles(Cb, omc if big else 1.0 - C, 1.0 + Cb)
    series = _j_series(theta if big else phi)
    direct = s + phi * Cb
    J = series if phi < _J_SWITCH else direct
    h = Cb + series * _INV_PI if big else J * _INV_PI
    gap = omc - series * _INV_PI if big else 1.0 - h
    return h, phi * _INV_PI, gap


@njit(**NUMBA_FLAGS)
def relu_gap_eps(eps):
    """``1 - h(1 - eps)`` for ``eps`` in ``[0, 2]``, relative accuracy kept as ``eps -> 0``.

    >>> float(f"{relu_gap_eps(1e-12):.12e}")
    9.999996998946e-13
    """
    eps = min(max(eps, 0.0), 2.0)
    C = 1.0 - eps
    theta, phi, s = _angles(C, eps, 2.0 - eps)
    direct = s - theta * C  # = sin(theta) - theta cos(theta)
    series = _j_series(theta)
    J = series if theta < _J_SWITCH else direct
    return eps - J * _INV_PI


@njit(**NUMBA_FLAGS)
def relu_diag(K_ii, half_c, sb2):
    """Exact diagonal of a linear edge's Gram: ``c/2 (K_ii + sigma_b^2)`` (``h(1) = 1``).

    >>> relu_diag(3.0, 1.0, 1.0)
    4.0
    """
    return half_c * max(K_ii + sb2, 0.0)


@njit(**NUMBA_FLAGS)
def relu_mean_scalar(K_ii, half_c, sb2):
    """Normalised mean of a linear edge: ``sqrt(c) E[relu(u)] = sqrt(c/2 p / pi)``, ``p = K_ii + sigma_b^2``.

    >>> round(relu_mean_scalar(math.pi, 1.0, 0.0), 12)
    1.0
    """
    return math.sqrt(half_c * max(K_ii + sb2, 0.0) * _INV_PI)
