"""Render a report dict (as in ``report.json``) to Markdown and to one self-contained HTML page.

Both open with a summary of the findings, taken from each section's ``findings`` (sentences
that the section builds from its own results), then say how to read the report, then give
the sections.  A figure's source line is printed once, under the figure; a section prints its
own source only where no figure of it already did.

>>> rep = {"title": "T", "mode": "quick", "seed": 0, "version": "0", "motifs": [],
...        "elapsed_seconds": 1.0, "sections": [{"title": "S", "status": "skipped", "reason": "no data"}]}
>>> "skipped: no data" in render_markdown(rep)
True
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

__all__ = ["GLOSSARY", "findings", "format_cell", "render_html", "render_markdown"]

#: What the report's terms mean, printed after the summary.
GLOSSARY = (
    ("motif", "a cell's connectivity DAG on nodes X0 (input) to XH (output); its string lists, for "
     "target nodes 1, 2, ..., the op from each earlier node (0 no edge, 1 skip, 2 linear map followed "
     "by ReLU), so 2_21_112 is DAG#3. A node sums its incoming edges; P is the number of input-output "
     "paths and d_p the number of linear edges on path p."),
    ("output kernel", "the infinite-width NNGP kernel K^(H) of the motif's output node: the limit of the "
     "inner products of two inputs' output features as every node's width m grows."),
    ("2x2 gap", "the least eigenvalue of the output kernel of two unit-norm inputs with correlation C. "
     "With more inputs, the least eigenvalue lambda_min of the full kernel is at most this gap (Lemma "
     "3.3 of the paper), and lambda_min sets how fast gradient descent converges."),
    ("paper model and exact model", "the paper's recursion for the kernel, and the true infinite-width "
     "limit, which also keeps the correlation between edges that enter the same node (through their "
     "ReLU means) and between skip paths that share features."),
    ("rule (12)", "the paper's closed-form estimate lambda_min <= P - sum_p h^(d_p)(C), where h is the "
     "ReLU dual map below."),
    ("h", "the ReLU dual map: a linear+ReLU edge maps an input correlation C to h(C) = "
     "(sqrt(1 - C^2) + (pi - arccos C) C) / pi; h^k is h applied k times."),
    ("d̄, m̄", "a motif's effective depth (the mean of d_p over paths) and effective width (the number of "
     "paths with a linear edge, divided by d̄), the coordinates of the paper's NAS filter."),
    ("reference", "a value typed in from the toolkit's specification, which records the paper's tables "
     "and independently derived values; the report prints it beside the value it computes."),
)


def findings(rep: dict) -> list[str]:
    """The summary of a report: each section's findings, or why it did not run.

    >>> findings({"sections": [{"title": "A", "findings": ["x is 1."]},
    ...                        {"title": "B", "status": "skipped", "reason": "no data"}]})
    ['x is 1.', 'B: skipped (no data).']
    """
    out: list[str] = []
    for sec in rep.get("sections", []):
        status = sec.get("status", "ok")
        if status == "ok":
            out += [str(s) for s in sec.get("findings", [])]
        else:
            out.append(f"{sec.get('title', '')}: {status} ({sec.get('reason', '')}).")
    return out


def _section_source(sec: dict) -> str | None:
    """The section's source line, unless a figure of the section prints the same line."""
    source = sec.get("source")
    if not source or any(fig.get("source") == source for fig in sec.get("figures", [])):
        return None
    return source


def format_cell(value: object) -> str:
    """A table cell as text: floats to 6 significant digits, lists compactly.

    >>> format_cell(3.14159265), format_cell([1, 2]), format_cell(None), format_cell(True)
    ('3.14159', '[1, 2]', '', 'yes')
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(format_cell(v) for v in value) + "]"
    return str(value)


def _header(rep: dict) -> list[str]:
    motifs = ", ".join(rep.get("motifs") or []) or "none"
    return [
        f"dagnngp {rep.get('version', '')}, {rep.get('mode', '')} mode, seed {rep.get('seed', '')}; "
        f"extra motifs: {motifs}; started {rep.get('started', '')}; "
        f"total time {rep.get('elapsed_seconds', 0):.1f} s.",
    ]


def _status_line(sec: dict) -> str | None:
    status = sec.get("status", "ok")
    if status == "ok":
        return None
    return (
        f"**{status}: {sec.get('reason', '')}**"
        if status == "failed"
        else f"*{status}: {sec.get('reason', '')}*"
    )


def render_markdown(rep: dict) -> str:
    """The report as Markdown (figures linked as PNG files beside it)."""
    out = [f"# {rep.get('title', 'dagnngp report')}", ""]
    out += [" ".join(_header(rep)), ""]
    out += ["## Summary of findings", ""]
    out += [f"- {s}" for s in findings(rep)] + [""]
    out += ["## How to read this report", ""]
    out += [f"- **{term}**: {text}" for term, text in GLOSSARY] + [""]
    out += ["## Contents", ""]
    for i, sec in enumerate(rep.get("sections", []), 1):
        out.append(f"{i}. {sec.get('title', '')} ({sec.get('status', 'ok')}, {sec.get('seconds', 0):.1f} s)")
    out.append("")
    for i, sec in enumerate(rep.get("sections", []), 1):
        out += [f"## {i}. {sec.get('title', '')}", ""]
        line = _status_line(sec)
        if line:
            out += [line, ""]
        for s in sec.get("summary", []):
            out += [s, ""]
        source = _section_source(sec)
        if source:
            out += [f"*Source of the numbers: {source}.*", ""]
        for fig in sec.get("figures", []):
            out += [
                f"![{fig['caption']}]({fig['file']})",
                "",
                f"*{fig['caption']} Source: {fig['source']}.*",
                "",
            ]
        for tab in sec.get("tables", []):
            out += [f"**{tab['caption']}**", ""]
            cols = tab["columns"]
            out.append("| " + " | ".join(cols) + " |")
            out.append("|" + "---|" * len(cols))
            for row in tab["rows"]:
                out.append("| " + " | ".join(format_cell(v).replace("|", "\\|") for v in row) + " |")
            out.append("")
    out += ["Every number above, and more, is in report.json.", ""]
    return "\n".join(out)


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1250px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.7em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:.88em}
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:right;vertical-align:top}
th{background:#f0f0f0}td:first-child,th:first-child{text-align:left}
caption{caption-side:top;text-align:left;font-weight:600;padding:.3em 0}
figure{margin:1em 0}figure img{max-width:100%;border:1px solid #ddd}
figcaption,.source{color:#555;font-size:.9em}.skipped{color:#8a6d00}.failed{color:#b00020;font-weight:600}
.tablewrap{overflow-x:auto}dt{font-weight:600}dd{margin:0 0 .4em 1.5em}
"""


def render_html(rep: dict, out_dir: Path | str | None = None) -> str:
    """The report as one HTML page; figures found in ``out_dir`` are embedded as base64 PNGs."""
    esc = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{esc(rep.get('title', 'dagnngp report'))}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{esc(rep.get('title', 'dagnngp report'))}</h1>",
    ]
    parts += [f"<p>{esc(p)}</p>" for p in _header(rep)]
    parts.append('<h2 id="summary">Summary of findings</h2><ul>')
    parts += [f"<li>{esc(s)}</li>" for s in findings(rep)]
    parts.append('</ul><h2 id="terms">How to read this report</h2><dl>')
    parts += [f"<dt>{esc(term)}</dt><dd>{esc(text)}</dd>" for term, text in GLOSSARY]
    parts.append("</dl><h2>Contents</h2><ol>")
    for i, sec in enumerate(rep.get("sections", []), 1):
        parts.append(
            f'<li><a href="#s{i}">{esc(sec.get("title", ""))}</a> '
            f"({esc(sec.get('status', 'ok'))}, {sec.get('seconds', 0):.1f} s)</li>"
        )
    parts.append("</ol>")
    for i, sec in enumerate(rep.get("sections", []), 1):
        parts.append(f'<h2 id="s{i}">{i}. {esc(sec.get("title", ""))}</h2>')
        status = sec.get("status", "ok")
        if status != "ok":
            parts.append(f'<p class="{esc(status)}">{esc(status)}: {esc(str(sec.get("reason", "")))}</p>')
        parts += [f"<p>{esc(s)}</p>" for s in sec.get("summary", [])]
        source = _section_source(sec)
        if source:
            parts.append(f'<p class="source">Source of the numbers: {esc(source)}.</p>')
        for fig in sec.get("figures", []):
            img = ""
            png = Path(out_dir) / fig["file"] if out_dir is not None else None
            if png is not None and png.is_file():
                b64 = base64.b64encode(png.read_bytes()).decode("ascii")
                img = f'<img src="data:image/png;base64,{b64}" alt="{esc(fig["caption"])}">'
            else:
                img = f'<p class="skipped">figure {esc(fig["file"])} is missing</p>'
            parts.append(
                f"<figure>{img}<figcaption>{esc(fig['caption'])} Source: {esc(fig['source'])}."
                "</figcaption></figure>"
            )
        for tab in sec.get("tables", []):
            parts.append('<div class="tablewrap"><table>')
            parts.append(f"<caption>{esc(tab['caption'])}</caption><tr>")
            parts += [f"<th>{esc(c)}</th>" for c in tab["columns"]]
            parts.append("</tr>")
            for row in tab["rows"]:
                parts.append("<tr>" + "".join(f"<td>{esc(format_cell(v))}</td>" for v in row) + "</tr>")
            parts.append("</table></div>")
    parts.append('<p class="source">Every number above, and more, is in report.json beside this page.</p>')
    parts.append("</body></html>")
    return "\n".join(parts)
