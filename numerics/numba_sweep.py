"""The all-motif sweep kernel: the 2x2 recursion of two unit-norm inputs, for millions of motifs.

This is the one place besides :mod:`dagnngp.theory.program` that encodes the
node recursion (which Grams, means and cross-Grams a node sums), and it does
so on purpose: :func:`dagnngp.numerics.motif_sweep` evaluates complete motif spaces
(3^21, about 10 million, for 7 nodes; 14 million motifs in the NAS studies), far
too many to compile each into a :class:`~dagnngp.theory.program.Program` in
Python.  So this kernel interprets the integer-coded motifs directly
(``ops[t, s]``: 0 zero, 1 skip, 2 linear) inside one parallel loop, and carries
the differences ``E = diagonal - off-diagonal`` instead of the Grams so that the
gap keeps its relative accuracy as ``C -> 1`` (see :func:`_pair_recursion`).
Because it is a second copy, ``tests/test_sweep.py`` and
``tests/test_theory_sweep.py`` check it against the engine's executor (the
NumPy reference) and the SymPy derivations on drawn motifs, both models,
``c_sigma`` and ``sigma_b``; a change to the edge semantics in
``theory/program.py`` must be mirrored here.

This module imports Numba at the top; :func:`dagnngp.numerics.motif_sweep` loads it on first use.

>>> codes = np.array([[2, 0, 2, 0, 0, 2]], dtype=np.int8)   # the chain 2_02_002
>>> out = sweep_kernel(codes, 4, np.array([0.5]), "paper", 2.0, 0.0)
>>> round(float(out["gap"][0, 0]), 5), out["depth_counts"][0].tolist()
(0.26187, [0, 0, 0, 1, 0, 0, 0])
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from dagnngp.motif import Op
from dagnngp.numerics.numba_dual import NUMBA_FLAGS, relu_diag, relu_gap_eps, relu_mean_scalar

__all__ = ["sweep_kernel"]

ZERO, SKIP, LINEAR = int(Op.ZERO), int(Op.SKIP), int(Op.LINEAR)


@njit(**NUMBA_FLAGS)
def _pair_recursion(ops, exact, pre, half_c, sb2, Cs, Gd, E, mu, am, gv):
    """2x2 recursion for two unit-norm centred inputs, vectorised over the correlations Cs.

    ``Gd[t, u]`` = <X_t,i, X_u,i> does not depend on C.  Only the differences
    ``E[t, u, c]`` = <X_t,i, X_u,i> - <X_t,i, X_u,j> do, and every term of the
    recursion is linear in the Grams except the dual map, whose contribution to
    ``E`` is ``c/2 p (1 - h(1 - E_s / p))`` with ``p`` the pre-activation
    diagonal; the mean cross terms are the same for both inputs and cancel.  So
    ``E`` is carried alone (the off-diagonal entry is ``Gd - E``) and the gap
    keeps its relative accuracy as C -> 1.

    ``pre``: pre-activation edges (``X_t += sqrt(c/m) W s(X_s) + b``): the bias variance is
    added after the dual map, and every mean is zero.
    """
    sb_in = 0.0 if pre else sb2  # sigma_b^2 inside the dual map (post) or added to its output (pre)
    sb_out = sb2 if pre else 0.0
    n = ops.shape[0]
    n_c = Cs.shape[0]
    Gd[0, 0] = 1.0
    for c in range(n_c):
        E[0, 0, c] = 1.0 - min(max(Cs[c], -1.0), 1.0)
    mu[0] = 0.0
    for t in range(n):
        if t > 0:
            a_sum = 0.0
            m_sum = 0.0
            n_lin = 0
            for s in range(t):
                if ops[t, s] == LINEAR:
                    a_sum += am[s]
                    n_lin += 1
                elif ops[t, s] == SKIP:
                    m_sum += mu[s]
            if exact:
                for u in range(t):
                    gd = a_sum * mu[u]
                    for c in range(n_c):
                        E[t, u, c] = 0.0
                    for s in range(t):
                        if ops[t, s] == SKIP:
                            gd += Gd[s, u]
                            for c in range(n_c):
                                E[t, u, c] += E[s, u, c]
                    Gd[t, u] = gd
                    Gd[u, t] = gd
                    for c in range(n_c):
                        E[u, t, c] = E[t, u, c]
            gd = 0.0
            if exact:  # mean cross terms
                gd = 2.0 * a_sum * m_sum
                if n_lin > 1:
                    gd += a_sum * a_sum
                    for s in range(t):
                        if ops[t, s] == LINEAR:
                            gd -= am[s] * am[s]
            for c in range(n_c):
                E[t, t, c] = 0.0
            for s in range(t):
                op = ops[t, s]
                if op == LINEAR:
                    gd += relu_diag(Gd[s, s], half_c, sb_in) + sb_out
                    for c in range(n_c):
                        E[t, t, c] += gv[s, c]
                elif op == SKIP:
                    gd += Gd[s, s]
                    for c in range(n_c):
                        E[t, t, c] += E[s, s, c]
                    if exact:
                        for s2 in range(t):
                            if s2 != s and ops[t, s2] == SKIP:
                                gd += Gd[s, s2]
                                for c in range(n_c):
                                    E[t, t, c] += E[s, s2, c]
            Gd[t, t] = gd
            mu[t] = a_sum + m_sum if exact else 0.0
        p = max(Gd[t, t] + sb_in, 0.0)
        am[t] = relu_mean_scalar(Gd[t, t], half_c, sb2) if (exact and not pre) else 0.0
        # the dual map's contribution to E at every C, if a linear edge leaves node t
        used = False
        for t2 in range(t + 1, n):
            if ops[t2, t] == LINEAR:
                used = True
        if used:
            inv_p = 1.0 / p if p > 0.0 else 0.0
            w = half_c * p
            for c in range(n_c):
                gv[t, c] = w * relu_gap_eps(E[t, t, c] * inv_p)


@njit(**NUMBA_FLAGS)
def _depth_gaps(Cs, max_d):
    """``table[d, c] = 1 - h^d(C_c)`` for every depth ``d < max_d``: rule (12)'s terms, motif-independent."""
    n_c = Cs.shape[0]
    table = np.empty((max_d, n_c))
    for c in range(n_c):
        g = 1.0 - min(max(Cs[c], -1.0), 1.0)
        for d in range(max_d):
            table[d, c] = g
            g = relu_gap_eps(g)
    return table


@njit(parallel=True, **NUMBA_FLAGS)
def _sweep(codes, n_nodes, Cs, exact, pre, half_c, sb2, gap, rule, diag, off, mean, counts):
    """One motif per task; ``diag`` and ``mean`` are (M,): they do not depend on C."""
    n_motifs = codes.shape[0]
    n_c = Cs.shape[0]
    max_d = counts.shape[1]
    # rule (12) needs 1 - h^d(C) for every depth d; the same for every motif
    gd_table = _depth_gaps(Cs, max_d)
    H = n_nodes - 1
    for k in prange(n_motifs):
        ops = np.zeros((n_nodes, n_nodes), dtype=np.int8)
        idx = 0
        for t in range(1, n_nodes):
            for s in range(t):
                ops[t, s] = codes[k, idx]
                idx += 1
        # number of paths 0 -> t with d linear edges
        cnt = np.zeros((n_nodes, max_d), dtype=np.int64)
        cnt[0, 0] = 1
        for t in range(1, n_nodes):
            for s in range(t):
                op = ops[t, s]
                if op == SKIP:
                    for d in range(max_d):
                        cnt[t, d] += cnt[s, d]
                elif op == LINEAR:
                    for d in range(max_d - 1):
                        cnt[t, d + 1] += cnt[s, d]
        for d in range(max_d):
            counts[k, d] = cnt[H, d]
        Gd = np.empty((n_nodes, n_nodes))
        E = np.empty((n_nodes, n_nodes, n_c))
        gv = np.empty((n_nodes, n_c))
        mu = np.empty(n_nodes)
        am = np.empty(n_nodes)
        _pair_recursion(ops, exact, pre, half_c, sb2, Cs, Gd, E, mu, am, gv)
        D = Gd[H, H]
        diag[k] = D
        mean[k] = mu[H]
        for c in range(n_c):
            X = D - E[H, H, c]
            off[k, c] = X
            gap[k, c] = E[H, H, c] if X >= 0.0 else 2.0 * D - E[H, H, c]
            rule[k, c] = 0.0
        for d in range(max_d):
            w = cnt[H, d]
            if w != 0:
                for c in range(n_c):
                    rule[k, c] += w * gd_table[d, c]


def sweep_kernel(codes: np.ndarray, n_nodes: int, Cs: np.ndarray, model: str, c_sigma: float,
                 sigma_b: float, edge: str = "post") -> dict[str, np.ndarray]:
    """Arrays of the compiled motif sweep (inputs validated by :func:`dagnngp.numerics.motif_sweep`)."""
    m, n_c = codes.shape[0], Cs.shape[0]
    n_edges = n_nodes * (n_nodes - 1) // 2
    out = {name: np.empty((m, n_c)) for name in ("gap", "rule12", "offdiagonal")}
    # two unit-norm inputs: the output diagonal and mean do not depend on C
    out["diagonal"] = np.empty(m)
    out["output_mean"] = np.empty(m)
    counts = np.zeros((m, n_edges + 1), dtype=np.int64)
    _sweep(np.ascontiguousarray(codes, dtype=np.int8), int(n_nodes),
           np.ascontiguousarray(Cs, dtype=np.float64), model == "exact", edge == "pre", 0.5 * float(c_sigma),
           float(sigma_b) ** 2, out["gap"], out["rule12"], out["diagonal"], out["offdiagonal"],
           out["output_mean"], counts)
    out["depth_counts"] = counts
    for name in ("diagonal", "output_mean"):
        out[name] = np.broadcast_to(out[name][:, None], (m, n_c))  # read-only (M, K) view
    return out
