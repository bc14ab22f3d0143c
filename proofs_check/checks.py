"""Every lemma and bound of the paper (spec claims CC-1..CC-22) as an executable check.

This module gathers the checks: importing it registers every claim module in
claim order.  Where things live:

* :mod:`~dagnngp.proofs_check.registry`: :class:`Check`, :class:`Verdict`,
  :class:`CheckOutcome`, :data:`CHECKS`, :func:`run_checks`, :func:`select_checks`;
* :mod:`~dagnngp.proofs_check.claims_dual_map`: Lemma 3.2, CC-1..CC-7;
* :mod:`~dagnngp.proofs_check.claims_bounds`: Lemma 3.3, DAG#1-3, diagonals, rule (12), CC-8..CC-15;
* :mod:`~dagnngp.proofs_check.claims_networks`: exact model against finite networks, CC-16..CC-17;
* :mod:`~dagnngp.proofs_check.claims_rank_gd`: Lemma 3.1, NTK, gradient descent, CC-18..CC-22;
* :mod:`~dagnngp.proofs_check.lemmas`: your own claims (:func:`~dagnngp.proofs_check.lemmas.register_check`)
  and the plug-ins of the ``dagnngp.checks`` entry-point group, loaded after the built-in checks.

Monte Carlo comparisons use :func:`~dagnngp.proofs_check.statistics.compare_to_mc`;
each statistical check keeps all its comparisons together at family-wise level
``SUITE_ALPHA``.

>>> verdict = CHECKS["lemma3.2-closed-form"].run(quick=True)
>>> verdict.holds
True
"""

from __future__ import annotations

import importlib

from dagnngp.proofs_check.registry import (
    CHECKS,
    Check,
    CheckOutcome,
    Verdict,
    run_checks,
    select_checks,
    unit_inputs,
)

#: the claim modules, imported in claim order (CHECKS keeps their registration order)
CLAIM_MODULES = ("claims_dual_map", "claims_bounds", "claims_networks", "claims_rank_gd")
for _name in CLAIM_MODULES:
    importlib.import_module(f"dagnngp.proofs_check.{_name}")

# then the checks of installed plug-ins (entry-point group ``dagnngp.checks``), after the built-in ones
from dagnngp.proofs_check.lemmas import load_plugins  # noqa: E402

load_plugins()

__all__ = ["CHECKS", "CLAIM_MODULES", "Check", "CheckOutcome", "Verdict", "run_checks", "select_checks",
           "unit_inputs"]
