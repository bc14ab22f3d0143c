"""Executable checks of the paper's lemmas and bounds (spec claims CC-1..CC-22).

>>> from dagnngp.proofs_check import CHECKS, run_checks
>>> outcome, = run_checks(only="CC-9")
>>> outcome.name, outcome.status
('lemma3.3-2x2-closed-form', 'holds')

The heavy modules load on first use, so importing
:mod:`dagnngp.proofs_check.strategies` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "CHECKS": "checks", "Check": "checks", "CheckOutcome": "checks", "Verdict": "checks",
    "run_checks": "checks", "select_checks": "checks", "unit_inputs": "checks",
    "Rule12Row": "audit", "all_motifs": "audit", "rule12_audit": "audit",
    "format_rule12_failures": "audit", "merges_unequal_depths": "audit",
    "FINITE_WIDTH_BIAS_SE": "statistics", "MCComparison": "statistics", "SUITE_ALPHA": "statistics",
    "compare_to_mc": "statistics",
    "t_threshold": "statistics",
    "FiniteNetwork": "finite_net", "gradient_descent": "finite_net",
    "Case": "lemmas", "Comparison": "lemmas", "MonteCarlo": "lemmas", "at_least": "lemmas",
    "at_most": "lemmas", "correlations": "lemmas", "edge_additions": "lemmas", "every_motif": "lemmas",
    "load_check_file": "lemmas", "realise_inputs": "lemmas", "register_check": "lemmas",
    "unregister_check": "lemmas",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module = importlib.import_module(f"dagnngp.proofs_check.{_LAZY[name]}")
        return getattr(module, name)
    raise AttributeError(f"module 'dagnngp.proofs_check' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
