"""Probabilistic effective depth/width of supernets and the TE-NAS pre-reservation.

While a supernet is pruned (TE-NAS), each edge still holds several ops.  The
public TE-NAS+DAG code (spec section 6.4) gives each edge the probability
vector ``(p_none, p_nonparam, p_param)`` = fraction of its alive ops in each
class, and averages Definition 4.1 over (route, class assignment) pairs,
each weighted by the product of its chosen class probabilities:

* depth = ``sum_p d_p pi_p / sum_p pi_p``;
* width = ``sum_p pi_p 1(d_p > 0)`` (not normalised), returned as width / depth;
* several sources (DARTS' two inputs) are handled one at a time, each with the
  other sources deleted; the depths are combined weighted by ``L``, the
  number of (route, assignment) pairs of each source, and the widths summed.

Sums are computed by a dynamic programme over nodes (no enumeration).  For a
single fully specified cell (probabilities 0/1) this is Definition 4.1.

>>> probs = nb201_supernet_probs({e: ["skip_connect", "nor_conv_3x3"] for e in NB201_EDGES})
>>> effective_depth_width_prob(probs, n_nodes=4)
(1.0, 2.875)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from dagnngp.motif import MotifError
from dagnngp.nas.cells import OpClass, op_class

__all__ = [
    "NB201_EDGES",
    "DARTS_EDGES",
    "edge_probs_from_alive",
    "nb201_supernet_probs",
    "darts_supernet_probs",
    "effective_depth_width_prob",
    "n_reserved",
    "reserve_near_centroid",
    "pre_reserve",
]

EdgeProbs = Mapping[tuple[int, int], Sequence[float]]

#: NAS-Bench-201 edges ``(s, t)`` in cell-string order.
NB201_EDGES: tuple[tuple[int, int], ...] = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))
#: DARTS searchable edges (inputs 0, 1; intermediates 2..5), in genotype order.
DARTS_EDGES: tuple[tuple[int, int], ...] = tuple((s, t) for t in range(2, 6) for s in range(t))

#: Relative tolerance under which two centroid distances count as tied.
TIE_TOLERANCE = 1e-9


def edge_probs_from_alive(alive: Iterable[str]) -> tuple[float, float, float]:
    """``(p_none, p_nonparam, p_param)``: fractions of the alive ops in each class.

    No alive op gives ``(1, 0, 0)``, a muted edge.

    >>> edge_probs_from_alive(["skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"])
    (0.0, 0.5, 0.5)
    """
    names = list(alive)
    if not names:
        return (1.0, 0.0, 0.0)
    counts = {OpClass.NONE: 0, OpClass.NONPARAM: 0, OpClass.PARAM: 0}
    for name in names:
        counts[op_class(name)] += 1
    n = len(names)
    return (counts[OpClass.NONE] / n, counts[OpClass.NONPARAM] / n, counts[OpClass.PARAM] / n)


def nb201_supernet_probs(alive: Mapping[tuple[int, int], Iterable[str]]) -> dict[tuple[int, int], tuple]:
    """Edge probabilities of a NAS-Bench-201 supernet from its alive ops per edge.

    Edges missing from ``alive`` are muted.

    >>> nb201_supernet_probs({(0, 1): ["nor_conv_3x3"]})[(0, 1)]
    (0.0, 0.0, 1.0)
    """
    _check_edges(alive, NB201_EDGES, "NAS-Bench-201")
    return {e: edge_probs_from_alive(alive.get(e, ())) for e in NB201_EDGES}


def darts_supernet_probs(alive: Mapping[tuple[int, int], Iterable[str]]) -> dict[tuple[int, int], tuple]:
    """Edge probabilities of a DARTS supernet (nodes 0..6, output 6).

    Inputs 0 and 1 are not connected to each other or to the output;
    intermediates 2..5 feed the output with ``(0, 1, 0)`` (the concatenation).

    >>> len(darts_supernet_probs({}))
    18
    """
    _check_edges(alive, DARTS_EDGES, "DARTS")
    probs = {e: edge_probs_from_alive(alive.get(e, ())) for e in DARTS_EDGES if e != (0, 1)}
    for j in range(2, 6):
        probs[(j, 6)] = (0.0, 1.0, 0.0)
    return probs


def _check_edges(alive: Mapping, allowed: Sequence[tuple[int, int]], space: str) -> None:
    if not isinstance(alive, Mapping):
        raise MotifError("alive ops must be a mapping {(s, t): [op names]}")
    for e in alive:
        if e not in allowed:
            raise MotifError(f"{e!r} is not a searchable {space} edge; edges are {list(allowed)}")


def effective_depth_width_prob(
    edge_probs: EdgeProbs, n_nodes: int, sources: Sequence[int] = (0,), output: int | None = None
) -> tuple[float, float]:
    """Probabilistic ``(d_bar, m_bar)`` of a supernet (TE-NAS+DAG code, spec section 6.4).

    ``edge_probs[(s, t)] = (p_none, p_nonparam, p_param)``; missing pairs have
    no edge.  For DARTS pass ``n_nodes=7, sources=(0, 1)``.  Returns ``(0, 0)``
    when the depth is 0 or no route reaches the output.

    >>> effective_depth_width_prob({(0, 1): (0, 0, 1), (1, 2): (0, 1, 0), (0, 2): (0, 1, 0)}, 3)
    (0.5, 2.0)
    """
    if isinstance(n_nodes, bool) or not isinstance(n_nodes, int) or n_nodes < 2:
        raise MotifError(f"n_nodes must be an int >= 2, got {n_nodes!r}")
    out = n_nodes - 1 if output is None else output
    if not 0 <= out < n_nodes:
        raise MotifError(f"output {out} is not a node 0..{n_nodes - 1}")
    probs: dict[tuple[int, int], tuple[float, float, float]] = {}
    for key, vec in edge_probs.items():
        if not (isinstance(key, tuple) and len(key) == 2 and 0 <= key[0] < key[1] < n_nodes):
            raise MotifError(f"edge {key!r} is not a forward pair (s, t) with 0 <= s < t < {n_nodes}")
        v = tuple(float(x) for x in vec)
        if len(v) != 3 or min(v) < 0 or not np.isfinite(v).all() or abs(sum(v) - 1) > 1e-9:
            raise MotifError(
                f"edge {key!r}: probabilities {tuple(vec)!r} must be three non-negative numbers "
                "(p_none, p_nonparam, p_param) summing to 1"
            )
        probs[key] = v
    for s in sources:
        if not 0 <= s < out:
            raise MotifError(f"source {s} must be a node before the output {out}")
    max_d = n_nodes
    depth_means, route_counts, width = [], [], 0.0
    for src in sources:
        others = set(sources) - {src}
        weight = np.zeros((n_nodes, max_d + 1))
        count = np.zeros((n_nodes, max_d + 1))
        weight[src, 0], count[src, 0] = 1.0, 1.0
        for t in range(src + 1, n_nodes):
            if t in others:
                continue
            for s in range(src, t):
                if s in others or (s, t) not in probs:
                    continue
                p_none, p_np, p_p = probs[(s, t)]
                if p_none >= 1:
                    continue
                if p_np > 0:
                    weight[t] += p_np * weight[s]
                    count[t] += count[s]
                if p_p > 0:
                    weight[t, 1:] += p_p * weight[s, :-1]
                    count[t, 1:] += count[s, :-1]
        w, c = weight[out], count[out]
        if w.sum() > 0:
            depth_means.append(float((np.arange(max_d + 1) * w).sum() / w.sum()))
            route_counts.append(float(c.sum()))
            width += float(w[1:].sum())
    if not route_counts or sum(route_counts) == 0:
        return (0.0, 0.0)
    depth = sum(d * n for d, n in zip(depth_means, route_counts, strict=True)) / sum(route_counts)
    if depth == 0:
        return (0.0, 0.0)
    return (depth, width / depth)


def n_reserved(n_alive: int, prune_number: int, max_reserved: int = 2) -> int:
    """How many candidate removals an edge reserves: ``min(max_reserved, n_alive - prune_number - 1)``.

    >>> [n_reserved(a, 1) for a in (4, 3, 2)]
    [2, 1, 0]
    """
    return max(0, min(max_reserved, n_alive - prune_number - 1))


def reserve_near_centroid(points: object, k: int) -> tuple[int, ...]:
    """Indices of the ``k`` points closest (squared Euclidean) to their centroid.

    Tie-breaking is deterministic: distances within ``TIE_TOLERANCE``
    (relative) of each other count as equal and the lower index wins.  The
    public code uses a float64 ``argsort`` instead, whose order among exact
    ties depends on rounding noise (spec section 6.4), so on tied rounds it may
    reserve different candidates.

    >>> reserve_near_centroid([[0.0, 0.0], [1.0, 0.0], [0.5, 0.1], [0.0, 1.0]], 1)
    (2,)
    """
    pts = np.asarray(points, dtype=float)
    if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) == 0:
        raise MotifError(f"points must be a non-empty (n, 2) array, got shape {pts.shape}")
    if not 0 <= k <= len(pts):
        raise MotifError(f"cannot reserve {k} of {len(pts)} candidates")
    dist = ((pts - pts.mean(axis=0)) ** 2).sum(axis=1)
    scale = max(float(dist.max()), 1e-300)
    keys = np.round(dist / scale / TIE_TOLERANCE)
    order = sorted(range(len(pts)), key=lambda i: (keys[i], i))
    return tuple(sorted(order[:k]))


def pre_reserve(
    alive: Mapping[tuple[int, int], Sequence[str]], edge: tuple[int, int], k: int, space: str = "nb201"
) -> tuple[str, ...]:
    """Ops on ``edge`` whose removal keeps the supernet closest to the edge's centroid.

    For each alive op on ``edge`` the supernet without it gets a probabilistic
    ``(d_bar, m_bar)``; the ``k`` candidates nearest the centroid of these
    points are reserved (not scored, so not prunable this round).  Ties go to
    the op listed first in ``alive[edge]``.

    >>> ops = ["skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
    >>> pre_reserve({e: ops for e in NB201_EDGES}, (0, 1), 2)
    ('skip_connect', 'nor_conv_1x1')
    """
    if space not in ("nb201", "darts"):
        raise MotifError(f"space must be 'nb201' or 'darts', not {space!r}")
    ops = list(alive.get(edge, ()))
    if not ops:
        raise MotifError(f"edge {edge!r} has no alive ops to reserve from")
    points = []
    for i in range(len(ops)):
        trial = dict(alive)
        trial[edge] = ops[:i] + ops[i + 1 :]
        if space == "nb201":
            points.append(effective_depth_width_prob(nb201_supernet_probs(trial), 4))
        else:
            points.append(effective_depth_width_prob(darts_supernet_probs(trial), 7, sources=(0, 1)))
    return tuple(ops[i] for i in reserve_near_centroid(points, k))
