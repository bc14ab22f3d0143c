"""Fuzz the numeric entry points with adversarial Gram matrices and print totals by outcome.

Every call must end in one of two ways: a finite result, or a ``ValueError``
(the toolkit's documented error type, which includes ``MotifError``) whose
message is one line.  Anything else (another exception, a result holding
NaN or inf, a call that outlives its time budget) is counted as a failure.
The inputs: random PSD Grams of 1-9 inputs at scales 1e-300 .. 1e300 and
subnormal, rank-deficient, duplicate and antipodal inputs, non-zero means, and
broken ones (NaN, inf, asymmetric, negative diagonal, indefinite, integer,
bool and complex dtypes, wrong shapes), through every backend of ``nngp``,
the dual maps, the bounds and ``inputs_to_gram``.  Where a result is
returned for a scaled Gram, it must equal the scaled result of the unscaled
Gram (ReLU kernels are positively homogeneous), so "finite" also means "right".

Run ``python benchmarks/fuzz_numeric.py --grams 1000`` for the long run; the
test suite runs a short one (``tests/test_numeric_fuzz.py``).
"""

from __future__ import annotations

import argparse
import math
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

MOTIFS = ("2", "2_21_112", "1_01_222", "2_22_222_2222", "1_11_111", "2_02_002", "0_11")
SCALES = (1e-300, 1e-200, 1e-160, 1e-100, 1e-20, 1.0, 1e20, 1e100, 1e155, 1e200, 1e300)


def _psd(rng: np.random.Generator, n: int, rank: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    d = rank if rank is not None else int(rng.integers(1, 6))
    X = rng.standard_normal((n, d)) * rng.choice([1.0, 0.1, 10.0], size=(n, 1))
    if rng.random() < 0.3 and n > 1:
        X[-1] = X[0] * (-1.0 if rng.random() < 0.5 else 1.0)  # duplicate or antipodal input
    K = X @ X.T
    mu = X.sum(axis=1) / math.sqrt(max(d, 1)) * (rng.random() < 0.5)
    return K, mu


def adversarial_grams(seed: int, count: int) -> Iterator[tuple[str, Any, Any, float | None]]:
    """Yield ``(kind, K, mu, scale)``; ``scale`` is set where ``K`` is a scaled valid Gram."""
    rng = np.random.default_rng(seed)
    broken: list[Callable[[np.ndarray], Any]] = [
        lambda K: np.where(np.eye(len(K)) > 0, np.nan, K),
        lambda K: K + np.inf,
        lambda K: K + np.triu(np.ones_like(K), 1),
        lambda K: -K,
        lambda K: K - 2 * np.trace(K) * np.eye(len(K)) / len(K),
        lambda K: np.rint(K).astype(np.int64),
        lambda K: K > 0,
        lambda K: K.astype(np.complex128) * 1j,
        lambda K: K[:, :-1] if len(K) > 1 else K[:0],
        lambda K: K.tolist(),
        lambda K: np.full_like(K, 5e-324),
        lambda K: K.astype(object),
    ]
    for k in range(count):
        n = int(rng.integers(1, 10))
        K, mu = _psd(rng, n, rank=1 if rng.random() < 0.2 else None)
        if k % 4 == 3:
            j = int(rng.integers(len(broken)))
            yield f"broken-{j}", broken[j](K), None, None
            continue
        scale = float(SCALES[int(rng.integers(len(SCALES)))])
        if rng.random() < 0.1:
            scale = 5e-320  # subnormal
        yield "scaled", K * scale, mu * math.sqrt(scale), scale


def _finite(x: Any) -> bool:
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        return True  # not numeric output (a tuple of ints, ...)
    return bool(np.all(np.isfinite(arr)))


def _calls(K: Any, mu: Any, motif: str) -> list[tuple[str, Callable[[], Any]]]:
    from dagnngp.numerics import inputs_to_gram, least_eigenvalue, min_pair_gap, nngp, relu_dual

    out = [
        ("nngp-numpy", lambda: nngp(motif, K, mu, backend="numpy").output),
        ("nngp-numpy-paper", lambda: nngp(motif, K, mu, model="paper", backend="numpy").output),
        ("nngp-numba", lambda: nngp(motif, K, mu, backend="numba").output),
        ("relu_dual", lambda: relu_dual(K)),
        ("min_pair_gap", lambda: min_pair_gap(K)[0]),
        ("least_eigenvalue", lambda: least_eigenvalue(K)),
        ("inputs_to_gram", lambda: inputs_to_gram(K)[0]),
    ]
    try:
        import array_api_strict as xps

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            arr = np.asarray(K, dtype=float)
        out.append(("nngp-array-api", lambda: nngp(motif, xps.asarray(arr)).output))
    except (ImportError, TypeError, ValueError):
        pass
    return out


def run(grams: int = 200, seed: int = 0, budget_s: float = 20.0) -> tuple[Counter, list[str]]:
    """Feed ``grams`` adversarial Grams to every entry point; return outcome totals and failures."""
    totals: Counter = Counter()
    failures: list[str] = []
    rng = np.random.default_rng(seed + 1)
    for kind, K, mu, scale in adversarial_grams(seed, grams):
        motif = MOTIFS[int(rng.integers(len(MOTIFS)))]
        for name, call in _calls(K, mu, motif):
            start = time.monotonic()
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("error", RuntimeWarning)  # a silent overflow is a failure
                    value = call()
            except ValueError as exc:
                outcome = "ValueError"
                if "\n" in str(exc).strip():
                    outcome = "failure: multi-line message"
            except Exception as exc:  # noqa: BLE001 - counting every other type is the point
                outcome = f"failure: {type(exc).__name__}"
                failures.append(f"{name} {kind} scale={scale} {motif}: {type(exc).__name__}: {exc}")
            else:
                outcome = "finite result" if _finite(value) else "failure: non-finite result"
                if outcome != "finite result":
                    failures.append(f"{name} {kind} scale={scale} {motif}: non-finite result")
                elif scale is not None and name.startswith("nngp-numpy") and scale != 1.0:
                    outcome = _check_homogeneity(name, motif, K, mu, scale, value, failures)
            if time.monotonic() - start > budget_s:
                outcome = "failure: over time budget"
                failures.append(f"{name} {kind} scale={scale} {motif}: took {time.monotonic() - start:.1f} s")
            totals[outcome] += 1
    return totals, failures


def _check_homogeneity(name: str, motif: str, K: np.ndarray, mu: np.ndarray, scale: float, value: Any,
                       failures: list[str]) -> str:
    """The result for ``K`` must be the result for ``K`` brought to unit scale by an exact power of two."""
    from dagnngp.numerics import nngp

    k = -round(math.log2(scale) / 2)
    model = "paper" if name.endswith("paper") else "exact"
    ref = nngp(motif, np.ldexp(K, 2 * k), np.ldexp(mu, k), model=model, backend="numpy").output
    got = np.ldexp(np.asarray(value, dtype=float), 2 * k)
    err = float(np.max(np.abs(got - ref)))
    if err > 1e-12 * max(float(np.max(np.abs(ref))), 1e-300):
        failures.append(f"{name} scale={scale} {motif}: scaled result off by {err:.3g}")
        return "failure: wrong scaled result"
    return "finite result"


def adversarial_correlations(rng: np.random.Generator) -> Any:
    """One argument for a generated function of ``C``: mostly valid, often not."""
    choice = int(rng.integers(10))
    if choice < 4:
        return float(rng.uniform(-1, 1))
    if choice == 4:
        return float(1 - 10.0 ** -rng.uniform(0, 17)) * (1 if rng.random() < 0.5 else -1)
    if choice == 5:
        return rng.uniform(-1, 1, size=int(rng.integers(0, 5)))
    if choice == 6:
        return float(rng.choice([np.nan, np.inf, -np.inf, 1.5, -2.0, 1e300, 5e-324]))
    wild: list[Any] = ["0.5", None, 1j, True, [0.1, "a"], np.array([1j]), b"1", [[0.2, 0.3]],
                       np.array([0.5, np.nan]), object()]
    return wild[int(rng.integers(len(wild)))]


def run_generated(evaluations: int = 3000, seed: int = 0) -> tuple[Counter, list[str]]:
    """Feed adversarial ``C`` values to functions generated for every backend."""
    from dagnngp.numerics import lambdify
    from dagnngp.theory import derive

    rng = np.random.default_rng(seed)
    backends = ["numpy", "numba", "mpmath", "array_api"]
    funcs = [(f"{motif}/{model}/{backend}", lambdify(derive(motif, model=model, general=False),
                                                      ("gap", "offdiagonal"), backend))
             for motif in ("2_21_112", "1_01_222") for model in ("exact", "paper") for backend in backends]
    totals: Counter = Counter()
    failures: list[str] = []
    for _ in range(evaluations):
        name, f = funcs[int(rng.integers(len(funcs)))]
        C = adversarial_correlations(rng)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", RuntimeWarning)
                value = f(C)
        except ValueError:
            totals["ValueError"] += 1
        except Exception as exc:  # noqa: BLE001
            totals[f"failure: {type(exc).__name__}"] += 1
            failures.append(f"{name} C={C!r}: {type(exc).__name__}: {exc}")
        else:
            flat = [float(v) for v in np.ravel(np.asarray(value, dtype=object)) if v is not None]
            ok = all(np.isfinite(v) for v in flat)
            totals["finite result" if ok else "failure: non-finite result"] += 1
            if not ok:
                failures.append(f"{name} C={C!r}: non-finite result")
    return totals, failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.add_argument("--grams", type=int, default=1000)
    parser.add_argument("--evaluations", type=int, default=3000, help="calls of generated functions")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    start = time.monotonic()
    totals, failures = run(args.grams, args.seed)
    print(f"{args.grams} adversarial Grams, {sum(totals.values())} calls, {time.monotonic() - start:.1f} s")
    for outcome, count in sorted(totals.items()):
        print(f"  {outcome:32s} {count}")
    for line in failures[:40]:
        print("  ", line)
    start = time.monotonic()
    totals, failures = run_generated(args.evaluations, args.seed)
    elapsed = time.monotonic() - start
    print(f"{args.evaluations} evaluations of generated functions (4 backends), {elapsed:.1f} s")
    for outcome, count in sorted(totals.items()):
        print(f"  {outcome:32s} {count}")
    for line in failures[:40]:
        print("  ", line)


if __name__ == "__main__":
    main()
