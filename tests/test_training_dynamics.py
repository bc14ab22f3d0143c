"""Wide finite networks trained by gradient descent follow the infinite-width predicted loss curve.

For three motifs (DAG#3, the chain DAG#1 and a residual cell) we train width-1024 networks
(float32) on 8 unit-norm inputs with ``eta = 1 / lambda_max(Theta)`` for 6 steps.  Seeds come
in antithetic pairs (the second network of a pair has the first one's weights and the negated
readout), which cancels the part of the loss linear in the initial outputs; pairs are
independent.  Per pair, ``R = mean_{k=1..6} L_k / p_k`` has expectation 1 when ``p`` is the
expected loss curve (up to finite-width terms of order 1/m), and we t-test the mean of ``R``
over 5 pairs (4 degrees of freedom).

False-alarm rate: two-sided, Bonferroni over the 3 motifs, family-wise 1 % (normal theory;
per motif |t| <= t_{4}(1 - 0.01/6) = 6.25).  Control: the same runs against the curve
predicted with the NNGP in place of the NTK must be rejected for every motif.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from dagnngp.training import LossModel, output_kernels, train_seeds
from dagnngp.training.data import synthetic_task
from dagnngp.training.experiment import pair_means, prediction_test

MOTIFS = ("2_21_112", "2_02_002", "2_12_012")
WIDTH, PAIRS, STEPS = 1024, 5, 6
ALPHA = 0.01
T_CRIT = float(stats.t.ppf(1 - ALPHA / (2 * len(MOTIFS)), PAIRS - 1))


@pytest.fixture(scope="module")
def runs():
    X, y = synthetic_task(8, 8, seed=5)
    y = 2.0 * y
    out = {}
    for motif in MOTIFS:
        theta, K = output_kernels(motif, X, width=WIDTH)
        model = LossModel.from_kernels(theta, K, y)
        eta = 1.0 / model.lambda_max
        res = train_seeds(motif, X, y, seeds=PAIRS, width=WIDTH, lr=eta, steps=STEPS, dtype="float32",
                          antithetic=True, progress=False)
        assert not any(r.diverged for r in res)
        losses = pair_means(np.array([r.losses for r in res]))
        wrong = LossModel.from_kernels(K, K, y)  # the NNGP in place of the NTK
        out[motif] = (losses, model.loss(eta, STEPS), wrong.loss(eta, STEPS))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("motif", MOTIFS)
def test_wide_gradient_descent_follows_the_predicted_curve(runs, motif):
    losses, predicted, _ = runs[motif]
    res = prediction_test(losses, predicted)
    assert abs(res["t"]) <= T_CRIT, res


@pytest.mark.slow
@pytest.mark.parametrize("motif", MOTIFS)
def test_the_nngp_in_place_of_the_ntk_is_rejected(runs, motif):
    losses, _, wrong = runs[motif]
    res = prediction_test(losses, wrong)
    assert abs(res["t"]) > T_CRIT, res
