"""The numbers behind the report, computed without any presentation.

Each function returns plain numbers (floats, lists, NumPy arrays); the report's
sections (:mod:`dagnngp.report.sections`) turn them into tables, figures and
sentences.  Kernels come from the public :mod:`dagnngp.numerics` and
:mod:`dagnngp.theory` APIs, imported when a function first needs them.

>>> [round(v, 7) for v in dual_map_iterates_at(0.0, 3)]
[0.3183099, 0.4937311, 0.6048257]
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from dagnngp.motif import Motif
from dagnngp.numerics import lambdify

__all__ = [
    "McWidthScan",
    "bonferroni_t_threshold",
    "dual_map_iterates",
    "dual_map_iterates_at",
    "kernel_entries",
    "layers_to_reach",
    "loglog_slope",
    "mc_width_scan",
    "pair_gaps",
    "theory_summary",
    "unit_centred_inputs",
    "verdict_record",
]


def dual_map_iterates(C: np.ndarray, steps: int) -> list[np.ndarray]:
    """``[h(C), h(h(C)), ..., h^steps(C)]`` of the normalised ReLU dual map, elementwise.

    >>> [round(float(v[0]), 7) for v in dual_map_iterates(np.array([0.0]), 2)]
    [0.3183099, 0.4937311]
    """
    from dagnngp.numerics import relu_correlation

    out = []
    cur = np.asarray(C, dtype=float)
    for _ in range(steps):
        cur = np.asarray(relu_correlation(cur), dtype=float)
        out.append(cur.copy())
    return out


def dual_map_iterates_at(c0: float, steps: int) -> list[float]:
    """``[h(c0), ..., h^steps(c0)]`` as floats (the trajectory of one correlation, ``c0`` excluded)."""
    return [float(v[0]) for v in dual_map_iterates(np.array([float(c0)]), steps)]


def layers_to_reach(trajectory: Sequence[float], margin: float) -> int | None:
    """First index ``k`` with ``1 - trajectory[k] < margin`` (``None`` if never); ``c0`` is ``k = 0``.

    >>> layers_to_reach([0.0, 0.5, 0.96], 0.05), layers_to_reach([0.0], 0.05)
    (2, None)
    """
    return next((k for k, v in enumerate(trajectory) if 1 - v < margin), None)


def pair_gaps(motif: Motif | str, C: Iterable[float], model: str) -> np.ndarray:
    """The 2x2 gap (least eigenvalue) of ``motif``'s output kernel for two unit inputs, at each ``C``.

    >>> round(float(pair_gaps("1_01_222", [0.0], "paper")[0]), 5)  # 3 (1 - 1/pi)
    2.04507
    """
    from dagnngp.numerics import least_eigenvalue_2x2, nngp, pair_gram

    Cs = np.asarray(list(C) if not isinstance(C, np.ndarray) else C, dtype=float)
    out = np.empty_like(Cs)
    for i, c in enumerate(Cs):
        K0, mu0 = pair_gram(float(c))
        K = nngp(motif, K0, mu0, model=model).output
        out[i] = least_eigenvalue_2x2(K[0, 0], K[1, 1], K[0, 1])
    return out


def kernel_entries(motif: Motif | str, C: np.ndarray, model: str) -> tuple[np.ndarray, np.ndarray]:
    """``(K_ii, K_ij)`` of ``motif``'s output kernel for two unit inputs with correlation ``C``.

    >>> d, o = kernel_entries("2_21_112", np.array([0.5]), "paper"); float(d[0])  # P = 4 paths
    4.0
    """
    from dagnngp.numerics import nngp, pair_gram

    diag, off = np.empty_like(C, dtype=float), np.empty_like(C, dtype=float)
    for i, c in enumerate(C):
        K0, mu0 = pair_gram(float(c))
        K = nngp(motif, K0, mu0, model=model).output
        diag[i], off[i] = K[0, 0], K[0, 1]
    return diag, off


def theory_summary(motif: Motif, model: str, series_order: int = 2) -> dict | None:
    """What the theory layer derives for ``motif``; ``None`` when that layer is not installed.

    Keys: ``diagonal``, ``offdiagonal``, ``gap_distance`` (strings), ``series`` and ``latex``
    (or ``series_error``/``latex_error``), ``kappa`` and ``leading_power`` of the gap's leading
    term at ``C = 1``, and ``gap_fn`` (a NumPy function of ``C``; ``lambdify_error`` if not).
    """
    try:
        from dagnngp.theory import derive
    except ImportError:
        return None
    d = derive(motif, model=model)
    out: dict = {
        "diagonal": str(d.diagonal),
        "offdiagonal": str(d.offdiagonal),
        "gap_distance": str(d.gap_distance),
    }
    for name, call in (("series", lambda: d.series(series_order)), ("latex", d.latex)):
        try:
            val = call()
        except Exception as exc:  # noqa: BLE001 - an optional view; the caller shows what failed
            out[f"{name}_error"] = f"{type(exc).__name__}: {exc}"
            continue
        out[name] = str(val)
        if name == "series" and getattr(val, "leading", None) is not None:
            coeff, power = val.leading
            out["kappa"] = float(coeff)
            out["leading_power"] = str(power)
    try:
        out["gap_fn"] = lambdify(d, "gap", "numpy")
    except Exception as exc:  # noqa: BLE001
        out["lambdify_error"] = f"{type(exc).__name__}: {exc}"
    return out


def unit_centred_inputs(n: int, d: int, seed: int) -> np.ndarray:
    """``n`` Gaussian inputs in ``R^d``, each centred (mean 0 over its coordinates) and of unit norm.

    >>> X = unit_centred_inputs(3, 5, 0); bool(np.allclose(X.sum(axis=1), 0)), X.shape
    (True, (3, 5))
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed, 8]))
    X = rng.standard_normal((n, d))
    X -= X.mean(axis=1, keepdims=True)
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def loglog_slope(x: Sequence[float], y: Sequence[float]) -> float:
    """Least-squares slope of ``log y`` against ``log x``.

    >>> round(loglog_slope([1, 4, 16], [1.0, 0.5, 0.25]), 12)
    -0.5
    """
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


def bonferroni_t_threshold(alpha: float, n_tests: int, dof: int) -> float:
    """Two-sided Student-t threshold for a family-wise false-alarm rate ``alpha`` over ``n_tests``.

    >>> round(bonferroni_t_threshold(0.05, 1, 10**6), 2)  # the normal 1.96
    1.96
    """
    from scipy.stats import t as student_t

    return float(student_t.ppf(1 - alpha / (2 * n_tests), dof))


@dataclass(frozen=True)
class McWidthScan:
    """Monte Carlo distances of finite-width Grams from the exact limit, one row per width."""

    widths: list[int]
    error: list[float]
    error_se: list[float]
    largest: object  # the MonteCarloResult at the largest width

    @property
    def slope(self) -> float:
        """Fitted log-log slope of the mean error against width (theory: -1/2)."""
        return loglog_slope(self.widths, self.error)

    @property
    def reference_constant(self) -> float:
        """``c`` of the best ``c m^(-1/2)`` line through the errors (geometric mean of ``err sqrt(m)``)."""
        return float(np.exp(np.mean(np.log(self.error) + 0.5 * np.log(self.widths))))


def mc_width_scan(
    motif: Motif | str, X: np.ndarray, exact: np.ndarray, widths: Sequence[int], draws: int, seed: int
) -> McWidthScan:
    """For each width: the mean and standard error over draws of ``||G_m - K_exact||_2``."""
    from dagnngp.numerics import monte_carlo

    errs, ses = [], []
    largest = None
    for w in widths:
        res = monte_carlo(motif, X, width=w, draws=draws, seed=seed, sampler="gram", progress=False)
        e = np.array([np.linalg.norm(s - exact, 2) for s in res.samples])
        errs.append(float(e.mean()))
        ses.append(float(e.std(ddof=1) / math.sqrt(len(e))))
        largest = res
    return McWidthScan(list(widths), errs, ses, largest)


def verdict_record(v: object) -> dict:
    """A check outcome as a plain dict (``CheckOutcome.as_dict`` when there is one).

    >>> verdict_record({"name": "a", "holds": True})
    {'name': 'a', 'holds': True}
    """
    if isinstance(v, dict):
        return dict(v)
    if hasattr(v, "as_dict"):
        return dict(v.as_dict())
    return {
        name: getattr(v, name)
        for name in ("name", "claims", "statement", "expected", "holds", "detail")
        if hasattr(v, name)
    }
