"""Section 5: the verdict of every executable check of the paper's lemmas and bounds."""

from __future__ import annotations

from dagnngp.report.analysis import verdict_record
from dagnngp.report.errata import verdict_status
from dagnngp.report.render import format_cell
from dagnngp.report.sections.common import Skip, short, table
from dagnngp.report.settings import Settings

KEY = "checks"
TITLE = "The proofs_check suite"

__all__ = ["KEY", "TITLE", "run", "run_check_suite"]


def run_check_suite(quick: bool) -> list[dict]:
    """Run the proofs_check suite and return one plain dict per check."""
    try:
        from dagnngp.proofs_check import run_checks
    except ImportError as exc:
        raise Skip(f"the proofs_check suite is not installed ({exc})") from exc
    return [verdict_record(v) for v in run_checks(quick=quick)]


def run(settings: Settings) -> dict:
    """One row per check: what it claims, its verdict and its key number."""
    records = run_check_suite(settings.quick)
    rows = []
    n_unexpected = 0
    for r in records:
        status = verdict_status(r)
        surprise = status in ("FAILS", "UNEXPECTED PASS", "ERROR")
        n_unexpected += surprise
        key = r.get("key")
        key_text = f"{key} = {format_cell(r.get('key_value'))}" if key else ""
        rows.append(
            [
                r.get("name", "?"),
                r.get("claims", ""),
                short(r.get("statement", ""), 160),
                status,
                key_text,
                short(r.get("detail", "")),
            ]
        )
    builtin = [r for r in records if r.get("source", "built-in") == "built-in"]
    added = [r for r in records if r.get("source", "built-in") != "built-in"]
    n_paper_wrong = sum(1 for r in builtin if verdict_status(r) == "expected failure")
    summary = [
        f"{len(builtin)} checks of the paper's lemmas and bounds ({'quick' if settings.quick else 'full'}"
        f" mode): {n_paper_wrong} confirm a known error of the paper (claim false, as expected); "
        f"{n_unexpected} verdict(s) differ from what the toolkit expects."
    ]
    if added:
        n_false = sum(1 for r in added if not r.get("holds", True))
        summary.append(f"{len(added)} of the checks are your own (registered with register_check or a "
                       f"plug-in): {len(added) - n_false} hold, {n_false} found a counterexample; "
                       "the source column says where each comes from.")
        for row, r in zip(rows, records, strict=True):
            row.insert(1, r.get("source", "built-in"))
    header = ["check", "claims", "statement", "verdict", "key number", "detail"]
    if added:
        header.insert(1, "source")
    return {
        "summary": summary,
        "source": f"dagnngp.proofs_check.run_checks(quick={settings.quick}); each check's seeds, widths and "
        "draw counts are in its evidence in report.json",
        "tables": [
            table("Verdicts", header, rows)
        ],
        "figures": [],
        "data": {"checks": records, "unexpected": n_unexpected, "paper_errors_confirmed": n_paper_wrong},
    }
