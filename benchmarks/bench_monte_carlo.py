"""Speed of the gram sampler against the explicit one (materialised W), measured in one run.

Usage: python benchmarks/bench_monte_carlo.py [--width 4096] [--inputs 8] [--draws 5]

Both samplers run the same motif (DAG#3, three linear edges) for the same
number of draws; the ratio of their wall times is printed.
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np

from dagnngp.numerics.sampling import monte_carlo


def best_time(sampler: str, X: np.ndarray, width: int, draws: int, repeats: int) -> float:
    times = []
    for r in range(repeats):
        start = time.perf_counter()
        monte_carlo("2_21_112", X, width, draws, seed=r, sampler=sampler, progress=False)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=4096)
    parser.add_argument("--inputs", type=int, default=8)
    parser.add_argument("--draws", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    X = rng.standard_normal((args.inputs, 16))
    X -= X.mean(axis=1, keepdims=True)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    monte_carlo("2_21_112", X, 64, 2, seed=0, progress=False)  # warm-up
    gram = best_time("gram", X, args.width, args.draws, repeats=5)
    explicit = best_time("explicit", X, args.width, args.draws, repeats=2)
    print(f"machine: {platform.machine()} {platform.processor() or ''}, numpy {np.__version__}")
    print(f"motif 2_21_112 (3 linear edges), width {args.width}, N = {args.inputs}, {args.draws} draws")
    print(f"gram sampler:     {gram * 1e3:9.2f} ms  ({gram / args.draws * 1e3:.2f} ms per draw)")
    print(f"explicit sampler: {explicit * 1e3:9.2f} ms  ({explicit / args.draws * 1e3:.2f} ms per draw)")
    print(f"speed ratio explicit / gram: {explicit / gram:.0f}x")


if __name__ == "__main__":
    main()
