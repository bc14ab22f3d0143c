"""Section 5: the verdict of every executable check of the paper's lemmas and bounds."""

from __future__ import annotations

import re

from dagnngp.report.analysis import verdict_record
from dagnngp.report.errata import verdict_status
from dagnngp.report.render import format_cell
from dagnngp.report.sections.common import Skip, short, table
from dagnngp.report.settings import Settings

KEY = "checks"
TITLE = "Executable checks of the paper's claims"

__all__ = ["KEY", "TITLE", "plain_words", "run", "run_check_suite"]

# "spec 7.5", "CC-15", "spec CC-13": pointers into the toolkit's specification, which a reader
# of the report does not have
_INTERNAL_REF = re.compile(r"[,;]?\s*\b(?:spec(?:ification)?\s+(?:section\s+)?(?:CC-)?\d+(?:\.\d+)*|CC-\d+)")


def plain_words(text: str) -> str:
    """``text`` without references to numbered parts of the specification.

    >>> plain_words("part of the gap is kernel scale, spec 7.5")
    'part of the gap is kernel scale'
    >>> plain_words("a claim (CC-15) holds (spec 2.3)")
    'a claim holds'
    """
    out = _INTERNAL_REF.sub("", str(text))
    out = re.sub(r"\(\s*[,;]?\s*\)", "", out)  # parentheses left empty
    return " ".join(out.split()).replace(" )", ")").replace("( ", "(")


def run_check_suite(quick: bool) -> list[dict]:
    """Run the proofs_check suite and return one plain dict per check."""
    try:
        from dagnngp.proofs_check import run_checks
    except ImportError as exc:
        raise Skip(f"the proofs_check suite is not installed ({exc})") from exc
    return [verdict_record(v) for v in run_checks(quick=quick)]


def run(settings: Settings) -> dict:
    """One row per check: the claim in words, its verdict and its key number.

    The claim's identifier in the specification stays in ``report.json`` (``claims``); the table
    states the claim itself.
    """
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
                short(plain_words(r.get("statement", "")), 200),
                status,
                key_text,
                short(plain_words(r.get("detail", ""))),
            ]
        )
    builtin = [r for r in records if r.get("source", "built-in") == "built-in"]
    added = [r for r in records if r.get("source", "built-in") != "built-in"]
    n_paper_wrong = sum(1 for r in builtin if verdict_status(r) == "expected failure")
    n_hold = sum(1 for r in builtin if verdict_status(r) == "holds")
    findings = [
        f"{len(builtin)} executable checks of the paper's claims: {n_hold} hold, {n_paper_wrong} confirm "
        f"an error of the paper, and {n_unexpected} verdict(s) differ from what the toolkit expects."
    ]
    summary = [
        f"{len(builtin)} checks of the paper's lemmas and bounds ({'quick' if settings.quick else 'full'}"
        f" mode): {n_paper_wrong} confirm a known error of the paper (claim false, as expected); "
        f"{n_unexpected} verdict(s) differ from what the toolkit expects."
    ]
    header = ["check", "claim", "verdict", "key number", "detail"]
    if added:
        n_false = sum(1 for r in added if not r.get("holds", True))
        own = (f"{len(added)} of the checks are your own (registered with register_check or a plug-in): "
               f"{len(added) - n_false} hold, {n_false} found a counterexample.")
        findings.append(own)
        summary.append(own + " The source column says where each check comes from.")
        for row, r in zip(rows, records, strict=True):
            row.insert(1, r.get("source", "built-in"))
        header.insert(1, "source")
    return {
        "findings": findings,
        "summary": summary,
        "source": f"dagnngp.proofs_check.run_checks(quick={settings.quick}); each check's seeds, widths and "
        "draw counts are in its evidence in report.json",
        "tables": [
            table("Verdicts: each check states a claim of the paper (or of the toolkit's analysis of it); "
                  "'expected failure' marks a claim the toolkit knows to be false", header, rows)
        ],
        "figures": [],
        "data": {"checks": records, "unexpected": n_unexpected, "paper_errors_confirmed": n_paper_wrong},
    }
