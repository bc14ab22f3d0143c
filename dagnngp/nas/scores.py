"""Training-free scores of NAS-Bench-201 cells from their infinite-width kernels, and their rank correlations.

A NAS-Bench-201 cell becomes a motif with pre-activation edges (``edge="pre"``):

* ``nor_conv_1x1`` / ``nor_conv_3x3`` are ReLU-Conv-BN, a ReLU *before* a fresh
  linear map: a pre-activation linear edge ``sqrt(c/m) W relu(X_s)``.  In the
  infinite-channel limit a convolution's kernel on one spatial position is a
  dense layer's, and batch normalisation at initialisation only rescales its
  output, which ``c_sigma = 2`` fixes (convolutions have no bias: ``sigma_b = 0``);
* ``skip_connect`` is a skip edge, ``none`` a zero edge;
* ``avg_pool_3x3`` has no parameters and is linear: in the infinite-channel limit
  it is a fixed averaging of each channel over a 3x3 window.  The motif kernels
  carry no spatial structure (an input is one position), and on one position
  the average is the position itself, so pooling is a skip edge of weight
  ``pool_weight = 1`` by default.  On spatially white inputs it would scale the
  variance by 1/9 (weight 1/3); images are strongly correlated across
  neighbouring pixels, so the default keeps weight 1, and ``pool_weight`` lets
  users change it (pooling and skip then differ);
* node 0, the previous cell's output, is a centred Gaussian field with
  covariance ``K0`` (the convention of ``edge="pre"``).

The scores are computed on a fixed small input set (:func:`score_gram`) from the
NTK with a trained readout (:func:`dagnngp.numerics.ntk`, ``readout=True``) and
the NNGP of the cell's output node: condition number ``lambda_max/lambda_min``,
``lambda_min`` and ``lambda_max``, ``lambda_min`` over the mean diagonal, and the
normalised 2x2 gap (the least eigenvalue of a 2x2 principal block, minimised over
input pairs, over the mean diagonal).  A cell whose output has no path from its
input has a zero kernel: its scores are NaN, and it is left out of every
correlation (the report counts such rows).

>>> K0 = score_gram(4)
>>> s = kernel_scores(nb201_kernel_motif("|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|"
...                                      "+|skip_connect~0|none~1|skip_connect~2|"), K0)
>>> sorted(s) == sorted(KERNEL_SCORES), bool(s["ntk_cond"] > 1)
(True, True)
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache

import numpy as np

from dagnngp.motif import Motif, MotifError, Op
from dagnngp.nas.cells import NB201Cell, OpClass, op_class, parse_nb201
from dagnngp.nas.evaluate import read_columns

__all__ = [
    "NB201_EDGE",
    "KERNEL_SCORES",
    "ACCURACY_COLUMNS",
    "ZERO_COST_PROXIES",
    "score_gram",
    "nb201_kernel_motif",
    "stack_cells",
    "kernel_scores",
    "cell_kernel_scores",
    "rank_correlation",
    "score_report",
]

#: Edge convention of NAS-Bench-201 cells: ReLU-Conv-BN is a pre-activation linear edge.
NB201_EDGE = "pre"

#: Score names: ``{ntk,nngp}_{cond,lambda_min,lambda_max,lambda_min_norm,gap2_norm}``.
KERNEL_SCORES: tuple[str, ...] = tuple(
    f"{k}_{s}" for k in ("ntk", "nngp") for s in ("cond", "lambda_min", "lambda_max", "lambda_min_norm",
                                                  "gap2_norm")
)

#: Accuracy columns of ``nb201_12epoch_accuracy.csv`` the report correlates with.
ACCURACY_COLUMNS: tuple[str, ...] = ("cifar10-test", "cifar100-test", "imagenet-test")

#: Zero-cost proxy columns of ``nb201_zero_cost_725.csv``.
ZERO_COST_PROXIES: tuple[str, ...] = ("flops", "params", "synflow", "grasp", "fisher", "grad_norm",
                                      "l2_norm", "plain", "nwot", "epe_nas", "jacov", "snip")


def score_gram(n: int = 8, correlation: float = 0.5, dim: int = 64, seed: int = 0) -> np.ndarray:
    """The fixed input set: Gram of ``n`` unit-norm inputs with pairwise correlations near ``correlation``.

    ``x_i = sqrt(rho) z_0 + sqrt(1 - rho) z_i`` with ``z`` standard normal in
    ``dim`` dimensions (seeded), each normalised to unit norm; ``K0 = X X^T``.

    >>> K0 = score_gram(3); K0.shape, bool(np.allclose(np.diag(K0), 1.0))
    ((3, 3), True)
    """
    if isinstance(n, bool) or not isinstance(n, int) or not 2 <= n <= 4096:
        raise ValueError(f"the number of inputs must be an int in 2..4096, got {n!r}")
    if isinstance(dim, bool) or not isinstance(dim, int) or not n <= dim <= 1_000_000:
        raise ValueError(f"dim must be an int from n={n} to 1e6 (a full-rank Gram), got {dim!r}")
    rho = float(correlation)
    if not 0.0 <= rho < 1.0:
        raise ValueError(f"correlation must lie in [0, 1), got {correlation!r}")
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n + 1, dim))
    X = math.sqrt(rho) * z[:1] + math.sqrt(1.0 - rho) * z[1:]
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    K0 = X @ X.T
    np.fill_diagonal(K0, 1.0)
    return K0


def _is_pool(name: str) -> bool:
    return "pool" in name


def nb201_kernel_motif(cell: str | NB201Cell, pool_weight: float = 1.0, n_cells: int = 1) -> Motif:
    """The motif whose kernels stand for a NAS-Bench-201 cell (evaluate it with ``edge="pre"``).

    Convolutions are linear edges, ``skip_connect`` a skip, pooling a skip of
    weight ``pool_weight``, ``none`` no edge; ``n_cells > 1`` chains that many
    copies of the cell (see :func:`stack_cells`).

    >>> str(nb201_kernel_motif("|nor_conv_1x1~0|+|skip_connect~0|avg_pool_3x3~1|", pool_weight=0.5))
    '2_11(0.5)'
    """
    c = parse_nb201(cell)
    w = float(pool_weight)
    if not math.isfinite(w) or w <= 0:
        raise MotifError(f"pool_weight must be a positive finite number, got {pool_weight!r}")
    edges: dict[tuple[int, int], object] = {}
    for (s, t), name in c.labels.items():
        cls = op_class(name)
        if cls is OpClass.NONE:
            continue
        if cls is OpClass.PARAM:
            edges[(s, t)] = Op.LINEAR
        else:
            edges[(s, t)] = (Op.SKIP, w) if _is_pool(name) and w != 1.0 else Op.SKIP
    return stack_cells(Motif.from_edges(c.n_nodes, edges), n_cells)


def stack_cells(motif: Motif | str, n_cells: int) -> Motif:
    """``n_cells`` copies of ``motif`` in a chain: each copy's output node is the next copy's input.

    >>> str(stack_cells("2_12", 2))
    '2_12_002_0012'
    """
    m = Motif.coerce(motif)
    if isinstance(n_cells, bool) or not isinstance(n_cells, int | np.integer) or n_cells < 1:
        raise MotifError(f"n_cells must be a positive int, got {n_cells!r}")
    if n_cells == 1:
        return m
    step = m.n_nodes - 1
    edges = {(s + k * step, t + k * step): (op, m.weight(s, t))
             for k in range(int(n_cells)) for s, t, op in m.edges()}
    return Motif.from_edges(step * int(n_cells) + 1, edges)


def _matrix_scores(M: np.ndarray, prefix: str) -> dict[str, float]:
    lam = np.linalg.eigvalsh(M)
    lmin, lmax = float(lam[0]), float(lam[-1])
    scale = float(np.mean(np.diag(M)))
    a, c = np.diag(M)[:, None], np.diag(M)[None, :]
    pair = (a + c) / 2 - np.sqrt(((a - c) / 2) ** 2 + M * M)  # 2x2 least eigenvalue of every pair
    np.fill_diagonal(pair, np.inf)
    return {f"{prefix}_cond": lmax / lmin if lmin > 0 else math.inf, f"{prefix}_lambda_min": lmin,
            f"{prefix}_lambda_max": lmax, f"{prefix}_lambda_min_norm": lmin / scale,
            f"{prefix}_gap2_norm": float(pair.min()) / scale}


def kernel_scores(motif: Motif | str, K0: np.ndarray, *, edge: str = NB201_EDGE,
                  c_sigma: float = 2.0) -> dict[str, float]:
    """The :data:`KERNEL_SCORES` of one motif on the input Gram ``K0``; all NaN if the output is unreachable.

    >>> s = kernel_scores("2_02_002", score_gram(4)); round(s["nngp_lambda_max"] / s["nngp_lambda_min"], 6) \\
    ...     == round(s["nngp_cond"], 6)
    True
    >>> math.isnan(kernel_scores("2_00_000", score_gram(4))["ntk_cond"])
    True
    """
    from dagnngp.numerics import ntk

    m = Motif.coerce(motif)
    if m.n_paths == 0:
        return dict.fromkeys(KERNEL_SCORES, math.nan)
    res = ntk(m, K0, readout=True, edge=edge, c_sigma=c_sigma, backend="numpy")
    return {**_matrix_scores(np.asarray(res.ntk), "ntk"), **_matrix_scores(np.asarray(res.nngp), "nngp")}


def cell_kernel_scores(cells: Iterable[str | NB201Cell], K0: np.ndarray | None = None, *,
                       pool_weight: float = 1.0, n_cells: int = 1) -> dict[str, np.ndarray]:
    """Each of :data:`KERNEL_SCORES` for every cell, as arrays in the cells' order.

    Cells that map to the same motif share one kernel evaluation (the 15,625
    cells of NAS-Bench-201 are 729 motifs with the default ``pool_weight``).

    >>> cells = ["|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|none~0|none~1|nor_conv_3x3~2|",
    ...          "|nor_conv_1x1~0|+|none~0|nor_conv_3x3~1|+|none~0|none~1|nor_conv_1x1~2|"]
    >>> out = cell_kernel_scores(cells, score_gram(4))
    >>> out["ntk_cond"].shape, bool(out["ntk_cond"][0] == out["ntk_cond"][1])
    ((2,), True)
    """
    K0 = np.ascontiguousarray(score_gram() if K0 is None else K0, dtype=np.float64)
    k0_key = (K0.tobytes(), K0.shape[0])
    rows = [_cached_scores(str(nb201_kernel_motif(cell, pool_weight, n_cells)), *k0_key) for cell in cells]
    return {name: np.array([r[name] for r in rows], dtype=float) for name in KERNEL_SCORES}


@lru_cache(maxsize=16384)
def _cached_scores(motif: str, k0: bytes, n: int) -> dict[str, float]:
    return kernel_scores(motif, np.frombuffer(k0, dtype=np.float64).reshape(n, n))


def rank_correlation(score: Sequence[float], target: Sequence[float]) -> dict[str, float | int]:
    """Kendall's tau-b and Spearman's rho of ``score`` against ``target`` over the rows where both are finite.

    An infinite score (a singular kernel's condition number) ranks above every
    finite one; rows with a NaN score or a non-finite target are left out.  With
    fewer than 3 rows, or a constant column, both coefficients are NaN.

    >>> r = rank_correlation([1, 2, 3, 4], [10, 30, 20, 40])
    >>> round(r["kendall_tau"], 4), round(r["spearman_rho"], 4), r["n"]
    (0.6667, 0.8, 4)
    """
    from scipy import stats

    s, t = np.asarray(score, dtype=float), np.asarray(target, dtype=float)
    if s.shape != t.shape or s.ndim != 1:
        raise ValueError(f"score and target must be 1-D of one length, got shapes {s.shape} and {t.shape}")
    keep = ~np.isnan(s) & np.isfinite(t)
    s, t = s[keep], t[keep]
    n = int(s.size)
    if n < 3 or np.all(s == s[0]) or np.all(t == t[0]):
        return {"kendall_tau": math.nan, "spearman_rho": math.nan, "n": n}
    return {"kendall_tau": float(stats.kendalltau(s, t).statistic),
            "spearman_rho": float(stats.spearmanr(s, t).statistic), "n": n}


def _correlations(scores: Mapping[str, np.ndarray], target: np.ndarray) -> dict[str, dict]:
    return {name: rank_correlation(vals, target) for name, vals in scores.items()}


def score_report(accuracy_file: str | os.PathLike | None = "nb201_12epoch_accuracy.csv",
                 zero_cost_file: str | os.PathLike | None = "nb201_zero_cost_725.csv", *,
                 K0: np.ndarray | None = None, pool_weight: float = 1.0, n_cells: int = 1,
                 limit: int | None = None, accuracy_columns: Sequence[str] = ACCURACY_COLUMNS,
                 proxies: Sequence[str] = ZERO_COST_PROXIES) -> dict:
    """Rank correlations of the kernel scores with accuracy, beside the zero-cost proxies' own.

    ``accuracy_file``: a table with ``arch_str`` and ``accuracy_columns``
    (default the 12-epoch NAS-Bench-201 table); ``zero_cost_file``: a table with
    ``dataset``, ``arch_str``, ``val_accuracy`` and the ``proxies`` (default
    ``nb201_zero_cost_725.csv``), where each proxy's own tau and rho are computed
    per dataset on the same rows as the kernel scores' (rows with an empty proxy
    value are left out of that proxy's figures only).  ``limit`` keeps the first
    rows of each table (of each dataset in the zero-cost table).  Either file may
    be ``None``.  Bad files or columns raise :class:`~dagnngp.nas.DataError`.
    """
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 3):
        raise ValueError(f"limit must be an int of at least 3, got {limit!r}")
    K0 = score_gram() if K0 is None else np.asarray(K0, dtype=float)
    out: dict = {"settings": {"edge": NB201_EDGE, "c_sigma": 2.0, "sigma_b": 0.0, "readout": True,
                              "pool_weight": float(pool_weight), "n_cells": int(n_cells),
                              "n_inputs": int(K0.shape[0]), "limit": limit}}
    if accuracy_file is not None:
        table = read_columns(accuracy_file, ["arch_str"], list(accuracy_columns))
        archs = table["arch_str"][:limit]
        scores = cell_kernel_scores(archs, K0, pool_weight=pool_weight, n_cells=n_cells)
        out["accuracy"] = {
            "file": str(accuracy_file), "n_rows": len(archs),
            "n_disconnected": int(np.isnan(scores["ntk_cond"]).sum()),
            "targets": {col: _correlations(scores, np.array(table[col][:limit])) for col in accuracy_columns},
        }
    if zero_cost_file is not None:
        base = read_columns(zero_cost_file, ["dataset", "arch_str"], ["val_accuracy"])
        by_line = {}
        for proxy in proxies:  # rows with an empty value are left out of that proxy's figures only
            col = read_columns(zero_cost_file, [], [proxy], drop_missing=True)
            by_line[proxy] = dict(zip(col["_line"], col[proxy], strict=True))
        per: dict[str, dict] = {}
        for ds in dict.fromkeys(base["dataset"]):
            idx = [i for i, d in enumerate(base["dataset"]) if d == ds][:limit]
            archs = [base["arch_str"][i] for i in idx]
            acc = np.array([base["val_accuracy"][i] for i in idx])
            scores = cell_kernel_scores(archs, K0, pool_weight=pool_weight, n_cells=n_cells)
            connected = ~np.isnan(scores["ntk_cond"])
            per[ds] = {"n_rows": len(idx), "n_disconnected": int((~connected).sum()),
                       "kernel": _correlations(scores, acc), "proxies": {}}
            for proxy in proxies:
                pv = np.array([by_line[proxy].get(base["_line"][i], math.nan) for i in idx])
                pv[~connected] = math.nan  # the kernel scores' rows
                per[ds]["proxies"][proxy] = rank_correlation(pv, acc)
        out["zero_cost"] = {"file": str(zero_cost_file), "datasets": per}
    return out
