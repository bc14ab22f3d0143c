"""Benchmark: the fused Numba kernel against a straightforward NumPy recursion and the arccos floor.

Run:  python benchmarks/bench_kernel.py [--n 4096] [--repeats 5]

For each motif (exact model, float64, N unit-norm centred inputs) it prints

* ``numpy``: a straightforward NumPy implementation of the same recursion, the
  paper's ``h(C) = (sqrt(1 - C^2) + (pi - arccos C) C) / pi`` applied to the
  normalised Gram one linear edge at a time (with the exact model's cross terms);
* ``numba``: ``dagnngp.numerics.numba_program.nngp_fused`` (fresh output array each call),
  and ``nngp(...)`` end to end (input validation included);
* ``floor``: the time of one vectorised ``np.arccos`` over the N^2 entries, times
  the number of distinct source nodes of linear edges, divided by the cores used;

and the ratios, all measured in this one process (best of ``--repeats``).  It
also reports the first-call compile time (or cache load time) in a fresh
subprocess, twice: the second subprocess must load the kernel from the cache.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

from dagnngp.motif import Motif, Op
from dagnngp.numerics import nngp

MOTIFS = {
    "DAG#3 2_21_112": "2_21_112",
    "dense 7-node, mixed 2_12_121_2112_21112_121212": "2_12_121_2112_21112_121212",
    "dense 7-node, all linear 2_22_222_2222_22222_222222": "2_22_222_2222_22222_222222",
}


def naive_dual(K: np.ndarray) -> np.ndarray:
    d = np.diagonal(K).copy()
    scale = np.sqrt(np.outer(d, d))
    C = np.clip(K / scale, -1.0, 1.0)
    out = scale * (np.sqrt(1.0 - C * C) + (np.pi - np.arccos(C)) * C) / np.pi
    np.fill_diagonal(out, d)
    return out


def straightforward_exact(m: Motif, K0: np.ndarray, mu0: np.ndarray) -> np.ndarray:
    """The exact recursion with whole-matrix NumPy operations, one dual map per linear edge."""
    K, mu, cache = [K0], [mu0], {}

    def a(s):
        return np.sqrt(np.diagonal(K[s]) / np.pi)

    def cross(t, u):
        if t == u:
            return K[t]
        if t < u:
            return cross(u, t).T
        if (t, u) not in cache:
            acc = np.zeros_like(K0)
            for s in m.sources(t, Op.LINEAR):
                acc += np.outer(a(s), mu[u])
            for s in m.sources(t, Op.SKIP):
                acc += cross(s, u)
            cache[(t, u)] = acc
        return cache[(t, u)]

    for t in range(1, m.n_nodes):
        lin, skip = m.sources(t, Op.LINEAR), m.sources(t, Op.SKIP)
        acc = np.zeros_like(K0)
        for s in lin:
            acc += naive_dual(K[s])
            for s2 in lin:
                if s2 != s:
                    acc += np.outer(a(s), a(s2))
            for s2 in skip:
                acc += np.outer(a(s), mu[s2]) + np.outer(mu[s2], a(s))
        for s in skip:
            for s2 in skip:
                acc += cross(s, s2)
        K.append(acc)
        mu.append(sum((a(s) for s in lin), np.zeros_like(mu0))
                  + sum((mu[s] for s in skip), np.zeros_like(mu0)))
    return K[-1]


def best_of(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def compile_probe(cache_dir: str) -> float:
    """Seconds to import and run the kernel once in a fresh process using ``cache_dir``."""
    code = (
        "import time, numpy as np\n"
        "t = time.perf_counter()\n"
        "from dagnngp.numerics.numba_program import nngp_fused\n"
        "from dagnngp.motif import Motif\n"
        "nngp_fused(Motif.parse('2_21_112'), np.eye(4), np.zeros(4))\n"
        "print(time.perf_counter() - t)\n"
    )
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    return float(out.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=4096)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--blocked-n", type=int, default=0, dest="blocked_n",
                        help="also run min_pair_gap_blocks on this many inputs (e.g. 50000)")
    parser.add_argument("--max-bytes", type=int, default=256 * 2**20, dest="max_bytes")
    args = parser.parse_args()

    from dagnngp.numerics.numba_program import nngp_fused, numba_threads

    cores = numba_threads()
    cpu = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name")),
               "unknown CPU")
    print(f"machine: {cpu}, {os.cpu_count()} logical CPUs; numba threads = {cores}; N = {args.n}, float64")
    with tempfile.TemporaryDirectory() as cache_dir:  # an empty cache: the first process compiles
        first, second = compile_probe(cache_dir), compile_probe(cache_dir)
    print(f"first call in a fresh process with an empty cache (import + compile): {first:.2f} s; "
          f"in a second process (import + load from the cache): {second:.2f} s")

    if args.blocked_n:  # first, so that the peak memory is this run's own
        blocked(args.blocked_n, args.max_bytes)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((args.n, 64))
    X -= X.mean(axis=1, keepdims=True)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    K0 = X @ X.T
    mu0 = np.zeros(args.n)
    C = np.clip(K0, -1, 1)
    t_arccos = best_of(lambda: np.arccos(C), args.repeats)
    print(f"one np.arccos over N^2 entries: {t_arccos:.3f} s")
    print()
    print(f"{'motif':<52} {'numpy':>8} {'numba':>8} {'nngp()':>8} {'floor':>8} "
          f"{'numpy/numba':>12} {'numba/floor':>12} {'max rel diff':>13}")
    for label, code in MOTIFS.items():
        m = Motif.parse(code)
        sources = {s for s, _, op in m.edges() if op is Op.LINEAR}
        floor = t_arccos * len(sources) / cores
        t_np = best_of(lambda m=m: straightforward_exact(m, K0, mu0), 1)
        t_nb = best_of(lambda m=m: nngp_fused(m, K0, mu0), args.repeats)
        t_api = best_of(lambda m=m: nngp(m, K0, mu0, check_psd=False), max(1, args.repeats // 2))
        ref = straightforward_exact(m, K0, mu0)
        got = nngp_fused(m, K0, mu0)[0]
        d = np.diagonal(ref)
        diff = float(np.max(np.abs(got - ref) / np.sqrt(np.outer(d, d))))
        print(f"{label:<52} {t_np:8.3f} {t_nb:8.3f} {t_api:8.3f} {floor:8.3f} "
              f"{t_np / t_nb:12.1f} {t_nb / floor:12.2f} {diff:13.2e}")


def blocked(n: int, max_bytes: int) -> None:
    """N inputs in bounded memory: the minimum 2x2 gap of DAG#3's exact kernel."""
    import resource

    from dagnngp.numerics.numba_blocks import min_pair_gap_blocks

    rng = np.random.default_rng(1)
    X = rng.standard_normal((n, 32))
    X -= X.mean(axis=1, keepdims=True)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10
    t = time.perf_counter()
    value, i, j = min_pair_gap_blocks("2_21_112", X, max_bytes=max_bytes)
    dt = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10
    print(f"blocked: N = {n}, DAG#3 exact, min 2x2 gap {value:.6g} at ({i}, {j}) in {dt:.1f} s; "
          f"max_bytes = {max_bytes / 2**20:.0f} MiB; process peak RSS {peak:.0f} MiB "
          f"(before: {before:.0f} MiB; an N x N float64 Gram would be {8 * n * n / 2**30:.1f} GiB)")


if __name__ == "__main__":
    main()
