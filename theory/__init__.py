"""Symbolic derivations of motif kernels (SymPy); never imports a numeric backend.

* :func:`derive` -- a motif's closed-form NNGP recursion (:class:`Derivation`):
  node-by-node expressions, the 2x2 gap, rule (12), general-input forms,
  ``series()``, ``latex()``, ``pretty()`` and ``lambdify()``;
* :mod:`dagnngp.theory.arccos` -- the arc-cosine / leaky activation family as
  named SymPy functions (``h``, ``G``, ...).

>>> from dagnngp.theory import derive
>>> derive("2_02_002", model="paper").offdiagonal
h(h(h(C)))
"""

from dagnngp.theory.arccos import G0, G2, G, activation, explicit, h, h0, h2
from dagnngp.theory.derive import EPS, GENERAL_SYMBOLS, C, Derivation, NodeExpressions, derive

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
