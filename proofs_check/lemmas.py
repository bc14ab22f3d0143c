"""Your own lemmas as checks, with the census, search, Monte Carlo confirmation and verdicts of built-ins.

A claim is a function of a :class:`Case` (one motif, or a pair of motifs, at one input set) that
returns a *margin*: a number that is ``>= 0`` where the claim holds (or a :class:`Comparison` from
:func:`at_least` / :func:`at_most`, or a bool).  :func:`register_check` turns it into a check of
:data:`~dagnngp.proofs_check.registry.CHECKS`, so its verdict appears in ``dagnngp check``, in the
report and in the JSON, next to the built-in checks.

* **Where it looks** (``space``): every motif of some sizes (:func:`every_motif`), every motif and
  one added edge (:func:`edge_additions`, the pairs of "adding an edge never lowers X"), a list of
  motifs or of motif tuples, or a Hypothesis strategy of motifs.
* **At which inputs** (``inputs``): correlations of two unit centred inputs (:func:`correlations`),
  a list of raw input sets ``X`` or of ``(K0, mu0)`` pairs, or a Hypothesis strategy of either
  (:func:`~dagnngp.proofs_check.strategies.general_inputs` draws any real inputs).
* **How**: when space and inputs are both finite, every case is evaluated (a *census*); otherwise
  Hypothesis searches, and shrinks what it finds.  A counterexample is then made *minimal*: the motifs
  with the fewest nodes, then the fewest edges, that fail at the inputs found, whose inputs Hypothesis
  shrinks again.
* **Confirmation** (``confirm=MonteCarlo(...)``): the counterexample's kernels are estimated by
  finite-width networks (:func:`dagnngp.numerics.sampling.monte_carlo`) at the very same ``(K0, mu0)``
  (:func:`realise_inputs`); the margin computed from them, with a jackknife standard error over the
  draws, must be negative beyond the Student-t threshold of the check's false-alarm rate, and the
  analytic kernels must pass :func:`~dagnngp.proofs_check.statistics.compare_to_mc`.

>>> import numpy as np
>>> from dagnngp.proofs_check.lemmas import register_check, every_motif, correlations, at_least
>>> @register_check("demo-diagonal-at-least-paths", "the output diagonal is at least the number of paths",
...                 space=every_motif(3), inputs=correlations([0.0, 0.5]))
... def diagonal(case):
...     return at_least(float(case.kernel()[0, 0]), case.motif.n_paths)
>>> from dagnngp.proofs_check import run_checks
>>> outcome, = run_checks(only="demo-diagonal-at-least-paths")
>>> outcome.status, outcome.evidence["census"]["cases"]
('holds', 48)
>>> unregister_check("demo-diagonal-at-least-paths")
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import importlib.util
import math
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from dagnngp.motif import Motif, Op
from dagnngp.proofs_check import statistics
from dagnngp.proofs_check.registry import CHECKS, Check, Verdict, family_alpha

__all__ = ["Case", "Comparison", "MonteCarlo", "at_least", "at_most", "correlations", "edge_additions",
           "every_motif", "load_check_file", "load_plugins", "realise_inputs", "register_check",
           "unregister_check"]

#: Entry-point group of check plug-ins: each entry point names a module (imported) or a callable
#: (called with no arguments) that registers checks.
ENTRY_POINT_GROUP = "dagnngp.checks"


# ----------------------------------------------------------------- margins
@dataclass(frozen=True)
class Comparison:
    """``lhs >= rhs`` (the claim), kept as its two sides; :attr:`margin` is ``lhs - rhs``.

    >>> c = at_least(0.473, 0.943)
    >>> round(c.margin, 3), c.text()
    (-0.47, '0.473 >= 0.943')
    """

    lhs: float
    rhs: float
    relation: str = ">="

    @property
    def margin(self) -> float:
        """How far the claim holds: ``lhs - rhs`` for ``>=``, ``rhs - lhs`` for ``<=``."""
        return self.lhs - self.rhs if self.relation == ">=" else self.rhs - self.lhs

    def text(self, digits: int = 4) -> str:
        """The comparison with its numbers, e.g. ``'0.473 >= 0.943'``."""
        return f"{self.lhs:.{digits}g} {self.relation} {self.rhs:.{digits}g}"


def at_least(lhs: object, rhs: object) -> Comparison:
    """The claim ``lhs >= rhs``.

    >>> at_least(2, 1).margin
    1.0
    """
    return Comparison(float(lhs), float(rhs), ">=")  # type: ignore[arg-type]


def at_most(lhs: object, rhs: object) -> Comparison:
    """The claim ``lhs <= rhs``.

    >>> at_most(2, 1).margin
    -1.0
    """
    return Comparison(float(lhs), float(rhs), "<=")  # type: ignore[arg-type]


def _margin(value: object) -> tuple[float, Comparison | None]:
    """A claim function's result as ``(margin, comparison or None)``; a bool is ``0`` or ``-1``."""
    if isinstance(value, Comparison):
        return value.margin, value
    if isinstance(value, (bool, np.bool_)):
        return (0.0 if value else -1.0), None
    try:
        return float(value), None  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise TypeError("a claim must return a margin (a number >= 0 where it holds), a Comparison from "
                        f"at_least/at_most, or a bool; got {type(value).__name__}") from None


# ------------------------------------------------------------------ inputs
@dataclass(frozen=True)
class Inputs:
    """One input set: ``K0``, ``mu0`` and, where known, the raw inputs ``X`` or the correlation ``C``."""

    K0: np.ndarray
    mu0: np.ndarray
    X: np.ndarray | None = None
    C: float | None = None

    def describe(self) -> dict[str, object]:
        """JSON-ready description (``X`` when known, else ``K0`` and ``mu0``)."""
        out: dict[str, object] = {}
        if self.C is not None:
            out["C"] = self.C
        if self.X is not None:
            out["X"] = self.X.tolist()
        out["K0"] = self.K0.tolist()
        out["mu0"] = self.mu0.tolist()
        return out

    def short(self) -> str:
        """A one-line description for the detail column."""
        if self.C is not None:
            return f"C={self.C:g}"
        if self.X is not None:
            return "X=" + np.array2string(self.X, precision=3, separator=", ").replace("\n", "")
        return "K0=" + np.array2string(self.K0, precision=3, separator=", ").replace("\n", "") + \
            ", mu0=" + np.array2string(self.mu0, precision=3, separator=", ")


def _as_inputs(value: object) -> Inputs:
    """A raw ``X`` (2-D array), a ``(K0, mu0)`` pair or an :class:`Inputs` as :class:`Inputs`."""
    from dagnngp.numerics.reference import inputs_to_gram

    if isinstance(value, Inputs):
        return value
    if _is_gram_pair(value):
        K0 = np.asarray(value[0], dtype=float)
        mu0 = np.zeros(K0.shape[0]) if value[1] is None else np.asarray(value[1], dtype=float)
        return Inputs(K0, mu0)
    X = np.asarray(value, dtype=float)
    K0, mu0 = inputs_to_gram(X)
    return Inputs(K0, mu0, X=X)


def _is_gram_pair(value: object) -> bool:
    """A ``(K0, mu0)`` tuple: a square 2-D ``K0`` and a 1-D (or ``None``) ``mu0``."""
    return (isinstance(value, tuple) and len(value) == 2 and np.ndim(value[0]) == 2
            and (value[1] is None or np.ndim(value[1]) == 1))


def correlations(values: Iterable[float]) -> list[Inputs]:
    """Two unit-norm centred inputs at each correlation ``C`` (``K0 = [[1, C], [C, 1]]``, ``mu0 = 0``).

    >>> [i.C for i in correlations([0.0, 0.5])]
    [0.0, 0.5]
    """
    from dagnngp.numerics.reference import pair_gram

    out = []
    for c in values:
        K0, mu0 = pair_gram(c)
        out.append(Inputs(K0, mu0, C=float(c)))
    if not out:
        raise ValueError("correlations() needs at least one value")
    return out


def realise_inputs(K0: object, mu0: object, width: int) -> np.ndarray:
    """Raw inputs of dimension ``width`` whose ``inputs_to_gram`` is exactly ``(K0, mu0)``.

    Finite networks of that width then see the very input node the kernels assume, however the
    original inputs were padded.  Needs ``K0 - mu0 mu0^T`` positive semi-definite (true of every
    ``(K0, mu0)`` that real inputs produce) and ``width`` above its rank.

    >>> from dagnngp.numerics.reference import inputs_to_gram
    >>> X = np.array([[-0.558, 0.830], [-0.239, -0.971]])
    >>> K0, mu0 = inputs_to_gram(X)
    >>> K1, m1 = inputs_to_gram(realise_inputs(K0, mu0, 64))
    >>> bool(np.allclose(K1, K0) and np.allclose(m1, mu0))
    True
    """
    K0 = np.asarray(K0, dtype=float)
    mu0 = np.asarray(mu0, dtype=float)
    n = K0.shape[0]
    rest = K0 - np.outer(mu0, mu0)
    vals, vecs = np.linalg.eigh((rest + rest.T) / 2)
    scale = max(1.0, float(np.abs(K0).max(initial=0.0)))
    if vals[0] < -1e-9 * scale:
        raise ValueError("no real inputs have this (K0, mu0): K0 - mu0 mu0^T has the negative eigenvalue "
                         f"{vals[0]:.3g}")
    keep = vals > 1e-13 * scale
    B = vecs[:, keep] * np.sqrt(vals[keep])  # rest = B B^T
    r = B.shape[1]
    if width < r + 1:
        raise ValueError(f"width={width} is too small to realise these inputs; it needs at least {r + 1}")
    # orthonormal basis of R^width whose first vector is the all-ones direction
    ones = np.ones((width, 1)) / math.sqrt(width)
    basis, _ = np.linalg.qr(np.hstack([ones, np.eye(width)[:, :r]]))
    basis[:, 0] = ones[:, 0]  # QR may flip the sign
    X = np.outer(mu0, basis[:, 0]) + B @ basis[:, 1:r + 1].T
    return X.reshape(n, width)


# ------------------------------------------------------------------- cases
@dataclass
class Case:
    """What a claim function sees: its motif(s) at one input set.

    ``motifs`` is one motif (space :func:`every_motif`) or a pair ``(before, after)``
    (:func:`edge_additions`); ``kernel(m)`` is the output NNGP Gram of any motif ``m`` at these inputs
    (exact infinite-width model unless the check's ``spec`` says otherwise, or the Monte Carlo estimate
    while a counterexample is being confirmed).

    >>> case = Case((Motif.parse("2"),), correlations([0.5])[0])
    >>> round(case.lambda_min(), 4)  # 1 - (sqrt(3)/2 + pi/3) / pi
    0.391
    """

    motifs: tuple[Motif, ...]
    inputs: Inputs
    spec: Any = None
    _kernels: Callable[[Motif], np.ndarray] | None = field(default=None, repr=False)
    _scale: float = field(default=0.0, repr=False)
    _estimated: bool = field(default=False, repr=False)  # kernels from finite networks
    _ntks: Callable[[Motif, bool], np.ndarray] | None = field(default=None, repr=False)

    @property
    def motif(self) -> Motif:
        """The first (or only) motif."""
        return self.motifs[0]

    @property
    def before(self) -> Motif:
        """The motif before the edit (first of a pair)."""
        return self.motifs[0]

    @property
    def after(self) -> Motif:
        """The motif after the edit (second of a pair)."""
        if len(self.motifs) < 2:
            raise AttributeError("this case has a single motif; use case.motif")
        return self.motifs[1]

    @property
    def K0(self) -> np.ndarray:
        """The input node's Gram."""
        return self.inputs.K0

    @property
    def mu0(self) -> np.ndarray:
        """The input node's normalised means."""
        return self.inputs.mu0

    @property
    def X(self) -> np.ndarray | None:
        """The raw inputs, when the case was given them."""
        return self.inputs.X

    @property
    def C(self) -> float | None:
        """The correlation of the two inputs, for inputs from :func:`correlations`."""
        return self.inputs.C

    def kernel(self, motif: Motif | str | None = None) -> np.ndarray:
        """The output NNGP Gram (N x N) of ``motif`` (default :attr:`motif`) at this case's inputs."""
        m = self.motif if motif is None else Motif.coerce(motif)
        if self._kernels is not None:
            K = self._kernels(m)
        else:
            K = _analytic_kernel(m, self.inputs, self.spec)
        self._scale = max(self._scale, float(np.abs(K).max(initial=0.0)))
        return K

    def lambda_min(self, motif: Motif | str | None = None) -> float:
        """Least eigenvalue of :meth:`kernel`."""
        return float(np.linalg.eigvalsh(self.kernel(motif))[0])

    def ntk(self, motif: Motif | str | None = None, readout: bool = True) -> np.ndarray:
        """The output NTK (N x N) of ``motif`` at these inputs (:func:`dagnngp.numerics.ntk`).

        While a counterexample is being confirmed it is the empirical NTK of finite networks
        (:func:`dagnngp.numerics.sampling.monte_carlo_ntk`), as :meth:`kernel` is their Gram.

        >>> case = Case((Motif.parse("2"),), correlations([0.0])[0])
        >>> float(case.ntk()[0, 0])  # K + Theta_H: 1 + 1 on the diagonal
        2.0
        """

        m = self.motif if motif is None else Motif.coerce(motif)
        if self._ntks is not None:
            K = self._ntks(m, readout)
        else:
            K = _analytic_ntk(m, self.inputs, self.spec, readout)
        self._scale = max(self._scale, float(np.abs(K).max(initial=0.0)))
        return K


def _analytic_ntk(m: Motif, inputs: Inputs, spec: Any, readout: bool) -> np.ndarray:
    from dagnngp.numerics.reference import ntk

    return np.asarray(ntk(m, inputs.K0, inputs.mu0, spec=spec, readout=readout, backend="numpy").ntk)


def _analytic_kernel(m: Motif, inputs: Inputs, spec: Any) -> np.ndarray:
    from dagnngp.numerics.reference import nngp

    return np.asarray(nngp(m, inputs.K0, inputs.mu0, spec=spec, backend="numpy").output)


# ------------------------------------------------------------------- spaces
@dataclass(frozen=True)
class MotifSpace:
    """A finite, ordered list of motif tuples (smallest first) with a label for the census."""

    label: str
    cases: tuple[tuple[Motif, ...], ...]


def _size(motifs: Sequence[Motif]) -> tuple[int, int, str]:
    """Sort key of a motif tuple: fewest nodes, then fewest edges, then the text."""
    return (max(m.n_nodes for m in motifs), sum(sum(1 for _ in m.edges()) for m in motifs),
            " ".join(str(m) for m in motifs))


def _node_range(n_nodes: int | tuple[int, int]) -> range:
    lo, hi = (2, n_nodes) if isinstance(n_nodes, (int, np.integer)) else n_nodes
    lo, hi = int(lo), int(hi)
    if not 2 <= lo <= hi <= 5:
        raise ValueError(f"exhaustive motif spaces cover 2..5 nodes; got n_nodes={n_nodes!r}")
    return range(lo, hi + 1)


def every_motif(n_nodes: int | tuple[int, int] = 4, require_path: bool = True) -> MotifSpace:
    """Every motif with up to ``n_nodes`` nodes (or ``(lo, hi)`` nodes), smallest first.

    >>> len(every_motif(3).cases), len(every_motif((4, 4)).cases)
    (24, 662)
    """
    from dagnngp.proofs_check.audit import all_motifs

    found = [(m,) for n in _node_range(n_nodes) for m in all_motifs(n, require_path)]
    return MotifSpace(f"every motif of {_range_text(n_nodes)} nodes", tuple(sorted(found, key=_size)))


def edge_additions(n_nodes: int | tuple[int, int] = 4, op: Op | int | str | None = None,
                   require_path: bool = True) -> MotifSpace:
    """Every pair ``(motif, motif plus one new edge)`` for motifs of up to ``n_nodes`` nodes.

    ``op`` restricts the added edge to one op (``"skip"`` or ``"linear"``); ``require_path``
    keeps the motifs that already have an input-to-output path.

    >>> space = edge_additions(3, op="skip")
    >>> len(space.cases), [str(m) for m in space.cases[0]]
    (16, ['0_10', '0_11'])
    """
    from dagnngp.proofs_check.audit import all_motifs

    only = None if op is None else Op.coerce(op)
    if only is Op.ZERO:
        raise ValueError("edge_additions adds a skip or linear edge; op='zero' adds nothing")
    found = []
    for n in _node_range(n_nodes):
        for m in all_motifs(n, require_path):
            found += [(m, c.motif) for c in m.neighbours(remove=False, replace=False)
                      if only is None or c.new is only]
    kind = "edge" if only is None else f"{only.name.lower()} edge"
    return MotifSpace(f"every motif of {_range_text(n_nodes)} nodes plus one {kind}",
                      tuple(sorted(found, key=_size)))


def _range_text(n_nodes: int | tuple[int, int]) -> str:
    r = _node_range(n_nodes)
    return f"{r.start}..{r.stop - 1}"


def _space(space: object) -> MotifSpace | Any:
    """A :class:`MotifSpace`, or a Hypothesis strategy (sampled search) as it is."""
    if isinstance(space, MotifSpace):
        return space
    if _is_strategy(space):
        return space
    if isinstance(space, (str, Motif)):
        space = [space]
    if isinstance(space, Iterable):
        cases = []
        for item in space:
            group = (item,) if isinstance(item, (str, Motif)) else tuple(item)
            cases.append(tuple(Motif.coerce(m) for m in group))
        if not cases:
            raise ValueError("the motif space is empty")
        return MotifSpace(f"{len(cases)} listed motif case(s)", tuple(sorted(cases, key=_size)))
    raise TypeError("space must be a MotifSpace (every_motif, edge_additions), a list of motifs or of "
                    f"motif tuples, or a Hypothesis strategy; got {type(space).__name__}")


def _is_strategy(value: object) -> bool:
    mod = type(value).__module__ or ""
    return mod.startswith("hypothesis.")


def _inputs(inputs: object) -> list[Inputs] | Any:
    """A finite list of :class:`Inputs`, or a Hypothesis strategy as it is."""
    if inputs is None:
        return correlations([-0.5, 0.0, 0.5, 0.9])
    if _is_strategy(inputs):
        return inputs
    if isinstance(inputs, (Inputs, np.ndarray)) or _is_gram_pair(inputs):
        return [_as_inputs(inputs)]
    out = [_as_inputs(v) for v in inputs]  # type: ignore[union-attr]
    if not out:
        raise ValueError("the list of inputs is empty")
    return out


# ------------------------------------------------------------ Monte Carlo
@dataclass(frozen=True)
class MonteCarlo:
    """How a counterexample is confirmed by finite-width networks.

    ``width``, ``draws``, ``seed`` as in :func:`dagnngp.numerics.sampling.monte_carlo`; ``quick_width``
    and ``quick_draws`` are used by ``--quick``.  The check's false-alarm rate
    (:func:`~dagnngp.proofs_check.registry.family_alpha`) is split evenly between the margin test and the
    kernel comparisons.

    >>> MonteCarlo(width=4096).quick_width
    1024
    """

    width: int = 2048
    draws: int = 30
    seed: int = 0
    quick_width: int = 1024
    quick_draws: int = 30


def _confirm(fn: Callable[[Case], object], case: Case, mc: MonteCarlo, quick: bool) -> dict[str, object]:
    """Monte Carlo estimate of a counterexample's margin, its jackknife standard error and the verdict."""
    from dagnngp.numerics.sampling import monte_carlo, monte_carlo_ntk

    width = mc.quick_width if quick else mc.width
    draws = mc.quick_draws if quick else mc.draws
    X = realise_inputs(case.K0, case.mu0, width)
    spec = case.spec
    options: dict[str, Any] = {}
    if spec is not None:
        options = {"activation": spec.activation, "activation_params": spec.params,
                   "c_sigma": spec.c_sigma, "sigma_b": spec.sigma_b}
    runs: dict[Motif, Any] = {}

    def run(m: Motif) -> Any:
        if m not in runs:
            runs[m] = monte_carlo(m, X, width=width, draws=draws, seed=mc.seed, progress=False, **options)
        return runs[m]

    ntk_runs: dict[Motif, Any] = {}

    def run_ntk(m: Motif) -> Any:  # explicit networks: their empirical NTK with and without the readout
        if m not in ntk_runs:
            r = monte_carlo_ntk(m, X, width, draws, seed=mc.seed, readout=True, progress=False, **options)
            ntk_runs[m] = (r, {True: r.samples, False: r.samples - r.nngp_samples})
        return ntk_runs[m]

    def ntk_mean(m: Motif, readout: bool) -> np.ndarray:
        return run_ntk(m)[1][readout].mean(axis=0)

    # the point estimate from the mean Grams (and NTKs) runs the networks of every motif the claim reads
    point, _ = _margin(fn(Case(case.motifs, case.inputs, spec, lambda m: run(m).mean, _estimated=True,
                               _ntks=ntk_mean)))
    totals = {m: r.samples.sum(axis=0) for m, r in runs.items()}
    ntk_totals = {(m, ro): s.sum(axis=0) for m, (_, by) in ntk_runs.items() for ro, s in by.items()}
    loo = []
    for i in range(draws):  # jackknife: leave draw i out of every motif's average
        def held_out(m: Motif, i: int = i) -> np.ndarray:
            return (totals[m] - runs[m].samples[i]) / (draws - 1)

        def held_out_ntk(m: Motif, readout: bool, i: int = i) -> np.ndarray:
            return (ntk_totals[(m, readout)] - ntk_runs[m][1][readout][i]) / (draws - 1)
        loo.append(_margin(fn(Case(case.motifs, case.inputs, spec, held_out, _estimated=True,
                                   _ntks=held_out_ntk)))[0])
    loo_arr = np.array(loo)
    stderr = math.sqrt((draws - 1) / draws * float(((loo_arr - loo_arr.mean()) ** 2).sum()))
    alpha = family_alpha()
    threshold = statistics.t_threshold(draws, 1, alpha) + statistics.FINITE_WIDTH_BIAS_SE
    t = point / stderr if stderr > 0 else (-math.inf if point < 0 else 0.0)
    kernels = {}
    agree = True
    n_cmp = 2 * (len(runs) + len(ntk_runs))
    for m, r in runs.items():
        cmp = statistics.compare_to_mc(_analytic_kernel(m, case.inputs, spec), r.mean, r.stderr, draws,
                                       alpha=alpha / n_cmp, bias_se=statistics.FINITE_WIDTH_BIAS_SE)
        kernels[str(m)] = cmp.as_dict()
        agree = agree and not cmp.rejected
    for m, (r, _) in ntk_runs.items():
        cmp = statistics.compare_to_mc(_analytic_ntk(m, case.inputs, spec, True), r.mean, r.stderr, draws,
                                       alpha=alpha / n_cmp, bias_se=statistics.FINITE_WIDTH_BIAS_SE)
        kernels[f"{m} (NTK)"] = cmp.as_dict()
        agree = agree and not cmp.rejected
    return {"width": width, "draws": draws, "seed": mc.seed, "margin": point, "stderr": stderr, "t": t,
            "threshold": threshold, "alpha": alpha, "confirmed": bool(t < -threshold),
            "kernels_agree": agree, "kernels": kernels}


# -------------------------------------------------------------- the search
@dataclass
class _Found:
    motifs: tuple[Motif, ...]
    inputs: Inputs
    margin: float
    comparison: Comparison | None


def _evaluate(fn: Callable[[Case], object], motifs: tuple[Motif, ...], inputs: Inputs, spec: Any,
              rtol: float, cache: dict | None = None,
              key: object = None) -> tuple[bool, float, Comparison | None]:
    """``(holds, margin, comparison)`` of one case; ``holds`` allows ``rtol`` times the kernels' size."""
    kernels = None
    if cache is not None:
        def kernels(m: Motif) -> np.ndarray:
            k = (m, key)
            if k not in cache:
                cache[k] = _analytic_kernel(m, inputs, spec)
            return cache[k]
    case = Case(motifs, inputs, spec, kernels)
    margin, comparison = _margin(fn(case))
    if math.isnan(margin):
        raise ValueError(f"the claim returned NaN at {' -> '.join(map(str, motifs))}, {inputs.short()}")
    scale = max(1.0, case._scale)
    return margin >= -rtol * scale, margin, comparison


def _census(fn: Callable[[Case], object], space: MotifSpace, inputs: list[Inputs], spec: Any,
            rtol: float) -> tuple[dict[str, object], list[_Found]]:
    cache: dict = {}
    failures: list[_Found] = []
    n = 0
    worst = math.inf
    for motifs in space.cases:
        for k, inp in enumerate(inputs):
            holds, margin, comparison = _evaluate(fn, motifs, inp, spec, rtol, cache, k)
            n += 1
            worst = min(worst, margin)
            if not holds:
                failures.append(_Found(motifs, inp, margin, comparison))
    failing_motifs = len({f.motifs for f in failures})
    census = {"search": "exhaustive", "space": space.label, "motif_cases": len(space.cases),
              "input_sets": len(inputs), "cases": n, "hold": n - len(failures), "fail": len(failures),
              "failing_motif_cases": failing_motifs, "min_margin": worst}
    return census, failures


def _hypothesis_settings(max_examples: int) -> Any:
    from hypothesis import HealthCheck, settings

    return settings(max_examples=max_examples, database=None, deadline=None,
                    suppress_health_check=list(HealthCheck))


#: the seed of every search: each run, on every machine and install, explores the same cases
SEARCH_SEED = 0


def _seeded() -> Any:
    import random

    return random.Random(SEARCH_SEED)


def _search(fn: Callable[[Case], object], space: Any, inputs: Any, spec: Any, rtol: float,
            max_examples: int) -> tuple[dict[str, object], list[_Found]]:
    """Hypothesis search for a failing case; shrinks what it finds."""
    from hypothesis import errors, find
    from hypothesis import strategies as st

    motif_st = st.sampled_from(space.cases) if isinstance(space, MotifSpace) else space.map(
        lambda m: (Motif.coerce(m),) if isinstance(m, (Motif, str)) else tuple(Motif.coerce(x) for x in m))
    input_st = st.sampled_from(inputs) if isinstance(inputs, list) else inputs.map(_as_inputs)
    seen = [0]
    worst = [math.inf]

    def fails(pair: tuple[tuple[Motif, ...], Inputs]) -> bool:
        seen[0] += 1
        holds, margin, _ = _evaluate(fn, pair[0], pair[1], spec, rtol)
        worst[0] = min(worst[0], margin)
        return not holds

    label = space.label if isinstance(space, MotifSpace) else "motifs drawn by Hypothesis"
    census: dict[str, object] = {"search": "hypothesis", "space": label,
                                 "inputs": "listed" if isinstance(inputs, list) else "drawn by Hypothesis",
                                 "max_examples": max_examples}
    try:
        motifs, inp = find(st.tuples(motif_st, input_st), fails, settings=_hypothesis_settings(max_examples),
                           random=_seeded())
    except errors.NoSuchExample:
        census.update(cases=seen[0], fail=0, min_margin=worst[0])
        return census, []
    census.update(cases=seen[0], min_margin=worst[0])
    return census, [_found(fn, motifs, inp, spec, rtol)]


def _found(fn: Callable[[Case], object], motifs: tuple[Motif, ...], inp: Inputs, spec: Any,
           rtol: float) -> _Found:
    _, margin, comparison = _evaluate(fn, motifs, inp, spec, rtol)
    return _Found(motifs, inp, margin, comparison)


def _minimise(fn: Callable[[Case], object], found: _Found, space: Any, inputs: Any, spec: Any,
              rtol: float, max_examples: int) -> _Found:
    """The smallest failing motif case at the found inputs, then inputs shrunk again for it."""
    best = found
    if isinstance(space, MotifSpace):
        for motifs in space.cases:
            if _size(motifs) >= _size(best.motifs):
                break
            holds, margin, comparison = _evaluate(fn, motifs, found.inputs, spec, rtol)
            if not holds:
                best = _Found(motifs, found.inputs, margin, comparison)
                break
    if not isinstance(inputs, list):
        from hypothesis import errors, find

        try:
            inp = find(inputs.map(_as_inputs), lambda i: not _evaluate(fn, best.motifs, i, spec, rtol)[0],
                       settings=_hypothesis_settings(max_examples), random=_seeded())
            best = _found(fn, best.motifs, inp, spec, rtol)
        except errors.NoSuchExample:  # Hypothesis may not rediscover it; keep what we have
            pass
    return best


def _describe(found: _Found) -> dict[str, object]:
    out: dict[str, object] = {"motifs": [str(m) for m in found.motifs], "nodes": max(m.n_nodes for m in
                                                                                     found.motifs),
                              "edges": [sum(1 for _ in m.edges()) for m in found.motifs],
                              "inputs": found.inputs.describe(), "margin": found.margin}
    if found.comparison is not None:
        out["lhs"], out["rhs"], out["relation"] = (found.comparison.lhs, found.comparison.rhs,
                                                   found.comparison.relation)
    return out


# ------------------------------------------------------------ registration
_SOURCE = ["user"]


def register_check(
    name: str,
    statement: str,
    *,
    space: object = None,
    inputs: object = None,
    expected: bool = True,
    claims: str = "user",
    confirm: MonteCarlo | None = None,
    spec: Any = None,
    max_examples: int = 200,
    rtol: float = 1e-9,
    replace: bool = False,
) -> Callable[[Callable[[Case], object]], Callable[[Case], object]]:
    """Decorator: register the claim ``func(case) -> margin`` as the check ``name``.

    ``space`` (default :func:`every_motif` of 4 nodes) and ``inputs`` (default :func:`correlations`
    at -0.5, 0, 0.5, 0.9) say where to look: both finite means a census of every case; a Hypothesis
    strategy for either means a derandomised search of ``max_examples`` examples (``--quick``
    changes only the Monte Carlo sizes).  ``expected=False`` declares a claim known to be false
    (its counterexample is an *expected failure*).  ``confirm=MonteCarlo(...)`` confirms a
    counterexample with finite networks; without it the analytic kernels alone decide.  ``spec``
    is a :class:`~dagnngp.theory.spec.KernelSpec` for the kernels (activation, ``c_sigma``,
    ``sigma_b``, model).  A case holds when its margin is ``>= -rtol`` times the largest kernel
    entry it read (at least 1).  ``replace=True`` replaces a check of the same name.

    >>> @register_check("demo-one-input", "a one-edge chain keeps the diagonal", space=["2"],
    ...                 inputs=[np.array([[3.0, -4.0]])])
    ... def keeps(case):
    ...     return at_least(case.kernel()[0, 0], case.K0[0, 0])
    >>> from dagnngp.proofs_check import run_checks
    >>> run_checks(only="demo-one-input")[0].detail
    'holds: every one of 1 cases (1 listed motif case(s)); min margin 0'
    >>> unregister_check("demo-one-input")
    """
    if not isinstance(name, str) or not name.strip():
        raise ValueError("a check needs a non-empty name")
    motif_space = _space(every_motif(4) if space is None else space)
    input_sets = _inputs(inputs)
    if confirm is not None and not isinstance(confirm, MonteCarlo):
        raise TypeError(f"confirm must be a MonteCarlo(...) or None, not {type(confirm).__name__}")
    if confirm is not None and spec is not None and getattr(spec, "model", "exact") != "exact":
        raise ValueError("Monte Carlo confirmation estimates the exact infinite-width kernel; "
                         f"spec.model={spec.model!r} cannot be confirmed by finite networks")
    if not (isinstance(max_examples, int) and max_examples >= 1):
        raise ValueError(f"max_examples must be a positive int, got {max_examples!r}")
    if not (math.isfinite(rtol) and rtol >= 0):
        raise ValueError(f"rtol must be a finite number >= 0, got {rtol!r}")
    source = _SOURCE[-1]

    def decorate(fn: Callable[[Case], object]) -> Callable[[Case], object]:
        if not callable(fn):
            raise TypeError("register_check decorates a function of a Case")
        old = CHECKS.get(name)
        if old is not None and not replace:
            same = getattr(old.func, "_claim", None)
            if same is None or (same.__module__, same.__qualname__) != (fn.__module__, fn.__qualname__):
                raise ValueError(f"a check named {name!r} is already registered ({old.source}); "
                                 "choose another name or pass replace=True")

        def run(quick: bool) -> Verdict:
            return _run_claim(fn, motif_space, input_sets, spec, rtol, confirm, expected, quick,
                              max_examples)

        run._claim = fn  # type: ignore[attr-defined]
        CHECKS[name] = Check(name, claims, statement, _inputs_text(input_sets, motif_space), expected,
                             "counterexamples", run, statistical=confirm is not None, source=source)
        return fn

    return decorate


def unregister_check(name: str) -> None:
    """Remove a registered user or plug-in check (built-in checks cannot be removed).

    >>> unregister_check("rule12-upper-bound")
    Traceback (most recent call last):
    ...
    ValueError: 'rule12-upper-bound' is a built-in check; it cannot be removed
    """
    chk = CHECKS.get(name)
    if chk is None:
        raise ValueError(f"no check named {name!r}")
    if chk.source == "built-in":
        raise ValueError(f"{name!r} is a built-in check; it cannot be removed")
    del CHECKS[name]


def _inputs_text(inputs: Any, space: Any) -> str:
    where = space.label if isinstance(space, MotifSpace) else "motifs drawn by Hypothesis"
    if isinstance(inputs, list):
        return f"{where}; {len(inputs)} input set(s)"
    return f"{where}; inputs drawn by Hypothesis"


def _run_claim(fn: Callable[[Case], object], space: Any, inputs: Any, spec: Any, rtol: float,
               confirm: MonteCarlo | None, expected: bool, quick: bool, max_examples: int) -> Verdict:
    if isinstance(space, MotifSpace) and isinstance(inputs, list):
        census, failures = _census(fn, space, inputs, spec, rtol)
    else:
        census, failures = _search(fn, space, inputs, spec, rtol, max_examples)
    evidence: dict[str, object] = {"census": census,
                                   "counterexamples": int(census.get("fail", len(failures)))}
    if not failures:
        n = census["cases"]
        how = "every one of" if census["search"] == "exhaustive" else "Hypothesis found no failure in"
        return Verdict(True, evidence, f"holds: {how} {n} cases ({census['space']}); "
                       f"min margin {census['min_margin']:.4g}")
    first = min(failures, key=lambda f: _size(f.motifs))
    minimal = _minimise(fn, first, space, inputs, spec, rtol, max_examples)
    evidence["minimal_counterexample"] = _describe(minimal)
    if census["search"] == "exhaustive":
        evidence["worst_counterexample"] = _describe(min(failures, key=lambda f: f.margin))
    where = " -> ".join(str(m) for m in minimal.motifs)
    what = minimal.comparison.text() if minimal.comparison is not None else f"margin {minimal.margin:.4g}"
    count = (f"{census['fail']} of {census['cases']} cases fail" if census["search"] == "exhaustive"
             else f"Hypothesis found a failure in {census['cases']} examples")
    detail = f"false: {count}; minimal {where} at {minimal.inputs.short()}: {what}"
    correct = True
    if confirm is not None:
        if minimal.comparison is None and isinstance(minimal.margin, float) and minimal.margin == -1.0:
            raise ValueError("Monte Carlo confirmation needs a numeric margin; the claim returned a bool")
        mc = _confirm(fn, Case(minimal.motifs, minimal.inputs, spec), confirm, quick)
        evidence["monte_carlo"] = mc
        correct = bool(mc["confirmed"] and mc["kernels_agree"])
        verdict = "confirmed" if mc["confirmed"] else "NOT confirmed"
        detail += (f"; finite networks (width {mc['width']}, {mc['draws']} draws): margin "
                   f"{mc['margin']:.3g} +- {mc['stderr']:.2g}, t = {mc['t']:.3g} ({verdict}; threshold "
                   f"{mc['threshold']:.2f}), kernels {'agree' if mc['kernels_agree'] else 'DISAGREE'}")
    return Verdict(False, evidence, detail, correct=correct if not expected else True)


# ---------------------------------------------------------------- plug-ins
_LOADED: set[str] = set()


@contextlib.contextmanager
def _source(label: str) -> Iterator[None]:
    _SOURCE.append(label)
    try:
        yield
    finally:
        _SOURCE.pop()


def _register_error(name: str, source: str, exc: BaseException) -> None:
    message = f"{type(exc).__name__}: {exc}"

    def run(quick: bool) -> Verdict:
        raise RuntimeError(f"loading {source} failed: {message}")

    CHECKS[name] = Check(name, "plug-in", f"checks of {source}", "-", True, "error", run, source=source)


def load_plugins(group: str = ENTRY_POINT_GROUP) -> list[str]:
    """Load every ``dagnngp.checks`` entry point once; returns the names of the checks they added.

    An entry point names a module (importing it registers its checks) or a callable (called with no
    arguments).  One that fails to load becomes a check ``plugin:NAME`` whose verdict is ``ERROR``,
    so ``dagnngp check`` reports it instead of crashing.

    >>> load_plugins()  # nothing new: installed plug-ins loaded when the checks were imported
    []
    """
    before = set(CHECKS)
    for ep in importlib.metadata.entry_points(group=group):
        key = f"{ep.name}={ep.value}"
        if key in _LOADED:
            continue
        _LOADED.add(key)
        with _source(f"plug-in {ep.name}"):
            try:
                obj = ep.load()
                if callable(obj):
                    obj()
            except Exception as exc:  # reported as an ERROR verdict, never a traceback
                _register_error(f"plugin:{ep.name}", f"plug-in {ep.name} ({ep.value})", exc)
    return [n for n in CHECKS if n not in before]


def load_check_file(target: str) -> list[str]:
    """Import a Python file (``path/to/lemmas.py``) or module (``mypkg.lemmas``) that registers checks.

    Returns the names of the checks it added; raises ``ValueError`` with a one-line message when the
    file or module cannot be loaded.

    >>> load_check_file("no/such/lemmas.py")
    Traceback (most recent call last):
    ...
    ValueError: no such file: no/such/lemmas.py
    """
    before = set(CHECKS)
    path = Path(target)
    with _source(f"file {path.name}" if target.endswith(".py") else f"module {target}"):
        try:
            if target.endswith(".py"):
                if not path.is_file():
                    raise ValueError(f"no such file: {target}")
                mod_name = f"dagnngp_user_checks_{abs(hash(str(path.resolve())))}"
                spec = importlib.util.spec_from_file_location(mod_name, path)
                if spec is None or spec.loader is None:
                    raise ValueError(f"cannot load {target} as Python")
                module = importlib.util.module_from_spec(spec)
                sys.modules[mod_name] = module
                spec.loader.exec_module(module)
            else:
                importlib.import_module(target)
        except ValueError:
            raise
        except Exception as exc:
            raise ValueError(f"loading {target} failed: {type(exc).__name__}: {exc}") from exc
    return [n for n in CHECKS if n not in before]
