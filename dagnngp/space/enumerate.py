"""Lazy enumeration of motif spaces by index range, constraints and isomorphism classes.

>>> decode_range(3, 5, 7).tolist()
[[0, 1, 2], [0, 2, 0]]
>>> index_of("0_12"), encode_indices(decode_range(4, 100, 103)).tolist()
(5, [100, 101, 102])
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from dagnngp.motif import Motif, Op

__all__ = [
    "MAX_NODES",
    "MotifSpace",
    "canonical_indices",
    "decode_range",
    "encode_indices",
    "index_of",
    "n_edges",
    "structure",
]

#: Largest number of nodes whose space is indexed (3^28 motifs still fit an int64 index).
MAX_NODES = 8


def n_edges(n_nodes: int) -> int:
    """Number of edges (possible ``s -> t`` with ``s < t``) of a motif with ``n_nodes`` nodes.

    >>> n_edges(6), 3 ** n_edges(6)
    (15, 14348907)
    """
    return n_nodes * (n_nodes - 1) // 2


def _check_nodes(n_nodes: object) -> int:
    if isinstance(n_nodes, bool) or not isinstance(n_nodes, int | np.integer):
        raise ValueError(f"n_nodes must be an int, got {type(n_nodes).__name__}")
    n = int(n_nodes)
    if not 2 <= n <= MAX_NODES:
        raise ValueError(f"n_nodes={n} is out of range: motif spaces are indexed for 2..{MAX_NODES} nodes")
    return n


@lru_cache(maxsize=16)
def _edge_list(n: int) -> tuple[tuple[int, int], ...]:
    """``(s, t)`` of each edge position, in motif-string order (by target, then source)."""
    return tuple((s, t) for t in range(1, n) for s in range(t))


@lru_cache(maxsize=16)
def _powers(n: int) -> np.ndarray:
    e = n_edges(n)
    return 3 ** np.arange(e - 1, -1, -1, dtype=np.int64)


def _check_range(n: int, start: object, stop: object) -> tuple[int, int]:
    size = 3 ** n_edges(n)
    for name, v in (("start", start), ("stop", stop)):
        if isinstance(v, bool) or not isinstance(v, int | np.integer):
            raise ValueError(f"{name} must be an int, got {type(v).__name__}")
    a, b = int(start), int(stop)
    if not 0 <= a <= b <= size:
        raise ValueError(f"index range [{a}, {b}) is not inside the {n}-node space [0, {size})")
    return a, b


def decode_range(n_nodes: int, start: int, stop: int) -> np.ndarray:
    """Edge codes (int8, one row per motif) of the motifs with index ``start <= k < stop``.

    >>> decode_range(2, 0, 3).tolist()
    [[0], [1], [2]]
    """
    n = _check_nodes(n_nodes)
    a, b = _check_range(n, start, stop)
    idx = np.arange(a, b, dtype=np.int64)
    return ((idx[:, None] // _powers(n)[None, :]) % 3).astype(np.int8)


def encode_indices(codes: np.ndarray) -> np.ndarray:
    """Indices (int64) of rows of edge codes; the inverse of :func:`decode_range`.

    >>> encode_indices(np.array([[2, 2, 1, 1, 1, 2]])).tolist()
    [689]
    """
    codes = np.asarray(codes)
    if codes.ndim != 2:
        raise ValueError(f"codes must be a 2-D (M, n_edges) array, got shape {codes.shape}")
    n = _nodes_of(codes.shape[1])
    return codes.astype(np.int64) @ _powers(n)


def _nodes_of(e: int) -> int:
    n = int(round((1 + np.sqrt(1 + 8 * e)) / 2))
    if n_edges(n) != e or not 2 <= n <= MAX_NODES:
        raise ValueError(f"a row of {e} edge codes matches no motif of 2..{MAX_NODES} nodes")
    return n


def index_of(motif: Motif | str) -> int:
    """The index of a motif in the space of its size.

    >>> index_of("2_21_112"), index_of(Motif.parse("0_00"))
    (689, 0)
    """
    m = Motif.coerce(motif)
    _check_nodes(m.n_nodes)
    digits = [int(op) for row in m.ops for op in row]
    return int(sum(d * 3**k for k, d in enumerate(reversed(digits))))


def motif_of(n_nodes: int, index: int) -> Motif:
    """The motif with ``index`` in the ``n_nodes``-node space.

    >>> str(motif_of(4, 689))
    '2_21_112'
    """
    n = _check_nodes(n_nodes)
    row = decode_range(n, index, index + 1)[0]
    rows, k = [], 0
    for t in range(1, n):
        rows.append(tuple(Op(int(d)) for d in row[k:k + t]))
        k += t
    return Motif(tuple(rows))


def structure(codes: np.ndarray) -> dict[str, np.ndarray]:
    """Structural columns of rows of edge codes, vectorised.

    ``has_path`` (an input-output path exists), ``n_linear`` (linear edges), ``n_linear_path``
    (linear edges on an input-output path: the trainable ones), ``n_edges`` (non-zero edges),
    ``max_in_degree`` (non-zero edges into one node) and ``merges_unequal`` (a linear
    edge on an input-output path reads a node reached by input paths of unequal depths: where
    the paper's rule (12) differs from its own recursion, see :mod:`dagnngp.proofs_check.audit`).

    >>> s = structure(np.array([[1, 1, 2, 0, 0, 2], [2, 2, 1, 1, 1, 2]], dtype=np.int8))
    >>> s["merges_unequal"].tolist(), s["n_linear"].tolist(), s["max_in_degree"].tolist()
    ([True, False], [2, 3], [2, 3])
    """
    codes = np.asarray(codes)
    n = _nodes_of(codes.shape[1])
    m = codes.shape[0]
    edges = _edge_list(n)
    col = {st: k for k, st in enumerate(edges)}
    nz = codes != 0
    lin = codes == 2
    # bit d of depth[t]: an input path to t with d linear edges exists
    depth = np.zeros((n, m), dtype=np.int64)
    depth[0] = 1
    indeg = np.zeros((n, m), dtype=np.int64)
    for t in range(1, n):
        for s in range(t):
            k = col[(s, t)]
            shifted = np.where(lin[:, k], depth[s] << 1, depth[s])
            depth[t] |= np.where(nz[:, k], shifted, 0)
            indeg[t] += nz[:, k]
    reach_out = np.zeros((n, m), dtype=bool)
    reach_out[n - 1] = True
    for s in range(n - 2, -1, -1):
        for t in range(s + 1, n):
            reach_out[s] |= nz[:, col[(s, t)]] & reach_out[t]
    on_path = (depth != 0) & reach_out
    multi = (depth & (depth - 1)) != 0  # more than one bit set
    merges = np.zeros(m, dtype=bool)
    lin_path = np.zeros(m, dtype=np.int64)
    for (s, t), k in col.items():
        used = lin[:, k] & on_path[s] & on_path[t]
        lin_path += used
        merges |= used & multi[s]
    return {
        "has_path": depth[n - 1] != 0,
        "n_linear": lin.sum(axis=1).astype(np.int64),
        "n_linear_path": lin_path,
        "n_edges": nz.sum(axis=1).astype(np.int64),
        "max_in_degree": indeg.max(axis=0),
        "merges_unequal": merges,
    }


@lru_cache(maxsize=8)
def _relabellings(n: int) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """Per relabelling of the intermediate nodes: (weights of each old edge in the new index, the
    old edges that point backwards after relabelling and so must be zero for it to be valid)."""
    edges = _edge_list(n)
    pos = {st: k for k, st in enumerate(edges)}
    powers = _powers(n)
    out = []
    for perm in itertools.permutations(range(1, n - 1)):
        new = (0, *perm, n - 1)
        weights = np.zeros(len(edges), dtype=np.int64)
        backwards = []
        for k, (s, t) in enumerate(edges):
            a, b = new[s], new[t]
            if a < b:
                weights[k] = powers[pos[(a, b)]]
            else:
                backwards.append(k)
        out.append((weights, np.asarray(backwards, dtype=np.int64)))
    return tuple(out)


def canonical_indices(codes: np.ndarray, batch: int = 1 << 15) -> tuple[np.ndarray, np.ndarray]:
    """Canonical index and class size of each row of edge codes.

    Two motifs are isomorphic when a relabelling of the intermediate nodes (input and output fixed)
    maps the edges of one onto the other, edge types kept.  The canonical index of a motif is the
    smallest index in its class; the class size is the number of labelled motifs in it.

    >>> canon, size = canonical_indices(np.array([[1, 2, 0, 0, 0, 2], [2, 1, 0, 0, 2, 0]], dtype=np.int8))
    >>> canon.tolist(), size.tolist()
    ([407, 407], [2, 2])
    """
    codes = np.asarray(codes)
    n = _nodes_of(codes.shape[1])
    m = codes.shape[0]
    canon = np.empty(m, dtype=np.int64)
    size = np.empty(m, dtype=np.int64)
    rel = _relabellings(n)
    invalid = np.iinfo(np.int64).max
    for a in range(0, m, batch):
        c = codes[a:a + batch].astype(np.int64)
        images = np.empty((c.shape[0], len(rel)), dtype=np.int64)
        for j, (weights, backwards) in enumerate(rel):
            img = c @ weights
            if backwards.size:
                img[(c[:, backwards] != 0).any(axis=1)] = invalid
            images[:, j] = img
        images.sort(axis=1)
        canon[a:a + batch] = images[:, 0]
        distinct = (images[:, 1:] != images[:, :-1]) & (images[:, 1:] != invalid)
        size[a:a + batch] = 1 + distinct.sum(axis=1)
    return canon, size


def _bounds(value: object, name: str) -> tuple[int, int] | None:
    if value is None:
        return None
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return int(value), int(value)
    if isinstance(value, tuple | list) and len(value) == 2 and all(
            isinstance(v, int | np.integer) and not isinstance(v, bool) for v in value):
        return int(value[0]), int(value[1])
    raise ValueError(f"{name} must be an int or a (low, high) pair of ints, got {value!r}")


@dataclass(frozen=True)
class MotifSpace:
    """All motifs with ``n_nodes`` nodes, optionally restricted, as index ranges decoded on demand.

    Constraints: ``has_path`` (True: only motifs with an input-output path; False: only those
    without), ``n_linear`` (an int or an inclusive ``(low, high)`` range of linear edges) and
    ``max_in_degree`` (at most this many non-zero edges into any node).  With ``classes=True``
    only the canonical representative of each isomorphism class is kept, weighted by its class size.

    >>> sp = MotifSpace(5, has_path=True, n_linear=(0, 2))
    >>> idx, codes, weight = sp.select(0, 3**6)
    >>> len(idx), int(weight.sum()), sp.block
    (304, 304, 81)
    """

    n_nodes: int
    has_path: bool | None = None
    n_linear: int | tuple[int, int] | None = None
    max_in_degree: int | None = None
    classes: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "n_nodes", _check_nodes(self.n_nodes))
        if self.has_path not in (None, True, False):
            raise ValueError(f"has_path must be True, False or None, got {self.has_path!r}")
        b = _bounds(self.n_linear, "n_linear")
        object.__setattr__(self, "n_linear", b)
        if self.max_in_degree is not None:
            v = self.max_in_degree
            if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 0:
                raise ValueError(f"max_in_degree must be an int >= 0, got {v!r}")
            object.__setattr__(self, "max_in_degree", int(v))
        object.__setattr__(self, "classes", bool(self.classes))

    @property
    def size(self) -> int:
        """Number of labelled motifs in the unrestricted space, ``3^(n(n-1)/2)``."""
        return 3 ** n_edges(self.n_nodes)

    @property
    def block(self) -> int:
        """Motifs that share every edge except those into the output (``3^(n-1)``); chunks are
        multiples of it so that a kernel can compute the shared part once per block."""
        return 3 ** (self.n_nodes - 1)

    def describe(self) -> dict[str, object]:
        """The space's parameters as a JSON-ready dict."""
        return {"n_nodes": self.n_nodes, "has_path": self.has_path,
                "n_linear": list(self.n_linear) if self.n_linear else None,
                "max_in_degree": self.max_in_degree, "classes": self.classes}

    def chunks(self, chunk_size: int = 1 << 20) -> list[tuple[int, int]]:
        """``(start, stop)`` index ranges covering the space, each a multiple of :attr:`block` long
        (the last one may be shorter only when the space is smaller than one block)."""
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, int | np.integer) or chunk_size < 1:
            raise ValueError(f"chunk_size must be an int >= 1, got {chunk_size!r}")
        step = max(self.block, (int(chunk_size) // self.block) * self.block)
        return [(a, min(a + step, self.size)) for a in range(0, self.size, step)]

    def mask(self, codes: np.ndarray, struct: dict[str, np.ndarray] | None = None) -> np.ndarray:
        """Which rows of ``codes`` satisfy the constraints (classes aside)."""
        s = structure(codes) if struct is None else struct
        keep = np.ones(codes.shape[0], dtype=bool)
        if self.has_path is not None:
            keep &= s["has_path"] == self.has_path
        if self.n_linear is not None:
            lo, hi = self.n_linear
            keep &= (s["n_linear"] >= lo) & (s["n_linear"] <= hi)
        if self.max_in_degree is not None:
            keep &= s["max_in_degree"] <= self.max_in_degree
        return keep

    def select(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(indices, codes, weights)`` of the motifs in ``[start, stop)`` that the space keeps;
        ``weights`` are class sizes with ``classes=True``, else ones.

        Constraints depend only on the isomorphism class, so a class is kept or dropped whole.
        """
        idx, codes, weights, _ = self.select_structure(start, stop)
        return idx, codes, weights

    def select_structure(self, start: int, stop: int
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        """:meth:`select` and the :func:`structure` columns of the kept motifs."""
        codes = decode_range(self.n_nodes, start, stop)
        struct = structure(codes)
        keep = self.mask(codes, struct)
        idx = np.arange(start, stop, dtype=np.int64)
        if not keep.all():
            idx, codes = idx[keep], codes[keep]
            struct = {k: v[keep] for k, v in struct.items()}
        if not self.classes:
            return idx, codes, np.ones(idx.size, dtype=np.int64), struct
        canon, size = canonical_indices(codes)
        rep = canon == idx
        return idx[rep], codes[rep], size[rep], {k: v[rep] for k, v in struct.items()}

    def count(self, weighted: bool = False, chunk_size: int = 1 << 18) -> int:
        """Number of motifs kept (classes with ``classes=True``; their labelled members if ``weighted``)."""
        total = 0
        for a, b in self.chunks(chunk_size):
            _, _, w = self.select(a, b)
            total += int(w.sum()) if weighted else int(w.size)
        return total

    def motifs(self, start: int = 0, stop: int | None = None) -> Iterator[Motif]:
        """The kept motifs with index in ``[start, stop)`` as :class:`~dagnngp.Motif` objects, lazily."""
        stop = self.size if stop is None else stop
        for a in range(start, stop, self.block):
            idx, _, _ = self.select(a, min(a + self.block, stop))
            for k in idx:
                yield motif_of(self.n_nodes, int(k))


