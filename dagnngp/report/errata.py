"""The "What the paper gets wrong" table, generated from the proofs_check verdicts.

The documentation build calls :func:`errata_markdown` on a fresh quick run of
the check suite, so the page always shows the current verdicts.

>>> rec = {"name": "sign", "claims": "CC-12", "statement": "4 - f", "expected": False,
...        "holds": False, "key": "C", "key_value": -0.725, "detail": "no"}
>>> print(errata_markdown([rec]).splitlines()[2])
| sign | CC-12 | 4 - f | expected failure: the claim is false | C = -0.725 | no |
"""

from __future__ import annotations

from collections.abc import Sequence

from dagnngp.report.render import format_cell

__all__ = ["errata_markdown", "verdict_status"]


def verdict_status(rec: dict) -> str:
    """``holds``, ``FAILS``, ``expected failure``, ``UNEXPECTED PASS`` or ``ERROR`` of one check record."""
    if rec.get("status"):
        return str(rec["status"])
    holds, expected = bool(rec.get("holds")), rec.get("expected", True)
    if expected:
        return "holds" if holds else "FAILS"
    return "expected failure" if not holds else "UNEXPECTED PASS"


def _cell(text: object) -> str:
    return " ".join(format_cell(text).split()).replace("|", "\\|")


def errata_markdown(records: Sequence[dict]) -> str:
    """A Markdown table of the checks: the paper's false claims first, then the ones that hold."""
    labels = {"expected failure": "expected failure: the claim is false"}
    order = {"FAILS": 0, "UNEXPECTED PASS": 0, "ERROR": 0, "expected failure": 1, "holds": 2}
    rows = sorted(records, key=lambda r: (order.get(verdict_status(r), 3), str(r.get("claims", ""))))
    out = ["| check | claims | statement | verdict | key number | detail |", "|---|---|---|---|---|---|"]
    for r in rows:
        status = verdict_status(r)
        key = f"{r['key']} = {format_cell(r.get('key_value'))}" if r.get("key") else ""
        cells = [r.get("name", ""), r.get("claims", ""), r.get("statement", ""),
                 labels.get(status, status), key, r.get("detail", "")]
        out.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(out)
