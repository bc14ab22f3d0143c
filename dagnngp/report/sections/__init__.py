"""The report's sections, one module each, run in the order of :data:`SECTIONS`.

* ``dual_map``     -- the ReLU dual map and why depth pulls correlations to 1;
* ``example_dags`` -- DAG#1-3 (and the user's motifs): derivations and 2x2 gaps;
* ``kernels``      -- exact vs paper model kernel entries;
* ``monte_carlo``  -- finite-width networks against the limit;
* ``checks``       -- the proofs_check suite's verdicts;
* ``rule12_audit`` -- where rule (12) fails among all 4-node motifs;
* ``nas``          -- effective depth/width and the NAS-Bench-201 filter.

Each module has ``KEY``, ``TITLE`` and ``run(settings) -> dict`` (the dict's shape is described
in :mod:`dagnngp.report.sections.common`); the numbers come from :mod:`dagnngp.report.analysis`
and the library.  A section raises :class:`Skip` when it cannot run here.

>>> [key for key, _, _ in SECTIONS][:3]
['dual_map', 'example_dags', 'kernels']
"""

from __future__ import annotations

from collections.abc import Callable

from dagnngp.report.sections import (
    checks,
    dual_map,
    example_dags,
    kernels,
    monte_carlo,
    nas,
    rule12_audit,
    training,
)
from dagnngp.report.sections.checks import run_check_suite
from dagnngp.report.sections.common import Skip
from dagnngp.report.settings import Settings

__all__ = ["SECTIONS", "Skip", "by_key", "run_check_suite"]

#: (key, title, function) in report order.
SECTIONS: list[tuple[str, str, Callable[[Settings], dict]]] = [
    (m.KEY, m.TITLE, m.run)
    for m in (dual_map, example_dags, kernels, monte_carlo, training, checks, rule12_audit, nas)
]


def by_key(keys: list[str] | tuple[str, ...]) -> list[tuple[str, str, Callable[[Settings], dict]]]:
    """The sections named by ``keys``, in report order; an unknown key raises ``ValueError``.

    >>> [k for k, _, _ in by_key(["kernels", "dual_map"])]
    ['dual_map', 'kernels']
    """
    known = [key for key, _, _ in SECTIONS]
    unknown = [k for k in keys if k not in known]
    if unknown:
        raise ValueError(
            f"unknown report section(s) {', '.join(map(repr, unknown))}: choose from {', '.join(known)}"
        )
    return [s for s in SECTIONS if s[0] in keys]
