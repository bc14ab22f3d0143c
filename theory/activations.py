"""The one registry of activations; each states its maps once, for every backend.

An :class:`Activation` (parameters bound) states

* :meth:`~Activation.finite` -- the map a finite network applies, written against an
  array namespace ``xp`` (NumPy, CuPy, any array-API library);
* :meth:`~Activation.second_moment` / :meth:`~Activation.mean` -- ``E[s(u)^2]`` and
  ``E[s(u)]`` for ``u ~ N(0, d)``, ``d > 0``;
* :meth:`~Activation.h` / :meth:`~Activation.G` -- the normalised dual map ``h(C)``
  (the output correlation for an input correlation ``C``) and its distance map
  ``G(eps) = 1 - h(1 - eps)``, written without cancellation;
* :meth:`~Activation.derivative_moment` -- ``E[s'(u) s'(v)]``, the derivative dual
  map that the NTK needs, and :meth:`~Activation.derivative_distance` its drop from
  ``C = 1`` to ``C = 1 - eps``, written without cancellation (the derivative map
  has a square-root singularity at ``C = 1``, so it must be read from ``eps``);
* :meth:`~Activation.c_sigma` -- the weight scale ``1 / E[s(u)^2]`` (``u ~ N(0, 1)``)
  that preserves a unit variance.

The maps are plain arithmetic over an *algebra* argument ``alg`` that supplies
``pi``, ``one``, ``sqrt`` and the named arc-cosine maps ``h0, h, h2, G0, G, G2``.
The SymPy algebra (:data:`dagnngp.theory.arccos.SYMPY`) turns them into exact
expressions with named functions, series and derivatives
(:func:`dagnngp.theory.arccos.activation`); the numeric layer passes an array
algebra whose maps are the primitives of :mod:`dagnngp.numerics.dual`
(:func:`dagnngp.numerics.activations.get_activation`).  So one entry here is
all a closed-form activation needs.  An activation that knows only its finite
map sets ``closed_form = False``; the numeric layer then integrates it.

This module imports no numeric library and no SymPy.

>>> sorted(ACTIVATIONS)
['abrelu', 'arccos0', 'arccos1', 'arccos2', 'gelu', 'leaky', 'relu', 'step']
>>> act = lookup("leaky", slope=0.5)
>>> act.second_moment(FLOAT, 2.0), act.c_sigma(FLOAT)
(1.25, 1.6)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar

__all__ = [
    "ACTIVATIONS",
    "VARIANCE_RTOL",
    "check_variance",
    "Activation",
    "ArcCosine",
    "FLOAT",
    "GELU",
    "Leaky",
    "Registration",
    "lookup",
    "register",
]


class _FloatAlgebra:
    """Python floats (the arc-cosine maps are not available: used for moments and ``c_sigma``)."""

    pi = math.pi
    one = 1.0

    @staticmethod
    def sqrt(x: float) -> float:
        return math.sqrt(x)


#: plain-float algebra for the moments (``act.second_moment(FLOAT, 1.0)``)
FLOAT = _FloatAlgebra()


@dataclass(frozen=True)
class Activation:
    """An activation with its parameters bound; its maps take an algebra ``alg`` first.

    Subclasses define :meth:`finite` and, for a closed form, :meth:`second_moment`,
    :meth:`mean`, :meth:`h`, :meth:`G` and :meth:`derivative_moment`.
    """

    name: str

    #: whether the dual map is known in closed form (else the numeric layer integrates it)
    closed_form: ClassVar[bool] = True

    @property
    def params(self) -> dict[str, Any]:
        """The parameter values (empty for an activation without parameters)."""
        return {}

    @property
    def degree(self) -> int | None:
        """Homogeneity degree: ``s(t x) = t^degree s(x)`` for ``t > 0`` (None if not homogeneous)."""
        return None

    def finite(self, xp: Any, x: Any) -> Any:
        """The activation applied elementwise in namespace ``xp`` (what a finite network applies)."""
        raise NotImplementedError

    def finite_grad(self, xp: Any, x: Any) -> Any:
        """The derivative ``s'(x)`` elementwise (a finite network's backward pass)."""
        raise NotImplementedError(f"activation {self.name!r} states no derivative")

    @property
    def has_finite_grad(self) -> bool:
        """Whether :meth:`finite_grad` is stated."""
        return type(self).finite_grad is not Activation.finite_grad

    def _no_closed_form(self) -> NotImplementedError:
        return NotImplementedError(f"activation {self.name!r} has no closed-form dual map")

    def second_moment(self, alg: Any, s: Any) -> Any:
        """``E[s(u)^2]`` for ``u ~ N(0, s)``, ``s > 0``."""
        raise self._no_closed_form()

    def mean(self, alg: Any, s: Any) -> Any:
        """``E[s(u)]`` for ``u ~ N(0, s)``, ``s > 0``."""
        raise self._no_closed_form()

    def h(self, alg: Any, C: Any) -> Any:
        """Normalised dual map ``E[s(u) s(v)] / sqrt(E[s(u)^2] E[s(v)^2])`` at correlation ``C``."""
        raise self._no_closed_form()

    def G(self, alg: Any, eps: Any) -> Any:  # noqa: N802
        """Distance map ``1 - h(1 - eps)``, written without cancellation."""
        raise self._no_closed_form()

    def derivative_moment(self, alg: Any, s_i: Any, s_j: Any, C: Any) -> Any:
        """``E[s'(u) s'(v)]`` for variances ``s_i, s_j`` and correlation ``C`` (the NTK's map)."""
        raise self._no_closed_form()

    def derivative_distance(self, alg: Any, s_i: Any, s_j: Any, eps: Any) -> Any:
        """``derivative_moment(s_i, s_j, 1) - derivative_moment(s_i, s_j, 1 - eps)``, without cancellation.

        ``derivative_moment(s_i, s_j, 1)`` is ``sqrt(E[s'(u)^2] E[s'(v)^2])`` for every
        activation here (the NTK's gap formulas rely on it).
        """
        raise self._no_closed_form()

    def c_sigma(self, alg: Any = FLOAT) -> Any:
        """The weight scale ``1 / E[s(u)^2]``, ``u ~ N(0, 1)``: it preserves a unit variance."""
        return alg.one / self.second_moment(alg, alg.one)


@dataclass(frozen=True)
class ArcCosine(Activation):
    """``x^n 1(x > 0)`` for ``n`` = 0 (step), 1 (ReLU), 2: Cho and Saul's arc-cosine family.

    >>> ArcCosine("arccos2", 2).second_moment(FLOAT, 2.0)
    6.0
    """

    order: int = 1

    @property
    def degree(self) -> int:
        return self.order

    def finite(self, xp: Any, x: Any) -> Any:
        if self.order == 0:
            return xp.where(x > 0, xp.ones_like(x), xp.zeros_like(x))
        pos = xp.clip(x, 0.0, None)
        return pos if self.order == 1 else pos * pos

    def finite_grad(self, xp: Any, x: Any) -> Any:
        if self.order == 0:  # 0 almost everywhere: no gradient flows through a step
            return xp.zeros_like(x)
        if self.order == 1:
            return xp.where(x > 0, xp.ones_like(x), xp.zeros_like(x))
        return 2 * xp.clip(x, 0.0, None)

    def second_moment(self, alg: Any, s: Any) -> Any:
        if self.order == 0:
            return alg.one / 2
        if self.order == 1:
            return s / 2
        return 3 * s * s / 2

    def mean(self, alg: Any, s: Any) -> Any:
        if self.order == 0:
            return alg.one / 2
        if self.order == 1:
            return alg.sqrt(s) / alg.sqrt(2 * alg.pi)
        return s / 2

    def h(self, alg: Any, C: Any) -> Any:
        return (alg.h0, alg.h, alg.h2)[self.order](C)

    def G(self, alg: Any, eps: Any) -> Any:  # noqa: N802
        return (alg.G0, alg.G, alg.G2)[self.order](eps)

    def derivative_moment(self, alg: Any, s_i: Any, s_j: Any, C: Any) -> Any:
        if self.order == 0:
            raise ValueError("the step activation has no derivative map (sigma' is a delta)")
        if self.order == 1:
            return alg.h0(C) / 2
        # Price: E[s2'(u) s2'(v)] = 4 E[relu(u) relu(v)] = 2 sqrt(s_i s_j) h(C)
        return 2 * alg.sqrt(s_i * s_j) * alg.h(C)

    def derivative_distance(self, alg: Any, s_i: Any, s_j: Any, eps: Any) -> Any:
        if self.order == 0:
            raise ValueError("the step activation has no derivative map (sigma' is a delta)")
        if self.order == 1:
            return alg.G0(eps) / 2
        return 2 * alg.sqrt(s_i * s_j) * alg.G(eps)


@dataclass(frozen=True)
class Leaky(Activation):
    """``a x`` for ``x > 0``, ``b x`` below: ``s = (a - b) relu + b x``, so
    ``h(C) = ((a - b)^2 h_relu(C) + 2 a b C) / (a^2 + b^2)``.

    >>> Leaky("abrelu", 1.0, -1.0).mean(FLOAT, 2 * math.pi)
    2.0
    """

    a: Any = 1
    b: Any = 0

    @property
    def params(self) -> dict[str, Any]:
        return {"slope": self.b} if self.name == "leaky" else {"a": self.a, "b": self.b}

    @property
    def degree(self) -> int:
        return 1

    def finite(self, xp: Any, x: Any) -> Any:
        return self.a * xp.clip(x, 0.0, None) + self.b * xp.clip(x, None, 0.0)

    def finite_grad(self, xp: Any, x: Any) -> Any:
        one, zero = xp.ones_like(x), xp.zeros_like(x)
        return self.a * xp.where(x > 0, one, zero) + self.b * xp.where(x < 0, one, zero)

    def second_moment(self, alg: Any, s: Any) -> Any:
        return (self.a**2 + self.b**2) * s / 2

    def mean(self, alg: Any, s: Any) -> Any:
        return (self.a - self.b) * alg.sqrt(s) / alg.sqrt(2 * alg.pi)

    def h(self, alg: Any, C: Any) -> Any:
        a, b = self.a, self.b
        return ((a - b) ** 2 * alg.h(C) + 2 * a * b * C) / (a**2 + b**2)

    def G(self, alg: Any, eps: Any) -> Any:  # noqa: N802
        a, b = self.a, self.b
        return ((a - b) ** 2 * alg.G(eps) + 2 * a * b * eps) / (a**2 + b**2)

    def derivative_moment(self, alg: Any, s_i: Any, s_j: Any, C: Any) -> Any:
        a, b = self.a, self.b
        return ((a - b) ** 2 * alg.h0(C) + 2 * a * b) / 2

    def derivative_distance(self, alg: Any, s_i: Any, s_j: Any, eps: Any) -> Any:
        return (self.a - self.b) ** 2 * alg.G0(eps) / 2


@dataclass(frozen=True)
class Registration:
    """How to build one registered activation: ``make(name, **params)`` and its parameters."""

    name: str
    make: Callable[..., Activation]
    #: parameter name -> default (exact: a :class:`fractions.Fraction` or an int)
    defaults: dict[str, Any]
    doc: str


#: name -> :class:`Registration`; the only list of activation names in the toolkit
ACTIVATIONS: dict[str, Registration] = {}


def register(name: str, make: Callable[..., Activation], defaults: dict[str, Any] | None = None,
             doc: str = "") -> None:
    """Make ``make(name, **params)`` available as ``activation=name`` everywhere."""
    ACTIVATIONS[name] = Registration(name, make, dict(defaults or {}), doc)


def _leaky(name: str, slope: Any) -> Leaky:
    return _check_slopes(Leaky(name, 1, slope))


def _abrelu(name: str, a: Any, b: Any) -> Leaky:
    return _check_slopes(Leaky(name, a, b))


def _check_slopes(act: Leaky) -> Leaky:
    if act.a == 0 and act.b == 0:
        raise ValueError(
            f"activation {act.name!r} with both slopes 0 is the zero function; give a != 0 or b != 0"
        )
    return act


register("step", lambda name: ArcCosine(name, 0), doc="1(x > 0)")
register("arccos0", lambda name: ArcCosine(name, 0), doc="1(x > 0) (alias of step)")
register("relu", lambda name: ArcCosine(name, 1), doc="max(x, 0)")
register("arccos1", lambda name: ArcCosine(name, 1), doc="max(x, 0) (alias of relu)")
register("arccos2", lambda name: ArcCosine(name, 2), doc="max(x, 0)^2")
register("leaky", _leaky, {"slope": Fraction(1, 100)}, doc="x for x > 0, slope x below")
register("abrelu", _abrelu, {"a": 1, "b": 0}, doc="a x for x > 0, b x below")


@dataclass(frozen=True)
class GELU(Activation):
    """``x Phi(x) = x erfc(-x / sqrt 2) / 2``: states only its finite map (and ``c_sigma``).

    Its dual map, mean and second moment come from the numeric quadrature tier
    (:func:`dagnngp.numerics.activations.quadrature_maps`); ``xp.erfc`` is supplied
    by the numeric layer.  By Stein's lemma ``E[u^2 Phi(u)^2] = 1/3 + 1/(2 sqrt(3) pi)``
    for ``u ~ N(0, 1)``, hence the ``c_sigma`` below.

    >>> round(lookup("gelu").c_sigma(FLOAT), 12)
    2.351715614073
    """

    closed_form: ClassVar[bool] = False

    def finite(self, xp: Any, x: Any) -> Any:
        return 0.5 * x * xp.erfc(x * -math.sqrt(0.5))

    def finite_grad(self, xp: Any, x: Any) -> Any:
        # Phi(x) + x phi(x)
        return 0.5 * xp.erfc(x * -math.sqrt(0.5)) + x * xp.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)

    def c_sigma(self, alg: Any = FLOAT) -> Any:
        return alg.one / (alg.one / 3 + alg.one / (2 * alg.sqrt(3) * alg.pi))


register("gelu", lambda name: GELU(name), doc="x Phi(x) (dual map by Gauss-Hermite quadrature)")


def _float_number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | Fraction):
        try:
            value = float(value)  # NumPy scalars, SymPy numbers
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be a real number, not {value!r}") from None
    out = float(value)
    if not math.isfinite(out):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return out


def lookup(name: str, number: Callable[[object, str], Any] = _float_number, **params: object) -> Activation:
    """The registered activation ``name`` with its parameters.

    Every parameter (given or default) passes through ``number(value, name)``:
    floats by default; the symbolic layer passes exact SymPy numbers.  An
    unknown name or parameter raises ``ValueError`` naming what is available.

    >>> lookup("abrelu", a=2)
    Leaky(name='abrelu', a=2.0, b=0.0)
    """
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ValueError(f"activation={name!r} is not known; available: {', '.join(sorted(ACTIVATIONS))}")
    reg = ACTIVATIONS[name]
    unknown = sorted(set(params) - set(reg.defaults))
    if unknown:
        raise ValueError(
            f"bad parameters {unknown} for activation {name!r}: it takes parameters "
            f"{list(reg.defaults) or 'none'}"
        )
    values = {k: number(params.get(k, default), k) for k, default in reg.defaults.items()}
    return reg.make(name, **values)


#: relative tolerance within which a ``c_sigma`` counts as variance-preserving
VARIANCE_RTOL = 1e-6


def check_variance(activation: str = "relu", c_sigma: float = 2.0, activation_params: dict | None = None,
                   stacklevel: int = 2) -> bool:
    """Warn (:class:`~dagnngp.errors.VarianceWarning`) when ``c_sigma`` does not preserve the variance.

    Returns whether it does (``c_sigma E[s(u)^2] = 1`` for ``u ~ N(0, 1)``, within
    :data:`VARIANCE_RTOL`); the preserving value is the activation's own
    :meth:`Activation.c_sigma`.  ``stacklevel`` is passed to :func:`warnings.warn`.

    >>> check_variance("step", 2.0), check_variance("leaky", 1.6, {"slope": 0.5})
    (True, True)
    """
    import warnings

    from dagnngp.errors import VarianceWarning

    act = lookup(activation, **(activation_params or {}))
    preserving = float(act.c_sigma(FLOAT))
    c = float(c_sigma)
    if abs(c - preserving) <= VARIANCE_RTOL * preserving:
        return True
    params = ", ".join(f"{k}={v:g}" for k, v in act.params.items())
    warnings.warn(
        f"c_sigma={c:g} does not preserve the variance of activation {activation!r}"
        f"{f' ({params})' if params else ''}: c_sigma E[s(u)^2] = {c / preserving:.6g} for u ~ N(0, 1), so "
        f"each linear layer scales the kernel's diagonal by about that factor; the variance-preserving "
        f"value is c_sigma = {preserving:.10g}",
        VarianceWarning,
        stacklevel=stacklevel + 1,
    )
    return False
