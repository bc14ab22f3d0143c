"""The Monte Carlo comparison's false-alarm rate is what it claims, and it catches a wrong kernel."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binom

from dagnngp.numerics.dual import relu_dual
from dagnngp.numerics.reference import nngp as reference_nngp
from dagnngp.numerics.sampling import monte_carlo
from dagnngp.proofs_check.statistics import compare_to_mc, t_threshold

X_PAIR = np.array([[1.0, 0.0, 0.0], [0.5, np.sqrt(0.75), 0.0]])
TRUTH = relu_dual(X_PAIR @ X_PAIR.T)  # one linear edge: the finite-width mean equals f(K0) exactly


def nngp(*args, **kwargs):  # the NumPy reference is the ground truth
    return reference_nngp(*args, backend="numpy", **kwargs)


def test_t_threshold_matches_printed_t_tables():
    assert t_threshold(30, 1, 0.05) == pytest.approx(2.045, abs=5e-4)  # t_{0.975, 29}
    assert t_threshold(21, 1, 0.01) == pytest.approx(2.845, abs=5e-4)  # t_{0.995, 20}
    # Bonferroni: 5 entries at family level 0.05 is one entry at 0.01
    assert t_threshold(21, 5, 0.05) == pytest.approx(2.845, abs=5e-4)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [({"draws": 1}, "draws >= 2"), ({"alpha": 0.0}, "alpha must lie in"),
     ({"stderr": -np.ones((2, 2))}, "non-negative"), ({"mean": np.zeros(3)}, "one shape")],
)
def test_compare_rejects_bad_arguments(kwargs, fragment):
    args = {"analytic": np.eye(2), "mean": np.eye(2), "stderr": np.ones((2, 2)), "draws": 5}
    args.update(kwargs)
    with pytest.raises(ValueError, match=fragment):
        compare_to_mc(**args)


def _replicates(n_rep: int, draws: int, seed0: int) -> list:
    return [monte_carlo("2", X_PAIR, 128, draws, seed=seed0 + r) for r in range(n_rep)]


def test_false_alarm_rate_is_calibrated_on_correct_code(alpha):
    # 1000 independent comparisons of a correct kernel, 20 draws each (19 d.o.f.); the four binomial
    # bounds below split this test's false-alarm share
    tail = alpha / 4
    reps = _replicates(1000, 20, seed0=10_000)
    level = 0.1
    # single entry at level `level`: the rejection count is Binomial(1000, level)
    single = sum(compare_to_mc(TRUTH[0, 1], r.mean[0, 1], r.stderr[0, 1], 20, alpha=level).rejected
                 for r in reps)
    lo, hi = binom.ppf(tail, 1000, level), binom.isf(tail, 1000, level)
    assert lo <= single <= hi, (single, lo, hi)
    # whole 2x2 Gram (3 entries, Bonferroni): the family-wise rate is at most `level`
    family = sum(compare_to_mc(TRUTH, r.mean, r.stderr, 20, alpha=level).rejected for r in reps)
    assert family <= binom.isf(tail, 1000, level), family
    # and Bonferroni over 3 correlated entries is not wildly conservative: above level / 3
    assert family >= binom.ppf(tail, 1000, level / 3), family


def test_comparison_catches_a_small_error_in_the_kernel():
    reps = _replicates(1, 30, seed0=1)[0]
    shifted = TRUTH + 8 * reps.stderr.max()
    assert compare_to_mc(shifted, reps.mean, reps.stderr, 30, alpha=1e-3).rejected


def test_deliberately_wrong_kernel_is_caught_on_dag3():
    # the paper model drops the ReLU-mean cross terms; the finite network has them
    X = np.random.default_rng(0).standard_normal((3, 8))
    X -= X.mean(axis=1, keepdims=True)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    res = monte_carlo("2_21_112", X, 2048, 30, seed=3)
    wrong = compare_to_mc(nngp("2_21_112", res.K0, res.mu0, model="paper").output,
                          res.mean, res.stderr, 30, alpha=1e-3)
    right = compare_to_mc(nngp("2_21_112", res.K0, res.mu0).output, res.mean, res.stderr, 30, alpha=1e-3)
    assert wrong.rejected and not right.rejected
    assert wrong.n_entries == 6  # upper triangle of a 3 x 3 Gram


def test_bias_allowance_raises_the_threshold_and_is_validated():
    base = compare_to_mc(1.0, 1.045, 0.01, draws=30)
    assert base.rejected and base.max_abs_t == pytest.approx(4.5)
    allowed = compare_to_mc(1.0, 1.045, 0.01, draws=30, bias_se=1.0)
    assert not allowed.rejected and allowed.threshold == base.threshold
    with pytest.raises(ValueError, match="bias_se"):
        compare_to_mc(1.0, 1.0, 0.01, draws=30, bias_se=-1.0)


def test_zero_stderr_entries_agree_only_when_equal():
    ok = compare_to_mc(np.zeros((2, 2)), np.zeros((2, 2)), np.zeros((2, 2)), 5)
    bad = compare_to_mc(np.zeros((2, 2)), np.full((2, 2), 1e-3), np.zeros((2, 2)), 5)
    assert not ok.rejected and bad.rejected
