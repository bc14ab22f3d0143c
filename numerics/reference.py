"""The NumPy reference for a motif's infinite-width NNGP kernel.

Two models are evaluated node by node in topological order:

``model="paper"``
    The paper's recursion: ``K_t = sum_{linear s->t} f(K_s) + sum_{skip s->t} K_s``.
    It drops every cross term between different incoming edges.

``model="exact"``
    The true infinite-width limit of sum aggregation.  Besides each node's Gram
    ``K_t`` it tracks the normalised means ``mu_t = lim m^-1/2 sum_k X_t,k`` and,
    where a later node needs them, the cross-Grams ``K_(t,u) = <X_t, X_u>``:

    * two linear edges into ``t`` (independent weights) add ``a_s a_s'^T``,
      with ``a_s`` the normalised mean of the edge output (``sqrt(K_s,ii / pi)`` for ReLU);
    * a linear and a skip edge add ``a_s mu_s'^T + mu_s' a_s^T``;
    * two skip edges add the cross-Gram ``K_(s,s')``.

Cross-Grams are computed on demand and memoised, so only the pairs a motif
actually needs are ever formed.

>>> from dagnngp import Motif
>>> K0, mu0 = pair_gram(0.5)
>>> round(float(nngp(Motif.parse("2_21_112"), K0, model="paper").output[0, 1]), 5)
2.47681
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from dagnngp.motif import Motif
from dagnngp.numerics.activations import ActivationMaps, get_activation
from dagnngp.numerics.activations import _namespace as array_namespace_of
from dagnngp.numerics.dual import gram_gap
from dagnngp.numerics.engine import run_program
from dagnngp.numerics.validate import (
    check_c_sigma,
    check_finite_result,
    check_gram,
    check_means,
    check_model,
    check_scale,
)
from dagnngp.theory.activations import check_variance
from dagnngp.theory.program import EDGES, compile_program
from dagnngp.theory.spec import KernelSpec, resolve_spec

__all__ = ["NNGPResult", "NTKResult", "as_motif", "edge_maps", "inputs_to_gram", "nngp", "ntk", "pair_gram"]


def as_motif(motif: Motif | str) -> Motif:
    """Accept a :class:`Motif` or its text form (same as :meth:`Motif.coerce`)."""
    return Motif.coerce(motif)


def inputs_to_gram(X: object, X2: object | None = None,
                   width: int | None = None) -> tuple[np.ndarray, ...]:
    """Raw inputs ``X`` (N x d) to the input node's ``(K0, mu0)``; with ``X2``, the cross Gram and both means.

    The inputs are placed in the first ``d`` coordinates of a width-``width``
    input node (zero padding; ``width`` defaults to ``d``), so
    ``K0 = X X^T`` and ``mu0_i = width^-1/2 sum_k x_ik``.  The Monte Carlo
    sampler places inputs the same way.

    Given a second set ``X2`` (N2 x d), returns ``(X X2^T, mu0(X), mu0(X2))``:
    the off-diagonal block of the joint set ``[X; X2]`` and the means of both
    sets (``dagnngp.numerics.cross.cross_kernel`` turns them into output
    kernels).  An int in the place of ``X2`` is read as ``width``.

    >>> K0, mu0 = inputs_to_gram([[1.0, 0.0], [0.6, 0.8]])
    >>> K0.round(3).tolist(), mu0.round(4).tolist()
    ([[1.0, 0.6], [0.6, 1.0]], [0.7071, 0.9899])
    >>> K12, mu1, mu2 = inputs_to_gram([[1.0, 0.0], [0.6, 0.8]], [[0.0, 2.0]])
    >>> K12.tolist(), mu2.round(4).tolist()
    ([[0.0], [1.6]], [1.4142])
    """
    if isinstance(X2, int | np.integer) and not isinstance(X2, bool):
        if width is not None:
            raise ValueError("width is given twice (as the second argument and as width=)")
        X2, width = None, X2
    arr = _input_array(X, "X")
    d = arr.shape[1]
    if width is None:
        width = d
    elif isinstance(width, bool) or not isinstance(width, int | np.integer):
        raise ValueError(f"width must be an int, not {width!r}")
    width = int(width)
    if width < d:
        raise ValueError(f"width={width} is smaller than the input dimension d={d}")
    if X2 is None:
        other = arr
    else:
        other = _input_array(X2, "X2")
        if other.shape[1] != d:
            raise ValueError(f"X and X2 must have the same number of features, got {d} and {other.shape[1]}")
    with np.errstate(over="ignore", invalid="ignore"):
        K0 = arr @ other.T
        mu0 = arr.sum(axis=1) / np.sqrt(width, dtype=arr.dtype)
        mu2 = other.sum(axis=1) / np.sqrt(width, dtype=other.dtype)
    if not (np.all(np.isfinite(K0)) and np.all(np.isfinite(mu0)) and np.all(np.isfinite(mu2))):
        big = max(float(np.max(np.abs(arr))), float(np.max(np.abs(other))))
        raise ValueError(
            f"the inputs' inner products overflow {K0.dtype} "
            f"(largest |x| = {big:.3g}); rescale the inputs"
        )
    return (K0, mu0) if X2 is None else (K0, mu0, mu2)


def _input_array(X: object, name: str) -> np.ndarray:
    """``X`` as a validated N x d float array (integers become float64)."""
    arr = np.asarray(X)
    if arr.dtype.kind in "biu":
        arr = arr.astype(np.float64)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array of N inputs (N x d), got shape {arr.shape}")
    if arr.dtype not in (np.float32, np.float64):
        raise ValueError(f"{name} must hold real numbers (float32 or float64), got dtype {arr.dtype}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} must have at least one input and one feature, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} has a non-finite entry (NaN or inf)")
    return arr


def pair_gram(C: float, n_copies: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """``(K0, mu0)`` of two unit-norm per-sample-centred inputs with correlation ``C``.

    >>> pair_gram(0.25)[0].tolist()
    [[1.0, 0.25], [0.25, 1.0]]
    """
    C = float(C)
    if not np.isfinite(C) or abs(C) > 1:
        raise ValueError(f"a correlation must lie in [-1, 1], got C={C!r}")
    K0 = np.array([[1.0, C], [C, 1.0]])
    return K0, np.zeros(2)


@dataclass
class NNGPResult:
    """Kernels of one motif evaluation.

    ``output`` is the output node's N x N Gram and ``output_mean`` its
    normalised means (zeros under the paper model).  With ``all_nodes=True``,
    ``nodes[t]`` and ``means[t]`` hold every node's; otherwise only the output's
    entries are filled.  ``cross`` holds the cross-Grams ``<X_t, X_u>`` the exact
    recursion formed, keyed ``(t, u)`` with ``t > u``.
    """

    motif: Motif
    model: str
    output: np.ndarray
    output_mean: np.ndarray
    nodes: dict[int, np.ndarray] = field(default_factory=dict)
    means: dict[int, np.ndarray] = field(default_factory=dict)
    cross: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)

    def __array__(self, dtype=None, copy=None):  # np.asarray(result) is the output Gram
        return self.output if dtype is None else self.output.astype(dtype)


def nngp(
    motif: Motif | str,
    K0: object,
    mu0: object | None = None,
    model: str | None = None,
    c_sigma: float | None = None,
    all_nodes: bool = False,
    *,
    activation: str | None = None,
    sigma_b: float | None = None,
    activation_params: dict[str, float] | None = None,
    edge: str | None = None,
    spec: KernelSpec | None = None,
    check_psd: bool | None = None,
    backend: str | None = None,
    max_bytes: int | None = None,
) -> NNGPResult:
    """Infinite-width NNGP Gram of a motif's output node.

    Parameters
    ----------
    motif:
        A :class:`~dagnngp.Motif` or its string (``"2_21_112"``).
    K0, mu0:
        The input node's Gram (N x N, PSD) and normalised means (N,; default
        zeros, i.e. per-sample-centred inputs).  :func:`inputs_to_gram` builds both.
    model:
        ``"exact"`` (true limit, the default) or ``"paper"`` (the paper's recursion).
    c_sigma:
        Weight variance scale (default 2, He initialisation, for which ReLU keeps the diagonal).
    activation, activation_params:
        The activation's name (default ``"relu"``) and parameters.
    sigma_b:
        Standard deviation of a bias added to the pre-activations of each linear edge (default 0).
    edge:
        ``"post"`` (default, the paper's ``X_t += sqrt(c/m) s(W X_s + b)``) or ``"pre"``
        (``X_t += sqrt(c/m) W s(X_s) + b``; node 0 is then a centred Gaussian field with
        covariance ``K0``, as if the inputs passed through a fixed random Gaussian
        stem, so ``mu0`` must be zero).
    spec:
        A :class:`~dagnngp.theory.spec.KernelSpec` holding the six options above;
        a keyword given beside it must agree with it.
    all_nodes:
        Keep every node's Gram and means in the result.
    backend:
        ``"numpy"`` (this module's reference recursion, the ground truth),
        ``"numba"`` (the parallel kernel of :mod:`dagnngp.numerics.numba_program`)
        or ``None``: ``"numba"`` when Numba is importable, the activation is
        ReLU, ``all_nodes`` is off and there are more than :data:`NUMPY_MAX_N`
        inputs (small problems never wait for a compile), else ``"numpy"``.  Arrays of another
        array-API library (CuPy, ...) always take the array-API path
        (:mod:`dagnngp.numerics.xp`) and the result stays in that library.
        The Numba backend fills ``output`` and ``output_mean`` only (``nodes``,
        ``means`` and ``cross`` stay empty).
    max_bytes:
        Refuse (``ValueError``) a call whose N x N arrays would need more than
        this many bytes; :func:`dagnngp.numerics.nngp_blocks` evaluates row
        blocks from raw inputs in bounded memory instead.

    The computation runs in the dtype of ``K0`` (float32 or float64).

    >>> K0, _ = pair_gram(0.0)
    >>> res = nngp("1_01_222", K0)
    >>> round(float(res.output[0, 0]), 5)  # 3 + 6/pi, not the paper's 3
    4.90986
    """
    spec = resolve_spec(spec, model=model, c_sigma=c_sigma, activation=activation, sigma_b=sigma_b,
                        activation_params=activation_params, edge=edge)
    return _kernel(as_motif(motif), K0, mu0, spec, all_nodes, check_psd, backend, max_bytes, None)


@dataclass
class NTKResult:
    """The output node's infinite-width NTK and NNGP (see :func:`ntk`); ``np.asarray(result)`` is the NTK.

    With ``all_nodes=True``, ``nodes`` / ``nodes_ntk`` hold every node's Gram and
    NTK (per coordinate, no readout; node 0's NTK is zero) and ``means`` their means.
    """

    motif: Motif
    model: str
    ntk: np.ndarray
    nngp: np.ndarray
    output_mean: np.ndarray
    readout: bool = True
    edge: str = "post"
    nodes: dict[int, np.ndarray] = field(default_factory=dict)
    nodes_ntk: dict[int, np.ndarray] = field(default_factory=dict)
    means: dict[int, np.ndarray] = field(default_factory=dict)

    def __array__(self, dtype=None, copy=None):  # np.asarray(result) is the NTK
        return self.ntk if dtype is None else self.ntk.astype(dtype)


def ntk(
    motif: Motif | str,
    K0: object,
    mu0: object | None = None,
    model: str | None = None,
    c_sigma: float | None = None,
    all_nodes: bool = False,
    *,
    readout: bool = True,
    activation: str | None = None,
    sigma_b: float | None = None,
    activation_params: dict[str, float] | None = None,
    edge: str | None = None,
    spec: KernelSpec | None = None,
    check_psd: bool | None = None,
    backend: str | None = None,
    max_bytes: int | None = None,
) -> NTKResult:
    """Infinite-width neural tangent kernel of a motif's output, with its NNGP.

    Every option is :func:`nngp`'s.  Two conventions for the output:

    ``readout=True`` (default)
        A scalar output ``u = a . X_H`` with a readout ``a ~ N(0, I_m)``, and every
        linear edge's weights and biases and the readout trained:
        ``Theta = K_H + Theta_H``, the readout's own gradient giving the Gram ``K_H``.
    ``readout=False``
        ``Theta_H``, the NTK of the output node itself per output coordinate
        (neural-tangents' convention: no readout).

    ``Theta_H`` follows the motif: a linear edge ``s -> t`` adds, for ``edge="post"``,
    ``c E[s'(u_i) s'(u_j)] * (K_s + sigma_b^2 + Theta_s)`` with
    ``u ~ N(0, K_s + sigma_b^2)``, and for ``edge="pre"``
    ``c E[s(u_i) s(u_j)] + sigma_b^2 + c E[s'(u_i) s'(u_j)] * Theta_s`` with
    ``u ~ N(0, K_s)``; a skip edge adds ``Theta_s``; an edge of weight ``alpha``
    adds ``alpha^2`` times that.  In the exact model, two skip edges into one node
    also add their sources' cross-NTKs ``alpha alpha' (Theta_(s,s') + Theta_(s',s))``,
    and cross-NTKs expand the later node over its skip edges.  Assumptions: every
    linear edge has weights of its own, drawn afresh (NTK parametrisation,
    ``N(0, 1)`` entries scaled by ``sqrt(c/m)``), and the usual gradient
    independence of the infinite-width limit; a fresh edge's cross-NTK with any
    other quantity is then zero.  ``model="paper"`` drops every cross term, as
    its NNGP does.

    >>> K0, _ = pair_gram(0.5)
    >>> res = ntk("2", K0)            # one linear edge: Theta = K_1 + c E[s's'] * K0
    >>> bool(np.allclose(res.ntk, res.nngp + 2 * 0.5 * (1 - np.arccos(K0.clip(-1, 1)) / np.pi) * K0))
    True
    >>> float(ntk("2_02", K0, readout=False).ntk[0, 0])   # diagonal: Theta_2 = 1 * (K_1 + Theta_1) = 2
    2.0
    """
    spec = resolve_spec(spec, model=model, c_sigma=c_sigma, activation=activation, sigma_b=sigma_b,
                        activation_params=activation_params, edge=edge)
    return _kernel(as_motif(motif), K0, mu0, spec, all_nodes, check_psd, backend, max_bytes, bool(readout))


def _kernel(m: Motif, K0: object, mu0: object, spec: KernelSpec, all_nodes: bool, check_psd: bool | None,
            backend: str | None, max_bytes: int | None, readout: bool | None) -> NNGPResult | NTKResult:
    """The shared body of :func:`nngp` and :func:`ntk` (``readout`` is None for the NNGP)."""
    want_ntk = readout is not None
    model, activation, activation_params = spec.model, spec.activation, spec.params
    check_model(model)
    edge = check_edge(spec.edge)
    c_sigma = check_c_sigma(spec.c_sigma)
    try:
        sigma_b = float(spec.sigma_b)
    except (TypeError, ValueError):
        raise ValueError(f"sigma_b must be a finite number >= 0, got {spec.sigma_b!r}") from None
    if not np.isfinite(sigma_b) or sigma_b < 0:
        raise ValueError(f"sigma_b must be a finite number >= 0, got {sigma_b!r}")
    if not np.isfinite(sigma_b * sigma_b):
        raise ValueError(f"the output Gram overflowed float64: sigma_b={sigma_b:g} has a square beyond the "
                         "float64 range; the bias variance sigma_b^2 is added to every pre-activation Gram")
    act = get_activation(activation, c_sigma, **(activation_params or {}))
    if want_ntk and act.derivative is None:
        raise ValueError(f"activation {activation!r} has no derivative dual map, so no NTK (its derivative "
                         "is not a function: the step's is a delta); use relu, leaky, abrelu, arccos2, gelu")
    backend = _choose_backend(backend, K0, activation, all_nodes)
    if backend == "xp":
        return _kernel_array_api(m, K0, mu0, model, act, c_sigma, sigma_b, edge, check_psd, max_bytes,
                                 readout)
    if backend == "numba":
        from dagnngp.numerics.numba_validate import check_gram_fused  # same checks, one fused pass

        K0 = check_gram_fused(K0, "K0", check_psd=check_psd)
        check_scale(np.diagonal(K0), "K0")
    else:
        K0 = check_gram(K0, "K0", check_psd=check_psd)
    mu0 = _check_mu0(mu0, K0, edge)
    n_square = (2 if want_ntk else 1) * (1 if backend == "numba" else m.n_nodes + 4)
    _check_bytes(max_bytes, K0, n_square, backend)
    check_variance(activation, c_sigma, activation_params, stacklevel=3)
    if backend == "numba":
        from dagnngp.numerics.numba_program import kernel_fused  # loads Numba on first use

        out, out_mean, theta, out_finite = kernel_fused(m, K0, mu0, model, c_sigma, sigma_b, edge,
                                                        ntk=want_ntk, readout=bool(readout))
        out_mean = out_mean if model == "exact" and edge == "post" else np.zeros_like(mu0)
        res = (NNGPResult(m, model, out, out_mean) if not want_ntk
               else NTKResult(m, model, theta, out, out_mean, bool(readout), edge))
    else:
        out_finite = False
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported by _check_finite
            res = _evaluate(m, model, K0, mu0, act, sigma_b, edge, all_nodes, readout)
    _check_finite(res, m, K0, c_sigma, sigma_b, output_finite=out_finite)
    return res


def check_edge(edge: object) -> str:
    """The edge convention, validated: ``"post"`` or ``"pre"``."""
    if edge not in EDGES:
        raise ValueError(f"edge={edge!r} is not known; use 'post' (activation after the weights, the "
                         "paper's) or 'pre' (activation before the weights)")
    return str(edge)


def _check_mu0(mu0: object, K0: np.ndarray, edge: str) -> np.ndarray:
    mu0 = check_means(mu0, K0, "mu0")
    if edge == "pre" and np.any(mu0 != 0):
        raise ValueError("edge='pre' makes node 0 a centred Gaussian field with covariance K0, so its means "
                         "are zero; pass mu0=None (the kernel does not depend on the inputs' means)")
    return mu0


def _check_finite(res: NNGPResult | NTKResult, m: Motif, K0: np.ndarray, c_sigma: float, sigma_b: float,
                  output_finite: bool = False) -> None:
    """Raise on a non-finite result; ``output_finite``: the output Gram is already known to be finite."""
    depth = max(m.path_depth_counts(), default=0)
    scale = float(np.max(np.abs(np.diagonal(K0)))) if K0.size else 0.0
    grams = [] if output_finite else (
        [("the output NTK", res.ntk), ("the output Gram", res.nngp)] if isinstance(res, NTKResult)
        else [("the output Gram", res.output)])
    for what, values in [*grams, ("the output means", res.output_mean),
                         *((f"node {t}'s Gram", K) for t, K in res.nodes.items()),
                         *((f"node {t}'s NTK", K) for t, K in getattr(res, "nodes_ntk", {}).items())]:
        check_finite_result(values, what, c_sigma=c_sigma, sigma_b=sigma_b, input_scale=scale, depth=depth)


BACKENDS = ("numpy", "numba")


def _numba_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("numba") is not None


def _choose_backend(backend: str | None, K0: object, activation: str, all_nodes: bool) -> str:
    """``"numpy"``, ``"numba"`` or ``"xp"`` (array-API arrays)."""
    if backend is not None and backend not in BACKENDS:
        raise ValueError(f"backend={backend!r} is not known; use 'numpy', 'numba' or None (automatic)")
    if not isinstance(K0, np.ndarray | list | tuple) and hasattr(K0, "__array_namespace__"):
        if activation != "relu" or all_nodes:
            raise ValueError("array-API (non-NumPy) inputs support activation='relu' with "
                             "all_nodes=False; pass NumPy arrays for the rest")
        return "xp"
    if backend == "numba":
        if activation != "relu":
            raise ValueError(f"backend='numba' implements activation='relu' only, not {activation!r}; "
                             "use backend='numpy'")
        if all_nodes:
            raise ValueError("backend='numba' keeps only the output node; use backend='numpy' "
                             "for all_nodes=True")
        if not _numba_available():
            raise ValueError("backend='numba' needs Numba (pip install numba); use backend='numpy'")
        return "numba"
    if (backend is None and activation == "relu" and not all_nodes
            and _n_inputs(K0) > NUMPY_MAX_N and _numba_available()):
        return "numba"
    return "numpy"


#: Up to this many inputs the automatic backend is NumPy: it answers in a few
#: milliseconds (DAG#3: 2.6 ms at N = 128, 19 ms at 256 on a 2-core x86-64 machine),
#: where the Numba kernel needs a compile (seconds) on first use and about 20 ms a call after.
NUMPY_MAX_N = 192


def _n_inputs(K0: object) -> int:
    shape = getattr(K0, "shape", None)
    if shape is None:
        try:
            return len(K0)  # type: ignore[arg-type]
        except TypeError:
            return 0
    return int(shape[0]) if len(shape) else 0


def _check_bytes(max_bytes: int | None, K0: np.ndarray, n_square: int, backend: str) -> None:
    if max_bytes is None:
        return
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int | np.integer) or max_bytes <= 0:
        raise ValueError(f"max_bytes must be a positive int (bytes), got {max_bytes!r}")
    need = n_square * K0.size * K0.dtype.itemsize
    if need > max_bytes:
        raise ValueError(
            f"the {backend} backend needs about {need} bytes of N x N arrays for N={K0.shape[0]}, "
            f"more than max_bytes={int(max_bytes)}; evaluate row blocks from the raw inputs with "
            "dagnngp.numerics.nngp_blocks(motif, X, max_bytes=...) or "
            "dagnngp.numerics.min_pair_gap_blocks(...)"
        )


def _kernel_array_api(m: Motif, K0, mu0, model: str, act: ActivationMaps, c_sigma: float, sigma_b: float,
                      edge: str, check_psd: bool | None, max_bytes: int | None,
                      readout: bool | None) -> NNGPResult | NTKResult:
    """Array-API inputs: validate a host copy, run the program in the inputs' own namespace."""
    from dagnngp.numerics.xp import array_namespace, cross_t, relu_dual_xp, relu_mean_xp, to_numpy

    xp = array_namespace(K0)
    host = check_gram(to_numpy(K0), "K0", check_psd=check_psd)
    _check_bytes(max_bytes, host, (1 if readout is None else 2) * m.n_nodes + 4, "array-API")
    if mu0 is None:
        mu_x = xp.zeros((host.shape[0],), dtype=K0.dtype)
    else:
        _check_mu0(to_numpy(mu0), host, edge)
        mu_x = mu0
    program = compile_program(m, model, edge, ntk=readout is not None, readout=bool(readout))

    def diagonal(K):
        return xp.sum(K * xp.eye(K.shape[0], dtype=K.dtype), axis=1)

    relu = _Maps(lambda K: relu_dual_xp(K, xp, c_sigma), lambda d: relu_mean_xp(d, xp, c_sigma),
                 act.derivative)
    dual, mean, tangent = edge_maps(relu, sigma_b, edge, diagonal)
    K0s = 0.5 * (K0 + cross_t(xp, K0))
    gaps = None
    if readout is not None:  # the NTK reads 1 - C from the gaps (see _evaluate)
        gaps = (gram_gap(xp, K0s), *edge_gap_maps(act, sigma_b, edge, diagonal))
    pairs, vecs = run_program(program, K0s, mu_x, dual, mean, tangent=tangent, xp=xp, gaps=gaps)

    def sym(K):
        return 0.5 * (K + cross_t(xp, K))

    out = sym(pairs[program.output])
    r_mean = program.node_mean[-1]
    out_mean = xp.zeros((host.shape[0],), dtype=K0.dtype) if r_mean is None else vecs[r_mean]
    if readout is None:
        return NNGPResult(m, model, out, out_mean)
    return NTKResult(m, model, sym(pairs[program.ntk_output]), out, out_mean, readout, edge)


@dataclass(frozen=True)
class _Maps:
    dual: object
    mean: object
    derivative: object


def edge_maps(act: ActivationMaps | _Maps, sigma_b: float, edge: str, diagonal=np.diagonal) -> tuple:
    """``(dual, mean, tangent)`` of a program's instructions for activation maps ``act``.

    The one place where the edge convention meets the activation: for ``"post"`` the
    bias variance enters the pre-activation Gram ``K + sigma_b^2`` before the maps, for
    ``"pre"`` it is added to the edge's output Gram after them.  ``tangent(K, Theta)``
    is the ``Tangent`` instruction (``Theta`` None for zero).  ``diagonal`` takes the
    diagonal of an N x N array in its own namespace.
    """
    sb2 = sigma_b * sigma_b
    post = edge == "post"

    def pre_gram(K):
        return K + sb2 if (sb2 and post) else K

    def dual(K):
        out = act.dual(pre_gram(K))
        return out + sb2 if (sb2 and not post) else out

    def mean(K):
        return act.mean(diagonal(K) + sb2)

    def tangent(K, theta):
        P = pre_gram(K)
        D = act.derivative(P)
        if post:
            return D * P if theta is None else D * (P + theta)
        return D * theta

    return dual, mean, tangent


def edge_gap_maps(act: ActivationMaps, sigma_b: float, edge: str, diagonal=np.diagonal) -> tuple:
    """``(dual_gap, tangent_gap)``: :func:`edge_maps`' maps carrying gaps (see :func:`run_program`).

    The bias shifts every entry of a Gram alike, so it leaves gaps unchanged.  A
    ``Tangent``'s output ``e * Q`` has the gap ``(sqrt(e_ii Q_ii) - sqrt(e_jj Q_jj))^2 / 2 +
    sqrt(e_ii e_jj) (sqrt(Q_ii Q_jj) - Q_ij) + Q_ij (sqrt(e_ii e_jj) - e_ij)``, each term free of
    cancellation; ``Q = P + Theta`` (post) or ``Theta`` (pre).
    """
    sb2 = sigma_b * sigma_b
    post = edge == "post"

    def dual_gap(K, E):
        out, gap = act.dual_gap(K + sb2 if (sb2 and post) else K, E)
        return (out + sb2 if (sb2 and not post) else out), gap

    def tangent_gap(x, theta):
        K, E = x
        P = K + sb2 if (sb2 and post) else K
        e, drop = act.derivative_gap(P, E)
        if post:
            Q, EQ = (P, E) if theta is None else (P + theta[0], E + theta[1])
        else:
            Q, EQ = theta
        de, dq = diagonal(e), diagonal(Q)
        xp = array_namespace_of(K)
        rq = xp.sqrt(xp.clip(dq, 0.0, None))
        re_ = xp.sqrt(xp.clip(de, 0.0, None))
        a = re_ * rq
        gap = (0.5 * (a[:, None] - a[None, :]) ** 2
               + (re_[:, None] * re_[None, :]) * (EQ - 0.5 * (rq[:, None] - rq[None, :]) ** 2) + Q * drop)
        return e * Q, gap

    return dual_gap, tangent_gap


def _evaluate(m: Motif, model: str, K0, mu0, act: ActivationMaps, sigma_b: float, edge: str,
              all_nodes: bool, readout: bool | None = None) -> NNGPResult | NTKResult:
    """Run the motif's program (:func:`~dagnngp.theory.program.compile_program`) on NumPy arrays."""
    program = compile_program(m, model, edge, ntk=readout is not None, readout=bool(readout))
    dual, mean, tangent = edge_maps(act, sigma_b, edge)
    keep_p = (set(program.node_gram) | set(program.cross.values())
              | {r for r in program.node_ntk if r is not None}) if all_nodes else ()
    keep_v = {r for r in program.node_mean if r is not None} if all_nodes else ()
    gaps = None
    if readout is not None and act.dual_gap is not None and act.derivative_gap is not None:
        # the NTK's derivative map reads 1 - C: carry the gaps so that it keeps its digits as C -> 1
        gaps = (gram_gap(np, K0), *edge_gap_maps(act, sigma_b, edge))
    pairs, vecs = run_program(program, K0, mu0, dual, mean, tangent=tangent, keep_pairs=keep_p,
                              keep_vecs=keep_v, gaps=gaps)
    zeros = np.zeros_like(mu0)

    def sym(K: np.ndarray) -> np.ndarray:
        return 0.5 * (K + K.T)

    out_mean = program.node_mean[-1]
    output = sym(pairs[program.output])
    mean_out = zeros if out_mean is None else vecs[out_mean]
    if readout is None:
        res = NNGPResult(m, model, output, mean_out)
    else:
        res = NTKResult(m, model, sym(pairs[program.ntk_output]), output, mean_out, readout, edge)
    if all_nodes:
        res.nodes = {t: (K0 if t == 0 else sym(pairs[r])) for t, r in enumerate(program.node_gram)}
        res.means = {t: (zeros if r is None else vecs[r]) for t, r in enumerate(program.node_mean)}
        res.means[0] = mu0
        if readout is None:
            res.cross = {(a, b): pairs[r] for (a, b), r in program.cross.items() if a > b}
        else:
            res.nodes_ntk = {t: (np.zeros_like(K0) if r is None else sym(pairs[r]))
                             for t, r in enumerate(program.node_ntk)}
    return res
