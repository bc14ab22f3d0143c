"""Training dynamics of motif networks: finite-width runs, infinite-width predictions, scale-free rates.

* :func:`train`, :func:`train_seeds` -- gradient descent and SGD of finite networks
  (:class:`dagnngp.numerics.finite.FiniteNetwork`), memory-checked, seeded, with divergence detection;
* :func:`predicted_loss`, :class:`LossModel` -- the expected loss curve of an infinitely
  wide network under gradient descent (linearised NTK dynamics), its continuous-time
  limit, the steps to a target loss and the paper's bound;
* :class:`StepRule` -- a fixed step, ``c / lambda_max(Theta)`` or ``c / tr(Theta)``;
* :func:`gap_ratio`, :func:`condition`, :func:`lambda_ratio`, :func:`scale_free_rates` --
  quantities that do not change when a kernel is rescaled;
* :func:`digits_task`, :func:`synthetic_task` -- embedded data (no download);
* :func:`compare` -- motifs trained side by side under several step rules, with rankings.

>>> from dagnngp.training import StepRule, gap_ratio
>>> StepRule.parse("max:0.5").label
'eta = 0.5/lambda_max'
"""

from dagnngp.training.network import DIVERGENCE, TrainResult, initialise, network_bytes, train, train_seeds
from dagnngp.training.predict import (
    STEP_RULES,
    LossModel,
    StepRule,
    output_kernels,
    paper_bound,
    predicted_loss,
    predicted_loss_continuous,
    steps_to_loss,
)
from dagnngp.training.rates import condition, eigenvalues, gap_ratio, lambda_ratio, scale_free_rates

__all__ = [
    "DIVERGENCE",
    "STEP_RULES",
    "LossModel",
    "StepRule",
    "TrainResult",
    "condition",
    "eigenvalues",
    "gap_ratio",
    "initialise",
    "lambda_ratio",
    "network_bytes",
    "output_kernels",
    "paper_bound",
    "predicted_loss",
    "predicted_loss_continuous",
    "scale_free_rates",
    "steps_to_loss",
    "train",
    "train_seeds",
]
