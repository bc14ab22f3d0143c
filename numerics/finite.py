"""Finite-width motif networks for every activation: the one home of their forward and backward passes.

The network of a motif at width ``m`` (the paper's eq. (1)-(2), with any
registered activation ``s`` and an optional bias):

* node 0 holds the inputs: raw inputs ``X`` (N x d, ``d <= m``) fill the first
  ``d`` coordinates of the width-``m`` input node (zero padding), exactly as
  :func:`dagnngp.numerics.inputs_to_gram` places them, so ``K0 = X X^T``;
* ``X_t = sum_{linear s->t} alpha_st sqrt(c/m) s(W_st X_s + sigma_b beta_st 1^T)
  + sum_{skip s->t} alpha_st X_s`` (``edge="post"``, the paper's), with ``W_st`` an
  ``m x m`` matrix and ``beta_st`` an ``m``-vector of i.i.d. N(0, 1) entries (no
  bias when ``sigma_b = 0``) and ``alpha_st`` the edge's weight (1 unless the motif
  says otherwise);
* with ``edge="pre"`` a linear edge applies the activation first:
  ``alpha_st (sqrt(c) / m W_st s(sqrt(m) X_s) + sigma_b m^-1/2 beta_st 1^T)``, and
  node 0 is a Gaussian field: ``X_0 = m^-1/2 G X^T`` with a fixed stem ``G``
  (``m x d``, i.i.d. N(0, 1)), so each coordinate of ``sqrt(m) X_0`` is a centred
  Gaussian with covariance ``X X^T``.

Node features are ``m x N`` with O(m^-1/2) entries, so Grams are plain sums
``<X_t,i, X_t,j>``; every trained parameter (``W``, ``beta``, the readout) has
N(0, 1) entries and its scale in front (the NTK parametrisation), so a finite
network's empirical NTK converges to :func:`dagnngp.numerics.ntk`'s.

Each unit's pre-activations ``z_k,i = w_k . X_s,i + b_k`` are jointly Gaussian
with covariance ``<X_s,i, X_s,j> + sigma_b^2``, so the un-normalised Grams
``<X_t,i, X_t,j>`` converge to :func:`dagnngp.numerics.nngp`'s kernels with the
same ``activation``, ``c_sigma`` and ``sigma_b`` (pre-activation Gram ``K_s + sigma_b^2``).

What each edge op does is stated once, in :data:`EDGE_OPS` (keyed by
:class:`~dagnngp.motif.Op`, mirroring :data:`dagnngp.theory.program.EDGE_RULES`):
its contribution to the forward pass and its step of the backward pass.  Two
users walk the motif through it:

* :func:`sample_features`, the Monte Carlo forward pass behind
  :func:`dagnngp.numerics.sampling.monte_carlo`, which draws fresh weights
  per pass with one of two samplers of the same distribution (``"explicit"``
  materialises every ``W``; ``"gram"`` draws the pre-activations as ``E R``
  from a thin QR ``X_s = Q R``, ``O(m N^2)``, and adds ``b`` per row);
* :class:`FiniteNetwork`, a network with explicit weights: forward and
  backward passes, the empirical NTK with a readout, and :func:`gradient_descent`.

>>> net = FiniteNetwork.initialise("2_02_002", width=64, rng=np.random.default_rng(0),
...                                activation="leaky", activation_params={"slope": 0.2},
...                                c_sigma=2 / 1.04, sigma_b=0.1)
>>> theta, readout_gram = net.ntk(np.eye(3))
>>> bool(np.linalg.eigvalsh(theta)[0] >= np.linalg.eigvalsh(readout_gram)[0])
True
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dagnngp.motif import Motif, Op
from dagnngp.numerics.activations import ActivationMaps, get_activation
from dagnngp.numerics.reference import as_motif, check_edge, inputs_to_gram
from dagnngp.numerics.validate import check_c_sigma
from dagnngp.theory.activations import FLOAT, lookup
from dagnngp.theory.activations import check_variance as _check_variance
from dagnngp.theory.spec import KernelSpec, resolve_spec

__all__ = [
    "DTYPES",
    "EDGE_OPS",
    "FiniteEdgeOp",
    "FiniteNetwork",
    "NetworkGradients",
    "NetworkSpec",
    "SAMPLERS",
    "check_inputs",
    "check_variance",
    "gradient_descent",
    "sample_features",
    "variance_preserving_c_sigma",
]

#: the Monte Carlo samplers (same distribution, different cost)
SAMPLERS = ("gram", "explicit")
#: the floating-point types a finite network computes in
DTYPES = ("float32", "float64")

#: relative tolerance of the variance check (a c_sigma typed with 7 digits passes)


# ------------------------------------------------------------------ settings
@dataclass(frozen=True)
class NetworkSpec:
    """Everything about a finite network but its motif and width, validated.

    ``maps`` are the activation's maps bound to ``c_sigma``; ``maps.finite`` is
    what a linear edge applies, ``maps.finite_grad`` its derivative.

    >>> spec = NetworkSpec.make("leaky", {"slope": 0.1}, c_sigma=2.0, sigma_b=0.5, dtype="float32")
    >>> spec.activation, spec.sigma_b, spec.dtype.name
    ('leaky', 0.5, 'float32')
    """

    activation: str
    activation_params: dict[str, float]
    c_sigma: float
    sigma_b: float
    dtype: np.dtype
    maps: ActivationMaps
    #: ``"post"`` (activation after the weights) or ``"pre"``
    edge: str = "post"

    @classmethod
    def make(
        cls,
        activation: str = "relu",
        activation_params: dict[str, float] | None = None,
        c_sigma: float = 2.0,
        sigma_b: float = 0.0,
        dtype: object = "float64",
        edge: str = "post",
    ) -> NetworkSpec:
        """Validate the settings (``ValueError`` with a fix for every bad one)."""
        edge = check_edge(edge)
        c_sigma = check_c_sigma(c_sigma)
        sigma_b = check_sigma_b(sigma_b)
        params = _check_params(activation_params)
        if not isinstance(activation, str):
            raise ValueError(f"activation must be a name such as 'relu', not {activation!r}")
        maps = get_activation(activation, c_sigma, **params)
        return cls(activation, params, c_sigma, sigma_b, _check_dtype(dtype), maps, edge)

    @classmethod
    def resolve(
        cls,
        spec: KernelSpec | None = None,
        activation: str | None = None,
        activation_params: dict[str, float] | None = None,
        c_sigma: float | None = None,
        sigma_b: float | None = None,
        dtype: object = "float64",
        edge: str | None = None,
    ) -> NetworkSpec:
        """Merge a :class:`~dagnngp.theory.spec.KernelSpec` with keywords given beside it, then validate.

        Keywords left at ``None`` take the spec's value (or the default); one that
        disagrees with the spec is an error.  The spec's ``model`` is not used:
        a finite network is the same whatever model its limit is compared with.

        >>> NetworkSpec.resolve(KernelSpec(activation="step", sigma_b=0.5)).sigma_b
        0.5
        """
        k = resolve_spec(spec, activation=activation, activation_params=activation_params,
                         c_sigma=c_sigma, sigma_b=sigma_b, edge=edge)
        return cls.make(k.activation, k.params, k.c_sigma, k.sigma_b, dtype, k.edge)

    def scale(self, width: int) -> float:
        """``sqrt(c_sigma / m)``, the factor in front of every linear edge."""
        return math.sqrt(self.c_sigma / width)

    def describe(self) -> str:
        """``'leaky' (slope=0.1)``: the activation and its parameters, for messages."""
        return _describe(self.activation, self.activation_params)


def check_sigma_b(sigma_b: object) -> float:
    """``sigma_b`` as a float, or a ``ValueError`` saying what a bias standard deviation must be."""
    try:
        value = float(sigma_b)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"sigma_b must be a number >= 0, not {sigma_b!r}") from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"sigma_b must be a finite number >= 0 (a standard deviation), got {sigma_b!r}")
    if not math.isfinite(value * value):
        raise ValueError(f"sigma_b={sigma_b!r} is too large: its square (the bias variance) overflows")
    return value


def _check_params(params: object) -> dict[str, float]:
    if params is None:
        return {}
    if not isinstance(params, dict):
        raise ValueError(f"activation_params must be a dict such as {{'slope': 0.1}}, not {params!r}")
    out: dict[str, float] = {}
    for key, value in params.items():
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"activation parameter {key}={value!r} is not a number") from None
        if not math.isfinite(number):
            raise ValueError(f"activation parameter {key}={value!r} must be finite")
        out[str(key)] = number
    return out


def _check_dtype(dtype: object) -> np.dtype:
    try:
        dt = np.dtype(dtype)  # type: ignore[call-overload]
    except TypeError:
        dt = None
    if dt is None or dt.name not in DTYPES:
        raise ValueError(f"dtype={dtype!r} is not supported; use one of {', '.join(DTYPES)}")
    return dt


def _describe(activation: str, params: dict[str, float]) -> str:
    inner = ", ".join(f"{k}={v:g}" for k, v in sorted(params.items()))
    return f"{activation!r}" + (f" ({inner})" if inner else "")


# ------------------------------------------------------- variance preservation
def variance_preserving_c_sigma(activation: str = "relu", activation_params: dict | None = None) -> float:
    """``1 / E[s(u)^2]`` for ``u ~ N(0, 1)``: the ``c_sigma`` that keeps a unit variance a unit variance.

    The activation registry states it (:meth:`dagnngp.theory.activations.Activation.c_sigma`).

    >>> variance_preserving_c_sigma("relu"), variance_preserving_c_sigma("arccos2")
    (2.0, 0.666...)
    >>> variance_preserving_c_sigma("leaky", {"slope": 0.5})
    1.6
    """
    return float(lookup(activation, **_check_params(activation_params)).c_sigma(FLOAT))


def check_variance(activation: str = "relu", c_sigma: float = 2.0, activation_params: dict | None = None,
                   stacklevel: int = 2) -> bool:
    """:func:`dagnngp.theory.activations.check_variance` after validating ``c_sigma``.

    >>> check_variance("step", 2.0)
    True
    """
    return _check_variance(activation, check_c_sigma(c_sigma), _check_params(activation_params),
                           stacklevel=stacklevel + 1)


# -------------------------------------------------------------------- inputs
def check_int(value: object, name: str, minimum: int, hint: str) -> int:
    """``value`` as an int ``>= minimum``, or a ``ValueError`` ending with ``hint``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer, got {value!r}; {hint}")
    if int(value) < minimum:
        raise ValueError(f"{name}={int(value)} is too small: need {name} >= {minimum}; {hint}")
    return int(value)


def check_inputs(X: object, width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate raw inputs for a width-``width`` network: ``(X, K0, mu0)`` as float64 NumPy arrays.

    >>> X, K0, mu0 = check_inputs([[3.0, 4.0]], width=4)
    >>> K0.tolist(), mu0.tolist()
    ([[25.0]], [3.5])
    """
    arr = np.asarray(X)
    if arr.ndim == 2 and arr.shape[1] > width:
        raise ValueError(
            f"width={width} is smaller than the input dimension d={arr.shape[1]}: the inputs "
            "are zero-padded into the width-m input node, so pass width >= d"
        )
    K0, mu0 = inputs_to_gram(arr, width=width)  # validates: 2-D, real, finite, non-empty
    return np.asarray(arr, dtype=np.float64), K0.astype(np.float64), mu0.astype(np.float64)


def _input_features(X: Any, width: int, dtype: Any, xp: Any, stem: Any = None) -> Any:
    """The input node (``m x N``): the inputs' transpose in its first ``d`` rows, zeros below;
    with a ``stem`` (``m x d``, for pre-activation edges) the Gaussian field ``m^-1/2 stem X^T``."""
    n, d = X.shape
    if stem is not None:
        return (stem @ X.T) * (1.0 / math.sqrt(width))
    F0 = xp.zeros((width, n), dtype=dtype)
    F0[:d, :] = X.T
    return F0


def _xp_dtype(dtype: np.dtype, xp: Any) -> Any:
    return dtype if xp is np else getattr(xp, dtype.name)


# ------------------------------------------------------------------ edge ops
class _Pass:
    """One forward pass under way: the features so far and how a linear edge gets its weights.

    ``matmul(s, t, A)`` returns ``W_st A`` and ``bias(s, t)`` the bias column
    ``beta_st`` (``m x 1``, unit normal) or ``None`` (both drawn or stored, in that order).
    ``weight(s, t)`` is the edge's weight ``alpha_st``.
    """

    def __init__(self, spec: NetworkSpec, width: int, matmul: Callable[[int, int, Any], Any],
                 bias: Callable[[int, int], Any], keep_pre: bool,
                 weight: Callable[[int, int], float]) -> None:
        self.spec = spec
        self.width = width
        self.scale = spec.scale(width)
        self.matmul = matmul
        self.bias = bias
        self.weight = weight
        self.keep_pre = keep_pre
        self.feats: list[Any] = []
        self.pre: dict[tuple[int, int], Any] = {}


class _Backward:
    """A backward pass under way: ``grads[t] = dOut/dX_t`` and each linear edge's ``delta``."""

    def __init__(self, net: FiniteNetwork, spec: NetworkSpec, grads: list[np.ndarray],
                 pre: dict[tuple[int, int], np.ndarray]) -> None:
        self.net = net
        self.spec = spec
        self.scale = spec.scale(net.width)
        self.grads = grads
        self.pre = pre
        self.deltas: dict[tuple[int, int], np.ndarray] = {}
        self.derivative = getattr(spec.maps, "finite_grad", None)
        if self.derivative is None:
            raise ValueError(f"activation {spec.describe()} has no derivative registered "
                             "(finite_grad); forward passes work, gradients and the NTK do not")


def _zero_forward(p: _Pass, s: int, t: int) -> None:
    return None


def _zero_backward(b: _Backward, s: int, t: int) -> None:
    return None


def _skip_forward(p: _Pass, s: int, t: int) -> Any:
    w = p.weight(s, t)
    return p.feats[s] if w == 1 else w * p.feats[s]  # the identity


def _skip_backward(b: _Backward, s: int, t: int) -> None:
    w = b.net.motif.weight(s, t)
    b.grads[s] += b.grads[t] if w == 1 else w * b.grads[t]


def _linear_forward(p: _Pass, s: int, t: int) -> Any:
    w = p.weight(s, t)
    sigma_b = p.spec.sigma_b
    if p.spec.edge == "post":
        z = p.matmul(s, t, p.feats[s])
        if sigma_b > 0:
            z = z + sigma_b * p.bias(s, t)
        if p.keep_pre:
            p.pre[(s, t)] = z
        return (w * p.scale) * p.spec.maps.finite(z)
    # pre-activation: the activation reads the unit-variance field sqrt(m) X_s
    root_m = math.sqrt(p.width)
    z = root_m * p.feats[s]
    if p.keep_pre:
        p.pre[(s, t)] = z
    out = p.matmul(s, t, p.spec.maps.finite(z)) * (p.scale / root_m)
    if sigma_b > 0:
        out = out + (sigma_b / root_m) * p.bias(s, t)
    return w * out


def _linear_backward(b: _Backward, s: int, t: int) -> None:
    # out_grad = dOut/d(edge output); post: delta = out_grad * s'(z) is dOut/dz / scale,
    # pre: the gradient reaches X_s through W^T and s'(sqrt(m) X_s)
    g = b.net.motif.weight(s, t) * b.grads[t]
    W = b.net.weights[(s, t)]
    if b.spec.edge == "post":
        delta = g * b.derivative(b.pre[(s, t)])
        b.deltas[(s, t)] = delta
        b.grads[s] += b.scale * (W.T @ delta)
    else:
        b.deltas[(s, t)] = g
        b.grads[s] += b.scale * ((W.T @ g) * b.derivative(b.pre[(s, t)]))


@dataclass(frozen=True)
class FiniteEdgeOp:
    """What one edge op does in a finite network.

    ``forward(pass, s, t)`` returns the edge's contribution to ``X_t`` (``None``
    for none); ``backward(pass, s, t)`` adds its share of ``dOut/dX_t`` to
    ``dOut/dX_s`` and records a linear edge's ``delta``.
    """

    op: Op
    name: str
    forward: Callable[[_Pass, int, int], Any]
    backward: Callable[[_Backward, int, int], None]


#: each edge op's forward and backward step, keyed by :class:`~dagnngp.motif.Op`
EDGE_OPS: dict[Op, FiniteEdgeOp] = {
    Op.ZERO: FiniteEdgeOp(Op.ZERO, "zero", _zero_forward, _zero_backward),
    Op.SKIP: FiniteEdgeOp(Op.SKIP, "skip", _skip_forward, _skip_backward),
    Op.LINEAR: FiniteEdgeOp(Op.LINEAR, "linear", _linear_forward, _linear_backward),
}


def _walk_forward(motif: Motif, F0: Any, p: _Pass, xp: Any) -> list[Any]:
    """Every node's features; each node sums its incoming edges' contributions in source order."""
    p.feats = [F0]
    for t in range(1, motif.n_nodes):
        acc = xp.zeros_like(F0)
        for s, op in enumerate(motif.ops[t - 1]):
            part = EDGE_OPS[op].forward(p, s, t)
            if part is None:
                continue
            if xp is np:
                acc += part
            else:
                acc = acc + part
        p.feats.append(acc)
    return p.feats


# ------------------------------------------------------- Monte Carlo forward
def _normal(rng: np.random.Generator, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    return rng.standard_normal(shape, dtype=dtype)


def sample_features(
    motif: Motif | str,
    X: Any,
    width: int,
    rng: np.random.Generator,
    sampler: str = "gram",
    spec: NetworkSpec | None = None,
    xp: Any = np,
) -> list[Any]:
    """One draw of the network with fresh weights: every node's features, each ``m x N``.

    ``X`` must already be validated (see :func:`check_inputs`) and live in the
    array namespace ``xp``.  Standard normals always come from NumPy's ``rng``
    (moved to ``xp``'s device), in this order: the stem (``edge="pre"`` only), then
    per linear edge (targets, then sources, ascending) its ``W`` (``"explicit"``)
    or ``E`` (``"gram"``), then its bias when ``sigma_b > 0``.  So a seeded draw is the same network on every
    backend, and a bias-free network draws what it always drew.

    >>> spec = NetworkSpec.make("step")
    >>> feats = sample_features("2", np.eye(2), 8, np.random.default_rng(0), "explicit", spec)
    >>> [f.shape for f in feats], sorted(set(np.unique(feats[1] / np.sqrt(2 / 8)).tolist()))
    ([(8, 2), (8, 2)], [0.0, 1.0])
    """
    if sampler not in SAMPLERS:
        raise ValueError(f"sampler={sampler!r} is not known; use one of {', '.join(SAMPLERS)}")
    m = as_motif(motif)
    spec = NetworkSpec.make() if spec is None else spec
    dtype = _xp_dtype(spec.dtype, xp)

    def bias(s: int, t: int) -> Any:
        return xp.reshape(xp.asarray(_normal(rng, (width,), spec.dtype)), (width, 1))

    if sampler == "explicit":
        def matmul(s: int, t: int, F: Any) -> Any:
            return xp.asarray(_normal(rng, (width, width), spec.dtype)) @ F
    else:
        r_factor: dict[tuple[int, int], Any] = {}

        def matmul(s: int, t: int, F: Any) -> Any:
            # W F = (W Q) R with W Q standard normal: draw E = W Q instead of W
            key = (s, -1) if spec.edge == "post" else (s, t)  # pre: F = s(sqrt(m) X_s), formed per edge
            if key not in r_factor:
                r_factor[key] = np.linalg.qr(F, mode="r") if xp is np else xp.linalg.qr(F)[1]
            R = r_factor[key]
            return xp.asarray(_normal(rng, (width, R.shape[0]), spec.dtype)) @ R

    X_x = xp.astype(X, dtype) if xp is not np else X.astype(dtype, copy=False)
    stem = None
    if spec.edge == "pre":
        stem = xp.asarray(_normal(rng, (width, X.shape[1]), spec.dtype))
    F0 = _input_features(X_x, width, dtype, xp, stem)
    return _walk_forward(m, F0, _Pass(spec, width, matmul, bias, keep_pre=False, weight=m.weight), xp)


# --------------------------------------------------------- explicit networks
@dataclass
class NetworkGradients:
    """``loss = 1/2 ||u - y||^2`` and its gradients with respect to every parameter."""

    loss: float
    weights: dict[tuple[int, int], np.ndarray]
    biases: dict[tuple[int, int], np.ndarray]
    readout: np.ndarray


@dataclass
class FiniteNetwork:
    """A width-``m`` motif network with weights ``weights[(s, t)]``, biases and a readout ``readout``.

    The readout ``u_i = a . X_H,i`` with ``a ~ N(0, I_m)`` follows Du et al.; the
    Gram of ``du/da`` is the output node's Gram, whose infinite-width limit is
    ``K^(H)``.  ``biases[(s, t)]`` exist (and are trained) only when ``sigma_b > 0``.
    Gradients come from a hand-written backward pass through
    :data:`EDGE_OPS`, using the activation's ``finite_grad``.  NumPy arrays only.
    """

    motif: Motif
    width: int
    c_sigma: float
    weights: dict[tuple[int, int], np.ndarray]
    readout: np.ndarray
    activation: str = "relu"
    activation_params: dict[str, float] = field(default_factory=dict)
    sigma_b: float = 0.0
    biases: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)
    edge: str = "post"
    #: ``m x d`` fixed Gaussian stem of the input node (``edge="pre"`` only; not trained)
    stem: np.ndarray | None = None

    @classmethod
    def initialise(
        cls,
        motif: Motif | str,
        width: int,
        rng: np.random.Generator,
        c_sigma: float | None = None,
        *,
        activation: str | None = None,
        activation_params: dict[str, float] | None = None,
        sigma_b: float | None = None,
        spec: KernelSpec | None = None,
        dtype: object = "float64",
        edge: str | None = None,
        n_features: int | None = None,
    ) -> FiniteNetwork:
        """N(0, 1) weights on every linear edge, an N(0, I) readout, N(0, 1) biases (scaled by sigma_b).

        ``c_sigma`` (default 2), ``activation`` (default ``"relu"``), its
        ``activation_params`` and ``sigma_b`` (default 0) may come in a
        :class:`~dagnngp.theory.spec.KernelSpec` as ``spec=``.

        Draw order: the weights (edges in topological order), the readout, the
        biases, then (``edge="pre"``) the ``width x n_features`` stem of the input
        node, so a seed gives the same weights and readout whatever ``sigma_b``.
        ``n_features`` (the input dimension ``d``) is needed with ``edge="pre"``.
        Warns (:class:`~dagnngp.errors.VarianceWarning`) when ``c_sigma`` does
        not preserve the activation's variance.

        >>> net = FiniteNetwork.initialise("2_21", 16, np.random.default_rng(0), sigma_b=0.5)
        >>> sorted(net.weights), sorted(net.biases)
        ([(0, 1), (0, 2)], [(0, 1), (0, 2)])
        """
        m = as_motif(motif)
        width = check_int(width, "width", 1, "the width is the number of neurons per node")
        settings = NetworkSpec.resolve(spec, activation, activation_params, c_sigma, sigma_b, dtype, edge)
        check_variance(settings.activation, settings.c_sigma, settings.activation_params, stacklevel=2)
        stem = None
        if settings.edge == "pre":
            if n_features is None:
                raise ValueError("edge='pre' needs n_features=d, the input dimension: the input node is the "
                                 "Gaussian field of a fixed random stem of shape (width, d)")
            n_features = check_int(n_features, "n_features", 1, "the input dimension d")
        weights = {(s, t): _normal(rng, (width, width), settings.dtype)
                   for s, t, op in m.edges() if op is Op.LINEAR}
        readout = _normal(rng, (width,), settings.dtype)
        biases = ({e: _normal(rng, (width,), settings.dtype) for e in weights}
                  if settings.sigma_b > 0 else {})
        if settings.edge == "pre":
            stem = _normal(rng, (width, n_features), settings.dtype)
        return cls(m, width, settings.c_sigma, weights, readout, settings.activation,
                   settings.activation_params, settings.sigma_b, biases, settings.edge, stem)

    @property
    def spec(self) -> NetworkSpec:
        """The network's settings (activation maps bound to its ``c_sigma``)."""
        return NetworkSpec.make(self.activation, self.activation_params, self.c_sigma, self.sigma_b,
                                self.readout.dtype, self.edge)

    def _inputs(self, X: object) -> np.ndarray:
        if self.stem is not None:
            arr = np.asarray(X)
            if arr.ndim != 2 or arr.shape[1] != self.stem.shape[1]:
                raise ValueError(f"X must have shape (N, {self.stem.shape[1]}): this network's stem reads "
                                 f"{self.stem.shape[1]} features, got shape {arr.shape}")
            inputs_to_gram(arr)  # validates: real, finite, non-empty
            return _input_features(arr.astype(self.readout.dtype, copy=False), self.width,
                                   self.readout.dtype, np, self.stem)
        arr, _, _ = check_inputs(X, self.width)
        return _input_features(arr.astype(self.readout.dtype, copy=False), self.width,
                               self.readout.dtype, np)

    def _pass(self, spec: NetworkSpec) -> _Pass:
        def matmul(s: int, t: int, F: np.ndarray) -> np.ndarray:
            return self.weights[(s, t)] @ F

        def bias(s: int, t: int) -> np.ndarray:
            return self.biases[(s, t)][:, None]

        return _Pass(spec, self.width, matmul, bias, keep_pre=True, weight=self.motif.weight)

    def forward(self, X: object) -> tuple[list[np.ndarray], dict[tuple[int, int], np.ndarray]]:
        """Node features (each ``m x N``) and what each linear edge's activation reads
        (``W X_s + sigma_b beta`` for post-activation edges, ``sqrt(m) X_s`` for pre-activation ones)."""
        p = self._pass(self.spec)
        feats = _walk_forward(self.motif, self._inputs(X), p, np)
        return feats, p.pre

    def outputs(self, X: object) -> np.ndarray:
        """``u_i = a . X_H,i`` for every input."""
        feats, _ = self.forward(X)
        return self.readout @ feats[-1]

    def _backward(self, feats: list[np.ndarray], pre: dict[tuple[int, int], np.ndarray],
                  out_grad: np.ndarray) -> dict[tuple[int, int], np.ndarray]:
        """``delta_e = (dOut/dX_t) * s'(Z_e)`` per linear edge, given ``dOut/dX_H`` (m x N)."""
        spec = self.spec
        grads = [np.zeros_like(feats[0]) for _ in feats]
        grads[-1] = out_grad
        b = _Backward(self, spec, grads, pre)
        for t in range(self.motif.n_nodes - 1, 0, -1):
            for s, op in enumerate(self.motif.ops[t - 1]):
                EDGE_OPS[op].backward(b, s, t)
        return b.deltas

    def ntk(self, X: object) -> tuple[np.ndarray, np.ndarray]:
        """``(Theta, G_a)``: the empirical NTK over all parameters and readout, and the readout-only Gram.

        Post-activation edges: ``Theta = G_a + sum_e (c/m) <delta_e,i, delta_e,j>
        (<X_s,i, X_s,j> + sigma_b^2 [bias])``; pre-activation edges add
        ``(c/m^2) <g_e,i, g_e,j> <s(sqrt(m) X_s,i), s(sqrt(m) X_s,j)> + (sigma_b^2/m) <g_e,i, g_e,j>``
        with ``g_e`` the gradient at the edge's output: a sum of PSD Grams.  ``Theta``
        estimates :func:`~dagnngp.numerics.ntk`'s ``readout=True`` limit and
        ``Theta - G_a`` its ``readout=False`` one.
        """
        feats, pre = self.forward(X)
        n = feats[0].shape[1]
        readout_gram = feats[-1].T @ feats[-1]
        deltas = self._backward(feats, pre, np.repeat(self.readout[:, None], n, axis=1))
        theta = readout_gram.copy()
        sb2 = self.sigma_b * self.sigma_b
        for (s, t), delta in deltas.items():
            dd = delta.T @ delta
            if self.edge == "post":
                input_gram = feats[s].T @ feats[s]
                if (s, t) in self.biases:
                    input_gram += sb2
                theta += (self.c_sigma / self.width) * dd * input_gram
            else:
                v = self.spec.maps.finite(pre[(s, t)])
                theta += (self.c_sigma / self.width**2) * dd * (v.T @ v)
                if (s, t) in self.biases:
                    theta += (sb2 / self.width) * dd
        return theta, readout_gram

    def gradients(self, X: object, y: object) -> NetworkGradients:
        """``L = 1/2 ||y - u||^2`` and its gradients with respect to every weight, bias and the readout."""
        feats, pre = self.forward(X)
        u = self.readout @ feats[-1]
        r = u - _targets(y, u.shape[0], u.dtype)
        deltas = self._backward(feats, pre, np.outer(self.readout, r))
        scale = math.sqrt(self.c_sigma / self.width)
        if self.edge == "post":
            w_grads = {e: scale * (delta @ feats[e[0]].T) for e, delta in deltas.items()}
            b_grads = {e: (scale * self.sigma_b) * deltas[e].sum(axis=1) for e in self.biases}
        else:
            root_m = math.sqrt(self.width)
            w_grads = {e: (scale / root_m) * (g @ self.spec.maps.finite(pre[e]).T) for e, g in deltas.items()}
            b_grads = {e: (self.sigma_b / root_m) * deltas[e].sum(axis=1) for e in self.biases}
        return NetworkGradients(0.5 * float(r @ r), w_grads, b_grads, feats[-1] @ r)

    def loss_gradients(
        self, X: object, y: object
    ) -> tuple[float, dict[tuple[int, int], np.ndarray], np.ndarray]:
        """``(L, weight gradients, readout gradient)``; :meth:`gradients` adds the biases'."""
        g = self.gradients(X, y)
        return g.loss, g.weights, g.readout


def _targets(y: object, n: int, dtype: np.dtype) -> np.ndarray:
    try:
        arr = np.asarray(y, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"targets y must be {n} real numbers, got {y!r}") from None
    if arr.shape != (n,):
        raise ValueError(f"targets y must have shape ({n},), one per input, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("targets y have a non-finite entry (NaN or inf)")
    return arr.astype(dtype, copy=False)


def gradient_descent(net: FiniteNetwork, X: object, y: object, eta: float, steps: int) -> np.ndarray:
    """Full-batch GD with a fixed step on ``1/2 ||y - u||^2``; returns ``||y - u(k)||^2`` for k = 0..steps.

    Every parameter (weights, biases, readout) is updated in place.

    >>> net = FiniteNetwork.initialise("2", 32, np.random.default_rng(0))
    >>> losses = gradient_descent(net, np.eye(2), [1.0, -1.0], eta=0.05, steps=10)
    >>> bool(losses[-1] < losses[0])
    True
    """
    eta = float(eta)
    if not (math.isfinite(eta) and eta > 0):
        raise ValueError(f"the step eta must be a finite number > 0, got {eta!r}")
    steps = check_int(steps, "steps", 0, "the number of gradient steps")
    losses = np.empty(steps + 1)
    for k in range(steps + 1):
        g = net.gradients(X, y)
        losses[k] = 2.0 * g.loss
        if k == steps:
            break
        for e, w in g.weights.items():
            net.weights[e] -= eta * w
        for e, b in g.biases.items():
            net.biases[e] -= eta * b
        net.readout -= eta * g.readout
    return losses
