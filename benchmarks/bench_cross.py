"""Benchmark: the cross-kernel K(X_test, X_train) by the rectangular Numba kernel against the alternatives.

Run:  python benchmarks/bench_cross.py [--train 4000] [--test 1000] [--repeats 5]

For each motif and kernel (exact model, ReLU NNGP and NTK, float64, non-centred
Gaussian inputs) it prints the wall time of

* ``rectangle``: ``cross_kernel(motif, X_test, X_train)`` on the Numba backend
  (the kernel runs on the M x N rectangle only, pre-pass on the joint set);
* ``joint``: ``nngp`` / ``ntk`` (Numba backend) on the whole joint set ``[X_test; X_train]``,
  then the block sliced out: (M + N)^2 entries where M x N are needed;
* ``blocks``: the generic joint-subset path that every other kernel takes
  (``backend="numpy"``, the default memory cap);

best of ``--repeats`` runs, the contenders alternating in each round, and the
ratios to ``rectangle``, all measured in this one process.  It also checks that
the three agree to 1e-12 (relative to the largest entry).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from dagnngp.numerics import inputs_to_gram, nngp, ntk
from dagnngp.numerics.cross import cross_kernel

MOTIFS = {"DAG#3": "2_21_112", "dense 5-node mixed": "2_12_121_2112"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train", type=int, default=4000)
    ap.add_argument("--test", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--no-blocks", action="store_true", help="skip the (slow) generic NumPy path")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    Xtr = rng.normal(size=(args.train, 8)) + 0.3
    Xte = rng.normal(size=(args.test, 8)) + 0.3
    n, m = args.train, args.test
    print(f"K(X_test, X_train): M = {m} test, N = {n} training inputs, d = 8, float64")
    for (label, motif), kind in [(item, kind) for kind in ("nngp", "ntk") for item in MOTIFS.items()]:
        def rectangle(motif=motif, kind=kind):
            return cross_kernel(motif, Xte, Xtr, kind=kind, backend="numba")

        def joint(motif=motif, kind=kind):
            K0, mu0 = inputs_to_gram(np.vstack([Xte, Xtr]))
            if kind == "ntk":
                return ntk(motif, K0, mu0, backend="numba").ntk[:m, m:]
            return nngp(motif, K0, mu0, backend="numba").output[:m, m:]

        def blocks(motif=motif, kind=kind):
            return cross_kernel(motif, Xte, Xtr, kind=kind, backend="numpy")

        contenders = {"rectangle": rectangle, "joint": joint}
        if not args.no_blocks:
            contenders["blocks"] = blocks
        results = {name: f() for name, f in contenders.items()}  # warm-up (compile or cache load)
        ref = results["rectangle"]
        for name, K in results.items():
            err = float(np.max(np.abs(K - ref)) / np.max(np.abs(ref)))
            assert err < 1e-12, (name, err)
        best = {name: np.inf for name in contenders}
        for _ in range(args.repeats):
            for name, f in contenders.items():
                t0 = time.perf_counter()
                f()
                best[name] = min(best[name], time.perf_counter() - t0)
        parts = [f"{name} {best[name]:.3f} s ({best[name] / best['rectangle']:.1f}x)" for name in contenders]
        print(f"{label:<20} {motif:<14} {kind:<5} " + ", ".join(parts))

if __name__ == "__main__":
    main()
