"""Simulated training-free search with and without the ``(d_bar, m_bar)`` filter.

Follows the public NAS-WOT+DAG loop (spec section 6.3), with a table of
precomputed scores in place of networks: each run samples ``samples`` cells
uniformly with replacement and picks one.  Methods compared on the same
samples of each run:

* ``score``: score every sampled cell, pick the best score (NAS-WOT);
* ``score+filter``: score only the cells inside the box, pick the best score
  (NAS-WOT+DAG); if the box keeps none, the first sampled cell is taken, as
  the code's argmax over the placeholder score -1 does (``fallback_runs``);
* ``score+random_preselect``: score a random subset of the samples of the
  same size as the filter kept in that run, pick the best (same evaluation
  budget as ``score+filter``, without the filter's knowledge);
* ``random``: one sampled cell at random (no evaluations);
* ``oracle``: the best accuracy among the samples (an upper bound).

Ties in score go to the earlier sample.

>>> rng = np.random.default_rng(0)
>>> acc = rng.uniform(50, 90, 200); score = acc + rng.normal(0, 5, 200)
>>> keep = acc > 60
>>> rep = simulate_search(score, acc, keep, runs=50, samples=20, seed=1)
>>> rep["methods"]["score"]["evaluations_per_run"], rep["runs"]
(20.0, 50)
"""

from __future__ import annotations

import numpy as np

from dagnngp.limits import check_memory

__all__ = ["SearchError", "simulate_search"]

METHODS = ("score", "score+filter", "score+random_preselect", "random", "oracle")


class SearchError(ValueError):
    """Bad input to the search simulation."""


def simulate_search(
    scores: object,
    accuracies: object,
    keep: object,
    runs: int = 500,
    samples: int = 100,
    seed: int = 0,
    max_memory: int | None = None,
) -> dict:
    """Run the simulation; returns a JSON-ready dict.

    ``scores`` (higher is better; ``-inf`` allowed), ``accuracies`` and the
    boolean ``keep`` mask (the filter's verdict) are aligned per cell.  The
    result holds, per method, the ``mean`` and ``std`` (over runs, ddof=1)
    of the chosen cell's accuracy and the mean score ``evaluations_per_run``;
    ``saved_fraction`` is the fraction of score evaluations the filter
    avoids: ``1 - evaluations(score+filter) / samples``.

    Sizes whose arrays would exceed ``max_memory`` bytes (default
    :func:`dagnngp.limits.memory_limit`) raise :class:`dagnngp.limits.ResourceLimitError`.
    """
    sc = np.asarray(scores, dtype=float).reshape(-1)
    acc = np.asarray(accuracies, dtype=float).reshape(-1)
    kp = np.asarray(keep).reshape(-1)
    if not (len(sc) == len(acc) == len(kp)):
        raise SearchError(f"scores, accuracies and keep differ in length ({len(sc)}, {len(acc)}, {len(kp)})")
    if len(sc) == 0:
        raise SearchError("no cells to search")
    if kp.dtype != bool:
        raise SearchError("keep must be a boolean mask")
    if np.isnan(sc).any() or (sc == np.inf).any():
        raise SearchError("scores hold NaN or +inf; clean them or drop those rows")
    if not np.all(np.isfinite(acc)):
        raise SearchError("accuracies must be finite numbers")
    for name, v, lo in (("runs", runs, 2), ("samples", samples, 1)):
        if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < lo:
            raise SearchError(f"{name} must be an integer >= {lo}, got {v!r}")
    # ten per-run arrays and a few per-sample ones; refused before allocating (DAGNNGP_MAX_MEMORY)
    check_memory(8.0 * (10 * runs + 6 * samples), f"simulate_search(runs={runs}, samples={samples})",
                 limit=max_memory, option=None)
    # separate streams: the sampled cells depend only on the seed, not on the box
    sample_seq, aux_seq = np.random.SeedSequence(seed).spawn(2)
    rng, aux = np.random.default_rng(sample_seq), np.random.default_rng(aux_seq)
    chosen = {m: np.empty(runs) for m in METHODS}
    evals = {m: np.zeros(runs) for m in METHODS}
    fallback = 0
    for r in range(runs):
        idx = rng.integers(0, len(sc), size=samples)
        s, a, k = sc[idx], acc[idx], kp[idx]
        chosen["score"][r] = a[np.argmax(s)]
        evals["score"][r] = samples
        n_kept = int(k.sum())
        if n_kept:
            pos = np.flatnonzero(k)
            chosen["score+filter"][r] = a[pos[np.argmax(s[pos])]]
            sub = np.sort(aux.choice(samples, size=n_kept, replace=False))
            chosen["score+random_preselect"][r] = a[sub[np.argmax(s[sub])]]
        else:
            fallback += 1
            chosen["score+filter"][r] = a[0]
            chosen["score+random_preselect"][r] = a[0]
        evals["score+filter"][r] = n_kept
        evals["score+random_preselect"][r] = n_kept
        chosen["random"][r] = a[aux.integers(samples)]
        chosen["oracle"][r] = a.max()
    methods = {
        m: {"mean": float(chosen[m].mean()), "std": float(chosen[m].std(ddof=1)),
            "evaluations_per_run": float(evals[m].mean())}
        for m in METHODS
    }
    return {
        "runs": runs,
        "samples": samples,
        "seed": seed,
        "n_cells": int(len(sc)),
        "kept_fraction_of_table": float(kp.mean()),
        "saved_fraction": float(1 - evals["score+filter"].mean() / samples),
        "fallback_runs": fallback,
        "best_accuracy_in_table": float(acc.max()),
        "methods": methods,
    }
