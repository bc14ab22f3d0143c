"""The check registry: what a check is, how it reports, how checks are selected and run.

A :class:`Check` states a claim; ``run(quick=...)`` evaluates it and returns a
:class:`Verdict`.  ``expected`` is True for claims that should hold and False
for the paper's known-false claims, which are reported as *expected failures*,
not hidden.  A verdict carries two answers:

* ``holds``: whether the claim as stated is true;
* ``correct``: whether the evidence for the *right* answer was confirmed (the
  network mean really is ``1/sqrt(pi)``, the exact model really is accepted by
  the networks that reject the paper's, ...).  A known-false claim is an
  expected failure only when the claim is rejected *and* the right answer is
  confirmed, so a check cannot pass because its evidence broke.

The claims live in ``claims_dual_map`` (Lemma 3.2, CC-1..7), ``claims_bounds``
(Lemma 3.3, the example DAGs, diagonals, rule (12): CC-8..15), ``claims_networks``
(the exact model against finite networks: CC-16..17) and ``claims_rank_gd``
(Lemma 3.1, the NTK and gradient descent: CC-18..22); importing
:mod:`dagnngp.proofs_check.checks` registers them all.

Monte Carlo checks (``statistical=True``) run all their comparisons at the
family-wise false-alarm rate :data:`dagnngp.proofs_check.statistics.SUITE_ALPHA`,
read when the check runs.

>>> from dagnngp.proofs_check.checks import CHECKS
>>> verdict = CHECKS["lemma3.2-closed-form"].run(quick=True)
>>> verdict.holds, verdict.correct
(True, True)
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dagnngp.numerics.reference import NNGPResult
from dagnngp.numerics.reference import nngp as reference_nngp
from dagnngp.proofs_check import statistics

__all__ = ["CHECKS", "Check", "CheckOutcome", "Verdict", "check", "family_alpha", "nngp", "run_checks",
           "select_checks", "unit_inputs"]

DAG1, DAG2, DAG3 = "2_02_002", "1_01_222", "2_21_112"


def nngp(*args: Any, **kwargs: Any) -> NNGPResult:
    """The NumPy reference recursion (the ground truth every check compares with).

    >>> round(float(nngp("1_01_222", np.eye(2), np.zeros(2)).output[0, 0]), 6)  # 3 + 6/pi
    4.909859
    """
    return reference_nngp(*args, backend="numpy", **kwargs)


def family_alpha() -> float:
    """The false-alarm rate of one statistical check, all its comparisons together (read at run time).

    >>> family_alpha() == statistics.SUITE_ALPHA
    True
    """
    return statistics.SUITE_ALPHA


@dataclass
class Verdict:
    """Outcome of one check: whether the claim holds, whether the right answer was confirmed, the numbers.

    ``correct`` defaults to True for checks whose ``holds`` already is the evidence.

    >>> Verdict(False, {"t": 62.0}, "rejected", correct=True).correct
    True
    """

    holds: bool
    evidence: dict[str, object]
    detail: str
    correct: bool = True


@dataclass(frozen=True)
class Check:
    """A named claim; ``run(quick)`` evaluates it.  ``key`` names the headline evidence number.

    >>> c = Check("demo", "CC-0", "1 + 1 = 2", "none", True, "sum",
    ...           lambda quick: Verdict(True, {"sum": 2}, "ok"))
    >>> c.run().holds
    True
    """

    name: str
    claims: str
    statement: str
    inputs: str
    expected: bool
    key: str
    func: Callable[[bool], Verdict] = field(repr=False, compare=False)
    statistical: bool = False
    #: where the check comes from: ``"built-in"``, ``"user"`` (``lemmas.register_check`` from a script
    #: or notebook), ``"plug-in NAME"`` (a ``dagnngp.checks`` entry point) or ``"file NAME"``
    source: str = "built-in"

    def run(self, quick: bool = True) -> Verdict:
        """Evaluate the claim (``quick`` uses smaller grids, widths and draw counts)."""
        return self.func(quick)


@dataclass
class CheckOutcome:
    """A check's verdict with its bookkeeping, as returned by :func:`run_checks`.

    >>> o = CheckOutcome("demo", "CC-0", "s", False, False, "k", 1, "d", {}, 0.1, correct=False)
    >>> o.status, o.ok
    ('FAILS', False)
    """

    name: str
    claims: str
    statement: str
    expected: bool
    holds: bool
    key: str
    key_value: object
    detail: str
    evidence: dict[str, object]
    seconds: float
    error: bool = False
    correct: bool = True
    source: str = "built-in"

    @property
    def status(self) -> str:
        """``holds``, ``FAILS``, ``expected failure`` (known-false claim), ``UNEXPECTED PASS``, ``ERROR``.

        ``FAILS`` also marks a known-false claim whose right answer was not confirmed.
        """
        if self.error:
            return "ERROR"
        if not self.correct:
            return "FAILS"
        if self.expected:
            return "holds" if self.holds else "FAILS"
        return "expected failure" if not self.holds else "UNEXPECTED PASS"

    @property
    def ok(self) -> bool:
        """True when the verdict is the expected one and the right answer was confirmed (never on error)."""
        return not self.error and self.correct and self.holds == self.expected

    def as_dict(self) -> dict[str, object]:
        """The outcome as JSON-ready data."""
        return {
            "name": self.name, "claims": self.claims, "statement": self.statement,
            "expected": self.expected, "holds": self.holds, "correct": self.correct,
            "status": self.status, "ok": self.ok,
            "key": self.key, "key_value": _plain(self.key_value), "detail": self.detail,
            "evidence": _plain(self.evidence), "seconds": round(self.seconds, 3), "source": self.source,
        }


def _plain(value: object) -> object:
    """Evidence as JSON-ready Python data."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


CHECKS: dict[str, Check] = {}


def check(name: str, claims: str, statement: str, inputs: str, key: str, expected: bool = True,
          statistical: bool = False) -> Callable[[Callable[[bool], Verdict]], Callable[[bool], Verdict]]:
    """Decorator registering ``func(quick) -> Verdict`` as the built-in check ``name`` in :data:`CHECKS`.

    Your own claims go through :func:`dagnngp.proofs_check.lemmas.register_check`, which adds the
    census, search, shrinking and Monte Carlo confirmation.
    """
    def register(func: Callable[[bool], Verdict]) -> Callable[[bool], Verdict]:
        CHECKS[name] = Check(name, claims, statement, inputs, expected, key, func, statistical)
        return func
    return register


def unit_inputs(n: int, dim: int, seed: int, centred: bool = True) -> np.ndarray:
    """``n`` random unit-norm inputs of dimension ``dim`` (per-sample centred, or non-negative).

    >>> X = unit_inputs(3, 5, seed=0)
    >>> np.allclose(np.linalg.norm(X, axis=1), 1), np.allclose(X.sum(axis=1), 0)
    (True, True)
    """
    X = np.random.default_rng(seed).standard_normal((n, dim))
    X = X - X.mean(axis=1, keepdims=True) if centred else np.abs(X)
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def select_checks(only: str | Iterable[str] | None) -> list[Check]:
    """The checks named in ``only`` (names or claim ids such as ``"CC-15"``; ``None``: all).

    >>> from dagnngp.proofs_check.checks import select_checks
    >>> [c.name for c in select_checks("CC-9")]
    ['lemma3.3-2x2-closed-form']
    """
    if only is None:
        return list(CHECKS.values())
    names = [only] if isinstance(only, str) else list(only)
    chosen = []
    for name in names:
        hits = [c for c in CHECKS.values()
                if c.name == name or name.upper() in [p.strip().split(",")[0] for p in c.claims.split(",")]
                or name.upper() == c.claims.split(",")[0]]
        if not hits:
            raise ValueError(f"no check named {name!r}; known checks: {', '.join(CHECKS)} "
                             "(or a claim id such as CC-15)")
        chosen += [c for c in hits if c not in chosen]
    return chosen


def run_checks(
    quick: bool = True, only: str | Iterable[str] | None = None,
    on_result: Callable[[CheckOutcome], None] | None = None,
) -> list[CheckOutcome]:
    """Run the checks (all, or those named in ``only``: check names or claim ids like ``"CC-15"``).

    A check that raises gets status ``ERROR`` (never ok), with the error as its detail.

    >>> from dagnngp.proofs_check.checks import run_checks
    >>> [o.status for o in run_checks(only="lemma3.3-2x2-closed-form")]
    ['holds']
    """
    outcomes = []
    for chk in select_checks(only):
        start = time.perf_counter()
        error = False
        try:
            verdict = chk.run(quick)
        except Exception as exc:  # a crash is reported as an error, never as an expected failure
            error = True
            verdict = Verdict(False, {"error": repr(exc)}, f"check raised {type(exc).__name__}: {exc}")
        outcome = CheckOutcome(chk.name, chk.claims, chk.statement, chk.expected,
                               bool(verdict.holds), chk.key, verdict.evidence.get(chk.key),
                               verdict.detail, verdict.evidence, time.perf_counter() - start, error,
                               bool(verdict.correct), chk.source)
        outcomes.append(outcome)
        if on_result is not None:
            on_result(outcome)
    return outcomes
