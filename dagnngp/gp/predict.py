"""GP posteriors and gradient-descent ensembles with a motif's NNGP and NTK.

Notation: ``K`` is the NNGP (the prior covariance of the output at
initialisation), ``Theta`` the NTK, ``X`` the training inputs with targets
``y`` and ``x*`` the test inputs.

``gp_posterior`` (NNGP-GP, Bayesian inference with observation noise ``s^2``)::

    mean = K(x*, X) (K + s^2 I)^-1 y
    cov  = K(x*, x*) - K(x*, X) (K + s^2 I)^-1 K(X, x*)

``gd_ensemble`` (infinite-width networks trained by gradient flow on the loss
``1/(2N) sum_i (f(x_i) - y_i)^2`` with learning rate ``eta``, averaged over
initialisations; Lee et al. 2019, as neural-tangents'
``predict.gradient_descent_mse_ensemble``)::

    T(t) = Theta(x*, X) Theta^-1 (I - exp(-eta t Theta / N))
    mean = T(t) y
    cov  = K(x*, x*) + T K T^T - (T K(X, x*) + K(x*, X) T^T)

``loss="sum"`` drops the ``1/N`` (``exp(-eta t Theta)``).  At ``t = inf``
``T = Theta(x*, X) Theta^-1``, solved by Cholesky; a singular kernel raises
``SingularKernelError`` suggesting a diagonal regulariser.

>>> import numpy as np
>>> K = np.array([[2.0, 1.0], [1.0, 2.0]])
>>> post = gp_posterior(K, K[:1], np.array([1.0, -1.0]), K[:1, :1])
>>> post.mean.round(12).tolist(), post.var.round(12).tolist()  # a training input is reproduced exactly
([1.0], [0.0])
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.linalg

__all__ = [
    "Posterior",
    "SingularKernelError",
    "gd_ensemble",
    "gp_posterior",
    "nngp_posterior",
    "ntk_ensemble",
]

LOSSES = ("mean", "sum")


class SingularKernelError(ValueError):
    """A training kernel matrix is singular (or not positive definite) to working precision."""


@dataclass
class Posterior:
    """A Gaussian over the test outputs.

    ``mean`` has shape ``(M,)`` (or ``(M, k)`` for ``k`` target columns, which
    share one covariance); ``cov`` is ``(M, M)`` when the full test-test kernel
    was given and ``var`` its diagonal (``None`` when no test-test kernel was
    given).  ``kind`` is ``"nngp"`` (Bayesian posterior) or ``"ntk"`` (the
    gradient-descent ensemble), ``t`` the training time (``inf`` when trained to
    convergence, ``None`` for the Bayesian posterior).
    """

    mean: np.ndarray
    var: np.ndarray | None
    cov: np.ndarray | None
    kind: str
    t: float | None = None

    @property
    def std(self) -> np.ndarray | None:
        """Standard deviations ``sqrt(var)`` (tiny negative variances from rounding read as 0)."""
        return None if self.var is None else np.sqrt(np.maximum(self.var, 0.0))

    def to_frame(self) -> Any:
        """The test outputs as a pandas DataFrame: ``mean`` (or ``mean_0 ..``), ``var``, ``std``.

        Needs pandas (``pip install 'dagnngp[tables]'``).

        >>> post = Posterior(np.array([0.5, 1.0]), np.array([0.25, 0.0]), None, "nngp")
        >>> post.to_frame().round(3).to_dict("list")  # doctest: +SKIP
        {'mean': [0.5, 1.0], 'var': [0.25, 0.0], 'std': [0.5, 0.0]}
        """
        from dagnngp.tables import data_frame

        cols: dict[str, Any] = {}
        if self.mean.ndim == 1:
            cols["mean"] = self.mean
        else:
            for j in range(self.mean.shape[1]):
                cols[f"mean_{j}"] = self.mean[:, j]
        if self.var is not None:
            cols["var"] = self.var
            cols["std"] = self.std
        return data_frame(cols)

    def __repr__(self) -> str:
        what = "no variance" if self.var is None else ("covariance" if self.cov is not None else "variances")
        when = "" if self.t is None else f", t={self.t:g}"
        return f"Posterior(kind={self.kind!r}{when}, {self.mean.shape[0]} test outputs, {what})"


# ---------------------------------------------------------------- validation
def _host(A: Any) -> np.ndarray:
    """A NumPy array (kernels of another array-API library, CuPy on a GPU say, are copied to the host)."""
    if not isinstance(A, np.ndarray) and hasattr(A, "__array_namespace__"):
        from dagnngp.numerics.xp import to_numpy

        return to_numpy(A)
    return np.asarray(A)


def _train_and_cross(train: object, test_train: object, train_name: str,
                     cross_name: str) -> tuple[np.ndarray, np.ndarray]:
    """The square train kernel and the test x train kernel with as many columns, validated."""
    A = _matrix(train, train_name, (None, None))
    n = A.shape[0]
    if A.shape != (n, n):
        raise ValueError(f"{train_name} must be square, got {A.shape}")
    return A, _matrix(test_train, cross_name, (None, n))


def _matrix(A: Any, name: str, shape: tuple[int | None, ...]) -> np.ndarray:
    arr = _host(A)
    if arr.dtype.kind in "biu":
        arr = arr.astype(np.float64)
    if arr.dtype.kind != "f":
        raise ValueError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    if arr.ndim != len(shape) or any(s is not None and s != a for s, a in zip(shape, arr.shape, strict=True)):
        want = " x ".join("?" if s is None else str(s) for s in shape)
        raise ValueError(f"{name} must have shape {want}, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} has a non-finite entry (NaN or inf)")
    return arr.astype(np.float64, copy=False)


def _targets(y: Any, n: int) -> np.ndarray:
    arr = _host(y)
    if arr.dtype.kind in "biu":
        arr = arr.astype(np.float64)
    if arr.dtype.kind != "f" or arr.ndim not in (1, 2) or arr.shape[0] != n:
        raise ValueError(f"y must be real targets of shape ({n},) or ({n}, k), got {arr.shape} {arr.dtype}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("y has a non-finite entry (NaN or inf)")
    return arr.astype(np.float64, copy=False)


def _nonneg(x: Any, name: str) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a finite number >= 0, got {x!r}") from None
    if not (math.isfinite(v) and v >= 0):
        raise ValueError(f"{name} must be a finite number >= 0, got {x!r}")
    return v


def _cholesky(A: np.ndarray, what: str, option: str) -> tuple[np.ndarray, bool]:
    """Cholesky factor of ``A``; ``SingularKernelError`` when it is singular to working precision."""
    n = A.shape[0]
    scale = float(np.max(np.abs(np.diagonal(A)))) if n else 0.0
    hint = (f"add a diagonal regulariser ({option}=1e-6 x the mean diagonal, "
            f"{1e-6 * float(np.mean(np.diagonal(A))) if n else 0.0:.3g}, is a common choice)")
    try:
        factor = scipy.linalg.cho_factor(A, lower=True, check_finite=False)
    except np.linalg.LinAlgError:
        raise SingularKernelError(f"{what} is singular or not positive definite; {hint}") from None
    L = factor[0]
    (pocon,) = scipy.linalg.get_lapack_funcs(("pocon",), (L,))
    rcond, info = pocon(L, float(np.linalg.norm(A, 1)), uplo="L")
    if info != 0 or not rcond > n * np.finfo(np.float64).eps or scale == 0:
        raise SingularKernelError(f"{what} is singular to working precision (reciprocal condition number "
                                  f"{float(rcond):.2g}); {hint}")
    return factor


# ---------------------------------------------------------------- from kernels
def gp_posterior(k_train: Any, k_test_train: Any, y: Any, k_test: Any = None, *,
                 noise: float = 0.0) -> Posterior:
    """The NNGP-GP posterior from kernel matrices.

    ``k_train`` is ``K(X, X)`` (N x N), ``k_test_train`` ``K(x*, X)`` (M x N),
    ``y`` the targets (N or N x k), ``k_test`` ``K(x*, x*)`` (M x M, for the full
    covariance) or its diagonal (M, for variances) or ``None`` (mean only);
    ``noise`` the observation noise variance ``s^2`` added to ``k_train``'s diagonal.

    >>> K = np.array([[1.0, 0.5], [0.5, 1.0]])
    >>> gp_posterior(K, np.array([[0.5, 0.5]]), [2.0, 2.0], noise=0.5).mean.round(6).tolist()
    [1.0]
    """
    A, Ks = _train_and_cross(k_train, k_test_train, "k_train", "k_test_train")
    n = A.shape[0]
    m = Ks.shape[0]
    yy = _targets(y, n)
    s2 = _nonneg(noise, "noise")
    factor = _cholesky(A + s2 * np.eye(n) if s2 else A, "K(X_train, X_train) + noise I", "noise")
    mean = Ks @ scipy.linalg.cho_solve(factor, yy, check_finite=False)
    if k_test is None:
        return Posterior(mean, None, None, "nngp")
    V = scipy.linalg.cho_solve(factor, Ks.T, check_finite=False)  # N x M
    if _host(k_test).ndim == 2:
        Ktt = _matrix(k_test, "k_test", (m, m))
        cov = Ktt - Ks @ V
        cov = 0.5 * (cov + cov.T)
        return Posterior(mean, np.diagonal(cov).copy(), cov, "nngp")
    kd = _matrix(k_test, "k_test", (m,))
    return Posterior(mean, kd - np.einsum("ij,ji->i", Ks, V), None, "nngp")


def _time(t: Any) -> float:
    if t is None:
        return math.inf
    try:
        v = float(t)
    except (TypeError, ValueError):
        raise ValueError(f"t must be a time >= 0 or None (trained to convergence), got {t!r}") from None
    if math.isnan(v) or v < 0:
        raise ValueError(f"t must be a time >= 0 or None (trained to convergence), got {t!r}")
    return v


def _transfer(theta: np.ndarray, theta_s: np.ndarray, t: float, learning_rate: float, diag_reg: float,
              loss: str) -> np.ndarray:
    """``T = Theta(x*, X) Theta^-1 (I - exp(-eta t Theta / N))`` (M x N)."""
    n = theta.shape[0]
    A = theta + diag_reg * np.eye(n) if diag_reg else theta
    if math.isinf(t):
        factor = _cholesky(A, "Theta(X_train, X_train) + diag_reg I", "diag_reg")
        return scipy.linalg.cho_solve(factor, theta_s.T, check_finite=False).T
    s = learning_rate * t / (n if loss == "mean" else 1)
    lam, V = np.linalg.eigh(0.5 * (A + A.T))
    lam = np.maximum(lam, 0.0)  # a PSD kernel: negative eigenvalues are rounding
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        f = np.where(lam > 0, -np.expm1(-lam * s) / np.where(lam > 0, lam, 1.0), s)  # (1 - e^{-l s}) / l
    return ((theta_s @ V) * f) @ V.T


def gd_ensemble(ntk_train: Any, ntk_test_train: Any, y: Any, *, nngp_train: Any = None,
                nngp_test_train: Any = None, nngp_test: Any = None, t: float | None = None,
                learning_rate: float = 1.0, diag_reg: float = 0.0, loss: str = "mean") -> Posterior:
    """The gradient-descent ensemble of infinite-width networks from kernel matrices.

    ``ntk_train`` is ``Theta(X, X)``, ``ntk_test_train`` ``Theta(x*, X)``; the
    covariance needs the NNGP too: ``nngp_train``, ``nngp_test_train`` and
    ``nngp_test`` (M x M for the full covariance, or its diagonal).  ``t``: the
    training time (``None`` or ``inf``: converged); ``learning_rate`` ``eta``;
    ``diag_reg`` is added to ``Theta(X, X)``'s diagonal (absolute units; neural-tangents
    passes ``diag_reg_absolute_scale=True`` for the same); ``loss`` ``"mean"``
    (``1/(2N) sum``, neural-tangents' convention) or ``"sum"``.

    >>> Th = np.array([[2.0, 0.5], [0.5, 2.0]])
    >>> gd_ensemble(Th, Th, [1.0, -1.0]).mean.round(12).tolist()   # converged: the targets
    [1.0, -1.0]
    >>> gd_ensemble(Th, Th, [1.0, -1.0], t=0.0).mean.tolist()      # untrained: the prior mean
    [0.0, 0.0]
    """
    Th, Ths = _train_and_cross(ntk_train, ntk_test_train, "ntk_train", "ntk_test_train")
    n = Th.shape[0]
    m = Ths.shape[0]
    yy = _targets(y, n)
    tt = _time(t)
    eta = _nonneg(learning_rate, "learning_rate")
    reg = _nonneg(diag_reg, "diag_reg")
    if loss not in LOSSES:
        raise ValueError(f"loss={loss!r} is not known; use 'mean' (1/(2N) sum of squares) or 'sum'")
    T = _transfer(Th, Ths, tt, eta, reg, loss)
    mean = T @ yy
    if nngp_test is None:
        return Posterior(mean, None, None, "ntk", tt)
    if nngp_train is None or nngp_test_train is None:
        raise ValueError("the covariance needs nngp_train and nngp_test_train besides nngp_test")
    K = _matrix(nngp_train, "nngp_train", (n, n))
    Ks = _matrix(nngp_test_train, "nngp_test_train", (m, n))
    TK = T @ K
    if _host(nngp_test).ndim == 2:
        Ktt = _matrix(nngp_test, "nngp_test", (m, m))
        cross = T @ Ks.T
        cov = Ktt + TK @ T.T - (cross + cross.T)
        cov = 0.5 * (cov + cov.T)
        return Posterior(mean, np.diagonal(cov).copy(), cov, "ntk", tt)
    kd = _matrix(nngp_test, "nngp_test", (m,))
    var = kd + np.einsum("ij,ij->i", TK, T) - 2.0 * np.einsum("ij,ij->i", T, Ks)
    return Posterior(mean, var, None, "ntk", tt)


# ---------------------------------------------------------------- from a motif and raw inputs
def nngp_posterior(motif: Any, X_train: Any, y_train: Any, X_test: Any, *, noise: float = 0.0,
                   full_cov: bool = False, **kernel_options: Any) -> Posterior:
    """NNGP-GP posterior of ``motif`` on raw inputs (N x d training, M x d test).

    ``kernel_options`` (``model``, ``c_sigma``, ``activation``, ``sigma_b``,
    ``activation_params``, ``edge``, ``spec``, ``width``, ``backend``,
    ``max_bytes``) are those of ``dagnngp.numerics.cross.cross_kernel``.
    ``full_cov`` returns the M x M covariance besides the variances.

    >>> X = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> nngp_posterior("2_02_002", X, [1.0, 2.0], [[1.0, 0.0]], noise=1e-10).mean.round(6).tolist()
    [1.0]
    """
    from dagnngp.numerics.cross import train_test_kernels

    k = train_test_kernels(motif, X_train, X_test, kind="nngp", full_test=bool(full_cov), **kernel_options)
    return gp_posterior(k.train["nngp"], k.test_train["nngp"], y_train, k.test["nngp"], noise=noise)


def ntk_ensemble(motif: Any, X_train: Any, y_train: Any, X_test: Any, *, t: float | None = None,
                 learning_rate: float = 1.0, diag_reg: float = 0.0, loss: str = "mean",
                 full_cov: bool = False, **kernel_options: Any) -> Posterior:
    """The gradient-descent ensemble of ``motif``'s infinite-width networks at time ``t`` (None: converged).

    Options as for ``gd_ensemble`` and ``nngp_posterior`` (``readout``
    as in ``dagnngp.numerics.ntk``).

    >>> X = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> ntk_ensemble("2_02_002", X, [1.0, 2.0], X).mean.round(9).tolist()
    [1.0, 2.0]
    """
    from dagnngp.numerics.cross import train_test_kernels

    k = train_test_kernels(motif, X_train, X_test, kind="ntk", full_test=bool(full_cov), **kernel_options)
    return gd_ensemble(k.train["ntk"], k.test_train["ntk"], y_train, nngp_train=k.train["nngp"],
                       nngp_test_train=k.test_train["nngp"], nngp_test=k.test["nngp"], t=t,
                       learning_rate=learning_rate, diag_reg=diag_reg, loss=loss)
