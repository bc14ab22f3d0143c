"""Symbolic derivations of motif kernels (SymPy); never imports a numeric backend.

* :func:`derive` -- a motif's closed-form NNGP recursion (:class:`Derivation`):
  node-by-node expressions, the 2x2 gap, rule (12), general-input forms,
  ``series()``, ``latex()``, ``pretty()`` and ``source()`` (numeric code, compiled by
  :func:`dagnngp.numerics.lambdify`);
* :mod:`dagnngp.theory.arccos` -- the arc-cosine / leaky activation family as
  named SymPy functions (``h``, ``G``, ...).

>>> from dagnngp.theory import derive
>>> derive("2_02_002", model="paper").offdiagonal
h(h(h(C)))
"""

import importlib

# SymPy loads only when a symbolic name is first used: the numeric layer imports
# dagnngp.theory.program (plain Python) and must not pay for SymPy.
_LAZY = {
    **dict.fromkeys(("G", "G0", "G2", "activation", "explicit", "h", "h0", "h2"), "dagnngp.theory.arccos"),
    **dict.fromkeys(("C", "EPS", "GENERAL_SYMBOLS", "Derivation", "NodeExpressions", "derive"),
                    "dagnngp.theory.derivation"),
}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "C",
    "EPS",
    "G",
    "G0",
    "G2",
    "GENERAL_SYMBOLS",
    "Derivation",
    "NodeExpressions",
    "activation",
    "derive",
    "explicit",
    "h",
    "h0",
    "h2",
]
