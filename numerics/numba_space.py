"""The block kernel of motif-space runs: one shared prefix, every set of edges into the output.

Motifs whose indices differ only in the last ``n - 1`` base-3 digits share every edge except
those into the output node, so the recursion up to node ``H - 1`` (Grams, means, differences
``E`` and the dual-map terms of :mod:`dagnngp.numerics.numba_sweep`) is computed once per block
of ``3^(n-1)`` motifs, and each motif of the block adds only its output node: a sum over the
output's incoming edges (and, in the exact model, over pairs of skip edges).  The output node's
terms are those of :func:`dagnngp.numerics.numba_sweep._pair_recursion` written out for one
node; ``tests/test_space_kernels.py`` checks every column against
:func:`dagnngp.numerics.motif_sweep.sweep` on whole 4- and 5-node spaces and drawn 6-node motifs.

This module imports Numba at the top; :mod:`dagnngp.numerics.space_kernels` loads it on first use.

>>> out = block_kernel(4, 0, 1, np.array([0.5]), False, 1.0, 0.0)
>>> out["gap"].shape, round(float(out["gap"][0, 26]), 5)   # 0_00_222: 1 - h(0.5)
((1, 27), 0.391)
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from dagnngp.numerics.numba_dual import NUMBA_FLAGS, relu_diag
from dagnngp.numerics.numba_sweep import _depth_gaps, _pair_recursion

__all__ = ["block_kernel"]

ZERO, SKIP, LINEAR = 0, 1, 2


@njit(parallel=True, **NUMBA_FLAGS)
def _blocks(n, first_block, n_blocks, Cs, exact, pre, half_c, sb2, gap, off, diag, mean, rule, n_paths,
            depth_sum, paths0):
    H = n - 1
    n_c = Cs.shape[0]
    block = 3 ** H
    n_prefix = (n * (n - 1)) // 2 - H  # edges not into the output
    max_d = H + 1
    gd_table = _depth_gaps(Cs, max_d)
    for b in prange(n_blocks):
        p = first_block + b
        ops = np.zeros((n, n), dtype=np.int8)
        rem = p
        for t in range(H - 1, 0, -1):  # the prefix's last digit is edge (t-1, t) of the last prefix row
            for s in range(t - 1, -1, -1):
                ops[t, s] = rem % 3
                rem //= 3
        for s in range(H):
            ops[H, s] = LINEAR  # so that the dual-map terms of every node are computed
        Gd = np.empty((n, n))
        E = np.empty((n, n, n_c))
        gv = np.empty((n, n_c))
        mu = np.empty(n)
        am = np.empty(n)
        _pair_recursion(ops, exact, pre, half_c, sb2, Cs, Gd, E, mu, am, gv)
        rd = np.empty(H)
        for s in range(H):  # pre-activation edges add sigma_b^2 after the dual map
            rd[s] = relu_diag(Gd[s, s], half_c, 0.0) + sb2 if pre else relu_diag(Gd[s, s], half_c, sb2)
        cnt = np.zeros((n, max_d), dtype=np.int64)
        cnt[0, 0] = 1
        for t in range(1, H):
            for s in range(t):
                if ops[t, s] == SKIP:
                    for d in range(max_d):
                        cnt[t, d] += cnt[s, d]
                elif ops[t, s] == LINEAR:
                    for d in range(max_d - 1):
                        cnt[t, d + 1] += cnt[s, d]
        last = np.empty(H, dtype=np.int64)
        Eacc = np.empty(n_c)
        ch = np.empty(max_d, dtype=np.int64)
        for j in range(block):
            r = b * block + j
            rem = j
            for s in range(H - 1, -1, -1):
                last[s] = rem % 3
                rem //= 3
            a_sum = 0.0
            m_sum = 0.0
            sq = 0.0
            n_lin = 0
            gd = 0.0
            for c in range(n_c):
                Eacc[c] = 0.0
            for d in range(max_d):
                ch[d] = 0
            for s in range(H):
                op = last[s]
                if op == LINEAR:
                    a_sum += am[s]
                    sq += am[s] * am[s]
                    n_lin += 1
                    gd += rd[s]
                    for c in range(n_c):
                        Eacc[c] += gv[s, c]
                    for d in range(max_d - 1):
                        ch[d + 1] += cnt[s, d]
                elif op == SKIP:
                    m_sum += mu[s]
                    gd += Gd[s, s]
                    for c in range(n_c):
                        Eacc[c] += E[s, s, c]
                    if exact:
                        for s2 in range(s):
                            if last[s2] == SKIP:
                                gd += 2.0 * Gd[s, s2]
                                for c in range(n_c):
                                    Eacc[c] += 2.0 * E[s, s2, c]
                    for d in range(max_d):
                        ch[d] += cnt[s, d]
            if exact:
                gd += 2.0 * a_sum * m_sum
                if n_lin > 1:
                    gd += a_sum * a_sum - sq
                mean[r] = a_sum + m_sum
            else:
                mean[r] = 0.0
            diag[r] = gd
            for c in range(n_c):
                X = gd - Eacc[c]
                off[c, r] = X
                gap[c, r] = Eacc[c] if X >= 0.0 else 2.0 * gd - Eacc[c]
                rule[c, r] = 0.0
            tot = 0
            dsum = 0
            for d in range(max_d):
                w = ch[d]
                if w != 0:
                    tot += w
                    dsum += d * w
                    for c in range(n_c):
                        rule[c, r] += w * gd_table[d, c]
            n_paths[r] = tot
            depth_sum[r] = dsum
            paths0[r] = ch[0]
    return n_prefix


def block_kernel(n_nodes: int, first_block: int, n_blocks: int, Cs: np.ndarray, exact: bool,
                 half_c: float, sb2: float, pre: bool = False) -> dict[str, np.ndarray]:
    """Columns of the ``n_blocks * 3^(n-1)`` motifs from index ``first_block * 3^(n-1)`` on.

    ``gap``, ``offdiagonal``, ``rule12``: ``(K, M)`` (one contiguous row per correlation);
    ``diagonal``, ``output_mean``, ``n_paths``, ``depth_sum`` (sum of the paths' depths),
    ``paths0`` (paths with no linear edge): ``(M,)``.
    Inputs are validated by :mod:`dagnngp.numerics.space_kernels`.
    """
    m = n_blocks * 3 ** (n_nodes - 1)
    n_c = Cs.shape[0]
    out = {"gap": np.empty((n_c, m)), "offdiagonal": np.empty((n_c, m)), "rule12": np.empty((n_c, m)),
           "diagonal": np.empty(m), "output_mean": np.empty(m), "n_paths": np.empty(m, dtype=np.int64),
           "depth_sum": np.empty(m, dtype=np.int64), "paths0": np.empty(m, dtype=np.int64)}
    _blocks(int(n_nodes), int(first_block), int(n_blocks), np.ascontiguousarray(Cs, dtype=np.float64),
            bool(exact), bool(pre), float(half_c), float(sb2), out["gap"], out["offdiagonal"],
            out["diagonal"], out["output_mean"], out["rule12"], out["n_paths"], out["depth_sum"],
            out["paths0"])
    return out
