"""Generate numeric source code from a :class:`~dagnngp.theory.derivation.Derivation`.

The code is produced by SymPy's printers after common-subexpression
elimination.  Named maps print as calls to the helpers of
:mod:`dagnngp.numerics.generated` (``h(...)``, ``G(...)``, ...), the numeric
primitives of :mod:`dagnngp.numerics.dual`, written without cancellation, and
:func:`dagnngp.numerics.lambdify` compiles the text; the gap is generated from the
*distance* form (a sum of ``G`` terms in ``eps = 1 - C``), so float64 code keeps
its relative accuracy as ``C -> 1``.

Three code styles share one expression:

* ``"array"`` -- vectorised over an array namespace ``xp`` (NumPy, CuPy, any
  array-API library), constants folded to float64 literals;
* ``"scalar"`` -- one ``C`` at a time with :mod:`math`, compiled by Numba;
* ``"mpmath"`` -- exact constants printed as mpmath expressions, evaluated at
  the working precision.

This module only writes text; it imports no numeric library.

>>> from dagnngp.theory import derive
>>> print(generate_source(derive("2_02_002", model="paper"), ("gap",), "array"))
def _generated(C):
    xp = _namespace(C)
    C = _prepare(xp, C)
    eps = 1.0 - C
    r0 = G(xp, G(xp, G(xp, eps)))
    r0 = xp.where(1 - r0 >= 0.0, r0, 2 - r0)
    return r0
"""

from __future__ import annotations

from typing import Any

import sympy
from sympy import Float
from sympy.printing.pycode import MpmathPrinter, PythonCodePrinter

__all__ = ["QUANTITIES", "STYLES", "derivation_source", "generate_source"]

QUANTITIES = ("diagonal", "offdiagonal", "gap", "rule12", "mean", "correlation")
STYLES = {"numpy": "array", "array_api": "array", "cupy": "array", "numba": "scalar", "mpmath": "mpmath"}

# every named map prints as a call of the numeric helper of the same name
_HELPER = {name: name for name in ("h0", "h", "h2", "G0", "G", "G2")}


def _function_printers(xp_arg: str) -> dict[str, Any]:
    def make(helper: str):
        def _print(self, expr):
            return f"{helper}({xp_arg}{self._print(expr.args[0])})"

        return _print

    return {f"_print_{cls}": make(helper) for cls, helper in _HELPER.items()}


class _ArrayPrinter(PythonCodePrinter):
    def _module_format(self, fqn, register=True):
        if fqn.startswith("math."):
            return "xp." + fqn[5:]
        return super()._module_format(fqn, register)


for _k, _v in _function_printers("xp, ").items():
    setattr(_ArrayPrinter, _k, _v)


class _ScalarPrinter(PythonCodePrinter):
    pass


for _k, _v in _function_printers("").items():
    setattr(_ScalarPrinter, _k, _v)


class _MpmathPrinter(MpmathPrinter):
    pass


for _k, _v in _function_printers("").items():
    setattr(_MpmathPrinter, _k, _v)


def _floatify(expr: sympy.Expr, memo: dict) -> sympy.Expr:
    """Replace every constant subexpression by a 20-digit Float (for float64 code)."""
    if expr in memo:
        return memo[expr]
    if expr.is_Symbol or expr.is_Float or expr.is_Integer:
        out = expr
    elif expr.is_number:
        out = Float(expr.evalf(20), 20)
    else:
        out = expr.func(*[_floatify(a, memo) for a in expr.args])
    memo[expr] = out
    return out


def _outputs(d, quantities: tuple[str, ...], node: int | None) -> list[tuple[str, tuple]]:
    """Per quantity: ("expr", e) | ("const", e) | ("gap", V, D)."""
    out = []
    for q in quantities:
        if q not in QUANTITIES:
            raise ValueError(f"quantity={q!r} is not known; use one of {', '.join(QUANTITIES)}")
        e = d.expression(q, node)
        if q == "gap":
            n = d.nodes[d.motif.output if node is None else node]
            out.append(("gap", (n.diagonal, e)))
        elif e.free_symbols:
            out.append(("expr", (e,)))
        else:
            out.append(("const", (e,)))
    return out


def generate_source(d, quantities: tuple[str, ...], style: str, node: int | None = None) -> str:
    """Python source of ``_generated(C)`` returning the requested quantities."""
    if style not in ("array", "scalar", "mpmath"):
        raise ValueError(f"style={style!r} is not known; use 'array', 'scalar' or 'mpmath'")
    outs = _outputs(d, quantities, node)
    flat: list[sympy.Expr] = []
    for _, exprs in outs:
        flat.extend(exprs)
    eps_sym = d.eps
    flat = [e.xreplace({eps_sym: sympy.Symbol("eps")}) for e in flat]
    if style != "mpmath":
        memo: dict = {}
        flat = [_floatify(e, memo) for e in flat]
    replacements, reduced = sympy.cse(flat, symbols=sympy.numbered_symbols("x"), order="none")
    printer = {"array": _ArrayPrinter, "scalar": _ScalarPrinter, "mpmath": _MpmathPrinter}[style](
        {"fully_qualified_modules": True, "standard": "python3"}
    )
    lines = ["def _generated(C):"]
    if style == "array":
        lines += ["    xp = _namespace(C)", "    C = _prepare(xp, C)", "    eps = 1.0 - C"]
    elif style == "scalar":
        lines += ["    eps = 1.0 - C"]
    else:
        lines += ["    C = mpmath.mpf(C)", "    eps = 1 - C"]
    for sym, e in replacements:
        lines.append(f"    {sym} = {printer.doprint(e)}")
    k = 0
    names = []
    zero = "0.0" if style != "mpmath" else "mpmath.mpf(0)"
    for i, (kind, exprs) in enumerate(outs):
        name = f"r{i}"
        names.append(name)
        if kind == "expr":
            lines.append(f"    {name} = {printer.doprint(reduced[k])}")
            k += 1
        elif kind == "const":
            val = printer.doprint(reduced[k])
            k += 1
            if style == "array":
                lines.append(f"    {name} = xp.zeros_like(C) + {val}")
            else:
                lines.append(f"    {name} = {zero} + {val}")
        else:
            V, D = printer.doprint(reduced[k]), printer.doprint(reduced[k + 1])
            V2 = printer.doprint(2 * reduced[k])
            k += 2
            if style == "array" and not exprs[1].free_symbols:
                lines.append(f"    {name} = xp.zeros_like(C) + {D}")
            else:
                lines.append(f"    {name} = {D}")
            if style == "array":
                lines.append(f"    {name} = xp.where({V} - {name} >= 0.0, {name}, {V2} - {name})")
            else:
                lines.append(f"    if {V} - {name} < 0:")
                lines.append(f"        {name} = {V2} - {name}")
    lines.append(f"    return {', '.join(names)}")
    return "\n".join(lines)


def derivation_source(d, quantity, backend: str, node: int | None = None) -> tuple[str, int, bool]:
    """Source of a numeric function of ``C`` for ``quantity`` of derivation ``d``, for ``backend``.

    Returns ``(source, n_outputs, single)``; :func:`dagnngp.numerics.lambdify`
    compiles it with the backend's helper maps.  ``quantity`` is one name or a
    tuple of names (:data:`QUANTITIES`); ``node`` picks an intermediate node.
    """
    if backend not in STYLES:
        raise ValueError(f"backend={backend!r} is not known; use one of {', '.join(STYLES)}")
    single = isinstance(quantity, str)
    quantities = (quantity,) if single else tuple(quantity)
    if not quantities:
        raise ValueError("quantity must name at least one quantity")
    if node is not None and (isinstance(node, bool) or not isinstance(node, int)
                             or not 0 <= node < d.motif.n_nodes):
        raise ValueError(f"node={node!r} is not a node of {d.motif}; use 0..{d.motif.n_nodes - 1}")
    return generate_source(d, quantities, STYLES[backend], node), len(quantities), single
