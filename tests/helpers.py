"""Small helpers shared by the test modules (``import helpers``; conftest puts this folder on the path).

>>> X = unit_rows(3, 4, seed=0)
>>> bool(abs(X.sum(axis=1)).max() < 1e-12 and abs((X * X).sum(axis=1) - 1).max() < 1e-12)
True
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["numeric_grad", "unit_rows"]


def unit_rows(n: int, d: int, seed: int, centred: bool = True) -> np.ndarray:
    """``n`` unit-norm inputs in ``d`` dimensions: per-sample centred, or all non-negative."""
    X = np.random.default_rng(seed).standard_normal((n, d))
    X = X - X.mean(axis=1, keepdims=True) if centred else np.abs(X)
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def numeric_grad(f: Callable[[], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central finite differences of ``f()`` with respect to the entries of ``x`` (changed in place)."""
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + eps
        hi = f()
        x[idx] = old - eps
        lo = f()
        x[idx] = old
        g[idx] = (hi - lo) / (2 * eps)
    return g
