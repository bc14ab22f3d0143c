"""Finite-width training: full-batch gradient descent and mini-batch SGD of motif networks.

The networks are :class:`dagnngp.numerics.finite.FiniteNetwork` (explicit weights,
forward and backward passes, any motif, activation and edge type it supports, float32 or
float64).  This module adds what a training run needs around them:

* a memory estimate checked before anything is allocated (:func:`network_bytes`,
  :class:`dagnngp.limits.ResourceLimitError` above ``max_bytes`` or ``$DAGNNGP_MAX_MEMORY``);
* seeded, reproducible runs: the seed fixes the weights (drawn as
  :meth:`FiniteNetwork.initialise` draws them) and the order of mini-batches;
* mini-batch SGD: each step draws ``batch_size`` inputs without replacement
  (an epoch is a random permutation) and steps along ``N / batch_size`` times the
  batch's gradient, an unbiased estimate of the full-batch gradient;
* divergence detection: a run whose loss becomes non-finite or exceeds
  ``divergence`` times its start stops there and is reported as diverged
  (``TrainResult.diverged``), never as NaN;
* a progress bar on a terminal.

The loss recorded at step ``k`` is the full-batch ``L_k = 1/2 ||u_k - y||^2`` before the k-th update.

>>> X = np.array([[1.0, 0.0], [0.6, 0.8]])
>>> run = train("2_02_002", X, [1.0, -1.0], width=64, lr=0.05, steps=20, seed=0, progress=False)
>>> run.diverged, len(run.losses), bool(run.losses[-1] < run.losses[0])
(False, 21, True)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dagnngp.limits import check_memory
from dagnngp.motif import Motif, Op
from dagnngp.numerics.finite import FiniteNetwork, check_inputs, check_int
from dagnngp.progress import show_progress

__all__ = ["DIVERGENCE", "TrainResult", "initialise", "network_bytes", "train", "train_seeds"]

#: a run has diverged once its loss exceeds this multiple of its initial loss
DIVERGENCE = 1e6


@dataclass
class TrainResult:
    """One training run.  ``losses[k]`` is ``1/2 ||u_k - y||^2`` for ``k = 0..len(losses) - 1``.

    A run that diverged stops early: ``diverged_at`` is the first step whose loss was
    non-finite or above ``DIVERGENCE`` times the start, and ``losses`` ends just before it.
    """

    motif: str
    width: int
    seed: int
    lr: float
    steps: int
    batch_size: int | None
    dtype: str
    losses: np.ndarray
    diverged: bool = False
    diverged_at: int | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """The run as JSON-ready numbers."""
        return {"motif": self.motif, "width": self.width, "seed": self.seed, "lr": self.lr,
                "steps": self.steps, "batch_size": self.batch_size, "dtype": self.dtype,
                "diverged": self.diverged, "diverged_at": self.diverged_at,
                "losses": [float(v) for v in self.losses]}


def _motif(motif: Motif | str) -> Motif:
    return Motif.coerce(motif)


def network_bytes(motif: Motif | str, width: int, n_inputs: int, dtype: object = "float64") -> int:
    """Bytes a training step of a width-``width`` network on ``n_inputs`` inputs needs, at most.

    Weights and their gradients (``2 m^2`` per linear edge), one ``m x m`` temporary,
    and the ``m x N`` features, pre-activations and backward buffers.

    >>> network_bytes("2_02_002", 1000, 10) // 2**20
    55
    """
    m = _motif(motif)
    itemsize = np.dtype(dtype).itemsize  # type: ignore[call-overload]
    n_lin = sum(1 for _, _, op in m.edges() if op is Op.LINEAR)
    w = float(width)
    per_matrix = w * w * itemsize
    per_column = w * float(n_inputs) * itemsize
    return int((2 * n_lin + 1) * per_matrix + (3 * m.n_nodes + 3 * n_lin + 2) * per_column
               + 8.0 * n_inputs * n_inputs * 4)


def initialise(motif: Motif | str, width: int, seed: int | np.random.Generator = 0, *, n_inputs: int = 1,
               dtype: object = "float64", max_bytes: int | None = None, memory_option: str | None = None,
               **network_options: Any) -> FiniteNetwork:
    """A :class:`FiniteNetwork` after checking its memory (``ResourceLimitError`` if too large).

    ``network_options`` go to :meth:`FiniteNetwork.initialise` (``c_sigma``, ``activation``,
    ``activation_params``, ``sigma_b``, ``spec``, ``edge``).  ``memory_option`` names the
    command-line option that raises the limit, for the message (default: the environment variable).

    >>> initialise("2_02_002", 10**9)
    Traceback (most recent call last):
    ...
    dagnngp.limits.ResourceLimitError: a width-1000000000 network of motif 2_02_002 (float64) needs about ...
    """
    m = _motif(motif)
    width = check_int(width, "width", 1, "the width is the number of neurons per node")
    check_memory(network_bytes(m, width, n_inputs, dtype),
                 f"a width-{width} network of motif {m} ({np.dtype(dtype).name})",  # type: ignore[call-overload]
                 limit=max_bytes, option=memory_option)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(_seed(seed))
    return FiniteNetwork.initialise(m, width, rng, dtype=dtype, **network_options)


def _seed(seed: object) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or int(seed) < 0:
        raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
    return int(seed)


def _labels(y: object, n: int) -> np.ndarray:
    from dagnngp.training.predict import _targets

    return _targets(y, n)


def _step(lr: object) -> float:
    if isinstance(lr, bool) or not isinstance(lr, int | float | np.floating | np.integer) \
            or not math.isfinite(float(lr)) or float(lr) <= 0:
        raise ValueError(f"the step lr must be a finite number > 0, got {lr!r}")
    return float(lr)


def train(motif: Motif | str, X: object, y: object, *, width: int, lr: float, steps: int, seed: int = 0,
          batch_size: int | None = None, dtype: object = "float64", progress: bool | None = None,
          max_bytes: int | None = None, memory_option: str | None = None, divergence: float = DIVERGENCE,
          antithetic: bool = False, callback: Callable[[int, float], None] | None = None,
          **network_options: Any) -> TrainResult:
    """Train a fresh width-``width`` network of ``motif`` on ``(X, y)`` and record its loss curve.

    ``batch_size=None`` (or ``N``) is full-batch gradient descent; a smaller batch is SGD.
    ``antithetic=True`` negates the readout drawn for ``seed`` (same weights): the network's
    outputs at initialisation flip sign.  A seed and its antithetic twin are two draws of the
    same distribution whose average cancels the term linear in the initial outputs, a
    variance reduction for Monte Carlo estimates of the expected loss.
    ``X`` holds the inputs as rows (zero-padded into the input node, as
    :func:`dagnngp.numerics.inputs_to_gram` embeds them), ``y`` one label per input.
    ``callback(k, loss)``, when given, is called after each recorded loss; an exception it
    raises ends the run and propagates (a caller's progress report and cancel).
    """
    m = _motif(motif)
    width = check_int(width, "width", 1, "the width is the number of neurons per node")
    Xa, _, _ = check_inputs(X, width)  # 2-D, real, finite, d <= width
    n = Xa.shape[0]
    ya = _labels(y, n)
    lr = _step(lr)
    steps = check_int(steps, "steps", 0, "the number of gradient steps")
    seed = _seed(seed)
    if batch_size is not None:
        batch_size = check_int(batch_size, "batch_size", 1, "the number of inputs per SGD step")
        if batch_size > n:
            raise ValueError(f"batch_size={batch_size} is larger than the {n} inputs; use at most {n}")
    if not (isinstance(divergence, int | float) and divergence > 1):
        raise ValueError(f"divergence must be a number > 1, got {divergence!r}")
    if network_options.get("edge") == "pre":  # the input node is a Gaussian field of a d-feature stem
        network_options = {"n_features": Xa.shape[1], **network_options}
    net = initialise(m, width, seed, n_inputs=n, dtype=dtype, max_bytes=max_bytes,
                     memory_option=memory_option, **network_options)
    if antithetic:
        net.readout *= -1
    full = batch_size is None or batch_size == n
    batch_rng = np.random.default_rng([seed, 1])
    order: list[int] = []
    losses = np.empty(steps + 1)
    diverged_at = None
    bar = None
    if show_progress(progress):
        from tqdm import tqdm

        bar = tqdm(total=steps, desc=f"train {m} m={width}", unit="step", leave=False)
    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            for k in range(steps + 1):
                if full:
                    g = net.gradients(Xa, ya)
                    loss = g.loss
                else:
                    r = net.outputs(Xa).astype(float) - ya
                    loss = 0.5 * float(r @ r)
                if not math.isfinite(loss) or (k > 0 and loss > divergence * max(losses[0], 1e-300)):
                    diverged_at = k
                    break
                losses[k] = loss
                if callback is not None:
                    callback(k, loss)
                if k == steps:
                    break
                if not full:
                    if len(order) < batch_size:  # type: ignore[operator]
                        order.extend(batch_rng.permutation(n).tolist())
                    idx = np.array(order[:batch_size])
                    del order[:batch_size]
                    g = net.gradients(Xa[idx], ya[idx])
                    step = lr * n / batch_size  # type: ignore[operator]
                else:
                    step = lr
                for e, w in g.weights.items():
                    net.weights[e] -= step * w
                for e, b in g.biases.items():
                    net.biases[e] -= step * b
                net.readout -= step * g.readout
                if bar is not None:
                    bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    kept = losses[: diverged_at if diverged_at is not None else steps + 1].copy()
    return TrainResult(str(m), width, seed, lr, steps, None if full else batch_size,
                       np.dtype(dtype).name, kept, diverged_at is not None, diverged_at,  # type: ignore[call-overload]
                       {"antithetic": bool(antithetic)})


def train_seeds(motif: Motif | str, X: object, y: object, *, seeds: int | list[int], width: int, lr: float,
                steps: int, progress: bool | None = None, antithetic: bool = False,
                **options: Any) -> list[TrainResult]:
    """:func:`train` once per seed (``seeds`` an int ``S`` means seeds ``0..S-1``), one network at a time.

    With ``antithetic=True`` each seed runs twice, the second time with its readout negated
    (see :func:`train`): ``2 S`` runs, twins adjacent.

    >>> runs = train_seeds("2", np.eye(2), [1.0, -1.0], seeds=2, width=16, lr=0.05, steps=3, progress=False)
    >>> [r.seed for r in runs]
    [0, 1]
    """
    seed_list = list(range(check_int(seeds, "seeds", 1, "the number of seeds"))) \
        if isinstance(seeds, int | np.integer) and not isinstance(seeds, bool) else list(seeds)
    if not seed_list:
        raise ValueError("seeds is empty; give at least one seed")
    bar = None
    if show_progress(progress) and len(seed_list) > 1:
        from tqdm import tqdm

        bar = tqdm(total=len(seed_list), desc=f"seeds {Motif.coerce(motif)}", unit="run", leave=False)
    out = []
    try:
        for s in seed_list:
            for twin in (False, True) if antithetic else (False,):
                out.append(train(motif, X, y, seed=s, width=width, lr=lr, steps=steps, progress=False,
                                 antithetic=twin, **options))
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return out
