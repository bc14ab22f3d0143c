"""Audit of the paper's rule (12) over every motif with a given number of nodes.

Rule (12) claims ``lambda_min(K^(H)) <= R12 = P - sum_p h^{d_p}(C)``.  For two
unit inputs with correlation ``C`` the left side *is* the 2x2 gap of the
output Gram, so the rule fails as an upper bound exactly where the paper
model's own 2x2 gap ``G`` exceeds ``R12``.  By Jensen (``h`` is convex) this
happens when a linear edge reads a node that merges paths of different depths.

>>> rows = rule12_audit(n_nodes=4, correlations=(0.5,))
>>> bad = {r.motif for r in rows if r.fails}
>>> "1_12_002" in bad, "2_21_112" in bad
(True, False)
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from dagnngp.motif import Motif, Op
from dagnngp.numerics.bounds import least_eigenvalue_2x2, rule12
from dagnngp.numerics.reference import NNGPResult, pair_gram
from dagnngp.numerics.reference import nngp as reference_nngp

__all__ = ["Rule12Row", "all_motifs", "format_rule12_failures", "merges_unequal_depths", "rule12_audit"]


def nngp(*args: Any, **kwargs: Any) -> NNGPResult:
    """The NumPy reference recursion (the ground truth every check compares with)."""
    return reference_nngp(*args, backend="numpy", **kwargs)


@dataclass(frozen=True)
class Rule12Row:
    """One motif at one correlation.

    ``rule12``: the rule's value; ``paper_gap``: the 2x2 least eigenvalue of the
    paper-model output Gram (``lambda_min`` itself for N = 2); ``exact_gap``:
    the same under the exact infinite-width model; ``fails``: ``paper_gap >
    rule12`` beyond rounding, i.e. (12) is not an upper bound on ``lambda_min``;
    ``predicted``: the structural prediction of :func:`merges_unequal_depths`.
    """

    motif: str
    C: float
    n_paths: int
    rule12: float
    paper_gap: float
    exact_gap: float
    fails: bool
    predicted: bool

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def all_motifs(n_nodes: int, require_path: bool = True) -> list[Motif]:
    """Every motif with ``n_nodes`` nodes (``3^(n(n-1)/2)`` of them), optionally only those with a path.

    >>> len(all_motifs(4)), len(all_motifs(4, require_path=False))
    (662, 729)
    """
    if not 2 <= n_nodes <= 5:
        raise ValueError(f"exhaustive enumeration is offered for 2..5 nodes, got {n_nodes}")
    sizes = list(range(1, n_nodes))
    out = []
    for digits in itertools.product((0, 1, 2), repeat=sum(sizes)):
        rows, k = [], 0
        for size in sizes:
            rows.append(tuple(Op(d) for d in digits[k:k + size]))
            k += size
        motif = Motif(tuple(rows))
        if not require_path or motif.n_paths > 0:
            out.append(motif)
    return out


def merges_unequal_depths(motif: Motif) -> bool:
    """True when a linear edge on an input-output path reads a node reached by paths of unequal depths.

    Exactly then the paper recursion's ``f(sum of kernels)`` differs from rule
    (12)'s ``sum of f(kernels)`` (strict Jensen for the strictly convex ``h``).

    >>> merges_unequal_depths(Motif.parse("1_12_002")), merges_unequal_depths(Motif.parse("2_21_112"))
    (True, False)
    """
    depths: list[set[int]] = [{0}] + [set() for _ in range(motif.output)]
    for t in range(1, motif.n_nodes):
        for s, op in enumerate(motif.ops[t - 1]):
            if op is not Op.ZERO:
                depths[t] |= {d + (op is Op.LINEAR) for d in depths[s]}
    on_path = motif.reachable_from_input & motif.reaching_output
    return any(op is Op.LINEAR and s in on_path and t in on_path and len(depths[s]) > 1
               for s, t, op in motif.edges())


def rule12_audit(
    n_nodes: int = 4,
    correlations: Sequence[float] = (0.0, 0.5, 0.9),
    rtol: float = 1e-12,
) -> list[Rule12Row]:
    """Rule (12) against the paper-model and exact 2x2 gaps for every motif with a path.

    Correlations should be ``>= 0``: there every kernel entry is positive and
    Jensen makes ``rule12 <= paper_gap``.
    """
    rows = []
    for motif in all_motifs(n_nodes):
        predicted = merges_unequal_depths(motif)
        for C in correlations:
            K0, mu0 = pair_gram(C)
            paper = nngp(motif, K0, mu0, model="paper").output
            exact = nngp(motif, K0, mu0, model="exact").output
            r12 = float(rule12(motif, C))
            g_paper = float(least_eigenvalue_2x2(paper[0, 0], paper[1, 1], paper[0, 1]))
            g_exact = float(least_eigenvalue_2x2(exact[0, 0], exact[1, 1], exact[0, 1]))
            fails = g_paper > r12 + rtol * max(1.0, abs(r12))
            rows.append(Rule12Row(str(motif), float(C), motif.n_paths, r12, g_paper, g_exact,
                                  bool(fails), predicted))
    return rows


def format_rule12_failures(rows: Sequence[Rule12Row]) -> str:
    """A text table, one line per motif where (12) fails: rule value and true 2x2 gap at each ``C``."""
    bad = [r for r in rows if r.fails]
    cs = sorted({r.C for r in bad})
    head = f"{'motif':<10} {'P':>2}" + "".join(f"  C={c:<4g} rule12 / true gap (exact model)" for c in cs)
    lines = [head]
    by_motif: dict[str, dict[float, Rule12Row]] = {}
    for r in bad:
        by_motif.setdefault(r.motif, {})[r.C] = r
    for motif, at in by_motif.items():
        first = next(iter(at.values()))
        cells = "".join(
            f"  {at[c].rule12:>9.6f} / {at[c].paper_gap:.6f} ({at[c].exact_gap:.6f})" if c in at
            else " " * 40 for c in cs)
        lines.append(f"{motif:<10} {first.n_paths:>2}{cells}")
    lines.append(f"{len(by_motif)} motifs where (12) fails as an upper bound on lambda_min (N = 2)")
    return "\n".join(lines)
