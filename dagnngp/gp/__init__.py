"""GP inference with a motif's infinite-width kernels.

* ``nngp_posterior`` -- the Bayesian posterior of the NNGP (a GP with the
  motif's output kernel as prior covariance and Gaussian observation noise);
* ``ntk_ensemble`` -- the infinite ensemble of infinite-width networks trained
  by gradient descent on the squared loss, at time ``t`` or ``t = inf``
  (neural-tangents' ``predict.gradient_descent_mse_ensemble``);
* ``gp_posterior`` / ``gd_ensemble`` -- the same from kernels you already have;
* ``MotifKernel`` -- a scikit-learn kernel for ``GaussianProcessRegressor``
  (needs scikit-learn: ``pip install 'dagnngp[gp]'``; loaded on first use).

The kernels come from ``dagnngp.numerics.cross``.

>>> import numpy as np
>>> X = np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]])
>>> post = nngp_posterior("2_21_112", X, np.array([1.0, 0.0, -1.0]), X[:1], noise=1e-9)
>>> round(float(post.mean[0]), 6), bool(post.var[0] < 1e-6)
(1.0, True)
"""

from __future__ import annotations

from typing import Any

from dagnngp.gp.predict import (
    Posterior,
    SingularKernelError,
    gd_ensemble,
    gp_posterior,
    nngp_posterior,
    ntk_ensemble,
)

__all__ = [
    "MotifKernel",
    "Posterior",
    "SingularKernelError",
    "gd_ensemble",
    "gp_posterior",
    "nngp_posterior",
    "ntk_ensemble",
]


def __getattr__(name: str) -> Any:
    if name == "MotifKernel":  # scikit-learn is optional: loaded only when the kernel is asked for
        try:
            from dagnngp.gp.kernel import MotifKernel
        except ImportError as exc:
            if exc.name is None or not exc.name.startswith("sklearn"):
                raise
            raise ImportError("dagnngp.gp.MotifKernel needs scikit-learn, an optional dependency: "
                              "pip install 'dagnngp[gp]' (or pip install scikit-learn)") from None
        return MotifKernel
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
