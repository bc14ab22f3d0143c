"""Array-API path: motif kernels on any array library (NumPy, CuPy, array-api-strict, ...).

Helpers here are reusable by other numeric modules:

* :func:`array_namespace` / :func:`is_numpy_array` / :func:`to_numpy` -- namespace
  plumbing through ``array-api-compat``;
* :func:`relu_h_xp` -- the ReLU dual map ``h(C)`` written against a namespace with
  the same arcsine rational approximation and small-angle series as the Numba
  kernel (:mod:`dagnngp.numerics.fused`): ``sqrt``, multiply-adds and one division;
* :func:`relu_dual_xp`, :func:`relu_mean_xp` -- the Gram-level maps;
* :func:`nngp_xp` -- the whole-matrix recursion (paper and exact models);
* :func:`dual_map_c_source` / :func:`cupy_dual_kernel` -- the same expression as C
  source text, compiled on a GPU as a ``cupy.ElementwiseKernel``.

CuPy is imported only when a CuPy array arrives or :func:`cupy_dual_kernel` is
called; without it (or without a GPU) the error says so.

>>> import numpy as np
>>> float(relu_h_xp(np.asarray([0.5]), np)[0]).__round__(7)
0.6089978
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from dagnngp.motif import Motif, Op
from dagnngp.numerics.dual import ASIN_P, ASIN_Q, J_SERIES

__all__ = [
    "CupyUnavailableError",
    "array_namespace",
    "cupy_dual_kernel",
    "dual_map_c_source",
    "is_numpy_array",
    "nngp_xp",
    "relu_dual_xp",
    "relu_h_xp",
    "relu_mean_xp",
    "to_numpy",
]

# the same constants as the Numba kernel (fdlibm asin on [0, 1/2]; J series, 11 terms)
_P, _Q, _J = ASIN_P, ASIN_Q, J_SERIES
_J_SWITCH = 1.0


class CupyUnavailableError(RuntimeError):
    """CuPy or a CUDA device is missing; the message says how to get one."""


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


def _horner(xp: Any, coefs: tuple[float, ...], z: Any) -> Any:
    acc = xp.zeros_like(z) + coefs[-1]
    for c in reversed(coefs[:-1]):
        acc = acc * z + c
    return acc


def relu_h_xp(C: Any, xp: Any) -> Any:
    """``h(C)`` elementwise in namespace ``xp``, full relative accuracy as ``C -> -1``.

    No ``arccos``/``atan2``: the angle ``pi - arccos C`` comes from a rational
    arcsine on ``[0, 1/2]`` (half-angle reduction where ``|C| > 1/2``) and
    ``sin t - t cos t`` from its Taylor series below ``t = 1``.

    >>> relu_h_xp(np.asarray([-1.0, 0.0, 1.0]), np).round(7).tolist()
    [0.0, 0.3183099, 1.0]
    """
    C = xp.clip(C, -1.0, 1.0)
    omc = 1.0 - C
    opc = 1.0 + C
    big = C > 0.5
    small = C < -0.5
    outer = xp.abs(C) > 0.5
    z_outer = xp.where(big, 0.5 * omc, 0.5 * opc)
    z = xp.where(outer, z_outer, C * C)
    x = xp.where(outer, xp.sqrt(z_outer), C)
    r = x + x * (z * _horner(xp, _P, z) / _horner(xp, _Q, z))
    phi = xp.where(big, math.pi - 2.0 * r, xp.where(small, 2.0 * r, 0.5 * math.pi + r))
    s = xp.sqrt(xp.clip(omc * opc, 0.0, None))
    t2 = phi * phi
    series = _horner(xp, _J, t2) * t2 * phi
    J = xp.where(phi < _J_SWITCH, series, s + phi * C)
    return J / math.pi


def relu_mean_xp(diag: Any, xp: Any, c_sigma: float = 2.0) -> Any:
    """Normalised mean ``sqrt(c K_ii / (2 pi))`` of a linear edge's output."""
    return xp.sqrt(c_sigma * xp.clip(diag, 0.0, None) / (2.0 * math.pi))


def relu_dual_xp(K: Any, xp: Any, c_sigma: float = 2.0) -> Any:
    """``f(K)_ij = c/2 sqrt(K_ii K_jj) h(C_ij)`` in namespace ``xp``; zero rows map to zero.

    >>> relu_dual_xp(np.asarray([[1.0, 0.0], [0.0, 4.0]]), np).round(6).tolist()
    [[1.0, 0.63662], [0.63662, 4.0]]
    """
    n = K.shape[0]
    diag = xp.clip(_diag(xp, K), 0.0, None)
    root = xp.sqrt(diag)
    scale = root[:, None] * root[None, :]
    positive = scale > 0
    C = xp.where(positive, K / xp.where(positive, scale, 1.0), 0.0)
    out = (0.5 * c_sigma) * scale * relu_h_xp(C, xp)
    eye = xp.eye(n, dtype=K.dtype)
    return out * (1.0 - eye) + eye * ((0.5 * c_sigma) * diag)[:, None]


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
    cupy = type(K0).__module__.split(".")[0] == "cupy"
    sb2 = float(sigma_b) ** 2
    half_c = 0.5 * float(c_sigma)

    def dual(K: Any) -> Any:
        Kp = K + sb2 if sb2 else K
        if cupy:
            return _cupy_dual(Kp, half_c)
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


def dual_map_c_source(qualifier: str = "__device__") -> str:
    """C source of ``dagnngp_relu_h(double C)``, the same expression as :func:`relu_h_xp`.

    ``qualifier`` prefixes the function (``__device__`` for CUDA, ``static`` for
    a host C compiler, which is how the tests check this text without a GPU).

    >>> "dagnngp_relu_h" in dual_map_c_source()
    True
    """

    def horner(coefs: tuple[float, ...], var: str) -> str:
        expr = repr(coefs[-1])
        for c in reversed(coefs[:-1]):
            expr = f"({expr} * {var} + {c!r})"
        return expr

    return f"""
{qualifier} double dagnngp_relu_h(double C) {{
    C = fmin(fmax(C, -1.0), 1.0);
    double omc = 1.0 - C, opc = 1.0 + C;
    int big = C > 0.5, small = C < -0.5, outer = fabs(C) > 0.5;
    double z_outer = big ? 0.5 * omc : 0.5 * opc;
    double z = outer ? z_outer : C * C;
    double x = outer ? sqrt(z_outer) : C;
    double r = x + x * (z * {horner(_P, "z")} / {horner(_Q, "z")});
    double phi = big ? ({math.pi!r} - 2.0 * r) : (small ? 2.0 * r : ({0.5 * math.pi!r} + r));
    double s = sqrt(fmax(omc * opc, 0.0));
    double t2 = phi * phi;
    double series = {horner(_J, "t2")} * t2 * phi;
    double J = phi < {_J_SWITCH!r} ? series : s + phi * C;
    return J / {math.pi!r};
}}
"""


_KERNEL: Any = None


def _import_cupy() -> Any:
    try:
        import cupy
    except ImportError:
        raise CupyUnavailableError(
            "CuPy is not installed; install the GPU extra with `pip install dagnngp[gpu]` "
            "(needs a CUDA 12 GPU), or pass NumPy arrays to run on the CPU"
        ) from None
    try:
        n_dev = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # CUDA driver missing or broken
        raise CupyUnavailableError(f"CuPy is installed but no CUDA device is usable: {exc}") from None
    if n_dev < 1:
        raise CupyUnavailableError("CuPy is installed but this machine has no CUDA device")
    return cupy


def cupy_dual_kernel() -> Any:
    """The ``cupy.ElementwiseKernel`` ``(K, r_i, r_j, half_c) -> f(K)`` built from :func:`dual_map_c_source`.

    Raises :class:`CupyUnavailableError` (with what to do) without CuPy or a GPU.
    """
    global _KERNEL
    if _KERNEL is None:
        cupy = _import_cupy()
        _KERNEL = cupy.ElementwiseKernel(
            "float64 K, float64 ri, float64 rj, float64 half_c",
            "float64 out",
            "double sc = ri * rj; out = sc > 0.0 ? half_c * sc * dagnngp_relu_h(K / sc) : 0.0;",
            "dagnngp_relu_dual",
            preamble=dual_map_c_source("__device__"),
        )
    return _KERNEL


def _cupy_dual(K: Any, half_c: float) -> Any:
    cupy = _import_cupy()
    diag = cupy.maximum(cupy.diagonal(K), 0.0)
    root = cupy.sqrt(diag)
    out = cupy_dual_kernel()(K.astype(cupy.float64), root[:, None], root[None, :], half_c)
    out[cupy.diag_indices(K.shape[0])] = half_c * diag
    return out.astype(K.dtype)
