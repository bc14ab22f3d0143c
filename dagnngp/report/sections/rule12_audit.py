"""Section 6: every 4-node motif where the paper's rule (12) is not an upper bound on lambda_min."""

from __future__ import annotations

from dagnngp.report.sections.common import Skip, table
from dagnngp.report.settings import Settings

KEY = "rule12_audit"
TITLE = "Rule (12) audit over all 4-node motifs"


def run(settings: Settings) -> dict:
    """The audit's failing motifs at three correlations, with both models' true gaps."""
    try:
        from dagnngp.proofs_check.audit import rule12_audit as audit
    except ImportError as exc:
        raise Skip(f"the rule-(12) audit is not installed ({exc})") from exc
    correlations = (0.0, 0.5, 0.9)
    rows = audit(n_nodes=4, correlations=correlations)
    n_motifs = len({r.motif for r in rows})
    bad: dict[str, dict] = {}
    for r in rows:
        if r.fails:
            bad.setdefault(r.motif, {"P": r.n_paths, "at": {}})["at"][r.C] = r
    table_rows = []
    for motif, info in bad.items():
        cells = [motif, info["P"]]
        for c in correlations:
            r = info["at"].get(c)
            cells += [r.rule12, r.paper_gap, r.exact_gap] if r else ["", "", ""]
        table_rows.append(cells)
    cols = ["motif", "P"]
    for c in correlations:
        cols += [f"rule (12), C={c:g}", f"true gap paper, C={c:g}", f"exact gap, C={c:g}"]
    src = (
        "every 4-node motif with an input-output path (662); two unit-norm centred inputs; "
        f"C in {list(correlations)}; dagnngp.proofs_check.audit.rule12_audit"
    )
    example = f" (e.g. {sorted(bad)[0]})" if bad else ""
    return {
        "findings": [
            "The paper's rule (12), lambda_min <= P - sum_p h^(d_p)(C), is not an upper bound for "
            f"{len(bad)} of {n_motifs} four-node motifs{example}: with two inputs lambda_min is the 2x2 "
            "gap, which the rule then understates."
        ],
        "summary": [
            f"Rule (12) claims lambda_min <= P - sum_p h^(d_p)(C). For two inputs lambda_min is the 2x2 gap "
            f"itself, so the rule fails wherever the paper model's own gap exceeds it: "
            f"{len(bad)} of {n_motifs} four-node motifs (a linear edge reads a node that merges paths of "
            "unequal depth; by convexity of h the rule then understates the gap).",
        ],
        "source": src,
        "tables": [
            table("Motifs where rule (12) is not an upper bound on lambda_min (N = 2)", cols, table_rows)
        ],
        "figures": [],
        "data": {"n_motifs": n_motifs, "failing": sorted(bad), "rows": [r.as_dict() for r in rows]},
    }
