"""Monte Carlo Grams of a motif's finite-width networks, for every activation.

The network is :mod:`dagnngp.numerics.finite`'s, at width ``m``: node 0 holds
the inputs ``X`` (N x d, ``d <= m``) zero-padded into ``m`` coordinates, exactly
as :func:`dagnngp.numerics.inputs_to_gram` places them (so ``K0 = X X^T`` and
``mu0_i = m^-1/2 sum_k x_ik``), and
``X_t = sum_{linear s->t} sqrt(c/m) s(W_st X_s + b_st) + sum_{skip s->t} X_s``
with fresh ``W_st`` (i.i.d. N(0, 1)) and, when ``sigma_b > 0``, a fresh bias
``b_st`` (i.i.d. N(0, sigma_b^2) per unit) on every linear edge and draw.  The
Grams converge to :func:`dagnngp.numerics.nngp`'s kernels with the same
``activation``, ``c_sigma`` and ``sigma_b``.

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
    matrix (plus the bias, one value per row).  Each row is N(0, F^T F);
    rank-deficient ``F`` (duplicate or zero inputs, a node that receives
    nothing) needs no special case.  Cost ``O(m N^2)``.

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

from dagnngp.limits import check_memory
from dagnngp.motif import Motif, Op
from dagnngp.numerics.finite import (
    SAMPLERS,
    NetworkSpec,
    check_inputs,
    check_int,
    check_variance,
    sample_features,
)
from dagnngp.numerics.reference import as_motif
from dagnngp.progress import show_progress
from dagnngp.theory.spec import KernelSpec

__all__ = ["SAMPLERS", "MonteCarloNTKResult", "MonteCarloResult", "forward_features", "monte_carlo",
           "monte_carlo_ntk", "ntk_resource_estimate"]


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
    ``activation``, ``activation_params``, ``sigma_b``, ``dtype``: the network's
    settings besides ``c_sigma`` (pass the first three, with ``c_sigma``, to
    :func:`dagnngp.numerics.nngp` for the matching kernel).

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
    activation: str = "relu"
    activation_params: dict[str, float] = field(default_factory=dict)
    sigma_b: float = 0.0
    dtype: str = "float64"

    def __array__(self, dtype=None, copy=None):  # np.asarray(result) is the mean output Gram
        return self.mean if dtype is None else self.mean.astype(dtype)


def forward_features(
    motif: Motif | str,
    X: object,
    width: int,
    rng: np.random.Generator,
    sampler: str = "gram",
    c_sigma: float | None = None,
    *,
    activation: str | None = None,
    activation_params: dict[str, float] | None = None,
    sigma_b: float | None = None,
    spec: KernelSpec | None = None,
    dtype: str = "float64",
    edge: str | None = None,
) -> list[np.ndarray]:
    """One draw of the finite network: every node's features, each ``m x N`` (column = input).

    >>> feats = forward_features("2", [[1.0, 0.0]], width=8, rng=np.random.default_rng(0))
    >>> [f.shape for f in feats]
    [(8, 1), (8, 1)]
    """
    m = as_motif(motif)
    if sampler not in SAMPLERS:
        raise ValueError(f"sampler={sampler!r} is not known; use one of {', '.join(SAMPLERS)}")
    width = check_int(width, "width", 1, "the width is the number of neurons per node")
    arr, _, _ = check_inputs(X, width)
    settings = NetworkSpec.resolve(spec, activation, activation_params, c_sigma, sigma_b, dtype, edge)
    check_variance(settings.activation, settings.c_sigma, settings.activation_params, stacklevel=2)
    n_linear = sum(op is Op.LINEAR for _, _, op in m.edges())
    mem, _ = resource_estimate(m.n_nodes, n_linear, width, 1, sampler, n_inputs=int(arr.shape[0]))
    check_memory(mem, f"forward_features(width={width}, sampler={sampler!r})", None, option=None)
    return sample_features(m, arr, width, rng, sampler, settings)


def resource_estimate(n_nodes: int, n_linear: int, width: int, draws: int, sampler: str = "gram",
                n_inputs: int = 2) -> tuple[float, float]:
    """Estimated peak memory (bytes) and work (elementary operations) of a Monte Carlo run.

    Per draw the network holds every node's ``width x N`` features plus a few
    temporaries of that size (and, with the explicit sampler, one ``width x width``
    weight matrix); every draw keeps its node Grams, cross-Grams and means (small
    arrays, about 120 bytes of overhead each), stacked again for the summary.
    Work: per linear edge and draw ``width * N * (N + 8)`` (normals, QR, product,
    ReLU) or ``width^2 * (N + 2)`` (explicit), plus ``2 width N^2`` per Gram.

    >>> mem, work = resource_estimate(4, 3, 2048, 30)
    >>> mem < 2**20, work < 1e8
    (True, True)
    >>> resource_estimate(4, 3, 10**12, 30)[0] > 100 * 2**40  # 100 TiB
    True
    """
    n, N = n_nodes, n_inputs
    pairs = n * (n - 1) // 2
    per_draw = 8.0 * width * N * (n + 5) + (8.0 * width * width if sampler == "explicit" else 0.0)
    grams = (n + pairs) * N * N + n * N
    kept = float(draws) * ((n + pairs) * (8 * N * N + 120) + n * (8 * N + 120) + 3 * 8 * grams)
    edge = float(width) * width * (N + 2) if sampler == "explicit" else float(width) * N * (N + 8)
    work = float(draws) * (n_linear * edge + (n + pairs) * 2.0 * width * N * N)
    return per_draw + kept, work



def monte_carlo(
    motif: Motif | str,
    X: object,
    width: int,
    draws: int,
    seed: int | None = 0,
    sampler: str = "gram",
    c_sigma: float | None = None,
    progress: bool | None = None,
    *,
    activation: str | None = None,
    activation_params: dict[str, float] | None = None,
    sigma_b: float | None = None,
    spec: KernelSpec | None = None,
    dtype: str = "float64",
    max_memory: int | None = None,
    edge: str | None = None,
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
        Weight variance scale (default 2, He initialisation for ReLU).  A value that
        does not preserve the activation's variance draws one
        :class:`~dagnngp.errors.VarianceWarning` naming the value that does.
    progress:
        Show a tqdm bar: ``None`` (default) only when stderr is a terminal.
    activation, activation_params:
        Any activation of :func:`dagnngp.numerics.activations.get_activation`
        (default ``"relu"``) and its parameters
        (``activation="leaky", activation_params={"slope": 0.1}``).
    sigma_b:
        Standard deviation of the bias on every linear edge (default 0;
        pre-activation Gram ``K + sigma_b^2``, as in :func:`dagnngp.numerics.nngp`).
    spec:
        A :class:`~dagnngp.theory.spec.KernelSpec` holding ``activation``, its
        parameters, ``c_sigma`` and ``sigma_b`` (a keyword given beside it must
        agree with it; its ``model`` is not used, a network has none).
    dtype:
        ``"float64"`` (default) or ``"float32"``: what the passes compute in.
    edge:
        ``"post"`` (default) or ``"pre"`` (see :mod:`dagnngp.numerics.finite`: the
        input node is then the Gaussian field of a random stem, drawn afresh per draw).
    max_memory:
        Refuse (:class:`~dagnngp.limits.ResourceLimitError`) a run whose estimated
        memory (:func:`resource_estimate`) exceeds this many bytes; default
        :func:`dagnngp.limits.memory_limit` (``$DAGNNGP_MAX_MEMORY`` or half the RAM).

    >>> K0 = [[1.0, 0.0], [0.0, 1.0]]
    >>> res = monte_carlo("2", K0, width=4096, draws=20, seed=1)
    >>> bool(abs(res.mean[0, 1] - 1 / np.pi) < 5 * res.stderr[0, 1])  # h(0) = 1/pi
    True
    >>> step = monte_carlo("2", K0, width=4096, draws=20, seed=1, activation="step")
    >>> bool(abs(step.mean[0, 1] - 0.5) < 5 * step.stderr[0, 1])  # 2 P(u > 0, v > 0) = 1/2
    True
    """
    m = as_motif(motif)
    if sampler not in SAMPLERS:
        raise ValueError(f"sampler={sampler!r} is not known; use one of {', '.join(SAMPLERS)}")
    width = check_int(width, "width", 1, "the width is the number of neurons per node")
    draws = check_int(draws, "draws", 2, "a standard error needs at least 2 independent draws")
    if seed is not None:
        seed = check_int(seed, "seed", 0, "use a non-negative integer, or None for fresh entropy")
    settings = NetworkSpec.resolve(spec, activation, activation_params, c_sigma, sigma_b, dtype, edge)
    from dagnngp.numerics.xp import array_namespace, is_numpy_array, to_numpy

    xp = np
    if not is_numpy_array(X) and hasattr(X, "__array_namespace__"):
        xp = array_namespace(X)  # CuPy, array-api-strict, ...: the passes run there
    arr, K0, mu0 = check_inputs(to_numpy(X) if xp is not np else X, width)
    if xp is not np:
        arr = xp.asarray(arr)
    check_variance(settings.activation, settings.c_sigma, settings.activation_params, stacklevel=2)
    n_linear = sum(op is Op.LINEAR for _, _, op in m.edges())
    mem, _ = resource_estimate(m.n_nodes, n_linear, width, draws, sampler, n_inputs=int(K0.shape[0]))
    check_memory(mem, f"monte_carlo(width={width}, draws={draws}, sampler={sampler!r})", max_memory,
                 option=None)

    n_nodes = m.n_nodes
    pairs = [(t, u) for t in range(n_nodes) for u in range(t)]
    grams: list[list[Any]] = []
    crosses: list[list[Any]] = []
    node_means: list[list[Any]] = []
    children = np.random.SeedSequence(seed).spawn(draws)
    inv_root_m = 1.0 / math.sqrt(width)

    from tqdm import tqdm

    root_draws = math.sqrt(draws)

    def summary(per_draw: list[list[Any]]) -> tuple[Any, Any]:
        a = xp.stack([xp.stack(row) for row in per_draw])
        spread = a.std(axis=0, ddof=1) if xp is np else xp.std(a, axis=0, correction=1)
        return xp.mean(a, axis=0), spread / root_draws

    # an overflow is reported once, below, as an error (not as NumPy warnings and an inf result)
    with np.errstate(over="ignore", invalid="ignore"), tqdm(
        total=draws, desc=f"mc {m!s} m={width}", unit="draw",
        disable=not show_progress(progress), file=sys.stderr,
    ) as bar:
        for child in children:
            feats = sample_features(m, arr, width, np.random.default_rng(child), sampler, settings, xp)
            grams.append([F.T @ F for F in feats])
            node_means.append([xp.sum(F, axis=0) * inv_root_m for F in feats])
            crosses.append([feats[t].T @ feats[u] for t, u in pairs])
            bar.update(1)
        g_mean, g_se = summary(grams)
    if not bool(xp.all(xp.isfinite(g_se))):
        raise ValueError(
            f"the width-{width} networks overflowed ({settings.dtype.name}): a Gram or its spread is "
            "not finite; lower c_sigma, sigma_b or the scale of the inputs (or use float64)"
        )
    c_mean, c_se = summary(crosses)
    mu_mean, mu_se = summary(node_means)
    out = n_nodes - 1
    if xp is not np:
        K0, mu0 = xp.asarray(K0), xp.asarray(mu0)
    return MonteCarloResult(
        motif=m, width=width, draws=draws, seed=seed, sampler=sampler, c_sigma=settings.c_sigma,
        K0=K0, mu0=mu0, mean=g_mean[out, ...], stderr=g_se[out, ...],
        samples=xp.stack([g[out] for g in grams]),
        nodes={t: g_mean[t, ...] for t in range(n_nodes)},
        nodes_stderr={t: g_se[t, ...] for t in range(n_nodes)},
        cross={pq: c_mean[p, ...] for p, pq in enumerate(pairs)},
        cross_stderr={pq: c_se[p, ...] for p, pq in enumerate(pairs)},
        means={t: mu_mean[t, ...] for t in range(n_nodes)},
        means_stderr={t: mu_se[t, ...] for t in range(n_nodes)},
        activation=settings.activation, activation_params=dict(settings.activation_params),
        sigma_b=settings.sigma_b, dtype=settings.dtype.name,
    )


@dataclass
class MonteCarloNTKResult:
    """Mean and standard error of the empirical NTK (and of the output Gram) over independent networks.

    ``mean`` / ``stderr`` / ``samples`` are the NTK's (``readout=True``: every
    weight, bias and the readout; ``readout=False``: without the readout's own
    term, per output coordinate); ``nngp`` / ``nngp_stderr`` the output Gram's.
    ``np.asarray(result)`` is the mean NTK.
    """

    motif: Motif
    width: int
    draws: int
    seed: int | None
    readout: bool
    mean: np.ndarray
    stderr: np.ndarray
    samples: np.ndarray
    nngp: np.ndarray
    nngp_stderr: np.ndarray
    edge: str = "post"
    #: the output Gram of each draw (the readout's own NTK term)
    nngp_samples: np.ndarray | None = None

    def __array__(self, dtype=None, copy=None):
        return self.mean if dtype is None else self.mean.astype(dtype)


def ntk_resource_estimate(n_linear: int, width: int, n_inputs: int, n_nodes: int) -> float:
    """Estimated peak memory (bytes) of one explicit network's NTK: its weights and features."""
    return 8.0 * (n_linear * width * width + 4 * (n_nodes + n_linear) * width * n_inputs
                  + 3 * n_inputs * n_inputs) + 8.0 * width * width


def monte_carlo_ntk(
    motif: Motif | str,
    X: object,
    width: int,
    draws: int,
    seed: int | None = 0,
    *,
    readout: bool = True,
    c_sigma: float | None = None,
    activation: str | None = None,
    activation_params: dict[str, float] | None = None,
    sigma_b: float | None = None,
    edge: str | None = None,
    spec: KernelSpec | None = None,
    progress: bool | None = None,
    max_memory: int | None = None,
) -> MonteCarloNTKResult:
    """The empirical NTK of ``draws`` independent width-``width`` networks, with standard errors.

    Each draw builds a :class:`~dagnngp.numerics.finite.FiniteNetwork` (explicit
    weights, seeded by the ``k``-th child of ``SeedSequence(seed)``) and takes its
    NTK from the explicit Jacobians of the hand-written backward pass; the mean
    converges to :func:`dagnngp.numerics.ntk` with the same options as the
    width grows (the bias of a finite width is O(1/width)).  Inputs as in
    :func:`monte_carlo`; the memory is estimated before anything is allocated.

    >>> from dagnngp.numerics import inputs_to_gram, ntk
    >>> X = np.array([[1.0, 0.0], [0.6, 0.8]])
    >>> res = monte_carlo_ntk("2_02", X, width=512, draws=12, seed=0)
    >>> limit = ntk("2_02", *inputs_to_gram(X, 512)).ntk
    >>> bool(np.all(np.abs(res.mean - limit) < 5 * res.stderr + 0.05 * np.abs(limit)))
    True
    """
    from dagnngp.numerics.finite import FiniteNetwork

    m = as_motif(motif)
    width = check_int(width, "width", 1, "the width is the number of neurons per node")
    draws = check_int(draws, "draws", 2, "a standard error needs at least 2 independent draws")
    if seed is not None:
        seed = check_int(seed, "seed", 0, "use a non-negative integer, or None for fresh entropy")
    settings = NetworkSpec.resolve(spec, activation, activation_params, c_sigma, sigma_b, "float64", edge)
    if settings.maps.finite_grad is None:
        raise ValueError(f"activation {settings.describe()} states no derivative, so no NTK")
    arr, _, _ = check_inputs(X, width)
    n_linear = sum(op is Op.LINEAR for _, _, op in m.edges())
    mem = ntk_resource_estimate(n_linear, width, int(arr.shape[0]), m.n_nodes)
    check_memory(mem, f"monte_carlo_ntk(width={width})", max_memory, option=None)
    check_variance(settings.activation, settings.c_sigma, settings.activation_params, stacklevel=2)
    from tqdm import tqdm

    thetas, grams = [], []
    with np.errstate(over="ignore", invalid="ignore"), tqdm(
        total=draws, desc=f"mc-ntk {m!s} m={width}", unit="draw",
        disable=not show_progress(progress), file=sys.stderr,
    ) as bar:
        for child in np.random.SeedSequence(seed).spawn(draws):
            net = FiniteNetwork.initialise(
                m, width, np.random.default_rng(child), settings.c_sigma, activation=settings.activation,
                activation_params=settings.activation_params or None, sigma_b=settings.sigma_b,
                edge=settings.edge, n_features=int(arr.shape[1]))
            theta, gram = net.ntk(arr)
            thetas.append(theta if readout else theta - gram)
            grams.append(gram)
            bar.update(1)
    t = np.stack(thetas)
    g = np.stack(grams)
    if not (np.all(np.isfinite(t)) and np.all(np.isfinite(g))):
        raise ValueError(f"the width-{width} networks overflowed: an NTK entry is not finite; lower c_sigma, "
                         "sigma_b or the scale of the inputs")
    root = math.sqrt(draws)
    return MonteCarloNTKResult(m, width, draws, seed, bool(readout), t.mean(axis=0),
                               t.std(axis=0, ddof=1) / root, t, g.mean(axis=0), g.std(axis=0, ddof=1) / root,
                               settings.edge, g)
