"""Small finite motif networks with explicit weights, their NTK and full-batch gradient descent.

The network is the Monte Carlo sampler's (``X_t = sum sqrt(c/m) relu(W X_s) +
sum skip``) with a readout ``u_i = a . X_H,i``, ``a ~ N(0, I_m)``, as in Du et
al.; the Gram of ``du/da`` is the output node's Gram, whose infinite-width
limit is ``K^(H)``.  Gradients come from a hand-written backward pass.

>>> import numpy as np
>>> net = FiniteNetwork.initialise("2_02_002", width=64, rng=np.random.default_rng(0))
>>> X = np.eye(3)
>>> theta, readout = net.ntk(X)
>>> bool(np.linalg.eigvalsh(theta)[0] >= np.linalg.eigvalsh(readout)[0])
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from dagnngp.motif import Motif, Op
from dagnngp.numerics.reference import as_motif, inputs_to_gram

__all__ = ["FiniteNetwork", "gradient_descent"]


@dataclass
class FiniteNetwork:
    """A width-``m`` motif network with weights ``weights[(s, t)]`` and readout ``readout``."""

    motif: Motif
    width: int
    c_sigma: float
    weights: dict[tuple[int, int], np.ndarray]
    readout: np.ndarray

    @classmethod
    def initialise(
        cls, motif: Motif | str, width: int, rng: np.random.Generator, c_sigma: float = 2.0
    ) -> FiniteNetwork:
        """N(0, 1) weights on every linear edge and an N(0, I) readout."""
        m = as_motif(motif)
        if int(width) < 1:
            raise ValueError(f"width must be >= 1, got {width}")
        weights = {(s, t): rng.standard_normal((width, width))
                   for s, t, op in m.edges() if op is Op.LINEAR}
        return cls(m, int(width), float(c_sigma), weights, rng.standard_normal(width))

    def _inputs(self, X: object) -> np.ndarray:
        arr = np.asarray(X, dtype=float)
        inputs_to_gram(arr, width=self.width)  # validation only
        F0 = np.zeros((self.width, arr.shape[0]))
        F0[: arr.shape[1]] = arr.T
        return F0

    def forward(self, X: object) -> tuple[list[np.ndarray], dict[tuple[int, int], np.ndarray]]:
        """Node features (each ``m x N``) and every linear edge's pre-activation."""
        feats = [self._inputs(X)]
        pre: dict[tuple[int, int], np.ndarray] = {}
        scale = math.sqrt(self.c_sigma / self.width)
        for t in range(1, self.motif.n_nodes):
            acc = np.zeros_like(feats[0])
            for s, op in enumerate(self.motif.ops[t - 1]):
                if op is Op.LINEAR:
                    z = self.weights[(s, t)] @ feats[s]
                    pre[(s, t)] = z
                    acc += scale * np.maximum(z, 0.0)
                elif op is Op.SKIP:
                    acc += feats[s]
            feats.append(acc)
        return feats, pre

    def outputs(self, X: object) -> np.ndarray:
        """``u_i = a . X_H,i`` for every input."""
        feats, _ = self.forward(X)
        return self.readout @ feats[-1]

    def _backward(self, feats, pre, out_grad: np.ndarray) -> dict[tuple[int, int], np.ndarray]:
        """``delta_e = (dOut/dX_t) * relu'(Z_e)`` per linear edge, given ``dOut/dX_H`` (m x N)."""
        m = self.motif
        grads = [np.zeros_like(feats[0]) for _ in feats]
        grads[-1] = out_grad
        scale = math.sqrt(self.c_sigma / self.width)
        deltas: dict[tuple[int, int], np.ndarray] = {}
        for t in range(m.n_nodes - 1, 0, -1):
            for s, op in enumerate(m.ops[t - 1]):
                if op is Op.LINEAR:
                    delta = grads[t] * (pre[(s, t)] > 0)
                    deltas[(s, t)] = delta
                    grads[s] += scale * (self.weights[(s, t)].T @ delta)
                elif op is Op.SKIP:
                    grads[s] += grads[t]
        return deltas

    def ntk(self, X: object) -> tuple[np.ndarray, np.ndarray]:
        """``(Theta, G_a)``: the empirical NTK over all weights and readout, and the readout-only Gram.

        ``Theta = G_a + sum_e (c/m) <delta_e,i, delta_e,j> <X_s,i, X_s,j>``, a sum of PSD Grams.
        """
        feats, pre = self.forward(X)
        n = feats[0].shape[1]
        readout_gram = feats[-1].T @ feats[-1]
        deltas = self._backward(feats, pre, np.repeat(self.readout[:, None], n, axis=1))
        theta = readout_gram.copy()
        for (s, _t), delta in deltas.items():
            theta += (self.c_sigma / self.width) * (delta.T @ delta) * (feats[s].T @ feats[s])
        return theta, readout_gram

    def loss_gradients(
        self, X: object, y: np.ndarray
    ) -> tuple[float, dict[tuple[int, int], np.ndarray], np.ndarray]:
        """``L = 1/2 ||y - u||^2`` and its gradients with respect to every weight and the readout."""
        feats, pre = self.forward(X)
        u = self.readout @ feats[-1]
        r = u - np.asarray(y, dtype=float)
        deltas = self._backward(feats, pre, np.outer(self.readout, r))
        scale = math.sqrt(self.c_sigma / self.width)
        w_grads = {e: scale * (delta @ feats[e[0]].T) for e, delta in deltas.items()}
        return 0.5 * float(r @ r), w_grads, feats[-1] @ r


def gradient_descent(net: FiniteNetwork, X: object, y: object, eta: float, steps: int) -> np.ndarray:
    """Full-batch GD with a fixed step on ``1/2 ||y - u||^2``; returns ``||y - u(k)||^2`` for k = 0..steps.

    The network's weights are updated in place.
    """
    y = np.asarray(y, dtype=float)
    losses = np.empty(steps + 1)
    for k in range(steps + 1):
        loss, w_grads, a_grad = net.loss_gradients(X, y)
        losses[k] = 2.0 * loss
        if k == steps:
            break
        for e, g in w_grads.items():
            net.weights[e] -= eta * g
        net.readout -= eta * a_grad
    return losses
