"""The arc-cosine maps as named SymPy functions, and the symbolic view of the activation registry.

For a standard bivariate normal pair ``(u, v)`` with correlation ``C = cos(theta)``,
Cho & Saul's arc-cosine kernel of order ``n`` (activation ``x^n 1(x > 0)``) is

    ``E[s_n(u) s_n(v)] = J_n(theta) / (2 pi)``  with
    ``J_0 = pi - theta``,
    ``J_1 = sin(theta) + (pi - theta) cos(theta)``,
    ``J_2 = 3 sin(theta) cos(theta) + (pi - theta)(1 + 2 cos(theta)^2)``.

The *normalised* dual map is ``h_n(C) = J_n(theta) / J_n(0)``; order 1 is the
ReLU map ``h`` of the paper (spec section 2.1).  Each ``h_n`` is a SymPy
:class:`~sympy.Function` (:class:`h0`, :class:`h`, :class:`h2`) that prints as a
named function, differentiates symbolically (``h' = h0``, ``h2' = 4/3 h``),
evaluates numerically and rewrites to the explicit ``acos`` form with
``expr.rewrite(sympy.acos)``.  The *gap* functions ``G_n(eps) = 1 - h_n(1 - eps)``
(:class:`G0`, :class:`G`, :class:`G2`) are what the generated numeric code uses: a
difference of two numbers close to 1 is never formed.

The leaky family (slopes ``a`` for ``x > 0`` and ``b`` for ``x < 0``, "ABReLU")
needs no new function: ``s(x) = (a - b) relu(x) + b x`` gives
``h_ab(C) = ((a - b)^2 h(C) + 2 a b C) / (a^2 + b^2)``.

The activations themselves are registered once in
:mod:`dagnngp.theory.activations`; :func:`activation` evaluates an entry's maps
in the SymPy algebra :data:`SYMPY` (exact numbers, these named functions) and
returns a :class:`SymbolicActivation`.

>>> import sympy
>>> C = sympy.Symbol("C")
>>> h(1), h(0), h(-1)
(1, 1/pi, 0)
>>> sympy.diff(h(C), C, 2).rewrite(sympy.acos)
1/(pi*sqrt(1 - C**2))
>>> relu = activation("relu")
>>> relu.mean(sympy.Integer(1))
sqrt(2)/(2*sqrt(pi))
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import cache

import sympy
from sympy import Function, Integer, Rational, S, acos, pi, sqrt

from dagnngp.theory.activations import ACTIVATIONS, Activation, lookup

__all__ = [
    "ArcCosineActivation",
    "SYMPY",
    "SymbolicActivation",
    "G",
    "G0",
    "G2",
    "KNOWN_ACTIVATIONS",
    "activation",
    "explicit",
    "h",
    "h0",
    "h2",
    "to_sympy_number",
]


def _J(order: int, theta: sympy.Expr) -> sympy.Expr:
    if order == 0:
        return pi - theta
    if order == 1:
        return sympy.sin(theta) + (pi - theta) * sympy.cos(theta)
    return 3 * sympy.sin(theta) * sympy.cos(theta) + (pi - theta) * (1 + 2 * sympy.cos(theta) ** 2)


def _h_explicit(order: int, C: sympy.Expr) -> sympy.Expr:
    """``h_n(C)`` with ``theta = acos(C)`` written out (sin(acos C) = sqrt(1 - C^2))."""
    s = sqrt(1 - C**2)
    phi = pi - acos(C)
    if order == 0:
        return phi / pi
    if order == 1:
        return (s + phi * C) / pi
    return (3 * C * s + phi * (1 + 2 * C**2)) / (3 * pi)


# h_n(0) = J_n(pi/2) / J_n(0): 1/2, 1/pi and (pi/2)/(3 pi) = 1/6
_H_AT_ZERO = {0: Rational(1, 2), 1: 1 / pi, 2: Rational(1, 6)}


class _ArcCosH(Function):
    """Normalised arc-cosine dual map of a fixed order (subclasses set ``order``)."""

    order = 1
    nargs = 1

    @classmethod
    def eval(cls, C):
        if C.is_Number:
            if C == 1:
                return S.One
            if C == -1:
                return S.Zero
            if C == 0:
                return _H_AT_ZERO[cls.order]
        return None

    def fdiff(self, argindex=1):
        C = self.args[0]
        if self.order == 0:
            return 1 / (pi * sqrt(1 - C**2))
        if self.order == 1:
            return h0(C)
        return Rational(4, 3) * h(C)

    def _eval_rewrite_as_acos(self, C, **kwargs):
        return _h_explicit(self.order, C)

    def _eval_nseries(self, x, n, logx, cdir=0):
        # at C = +-1 the map is not analytic: expand the explicit form (fractional powers)
        a0 = self.args[0].subs(x, 0)
        if a0 in (S.One, S.NegativeOne):
            return _h_explicit(self.order, self.args[0])._eval_nseries(x, n, logx, cdir)
        return super()._eval_nseries(x, n, logx, cdir)

    def _eval_evalf(self, prec):
        C = self.args[0]
        if not C.is_number:
            return None
        return _h_explicit(self.order, C)._eval_evalf(prec)

    def _eval_is_real(self):
        return self.args[0].is_real and None

    def _eval_is_nonnegative(self):
        return True if self.args[0].is_real else None


class h0(_ArcCosH):
    r"""Step (order-0 arc-cosine) map ``h_0(C) = 1 - acos(C)/pi``."""

    order = 0

    def _latex(self, printer):
        return rf"h_{{0}}\left({printer._print(self.args[0])}\right)"


class h(_ArcCosH):
    r"""ReLU (order-1 arc-cosine) map ``h(C) = (sqrt(1-C^2) + (pi - acos C) C) / pi``."""

    order = 1

    def _latex(self, printer):
        return rf"h\left({printer._print(self.args[0])}\right)"


class h2(_ArcCosH):
    r"""Order-2 arc-cosine map ``h_2(C) = J_2(acos C) / (3 pi)``."""

    order = 2

    def _latex(self, printer):
        return rf"h_{{2}}\left({printer._print(self.args[0])}\right)"


class _ArcCosG(Function):
    """Gap of a dual map from the distance: ``G_n(eps) = 1 - h_n(1 - eps)``, eps in [0, 2]."""

    order = 1
    nargs = 1

    @classmethod
    def eval(cls, eps):
        if eps.is_Number:
            if eps == 0:
                return S.Zero
            if eps == 2:
                return S.One
            if eps == 1:
                return 1 - _H_AT_ZERO[cls.order]
        return None

    def fdiff(self, argindex=1):
        return _H_CLASSES[self.order](1 - self.args[0]).fdiff()

    def _eval_rewrite_as_acos(self, eps, **kwargs):
        return 1 - _h_explicit(self.order, 1 - eps)

    def _eval_rewrite_as_h(self, eps, **kwargs):
        return 1 - _H_CLASSES[self.order](1 - eps)

    def _eval_nseries(self, x, n, logx, cdir=0):
        return (1 - _H_CLASSES[self.order](1 - self.args[0]))._eval_nseries(x, n, logx, cdir)

    def _eval_evalf(self, prec):
        eps = self.args[0]
        if not eps.is_number:
            return None
        return (1 - _h_explicit(self.order, 1 - eps))._eval_evalf(prec)

    def _eval_is_nonnegative(self):
        return True if self.args[0].is_nonnegative else None


class G0(_ArcCosG):
    """``1 - h_0(1 - eps)``."""

    order = 0

    def _latex(self, printer):
        return rf"G_{{0}}\left({printer._print(self.args[0])}\right)"


class G(_ArcCosG):
    """``1 - h(1 - eps)``: the ReLU gap as a function of the distance ``eps = 1 - C``."""

    order = 1

    def _latex(self, printer):
        return rf"G\left({printer._print(self.args[0])}\right)"


class G2(_ArcCosG):
    """``1 - h_2(1 - eps)``."""

    order = 2

    def _latex(self, printer):
        return rf"G_{{2}}\left({printer._print(self.args[0])}\right)"


_H_CLASSES: dict[int, type[_ArcCosH]] = {0: h0, 1: h, 2: h2}
_G_CLASSES: dict[int, type[_ArcCosG]] = {0: G0, 1: G, 2: G2}


def explicit(expr: sympy.Expr) -> sympy.Expr:
    """Rewrite every named map (``h``, ``G``, ...) to its explicit ``acos`` form.

    >>> explicit(h(sympy.Symbol("C")))
    (C*(pi - acos(C)) + sqrt(1 - C**2))/pi
    """
    return expr.rewrite(acos)


def to_sympy_number(value: object, name: str) -> sympy.Expr:
    """A parameter as an exact SymPy number: ``2.0 -> 2``, ``0.1 -> 1/10``.

    A float becomes the simplest rational that rounds back to it; anything
    that is not a finite real number is refused.

    >>> to_sympy_number(0.25, "sigma_b"), to_sympy_number(2.0, "c_sigma")
    (1/4, 2)
    """
    if isinstance(value, sympy.Basic):
        expr = value
    elif isinstance(value, Fraction):
        expr = Rational(value.numerator, value.denominator)
    elif isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a real number, not {value!r}")
    elif isinstance(value, int):
        expr = Integer(value)
    else:
        import math

        if not math.isfinite(value):
            raise ValueError(f"{name} must be finite, got {value!r}")
        expr = sympy.nsimplify(value, rational=True)
        if float(expr) != value:
            expr = Rational(value)
    if not expr.is_number or not expr.is_real:
        raise ValueError(f"{name} must be a real number, not {value!r}")
    return expr


class _SymPyAlgebra:
    """The exact algebra: SymPy numbers and the named maps (see :mod:`dagnngp.theory.activations`)."""

    pi = pi
    one = S.One
    sqrt = staticmethod(sqrt)
    h0, h, h2, G0, G, G2 = h0, h, h2, G0, G, G2


#: the algebra that turns an activation's maps into SymPy expressions
SYMPY = _SymPyAlgebra()


class _SymPyNamespace:
    """Enough of an array namespace for an activation's finite map to print as a Piecewise."""

    @staticmethod
    def where(cond, a, b):
        return sympy.Piecewise((sympy.nsimplify(a), cond), (sympy.nsimplify(b), True))

    @staticmethod
    def ones_like(x):
        return S.One

    @staticmethod
    def zeros_like(x):
        return S.Zero

    @staticmethod
    def clip(x, lo=None, hi=None):
        if lo is not None:
            x = sympy.Max(x, sympy.nsimplify(lo))
        if hi is not None:
            x = sympy.Min(x, sympy.nsimplify(hi))
        return x


@dataclass(frozen=True)
class SymbolicActivation:
    """An activation of the registry with its maps as exact SymPy expressions.

    All maps act on the *pre-activation* variances ``s`` (the source node's
    diagonal plus the bias variance) and correlation ``C``; multiply the
    moments by ``c_sigma`` for an edge's output.

    >>> act = activation("arccos2")
    >>> act.second_moment(sympy.Integer(2)), act.h(sympy.Integer(0)), act.c_sigma
    (6, 1/6, 2/3)
    """

    activation: Activation

    @property
    def name(self) -> str:
        return self.activation.name

    @property
    def order(self) -> int | None:
        """The arc-cosine order (0, 1, 2), or None for the leaky family."""
        return getattr(self.activation, "order", None)

    @property
    def a(self) -> sympy.Expr:
        """Slope for ``x > 0`` (1 for the arc-cosine family)."""
        return getattr(self.activation, "a", S.One)

    @property
    def b(self) -> sympy.Expr:
        """Slope for ``x < 0`` (0 for the arc-cosine family)."""
        return getattr(self.activation, "b", S.Zero)

    @property
    def degree(self) -> int | None:
        """Homogeneity degree of the activation: ``s(t x) = t^degree s(x)`` for ``t > 0``."""
        return self.activation.degree

    @property
    def c_sigma(self) -> sympy.Expr:
        """The ``c_sigma`` that preserves a unit variance, ``1 / E[s(u)^2]`` for ``u ~ N(0, 1)``."""
        return self.activation.c_sigma(SYMPY)

    def h(self, C: sympy.Expr) -> sympy.Expr:
        """Normalised dual map: the output correlation for input correlation ``C``."""
        return self.activation.h(SYMPY, C)

    def G(self, eps: sympy.Expr) -> sympy.Expr:  # noqa: N802
        """``1 - h(1 - eps)`` written without cancellation."""
        return self.activation.G(SYMPY, eps)

    def _at_zero(self) -> sympy.Expr:
        return sympy.sympify(self.sigma(S.Zero))

    def second_moment(self, s: sympy.Expr) -> sympy.Expr:
        """``E[sigma(u)^2]`` for ``u ~ N(0, s)``; ``sigma(0)^2`` when ``s`` is 0."""
        if s == 0:
            return self._at_zero() ** 2
        return self.activation.second_moment(SYMPY, s)

    def mean(self, s: sympy.Expr) -> sympy.Expr:
        """``E[sigma(u)]`` for ``u ~ N(0, s)``; ``sigma(0)`` when ``s`` is 0."""
        if s == 0:
            return self._at_zero()
        return self.activation.mean(SYMPY, s)

    def cross_moment(self, s_i: sympy.Expr, s_j: sympy.Expr, C: sympy.Expr) -> sympy.Expr:
        """``E[sigma(u) sigma(v)]`` for variances ``s_i, s_j`` and correlation ``C``."""
        if s_i == 0 or s_j == 0:
            return self.mean(s_i) * self.mean(s_j)
        return sqrt(self.second_moment(s_i) * self.second_moment(s_j)) * self.h(C)

    def derivative_moment(self, s_i: sympy.Expr, s_j: sympy.Expr, C: sympy.Expr) -> sympy.Expr:
        """``E[sigma'(u) sigma'(v)]``, the derivative (NTK) map.

        Undefined for the step (its derivative is a delta): raises ``ValueError``.
        """
        return self.activation.derivative_moment(SYMPY, s_i, s_j, C)

    def sigma(self, x: sympy.Expr) -> sympy.Expr:
        """The activation itself, as a Piecewise (the registry's finite map printed in SymPy)."""
        return self.activation.finite(_SymPyNamespace, x)

    def series(self, n: int = 3, eps: sympy.Symbol | None = None) -> sympy.Expr:
        """Puiseux series of the distance map ``G(eps)`` at ``eps = 0`` up to ``O(eps^n)``.

        >>> activation("relu").series(2)
        eps - 2*sqrt(2)*eps**(3/2)/(3*pi) + O(eps**2)
        """
        x = eps if eps is not None else sympy.Symbol("eps", positive=True)
        return sympy.series(self.G(x), x, 0, n)


#: old name of :class:`SymbolicActivation` (the type ``derive`` records)
ArcCosineActivation = SymbolicActivation

#: the registry (:data:`dagnngp.theory.activations.ACTIVATIONS`) under its former name
KNOWN_ACTIVATIONS = ACTIVATIONS


@cache
def _activation(name: str, params: tuple[tuple[str, sympy.Expr], ...]) -> SymbolicActivation:
    act = lookup(name, number=to_sympy_number, **dict(params))
    if not act.closed_form:
        raise ValueError(
            f"activation {name!r} has no closed-form dual map, which a symbolic derivation needs; "
            f"its kernel is computed numerically: nngp(..., activation={name!r})"
        )
    return SymbolicActivation(act)


def activation(name: str = "relu", **params: object) -> SymbolicActivation:
    """The symbolic activation ``name`` of the registry (:data:`dagnngp.theory.activations.ACTIVATIONS`).

    ``leaky`` takes ``slope`` (default 1/100: ``x`` for ``x > 0``, ``slope x`` below);
    ``abrelu`` takes ``a`` and ``b`` (default 1 and 0, i.e. ReLU).  Parameters
    become exact SymPy numbers (:func:`to_sympy_number`).

    >>> activation("leaky", slope=0.5).h(sympy.Integer(0))
    1/(5*pi)
    """
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ValueError(
            f"activation={name!r} is not known to the theory layer; available: "
            f"{', '.join(sorted(ACTIVATIONS))}"
        )
    key = tuple(sorted((k, to_sympy_number(v, k)) for k, v in params.items()))
    return _activation(name, key)
