"""Array-API path: motif kernels on any array library (NumPy, CuPy, array-api-strict, ...).

Helpers here are reusable by other numeric modules:

* :func:`array_namespace` / :func:`is_numpy_array` / :func:`to_numpy` -- namespace
  plumbing through ``array-api-compat``;
* :func:`relu_h_xp`, :func:`relu_dual_xp`, :func:`relu_mean_xp` -- the ReLU maps in a
  namespace: thin names for the primitives of :mod:`dagnngp.numerics.dual`, which are
  written once against ``xp`` and serve NumPy, CuPy (on a GPU: the same code, no
  hand-written kernel) and every other array-API library;
* :func:`nngp_xp` -- the whole-matrix recursion (paper and exact models).

>>> import numpy as np
>>> float(relu_h_xp(np.asarray([0.5]), np)[0]).__round__(7)
0.6089978
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from dagnngp.motif import Motif, Op
from dagnngp.numerics.dual import dual_gram, h

__all__ = [
    "array_namespace",
    "is_numpy_array",
    "nngp_xp",
    "relu_dual_xp",
    "relu_h_xp",
    "relu_mean_xp",
    "to_numpy",
]

def array_namespace(*arrays: Any) -> Any:
    """The array-API namespace of ``arrays`` (NumPy arrays give array-api-compat's NumPy wrapper).

    >>> array_namespace(np.zeros(2)).__name__
    'array_api_compat.numpy'
    """
    import array_api_compat

    return array_api_compat.array_namespace(*arrays)


def is_numpy_array(x: Any) -> bool:
    """True for NumPy arrays and scalars (and Python lists); False for other array libraries."""
    return isinstance(x, np.ndarray | np.generic | list | tuple | int | float)


def to_numpy(x: Any) -> np.ndarray:
    """Copy an array of any array-API library to a NumPy array (from a GPU too).

    >>> to_numpy(np.arange(3)).tolist()
    [0, 1, 2]
    """
    if isinstance(x, np.ndarray):
        return x
    mod = type(x).__module__.split(".")[0]
    if mod == "cupy":
        return x.get()
    try:
        return np.asarray(x)
    except (TypeError, ValueError, RuntimeError):
        return np.from_dlpack(x)


def relu_h_xp(C: Any, xp: Any) -> Any:
    """``h(C)`` elementwise in namespace ``xp``: :func:`dagnngp.numerics.dual.h` with the arguments swapped.

    >>> relu_h_xp(np.asarray([-1.0, 0.0, 1.0]), np).round(7).tolist()
    [0.0, 0.3183099, 1.0]
    """
    return h(xp, C)


def relu_mean_xp(diag: Any, xp: Any, c_sigma: float = 2.0) -> Any:
    """Normalised mean ``sqrt(c K_ii / (2 pi))`` of a linear edge's output."""
    return xp.sqrt(c_sigma * xp.clip(diag, 0.0, None) / (2.0 * math.pi))


def relu_dual_xp(K: Any, xp: Any, c_sigma: float = 2.0) -> Any:
    """``f(K)_ij = c/2 sqrt(K_ii K_jj) h(C_ij)`` in namespace ``xp``; zero rows map to zero.

    >>> relu_dual_xp(np.asarray([[1.0, 0.0], [0.0, 4.0]]), np).round(6).tolist()
    [[1.0, 0.63662], [0.63662, 4.0]]
    """
    half_c = 0.5 * c_sigma
    return dual_gram(xp, K, lambda d: half_c * d, lambda C: h(xp, C))


def nngp_xp(motif: Motif, K0: Any, mu0: Any, model: str = "exact", c_sigma: float = 2.0,
            sigma_b: float = 0.0) -> tuple[Any, Any]:
    """Output Gram and means of ``motif`` computed in the namespace of ``K0``.

    ``K0``/``mu0`` are arrays of one array-API library (validated by the
    caller, :func:`dagnngp.numerics.nngp`); the results stay in that library
    (on the GPU for CuPy, where the dual map is one fused elementwise kernel).

    >>> out, mean = nngp_xp(Motif.parse("1_01_222"), np.eye(2), np.zeros(2))
    >>> round(float(out[0, 0]), 5)
    4.90986
    """
    xp = array_namespace(K0)
    sb2 = float(sigma_b) ** 2

    def dual(K: Any) -> Any:
        Kp = K + sb2 if sb2 else K
        return relu_dual_xp(Kp, xp, c_sigma)

    def mean(K: Any) -> Any:
        return relu_mean_xp(_diag(xp, K) + sb2, xp, c_sigma)

    n = K0.shape[0]
    zeros_n = xp.zeros((n,), dtype=K0.dtype)
    K: list[Any] = [K0]
    if model == "paper":
        for t in range(1, motif.n_nodes):
            acc = xp.zeros_like(K0)
            for s in motif.sources(t, Op.LINEAR):
                acc = acc + dual(K[s])
            for s in motif.sources(t, Op.SKIP):
                acc = acc + K[s]
            K.append(acc)
        return K[-1], zeros_n
    mu: list[Any] = [mu0]
    a: dict[int, Any] = {}
    cache: dict[tuple[int, int], Any] = {}

    def am(s: int) -> Any:
        if s not in a:
            a[s] = mean(K[s])
        return a[s]

    def cross(t: int, u: int) -> Any:
        if t == u:
            return K[t]
        if t < u:
            return xp.matrix_transpose(cross(u, t)) if hasattr(xp, "matrix_transpose") else cross(u, t).T
        if (t, u) not in cache:
            acc = xp.zeros_like(K0)
            for s in motif.sources(t, Op.LINEAR):
                acc = acc + am(s)[:, None] * mu[u][None, :]
            for s in motif.sources(t, Op.SKIP):
                acc = acc + cross(s, u)
            cache[(t, u)] = acc
        return cache[(t, u)]

    for t in range(1, motif.n_nodes):
        lin = motif.sources(t, Op.LINEAR)
        skip = motif.sources(t, Op.SKIP)
        acc = xp.zeros_like(K0)
        lin_sum = zeros_n
        for s in lin:
            acc = acc + dual(K[s])
            lin_sum = lin_sum + am(s)
        if len(lin) > 1:
            acc = acc + lin_sum[:, None] * lin_sum[None, :]
            for s in lin:
                acc = acc - am(s)[:, None] * am(s)[None, :]
        skip_sum = zeros_n
        for s in skip:
            skip_sum = skip_sum + mu[s]
        if lin and skip:
            acc = acc + lin_sum[:, None] * skip_sum[None, :] + skip_sum[:, None] * lin_sum[None, :]
        for k, s in enumerate(skip):
            acc = acc + K[s]
            for s2 in skip[k + 1:]:
                c = cross(s2, s)
                acc = acc + c + cross(s, s2)
        K.append(0.5 * (acc + cross_t(xp, acc)))
        mu.append(lin_sum + skip_sum)
    return K[-1], mu[-1]


def cross_t(xp: Any, A: Any) -> Any:
    """Matrix transpose in namespace ``xp``."""
    return xp.matrix_transpose(A) if hasattr(xp, "matrix_transpose") else A.T


def _diag(xp: Any, K: Any) -> Any:
    if hasattr(xp, "linalg") and hasattr(xp.linalg, "diagonal"):
        return xp.linalg.diagonal(K)
    return xp.diagonal(K)
