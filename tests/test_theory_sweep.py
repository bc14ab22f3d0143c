"""Generated NumPy code equals the NumPy reference ``nngp`` on every small motif.

All 759 motifs with 2, 3 and 4 nodes (3 + 27 + 729 strings) and a seeded sample
of 300 five- and six-node motifs, both models, at 9 correlations in [-1, 1]:
diagonal, off-diagonal and 2x2 gap agree to 1e-12 relative.  The reference
computes each entry as a sum of O(diagonal)-sized terms, so its own rounding
error is ~1e-16 x diagonal; an absolute floor of 1e-14 x diagonal covers that
where an entry passes through 0 (e.g. the gap at C = 1, which is 0).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from dagnngp.numerics import lambdify, nngp, pair_gram
from dagnngp.theory import derive

C_GRID = np.linspace(-1.0, 1.0, 9)
RTOL, FLOOR = 1e-12, 1e-14


def _motifs(n_nodes: int):
    groups = [list(itertools.product("012", repeat=t)) for t in range(1, n_nodes)]
    for combo in itertools.product(*groups):
        yield "_".join("".join(g) for g in combo)


def _small_motifs() -> list[str]:
    out = []
    for n in (2, 3, 4):
        out.extend(_motifs(n))
    return out


def _sample_large(n: int = 300, seed: int = 20261124) -> list[str]:
    rng = np.random.default_rng(seed)
    out = set()
    while len(out) < n:
        nodes = int(rng.integers(5, 7))
        digits = rng.integers(0, 3, size=nodes * (nodes - 1) // 2)
        groups, k = [], 0
        for t in range(1, nodes):
            groups.append("".join(str(x) for x in digits[k:k + t]))
            k += t
        out.add("_".join(groups))
    return sorted(out)


def _reference(motif: str, model: str) -> np.ndarray:
    rows = []
    for c in C_GRID:
        K = nngp(motif, *pair_gram(c), model=model, backend="numpy").output
        rows.append((K[0, 0], K[0, 1], K[0, 0] - abs(K[0, 1])))
    return np.array(rows).T


def _check(motifs: list[str]) -> int:
    checked = 0
    for motif in motifs:
        for model in ("exact", "paper"):
            d = derive(motif, model=model, general=False)
            got = np.array(lambdify(d, ("diagonal", "offdiagonal", "gap"))(C_GRID))
            ref = _reference(motif, model)
            scale = np.abs(ref[0]) + 1.0
            bad = np.abs(got - ref) > RTOL * np.abs(ref) + FLOOR * scale
            assert not bad.any(), (motif, model, got[bad], ref[bad])
            checked += 1
    return checked


def test_enumeration_counts():
    small = _small_motifs()
    assert len(small) == 3 + 27 + 729 and len(set(small)) == len(small)
    large = _sample_large()
    assert len(large) == 300 and {s.count("_") + 1 for s in large} == {4, 5}


@pytest.mark.slow
def test_all_motifs_up_to_four_nodes_match_nngp():
    assert _check(_small_motifs()) == 2 * 759


@pytest.mark.slow
def test_sampled_five_and_six_node_motifs_match_nngp():
    assert _check(_sample_large()) == 600
