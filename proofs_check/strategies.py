"""Hypothesis strategies for motifs and inputs, for the project's tests and yours.

Hypothesis is imported lazily by each strategy, so importing this module
costs nothing when Hypothesis is not installed.

Test a new bound in a few lines::

    from hypothesis import given
    from dagnngp.proofs_check.strategies import motifs, unit_centred_inputs
    from dagnngp.numerics import nngp, min_pair_gap, least_eigenvalue

    @given(motifs(max_nodes=6), unit_centred_inputs(n_inputs=4))
    def test_lemma_3_3(motif, inputs):
        K0, mu0 = inputs
        K = nngp(motif, K0, mu0).output
        assert least_eigenvalue(K) <= min_pair_gap(K)[0] + 1e-9
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dagnngp.motif import MAX_NODES, Motif, Op

__all__ = ["input_matrices", "motifs", "psd_grams", "unit_centred_inputs"]


def motifs(
    min_nodes: int = 2,
    max_nodes: int = 8,
    ops: Sequence[Op | int | str] = (Op.ZERO, Op.SKIP, Op.LINEAR),
    require_path: bool = False,
) -> Any:
    """Random motifs with ``min_nodes..max_nodes`` nodes whose edges take ops from ``ops``.

    ``require_path=True`` keeps only motifs with at least one input-to-output path.
    """
    from hypothesis import strategies as st

    if not (2 <= min_nodes <= max_nodes <= MAX_NODES):
        raise ValueError(
            f"need 2 <= min_nodes <= max_nodes <= {MAX_NODES}, got {min_nodes}, {max_nodes}"
        )
    allowed = sorted({Op.coerce(o) for o in ops})
    if not allowed:
        raise ValueError("ops must name at least one operation")

    @st.composite
    def build(draw: Any) -> Motif:
        n = draw(st.integers(min_nodes, max_nodes))
        rows = tuple(
            tuple(draw(st.sampled_from(allowed)) for _ in range(t)) for t in range(1, n)
        )
        return Motif(rows)

    strategy = build()
    if require_path:
        strategy = strategy.filter(lambda m: m.n_paths > 0)
    return strategy


def unit_centred_inputs(
    n_inputs: int | tuple[int, int] = (2, 6), dim: int | None = None, centred: bool = True
) -> Any:
    """``(K0, mu0)`` of unit-norm inputs, per-sample centred (``mu0 = 0``) by default.

    With ``centred=False`` the inputs are non-negative (like post-ReLU features)
    and ``mu0_i = sum_k x_ik / sqrt(dim)``.  Inputs are drawn as Gaussian
    vectors, so they are almost surely pairwise non-parallel.
    """
    import numpy as np
    from hypothesis import strategies as st

    lo, hi = (n_inputs, n_inputs) if isinstance(n_inputs, int) else n_inputs

    @st.composite
    def build(draw: Any) -> tuple[Any, Any]:
        n = draw(st.integers(lo, hi))
        d = dim if dim is not None else draw(st.integers(max(3, n + 1), n + 8))
        seed = draw(st.integers(0, 2**32 - 1))
        rng = np.random.default_rng(seed)
        X = rng.standard_normal((n, d))
        if centred:
            X -= X.mean(axis=1, keepdims=True)
        else:
            X = np.abs(X)
        X /= np.linalg.norm(X, axis=1, keepdims=True)
        return X @ X.T, X.sum(axis=1) / np.sqrt(d) if not centred else np.zeros(n)

    return build()


def psd_grams(n_inputs: int | tuple[int, int] = (1, 6), rank: int | None = None) -> Any:
    """Random PSD Gram matrices of any scale, possibly rank-deficient, with zero rows allowed."""
    import numpy as np
    from hypothesis import strategies as st

    lo, hi = (n_inputs, n_inputs) if isinstance(n_inputs, int) else n_inputs

    @st.composite
    def build(draw: Any) -> Any:
        n = draw(st.integers(lo, hi))
        r = rank if rank is not None else draw(st.integers(1, n + 2))
        seed = draw(st.integers(0, 2**32 - 1))
        rng = np.random.default_rng(seed)
        X = rng.standard_normal((n, r)) * draw(st.sampled_from([1e-3, 1.0, 1e3]))
        if n > 1 and draw(st.booleans()):
            X[draw(st.integers(0, n - 1))] = 0.0  # an all-zero input
        if n > 2 and draw(st.booleans()):
            X[1] = -X[0] if draw(st.booleans()) else X[0]  # antipodal or duplicate inputs
        return X @ X.T

    return build()


def input_matrices(
    n_inputs: int | tuple[int, int] = (2, 5), dim: int | tuple[int, int] = (3, 10), centred: bool = True
) -> Any:
    """Raw unit-norm inputs ``X`` (N x d) for the Monte Carlo sampler.

    Centred inputs have per-sample zero-sum coordinates (``mu0 = 0``); with
    ``centred=False`` they are non-negative (post-ReLU-like), so pass
    ``dim=width`` to keep their normalised means ``mu0`` of order one.
    """
    import numpy as np
    from hypothesis import strategies as st

    n_lo, n_hi = (n_inputs, n_inputs) if isinstance(n_inputs, int) else n_inputs
    d_lo, d_hi = (dim, dim) if isinstance(dim, int) else dim
    if not (1 <= n_lo <= n_hi and 2 <= d_lo <= d_hi):
        raise ValueError(f"need 1 <= n_inputs and 2 <= dim ranges, got {n_inputs}, {dim}")

    @st.composite
    def build(draw: Any) -> Any:
        n = draw(st.integers(n_lo, n_hi))
        d = draw(st.integers(d_lo, d_hi))
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        X = rng.standard_normal((n, d))
        X = X - X.mean(axis=1, keepdims=True) if centred else np.abs(X)
        return X / np.linalg.norm(X, axis=1, keepdims=True)

    return build()
