"""Benchmark: the compiled sweep over all 3^10 = 59,049 five-node motifs against per-motif Python loops.

Run:  python benchmarks/bench_sweep.py [--nodes 5] [--n-c 64] [--sample 300]

* ``sweep``: ``dagnngp.numerics.motif_sweep(5, C, model)`` at ``--n-c`` correlations:
  2x2 gap, rule (12), P, d_p histogram, (d_bar, m_bar) of every motif.
* ``loop, paths + rule (12)``: what the paper's code does per motif: enumerate
  the input-output paths by depth-first search, count linear ops on each, form
  P, d_bar, m_bar and rule (12) at the same correlations (NumPy over C).
  Run over every motif.
* ``loop, + 2x2 gap``: the same loop also evaluating the output kernel with the
  NumPy reference ``nngp`` at each C and taking its 2x2 least eigenvalue (the
  quantity the sweep returns).  Timed on ``--sample`` random motifs and scaled
  to the whole space (stated in the output).

Ratios are measured in this one process; the first (compiling or cache-loading)
sweep call is timed separately.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from dagnngp.motif import Op
from dagnngp.numerics import nngp, pair_gap, pair_gram
from dagnngp.numerics.dual import relu_gap_from_distance
from dagnngp.numerics.motif_sweep import all_motifs, decode_motif, sweep


def dfs_paths(m) -> list[int]:
    """d_p of every input-output path, by depth-first search over edges (as the paper's code)."""
    out: list[int] = []

    def visit(node: int, depth: int) -> None:
        if node == m.output:
            out.append(depth)
            return
        for t in range(node + 1, m.n_nodes):
            op = m.ops[t - 1][node]
            if op is not Op.ZERO:
                visit(t, depth + (op is Op.LINEAR))

    visit(0, 0)
    return out


def loop_paths_rule12(codes: np.ndarray, Cs: np.ndarray) -> np.ndarray:
    rule = np.empty((len(codes), len(Cs)))
    for k, row in enumerate(codes):
        m = decode_motif(row)
        d_p = dfs_paths(m)
        P = len(d_p)
        d_bar = sum(d_p) / P if P else 0.0
        _ = (sum(1 for d in d_p if d > 0) / d_bar) if d_bar else 0.0
        total = np.zeros_like(Cs)
        for d in d_p:
            g = 1.0 - Cs
            for _ in range(d):
                g = relu_gap_from_distance(g)
            total += g
        rule[k] = total
    return rule


def loop_with_gap(codes: np.ndarray, Cs: np.ndarray, model: str) -> np.ndarray:
    gaps = np.empty((len(codes), len(Cs)))
    for k, row in enumerate(codes):
        m = decode_motif(row)
        dfs_paths(m)
        for c, C in enumerate(Cs):
            K0, mu0 = pair_gram(C)
            gaps[k, c] = pair_gap(nngp(m, K0, mu0, model=model, backend="numpy").output, 0, 1)
    return gaps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=5)
    parser.add_argument("--n-c", type=int, default=64, dest="n_c")
    parser.add_argument("--sample", type=int, default=300)
    parser.add_argument("--model", default="exact", choices=("exact", "paper"))
    args = parser.parse_args()

    Cs = np.linspace(-0.99, 0.99, args.n_c)
    codes = all_motifs(args.nodes)
    M = len(codes)
    t = time.perf_counter()
    sweep(codes[:2], Cs[:1], model=args.model)
    t_first = time.perf_counter() - t
    times = []
    for _ in range(3):
        t = time.perf_counter()
        res = sweep(codes, Cs, model=args.model)
        times.append(time.perf_counter() - t)
    t_sweep = min(times)

    t = time.perf_counter()
    rule = loop_paths_rule12(codes, Cs)
    t_loop = time.perf_counter() - t
    assert np.allclose(rule, res.rule12, rtol=1e-12, atol=0)

    rng = np.random.default_rng(0)
    idx = rng.choice(M, size=min(args.sample, M), replace=False)
    t = time.perf_counter()
    gaps = loop_with_gap(codes[idx], Cs, args.model)
    t_gap_sample = time.perf_counter() - t
    t_gap = t_gap_sample * M / len(idx)
    scale = np.maximum(res.diagonal[idx], 1e-300)
    worst = float(np.max(np.abs(gaps - res.gap[idx]) / scale))

    print(f"{M} motifs with {args.nodes} nodes x {args.n_c} correlations, {args.model} model")
    print(f"first sweep call (compile or cache load): {t_first:.2f} s")
    print(f"{'method':<46} {'seconds':>10} {'loop/sweep':>11}")
    print(f"{'sweep (gap, rule 12, P, d_p, d_bar, m_bar)':<46} {t_sweep:10.3f} {1.0:11.1f}")
    print(f"{'loop: DFS paths + rule (12)':<46} {t_loop:10.3f} {t_loop / t_sweep:11.1f}")
    print(f"{'loop: + reference nngp 2x2 gap (scaled)':<46} {t_gap:10.1f} {t_gap / t_sweep:11.0f}"
          f"   ({len(idx)} motifs timed: {t_gap_sample:.1f} s; max |gap diff| / K_ii = {worst:.1e})")


if __name__ == "__main__":
    main()
