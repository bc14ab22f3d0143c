"""Scale-free rates: quantities that do not change when a kernel is multiplied by a constant.

Multiplying every weight variance (or the output) by ``a`` multiplies the NNGP
and the NTK by ``a``, and with them the raw least eigenvalue and the 2x2 gap,
so a motif with more paths "wins" on raw numbers.  Ratios of eigenvalues and
the gap over the diagonal do not move:

* :func:`lambda_ratio` -- ``lambda_min / lambda_max`` of a kernel (in ``[0, 1]``);
* :func:`condition` -- ``lambda_max / lambda_min`` (``inf`` for a singular kernel);
* :func:`gap_ratio` -- the least eigenvalue of the 2x2 block of inputs ``i, j``
  over the block's mean diagonal (in ``[0, 1]``).

Under the step rule ``eta = c / lambda_max(Theta)`` the linearised loss after
``k`` steps depends on the NTK only through ``Theta / lambda_max``, so the
predicted steps to a relative target loss are scale-free too
(:meth:`dagnngp.training.LossModel.steps_to`).

>>> import numpy as np
>>> K = np.array([[2.0, 1.0], [1.0, 2.0]])
>>> gap_ratio(K), gap_ratio(10 * K), lambda_ratio(K), condition(K)
(0.5, 0.5, 0.333..., 3.0)
"""

from __future__ import annotations

import math

import numpy as np

from dagnngp.numerics.bounds import least_eigenvalue_2x2

__all__ = ["condition", "eigenvalues", "gap_ratio", "lambda_ratio", "scale_free_rates"]

#: eigenvalues below this fraction of lambda_max count as zero (rounding of a singular kernel)
SINGULAR_RTOL = 1e-12


def eigenvalues(K: object, name: str = "K") -> np.ndarray:
    """Ascending eigenvalues of a symmetric PSD kernel; ``ValueError`` for anything else.

    Eigenvalues within rounding of zero (``|lambda| <= 1e-12 lambda_max``) are set to 0.

    >>> eigenvalues([[1.0, 0.0], [0.0, 3.0]]).tolist()
    [1.0, 3.0]
    """
    arr = np.asarray(K, dtype=float) if not isinstance(K, np.ndarray) else K.astype(float, copy=False)
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1] or arr.shape[0] == 0:
        raise ValueError(f"{name} must be a square N x N kernel, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} has a non-finite entry (NaN or inf)")
    scale = float(np.max(np.abs(arr)))
    if not np.allclose(arr, arr.T, rtol=1e-10, atol=1e-12 * scale):
        raise ValueError(f"{name} is not symmetric")
    lam = np.linalg.eigvalsh(0.5 * (arr + arr.T))
    top = max(float(lam[-1]), 0.0)
    if lam[0] < -1e-8 * max(top, 1e-300):
        raise ValueError(f"{name} is not positive semi-definite (least eigenvalue {lam[0]:.3g})")
    lam[np.abs(lam) <= SINGULAR_RTOL * top] = 0.0
    return np.maximum(lam, 0.0)


def lambda_ratio(K: object) -> float:
    """``lambda_min(K) / lambda_max(K)``, in ``[0, 1]`` (0 for a singular or zero kernel).

    >>> lambda_ratio(np.diag([1.0, 4.0]))
    0.25
    """
    lam = eigenvalues(K)
    return float(lam[0] / lam[-1]) if lam[-1] > 0 else 0.0


def condition(K: object) -> float:
    """``lambda_max(K) / lambda_min(K)``: ``inf`` for a singular kernel.

    >>> condition(np.diag([1.0, 4.0])), condition(np.ones((2, 2)))
    (4.0, inf)
    """
    lam = eigenvalues(K)
    return float(lam[-1] / lam[0]) if lam[0] > 0 else math.inf


def gap_ratio(K: object, i: int = 0, j: int = 1) -> float:
    """The 2x2 gap of inputs ``i, j`` over the block's mean diagonal: ``lambda_min / ((K_ii + K_jj) / 2)``.

    For equal diagonals ``a`` and off-diagonal ``b`` this is ``1 - |b| / a``: one minus
    the output correlation.

    >>> gap_ratio([[4.0, 3.0], [3.0, 4.0]])
    0.25
    """
    arr = np.asarray(K, dtype=float)
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1] or arr.shape[0] < 2:
        raise ValueError(f"K must be a square kernel on at least two inputs, got shape {arr.shape}")
    n = arr.shape[0]
    for name, v in (("i", i), ("j", j)):
        if isinstance(v, bool) or not isinstance(v, int | np.integer) or not 0 <= v < n:
            raise ValueError(f"{name}={v!r} is not an input index; use an int in 0..{n - 1}")
    if i == j:
        raise ValueError(f"i and j must be two different inputs, got i = j = {i}")
    a, c, b = arr[i, i], arr[j, j], arr[i, j]
    if not all(math.isfinite(float(v)) for v in (a, b, c)):
        raise ValueError("K has a non-finite entry (NaN or inf) in the 2x2 block")
    mean_diag = 0.5 * (a + c)
    if mean_diag <= 0:
        raise ValueError(f"the 2x2 block of inputs {i}, {j} has a zero diagonal: the ratio is undefined")
    return float(least_eigenvalue_2x2(a, c, b) / mean_diag)


def scale_free_rates(theta: object, K: object) -> dict[str, float]:
    """The scale-free rates of an output NTK ``theta`` and NNGP ``K`` on the same inputs.

    ``gap_ratio`` is of inputs 0 and 1, ``min_gap_ratio`` the least over all pairs.

    >>> r = scale_free_rates(np.diag([2.0, 4.0]), np.diag([1.0, 1.0]))
    >>> r["ntk_lambda_ratio"], r["nngp_condition"], r["ntk_gap_ratio"]
    (0.5, 1.0, 0.666...)
    """
    out: dict[str, float] = {}
    for name, M in (("ntk", theta), ("nngp", K)):
        lam = eigenvalues(M, name)
        out[f"{name}_lambda_ratio"] = float(lam[0] / lam[-1]) if lam[-1] > 0 else 0.0
        out[f"{name}_condition"] = float(lam[-1] / lam[0]) if lam[0] > 0 else math.inf
        arr = np.asarray(M, dtype=float)
        if arr.shape[0] >= 2:
            out[f"{name}_gap_ratio"] = gap_ratio(arr, 0, 1)
            out[f"{name}_min_gap_ratio"] = _min_gap_ratio(arr)
    return out


def _min_gap_ratio(K: np.ndarray) -> float:
    d = np.diagonal(K)
    iu, ju = np.triu_indices(K.shape[0], 1)
    lam = least_eigenvalue_2x2(d[iu], d[ju], K[iu, ju])
    return float(np.min(lam / (0.5 * (d[iu] + d[ju]))))
