"""Numeric maps of the registered activations, built from the one registry of the theory layer.

An activation's maps act on the *pre-activation* Gram matrix ``K`` of one
linear edge (the source node's Gram plus the bias variance):

* ``dual(K)``  -- ``c E[s(u_i) s(u_j)]`` for ``u ~ N(0, K)``: the edge's output Gram;
* ``mean(d)``  -- ``sqrt(c) E[s(u_i)]`` for ``u_i ~ N(0, d_i)``: the normalised mean
  ``lim m^-1/2 sum_k Z_ik`` of the edge's output, which enters the exact model's
  cross terms;
* ``derivative(K)`` -- ``c E[s'(u_i) s'(u_j)]`` for ``u ~ N(0, K)``: the derivative dual
  map, which carries the NTK through a linear edge;
* ``finite(x)`` -- the activation itself, elementwise (what a finite network applies).

Nothing here lists activations: :func:`get_activation` looks the name up in
:data:`dagnngp.theory.activations.ACTIVATIONS` and evaluates the entry's maps
in an array algebra whose arc-cosine maps are the primitives of
:mod:`dagnngp.numerics.dual`; an activation that states only its finite map
gets its maps from the Gauss-Hermite quadrature tier (:func:`quadrature_maps`).
Each closed-form map works on NumPy arrays and on arrays of any array-API
library (the namespace is taken from the argument).  An input of
zero variance is the constant ``u = 0``: its row maps to ``c s(0)^2`` on the
diagonal and 0 elsewhere.

>>> act = get_activation("relu")
>>> bool(abs(act.mean(np.array([1.0]))[0] - 1 / np.sqrt(np.pi)) < 2e-16)   # sqrt(2) E[relu(u)], to 1 ulp
True
>>> get_activation("step").dual(np.array([[1.0, 0.0], [0.0, 1.0]])).tolist()  # c/2 (1 - acos(C)/pi)
[[1.0, 0.5], [0.5, 1.0]]
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from dagnngp.numerics import dual as _dual
from dagnngp.theory.activations import ACTIVATIONS, Activation, lookup

__all__ = ["ACTIVATIONS", "ActivationMaps", "ArrayAlgebra", "gauss_hermite_order", "get_activation",
           "quadrature_maps"]


@dataclass(frozen=True)
class ActivationMaps:
    """The maps the recursions and finite networks need, bound to one ``c_sigma`` and parameters."""

    name: str
    dual: Callable[[np.ndarray], np.ndarray]
    mean: Callable[[np.ndarray], np.ndarray]
    #: the activation itself, elementwise (what a finite network applies; no c_sigma)
    finite: Callable[[np.ndarray], np.ndarray]
    #: its derivative, elementwise (a finite network's backward pass); None when not stated
    finite_grad: Callable[[np.ndarray], np.ndarray] | None = None
    #: ``derivative(K)`` = ``c E[s'(u_i) s'(u_j)]`` for ``u ~ N(0, K)``: the NTK's map (None: no derivative)
    derivative: Callable[[np.ndarray], np.ndarray] | None = None
    #: ``dual_gap(K, E)``: ``(dual(K), its gap)`` read from the gaps ``E`` of ``K`` (closed forms only)
    dual_gap: Callable[[Any, Any], tuple[Any, Any]] | None = None
    #: ``derivative_gap(K, E)``: ``(e, sqrt(e_ii e_jj) - e)`` with ``e = derivative(K)``, read from ``E``
    derivative_gap: Callable[[Any, Any], tuple[Any, Any]] | None = None


class ArrayAlgebra:
    """The numeric algebra of :mod:`dagnngp.theory.activations` for array namespace ``xp``.

    >>> alg = ArrayAlgebra(np)
    >>> float(alg.h(np.asarray(0.0))) == 1 / np.pi
    True
    """

    pi = math.pi
    one = 1.0

    def __init__(self, xp: Any) -> None:
        self.xp = xp

    def sqrt(self, x: Any) -> Any:
        return math.sqrt(x) if isinstance(x, int | float) else self.xp.sqrt(x)

    def h0(self, C: Any) -> Any:
        return _dual.h0(self.xp, C)

    def h(self, C: Any) -> Any:
        return _dual.h(self.xp, C)

    def h2(self, C: Any) -> Any:
        return _dual.h2(self.xp, C)

    def G0(self, eps: Any) -> Any:  # noqa: N802
        return _dual.G0(self.xp, eps)

    def G(self, eps: Any) -> Any:  # noqa: N802
        return _dual.G(self.xp, eps)

    def G2(self, eps: Any) -> Any:  # noqa: N802
        return _dual.G2(self.xp, eps)


_ALGEBRAS: dict[int, ArrayAlgebra] = {}


def _namespace(x: Any) -> Any:
    if isinstance(x, np.ndarray | np.generic | float | int):
        return np
    from dagnngp.numerics.xp import array_namespace

    return array_namespace(x)


def _algebra(xp: Any) -> ArrayAlgebra:
    if id(xp) not in _ALGEBRAS:
        _ALGEBRAS[id(xp)] = ArrayAlgebra(xp)
    return _ALGEBRAS[id(xp)]


def closed_form_maps(act: Activation, c_sigma: float) -> ActivationMaps:
    """Numeric maps of an activation with a closed-form dual map (its ``h`` and moments).

    >>> from dagnngp.theory.activations import lookup
    >>> maps = closed_form_maps(lookup("arccos2"), 2.0)
    >>> maps.dual(np.array([[1.0, 0.0], [0.0, 1.0]])).round(6).tolist()   # c E[s^2] = 3, h_2(0) = 1/6
    [[3.0, 0.5], [0.5, 3.0]]
    """
    at_zero = float(act.finite(np, np.zeros(1))[0])  # s(0): the value at zero variance
    root_c = math.sqrt(c_sigma)

    def second(xp: Any) -> Callable[[Any], Any]:
        alg = _algebra(xp)
        return lambda d: c_sigma * act.second_moment(alg, d)

    def dual(K: Any) -> Any:
        xp = _namespace(K)
        alg = _algebra(xp)
        return _dual.dual_gram(xp, K, second(xp), lambda C: act.h(alg, C), c_sigma * at_zero * at_zero)

    def mean(d: Any) -> Any:
        xp = _namespace(d)
        positive = d > 0
        inner = act.mean(_algebra(xp), xp.where(positive, d, 1.0)) + xp.zeros_like(d)
        return root_c * xp.where(positive, inner, at_zero)

    def derivative(K: Any) -> Any:
        xp = _namespace(K)
        alg = _algebra(xp)
        return c_sigma * _dual.derivative_gram(xp, K, lambda si, sj, C: act.derivative_moment(alg, si, sj, C))

    def dual_gap(K: Any, E: Any) -> tuple[Any, Any]:
        # the values as dual() gives them (so the NTK's NNGP is nngp's, bit for bit), the gap from E
        xp = _namespace(K)
        alg = _algebra(xp)
        _, gap = _dual.dual_gram_gap(xp, K, E, second(xp), lambda C: act.h(alg, C), lambda e: act.G(alg, e),
                                     c_sigma * at_zero * at_zero)
        return dual(K), gap

    def derivative_gap(K: Any, E: Any) -> tuple[Any, Any]:
        xp = _namespace(K)
        alg = _algebra(xp)
        e, drop = _dual.derivative_gram_gap(xp, K, E, lambda si, sj, C: act.derivative_moment(alg, si, sj, C),
                                            lambda si, sj, eps: act.derivative_distance(alg, si, sj, eps))
        return c_sigma * e, c_sigma * drop

    has_derivative = not (getattr(act, "order", None) == 0)  # the step's derivative is a delta
    return ActivationMaps(act.name, dual, mean, *_finite_maps(act), derivative if has_derivative else None,
                          dual_gap, derivative_gap if has_derivative else None)


def _finite_maps(act: Activation) -> tuple[Callable[[Any], Any], Callable[[Any], Any] | None]:
    """The activation and its derivative as elementwise maps in the argument's own namespace."""

    def finite(x: Any) -> Any:
        return act.finite(_with_special_functions(_namespace(x)), x)

    def finite_grad(x: Any) -> Any:
        return act.finite_grad(_with_special_functions(_namespace(x)), x)

    return finite, (finite_grad if act.has_finite_grad else None)


class _SpecialFunctions:
    """Namespace ``xp`` plus the special functions a finite map may call (``erfc``)."""

    def __init__(self, xp: Any) -> None:
        self._xp = xp

    def __getattr__(self, name: str) -> Any:
        return getattr(self._xp, name)

    def erfc(self, x: Any) -> Any:
        if isinstance(x, np.ndarray | np.generic | float | int):
            from scipy.special import erfc

            return erfc(x)
        if type(x).__module__.split(".")[0] == "cupy":
            from cupyx.scipy.special import erfc as cupy_erfc

            return cupy_erfc(x)
        raise ValueError("erfc, which this activation's finite map needs, is available for NumPy and "
                         f"CuPy arrays only, not {type(x).__name__}")


_SPECIAL: dict[int, _SpecialFunctions] = {}


def _with_special_functions(xp: Any) -> _SpecialFunctions:
    if id(xp) not in _SPECIAL:
        _SPECIAL[id(xp)] = _SpecialFunctions(xp)
    return _SPECIAL[id(xp)]


# ---------------------------------------------------------------------- quadrature tier
def gauss_hermite_order(max_variance: float) -> int:
    """Nodes per dimension of the 2-D rule for pre-activation variances up to ``max_variance``.

    Calibrated on GELU against mpmath (relative error of ``E[s(u_i) s(u_j)]`` at
    correlation 0.8): variance 1 needs 64 nodes for 1e-16, 4 needs 96, 8 needs 192,
    16 needs 320 (an activation that changes on scales much shorter than its input's
    standard deviation is hard for Gauss-Hermite).  Hence ``48 + 16 d`` in steps of
    16, between 64 and 320.  The 1-D sums (mean, second moment, the diagonal) are
    cheap and use four times as many nodes (at most 320, where NumPy's nodes are
    still exact): the second moment at variance 4 needs 160 nodes for 1e-15, at
    variance 8 256.  Measured end to end for GELU: relative error <= 1e-15 for
    every entry up to variance 8; at variance 12 the diagonal is within 8e-14, at
    16 within 3e-11 (a warning is raised above 16).

    >>> gauss_hermite_order(1.0), gauss_hermite_order(4.0), gauss_hermite_order(10.0)
    (64, 112, 208)
    """
    n = 48 + 16 * max(float(max_variance), 0.0)
    return int(min(_MAX_ORDER, max(64, 16 * math.ceil(n / 16))))


# largest order (NumPy's hermegauss overflows above ~350 nodes) and the variance up to which
# the orders are calibrated
_MAX_ORDER = 320
_CALIBRATED_VARIANCE = 16.0


_NODES: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def _gauss_hermite(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights of ``E[f(z)] ~ sum_k w_k f(x_k)`` for ``z ~ N(0, 1)``."""
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= _MAX_ORDER:
        raise ValueError(f"Gauss-Hermite order must be an int in 1..{_MAX_ORDER}, got {n!r}")
    if n not in _NODES:
        x, w = np.polynomial.hermite_e.hermegauss(n)
        _NODES[n] = (x, w / math.sqrt(2.0 * math.pi))
    return _NODES[n]


def quadrature_maps(act: Activation, c_sigma: float, order: int | None = None) -> ActivationMaps:
    """Numeric maps of an activation that states only its finite map ``s``, by Gauss-Hermite quadrature.

    ``E[s(u_i) s(u_j)]`` for ``(u_i, u_j)`` bivariate normal is
    ``sum_kl w_k w_l s(r_i x_k) s(r_j (C x_k + sqrt(1 - C^2) x_l))`` (``r = sqrt(K_ii)``),
    the mean and second moment the 1-D sums.  ``order`` nodes per dimension
    (default :func:`gauss_hermite_order` of the largest variance; a warning above
    the calibrated variances); a Gram costs ``N (N - 1) / 2 * order^2`` evaluations
    of ``s``.  NumPy arrays only.

    >>> from dagnngp.theory.activations import lookup
    >>> identity = quadrature_maps(lookup("abrelu", a=1, b=1), 2.0)   # s(x) = x: the dual map is c K
    >>> identity.dual(np.array([[1.0, 0.5], [0.5, 2.0]])).round(12).tolist()
    [[2.0, 1.0], [1.0, 4.0]]
    """
    if order is not None:
        _gauss_hermite(order)  # validates it
    root_c = math.sqrt(c_sigma)
    special = _with_special_functions(np)

    def s(x: np.ndarray) -> np.ndarray:
        return act.finite(special, x)

    def host(a: Any, what: str) -> np.ndarray:
        if not isinstance(a, np.ndarray):
            raise ValueError(f"activation {act.name!r} (dual map by quadrature) needs NumPy arrays "
                             f"for {what}, not {type(a).__name__}")
        return a

    def orders(d: np.ndarray) -> tuple[int, int]:
        dmax = float(d.max(initial=0.0))
        if order is None and dmax > _CALIBRATED_VARIANCE:
            warnings.warn(f"activation {act.name!r}: pre-activation variance {dmax:.3g} is above "
                          f"{_CALIBRATED_VARIANCE:g}, where the Gauss-Hermite tier was calibrated; its dual "
                          "map may lose digits (scale the inputs or c_sigma down)",
                          RuntimeWarning, stacklevel=3)
        n2 = order or gauss_hermite_order(dmax)
        return n2, min(_MAX_ORDER, 4 * n2)

    def mean(d: Any) -> np.ndarray:
        d = np.clip(host(d, "the mean"), 0.0, None)
        x, w = _gauss_hermite(orders(d)[1])
        return root_c * (s(np.sqrt(d)[:, None] * x[None, :]) @ w)

    def dual(K: Any) -> np.ndarray:
        return pair_moment(s, host(K, "the dual map"))

    def derivative(K: Any) -> np.ndarray:
        return pair_moment(s_grad, host(K, "the derivative map"))

    def s_grad(x: np.ndarray) -> np.ndarray:
        return act.finite_grad(special, x)

    def pair_moment(f: Callable[[np.ndarray], np.ndarray], K: np.ndarray) -> np.ndarray:
        """``c E[f(u_i) f(u_j)]`` for ``u ~ N(0, K)``."""
        n = K.shape[0]
        diag = np.clip(np.diagonal(K), 0.0, None)
        n2, n1 = orders(diag)
        x1, w1 = _gauss_hermite(n1)
        x, w = _gauss_hermite(n2)
        root = np.sqrt(diag)
        scale = np.sqrt(np.multiply.outer(diag, diag))
        C = np.clip(np.divide(K, scale, out=np.zeros(K.shape), where=scale > 0), -1.0, 1.0)
        out = np.empty((n, n))
        out[np.diag_indices(n)] = f(root[:, None] * x1[None, :]) ** 2 @ w1
        chunk = max(1, (1 << 21) // (x.size * x.size))  # pairs per block: ~16 MB per temporary
        for i in range(n - 1):
            a = f(root[i] * x) * w  # the outer sum's weighted values
            for lo in range(i + 1, n, chunk):
                j = np.arange(lo, min(n, lo + chunk))
                c = C[i, j][:, None, None]
                sn = np.sqrt(np.clip(1.0 - c * c, 0.0, None))
                inner = f(root[j][:, None, None] * (c * x[None, :, None] + sn * x[None, None, :])) @ w
                out[i, j] = out[j, i] = inner @ a
        return (c_sigma * out).astype(K.dtype, copy=False)

    return ActivationMaps(act.name, dual, mean, *_finite_maps(act),
                          derivative if act.has_finite_grad else None)


def get_activation(name: str = "relu", c_sigma: float = 2.0, **params: float) -> ActivationMaps:
    """The maps of activation ``name`` with weight-variance scale ``c_sigma``.

    ``params`` are the activation's parameters (``slope`` for ``leaky``, ``a`` and
    ``b`` for ``abrelu``); an unknown name or parameter raises ``ValueError``.

    >>> sorted(ACTIVATIONS)
    ['abrelu', 'arccos0', 'arccos1', 'arccos2', 'gelu', 'leaky', 'relu', 'step']
    """
    act = lookup(name, **params)
    if act.closed_form:
        return closed_form_maps(act, float(c_sigma))
    return quadrature_maps(act, float(c_sigma))
