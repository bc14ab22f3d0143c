"""Numeric dual maps of the arc-cosine and leaky activation families.

Registered into :mod:`dagnngp.numerics.activations`, so
``nngp(motif, K0, activation=name, activation_params=...)`` evaluates every
activation the theory layer (:mod:`dagnngp.theory.arccos`) supports:

========== ========================= =====================================
name       activation                parameters
========== ========================= =====================================
step       ``1(x > 0)``              (alias ``arccos0``)
relu       ``max(x, 0)``             (alias ``arccos1``)
arccos2    ``max(x, 0)^2``
leaky      ``x`` / ``slope x``       ``slope`` (default 0.01)
abrelu     ``a x`` / ``b x``         ``a`` (default 1), ``b`` (default 0)
========== ========================= =====================================

Each map works on the pre-activation Gram; an input with zero variance gives
a zero output (``sigma(0) = 0`` for every member, the step included).

>>> import numpy as np
>>> from dagnngp.numerics.activations import get_activation
>>> act = get_activation("step")
>>> act.dual(np.array([[1.0, 0.0], [0.0, 1.0]])).tolist()   # c/2 (1 - acos(C)/pi)
[[1.0, 0.5], [0.5, 1.0]]
"""

from __future__ import annotations

import math

import numpy as np

from dagnngp.numerics.activations import (
    ActivationMaps,
    positive_indicator,
    positive_part,
    register_activation,
)
from dagnngp.numerics.dual import relu_dual, relu_mean
from dagnngp.numerics.generated import h0_xp, h1_xp, h2_xp

__all__ = ["arc_cosine_maps", "leaky_maps"]


def _dual(K: np.ndarray, c_sigma: float, second_moment, h) -> np.ndarray:
    """``c E[s(u_i) s(u_j)] = sqrt(d_i d_j) h(C_ij)`` with ``d = c E[s(u)^2]``."""
    diag = np.maximum(np.diagonal(K), 0.0)
    # sqrt of the product (not the product of roots) keeps C = 1 exact for equal diagonals,
    # which matters for the step, whose map has infinite slope at C = 1
    scale = np.sqrt(np.multiply.outer(diag, diag))
    positive = scale > 0
    C = np.divide(K, scale, out=np.zeros_like(K), where=positive)
    d = c_sigma * second_moment(diag)
    droot = np.sqrt(d)
    out = np.multiply.outer(droot, droot) * h(np, C)
    out = np.where(positive, out, 0.0)
    np.fill_diagonal(out, d)
    return out.astype(K.dtype, copy=False)


def arc_cosine_maps(order: int, c_sigma: float = 2.0, name: str | None = None) -> ActivationMaps:
    """Maps of the order-``order`` arc-cosine activation ``x^n 1(x > 0)`` (n = 0, 1, 2)."""
    if order == 1:
        return ActivationMaps(name or "relu", lambda K: relu_dual(K, c_sigma),
                              lambda d: relu_mean(d, c_sigma), positive_part, positive_indicator)
    if order == 0:
        def second(d):
            return np.where(d > 0, 0.5, 0.0)

        def mean(d):
            return math.sqrt(c_sigma) * np.where(np.asarray(d) > 0, 0.5, 0.0)

        # the derivative is 0 almost everywhere (a finite network's gradients do not flow through it)
        return ActivationMaps(name or "step", lambda K: _dual(K, c_sigma, second, h0_xp), mean,
                              positive_indicator, lambda x: 0.0 * x)
    if order == 2:
        def second2(d):
            return 1.5 * d * d

        def mean2(d):
            return math.sqrt(c_sigma) * 0.5 * np.maximum(d, 0.0)

        return ActivationMaps(name or "arccos2", lambda K: _dual(K, c_sigma, second2, h2_xp), mean2,
                              lambda x: positive_part(x) ** 2, lambda x: 2.0 * positive_part(x))
    raise ValueError(f"arc-cosine order {order!r} is not supported; use 0, 1 or 2")


def leaky_maps(a: float, b: float, c_sigma: float = 2.0, name: str = "abrelu") -> ActivationMaps:
    """Maps of ``a x (x > 0), b x (x < 0)``: ``h = ((a-b)^2 h_relu(C) + 2ab C) / (a^2 + b^2)``."""
    a, b = float(a), float(b)
    if not (math.isfinite(a) and math.isfinite(b)):
        raise ValueError(f"slopes must be finite numbers, got a={a!r}, b={b!r}")
    norm = a * a + b * b
    if norm == 0:
        raise ValueError(
            f"activation {name!r} with both slopes 0 is the zero function; give a != 0 or b != 0"
        )

    def h(xp, C):
        return ((a - b) ** 2 * h1_xp(xp, C) + 2 * a * b * xp.clip(C, -1.0, 1.0)) / norm

    def second(d):
        return 0.5 * norm * d

    def mean(d):
        return math.sqrt(c_sigma) * (a - b) * np.sqrt(np.maximum(d, 0.0) / (2 * math.pi))

    def finite(x):
        return a * positive_part(x) - b * positive_part(-x)

    def finite_grad(x):
        return a * positive_indicator(x) + b * positive_indicator(-x)

    return ActivationMaps(name, lambda K: _dual(K, c_sigma, second, h), mean, finite, finite_grad)


register_activation("step", lambda c_sigma: arc_cosine_maps(0, c_sigma, "step"))
register_activation("arccos0", lambda c_sigma: arc_cosine_maps(0, c_sigma, "arccos0"))
register_activation("arccos1", lambda c_sigma: arc_cosine_maps(1, c_sigma, "arccos1"))
register_activation("arccos2", lambda c_sigma: arc_cosine_maps(2, c_sigma, "arccos2"))
register_activation("leaky", lambda c_sigma, slope=0.01: leaky_maps(1.0, slope, c_sigma, "leaky"))
register_activation("abrelu", lambda c_sigma, a=1.0, b=0.0: leaky_maps(a, b, c_sigma, "abrelu"))
