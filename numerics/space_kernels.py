"""Per-motif computations of motif-space runs, vectorised over one chunk of a :class:`MotifSpace`.

A *plug-in* turns an index range of a motif space into named columns, one value per motif:

* ``"nngp"``: at each correlation ``C`` of two unit-norm centred inputs, the output NNGP's 2x2
  least eigenvalue ``gap@C`` (Lemma 3.3), and two rates that do not change when the kernel is
  multiplied by a constant: ``gap_ratio@C`` (the gap over the mean diagonal) and ``condition@C``
  (``lambda_max / lambda_min`` of the 2x2 kernel; ``inf`` where it is singular); also
  ``diagonal`` and ``output_mean`` (the same for both inputs);
* ``"rule12"``: the paper's rule (12) ``rule12@C = P - sum_p h^{d_p}(C)``, the paper model's
  gap ``paper_gap@C`` and ``rule12_fails@C`` (the paper model's gap exceeds the rule beyond a
  relative ``1e-12``: (12) is then no upper bound on ``lambda_min`` for two inputs);
* ``"paths"``: ``n_paths`` (``P``), ``d_bar`` and ``m_bar`` (as
  :meth:`dagnngp.Motif.effective_depth_width`);
* ``"ntk"``: the 2x2 least eigenvalue of the output NTK (scalar readout trained, as
  :func:`dagnngp.numerics.ntk`) ``ntk_gap@C`` and ``ntk_gap_ratio@C`` (over its mean diagonal).
  It calls the engine once per motif (all correlations at once), about a millisecond each, so
  it is meant for small or restricted spaces; the other plug-ins are compiled block kernels.

Columns that depend on ``C`` are named ``NAME@C`` with ``C`` written by ``format(C, "g")``.
The compiled block kernel (:mod:`dagnngp.numerics.numba_space`) is ReLU only and is loaded on
first use.

>>> cols = chunk_columns(4, 0, 729, [0.5], ("nngp", "rule12", "paths"))
>>> k = 689   # 2_21_112 (DAG#3)
>>> round(float(cols["rule12@0.5"][k]), 5), int(cols["n_paths"][k]), bool(cols["rule12_fails@0.5"][k])
(1.52319, 4, False)
>>> round(float(cols["gap_ratio@0.5"][k]), 4) == round(float(cols["gap@0.5"][k] / cols["diagonal"][k]), 4)
True
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dagnngp.numerics.validate import check_c_sigma, check_model

__all__ = ["PLUGINS", "RULE12_RTOL", "c_label", "check_correlations", "chunk_columns", "column_names"]

#: The built-in plug-ins and what each adds (``@C`` columns once per correlation).
PLUGINS: dict[str, tuple[str, ...]] = {
    "nngp": ("gap@C", "gap_ratio@C", "condition@C", "diagonal", "output_mean"),
    "rule12": ("rule12@C", "paper_gap@C", "rule12_fails@C"),
    "paths": ("n_paths", "d_bar", "m_bar"),
    "ntk": ("ntk_gap@C", "ntk_gap_ratio@C"),
}

#: Relative tolerance under which the paper model's gap and rule (12) count as equal (rounding).
RULE12_RTOL = 1e-12


def c_label(C: float) -> str:
    """How a correlation appears in column names.

    >>> c_label(0.5), c_label(0.0), c_label(-1)
    ('0.5', '0', '-1')
    """
    return format(float(C), "g")


def check_correlations(C: object) -> tuple[float, ...]:
    """Correlations as a tuple of floats in ``[-1, 1]``, distinct in their column labels.

    >>> check_correlations([0, 0.5])
    (0.0, 0.5)
    """
    try:
        arr = np.atleast_1d(np.asarray(C, dtype=np.float64))
    except (TypeError, ValueError):
        raise ValueError(f"C must be a number or a 1-D list of numbers, got {C!r}") from None
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError("C must be a non-empty 1-D list of correlations")
    if not np.all(np.isfinite(arr)) or np.any(np.abs(arr) > 1):
        raise ValueError("every correlation C must be finite and lie in [-1, 1]")
    labels = [c_label(c) for c in arr]
    if len(set(labels)) != len(labels):
        raise ValueError(f"correlations must be distinct (as column labels), got {labels}")
    return tuple(float(c) for c in arr)


def _check_plugins(plugins: Sequence[str]) -> tuple[str, ...]:
    if isinstance(plugins, str):
        plugins = (plugins,)
    out = tuple(plugins)
    bad = [p for p in out if p not in PLUGINS]
    if bad:
        raise ValueError(f"unknown plug-in(s) {bad}; choose from {sorted(PLUGINS)}")
    return out


def column_names(plugins: Sequence[str], C: Sequence[float]) -> list[str]:
    """The columns the plug-ins produce at correlations ``C``, in order.

    >>> column_names(["rule12"], [0.5])
    ['rule12@0.5', 'paper_gap@0.5', 'rule12_fails@0.5']
    """
    names: list[str] = []
    for p in _check_plugins(plugins):
        for col in PLUGINS[p]:
            if col.endswith("@C"):
                names += [f"{col[:-2]}@{c_label(c)}" for c in C]
            else:
                names.append(col)
    return names


def chunk_columns(n_nodes: int, start: int, stop: int, C: Sequence[float],
                  plugins: Sequence[str] = ("nngp", "rule12", "paths"), model: str = "exact",
                  c_sigma: float = 2.0, sigma_b: float = 0.0,
                  keep: Sequence[str] | None = None, rows: np.ndarray | None = None,
                  edge: str = "post") -> dict[str, np.ndarray]:
    """Columns of every motif with index in ``[start, stop)`` (one row per index).

    ``start`` and ``stop`` must be multiples of ``3^(n_nodes - 1)`` (the chunks of
    :meth:`dagnngp.space.MotifSpace.chunks` are); ``model`` applies to ``"nngp"``
    (``"rule12"`` always compares with the paper model, which the rule approximates).
    ``keep``: only these column families (names before ``@``), by default all.  ``rows``: the
    positions (index - start) that will be used; the ``"ntk"`` plug-in computes only those
    (NaN elsewhere), the compiled ones compute every row.  ``edge`` is the edge convention of
    the ``"nngp"`` and ``"ntk"`` plug-ins (rule (12) is the paper's, for post-activation edges).
    """
    from dagnngp.space.enumerate import _check_nodes, _check_range

    n = _check_nodes(n_nodes)
    a, b = _check_range(n, start, stop)
    block = 3 ** (n - 1)
    if a % block or b % block:
        raise ValueError(f"start and stop must be multiples of 3^{n - 1} = {block}, got [{a}, {b})")
    plugins = _check_plugins(plugins)
    Cs = np.asarray(check_correlations(C))
    check_model(model)
    if edge not in ("post", "pre"):
        raise ValueError(f"edge={edge!r} is not known; use 'post' or 'pre'")
    pre = edge == "pre"
    c_sigma = check_c_sigma(c_sigma)
    sigma_b = float(sigma_b)
    if not np.isfinite(sigma_b) or sigma_b < 0:
        raise ValueError(f"sigma_b must be a finite number >= 0, got {sigma_b!r}")

    from dagnngp.numerics.numba_space import block_kernel  # compiled on first use

    labels = [c_label(c) for c in Cs]
    names = column_names(plugins, Cs)
    want = {n.split("@")[0] for n in names} if keep is None else set(keep)
    first, n_blocks = a // block, (b - a) // block
    cols: dict[str, np.ndarray] = {}
    out = None
    if "nngp" in plugins or "paths" in plugins:
        out = block_kernel(n, first, n_blocks, Cs, model == "exact", 0.5 * c_sigma, sigma_b**2, pre)
    if "nngp" in plugins:
        D = np.broadcast_to(out["diagonal"][None, :], out["gap"].shape)
        gap = out["gap"]
        for k, lab in enumerate(labels):
            cols[f"gap@{lab}"] = gap[k]
        if "gap_ratio" in want:
            ratio = np.divide(gap, D, out=np.zeros_like(gap), where=D > 0)
            for k, lab in enumerate(labels):
                cols[f"gap_ratio@{lab}"] = ratio[k]
        if "condition" in want:
            cond = np.divide(2.0 * D - gap, gap, out=np.full_like(gap, np.inf), where=gap > 0)
            for k, lab in enumerate(labels):
                cols[f"condition@{lab}"] = cond[k]
        cols["diagonal"] = out["diagonal"]
        cols["output_mean"] = out["output_mean"]
    if "rule12" in plugins:
        paper = out if (out is not None and model == "paper" and not pre) else block_kernel(
            n, first, n_blocks, Cs, False, 0.5 * c_sigma, sigma_b**2)
        rule, pgap = paper["rule12"], paper["gap"]
        for k, lab in enumerate(labels):
            cols[f"rule12@{lab}"] = rule[k]
        for k, lab in enumerate(labels):
            cols[f"paper_gap@{lab}"] = pgap[k]
        if "rule12_fails" in want:
            tol = np.maximum(np.abs(rule), 1.0)
            tol *= RULE12_RTOL
            tol += rule
            fails = pgap > tol
            for k, lab in enumerate(labels):
                cols[f"rule12_fails@{lab}"] = fails[k]
        if out is None:
            out = paper
    if "ntk" in plugins:
        gap_n, ratio_n = _ntk_columns(n, a, b, Cs, model, c_sigma, sigma_b, rows, edge)
        for k, lab in enumerate(labels):
            cols[f"ntk_gap@{lab}"] = gap_n[k]
        for k, lab in enumerate(labels):
            cols[f"ntk_gap_ratio@{lab}"] = ratio_n[k]
    if "paths" in plugins:
        if out is None:
            out = block_kernel(n, first, n_blocks, Cs, model == "exact", 0.5 * c_sigma, sigma_b**2, pre)
        P, dsum, p0 = out["n_paths"], out["depth_sum"], out["paths0"]
        with np.errstate(divide="ignore", invalid="ignore"):
            cols["n_paths"] = P
            cols["d_bar"] = np.where(dsum > 0, dsum / np.maximum(P, 1), 0.0)
            cols["m_bar"] = np.where(dsum > 0, (P - p0) * P / np.maximum(dsum, 1), 0.0)
    return {name: cols[name] for name in names if name.split("@")[0] in want}


def _ntk_columns(n: int, start: int, stop: int, Cs: np.ndarray, model: str, c_sigma: float, sigma_b: float,
                 rows: np.ndarray | None, edge: str = "post") -> tuple[np.ndarray, np.ndarray]:
    """``(K, M)`` NTK gaps and gap ratios; one engine call per motif covers every correlation.

    Kernel entries ``(i, j)`` depend only on inputs ``i`` and ``j``, so one Gram of ``1 + K`` unit
    inputs, ``x_0`` and ``x_k = C_k e_1 + sqrt(1 - C_k^2) e_{k+1}`` (``<x_0, x_k> = C_k``), gives
    the 2x2 kernel of every correlation in its first row.
    """
    from dagnngp.numerics import ntk
    from dagnngp.space.enumerate import motif_of

    m, kc = stop - start, Cs.size
    gap = np.full((kc, m), np.nan)
    ratio = np.full((kc, m), np.nan)
    K0 = np.empty((kc + 1, kc + 1))
    K0[0, 0] = 1.0
    K0[0, 1:] = K0[1:, 0] = Cs
    K0[1:, 1:] = np.outer(Cs, Cs)
    np.fill_diagonal(K0, 1.0)
    for r in (range(m) if rows is None else rows):
        theta = ntk(motif_of(n, start + int(r)), K0, model=model, c_sigma=c_sigma, sigma_b=sigma_b,
                    edge=edge, check_psd=False).ntk
        a, d, off = theta[0, 0], np.diagonal(theta)[1:], theta[0, 1:]
        lam = 0.5 * (a + d) - np.sqrt((0.5 * (a - d)) ** 2 + off**2)
        gap[:, r] = lam
        mean = 0.5 * (a + d)
        ratio[:, r] = np.divide(lam, mean, out=np.zeros_like(lam), where=mean > 0)
    return gap, ratio
