"""Argument validation shared by the numeric entry points.

Every public function validates first and raises a ``ValueError`` that says
what is wrong and how to fix it, so no NaN or deep traceback reaches the user.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "PSD_CHECK_MAX_N",
    "check_c_sigma",
    "check_finite_result",
    "check_gram",
    "check_means",
    "check_scale",
    "check_model",
]

#: Former automatic limit of the eigenvalue test; kept for callers that read it.  The
#: test (O(N^3)) now runs only on request (``check_psd=True``) at any N.
PSD_CHECK_MAX_N = 0

MODELS = ("exact", "paper")


def check_model(model: str) -> str:
    if model not in MODELS:
        raise ValueError(
            f"model={model!r} is not known; use 'exact' (the true infinite-width limit, "
            "with cross terms) or 'paper' (the paper's recursion, which drops them)"
        )
    return model


def check_c_sigma(c_sigma: float) -> float:
    try:
        value = float(c_sigma)
    except (TypeError, ValueError):
        raise ValueError(f"c_sigma must be a positive number, not {c_sigma!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(
            f"c_sigma={c_sigma!r} is not a positive finite number; the weight variance "
            "scale must be > 0 (2.0 is He initialisation for ReLU)"
        )
    return value


def _float_array(x: object, name: str) -> np.ndarray:
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"{name} could not be read as an array: {exc}") from None
    if arr.dtype.kind in "biu":
        arr = arr.astype(np.float64)
    if arr.dtype not in (np.float32, np.float64):
        raise ValueError(f"{name} must hold real numbers (float32 or float64), got dtype {arr.dtype}")
    return arr


def check_gram(K: object, name: str = "K0", check_psd: bool | None = None) -> np.ndarray:
    """Validate a Gram matrix and return it as a symmetric float array.

    By default the checks cost O(N^2): finite entries, symmetry, a non-negative
    diagonal and ``|K_ij| <= sqrt(K_ii K_jj)`` within rounding (every 2x2
    principal minor is PSD).  ``check_psd=True`` adds the O(N^3) eigenvalue test,
    which also rejects matrices whose larger minors are indefinite.

    >>> check_gram([[1.0, 2.0], [2.0, 1.0]])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: K0 is not positive semi-definite: |K0[0,1]| = 2 exceeds sqrt(K0[0,0] K0[1,1]) = 1; ...
    """
    arr = _float_array(K, name)
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
        raise ValueError(f"{name} must be a square N x N matrix, got shape {arr.shape}")
    n = arr.shape[0]
    if n == 0:
        raise ValueError(f"{name} is empty; pass at least one input")
    if not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise ValueError(
            f"{name} has a non-finite entry (NaN or inf) at {tuple(int(i) for i in bad)}; "
            "check the inputs that produced it"
        )
    eps = float(np.finfo(arr.dtype).eps)
    scale = float(np.max(np.abs(arr))) or 1.0
    tol = 64 * eps * scale
    asym = float(np.max(np.abs(arr - arr.T)))
    if asym > tol * max(1, n):
        raise ValueError(
            f"{name} is not symmetric (largest |K - K.T| = {asym:.3g}); a Gram matrix "
            "X @ X.T is, use dagnngp.numerics.inputs_to_gram(X)"
        )
    arr = 0.5 * arr + 0.5 * arr.T  # (halves first: no overflow near the top of the range)
    diag = np.diagonal(arr)
    if np.any(diag < -tol):
        i = int(np.argmin(diag))
        raise ValueError(f"{name} has a negative diagonal entry {name}[{i},{i}] = {diag[i]:.6g}; "
                         "a Gram matrix has squared norms on its diagonal")
    check_scale(diag, name)
    root = np.sqrt(np.maximum(diag, 0))
    excess = np.abs(arr) - np.multiply.outer(root, root)
    if np.any(excess > tol):
        i, j = (int(v) for v in np.unravel_index(np.argmax(excess), excess.shape))
        raise ValueError(
            f"{name} is not positive semi-definite: |{name}[{i},{j}]| = {abs(arr[i, j]):.6g} exceeds "
            f"sqrt({name}[{i},{i}] {name}[{j},{j}]) = {root[i] * root[j]:.6g}; a Gram matrix X @ X.T "
            "of real inputs is, use dagnngp.numerics.inputs_to_gram(X)"
        )
    if check_psd and n > 2:
        least = float(np.linalg.eigvalsh(arr.astype(np.float64))[0])
        if least < -n * tol:
            raise ValueError(
                f"{name} is not positive semi-definite: its least eigenvalue is {least:.6g} "
                f"(tolerance {n * tol:.2g}); a Gram matrix X @ X.T of real inputs is, "
                "use dagnngp.numerics.inputs_to_gram(X)"
            )
    return arr


def check_scale(diag: np.ndarray, name: str = "K0") -> None:
    """Refuse a Gram whose largest diagonal lies where floats have lost their significant digits.

    >>> check_scale(np.array([5e-320]))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: K0's largest diagonal entry 5e-320 is below 2.28e-305, where float64 numbers lose ...
    """
    top = float(np.max(diag)) if diag.size else 0.0
    floor = float(np.finfo(diag.dtype).tiny) * 2.0**10  # a little above the subnormal range
    if 0.0 < top < floor:
        raise ValueError(
            f"{name}'s largest diagonal entry {top:.3g} is below {floor:.3g}, where {diag.dtype} numbers "
            "lose their significant digits (subnormal range); rescale the inputs: the kernels of positively "
            "homogeneous activations scale with them (nngp(s K) = s nngp(K) for ReLU, sigma_b = 0)"
        )


def check_means(mu: object, K: np.ndarray, name: str = "mu0") -> np.ndarray:
    """Validate normalised input means against their Gram ``K`` (``|mu_i| <= sqrt(K_ii)``)."""
    n = K.shape[0]
    if mu is None:
        return np.zeros(n, dtype=K.dtype)
    arr = _float_array(mu, name).astype(K.dtype, copy=False)
    if arr.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},) to match K0, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} has a non-finite entry (NaN or inf)")
    eps = float(np.finfo(K.dtype).eps)
    root = np.sqrt(np.maximum(np.diagonal(K), 0))
    excess = np.abs(arr) - root
    if np.any(excess > 64 * eps * max(1.0, float(root.max()))):
        i = int(np.argmax(excess))
        raise ValueError(
            f"{name}[{i}] = {arr[i]:.6g} is impossible: a normalised mean m^-1/2 sum_k x_k is at "
            f"most the norm sqrt(K0[{i},{i}]) = {root[i]:.6g} (Cauchy-Schwarz); build both "
            "with dagnngp.numerics.inputs_to_gram(X)"
        )
    return arr


def check_finite_result(values: object, what: str, *, c_sigma: float, sigma_b: float, input_scale: float,
                        depth: int) -> None:
    """Raise a ``ValueError`` naming the likely culprit when a computed kernel is not finite.

    ``input_scale`` is the largest input squared norm and ``depth`` the number
    of linear edges on the longest path; each linear edge multiplies the scale of
    a Gram by about ``c_sigma/2`` and adds ``sigma_b^2``.

    >>> kw = dict(c_sigma=1e300, sigma_b=0.0, input_scale=1.0, depth=2)
    >>> check_finite_result(np.array([np.inf]), "the output Gram", **kw)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: the output Gram overflowed float64 ... c_sigma=1e+300 is the likely cause...
    """
    arr = np.asarray(values)
    if arr.dtype.kind not in "fc" or np.all(np.isfinite(arr)):
        return
    weights = {
        "c_sigma": max(depth, 1) * abs(math.log10(max(c_sigma, 1e-300) / 2.0)),
        "sigma_b": 2.0 * math.log10(sigma_b) if sigma_b > 0 else 0.0,
        "the inputs' scale": abs(math.log10(input_scale)) if input_scale > 0 else 0.0,
    }
    culprit = max(weights, key=weights.get)
    value = {"c_sigma": f"c_sigma={c_sigma:g}", "sigma_b": f"sigma_b={sigma_b:g}",
             "the inputs' scale": f"the inputs' scale (squared norms up to {input_scale:.3g})"}[culprit]
    raise ValueError(
        f"{what} overflowed float64 (it holds inf or NaN): {value} is the likely cause; each linear edge "
        "multiplies a Gram by about c_sigma/2 and adds sigma_b^2, so keep c_sigma near the value that "
        "preserves the variance (2 for ReLU), sigma_b moderate, and rescale the inputs"
    )
