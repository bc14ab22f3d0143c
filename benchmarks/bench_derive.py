"""Time ``dagnngp.theory.derivation`` on 6-node motifs (after one warm-up derivation).

Each motif is derived from scratch (the derivation cache is cleared before each
timing), with the general-input expressions included.  Prints the median and
worst time over a seeded sample, the densest 6-node motif (every edge linear)
and, for reference, the code-generation time of ``lambdify`` for the gap.

    python benchmarks/bench_derive.py [--n 200] [--seed 1]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import numpy as np


def sample_motifs(n: int, seed: int, n_nodes: int = 6) -> list[str]:
    rng = np.random.default_rng(seed)
    out: set[str] = set()
    while len(out) < n:
        digits = rng.integers(0, 3, size=n_nodes * (n_nodes - 1) // 2)
        groups, k = [], 0
        for t in range(1, n_nodes):
            groups.append("".join(str(int(x)) for x in digits[k:k + t]))
            k += t
        out.add("_".join(groups))
    return sorted(out)


def time_derive(motif: str, model: str, cold_sympy: bool = False) -> float:
    from sympy.core.cache import clear_cache

    from dagnngp.theory.derivation import _derive_cached, derive

    _derive_cached.cache_clear()
    if cold_sympy:
        clear_cache()
    t0 = time.perf_counter()
    derive(motif, model=model)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="number of sampled 6-node motifs")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    t0 = time.perf_counter()
    import sympy  # noqa: F401

    from dagnngp.theory import derive

    derive("2_21_112", model="exact")  # warm-up: imports, SymPy caches
    print(f"machine: {platform.machine()} {platform.processor() or ''}, python {platform.python_version()}")
    print(f"warm-up (imports + first derivation): {time.perf_counter() - t0:.2f} s")
    motifs = sample_motifs(args.n, args.seed)
    densest = "2_22_222_2222_22222"
    for model in ("exact", "paper"):
        for cold in (False, True):
            times = [time_derive(m, model, cold) for m in motifs]
            worst = max(range(len(times)), key=times.__getitem__)
            dense = max(time_derive(densest, model, cold) for _ in range(3))
            label = "cold SymPy cache" if cold else "warm SymPy cache"
            print(f"[{model}, {label}] {len(motifs)} six-node motifs: "
                  f"median {statistics.median(times) * 1e3:.1f} ms, "
                  f"worst {times[worst] * 1e3:.1f} ms ({motifs[worst]}); "
                  f"densest {densest}: {dense * 1e3:.1f} ms; worst / 1 s budget = {times[worst]:.3f}")
    from dagnngp.theory.derivation import _derive_cached

    _derive_cached.cache_clear()
    d = derive(densest, model="exact")
    t1 = time.perf_counter()
    from dagnngp.numerics import lambdify

    lambdify(d, ("diagonal", "offdiagonal", "gap"), "numpy")
    t2 = time.perf_counter()
    print(f"lambdify (numpy, 3 quantities, CSE + printing) of the densest exact derivation: "
          f"{(t2 - t1) * 1e3:.1f} ms")
    t1 = time.perf_counter()
    s = d.series(2)
    print(f"series(2) of the densest exact derivation: {time.perf_counter() - t1:.2f} s, "
          f"leading term {s.leading}")


if __name__ == "__main__":
    main()
