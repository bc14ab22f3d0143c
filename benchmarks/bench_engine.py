"""Benchmark: ``nngp()`` against an efficient NumPy recursion, the arccos floor and neural-tangents.

Run:  python benchmarks/bench_engine.py [--n 4096] [--repeats 7]
      bash benchmarks/nt_env.sh      (once: the pinned neural-tangents environment for contender (c))

For N unit-norm, per-sample-centred float64 inputs (``K0 = X X^T``, fixed seed)
it times ``dagnngp.numerics.nngp(motif, K0, model="exact")`` exactly as a user
calls it (default backend, default input validation) against

(a) ``efficient_exact``: an efficient NumPy implementation of the same exact
    recursion, written here independently of the library: each distinct linear
    source's ReLU dual map is evaluated once (in cache-sized row blocks, in
    place), cross-Grams are kept symbolically (sums of node Grams plus rank-one
    mean terms) and never formed, rank-one terms are added in one blocked pass,
    and N x N buffers are recycled;
(b) the arccos floor: one elementwise ``np.arccos`` over the N x N correlation
    matrix, the least any NumPy implementation needs for one dual map;
(c) neural-tangents 0.6.5 (``stax`` ``kernel_fn``, JAX on CPU, float64) for the
    chain ``2_02_002``, where both define the same kernel; it runs in its own
    virtual environment (``benchmarks/nt_env.sh``) through ``benchmarks/nt_worker.py``.

Before timing, (a) must agree with ``nngp`` to 1e-12 relative (each entry
compared with ``sqrt(K_ii K_jj)``) and neural-tangents with ``nngp`` to 1e-10 on
a small input.  Contenders are alternated round by round; each figure is the
best of ``--repeats`` runs; the first call of ``nngp`` (Numba compile or cache
load) and of neural-tangents (JAX compile) is excluded and printed separately.
Floors: speed-up over (a) >= 10x, time relative to (b) <= 0.6x, speed-up over
(c) >= 5x; each is printed as PASS or MISS.  Then ``ntk()`` of DAG#3 (both readout
conventions) against its ``nngp()``, goal within 2x, after a check of the Numba NTK
against the NumPy reference on the first 300 inputs.  A breakdown of where ``nngp()``
spends its time follows (``--no-breakdown`` skips it).

``python benchmarks/bench_engine.py --self-check`` compares ``efficient_exact``
with the library's NumPy reference on random motifs and non-zero input means.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from dagnngp.motif import Motif, Op
from dagnngp.numerics import nngp, ntk

ROOT = Path(__file__).resolve().parents[1]
# made by benchmarks/nt_env.sh; not under .cache/, whose presence the docs build test refuses
NT_VENV = ROOT / ".nt-venv"
MOTIFS = {
    "DAG#3": "2_21_112",
    "dense 7-node": "2_22_222_2222_22222_222222",
}
CHAIN = "2_02_002"
FLOOR_A, FLOOR_B, FLOOR_C = 10.0, 0.6, 5.0
FLOOR_NTK = 2.0  # the NTK of DAG#3 within this factor of its NNGP
BLOCK_BYTES = 1 << 19  # row blocks of (a): its few scratch blocks of this size stay in L2


# ----------------------------------------------------------------------------------------------
# (a) an efficient NumPy implementation of the exact recursion (c_sigma = 2, sigma_b = 0, ReLU)
# ----------------------------------------------------------------------------------------------

def _plan(m: Motif) -> list[tuple[list[tuple[float, tuple[str, int]]], list[tuple[float, tuple, tuple]]]]:
    """Per node: full N x N terms ``(coef, ("F"|"K", s))`` and rank-one terms ``(coef, x, y)``.

    A cross-Gram ``<X_t, X_u>`` (t != u) is carried as a dict of node Grams with
    counts plus a list of rank-one outer products of named vectors (``("a", s)``
    the mean of a linear edge leaving ``s``, ``("mu", u)`` a node's mean), so it is
    never formed as a matrix.  This is data-independent and done once per motif.
    """
    memo: dict[tuple[int, int], tuple[dict[int, float], list[tuple[float, tuple, tuple]]]] = {}

    def cross(t: int, u: int):
        if t < u:
            grams, rank1 = cross(u, t)
            return grams, [(c, y, x) for c, x, y in rank1]  # K_v is symmetric
        if (t, u) not in memo:
            grams: dict[int, float] = {}
            rank1: list[tuple[float, tuple, tuple]] = []
            for s in m.sources(t, Op.LINEAR):
                rank1.append((1.0, ("a", s), ("mu", u)))
            for s in m.sources(t, Op.SKIP):
                if s == u:
                    grams[u] = grams.get(u, 0.0) + 1.0
                else:
                    g, r = cross(s, u)
                    for v, c in g.items():
                        grams[v] = grams.get(v, 0.0) + c
                    rank1.extend(r)
            memo[(t, u)] = (grams, rank1)
        return memo[(t, u)]

    plan = []
    for t in range(1, m.n_nodes):
        lin, skip = m.sources(t, Op.LINEAR), m.sources(t, Op.SKIP)
        full: dict[tuple[str, int], float] = {("F", s): 1.0 for s in lin}
        rank1: list[tuple[float, tuple, tuple]] = []
        if len(lin) > 1:  # sum_{s != s'} a_s a_s'^T = A A^T - sum_s a_s a_s^T
            rank1.append((1.0, ("A", t), ("A", t)))
            rank1.extend((-1.0, ("a", s), ("a", s)) for s in lin)
        if lin and skip:
            rank1 += [(1.0, ("A", t), ("M", t)), (1.0, ("M", t), ("A", t))]
        for i, s in enumerate(skip):
            full[("K", s)] = full.get(("K", s), 0.0) + 1.0
            for s2 in skip[i + 1:]:  # <X_s2, X_s> + its transpose
                grams, r = cross(s2, s)
                for v, c in grams.items():
                    full[("K", v)] = full.get(("K", v), 0.0) + 2.0 * c
                rank1.extend(r)
                rank1.extend((c, y, x) for c, x, y in r)
        plan.append((sorted(((c, k) for k, c in full.items()), key=lambda ck: ck[1][0]), rank1))
    return plan


class _Dual:
    """Row blocks of ``f(K)``, the ReLU dual map with ``c_sigma = 2``, in preallocated scratch.

    ``f(K)_ij = sqrt(K_ii K_jj) h(C_ij)``, ``h(C) = (sqrt(1 - C^2) + (pi - arccos C) C) / pi``,
    diagonal ``K_ii``; rows with a zero diagonal map to zero.
    """

    def __init__(self, K: np.ndarray) -> None:
        self.K = K
        self.d = np.maximum(np.diagonal(K), 0.0)
        r = np.sqrt(self.d)
        self.rinv = np.divide(1.0, r, out=np.zeros_like(r), where=r > 0)
        self.q = r * (1.0 / np.sqrt(np.pi))  # q_i q_j = sqrt(K_ii K_jj) / pi, exactly symmetric

    def rows(self, i0: int, i1: int, out: np.ndarray, scratch: np.ndarray) -> None:
        """``out = f(K)[i0:i1]``; ``scratch`` holds two blocks of the same shape."""
        C, T = scratch[0, : i1 - i0], scratch[1, : i1 - i0]
        np.multiply.outer(self.rinv[i0:i1], self.rinv, out=C)
        C *= self.K[i0:i1]
        np.clip(C, -1.0, 1.0, out=C)
        np.arccos(C, out=T)
        np.subtract(np.pi, T, out=T)
        T *= C
        np.multiply(C, C, out=C)
        np.subtract(1.0, C, out=C)
        np.sqrt(C, out=C)
        C += T
        np.multiply.outer(self.q[i0:i1], self.q, out=out)
        out *= C
        for i in range(i0, i1):
            out[i - i0, i] = self.d[i]


def efficient_exact(motif: Motif | str, K0: np.ndarray, mu0: np.ndarray | None = None
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Output Gram and means of the exact model (ReLU, c_sigma = 2, no bias), float64.

    Node by node; each node's Gram is assembled in row blocks that stay in cache:
    the dual maps of its linear sources, its skip sources' Grams, the symbolic
    cross-Grams and the rank-one mean terms are all added to one block before the
    next.  A source's dual map is evaluated once (at its first consumer) and
    stored only when a later node needs it again.

    >>> K, mu = efficient_exact("1_01_222", np.eye(2))
    >>> round(float(K[0, 0]), 5), round(float(K[0, 1]), 5)  # 3 + 6/pi, 3/pi + 6/pi
    (4.90986, 2.86479)
    """
    m = Motif.coerce(motif)
    n = K0.shape[0]
    mu0 = np.zeros(n) if mu0 is None else np.asarray(mu0, dtype=np.float64)
    plan = _plan(m)
    consumers = {s: [t for s2, t, op in m.edges() if s2 == s and op is Op.LINEAR] for s in range(m.n_nodes)}
    last_use: dict[tuple[str, int], int] = {("K", m.n_nodes - 1): m.n_nodes}  # the output
    for t, (full, _) in enumerate(plan, start=1):
        for _, key in full:
            last_use[key] = t
            if key[0] == "F":  # f(K_s) is evaluated from K_s at its first consumer
                last_use[("K", key[1])] = max(last_use.get(("K", key[1]), 0), t)

    pool: list[np.ndarray] = []  # N x N buffers free for reuse

    def take() -> np.ndarray:
        return pool.pop() if pool else np.empty((n, n))

    step = max(1, min(n, BLOCK_BYTES // (8 * n)))
    scratch = np.empty((3, step, n))
    K: dict[int, np.ndarray] = {0: K0}
    F: dict[int, np.ndarray] = {}
    vec: dict[tuple[str, int], np.ndarray] = {("mu", 0): mu0}
    for t, (full, rank1) in enumerate(plan, start=1):
        lin, skip = m.sources(t, Op.LINEAR), m.sources(t, Op.SKIP)
        for s in lin:
            if ("a", s) not in vec:
                vec[("a", s)] = np.sqrt(np.maximum(np.diagonal(K[s]), 0.0) / np.pi)
        vec[("A", t)] = sum((vec[("a", s)] for s in lin), np.zeros(n))
        vec[("M", t)] = sum((vec[("mu", s)] for s in skip), np.zeros(n))
        vec[("mu", t)] = vec[("A", t)] + vec[("M", t)]
        fresh = {s: _Dual(K[s]) for kind, s in (key for _, key in full) if kind == "F" and s not in F}
        for s in fresh:
            if len(consumers[s]) > 1:
                F[s] = take()
        if rank1:
            U = np.stack([c * vec[x] for c, x, _ in rank1], axis=1)
            VT = np.stack([vec[y] for _, _, y in rank1], axis=0)
        acc = take()
        for i0 in range(0, n, step):
            i1 = min(n, i0 + step)
            blk, tmp = acc[i0:i1], scratch[2, : i1 - i0]
            first = True
            for coef, (kind, s) in full:
                if kind == "F" and s in fresh:
                    dest = F[s][i0:i1] if s in F else (blk if first else tmp)
                    fresh[s].rows(i0, i1, dest, scratch)
                    if dest is blk:
                        first = False
                        continue
                    src = dest
                else:
                    src = (F[s] if kind == "F" else K[s])[i0:i1]
                if first:
                    np.multiply(src, coef, out=blk)
                    first = False
                elif coef == 1.0:
                    blk += src
                else:
                    np.multiply(src, coef, out=tmp)
                    blk += tmp
            if first:  # a node that receives nothing
                blk.fill(0.0)
            if rank1:
                np.matmul(U[i0:i1], VT, out=tmp)
                blk += tmp
        K[t] = acc
        for kind, store in (("F", F), ("K", K)):  # recycle buffers after their last use
            for s in [s for s in store if last_use.get((kind, s), 0) <= t and (kind, s) != ("K", 0)]:
                pool.append(store.pop(s))
    return K[m.n_nodes - 1], vec[("mu", m.n_nodes - 1)]


# ----------------------------------------------------------------------------------------------
# measurement helpers
# ----------------------------------------------------------------------------------------------

def machine() -> str:
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), cpu)
    except OSError:
        cpu = platform.processor() or cpu
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{cpu}, {os.cpu_count()} logical CPUs ({usable} usable by this process)"


def threads() -> str:
    import numba

    parts = [f"numba threads {numba.get_num_threads()}"]
    try:
        from threadpoolctl import threadpool_info

        parts += [f"{p['internal_api']} threads {p['num_threads']}" for p in threadpool_info()]
    except ImportError:
        pass
    return ", ".join(parts)


def max_rel_diff(got: np.ndarray, ref: np.ndarray) -> float:
    d = np.maximum(np.diagonal(ref), 0.0)
    scale = np.sqrt(np.multiply.outer(d, d))
    return float(np.max(np.abs(got - ref) / np.where(scale > 0, scale, 1.0)))


def inputs(n: int, d: int = 64, seed: int = 0) -> np.ndarray:
    """``n`` unit-norm, per-sample-centred rows in ``d`` dimensions."""
    X = np.random.default_rng(seed).standard_normal((n, d))
    X -= X.mean(axis=1, keepdims=True)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    return X


def alternate(contenders: dict[str, Callable[[], object]], repeats: int) -> dict[str, list[float]]:
    """Wall times of each contender, one call of each per round, the order rotated per round."""
    names = list(contenders)
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(repeats):
        for name in names[r % len(names):] + names[: r % len(names)]:
            t = time.perf_counter()
            contenders[name]()
            times[name].append(time.perf_counter() - t)
    return times


def best_of(times: dict[str, list[float]]) -> dict[str, float]:
    return {name: min(ts) for name, ts in times.items()}


def paired(times: dict[str, list[float]], num: str, den: str) -> float:
    """Median over rounds of ``num / den`` measured in the same round (robust to load that comes and goes)."""
    return float(np.median(np.array(times[num]) / np.array(times[den])))


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


# ----------------------------------------------------------------------------------------------
# (c) neural-tangents in its own environment
# ----------------------------------------------------------------------------------------------

class NTWorker:
    """``nt_worker.py`` in the pinned venv: answers one timed ``kernel_fn`` call per request."""

    def __init__(self, python: Path, X: np.ndarray, X_small: np.ndarray, tmp: Path) -> None:
        np.save(tmp / "X.npy", X)
        np.save(tmp / "X_small.npy", X_small)
        env = dict(os.environ, PYTHONNOUSERSITE="1")
        env.pop("PYTHONPATH", None)
        self.proc = subprocess.Popen(
            [str(python), str(ROOT / "benchmarks" / "nt_worker.py"), str(tmp),
             str(Motif.parse(CHAIN).n_nodes)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.info = self._read()

    def _read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("neural-tangents worker stopped: " + self.proc.stderr.read()[-2000:])
        return json.loads(line)

    def time_once(self) -> float:
        self.proc.stdin.write("time\n")
        self.proc.stdin.flush()
        return float(self._read()["seconds"])

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
            self.proc.wait(timeout=60)


def run_nt(X: np.ndarray, K0: np.ndarray, repeats: int, t_gram: float, venv: Path) -> None:
    python = venv / "bin" / "python"
    print(f"\n(c) neural-tangents, chain {CHAIN} (= stax.serial((Dense(W_std=sqrt 2), Relu) x 3)), "
          "nngp of the last layer")
    if not python.exists():
        print(f"    skipped: no neural-tangents environment at {venv}; make it with "
              f"`bash benchmarks/nt_env.sh {venv}` (under a minute, about 700 MB) and run again")
        return
    X_small = inputs(16, seed=1)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        worker = NTWorker(python, X, X_small, tmp)
        try:
            info = worker.info
            small_ref = nngp(CHAIN, X_small @ X_small.T, model="exact").output
            small_diff = max_rel_diff(np.load(tmp / "nt_small.npy"), small_ref)
            assert small_diff <= 1e-10, f"neural-tangents and nngp differ by {small_diff:.2e} on 16 inputs"
            ours = nngp(CHAIN, K0, model="exact").output
            big_diff = max_rel_diff(np.load(tmp / "nt_full.npy"), ours)
            del ours
            (tmp / "nt_full.npy").unlink()
            times = {"nngp": [], "nt": []}
            for r in range(repeats):  # alternate; the worker reports its own (in-process) wall time
                order = ("nngp", "nt") if r % 2 == 0 else ("nt", "nngp")
                for name in order:
                    if name == "nt":
                        times["nt"].append(worker.time_once())
                    else:
                        t = time.perf_counter()
                        nngp(CHAIN, K0, model="exact")
                        times["nngp"].append(time.perf_counter() - t)
            best = best_of(times)
        finally:
            worker.close()
    print(f"    neural-tangents {info['nt_version']}, jax {info['jax_version']} on {info['device']}, "
          f"x64 {info['x64']}, XLA CPU threads: {info['threads']}")
    print(f"    agreement with nngp: {small_diff:.1e} on 16 inputs (<= 1e-10 required), "
          f"{big_diff:.1e} on all N = {K0.shape[0]}")
    print(f"    first call (JAX trace + compile + run): {info['first_call_s']:.2f} s (excluded)")
    print(f"    nngp({CHAIN!r}, K0): {best['nngp']:.3f} s    neural-tangents kernel_fn(X): "
          f"{best['nt']:.3f} s "
          f"(includes its X X^T / d, which takes {t_gram:.3f} s in NumPy)")
    speed = best["nt"] / best["nngp"]
    fair = best["nt"] / (best["nngp"] + t_gram)
    print(f"    speed-up over neural-tangents: {speed:.1f}x (floor >= {FLOOR_C:g}x: "
          f"{verdict(speed >= FLOOR_C)}); median of per-round ratios {paired(times, 'nt', 'nngp'):.1f}x; "
          f"counting X X^T on our side too: {fair:.1f}x")


# ----------------------------------------------------------------------------------------------
# where nngp() spends its time
# ----------------------------------------------------------------------------------------------

def breakdown(code: str, K0: np.ndarray, repeats: int) -> None:
    """Time the stages of ``nngp()``'s default path (validation, pre-pass, kernel, mirror)."""
    try:
        from dagnngp.numerics import numba_program as prog
        from dagnngp.numerics.numba_validate import check_gram_fused
        from dagnngp.numerics.validate import check_gram

        m = Motif.parse(code)
        mu0 = np.zeros(K0.shape[0])

        def prepare():
            return prog.prepare(m, "exact", np.diagonal(K0).astype(np.float64), mu0, 2.0, 0.0)

        prep = prepare()
        out = np.empty_like(K0)
        warm = np.empty_like(K0)
        warm.fill(0.0)  # pages already touched

        none = np.empty((1, 1))

        def rows(dest: np.ndarray) -> None:
            prog._rows(*prog.main_pass_args(prep), prep.enc.n_slots, prep.diag_out, prep.diag_out, K0, dest,
                       none)

        def upper(dest: np.ndarray) -> None:
            prog._row_range(*prog.main_pass_args(prep), prep.enc.n_slots, prep.diag_out, prep.diag_out, K0, 0,
                            True, dest, none)

        def reused(dest: np.ndarray) -> None:  # what nngp() would cost writing into a caller's buffer
            prog.kernel_fused(m, check_gram_fused(K0), mu0, "exact", out=dest)

        stages = {
            "nngp() end to end": lambda: nngp(m, K0, model="exact"),
            "check_gram_fused (default validation)": lambda: check_gram_fused(K0),
            "check_gram (NumPy validation, O(N^2))": lambda: check_gram(K0, check_psd=False),
            "prepare (diagonal pre-pass)": prepare,
            "np.empty((N, N)) + first touch": lambda: np.empty_like(K0).fill(0.0),
            "_rows kernel + mirror, fresh output": lambda: rows(np.empty_like(K0)),
            "_rows kernel + mirror, output touched": lambda: rows(warm),
            "upper triangle only (_row_range), touched": lambda: upper(warm),
            "validation + kernel into a reused buffer": lambda: reused(warm),
            "read K0 + write N x N (np.copyto)": lambda: np.copyto(warm, K0),
            "np.all(np.isfinite(out)) (no longer run)": lambda: np.all(np.isfinite(out)),
        }
        rows(out)
        best = best_of(alternate(stages, repeats))
    except (ImportError, AttributeError, TypeError, ValueError) as exc:  # the engine's internals moved
        print(f"    breakdown unavailable for this engine version ({type(exc).__name__}: {exc})")
        return
    total = best["nngp() end to end"]
    for name, t in best.items():
        print(f"    {name:<44} {t:8.3f} s  {100 * t / total:5.0f}% of nngp()")


def ntk_vs_nngp(K0: np.ndarray, repeats: int) -> None:
    """The NTK of DAG#3 (both readout conventions) against its NNGP, both as a user calls them."""
    code = MOTIFS["DAG#3"]
    small = K0[:300, :300]  # the Numba NTK against the NumPy reference first (N = 300)
    diff = max(max_rel_diff(ntk(code, small, readout=r).ntk, ntk(code, small, readout=r, backend="numpy").ntk)
               for r in (True, False))
    assert diff <= 1e-13, f"the Numba NTK and the NumPy reference differ by {diff:.2e}"
    ntk(code, K0)  # compile / cache load, excluded
    ntk(code, K0, readout=False)
    times = alternate({"nngp": lambda: nngp(code, K0, model="exact"),
                       "ntk": lambda: ntk(code, K0, model="exact"),
                       "ntk, readout=False": lambda: ntk(code, K0, model="exact", readout=False)}, repeats)
    best = best_of(times)
    print(f"\nNTK of DAG#3 {code}, N = {K0.shape[0]}, as a user calls it (default backend and validation; "
          f"agreement with the NumPy reference on N = 300: {diff:.1e})")
    for name in ("ntk", "ntk, readout=False"):
        ratio = best[name] / best["nngp"]
        print(f"    {name}(): {best[name]:.3f} s, nngp(): {best['nngp']:.3f} s: {ratio:.2f}x the NNGP "
              f"(goal <= {FLOOR_NTK:g}x: {verdict(ratio <= FLOOR_NTK)}); median of per-round ratios "
              f"{paired(times, name, 'nngp'):.2f}x")


def psd_cliff(repeats: int, n: int = 2048) -> None:
    """What the opt-in O(N^3) eigenvalue test (``check_psd=True``) adds."""
    X = inputs(n, seed=2)
    K0 = X @ X.T
    code = MOTIFS["DAG#3"]
    best = best_of(alternate({"default": lambda: nngp(code, K0, model="exact"),
                              "check_psd=True": lambda: nngp(code, K0, model="exact", check_psd=True)},
                             repeats))
    slow = best["check_psd=True"]
    print(f"    at N = {n}, DAG#3: default validation {best['default']:.3f} s, with the eigenvalue test "
          f"(check_psd=True) {slow:.3f} s ({slow / best['default']:.0f}x)")


# ----------------------------------------------------------------------------------------------

def self_check(trials: int = 60) -> None:
    """``efficient_exact`` against the library's NumPy reference on random motifs and means."""
    rng = np.random.default_rng(3)
    worst = 0.0
    for k in range(trials):
        n_nodes = int(rng.integers(2, 7))
        code = "_".join("".join(str(int(c)) for c in rng.integers(0, 3, t)) for t in range(1, n_nodes))
        X = rng.standard_normal((int(rng.integers(1, 40)), 5))
        if k % 2:
            X -= X.mean(axis=1, keepdims=True)
        K0, mu0 = X @ X.T, X.sum(axis=1) / np.sqrt(5)
        ref = nngp(code, K0, mu0, model="exact", backend="numpy")
        got, got_mu = efficient_exact(code, K0, mu0)
        worst = max(worst, max_rel_diff(got, ref.output))
        assert np.allclose(got_mu, ref.output_mean, rtol=1e-12, atol=1e-12), code
        assert max_rel_diff(got, ref.output) <= 1e-12, (code, max_rel_diff(got, ref.output))
    print(f"efficient_exact agrees with nngp(backend='numpy') on {trials} random motifs: "
          f"worst {worst:.1e} relative")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=4096)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--no-nt", action="store_true", help="skip neural-tangents (c)")
    parser.add_argument("--nt-venv", type=Path, default=NT_VENV,
                        help="the environment made by benchmarks/nt_env.sh (default: %(default)s)")
    parser.add_argument("--no-breakdown", action="store_true", help="skip the profile of nngp()")
    parser.add_argument("--self-check", action="store_true", help="only check efficient_exact, then exit")
    args = parser.parse_args()
    if args.n < 2 or args.repeats < 1:
        parser.error("need --n >= 2 and --repeats >= 1")
    if args.self_check:
        self_check()
        return

    import numba

    print(f"machine: {machine()}")
    print(f"Python {platform.python_version()}, NumPy {np.__version__}, Numba {numba.__version__}; "
          f"{threads()}")
    X = inputs(args.n)
    t_gram = min(_timed(lambda: X @ X.T) for _ in range(3))
    K0 = X @ X.T
    print(f"N = {args.n} unit-norm centred inputs in 64 dimensions (seed 0), float64; "
          f"K0 = X X^T ({t_gram:.3f} s, not timed below)")

    t = time.perf_counter()
    nngp(MOTIFS["DAG#3"], K0, model="exact")
    print(f"first nngp() call in this process (Numba compile or cache load + run): "
          f"{time.perf_counter() - t:.2f} s (excluded)\n")

    C = np.clip(K0, -1.0, 1.0)
    theta = np.empty_like(C)
    theta.fill(0.0)  # touched: no page faults inside the timed arccos
    rows = []
    for label, code in MOTIFS.items():
        ours = nngp(code, K0, model="exact").output
        ref, _ = efficient_exact(code, K0)
        diff = max_rel_diff(ours, ref)
        assert diff <= 1e-12, f"{label}: nngp and the NumPy recursion differ by {diff:.2e}"
        del ours, ref
        times = alternate({"nngp": lambda code=code: nngp(code, K0, model="exact"),
                           "numpy": lambda code=code: efficient_exact(code, K0),
                           "arccos": lambda: np.arccos(C, out=theta),
                           "copy": lambda: np.copyto(theta, K0)}, args.repeats)
        rows.append((label, code, times, diff))

    print("times in seconds; copy = np.copyto of one N x N array (read K0 + write an output: the memory "
          "traffic any\nimplementation needs), for scale")
    print(f"{'motif':<40} {'nngp()':>8} {'(a) NumPy':>10} {'(b) arccos':>10} {'copy':>7} "
          f"{'(a)/nngp':>9} {'nngp/(b)':>9} {'copy/(b)':>9} {'max rel diff':>13}")
    for label, code, times, diff in rows:
        best = best_of(times)
        a, b = best["numpy"] / best["nngp"], best["nngp"] / best["arccos"]
        print(f"{label + ' ' + code:<40} {best['nngp']:8.3f} {best['numpy']:10.3f} {best['arccos']:10.3f} "
              f"{best['copy']:7.3f} {a:8.1f}x {b:8.2f}x {best['copy'] / best['arccos']:8.2f}x {diff:13.1e}")
    for label, _, times, _ in rows:
        best = best_of(times)
        a, b = best["numpy"] / best["nngp"], best["nngp"] / best["arccos"]
        print(f"{label}: speed-up over (a) {a:.1f}x (floor >= {FLOOR_A:g}x: {verdict(a >= FLOOR_A)}); "
              f"time relative to (b) {b:.2f}x (floor <= {FLOOR_B:g}x: {verdict(b <= FLOOR_B)}); "
              f"median of per-round ratios {paired(times, 'numpy', 'nngp'):.1f}x and "
              f"{paired(times, 'nngp', 'arccos'):.2f}x")

    ntk_vs_nngp(K0, args.repeats)

    if not args.no_nt:
        run_nt(X, K0, args.repeats, t_gram, args.nt_venv.resolve())

    if not args.no_breakdown:
        for label, code in MOTIFS.items():
            print(f"\nwhere nngp() spends its time, {label} {code} (best of {args.repeats}):")
            breakdown(code, K0, args.repeats)
        psd_cliff(max(1, args.repeats // 3))


def _timed(fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


if __name__ == "__main__":
    main()
