"""Infinite-width predictions of the training loss of gradient descent, and the paper's bound.

The model
---------
A width-``m`` motif network with a scalar readout ``u_i = a . X_H,i``
(``a ~ N(0, I_m)``; :class:`~dagnngp.numerics.finite.FiniteNetwork`) is trained
by full-batch gradient descent with step ``eta`` on ``L = 1/2 ||u - y||^2``,
every weight, bias and the readout trained.  As ``m -> inf``:

* the outputs at initialisation are a centred Gaussian vector with covariance
  ``K``, the output node's NNGP kernel;
* the network is linear in its parameters along the run, with the constant NTK
  ``Theta = K + Theta_H`` (readout included), so the residual
  ``r_k = u_k - y`` follows ``r_k = (I - eta Theta)^k r_0``.

Taking the expectation over initialisation (``r_0 = u_0 - y``)::

    E ||r_k||^2 = ||(I - eta Theta)^k y||^2 + tr((I - eta Theta)^k K (I - eta Theta)^k)
                = sum_i (1 - eta lambda_i)^(2k) (  (v_i . y)^2 + v_i^T K v_i  )

with ``Theta = sum_i lambda_i v_i v_i^T``.  :class:`LossModel` holds the
``lambda_i`` and the weights ``c_i = (v_i . y)^2 + v_i^T K v_i``; the predicted
loss ``E[L_k]`` is half the sum.  Its continuous-time limit (gradient flow, time
``t = eta k``) replaces ``(1 - eta lambda_i)^(2k)`` by ``exp(-2 lambda_i t)``.
The dynamics are stable for ``eta < 2 / lambda_max(Theta)``; a larger step is refused.

The paper's bound (Theorem 3.1, eq. (3)) is ``||y - u_k||^2 <= (1 - eta lambda_min(K) / 2)^k ||y - u_0||^2``.

Step-size rules (:class:`StepRule`): a fixed ``eta`` (Remark 3.2), ``eta = c / lambda_max(Theta)``
(``c < 2``: a fraction of the largest stable step) and ``eta = c / tr(Theta)``.

>>> import numpy as np
>>> theta, K, y = np.diag([2.0, 1.0]), np.diag([1.0, 1.0]), np.array([1.0, 0.0])
>>> model = LossModel.from_kernels(theta, K, y)
>>> model.loss(0.25, 2).tolist()  # 1/2 [(1 + 1) + 1, (1/4)(1 + 1) + (9/16) 1, ...]
[1.5, 0.53125, 0.220703125]
>>> model.steps_to(0.01, 0.25)  # first k with E[L_k] <= 0.01 E[L_0]
7
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from dagnngp.training.rates import eigenvalues

__all__ = [
    "STEP_RULES",
    "LossModel",
    "StepRule",
    "output_kernels",
    "paper_bound",
    "predicted_loss",
    "predicted_loss_continuous",
    "steps_to_loss",
]

#: the step-size rules: a fixed eta, c / lambda_max(Theta), c / trace(Theta)
STEP_RULES = ("fixed", "max", "trace")


@dataclass(frozen=True)
class StepRule:
    """How the step ``eta`` is chosen: ``fixed`` (``eta = value``), ``max`` (``value / lambda_max(Theta)``)
    or ``trace`` (``value / tr(Theta)``), with ``Theta`` the infinite-width NTK of the output.

    ``max`` and ``trace`` are scale-free: multiplying the kernels by ``a`` divides ``eta`` by
    ``a`` and leaves the loss curve unchanged.

    >>> StepRule.parse("max:0.5").eta(np.diag([1.0, 4.0]))
    0.125
    >>> StepRule.parse("0.01").label
    'eta = 0.01'
    """

    kind: str
    value: float

    def __post_init__(self) -> None:
        if self.kind not in STEP_RULES:
            raise ValueError(f"step rule {self.kind!r} is not known; use one of {', '.join(STEP_RULES)}")
        v = self.value
        if isinstance(v, bool) or not isinstance(v, int | float | np.floating | np.integer) \
                or not math.isfinite(float(v)) or float(v) <= 0:
            raise ValueError(f"the step rule {self.kind!r} needs a finite number > 0, got {v!r}")
        if self.kind != "fixed" and float(v) >= 2:
            raise ValueError(f"{self.kind}:{float(v):g} is not stable: eta = c / lambda_max needs c < 2 "
                             f"(and c / trace <= c / lambda_max); use c in (0, 2)")
        object.__setattr__(self, "value", float(v))

    @classmethod
    def parse(cls, text: str | float | StepRule) -> StepRule:
        """``"0.01"`` or ``"fixed:0.01"``, ``"max:0.5"``, ``"trace:1"``; a number is a fixed step.

        >>> StepRule.parse("trace:1")
        StepRule(kind='trace', value=1.0)
        """
        if isinstance(text, StepRule):
            return text
        if isinstance(text, int | float | np.floating | np.integer) and not isinstance(text, bool):
            return cls("fixed", float(text))
        if not isinstance(text, str):
            raise ValueError(f"a step rule is a number or a string such as 'max:0.5', not {text!r}")
        kind, sep, value = text.strip().partition(":")
        if not sep:
            kind, value = "fixed", text
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f"step rule {text!r}: write fixed:ETA, max:C or trace:C, "
                             "e.g. max:0.5") from None
        return cls(kind.strip(), number)

    @property
    def label(self) -> str:
        """``eta = 0.01``, ``eta = 0.5/lambda_max``, ``eta = 1/trace``."""
        if self.kind == "fixed":
            return f"eta = {self.value:g}"
        return f"eta = {self.value:g}/{'lambda_max' if self.kind == 'max' else 'trace'}"

    @property
    def key(self) -> str:
        """``fixed:0.01``: the rule as :meth:`parse` reads it."""
        return f"{self.kind}:{self.value:g}"

    def eta(self, theta: object) -> float:
        """The step for the NTK ``theta`` (a kernel, its eigenvalues via a :class:`LossModel`)."""
        if isinstance(theta, LossModel):
            lam = theta.eigenvalues
        else:
            lam = eigenvalues(theta, "the NTK")
        if self.kind == "fixed":
            return self.value
        denom = float(lam[-1]) if self.kind == "max" else float(np.sum(lam))
        if denom <= 0:
            raise ValueError("the NTK is zero (no input-output path?): no step can be derived from it")
        return self.value / denom


def _targets(y: object, n: int) -> np.ndarray:
    try:
        arr = np.asarray(y, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"labels y must be {n} real numbers, one per input") from None
    if arr.ndim == 2 and 1 in arr.shape and arr.size == n:
        raise ValueError(f"labels y must be a 1-D array of shape ({n},), got {arr.shape}: pass y.ravel() "
                         "for a column of labels")
    if arr.shape != (n,):
        raise ValueError(f"labels y must have shape ({n},), one per input, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("labels y have a non-finite entry (NaN or inf)")
    return arr


def _steps(steps: object) -> int:
    if isinstance(steps, bool) or not isinstance(steps, int | np.integer) or int(steps) < 0:
        raise ValueError(f"steps must be an integer >= 0, got {steps!r}")
    return int(steps)


@dataclass(frozen=True)
class LossModel:
    """The expected training loss of linearised gradient descent, as a sum of decaying modes.

    ``eigenvalues`` are the NTK's (ascending), ``weights[i] = (v_i . y)^2 + v_i^T K v_i``
    and ``nngp_lambda_min`` is ``lambda_min(K)`` (for the paper's bound).
    """

    eigenvalues: np.ndarray
    weights: np.ndarray
    nngp_lambda_min: float

    @classmethod
    def from_kernels(cls, theta: object, K: object, y: object) -> LossModel:
        """From the output NTK ``theta``, NNGP ``K`` (both N x N) and labels ``y`` (N,)."""
        lam_k = eigenvalues(K, "the NNGP kernel K")
        n = lam_k.size
        th = np.asarray(theta, dtype=float)
        if th.shape != (n, n):
            raise ValueError(f"the NTK has shape {th.shape} but the NNGP kernel {(n, n)}: "
                             "both must be on the same inputs")
        eigenvalues(th, "the NTK")  # validates
        lam, V = np.linalg.eigh(0.5 * (th + th.T))
        lam = np.maximum(lam, 0.0)
        yv = _targets(y, n)
        Kf = np.asarray(K, dtype=float)
        weights = (V.T @ yv) ** 2 + np.einsum("ki,kl,li->i", V, Kf, V)
        return cls(lam, np.maximum(weights, 0.0), float(lam_k[0]))

    @property
    def lambda_max(self) -> float:
        """The NTK's largest eigenvalue."""
        return float(self.eigenvalues[-1])

    @property
    def stability_limit(self) -> float:
        """``2 / lambda_max(Theta)``: steps at or above it make the linearised dynamics diverge."""
        return 2.0 / self.lambda_max if self.lambda_max > 0 else math.inf

    def check_step(self, lr: float) -> float:
        """``lr`` as a float, or a ``ValueError`` when it is not a finite positive step below the limit."""
        if isinstance(lr, bool) or not isinstance(lr, int | float | np.floating | np.integer) \
                or not math.isfinite(float(lr)) or float(lr) <= 0:
            raise ValueError(f"the step lr must be a finite number > 0, got {lr!r}")
        lr = float(lr)
        if lr >= self.stability_limit:
            raise ValueError(
                f"lr={lr:g} is at or above the stability limit 2/lambda_max(NTK) = "
                f"{self.stability_limit:.4g}: gradient descent diverges; use a smaller step or the "
                "rule max:C with C < 2")
        return lr

    def _eta(self, lr: float | str | StepRule) -> float:
        if isinstance(lr, StepRule | str):
            return StepRule.parse(lr).eta(self)
        return float(lr) if not isinstance(lr, bool) else lr  # type: ignore[return-value]

    def loss(self, lr: float | str | StepRule, steps: int) -> np.ndarray:
        """``E[L_k] = 1/2 E||u_k - y||^2`` for ``k = 0..steps``.

        ``lr`` is a step or a :class:`StepRule` (``"max:0.5"``).
        """
        eta = self.check_step(self._eta(lr))
        k = np.arange(_steps(steps) + 1, dtype=float)
        rho2 = (1.0 - eta * self.eigenvalues) ** 2
        return 0.5 * (rho2[None, :] ** k[:, None]) @ self.weights

    def loss_continuous(self, times: object) -> np.ndarray:
        """Gradient flow: ``E[L(t)] = 1/2 sum_i exp(-2 lambda_i t) c_i`` at times ``t = eta k >= 0``.

        >>> LossModel.from_kernels(np.eye(1), np.zeros((1, 1)), [1.0]).loss_continuous([0.0]).tolist()
        [0.5]
        """
        t = np.asarray(times, dtype=float)
        if t.ndim > 1 or not np.all(np.isfinite(t)) or np.any(t < 0):
            raise ValueError("times must be finite numbers >= 0 (a scalar or a 1-D array)")
        return 0.5 * np.exp(-2.0 * np.multiply.outer(np.atleast_1d(t), self.eigenvalues)) @ self.weights

    def steps_to(self, target: float, lr: float | str | StepRule, relative: bool = True,
                 max_steps: int = 10**9) -> int | None:
        """The first ``k`` with ``E[L_k] <= target`` (times ``E[L_0]`` when ``relative``).

        ``None`` when the target is not reached within ``max_steps`` (e.g. below the
        floor left by a zero NTK eigenvalue).  The expected loss never increases
        under a stable step, so a bisection finds ``k``.
        """
        eta = self.check_step(self._eta(lr))
        if not (isinstance(target, int | float | np.floating) and math.isfinite(float(target))
                and float(target) > 0):
            raise ValueError(f"the target loss must be a finite number > 0, got {target!r}")
        rho2 = (1.0 - eta * self.eigenvalues) ** 2
        goal = float(target) * (0.5 * float(np.sum(self.weights)) if relative else 1.0)

        def at(k: int) -> float:
            return 0.5 * float(np.sum(rho2**k * self.weights))

        if at(0) <= goal:
            return 0
        if at(max_steps) > goal:
            return None
        lo, hi = 0, max_steps  # at(lo) > goal >= at(hi)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if at(mid) > goal else (lo, mid)
        return hi

    def bound(self, lr: float | str | StepRule, steps: int, initial: float | None = None) -> np.ndarray:
        """The paper's bound ``(1 - eta lambda_min(K) / 2)^k L_0`` for ``k = 0..steps``.

        ``initial`` defaults to the expected initial loss ``E[L_0]``.
        """
        eta = self.check_step(self._eta(lr))
        L0 = 0.5 * float(np.sum(self.weights)) if initial is None else float(initial)
        return paper_bound(self.nngp_lambda_min, eta, steps, L0)


def paper_bound(nngp_lambda_min: float, lr: float, steps: int, initial: float) -> np.ndarray:
    """Theorem 3.1's ``(1 - lr lambda_min(K) / 2)^k initial`` for ``k = 0..steps``.

    >>> paper_bound(1.0, 0.5, 2, 1.0).tolist()
    [1.0, 0.75, 0.5625]
    """
    rate = 1.0 - float(lr) * float(nngp_lambda_min) / 2.0
    return float(initial) * np.abs(rate) ** np.arange(_steps(steps) + 1, dtype=float)


def output_kernels(motif: Any, X: object, *, width: int | None = None,
                   **kernel_options: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(Theta, K)``: the infinite-width NTK (readout trained) and NNGP of the output node on inputs ``X``.

    ``X`` holds the inputs as rows, embedded as :func:`dagnngp.numerics.inputs_to_gram` does
    (``width`` sets the input node's width for its mean; default the input dimension).
    ``kernel_options`` go to :func:`dagnngp.numerics.ntk` (``c_sigma``, ``activation``,
    ``activation_params``, ``sigma_b``, ``edge``, ``model``).
    """
    from dagnngp.numerics import inputs_to_gram, ntk

    K0, mu0 = inputs_to_gram(X, width=width)
    if kernel_options.get("edge") == "pre":
        mu0 = None  # node 0 is then a centred Gaussian field: its kernels do not use the inputs' means
    res = ntk(motif, K0, mu0, readout=True, **kernel_options)
    return np.asarray(res.ntk, dtype=float), np.asarray(res.nngp, dtype=float)


def predicted_loss(motif: Any, X: object, y: object, lr: float | str | StepRule, steps: int, *,
                   width: int | None = None, **kernel_options: Any) -> np.ndarray:
    """The expected training loss ``E[1/2 ||u_k - y||^2]``, ``k = 0..steps``, of an infinitely wide network.

    The network is ``motif`` with a trained N(0, I) readout, trained by full-batch
    gradient descent with step ``lr`` (a number or a :class:`StepRule` such as
    ``"max:0.5"``) under the linearised (NTK) dynamics; see the module docstring.

    >>> X = np.array([[1.0, 0.0], [0.6, 0.8]])
    >>> curve = predicted_loss("2_02_002", X, [1.0, -1.0], "max:1", 50)
    >>> bool(curve[0] > curve[10] > curve[50] > 0)
    True
    """
    theta, K = output_kernels(motif, X, width=width, **kernel_options)
    return LossModel.from_kernels(theta, K, y).loss(lr, steps)


def predicted_loss_continuous(motif: Any, X: object, y: object, times: object, *,
                              width: int | None = None, **kernel_options: Any) -> np.ndarray:
    """Gradient flow's expected loss at times ``t`` (``t = lr * steps`` in gradient-descent units)."""
    theta, K = output_kernels(motif, X, width=width, **kernel_options)
    return LossModel.from_kernels(theta, K, y).loss_continuous(times)


def steps_to_loss(motif: Any, X: object, y: object, lr: float | str | StepRule, target: float, *,
                  relative: bool = True, width: int | None = None, **kernel_options: Any) -> int | None:
    """Predicted gradient-descent steps until the expected loss is ``target`` (relative to its start)."""
    theta, K = output_kernels(motif, X, width=width, **kernel_options)
    return LossModel.from_kernels(theta, K, y).steps_to(target, lr, relative=relative)
