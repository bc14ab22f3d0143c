"""Monte Carlo forward passes of a motif's finite-width network.

The network is the one of the paper's eq. (1)-(2), at width ``m``:

* node 0 holds the inputs: raw inputs ``X`` (N x d, ``d <= m``) are placed in
  the first ``d`` coordinates of the width-``m`` input node (zero padding),
  exactly as :func:`dagnngp.numerics.inputs_to_gram` does, so the input Gram is
  ``K0 = X X^T`` and the normalised input means are ``mu0_i = m^-1/2 sum_k x_ik``;
* ``X_t = sum_{linear s->t} sqrt(c/m) relu(W_st X_s) + sum_{skip s->t} X_s`` with a
  fresh ``m x m`` matrix ``W_st`` of i.i.d. N(0, 1) entries per linear edge and draw.

Padding makes ``mu0`` shrink like ``m^-1/2``.  To test non-centred inputs with a
non-vanishing ``mu0`` (post-ReLU features, as behind the paper code's stem),
pass ``X`` already of dimension ``d = width``.

Two samplers draw from the same distribution:

``"explicit"``
    materialises every ``W`` (``O(m^2 N)`` per linear edge): the reference.
``"gram"``
    never forms ``W``.  Given the features ``F`` (``m x N``) of a node,
    ``W F = (W Q) R`` with ``F = Q R`` a thin QR factorisation; ``W Q`` has
    i.i.d. N(0, 1) entries because ``Q`` has orthonormal columns, so the
    pre-activations are drawn as ``E R`` with ``E`` an ``m x N`` standard normal
    matrix.  Each row is N(0, F^T F); rank-deficient ``F`` (duplicate or zero
    inputs, a node that receives nothing) needs no special case.  Cost ``O(m N^2)``.

>>> res = monte_carlo("2_02_002", [[1.0, 0.0], [0.0, 1.0]], width=256, draws=4, seed=0)
>>> res.mean.shape, res.stderr.shape, sorted(res.nodes)
((2, 2), (2, 2), [0, 1, 2, 3])
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dagnngp.motif import Motif, Op
from dagnngp.numerics.reference import as_motif, inputs_to_gram
from dagnngp.numerics.validate import check_c_sigma
from dagnngp.progress import show_progress

__all__ = ["SAMPLERS", "MonteCarloResult", "forward_features", "monte_carlo"]

#: The available samplers (same distribution, different cost).
SAMPLERS = ("gram", "explicit")


@dataclass
class MonteCarloResult:
    """Empirical kernels of a finite-width motif network, averaged over weight draws.

    Grams are un-normalised inner products ``<X_t,i , X_u,j>`` over the ``m``
    coordinates (the ``sqrt(c/m)`` scaling is inside the network), so they
    converge to :func:`dagnngp.numerics.nngp`'s kernels as ``m`` grows.

    ``mean``/``stderr``: the output node's Gram averaged over draws and its
    standard error (sample std with ``ddof=1`` over ``sqrt(draws)``).
    ``samples``: the output Gram of every draw, shape ``(draws, N, N)``.
    ``nodes[t]``/``nodes_stderr[t]``: every node's Gram.
    ``cross[(t, u)]``/``cross_stderr[(t, u)]``, ``t > u``: cross-Grams ``<X_t,i, X_u,j>``.
    ``means[t]``/``means_stderr[t]``: normalised means ``m^-1/2 sum_k X_t,k``.
    ``K0``, ``mu0``: the input node's Gram and means (what the analytic kernels take).

    Arrays live in the namespace of the inputs: NumPy for NumPy inputs, CuPy (on
    the GPU) for CuPy inputs, and so on.
    """

    motif: Motif
    width: int
    draws: int
    seed: int | None
    sampler: str
    c_sigma: float
    K0: np.ndarray
    mu0: np.ndarray
    mean: np.ndarray
    stderr: np.ndarray
    samples: np.ndarray
    nodes: dict[int, np.ndarray] = field(default_factory=dict)
    nodes_stderr: dict[int, np.ndarray] = field(default_factory=dict)
    cross: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)
    cross_stderr: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)
    means: dict[int, np.ndarray] = field(default_factory=dict)
    means_stderr: dict[int, np.ndarray] = field(default_factory=dict)

    def __array__(self, dtype=None, copy=None):  # np.asarray(result) is the mean output Gram
        return self.mean if dtype is None else self.mean.astype(dtype)


def _check_int(value: object, name: str, minimum: int, hint: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer, got {value!r}; {hint}")
    if int(value) < minimum:
        raise ValueError(f"{name}={int(value)} is too small: need {name} >= {minimum}; {hint}")
    return int(value)


def _check_inputs(X: object, width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    arr = np.asarray(X)
    if arr.ndim == 2 and arr.shape[1] > width:
        raise ValueError(
            f"width={width} is smaller than the input dimension d={arr.shape[1]}: the inputs "
            "are zero-padded into the width-m input node, so pass width >= d"
        )
    K0, mu0 = inputs_to_gram(arr, width=width)  # validates: 2-D, real, finite, non-empty
    return np.asarray(arr, dtype=np.float64), K0.astype(np.float64), mu0.astype(np.float64)


def forward_features(
    motif: Motif | str,
    X: object,
    width: int,
    rng: np.random.Generator,
    sampler: str = "gram",
    c_sigma: float = 2.0,
) -> list[np.ndarray]:
    """One draw of the finite network: every node's features, each ``m x N`` (column = input).

    >>> feats = forward_features("2", [[1.0, 0.0]], width=8, rng=np.random.default_rng(0))
    >>> [f.shape for f in feats]
    [(8, 1), (8, 1)]
    """
    m = as_motif(motif)
    if sampler not in SAMPLERS:
        raise ValueError(f"sampler={sampler!r} is not known; use one of {', '.join(SAMPLERS)}")
    width = _check_int(width, "width", 1, "the width is the number of neurons per node")
    arr, _, _ = _check_inputs(X, width)
    c_sigma = check_c_sigma(c_sigma)
    return _forward(m, arr, width, rng, sampler, c_sigma)


def _forward(
    m: Motif, X: Any, width: int, rng: np.random.Generator, sampler: str, c_sigma: float,
    xp: Any = np,
) -> list[Any]:
    """Every node's features (``m x N``), computed in the array namespace ``xp``.

    Standard normals always come from NumPy's ``rng`` (and are moved to ``xp``'s
    device), so a seeded draw is the same network on every backend.
    """
    n, d = X.shape
    F0 = xp.zeros((width, n), dtype=xp.float64)
    F0[:d, :] = X.T
    feats = [F0]
    scale = math.sqrt(c_sigma / width)
    r_factor: dict[int, Any] = {}
    for t in range(1, m.n_nodes):
        acc = xp.zeros((width, n), dtype=xp.float64)
        for s, op in enumerate(m.ops[t - 1]):
            if op is Op.LINEAR:
                if sampler == "explicit":
                    pre = xp.asarray(rng.standard_normal((width, width))) @ feats[s]
                else:
                    if s not in r_factor:
                        r_factor[s] = (np.linalg.qr(feats[s], mode="r") if xp is np
                                       else xp.linalg.qr(feats[s])[1])
                    R = r_factor[s]
                    pre = xp.asarray(rng.standard_normal((width, R.shape[0]))) @ R
                acc = acc + scale * xp.maximum(pre, 0.0)
            elif op is Op.SKIP:
                acc = acc + feats[s]
        feats.append(acc)
    return feats


def monte_carlo(
    motif: Motif | str,
    X: object,
    width: int,
    draws: int,
    seed: int | None = 0,
    sampler: str = "gram",
    c_sigma: float = 2.0,
    progress: bool | None = None,
) -> MonteCarloResult:
    """Average the Grams of ``draws`` independent finite-width networks of ``motif``.

    Parameters
    ----------
    motif:
        A :class:`~dagnngp.Motif` or its string (``"2_21_112"``).
    X:
        Raw inputs, N x d with ``d <= width``; zero-padded into the input node
        (see the module docstring).  Pass ``d == width`` for inputs whose
        normalised means should not vanish.  Any array-API array is accepted;
        with CuPy arrays the forward passes run on the GPU, with the same
        standard normals (drawn by NumPy) as the CPU run of the same seed.
    width:
        Neurons per node ``m``.
    draws:
        Independent weight draws (at least 2, for the standard error).
    seed:
        Seed of NumPy's PCG64; draw ``k`` uses the ``k``-th child of
        ``SeedSequence(seed)``, so a seeded run is reproducible bit-for-bit.
        ``None`` takes fresh entropy.
    sampler:
        ``"gram"`` (``O(m N^2)``, default) or ``"explicit"`` (materialises ``W``).
    c_sigma:
        Weight variance scale (2 is He initialisation).
    progress:
        Show a tqdm bar: ``None`` (default) only when stderr is a terminal.

    >>> K0 = [[1.0, 0.0], [0.0, 1.0]]
    >>> res = monte_carlo("2", K0, width=4096, draws=20, seed=1)
    >>> bool(abs(res.mean[0, 1] - 1 / np.pi) < 5 * res.stderr[0, 1])  # h(0) = 1/pi
    True
    """
    m = as_motif(motif)
    if sampler not in SAMPLERS:
        raise ValueError(f"sampler={sampler!r} is not known; use one of {', '.join(SAMPLERS)}")
    width = _check_int(width, "width", 1, "the width is the number of neurons per node")
    draws = _check_int(draws, "draws", 2, "a standard error needs at least 2 independent draws")
    if seed is not None:
        seed = _check_int(seed, "seed", 0, "use a non-negative integer, or None for fresh entropy")
    c_sigma = check_c_sigma(c_sigma)
    from dagnngp.numerics.xp import array_namespace, is_numpy_array, to_numpy

    xp = np
    if not is_numpy_array(X) and hasattr(X, "__array_namespace__"):
        xp = array_namespace(X)  # CuPy, array-api-strict, ...: the passes run there
    arr, K0, mu0 = _check_inputs(to_numpy(X) if xp is not np else X, width)
    if xp is not np:
        arr = xp.asarray(arr)

    n_nodes = m.n_nodes
    pairs = [(t, u) for t in range(n_nodes) for u in range(t)]
    grams: list[list[Any]] = []
    crosses: list[list[Any]] = []
    node_means: list[list[Any]] = []
    children = np.random.SeedSequence(seed).spawn(draws)
    inv_root_m = 1.0 / math.sqrt(width)

    from tqdm import tqdm

    with tqdm(total=draws, desc=f"mc {m!s} m={width}", unit="draw",
              disable=not show_progress(progress), file=sys.stderr) as bar:
        for child in children:
            feats = _forward(m, arr, width, np.random.default_rng(child), sampler, c_sigma, xp)
            grams.append([F.T @ F for F in feats])
            node_means.append([xp.sum(F, axis=0) * inv_root_m for F in feats])
            crosses.append([feats[t].T @ feats[u] for t, u in pairs])
            bar.update(1)

    root_draws = math.sqrt(draws)

    def summary(per_draw: list[list[Any]]) -> tuple[Any, Any]:
        a = xp.stack([xp.stack(row) for row in per_draw])
        spread = a.std(axis=0, ddof=1) if xp is np else xp.std(a, axis=0, correction=1)
        return xp.mean(a, axis=0), spread / root_draws

    g_mean, g_se = summary(grams)
    c_mean, c_se = summary(crosses)
    mu_mean, mu_se = summary(node_means)
    out = n_nodes - 1
    if xp is not np:
        K0, mu0 = xp.asarray(K0), xp.asarray(mu0)
    return MonteCarloResult(
        motif=m, width=width, draws=draws, seed=seed, sampler=sampler, c_sigma=c_sigma,
        K0=K0, mu0=mu0, mean=g_mean[out, ...], stderr=g_se[out, ...],
        samples=xp.stack([g[out] for g in grams]),
        nodes={t: g_mean[t, ...] for t in range(n_nodes)},
        nodes_stderr={t: g_se[t, ...] for t in range(n_nodes)},
        cross={pq: c_mean[p, ...] for p, pq in enumerate(pairs)},
        cross_stderr={pq: c_se[p, ...] for p, pq in enumerate(pairs)},
        means={t: mu_mean[t, ...] for t in range(n_nodes)},
        means_stderr={t: mu_se[t, ...] for t in range(n_nodes)},
    )
