"""Comparing an analytic kernel with a Monte Carlo estimate, at a stated false-alarm rate.

Each Monte Carlo entry is an average of ``draws`` independent per-draw Grams,
so ``(mean - truth) / stderr`` follows Student's t with ``draws - 1`` degrees
of freedom when the per-draw values are close to normal (they are sums over
``m`` neurons).  A comparison of ``n`` entries rejects when any
``|t| > t_{draws-1}(1 - alpha / (2 n))``: by Bonferroni the probability that
correct code is rejected is at most ``alpha`` for the whole matrix.

The finite-width mean also differs from the infinite-width limit by a bias of
order ``1/m`` that grows with depth, while the standard error is
``O(m^-1/2 draws^-1/2)``: in standard errors the bias is
``O(sqrt(draws / m))``.  At width 2048 with 30 draws it stays below
``FINITE_WIDTH_BIAS_SE`` standard errors for motifs of up to 7 nodes (the
deepest, a 7-node linear chain, is measured by the test suite);
``compare_to_mc(..., bias_se=FINITE_WIDTH_BIAS_SE)`` raises the threshold by it
so the stated false-alarm rate holds despite the bias.

>>> import numpy as np
>>> cmp = compare_to_mc(np.eye(2), np.eye(2) + 0.01, np.full((2, 2), 0.01), draws=20, alpha=0.01)
>>> cmp.rejected, cmp.n_entries, round(cmp.threshold, 3)
(False, 3, 3.354)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["FINITE_WIDTH_BIAS_SE", "MCComparison", "SUITE_ALPHA", "compare_to_mc", "t_threshold"]

#: False-alarm rate of one statistical check of :mod:`dagnngp.proofs_check.checks`: every Monte Carlo
#: comparison of the check together (Bonferroni over comparisons and entries); read when a check runs,
#: so a test suite can lower it.  Also the default ``alpha`` of one :func:`compare_to_mc` call.
SUITE_ALPHA = 1e-3

#: Bound on the finite-width bias of a 30-draw Monte Carlo mean at width 2048, in standard errors,
#: for motifs of up to 7 nodes (measured -0.1 to -0.4 on a 7-node linear chain).
FINITE_WIDTH_BIAS_SE = 1.5


def t_threshold(draws: int, n_entries: int, alpha: float) -> float:
    """``|t|`` above which one of ``n_entries`` comparisons is rejected, for family-wise level ``alpha``.

    >>> round(t_threshold(30, 1, 0.05), 4)  # the usual two-sided 5% t quantile, 29 d.o.f.
    2.0452
    """
    from scipy.stats import t as student_t

    if draws < 2:
        raise ValueError(f"need draws >= 2 for a t statistic, got {draws}")
    if n_entries < 1:
        raise ValueError(f"need at least one entry to compare, got {n_entries}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
    return float(student_t.ppf(1.0 - alpha / (2.0 * n_entries), df=draws - 1))


@dataclass
class MCComparison:
    """Result of :func:`compare_to_mc`.

    ``t_scores`` has the shape of the compared matrix (NaN outside the compared
    entries); ``worst`` is the index of the largest ``|t|``; ``bias_se`` is the
    allowance for a systematic bias added to the ``threshold``.
    """

    t_scores: np.ndarray
    max_abs_t: float
    worst: tuple[int, ...]
    threshold: float
    alpha: float
    n_entries: int
    draws: int
    bias_se: float = 0.0

    @property
    def rejected(self) -> bool:
        """True when the analytic value is rejected at family-wise level ``alpha``."""
        return self.max_abs_t > self.threshold + self.bias_se

    def as_dict(self) -> dict[str, object]:
        return {
            "max_abs_t": self.max_abs_t, "threshold": self.threshold, "alpha": self.alpha,
            "n_entries": self.n_entries, "draws": self.draws, "bias_se": self.bias_se,
            "rejected": self.rejected,
            "worst": list(self.worst),
        }


def compare_to_mc(
    analytic: object,
    mean: object,
    stderr: object,
    draws: int,
    alpha: float = SUITE_ALPHA,
    symmetric: bool = True,
    bias_se: float = 0.0,
) -> MCComparison:
    """t-scores of ``mean`` against ``analytic`` and a Bonferroni test at level ``alpha``.

    With ``symmetric=True`` (Gram matrices) only the upper triangle, diagonal
    included, is compared, since the lower one repeats it.  An entry that
    agrees to rounding (``1e-10`` relative) counts as agreeing; otherwise an
    entry with zero standard error is rejected.  ``bias_se`` (>= 0) is an allowance, in
    standard errors, for a known systematic bias such as the finite-width one: an entry is
    rejected only when ``|t| > threshold + bias_se``.

    >>> cmp = compare_to_mc(1.0, 1.045, 0.01, draws=30)  # |t| = 4.5 against threshold 3.66
    >>> cmp.rejected, compare_to_mc(1.0, 1.045, 0.01, draws=30, bias_se=1.0).rejected
    (True, False)
    """
    analytic = np.asarray(analytic, dtype=float)
    mean = np.asarray(mean, dtype=float)
    stderr = np.asarray(stderr, dtype=float)
    if not (analytic.shape == mean.shape == stderr.shape):
        raise ValueError(
            f"analytic, mean and stderr must have one shape, got {analytic.shape}, "
            f"{mean.shape}, {stderr.shape}"
        )
    if np.any(stderr < 0) or not np.all(np.isfinite(stderr)):
        raise ValueError("stderr must be finite and non-negative")
    if not (math.isfinite(bias_se) and bias_se >= 0):
        raise ValueError(f"bias_se must be a finite number >= 0, got {bias_se!r}")
    mask = np.ones(mean.shape, dtype=bool)
    if symmetric and mean.ndim == 2 and mean.shape[0] == mean.shape[1]:
        mask = np.triu(mask)
    diff = mean - analytic
    # entries that are deterministic (a skip-only node) carry rounding noise only:
    # a difference within rounding agrees, whatever its tiny "standard error"
    rounding = 1e-10 * np.maximum(1.0, np.abs(analytic))
    within_rounding = np.abs(diff) <= rounding
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(within_rounding, 0.0,
                     np.where(stderr > 0, diff / np.where(stderr > 0, stderr, 1.0), np.inf))
    t = np.where(mask, t, np.nan)
    n = int(mask.sum())
    abs_t = np.where(mask, np.abs(t), -1.0)
    worst = tuple(int(i) for i in np.unravel_index(int(np.argmax(abs_t)), abs_t.shape))
    return MCComparison(
        t_scores=t, max_abs_t=float(abs_t[worst]), worst=worst,
        threshold=t_threshold(draws, n, alpha), alpha=alpha, n_entries=n, draws=draws,
        bias_se=float(bias_se),
    )
