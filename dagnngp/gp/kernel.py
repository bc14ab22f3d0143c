"""A motif's NNGP or NTK as a scikit-learn kernel (``GaussianProcessRegressor``, ``KernelRidge``, ...).

This module imports scikit-learn at the top; ``dagnngp.gp.MotifKernel`` loads it on first use.

>>> import numpy as np
>>> from sklearn.gaussian_process import GaussianProcessRegressor
>>> from sklearn.gaussian_process.kernels import WhiteKernel
>>> X = np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0], [-0.6, 0.8]])
>>> kernel = MotifKernel("2_21_112") + WhiteKernel(1e-2, noise_level_bounds=(1e-10, 1.0))
>>> gpr = GaussianProcessRegressor(kernel, random_state=0)
>>> gpr.fit(X, np.array([0.0, 0.5, 1.0, 1.5])).predict(X[:1]).shape
(1,)
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
from sklearn.gaussian_process.kernels import Hyperparameter, Kernel

from dagnngp.errors import VarianceWarning

__all__ = ["MotifKernel"]

#: Relative step (in log space) of the finite-difference gradient.
FD_STEP = 1e-4


class MotifKernel(Kernel):
    """The infinite-width NNGP (``kind="nngp"``) or NTK (``kind="ntk"``) of a motif's output.

    ``motif`` (a ``dagnngp.Motif`` or its string), ``activation``,
    ``model``, ``edge``, ``readout`` and ``width`` are fixed parameters;
    ``c_sigma`` and ``sigma_b`` are hyperparameters that ``GaussianProcessRegressor``
    tunes within ``c_sigma_bounds`` / ``sigma_b_bounds`` (``"fixed"`` to keep
    one; ``sigma_b_bounds`` is ``"fixed"`` by default because ``sigma_b = 0`` has
    no logarithm).  Gradients with respect to them are central finite
    differences in log space (step ``FD_STEP``).  Tuning ``c_sigma`` away from
    the variance-preserving value is intended here, so the toolkit's
    ``VarianceWarning`` is not raised.  Inputs are rows of raw features, placed as in
    ``dagnngp.numerics.inputs_to_gram``; the kernel is not stationary.

    >>> k = MotifKernel("2_02_002", c_sigma=2.0)
    >>> k(np.array([[1.0, 0.0], [0.0, 1.0]])).round(5).tolist()
    [[1.0, 0.60483], [0.60483, 1.0]]
    >>> k.diag(np.array([[3.0, 4.0]])).tolist()
    [25.0]
    """

    def __init__(self, motif: Any = "2_21_112", activation: str = "relu", c_sigma: float = 2.0,
                 sigma_b: float = 0.0, model: str = "exact", kind: str = "nngp", edge: str = "post",
                 readout: bool = True, width: int | None = None,
                 c_sigma_bounds: Any = (1e-2, 1e2), sigma_b_bounds: Any = "fixed",
                 backend: str | None = None) -> None:
        self.motif = motif
        self.activation = activation
        self.c_sigma = c_sigma
        self.sigma_b = sigma_b
        self.model = model
        self.kind = kind
        self.edge = edge
        self.readout = readout
        self.width = width
        self.c_sigma_bounds = c_sigma_bounds
        self.sigma_b_bounds = sigma_b_bounds
        self.backend = backend

    @property
    def hyperparameter_c_sigma(self) -> Hyperparameter:
        return Hyperparameter("c_sigma", "numeric", self.c_sigma_bounds)

    @property
    def hyperparameter_sigma_b(self) -> Hyperparameter:
        return Hyperparameter("sigma_b", "numeric", self.sigma_b_bounds)

    def _free(self) -> list[str]:
        free = [h.name for h in self.hyperparameters if not h.fixed]
        if "sigma_b" in free and not float(self.sigma_b) > 0:
            raise ValueError("sigma_b is tuned (sigma_b_bounds is not 'fixed') but sigma_b=0 has no "
                             "logarithm; start from sigma_b > 0 or pass sigma_b_bounds='fixed'")
        return free

    def _options(self, **override: float) -> dict[str, Any]:
        return {"kind": self.kind, "model": self.model, "activation": self.activation,
                "c_sigma": float(override.get("c_sigma", self.c_sigma)),
                "sigma_b": float(override.get("sigma_b", self.sigma_b)), "edge": self.edge,
                "readout": self.readout, "width": self.width, "backend": self.backend}

    def _kernel(self, X: np.ndarray, Y: np.ndarray | None, **override: float) -> np.ndarray:
        from dagnngp.numerics.cross import cross_kernel

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", VarianceWarning)
            return np.asarray(cross_kernel(self.motif, X, Y, **self._options(**override)), dtype=np.float64)

    def __call__(self, X: Any, Y: Any = None, eval_gradient: bool = False) -> Any:
        """``K(X, Y)`` (``Y=None``: ``K(X, X)``); with ``eval_gradient`` also ``dK/dlog(theta)``."""
        X = np.atleast_2d(np.asarray(X))
        if Y is not None and eval_gradient:
            raise ValueError("eval_gradient=True is only defined when Y is None")
        free = self._free()
        K = self._kernel(X, None if Y is None else np.atleast_2d(np.asarray(Y)))
        if not eval_gradient:
            return K
        grads = []
        for name in free:
            v = float(getattr(self, name))
            up = self._kernel(X, None, **{name: v * math.exp(FD_STEP)})
            down = self._kernel(X, None, **{name: v * math.exp(-FD_STEP)})
            grads.append((up - down) / (2 * FD_STEP))
        G = np.stack(grads, axis=2) if grads else np.empty((X.shape[0], X.shape[0], 0))
        return K, G

    def diag(self, X: Any) -> np.ndarray:
        """The diagonal ``K(x_i, x_i)`` without forming ``K(X, X)``."""
        from dagnngp.numerics.cross import kernel_diag

        opts = self._options()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", VarianceWarning)
            return np.asarray(kernel_diag(self.motif, np.atleast_2d(np.asarray(X)), **opts), dtype=np.float64)

    def is_stationary(self) -> bool:
        """False: the kernel depends on the inputs' norms and means, not only on their difference."""
        return False

    def __repr__(self) -> str:
        return (f"MotifKernel(motif={str(self.motif)!r}, kind={self.kind!r}, "
                f"activation={self.activation!r}, c_sigma={float(self.c_sigma):.4g}, "
                f"sigma_b={float(self.sigma_b):.4g}, model={self.model!r})")
