"""Numeric dual maps of activations, looked up by name.

An activation's maps act on the *pre-activation* Gram matrix ``K`` of one
linear edge (the source node's Gram plus the bias variance):

* ``dual(K)``  -- ``c E[s(u_i) s(u_j)]`` for ``u ~ N(0, K)``: the edge's output Gram;
* ``mean(d)``  -- ``sqrt(c) E[s(u_i)]`` for ``u_i ~ N(0, d_i)``: the normalised mean
  ``lim m^-1/2 sum_k Z_ik`` of the edge's output, which enters the exact model's
  cross terms.

Registered here: ``relu``; :mod:`dagnngp.numerics.arccos_numeric` adds the
rest of the arc-cosine family (``step``/``arccos0``, ``arccos1``, ``arccos2``)
and the leaky family (``leaky`` with ``slope``, ``abrelu`` with ``a``, ``b``),
matching :mod:`dagnngp.theory.arccos`.

>>> act = get_activation("relu")
>>> float(act.mean(np.array([1.0]))[0]) == float(np.sqrt(1 / np.pi))
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from dagnngp.numerics.dual import relu_dual, relu_mean

__all__ = ["ActivationMaps", "ACTIVATIONS", "get_activation", "positive_part", "positive_indicator",
           "register_activation"]


def _namespace(x):
    if isinstance(x, np.ndarray):
        return np
    from array_api_compat import array_namespace

    return array_namespace(x)


def positive_part(x):
    """``max(x, 0)`` elementwise, in the array's own namespace (NumPy, CuPy, ...)."""
    if isinstance(x, np.ndarray):
        return np.maximum(x, 0.0)
    xp = _namespace(x)
    return xp.where(x > 0, x, xp.zeros_like(x))


def positive_indicator(x):
    """``1(x > 0)`` elementwise, in the array's dtype and namespace."""
    if isinstance(x, np.ndarray):
        return (x > 0).astype(x.dtype)
    return _namespace(x).astype(x > 0, x.dtype)


@dataclass(frozen=True)
class ActivationMaps:
    """The two maps the recursions need, bound to one ``c_sigma`` and parameters."""

    name: str
    dual: Callable[[np.ndarray], np.ndarray]
    mean: Callable[[np.ndarray], np.ndarray]
    #: the activation itself, elementwise (what a finite network applies; no c_sigma)
    finite: Callable[[np.ndarray], np.ndarray] = positive_part
    #: its derivative, elementwise (a finite network's backward pass); None when not given
    finite_grad: Callable[[np.ndarray], np.ndarray] | None = None


#: name -> factory(c_sigma, **params) -> ActivationMaps
ACTIVATIONS: dict[str, Callable[..., ActivationMaps]] = {}


def register_activation(name: str, factory: Callable[..., ActivationMaps]) -> None:
    """Make ``factory(c_sigma, **params)`` available as ``activation=name``."""
    ACTIVATIONS[name] = factory


def _relu(c_sigma: float) -> ActivationMaps:
    return ActivationMaps(
        "relu",
        lambda K: relu_dual(K, c_sigma),
        lambda d: relu_mean(d, c_sigma),
        positive_part,
        positive_indicator,
    )


register_activation("relu", _relu)


def get_activation(name: str = "relu", c_sigma: float = 2.0, **params: float) -> ActivationMaps:
    """The maps of activation ``name`` with weight-variance scale ``c_sigma``.

    >>> sorted(ACTIVATIONS)
    ['abrelu', 'arccos0', 'arccos1', 'arccos2', 'leaky', 'relu', 'step']
    """
    if name not in ACTIVATIONS:
        raise ValueError(
            f"activation={name!r} is not known; available: {', '.join(sorted(ACTIVATIONS))}"
        )
    try:
        return ACTIVATIONS[name](c_sigma, **params)
    except TypeError as exc:
        raise ValueError(f"bad parameters {params!r} for activation {name!r}: {exc}") from None


# The rest of the family registers itself; imported last because it uses the names above.
from dagnngp.numerics import arccos_numeric as _arccos_numeric  # noqa: E402,F401
