"""Hypothesis strategies for motifs and inputs, for the project's tests and yours (a public module).

Hypothesis is imported lazily by each strategy, so importing this module
costs nothing when Hypothesis is not installed.

Test a new bound in a few lines::

    from hypothesis import given
    from dagnngp.proofs_check.strategies import general_grams, motifs
    from dagnngp.numerics import nngp, min_pair_gap, least_eigenvalue

    @given(motifs(max_nodes=6), general_grams(n_inputs=(2, 4)))
    def test_lemma_3_3(motif, inputs):
        K0, mu0 = inputs
        K = nngp(motif, K0, mu0).output
        assert least_eigenvalue(K) <= min_pair_gap(K)[0] + 1e-9 * max(1.0, abs(K).max())

:func:`general_inputs` and :func:`general_grams` draw any real inputs (mixed
signs, non-zero means, norms from ``1e-3`` to ``1e3``, zero, duplicate and
antipodal rows, fewer features than inputs) as *values*, so a failing example
shrinks to a small, readable one.  :func:`unit_centred_inputs` and
:func:`psd_grams` keep their narrower, seed-drawn families for the claims that
assume unit-norm centred or non-negative inputs.

>>> from hypothesis import given, settings
>>> @settings(max_examples=5, derandomize=True)
... @given(general_grams(n_inputs=3))
... def shapes(inputs):
...     K0, mu0 = inputs
...     assert K0.shape == (3, 3) and mu0.shape == (3,)
>>> shapes()
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dagnngp.motif import MAX_NODES, Motif, Op

__all__ = ["general_grams", "general_inputs", "input_matrices", "motifs", "psd_grams", "unit_centred_inputs"]


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


def _size_range(value: int | tuple[int, int], name: str, minimum: int) -> tuple[int, int]:
    lo, hi = (value, value) if isinstance(value, int) else value
    if not (minimum <= lo <= hi):
        raise ValueError(f"{name} must be an int or a (lo, hi) range with {minimum} <= lo <= hi, "
                         f"got {value!r}")
    return lo, hi


def general_inputs(
    n_inputs: int | tuple[int, int] = (1, 5),
    dim: int | tuple[int, int] = (1, 6),
    max_scale: float = 1e3,
    degenerate: bool = True,
    centred: bool = False,
) -> Any:
    """Raw inputs ``X`` (N x d) of any real values, drawn entry by entry so failures shrink.

    Entries lie in ``[-1, 1]`` (values below ``1e-8`` in magnitude become 0, so
    squares never underflow); each row is then scaled by a factor drawn from
    ``[1/max_scale, max_scale]``: mixed signs, non-zero means and any norms.
    With ``degenerate=True`` a row may be replaced by zeros, or by a copy or the
    negative of another row; ``d < N`` gives rank-deficient sets as well.
    ``centred=True`` subtracts each row's mean (so ``mu0 = 0``; needs ``dim >= 2``).

    >>> from hypothesis import find
    >>> X = find(general_inputs(n_inputs=2, dim=3), lambda X: (X[0] < 0).any() and X[0].sum() > 0)
    >>> X.shape
    (2, 3)
    """
    import numpy as np
    from hypothesis import strategies as st
    from hypothesis.extra.numpy import arrays

    n_lo, n_hi = _size_range(n_inputs, "n_inputs", 1)
    d_lo, d_hi = _size_range(dim, "dim", 1)
    if not max_scale >= 1:
        raise ValueError(f"max_scale must be >= 1, got {max_scale!r}")
    if centred and d_lo < 2:
        raise ValueError("centred inputs need dim >= 2 (a 1-D centred input is zero)")
    entries = st.floats(-1.0, 1.0, allow_nan=False, allow_infinity=False, allow_subnormal=False)

    @st.composite
    def build(draw: Any) -> Any:
        n = draw(st.integers(n_lo, n_hi))
        d = draw(st.integers(d_lo, d_hi))
        X = draw(arrays(np.float64, (n, d), elements=entries))
        X[np.abs(X) < 1e-8] = 0.0
        scales = draw(arrays(np.float64, n, elements=st.floats(1.0 / max_scale, max_scale)))
        X *= scales[:, None]
        if degenerate and n > 1:
            kind = draw(st.sampled_from(["none", "zero", "copy", "negative"]))
            i, j = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
            if kind == "zero":
                X[i] = 0.0
            elif kind == "copy":
                X[i] = X[j]
            elif kind == "negative":
                X[i] = -X[j]
        if centred:
            X -= X.mean(axis=1, keepdims=True)
            X[np.abs(X) < 1e-12 * max(1.0, float(np.abs(X).max()))] = 0.0
        return X

    return build()


def general_grams(
    n_inputs: int | tuple[int, int] = (1, 5),
    dim: int | tuple[int, int] = (1, 6),
    max_scale: float = 1e3,
    degenerate: bool = True,
    centred: bool = False,
    width: int | None = None,
) -> Any:
    """``(K0, mu0)`` of :func:`general_inputs`, as :func:`dagnngp.numerics.inputs_to_gram` forms them.

    ``K0 = X X^T`` and ``mu0_i = w^-1/2 sum_k x_ik`` with ``w = width`` (inputs zero-padded into a
    width-``w`` input node) or ``w = d``: any PSD Gram with means that a real input set can have
    (``K0 - mu0 mu0^T`` is PSD).  The rows ``X`` are drawn as values, so a failure shrinks.

    >>> from hypothesis import find
    >>> K0, mu0 = find(general_grams(n_inputs=2), lambda g: g[1][0] != 0)
    >>> K0.shape, mu0.shape
    ((2, 2), (2,))
    """
    from dagnngp.numerics.reference import inputs_to_gram

    if width is not None:
        d_hi = _size_range(dim, "dim", 1)[1]
        if isinstance(width, bool) or not isinstance(width, int) or width < d_hi:
            raise ValueError(f"width must be an int >= the largest dim {d_hi}, got {width!r}")
    return general_inputs(n_inputs, dim, max_scale, degenerate, centred).map(
        lambda X: inputs_to_gram(X, width))
