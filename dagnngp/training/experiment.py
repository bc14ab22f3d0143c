"""Motifs trained side by side under several step rules: measured curves, predictions and rankings.

:func:`compare` is what ``dagnngp train`` and the report's training section run.  For
each step rule and motif it computes the infinite-width NTK and NNGP of the output on the
inputs (:func:`~dagnngp.training.output_kernels`), the step ``eta``, the predicted expected
loss curve (:class:`~dagnngp.training.LossModel`), the paper's bound, and trains
``seeds`` finite networks (:func:`~dagnngp.training.train_seeds`).  Motifs are ranked by
the loss after the last step relative to the first (``E[L_K] / E[L_0]``, predicted, and the
ratio of the seeds' mean losses, measured); the ranking under each rule is compared.

The rule ``fixed:auto`` is one step shared by every motif: ``1 / max_motifs lambda_max(Theta)``,
the largest common step that is within every motif's stability limit with a factor 2 to spare.

>>> from dagnngp.training.data import synthetic_task
>>> X, y = synthetic_task(6, 4)
>>> res = compare(["2_02_002", "1_01_222"], X, y, ["fixed:auto", "max:1"], width=32, seeds=2, steps=5,
...               progress=False)
>>> list(res["rules"])[1], len(res["rules"]["max:1"]["motifs"]["2_02_002"]["predicted"])
('max:1', 6)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from dagnngp.motif import Motif
from dagnngp.training.network import train_seeds
from dagnngp.training.predict import LossModel, StepRule, output_kernels
from dagnngp.training.rates import scale_free_rates

__all__ = ["DEFAULT_RULES", "compare", "pair_means", "prediction_test", "resolve_rules"]

#: the step rules ``dagnngp train`` uses by default
DEFAULT_RULES = ("fixed:auto", "max:1", "trace:1")

_KERNEL_ONLY = ("model",)


def resolve_rules(rules: list[str | StepRule], models: dict[str, LossModel]) -> list[StepRule]:
    """Parse the rules, turning ``fixed:auto`` into ``1 / max lambda_max`` over ``models``."""
    out = []
    for r in rules:
        if isinstance(r, str) and r.strip() in ("fixed:auto", "auto"):
            top = max(m.lambda_max for m in models.values())
            if top <= 0:
                raise ValueError("every NTK is zero: no common step can be derived")
            out.append(StepRule("fixed", float(f"{1.0 / top:.3g}")))
        else:
            out.append(StepRule.parse(r))
    if not out:
        raise ValueError("give at least one step rule, e.g. max:1")
    return out


def pair_means(losses: np.ndarray) -> np.ndarray:
    """Average antithetic twins (rows ``2i`` and ``2i + 1``): one row per independent pair."""
    arr = np.asarray(losses, dtype=float)
    if arr.ndim != 2 or arr.shape[0] % 2:
        raise ValueError("antithetic losses must be a 2-D array with an even number of rows")
    return 0.5 * (arr[0::2] + arr[1::2])


def prediction_test(losses: np.ndarray, predicted: np.ndarray, first: int = 1) -> dict[str, float]:
    """One-sample t statistic of the seeds' mean relative loss against a predicted curve.

    Each row of ``losses`` (a seed, or an antithetic pair from :func:`pair_means`) gives
    ``R = mean_{k >= first} L_k / p_k``, whose expectation is 1 when ``p`` is the expected
    curve.  Returns the mean of ``R``, its standard error, ``t = (mean - 1) / se`` and the
    degrees of freedom (rows - 1).  Step 0 is left out by default: the initial loss
    depends on the outputs' common mode, a one-degree-of-freedom chi-square whose sample
    standard error is unreliable over a few seeds, and says nothing about the dynamics.

    >>> prediction_test(np.array([[2.0, 1.1], [2.0, 0.9], [2.0, 1.0]]), np.array([2.0, 1.0]))["t"]
    0.0
    """
    L = np.asarray(losses, dtype=float)
    p = np.asarray(predicted, dtype=float)
    if L.ndim != 2 or L.shape[1] != p.size or L.shape[0] < 2 or p.size <= first:
        raise ValueError("losses must be (rows >= 2) x (steps + 1) and match the predicted curve")
    R = (L[:, first:] / p[first:]).mean(axis=1)
    se = float(R.std(ddof=1) / math.sqrt(R.size))
    mean = float(R.mean())
    return {"mean_ratio": mean, "se": se, "t": (mean - 1.0) / se if se > 0 else math.inf,
            "dof": R.size - 1}


def _network_options(kernel_options: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in kernel_options.items() if k not in _KERNEL_ONLY and v is not None}
    if out.get("edge", "post") == "post":
        out.pop("edge", None)
    return out


def compare(motifs: list[str | Motif], X: np.ndarray, y: np.ndarray,
            rules: list[str | StepRule] | None = None, *, width: int = 256, seeds: int | list[int] = 3,
            steps: int = 100, dtype: str = "float64",
            batch_size: int | None = None, target: float = 1e-2, allow_unstable: bool = False,
            progress: bool | None = None, max_bytes: int | None = None, memory_option: str | None = None,
            **kernel_options: Any) -> dict[str, Any]:
    """Train ``motifs`` on ``(X, y)`` under each step rule; predictions, bounds, measurements, rankings.

    ``seeds`` is a number of seeds (``0..seeds-1``) or a list of seeds.
    ``kernel_options`` (``c_sigma``, ``activation``, ``activation_params``, ``sigma_b``,
    ``edge``; ``model`` for the kernels only) apply to the kernels and the networks alike.
    A fixed step at or above a motif's stability limit ``2 / lambda_max(Theta)`` is refused
    unless ``allow_unstable``; then that motif has no prediction and its runs are reported
    as diverged where they diverge.  Returns JSON-ready numbers.
    """
    if not motifs:
        raise ValueError("give at least one motif")
    names = [str(Motif.coerce(m)) for m in motifs]
    if len(set(names)) != len(names):
        raise ValueError("a motif is given twice; give each motif once")
    Xa = np.asarray(X, dtype=float)
    models: dict[str, LossModel] = {}
    rates: dict[str, dict[str, float]] = {}
    for name in names:
        theta, K = output_kernels(name, Xa, width=width, **kernel_options)
        models[name] = LossModel.from_kernels(theta, K, y)
        rates[name] = scale_free_rates(theta, K)
    rule_list = resolve_rules(list(rules or DEFAULT_RULES), models)
    net_opts = _network_options(kernel_options)
    out: dict[str, Any] = {
        "settings": {"motifs": names, "n_inputs": int(Xa.shape[0]), "input_dim": int(Xa.shape[1]),
                     "width": width, "seeds": seeds, "steps": steps, "dtype": dtype, "batch_size": batch_size,
                     "target": target, **{k: v for k, v in kernel_options.items() if v is not None}},
        "kernels": {n: {"ntk_lambda_max": models[n].lambda_max,
                        "ntk_lambda_min": float(models[n].eigenvalues[0]),
                        "nngp_lambda_min": models[n].nngp_lambda_min, **rates[n]} for n in names},
        "rules": {},
    }
    for rule in rule_list:
        per: dict[str, Any] = {}
        for name in names:
            model = models[name]
            eta = rule.eta(model)
            stable = eta < model.stability_limit
            if not stable and not allow_unstable:
                raise ValueError(
                    f"{rule.label}: the step {eta:.4g} is at or above motif {name}'s stability limit "
                    f"2/lambda_max(NTK) = {model.stability_limit:.4g}; gradient descent diverges. Use a "
                    "smaller step (or the rule max:C with C < 2), or allow it explicitly to watch it diverge")
            runs = train_seeds(name, Xa, y, seeds=seeds, width=width, lr=eta, steps=steps, dtype=dtype,
                               batch_size=batch_size, progress=progress, max_bytes=max_bytes,
                               memory_option=memory_option, **net_opts)
            alive = [r for r in runs if not r.diverged]
            entry: dict[str, Any] = {"eta": eta, "stable": stable, "diverged": len(runs) - len(alive),
                                     "diverged_at": [r.diverged_at for r in runs if r.diverged]}
            if alive:
                L = np.array([r.losses for r in alive])
                entry["measured_mean"] = L.mean(axis=0).tolist()
                entry["measured_std"] = (L.std(axis=0, ddof=1) if len(alive) > 1
                                         else np.full(L.shape[1], math.nan)).tolist()
                entry["measured_relative"] = float(L[:, -1].mean() / L[:, 0].mean())
                bound = model.bound(eta, steps, float(L[:, 0].mean())) if stable else None
                entry["bound"] = None if bound is None else bound.tolist()
                entry["below_bound"] = None if bound is None else bool(np.all(L.mean(axis=0) <= bound))
            else:
                entry.update(measured_mean=None, measured_std=None, measured_relative=None, bound=None,
                             below_bound=None)
            if stable:
                p = model.loss(eta, steps)
                entry["predicted"] = p.tolist()
                entry["predicted_relative"] = float(p[-1] / p[0])
                entry["predicted_steps_to_target"] = model.steps_to(target, eta)
                entry["bound_steps_to_target"] = _bound_steps(model.nngp_lambda_min, eta, target)
            else:
                entry.update(predicted=None, predicted_relative=None, predicted_steps_to_target=None,
                             bound_steps_to_target=None)
            per[name] = entry
        out["rules"][rule.key] = {"label": rule.label, "motifs": per, "ranking": _ranking(per)}
    return out


def _bound_steps(lam_min: float, eta: float, target: float) -> int | None:
    rate = 1.0 - eta * lam_min / 2.0
    if not 0 < rate < 1:
        return None
    return int(math.ceil(math.log(target) / math.log(rate)))


def _ranking(per: dict[str, Any]) -> dict[str, Any]:
    def order(key: str) -> list[str] | None:
        vals = {n: e[key] for n, e in per.items()}
        if any(v is None for v in vals.values()):
            return None
        return sorted(vals, key=lambda n: (vals[n], n))

    predicted, measured = order("predicted_relative"), order("measured_relative")
    return {"predicted": predicted, "measured": measured,
            "agree": None if predicted is None or measured is None else predicted == measured}
