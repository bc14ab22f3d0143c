"""Asymptotics of a derivation's gap at ``C = 1`` and ``C = -1`` (Puiseux series).

The arc-cosine maps are not analytic at ``C = +-1``: ``h(1 - y) = 1 - y +
(2 sqrt 2 / 3 pi) y^(3/2) + ...``.  Expanding a composition such as
``G(2 G(eps) / (2 + 2/pi))`` therefore needs series in fractional powers.  This
module evaluates an expression tree bottom-up on truncated Puiseux series
(exponent -> exact coefficient): sums and products directly, powers by the
binomial series, and each named map by its expansion at the point its argument
tends to -- the edge expansions at ``+-1`` (computed once by SymPy from the
explicit form in ``theta``) or a Taylor series at an interior point.

>>> from dagnngp.theory import derive
>>> s = derive("2_02_002", model="paper").series(2)
>>> s.expr
eps - 2*sqrt(2)*eps**(3/2)/pi + O(eps**2)
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from functools import cache

import sympy
from sympy import Abs, Add, Mul, O, Pow, Rational, S, Symbol, binomial, pi, sqrt

from dagnngp.limits import ResourceLimitError
from dagnngp.theory.arccos import _H_CLASSES, _ArcCosG, _ArcCosH

__all__ = ["SeriesResult", "gap_series"]

Terms = dict  # Rational exponent -> sympy coefficient
_X = Symbol("x", positive=True)


def _trunc(t: Terms, N) -> Terms:
    return {e: c for e, c in t.items() if e < N and c != 0}


def _add(a: Terms, b: Terms, N) -> Terms:
    out = dict(a)
    for e, c in b.items():
        out[e] = out.get(e, S.Zero) + c
    return _trunc(out, N)


def _mul(a: Terms, b: Terms, N) -> Terms:
    out: Terms = {}
    for e1, c1 in a.items():
        for e2, c2 in b.items():
            e = e1 + e2
            if e < N:
                out[e] = out.get(e, S.Zero) + c1 * c2
    return {e: c for e, c in out.items() if c != 0}


def _is_zero(c) -> bool:
    if c == 0:
        return True
    val = sympy.N(c, 30)
    return val == 0 or abs(val) < sympy.Float("1e-25")


def _clean(t: Terms) -> Terms:
    return {e: c for e, c in t.items() if not _is_zero(c)}


def _pow(a: Terms, q, N) -> Terms:
    """``a^q`` for a rational ``q`` (``a``'s leading coefficient must be > 0 unless q is an integer)."""
    a = _clean(a)
    if not a:
        if q > 0:
            return {}
        raise ValueError("a series that vanishes cannot be raised to a negative power")
    e0 = min(a)
    c0 = a[e0]
    if not q.is_integer and sympy.N(c0) < 0:
        raise ValueError("fractional power of a series with a negative leading coefficient")
    u = {e - e0: c / c0 for e, c in a.items() if e != e0}
    lead = e0 * q
    out: Terms = {S.Zero: S.One}
    power: Terms = {S.Zero: S.One}
    n = 1
    du = min(u) if u else None
    while du is not None and lead + n * du < N:
        power = _mul(power, u, N - lead)
        out = _add(out, {e: binomial(q, n) * c for e, c in power.items()}, N - lead)
        n += 1
    return {e + lead: c0**q * c for e, c in out.items()}


@cache
def _edge_expansion(order: int, sign: int, n_terms: int) -> tuple:
    """Coefficients ``alpha_k`` with ``h_n(sign (1 - y)) = sum_k alpha_k y^(k/2)``, k < n_terms."""
    x = _X
    theta = 2 * sympy.asin(x / sqrt(2))
    if sign < 0:
        theta = pi - theta
    if order == 0:
        expr = (pi - theta) / pi
    elif order == 1:
        expr = (sympy.sin(theta) + (pi - theta) * sympy.cos(theta)) / pi
    else:
        expr = (3 * sympy.sin(theta) * sympy.cos(theta)
                + (pi - theta) * (1 + 2 * sympy.cos(theta) ** 2)) / (3 * pi)
    ser = sympy.series(expr, x, 0, n_terms).removeO()
    poly = sympy.Poly(sympy.expand(ser), x)
    coeffs = [S.Zero] * n_terms
    for (k,), c in poly.terms():
        if k < n_terms:
            coeffs[k] = sympy.nsimplify(sympy.simplify(c))
    return tuple(coeffs)


def _compose_h(order: int, arg: Terms, N, memo: dict) -> Terms:
    c0 = arg.get(S.Zero, S.Zero)
    rest = {e: c for e, c in arg.items() if e != 0}
    rest = _clean(rest)
    cls = _H_CLASSES[order]
    c0n = sympy.N(c0, 30)
    if abs(c0n - 1) < 1e-25 or abs(c0n + 1) < 1e-25:
        sign = 1 if c0n > 0 else -1
        y = {e: -sign * c for e, c in rest.items()}  # arg = sign (1 - y)
        if not y:
            return {S.Zero: S.One} if sign > 0 else {}
        e0 = min(y)
        n_terms = int(2 * N / e0) + 2
        alpha = _edge_expansion(order, sign, n_terms)
        out: Terms = {S.Zero: alpha[0]} if alpha[0] != 0 else {}
        for k in range(1, n_terms):
            _tick(memo)
            if alpha[k] == 0 or Rational(k, 2) * e0 >= N:
                continue
            out = _add(out, {e: alpha[k] * c for e, c in _pow(y, Rational(k, 2), N).items()}, N)
        return out
    if abs(c0n) > 1:
        raise ValueError(f"a correlation tends to {c0n}, outside [-1, 1]")
    # interior point: Taylor series
    out = {S.Zero: cls(c0)}
    if not rest:
        return out
    z = Symbol("z")
    deriv = cls(z)
    power: Terms = {S.Zero: S.One}
    k = 1
    du = min(rest)
    while k * du < N:
        _tick(memo)
        deriv = sympy.diff(deriv, z)
        power = _mul(power, rest, N)
        coef = deriv.subs(z, c0) / sympy.factorial(k)
        out = _add(out, {e: coef * c for e, c in power.items()}, N)
        k += 1
    return out


class SeriesTooSlowError(ResourceLimitError):
    """A series expansion ran past its time limit (raised instead of hanging)."""


def _tick(memo: dict) -> None:
    deadline = memo.get(_DEADLINE)
    if deadline is not None and time.monotonic() > deadline[0]:
        raise SeriesTooSlowError(
            f"the series expansion ran past its time limit of {deadline[1]:g} s (the work grows about "
            "8-fold per order on 5-node dense motifs); ask for a lower order, or pass a larger "
            "time_limit (None waits without limit)",
            estimate=math.inf, limit=deadline[1], unit="seconds", option=None,
        )


_DEADLINE = object()


def _series(expr: sympy.Expr, env: dict, N, memo: dict) -> Terms:
    _tick(memo)
    if expr in memo:
        return memo[expr]
    if expr in env:
        out = env[expr]
    elif expr.is_number:
        out = {S.Zero: expr} if expr != 0 else {}
    elif isinstance(expr, Add):
        out = {}
        for a in expr.args:
            out = _add(out, _series(a, env, N, memo), N)
    elif isinstance(expr, Mul):
        # numeric factors first keeps the truncation order of the rest honest
        out = {S.Zero: S.One}
        for a in expr.args:
            out = _mul(out, _series(a, env, N, memo), N)
    elif isinstance(expr, Pow) and expr.exp.is_Rational:
        base = _series(expr.base, env, N, memo)
        q = expr.exp
        if q.is_integer and q > 0:
            out = {S.Zero: S.One}
            for _ in range(int(q)):
                out = _mul(out, base, N)
        else:
            base = _clean(base)
            shift = -min(base) * q if base else 0
            out = _trunc(_pow(base, q, N + max(shift, 0)), N)
    elif isinstance(expr, _ArcCosH):
        out = _compose_h(expr.order, _series(expr.args[0], env, N, memo), N, memo)
    elif isinstance(expr, _ArcCosG):
        arg = _series(expr.args[0], env, N, memo)
        one_minus = _add({S.Zero: S.One}, {e: -c for e, c in arg.items()}, N)
        out = _add({S.Zero: S.One}, {e: -c for e, c in _compose_h(expr.order, one_minus, N, memo).items()},
                   N)
    elif isinstance(expr, Abs):
        inner = _clean(_series(expr.args[0], env, N, memo))
        lead = inner[min(inner)] if inner else S.Zero
        out = {e: -c for e, c in inner.items()} if inner and sympy.N(lead) < 0 else inner
    else:
        raise ValueError(f"cannot expand {expr} in a series")
    memo[expr] = out
    return out


@dataclass(frozen=True)
class SeriesResult:
    """A truncated Puiseux series ``sum_e terms[e] x^e + O(x^order)``.

    ``variable`` is ``eps`` (``C = 1 - eps``) or ``delta`` (``C = -1 + delta``).
    ``leading`` is ``(coefficient, exponent)`` of the first non-zero term
    (``kappa`` of ``gap ~ kappa eps``); ``coefficient(e)`` reads any term.
    """

    quantity: str
    at: int
    variable: sympy.Symbol
    order: sympy.Rational
    terms: dict

    @property
    def expr(self) -> sympy.Expr:
        x = self.variable
        return Add(*(c * x**e for e, c in sorted(self.terms.items()))) + O(x**self.order)

    @property
    def leading(self) -> tuple[sympy.Expr, sympy.Rational]:
        if not self.terms:
            return (S.Zero, self.order)
        e = min(self.terms)
        return (self.terms[e], e)

    @property
    def kappa(self) -> sympy.Expr:
        """Coefficient of ``x^1``."""
        return self.coefficient(1)

    def coefficient(self, exponent: object) -> sympy.Expr:
        return self.terms.get(Rational(exponent), S.Zero)

    def __str__(self) -> str:
        return str(self.expr)


def _split_terms(c: sympy.Expr) -> sympy.Expr:
    """``c`` as a sum of monomials: each positive sum under a power is named, the rest expanded."""
    names: dict = {}
    for p in c.atoms(sympy.Pow):
        if p.base.is_Add and p.base.is_positive:
            names.setdefault(p.base, sympy.Dummy(positive=True))
    e = sympy.expand(c.xreplace(names))
    e = Add(*(sympy.powsimp(t) for t in Add.make_args(e)))
    return e.xreplace({v: k for k, v in names.items()})


def _simplify_terms(c: sympy.Expr) -> sympy.Expr:
    """:func:`_split_terms`, then each monomial simplified alone (small coefficients only)."""
    if sympy.count_ops(c) > 200:
        return c
    terms = Add.make_args(_split_terms(c))
    if len(terms) > 12:
        return c
    return Add(*(sympy.simplify(t) for t in terms))


def _nice(c: sympy.Expr) -> sympy.Expr:
    """The shortest of a few exact forms of a coefficient (by operation count, then length).

    ``simplify`` runs on small coefficients only (it is too slow on big ones); the
    other candidates are a plain expansion and a sum of monomials, so a coefficient
    prints as a short sum of radicals rather than one long fraction when that is shorter.
    """
    if c.has(_ArcCosH):
        return c
    candidates = [c]
    for form in (sympy.expand, _split_terms, _simplify_terms,
                 lambda e: sympy.simplify(e) if sympy.count_ops(e) < 60 else e):
        try:
            candidates.append(form(c))
        except Exception:  # pragma: no cover - tidying is best effort
            pass
    return min(candidates, key=lambda e: (sympy.count_ops(e), len(str(e))))


#: Largest order (exponent) a series is expanded to; higher orders are refused at once.
MAX_SERIES_ORDER = 24


def gap_series(d, order: int = 3, at: int = 1, quantity: str = "gap",
               time_limit: float | None = 60.0) -> SeriesResult:
    """Series of a derivation's ``"gap"``, ``"offdiagonal"`` or ``"rule12"`` at ``C = at``.

    The expansion stops with :class:`SeriesTooSlowError` once it has run
    ``time_limit`` seconds (``None``: no limit); orders above
    :data:`MAX_SERIES_ORDER` are refused before any work.
    """
    if at not in (1, -1):
        raise ValueError(f"at={at!r}: series are expanded at C = 1 or C = -1")
    try:
        N = Rational(order)
    except (TypeError, ValueError, sympy.SympifyError):
        raise ValueError(f"order={order!r} must be a number > 0 (the exponent up to which terms are kept)") \
            from None
    if not N > 0 or N > MAX_SERIES_ORDER:
        raise ValueError(f"order={order!r} must be > 0 and at most {MAX_SERIES_ORDER} (the exponent up to "
                         "which terms are kept)")
    if time_limit is not None and not (isinstance(time_limit, int | float) and time_limit > 0):
        raise ValueError(f"time_limit={time_limit!r} must be a positive number of seconds or None")
    if quantity not in ("gap", "offdiagonal", "rule12"):
        raise ValueError(f"quantity={quantity!r}: use 'gap', 'offdiagonal' or 'rule12'")
    x = _X
    memo: dict = {}
    if time_limit is not None:
        memo[_DEADLINE] = (time.monotonic() + float(time_limit), float(time_limit))
    if at == 1:
        variable = Symbol("eps", nonnegative=True)
        env = {d.eps: {S.One: S.One}, d.C: {S.Zero: S.One, S.One: -S.One}}
        if quantity == "gap":
            terms = _series(d.gap_distance, env, N, memo) if d.diagonal != 0 else {}
        elif quantity == "rule12":
            terms = _series(d.rule12_distance, env, N, memo)
        else:
            terms = _series(d.offdiagonal, env, N, memo)
    else:
        variable = Symbol("delta", nonnegative=True)
        env = {d.C: {S.Zero: -S.One, S.One: S.One}}
        expr = {"gap": d.gap, "rule12": d.rule12, "offdiagonal": d.offdiagonal}[quantity]
        terms = _series(expr, env, N, memo)
    terms = {e: _nice(c) for e, c in _clean(terms).items()}
    memo.pop(_DEADLINE, None)
    del x
    return SeriesResult(quantity, at, variable, N, terms)
