"""Numeric maps of the registered activations, built from the one registry of the theory layer.

An activation's maps act on the *pre-activation* Gram matrix ``K`` of one
linear edge (the source node's Gram plus the bias variance):

* ``dual(K)``  -- ``c E[s(u_i) s(u_j)]`` for ``u ~ N(0, K)``: the edge's output Gram;
* ``mean(d)``  -- ``sqrt(c) E[s(u_i)]`` for ``u_i ~ N(0, d_i)``: the normalised mean
  ``lim m^-1/2 sum_k Z_ik`` of the edge's output, which enters the exact model's
  cross terms;
* ``finite(x)`` -- the activation itself, elementwise (what a finite network applies).

Nothing here lists activations: :func:`get_activation` looks the name up in
:data:`dagnngp.theory.activations.ACTIVATIONS` and evaluates the entry's maps
in an array algebra whose arc-cosine maps are the primitives of
:mod:`dagnngp.numerics.dual`.  Each map works on NumPy arrays and on arrays of
any array-API library (the namespace is taken from the argument).  An input of
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
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from dagnngp.numerics import dual as _dual
from dagnngp.theory.activations import ACTIVATIONS, Activation, lookup

__all__ = ["ACTIVATIONS", "ActivationMaps", "ArrayAlgebra", "get_activation"]


@dataclass(frozen=True)
class ActivationMaps:
    """The maps the recursions and finite networks need, bound to one ``c_sigma`` and parameters."""

    name: str
    dual: Callable[[np.ndarray], np.ndarray]
    mean: Callable[[np.ndarray], np.ndarray]
    #: the activation itself, elementwise (what a finite network applies; no c_sigma)
    finite: Callable[[np.ndarray], np.ndarray] = lambda x: x * (x > 0)


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

    def finite(x: Any) -> Any:
        return act.finite(_namespace(x), x)

    return ActivationMaps(act.name, dual, mean, finite)


def get_activation(name: str = "relu", c_sigma: float = 2.0, **params: float) -> ActivationMaps:
    """The maps of activation ``name`` with weight-variance scale ``c_sigma``.

    ``params`` are the activation's parameters (``slope`` for ``leaky``, ``a`` and
    ``b`` for ``abrelu``); an unknown name or parameter raises ``ValueError``.

    >>> sorted(ACTIVATIONS)
    ['abrelu', 'arccos0', 'arccos1', 'arccos2', 'leaky', 'relu', 'step']
    """
    act = lookup(name, **params)
    return closed_form_maps(act, float(c_sigma))
