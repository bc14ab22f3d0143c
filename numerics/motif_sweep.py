"""Batched motif sweeps: bounds and path statistics of many motifs at once.

:func:`sweep` evaluates, for an array of motifs with the same number of nodes
and a handful of correlations ``C`` of two unit-norm centred inputs, the
output's 2x2 least eigenvalue (the gap of Lemma 3.3), rule (12), the number of
paths ``P``, the histogram of ``d_p`` and the effective depth and width
``(d_bar, m_bar)``, in one compiled, parallel pass.

Motifs are integer-coded: one row per motif listing its edge ops (0 zero,
1 skip, 2 linear) in the order of the motif string (``"2_21_112"`` is the row
``[2, 2, 1, 1, 1, 2]``).  :func:`all_motifs` enumerates a complete space.

The compiled kernel lives in :mod:`dagnngp.numerics.numba_sweep` and is imported on
first use, so importing this module does not load Numba.

>>> res = sweep(["2_02_002", "1_01_222", "2_21_112"], [0.5], model="paper")
>>> res.gap[:, 0].round(5).tolist()
[0.26187, 1.17301, 1.52319]
>>> res.n_paths.tolist(), res.d_bar.tolist()
([1, 3, 4], [3.0, 1.0, 1.25])
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from dagnngp.motif import Motif, MotifError, Op
from dagnngp.numerics.validate import check_c_sigma, check_model

__all__ = [
    "MAX_SWEEP_NODES",
    "SweepResult",
    "all_motifs",
    "decode_motif",
    "encode_motifs",
    "iter_motifs",
    "sweep",
]

#: ``all_motifs`` refuses larger spaces (3^21 motifs for 7 nodes do not fit in memory).
MAX_SWEEP_NODES = 6


def _n_edges(n_nodes: int) -> int:
    return n_nodes * (n_nodes - 1) // 2


def _check_nodes(n_nodes: object, limit: int = MAX_SWEEP_NODES) -> int:
    if isinstance(n_nodes, bool) or not isinstance(n_nodes, int | np.integer):
        raise ValueError(f"n_nodes must be an int, got {type(n_nodes).__name__}")
    n = int(n_nodes)
    if not 2 <= n <= limit:
        raise ValueError(
            f"n_nodes={n} is out of range: complete motif spaces are enumerated for 2..{limit} "
            f"nodes (3^{_n_edges(max(n, 2))} motifs); pass explicit motifs for larger cells"
        )
    return n


def all_motifs(n_nodes: int) -> np.ndarray:
    """Every motif with ``n_nodes`` nodes, as an int8 array of edge codes, in string order.

    Row ``k`` is the base-3 digits of ``k`` (first edge most significant), so
    rows are sorted like the motif strings.

    >>> codes = all_motifs(3)
    >>> codes.shape, codes[5].tolist(), str(decode_motif(codes[5]))
    ((27, 3), [0, 1, 2], '0_12')
    """
    n = _check_nodes(n_nodes)
    e = _n_edges(n)
    idx = np.arange(3**e, dtype=np.int64)
    powers = 3 ** np.arange(e - 1, -1, -1, dtype=np.int64)
    return ((idx[:, None] // powers[None, :]) % 3).astype(np.int8)


def iter_motifs(n_nodes: int) -> Iterator[Motif]:
    """Every motif with ``n_nodes`` nodes as :class:`~dagnngp.Motif` objects, lazily, in string order.

    >>> [str(m) for m in itertools.islice(iter_motifs(3), 3)]
    ['0_00', '0_01', '0_02']
    """
    n = _check_nodes(n_nodes, limit=8)
    for digits in itertools.product((Op.ZERO, Op.SKIP, Op.LINEAR), repeat=_n_edges(n)):
        yield _motif_from_digits(n, digits)


def _motif_from_digits(n: int, digits: Sequence[Op]) -> Motif:
    rows, k = [], 0
    for t in range(1, n):
        rows.append(tuple(digits[k:k + t]))
        k += t
    return Motif(tuple(rows))


def _nodes_from_edges(n_edges: int) -> int:
    n = int(round((1 + np.sqrt(1 + 8 * n_edges)) / 2))
    if _n_edges(n) != n_edges or n < 2:
        raise ValueError(
            f"a row of {n_edges} edge codes matches no motif: a motif with n nodes has "
            "n(n-1)/2 edges (1, 3, 6, 10, 15, ...)"
        )
    return n


def decode_motif(code: Sequence[int] | np.ndarray) -> Motif:
    """The :class:`~dagnngp.Motif` of one row of edge codes.

    >>> decode_motif([2, 2, 1, 1, 1, 2])
    Motif('2_21_112')
    """
    row = np.asarray(code).ravel()
    n = _nodes_from_edges(row.size)
    return _motif_from_digits(n, [Op.coerce(int(v), where=f"edge code {k}") for k, v in enumerate(row)])


def encode_motifs(motifs: Iterable[Motif | str]) -> np.ndarray:
    """Rows of edge codes for motifs with a common number of nodes.

    >>> encode_motifs(["2_21_112", "1_01_222"]).tolist()
    [[2, 2, 1, 1, 1, 2], [1, 0, 1, 2, 2, 2]]
    """
    rows: list[list[int]] = []
    n_nodes = None
    for item in motifs:
        m = item if isinstance(item, Motif) else Motif.parse(item) if isinstance(item, str) else None
        if m is None:
            raise MotifError(f"expected a Motif or a motif string, got {type(item).__name__}")
        if n_nodes is None:
            n_nodes = m.n_nodes
        elif m.n_nodes != n_nodes:
            raise ValueError(
                f"all motifs of one sweep need the same number of nodes; {m} has {m.n_nodes}, "
                f"the first had {n_nodes} (sweep each size separately)"
            )
        rows.append([int(op) for row in m.ops for op in row])
    if not rows:
        raise ValueError("no motifs given; pass at least one motif")
    return np.asarray(rows, dtype=np.int8)


@dataclass
class SweepResult:
    """Arrays of a sweep over ``M`` motifs and ``K`` correlations.

    ``gap``, ``rule12``, ``diagonal``, ``offdiagonal`` and ``output_mean`` are
    ``(M, K)``: the output's 2x2 least eigenvalue, rule (12), ``K_ii``, ``K_ij``
    and mean.  ``depth_counts[k, d]`` is the number of input-to-output paths
    of motif ``k`` with ``d`` linear edges; ``n_paths``, ``d_bar`` and ``m_bar``
    are ``(M,)`` (``d_bar = m_bar = 0`` where ``P = 0`` or ``d_bar = 0``, as in
    :meth:`Motif.effective_depth_width`).
    """

    n_nodes: int
    model: str
    C: np.ndarray
    codes: np.ndarray
    gap: np.ndarray
    rule12: np.ndarray
    diagonal: np.ndarray
    offdiagonal: np.ndarray
    output_mean: np.ndarray
    depth_counts: np.ndarray
    n_paths: np.ndarray
    d_bar: np.ndarray
    m_bar: np.ndarray

    def __len__(self) -> int:
        return int(self.codes.shape[0])

    def motif(self, k: int) -> Motif:
        """The :class:`~dagnngp.Motif` of row ``k``."""
        return decode_motif(self.codes[k])

    def motif_strings(self, rows: Iterable[int] | None = None) -> list[str]:
        """Motif strings of ``rows`` (all rows by default)."""
        rows = range(len(self)) if rows is None else rows
        return [str(self.motif(int(k))) for k in rows]

    def to_frame(self) -> Any:
        """One row per motif and correlation ``C`` as a pandas DataFrame (pandas is optional).

        Columns: ``motif``, ``C``, ``gap``, ``rule12``, ``diagonal``, ``offdiagonal``,
        ``output_mean``, ``n_paths``, ``d_bar``, ``m_bar``.

        >>> sweep(2, [0.0, 0.5]).to_frame().shape  # doctest: +SKIP
        (6, 10)
        """
        from dagnngp.tables import data_frame

        k = self.C.shape[0]
        rep = lambda a: np.repeat(np.asarray(a), k)  # noqa: E731 -- per-motif columns, one row per C
        return data_frame({
            "motif": np.repeat(np.array(self.motif_strings(), dtype=object), k),
            "C": np.tile(self.C, len(self)),
            **{name: getattr(self, name).reshape(-1)
               for name in ("gap", "rule12", "diagonal", "offdiagonal", "output_mean")},
            "n_paths": rep(self.n_paths), "d_bar": rep(self.d_bar), "m_bar": rep(self.m_bar),
        })


def _as_codes(motifs: object) -> np.ndarray:
    if isinstance(motifs, int | np.integer) and not isinstance(motifs, bool):
        return all_motifs(int(motifs))
    if isinstance(motifs, Motif | str):
        return encode_motifs([motifs])
    if isinstance(motifs, np.ndarray) and motifs.dtype.kind in "iu":
        codes = motifs[None, :] if motifs.ndim == 1 else motifs
        if codes.ndim != 2:
            raise ValueError(f"motif codes must be a 2-D (M, n_edges) array, got shape {motifs.shape}")
        _nodes_from_edges(codes.shape[1])
        if codes.size and (codes.min() < 0 or codes.max() > 2):
            raise ValueError("motif codes must be 0 (zero), 1 (skip) or 2 (linear)")
        if codes.shape[0] == 0:
            raise ValueError("no motifs given; pass at least one motif")
        return codes.astype(np.int8, copy=False)
    return encode_motifs(motifs)  # type: ignore[arg-type]


def sweep(
    motifs: object,
    C: object,
    model: str = "exact",
    c_sigma: float = 2.0,
    sigma_b: float = 0.0,
    edge: str = "post",
) -> SweepResult:
    """Bounds and path statistics of many motifs at correlations ``C``, compiled.

    Parameters
    ----------
    motifs:
        An int ``n_nodes`` (every motif of that size, see :func:`all_motifs`),
        an ``(M, n_edges)`` integer array of edge codes, or a sequence of
        :class:`~dagnngp.Motif` / motif strings with a common number of nodes.
    C:
        A correlation or a 1-D array of correlations in ``[-1, 1]`` of the two
        unit-norm, centred inputs.
    model:
        ``"exact"`` (the true infinite-width limit) or ``"paper"``.
    edge:
        ``"post"`` (the paper's edges, default) or ``"pre"`` (activation before the
        weights: every mean is zero and ``sigma_b^2`` is added after the dual map).

    Rule (12) is the paper's ``sum_p (1 - h^{d_p}(C))`` (independent of
    ``model``, ``c_sigma`` and ``sigma_b``).  Gaps are carried as ``K_ii - K_ij``
    through the recursion, so they keep their relative accuracy as ``C -> 1``.

    >>> res = sweep(4, [0.0, 0.5])
    >>> len(res), res.gap.shape
    (729, (729, 2))
    """
    check_model(model)
    if edge not in ("post", "pre"):
        raise ValueError(f"edge={edge!r} is not known; use 'post' or 'pre'")
    c_sigma = check_c_sigma(c_sigma)
    sigma_b = float(sigma_b)
    if not np.isfinite(sigma_b) or sigma_b < 0:
        raise ValueError(f"sigma_b must be a finite number >= 0, got {sigma_b!r}")
    try:
        Cs = np.atleast_1d(np.asarray(C, dtype=np.float64))
    except (TypeError, ValueError):
        raise ValueError(f"C must be a number or a 1-D array of numbers, got {C!r}") from None
    if Cs.ndim != 1 or Cs.size == 0:
        raise ValueError(f"C must be a number or a non-empty 1-D array, got shape {Cs.shape}")
    if not np.all(np.isfinite(Cs)) or np.any(np.abs(Cs) > 1):
        raise ValueError("every correlation C must be finite and lie in [-1, 1]")
    codes = _as_codes(motifs)
    n_nodes = _nodes_from_edges(codes.shape[1])

    from dagnngp.numerics.numba_sweep import sweep_kernel  # compiled on first use

    arrays = sweep_kernel(codes, n_nodes, Cs, model, c_sigma, sigma_b, edge)
    counts = arrays["depth_counts"]
    n_paths = counts.sum(axis=1)
    depth_sum = counts @ np.arange(counts.shape[1])
    parametrised = n_paths - counts[:, 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        d_bar = np.where(depth_sum > 0, depth_sum / np.maximum(n_paths, 1), 0.0)
        m_bar = np.where(depth_sum > 0, parametrised * n_paths / np.maximum(depth_sum, 1), 0.0)
    return SweepResult(
        n_nodes=n_nodes, model=model, C=Cs, codes=codes,
        gap=arrays["gap"], rule12=arrays["rule12"], diagonal=arrays["diagonal"],
        offdiagonal=arrays["offdiagonal"], output_mean=arrays["output_mean"],
        depth_counts=counts, n_paths=n_paths, d_bar=d_bar, m_bar=m_bar,
    )
