"""Numeric evaluation of motif kernels.

The NumPy reference (:func:`nngp`) is the ground truth every faster backend
is tested against.

>>> from dagnngp.numerics import nngp, pair_gram
>>> K0, mu0 = pair_gram(0.5)
>>> round(float(nngp("2_02_002", K0).output[0, 1]), 5)
0.73813
"""

from dagnngp.numerics.bounds import (
    least_eigenvalue,
    least_eigenvalue_2x2,
    min_pair_gap,
    pair_gap,
    rule12,
    rule12_gram,
)
from dagnngp.numerics.dual import (
    relu_correlation,
    relu_dual,
    relu_gap,
    relu_gap_from_distance,
    relu_mean,
)
from dagnngp.numerics.generated import lambdify
from dagnngp.numerics.motif_sweep import SweepResult, all_motifs, iter_motifs, sweep
from dagnngp.numerics.reference import NNGPResult, NTKResult, as_motif, inputs_to_gram, nngp, ntk, pair_gram
from dagnngp.numerics.sampling import MonteCarloResult, monte_carlo

# Numba-backed names are resolved on first access so that importing this package stays fast
_LAZY = {
    "nngp_blocks": "dagnngp.numerics.numba_blocks",
    "min_pair_gap_blocks": "dagnngp.numerics.numba_blocks",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "MonteCarloResult",
    "NNGPResult",
    "SweepResult",
    "all_motifs",
    "iter_motifs",
    "lambdify",
    "min_pair_gap_blocks",
    "nngp_blocks",
    "sweep",
    "as_motif",
    "inputs_to_gram",
    "least_eigenvalue",
    "least_eigenvalue_2x2",
    "min_pair_gap",
    "monte_carlo",
    "nngp",
    "ntk",
    "NTKResult",
    "pair_gap",
    "pair_gram",
    "relu_correlation",
    "relu_dual",
    "relu_gap",
    "relu_gap_from_distance",
    "relu_mean",
    "rule12",
    "rule12_gram",
]
