"""Finite motif networks with explicit weights, their NTK and gradient descent (re-exported).

They live in :mod:`dagnngp.numerics.finite`, next to the Monte Carlo forward
pass that shares their edge ops; this module keeps the old import path.

>>> import numpy as np
>>> net = FiniteNetwork.initialise("2_02_002", width=64, rng=np.random.default_rng(0))
>>> theta, readout = net.ntk(np.eye(3))
>>> bool(np.linalg.eigvalsh(theta)[0] >= np.linalg.eigvalsh(readout)[0])
True
"""

from __future__ import annotations

from dagnngp.numerics.finite import FiniteNetwork, NetworkGradients, gradient_descent

__all__ = ["FiniteNetwork", "NetworkGradients", "gradient_descent"]
