"""Cross-kernels ``K(X1, X2)`` between two input sets, such as training and test inputs.

Entry ``(i, j)`` of a motif's output Gram depends on inputs ``i`` and ``j`` only:
the exact model's means are per input (``mu0_i = width^-1/2 sum_k x_ik``, as in
``dagnngp.numerics.inputs_to_gram``) and every node's diagonal is a function
of its own input.  So the block ``K(X1, X2)`` of the Gram of the joint set
``[X1; X2]`` can be computed from any joint subset that holds both inputs, and
memory stays bounded by evaluating it block by block:

* the ReLU NNGP on the Numba backend runs the kernel of
  ``dagnngp.numerics.numba_program`` on the rectangle ``X1 X2^T`` itself, in
  place, with the pre-pass (diagonals and means) of the joint set: no entry of
  ``K(X1, X1)`` or ``K(X2, X2)`` is formed;
* every other case (any activation, the NTK, the NumPy backend, array-API arrays
  such as CuPy) evaluates ``nngp`` / ``ntk`` on joint subsets
  ``[X1[I]; X2[J]]`` sized to ``max_bytes`` and keeps their off-diagonal block.

>>> import numpy as np
>>> from dagnngp.numerics import nngp, inputs_to_gram
>>> X1 = np.array([[1.0, 0.0], [0.6, 0.8]])
>>> X2 = np.array([[0.0, 1.0], [-1.0, 0.5], [0.3, 0.3]])
>>> K = cross_kernel("2_21_112", X1, X2)
>>> K.shape
(2, 3)
>>> joint = nngp("2_21_112", *inputs_to_gram(np.vstack([X1, X2]))).output
>>> bool(np.allclose(K, joint[:2, 2:], rtol=1e-13, atol=0))
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from dagnngp.motif import Motif
from dagnngp.numerics.reference import _input_array
from dagnngp.theory.spec import KernelSpec, resolve_spec

__all__ = [
    "DEFAULT_MAX_BYTES",
    "KINDS",
    "TrainTestKernels",
    "cross_kernel",
    "kernel_diag",
    "train_test_kernels",
]

#: Default cap (bytes) on the working memory of one block, besides the inputs and the result.
DEFAULT_MAX_BYTES = 256 * 2**20
#: The kernels this module evaluates: the NNGP and the NTK of the output.
KINDS = ("nngp", "ntk")
#: Joint sets up to this size go to the automatic backend whole (small problems never wait for a compile).
_SMALL = 192


@dataclass(frozen=True)
class _Options:
    """Everything besides the motif and the inputs, resolved once."""

    spec: KernelSpec
    readout: bool
    width: int | None
    backend: str | None
    max_bytes: int

    @property
    def edge(self) -> str:
        return self.spec.edge

    def call_kwargs(self) -> dict[str, Any]:
        return {"spec": self.spec, "backend": self.backend}


def _options(model, c_sigma, activation, sigma_b, activation_params, spec, edge, readout, width, backend,
             max_bytes) -> _Options:
    spec = resolve_spec(spec, model=model, c_sigma=c_sigma, activation=activation, sigma_b=sigma_b,
                        activation_params=activation_params, edge=edge)
    if spec.edge not in ("post", "pre"):
        raise ValueError(f"edge={spec.edge!r} is not known; use 'post' (the default) or 'pre'")
    if not isinstance(readout, bool | np.bool_):
        raise ValueError(f"readout must be True or False, got {readout!r}")
    if width is not None and (isinstance(width, bool) or not isinstance(width, int | np.integer)):
        raise ValueError(f"width must be an int, not {width!r}")
    if backend is not None and backend not in ("numpy", "numba"):
        raise ValueError(f"backend={backend!r} is not known; use 'numpy', 'numba' or None (automatic)")
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int | np.integer) or max_bytes <= 0:
        raise ValueError(f"max_bytes must be a positive int (bytes), got {max_bytes!r}")
    return _Options(spec, bool(readout), None if width is None else int(width), backend, int(max_bytes))


def _check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"kind={kind!r} is not known; use 'nngp' or 'ntk'")
    return kind


def _is_numpy(X: Any) -> bool:
    return isinstance(X, np.ndarray | list | tuple) or not hasattr(X, "__array_namespace__")


def _inputs(X: Any, name: str) -> Any:
    """Validate an input set (N x d, real, finite); NumPy integers become float64."""
    if _is_numpy(X):
        return _input_array(X, name)
    from dagnngp.numerics.xp import array_namespace

    xp = array_namespace(X)
    if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"{name} must be a 2-D array of N >= 1 inputs (N x d), got shape {tuple(X.shape)}")
    if not bool(xp.all(xp.isfinite(X))):
        raise ValueError(f"{name} has a non-finite entry (NaN or inf)")
    return X


def _pair(X1: Any, X2: Any) -> tuple[Any, Any]:
    X1 = _inputs(X1, "X1")
    if X2 is None:
        return X1, None
    X2 = _inputs(X2, "X2")
    if _is_numpy(X1) != _is_numpy(X2):
        raise ValueError("X1 and X2 must come from the same array library (both NumPy, or both CuPy, ...)")
    if X1.shape[1] != X2.shape[1]:
        raise ValueError("X1 and X2 must have the same number of features, "
                         f"got {X1.shape[1]} and {X2.shape[1]}")
    return X1, X2


def _gram_and_means(X: Any, opts: _Options) -> tuple[Any, Any]:
    """``(K0, mu0)`` of one (joint) input set; ``mu0`` is None for pre-activation edges (centred field)."""
    d = X.shape[1]
    w = d if opts.width is None else opts.width
    if w < d:
        raise ValueError(f"width={w} is smaller than the input dimension d={d}")
    if _is_numpy(X):
        with np.errstate(over="ignore", invalid="ignore"):
            K0 = X @ X.T
            mu0 = X.sum(axis=1) / np.sqrt(w, dtype=X.dtype)
        if not (np.all(np.isfinite(K0)) and np.all(np.isfinite(mu0))):
            raise ValueError(f"the inputs' inner products overflow {X.dtype} "
                             f"(largest |x| = {float(np.max(np.abs(X))):.3g}); rescale the inputs")
    else:
        from dagnngp.numerics.xp import array_namespace

        xp = array_namespace(X)
        K0 = X @ X.T
        mu0 = xp.sum(X, axis=1) / math.sqrt(w)
    return K0, (None if opts.edge == "pre" else mu0)


def _evaluate(m: Motif, X: Any, kinds: tuple[str, ...], opts: _Options) -> dict[str, Any]:
    """The output kernels of the joint set ``X`` by the public engines (``nngp`` / ``ntk``)."""
    K0, mu0 = _gram_and_means(X, opts)
    from dagnngp.numerics.reference import nngp, ntk

    if "ntk" in kinds:
        res = ntk(m, K0, mu0, readout=opts.readout, **opts.call_kwargs())
        return {"nngp": res.nngp, "ntk": res.ntk}
    return {"nngp": nngp(m, K0, mu0, **opts.call_kwargs()).output}


def _n_square(m: Motif, kinds: tuple[str, ...]) -> int:
    """How many N x N arrays one engine call holds at a time (an upper estimate)."""
    return (m.n_nodes + 4) * (3 if "ntk" in kinds else 1)


def _block_size(m: Motif, kinds: tuple[str, ...], itemsize: int, max_bytes: int) -> int:
    """Largest joint set ``n`` whose engine call fits in ``max_bytes``."""
    n = int(math.isqrt(max_bytes // (itemsize * _n_square(m, kinds))))
    if n < 2:
        raise ValueError(f"max_bytes={max_bytes} is too small: a joint block of 2 inputs needs about "
                         f"{4 * itemsize * _n_square(m, kinds)} bytes")
    return n


def _concat(A: Any, B: Any) -> Any:
    if _is_numpy(A):
        return np.concatenate([A, B], axis=0)
    from dagnngp.numerics.xp import array_namespace

    return array_namespace(A).concat([A, B], axis=0)


def _empty(like: Any, shape: tuple[int, ...]) -> Any:
    if _is_numpy(like):
        return np.empty(shape, dtype=like.dtype)
    from dagnngp.numerics.xp import array_namespace

    return array_namespace(like).empty(shape, dtype=like.dtype)


def _splits(n: int, size: int) -> list[tuple[int, int]]:
    return [(a, min(n, a + size)) for a in range(0, n, size)]


def _generic(m: Motif, X1: Any, X2: Any | None, kinds: tuple[str, ...], opts: _Options) -> dict[str, Any]:
    """``K(X1, X2)`` (``X2=None``: ``K(X1, X1)``) from engine calls on joint subsets that fit."""
    n = _block_size(m, kinds, 8, opts.max_bytes)
    n1 = X1.shape[0]
    if X2 is None:
        if n1 <= n:
            return _evaluate(m, X1, kinds, opts)
        b = n // 2
        out = {k: _empty(X1, (n1, n1)) for k in _out_kinds(kinds)}
        blocks = _splits(n1, b)
        for p, (a0, a1) in enumerate(blocks):
            for b0, b1 in blocks[p:]:
                if b0 == a0:
                    res = _evaluate(m, X1[a0:a1, :], kinds, opts)
                    for k in out:
                        out[k][a0:a1, a0:a1] = res[k]
                    continue
                res = _evaluate(m, _concat(X1[a0:a1, :], X1[b0:b1, :]), kinds, opts)
                na = a1 - a0
                for k in out:
                    out[k][a0:a1, b0:b1] = res[k][:na, na:]
                    out[k][b0:b1, a0:a1] = res[k][na:, :na]
        return out
    n2 = X2.shape[0]
    if n1 + n2 <= n:
        res = _evaluate(m, _concat(X1, X2), kinds, opts)
        return {k: v[:n1, n1:] for k, v in res.items()}
    # split the joint budget n between the two sides; a small side is taken whole
    b2 = min(n2, max(n // 2, n - n1))
    b1 = min(n1, n - b2)
    out = {k: _empty(X1, (n1, n2)) for k in _out_kinds(kinds)}
    for a0, a1 in _splits(n1, b1):
        for c0, c1 in _splits(n2, b2):
            res = _evaluate(m, _concat(X1[a0:a1, :], X2[c0:c1, :]), kinds, opts)
            na = a1 - a0
            for k in out:
                out[k][a0:a1, c0:c1] = res[k][:na, na:]
    return out


def _out_kinds(kinds: tuple[str, ...]) -> tuple[str, ...]:
    return ("nngp", "ntk") if "ntk" in kinds else ("nngp",)


def _numba_fits(X1: Any, X2: Any | None, opts: _Options) -> bool:
    """Whether the rectangular Numba kernel serves this call (ReLU, NumPy arrays, a rectangle)."""
    if X2 is None or not _is_numpy(X1) or opts.spec.activation != "relu" or opts.backend == "numpy":
        return False
    import importlib.util

    if importlib.util.find_spec("numba") is None:
        if opts.backend == "numba":
            raise ValueError("backend='numba' needs Numba (pip install numba); use backend='numpy'")
        return False
    return opts.backend == "numba" or X1.shape[0] + X2.shape[0] > _SMALL


def _cross_numba(m: Motif, X1: np.ndarray, X2: np.ndarray, kind: str,
                 opts: _Options) -> dict[str, np.ndarray]:
    """``K(X1, X2)`` (and the NTK for ``kind="ntk"``) by the Numba kernel on the rectangle."""
    from dagnngp.numerics.numba_cross import relu_cross_rows
    from dagnngp.numerics.numba_program import prepare
    from dagnngp.numerics.validate import check_c_sigma, check_finite_result
    from dagnngp.theory.activations import check_variance

    spec = opts.spec
    c_sigma = check_c_sigma(spec.c_sigma)
    check_variance(spec.activation, c_sigma, spec.params, stacklevel=4)  # as nngp warns
    sigma_b = float(spec.sigma_b)
    if not (np.isfinite(sigma_b) and sigma_b >= 0 and np.isfinite(sigma_b * sigma_b)):
        raise ValueError(f"sigma_b must be a finite number >= 0 with a finite square, got {spec.sigma_b!r}")
    d = X1.shape[1]
    w = d if opts.width is None else opts.width
    if w < d:
        raise ValueError(f"width={w} is smaller than the input dimension d={d}")
    dtype = np.result_type(X1.dtype, X2.dtype)
    X1 = X1.astype(dtype, copy=False)
    X2 = X2.astype(dtype, copy=False)
    n2 = X2.shape[0]
    # the pre-pass of the joint set [X2; X1]: columns j < n2 are X2's inputs, row i of X1 is n2 + i
    diag = np.concatenate([np.einsum("ij,ij->i", X2, X2, dtype=np.float64),
                           np.einsum("ij,ij->i", X1, X1, dtype=np.float64)])
    if opts.edge == "pre":  # the input node is a centred field
        mu = np.zeros(diag.shape[0])
    else:
        mu = np.concatenate([X2.sum(axis=1, dtype=np.float64), X1.sum(axis=1, dtype=np.float64)]) / np.sqrt(w)
    prep = prepare(m, spec.model, diag, mu, c_sigma, sigma_b, opts.edge, ntk=kind == "ntk",
                   readout=opts.readout)
    with np.errstate(over="ignore", invalid="ignore"):
        out = np.ascontiguousarray(X1 @ X2.T)
    theta = np.empty_like(out) if kind == "ntk" else None
    bad = relu_cross_rows(prep, out, n2, theta)
    if bad:
        depth = max(m.path_depth_counts(), default=0)
        for what, values in (("the cross Gram", out), ("the cross NTK", theta)):
            if values is not None:
                check_finite_result(values, what, c_sigma=c_sigma, sigma_b=sigma_b,
                                    input_scale=float(diag.max()), depth=depth)
    return {"nngp": out} if theta is None else {"nngp": out, "ntk": theta}


def cross_kernel(
    motif: Motif | str,
    X1: Any,
    X2: Any | None = None,
    *,
    kind: str = "nngp",
    model: str | None = None,
    c_sigma: float | None = None,
    activation: str | None = None,
    sigma_b: float | None = None,
    activation_params: dict[str, float] | None = None,
    spec: KernelSpec | None = None,
    edge: str | None = None,
    readout: bool = True,
    width: int | None = None,
    backend: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Any:
    """The output kernel ``K(X1, X2)`` (N1 x N2) between raw inputs ``X1`` (N1 x d) and ``X2`` (N2 x d).

    ``kind`` is ``"nngp"`` (the output's Gram) or ``"ntk"`` (its neural tangent
    kernel; ``readout`` as in ``dagnngp.numerics.ntk``).  ``X2=None`` gives
    ``K(X1, X1)``.  Inputs are placed as in ``dagnngp.numerics.inputs_to_gram``
    (zero padded to ``width``, default ``d``), so the exact model's means are those
    of the inputs; with ``edge="pre"`` the input node is the centred field of
    covariance ``X X^T``.  The kernel options (``model``, ``c_sigma``,
    ``activation``, ``sigma_b``, ``activation_params``, ``edge``, ``spec``,
    ``backend``) mean what they mean for ``dagnngp.numerics.nngp``.

    ``max_bytes`` caps the working memory of each block (the result itself,
    N1 x N2, comes on top).  NumPy inputs give a NumPy result; array-API inputs
    (CuPy, ...) a result of their own library.

    >>> K = cross_kernel("1_01_222", [[1.0, 0.0]], [[0.0, 1.0], [1.0, 0.0]])
    >>> K.round(5).tolist()  # the second column is the diagonal entry 3 + 6/pi
    [[2.86479, 4.90986]]
    """
    m = Motif.coerce(motif)
    kind = _check_kind(kind)
    opts = _options(model, c_sigma, activation, sigma_b, activation_params, spec, edge, readout, width,
                    backend, max_bytes)
    X1, X2 = _pair(X1, X2)
    if _numba_fits(X1, X2, opts):
        return _cross_numba(m, X1, X2, kind, opts)[kind]
    return _generic(m, X1, X2, (kind,), opts)[kind]


def kernel_diag(
    motif: Motif | str,
    X: Any,
    *,
    kind: str = "nngp",
    model: str | None = None,
    c_sigma: float | None = None,
    activation: str | None = None,
    sigma_b: float | None = None,
    activation_params: dict[str, float] | None = None,
    spec: KernelSpec | None = None,
    edge: str | None = None,
    readout: bool = True,
    width: int | None = None,
    backend: str | None = None,
    block: int = 64,
) -> Any:
    """The diagonal ``K(x_i, x_i)`` of the output kernel (length N), in ``O(N x block)`` work.

    Options as for ``cross_kernel``; the engine runs on ``block`` inputs at a time.

    >>> kernel_diag("1_01_222", [[1.0, 0.0], [0.0, 2.0]]).round(5).tolist()
    [4.90986, 19.63944]
    """
    m = Motif.coerce(motif)
    kind = _check_kind(kind)
    if isinstance(block, bool) or not isinstance(block, int | np.integer) or block < 1:
        raise ValueError(f"block must be a positive int, got {block!r}")
    opts = _options(model, c_sigma, activation, sigma_b, activation_params, spec, edge, readout, width,
                    backend, DEFAULT_MAX_BYTES)
    return _diagonals(m, _inputs(X, "X"), kind, opts, int(block))[kind]


def _diagonals(m: Motif, X: Any, kind: str, opts: _Options, block: int) -> dict[str, Any]:
    """The output kernels' diagonals, from engine calls on ``block`` inputs at a time."""
    parts: dict[str, list[Any]] = {q: [] for q in _out_kinds((kind,))}
    for a0, a1 in _splits(X.shape[0], block):
        res = _evaluate(m, X[a0:a1, :], (kind,), opts)
        for q in parts:
            parts[q].append(np.diagonal(res[q]).copy() if _is_numpy(res[q]) else _xp_diag(res[q]))
    if _is_numpy(X):
        return {q: np.concatenate(v) for q, v in parts.items()}
    from dagnngp.numerics.xp import array_namespace

    xp = array_namespace(X)
    return {q: xp.concat(v) for q, v in parts.items()}


def _xp_diag(K: Any) -> Any:
    from dagnngp.numerics.xp import array_namespace

    xp = array_namespace(K)
    return xp.sum(K * xp.eye(K.shape[0], dtype=K.dtype), axis=1)


@dataclass
class TrainTestKernels:
    """The kernels GP inference needs, for one motif and one set of options.

    ``train`` is ``K(X_train, X_train)`` (N x N), ``test_train`` ``K(X_test, X_train)``
    (M x N) and ``test`` either ``K(X_test, X_test)`` (M x M) or its diagonal (M,),
    each a dict keyed by kind (``"nngp"``, and ``"ntk"`` when asked for).
    """

    train: dict[str, np.ndarray]
    test_train: dict[str, np.ndarray]
    test: dict[str, np.ndarray]
    full_test: bool


def train_test_kernels(
    motif: Motif | str,
    X_train: Any,
    X_test: Any,
    *,
    kind: str = "nngp",
    full_test: bool = True,
    model: str | None = None,
    c_sigma: float | None = None,
    activation: str | None = None,
    sigma_b: float | None = None,
    activation_params: dict[str, float] | None = None,
    spec: KernelSpec | None = None,
    edge: str | None = None,
    readout: bool = True,
    width: int | None = None,
    backend: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> TrainTestKernels:
    """Train-train, test-train and test-test kernels in as few engine calls as memory allows.

    ``kind="ntk"`` returns the NTK and the NNGP (both come from the same call).
    When the joint set fits in ``max_bytes`` one call on ``[X_train; X_test]``
    gives all three blocks; otherwise they are computed block by block.
    ``full_test=False`` keeps only the diagonal of the test-test block.

    >>> k = train_test_kernels("2_02_002", [[1.0, 0.0], [0.6, 0.8]], [[0.0, 1.0]])
    >>> k.train["nngp"].shape, k.test_train["nngp"].shape, k.test["nngp"].shape
    ((2, 2), (1, 2), (1, 1))
    """
    m = Motif.coerce(motif)
    kind = _check_kind(kind)
    opts = _options(model, c_sigma, activation, sigma_b, activation_params, spec, edge, readout, width,
                    backend, max_bytes)
    Xtr, Xte = _pair(X_train, X_test)
    n, k = Xtr.shape[0], Xte.shape[0]
    kinds = _out_kinds((kind,))
    if n + k <= _block_size(m, kinds, 8, opts.max_bytes):
        res = _evaluate(m, _concat(Xtr, Xte), (kind,), opts)
        test = {q: v[n:, n:] for q, v in res.items()}
        if not full_test:
            test = {q: (np.diagonal(v).copy() if _is_numpy(v) else _xp_diag(v)) for q, v in test.items()}
        train = {q: v[:n, :n] for q, v in res.items()}
        return TrainTestKernels(train, {q: v[n:, :n] for q, v in res.items()}, test, bool(full_test))
    train = _generic(m, Xtr, None, (kind,), opts)
    if _numba_fits(Xte, Xtr, opts):
        test_train = _cross_numba(m, Xte, Xtr, kind, opts)
    else:
        test_train = _generic(m, Xte, Xtr, (kind,), opts)
    test = _generic(m, Xte, None, (kind,), opts) if full_test else _diagonals(m, Xte, kind, opts, 64)
    return TrainTestKernels(train, test_train, test, bool(full_test))

