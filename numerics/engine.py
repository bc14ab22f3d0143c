"""Executes a motif's :class:`~dagnngp.theory.program.Program` on whole arrays.

One executor serves NumPy (the reference every faster backend is tested
against), any array-API library (CuPy on a GPU, array-api-strict in the
tests) and NumPy object arrays of mpmath numbers (under ``mpmath.workdps``).
It needs from the array library only ``+``, ``*``, ``@``, ``.T`` and ``stack``;
the activation's maps come in as two callables.

A register is dropped as soon as no later instruction reads it, unless the
caller asked to keep it, so the working set stays a few N x N arrays.

>>> import numpy as np
>>> from dagnngp.numerics.activations import get_activation
>>> from dagnngp.theory.program import compile_program
>>> act = get_activation("relu")
>>> p = compile_program("2_21_112", "paper")
>>> pairs, _ = run_program(p, np.array([[1.0, 0.5], [0.5, 1.0]]), np.zeros(2), act.dual, act.mean)
>>> round(float(pairs[p.output][0, 1]), 5)
2.47681
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from dagnngp.theory.program import Comb, Dual, Mean, Program, Tangent

__all__ = ["last_uses", "run_program"]


def last_uses(program: Program) -> tuple[dict[int, int], dict[int, int]]:
    """For each pair / vec register, the index of the last instruction that reads it."""
    pair_last: dict[int, int] = {}
    vec_last: dict[int, int] = {}
    for k, ins in enumerate(program.instructions):
        if isinstance(ins, Dual | Mean):
            pair_last[ins.src] = k
        elif isinstance(ins, Tangent):
            pair_last[ins.src] = k
            if ins.ntk >= 0:
                pair_last[ins.ntk] = k
        elif isinstance(ins, Comb):
            for _, r in ins.pairs:
                pair_last[r] = k
            for _, a, b in ins.outers:
                vec_last[a] = k
                vec_last[b] = k
        else:
            for _, r in ins.terms:
                vec_last[r] = k
    return pair_last, vec_last


def _comb(ins: Comb, pairs: dict, vecs: dict, like: Any, xp: Any) -> Any:
    acc = None
    for coef, r in ins.pairs:
        term = pairs[r] if coef == 1 else coef * pairs[r]
        acc = term + 0 if acc is None else acc + term  # "+ 0": never alias a register
    if ins.outers:
        U = xp.stack([vecs[a] if c == 1 else c * vecs[a] for c, a, _ in ins.outers], axis=1)
        V = xp.stack([vecs[b] for _, _, b in ins.outers], axis=1)
        low = U @ V.T
        acc = low if acc is None else acc + low
    if acc is None:
        acc = like * 0
    return acc


def _comb_gap(ins: Comb, gaps: dict, vecs: dict, like: Any, xp: Any) -> Any:
    """A ``Comb``'s gap ``(P_ii + P_jj)/2 - P_ij``: linear in its terms' gaps, outer terms formed directly."""
    acc = None
    for coef, r in ins.pairs:
        term = gaps[r] if coef == 1 else coef * gaps[r]
        acc = term + 0 if acc is None else acc + term
    for coef, a, b in ins.outers:
        va, vb = vecs[a], vecs[b]
        # (a_i b_i + a_j b_j)/2 - a_i b_j = (a_i (b_i - b_j) + b_j (a_j - a_i)) / 2
        term = (0.5 * coef) * (va[:, None] * (vb[:, None] - vb[None, :])
                               + vb[None, :] * (va[None, :] - va[:, None]))
        acc = term if acc is None else acc + term
    return like * 0 if acc is None else acc


def run_program(
    program: Program,
    K0: Any,
    mu0: Any,
    dual: Callable[[Any], Any],
    mean: Callable[[Any], Any],
    *,
    tangent: Callable[[Any, Any], Any] | None = None,
    xp: Any = None,
    keep_pairs: Iterable[int] = (),
    keep_vecs: Iterable[int] = (),
    gaps: tuple[Any, Callable, Callable] | None = None,
) -> tuple[dict[int, Any], dict[int, Any]]:
    """Run ``program`` from ``(K0, mu0)``; returns the kept ``(pair, vec)`` registers.

    ``dual(K)`` maps a source Gram to its linear edge's output Gram and
    ``mean(K)`` to the edge's means (both include ``c_sigma`` and ``sigma_b``, in
    the program's edge convention); ``tangent(K, Theta)`` is a ``Tangent``
    instruction's map (``Theta`` is ``None`` for a zero NTK), needed only by
    programs with the NTK.  The output Gram, the output mean and the output NTK
    are always kept; ``keep_pairs`` / ``keep_vecs`` name more.  ``xp`` is the
    array namespace (default NumPy).

    ``gaps = (E0, dual_gap, tangent_gap)`` carries every pair register's gap
    ``E_ij = (P_ii + P_jj)/2 - P_ij`` beside it, from the input's ``E0``:
    ``dual_gap(K, E)`` returns ``(dual(K), its gap)`` and ``tangent_gap((K, E), (Theta,
    E_Theta) or None)`` likewise; sums combine gaps linearly.  The maps then read
    ``1 - C`` from the gaps, which keeps its digits as ``C -> 1`` where ``1 - K_ij /
    sqrt(K_ii K_jj)`` does not (the NTK's derivative map needs it).
    """
    if xp is None:
        import numpy as xp
    keep_p = set(keep_pairs) | {program.output}
    if program.ntk_output is not None:
        keep_p.add(program.ntk_output)
    keep_v = set(keep_vecs)
    if program.node_mean[-1] is not None:
        keep_v.add(program.node_mean[-1])
    pair_last, vec_last = last_uses(program)
    pairs: dict[int, Any] = {0: K0}
    vecs: dict[int, Any] = {0: mu0}
    gap: dict[int, Any] = {}
    if gaps is not None:
        gap[0], dual_gap, tangent_gap = gaps
    for k, ins in enumerate(program.instructions):
        if isinstance(ins, Dual):
            if gaps is None:
                pairs[ins.out] = dual(pairs[ins.src])
            else:
                pairs[ins.out], gap[ins.out] = dual_gap(pairs[ins.src], gap[ins.src])
        elif isinstance(ins, Mean):
            vecs[ins.out] = mean(pairs[ins.src])
        elif isinstance(ins, Tangent):
            if gaps is not None:
                theta = None if ins.ntk < 0 else (pairs[ins.ntk], gap[ins.ntk])
                pairs[ins.out], gap[ins.out] = tangent_gap((pairs[ins.src], gap[ins.src]), theta)
            elif tangent is None:
                raise ValueError("this program carries the NTK: run_program needs tangent=")
            else:
                pairs[ins.out] = tangent(pairs[ins.src], None if ins.ntk < 0 else pairs[ins.ntk])
        elif isinstance(ins, Comb):
            pairs[ins.out] = _comb(ins, pairs, vecs, K0, xp)
            if gaps is not None:
                gap[ins.out] = _comb_gap(ins, gap, vecs, K0, xp)
        else:
            acc = None
            for coef, r in ins.terms:
                term = vecs[r] if coef == 1 else coef * vecs[r]
                acc = term + 0 if acc is None else acc + term
            vecs[ins.out] = mu0 * 0 if acc is None else acc
        for r in [r for r in pairs if r not in keep_p and pair_last.get(r, -1) <= k]:
            del pairs[r]
            gap.pop(r, None)
        for r in [r for r in vecs if r not in keep_v and vec_last.get(r, -1) <= k]:
            del vecs[r]
    return pairs, vecs
