"""Render a report dict (as in ``report.json``) to Markdown and to one self-contained HTML page.

>>> rep = {"title": "T", "mode": "quick", "seed": 0, "version": "0", "motifs": [],
...        "elapsed_seconds": 1.0, "sections": [{"title": "S", "status": "skipped", "reason": "no data"}]}
>>> "skipped: no data" in render_markdown(rep)
True
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

__all__ = ["format_cell", "render_html", "render_markdown"]


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
        "Motif strings list, for target nodes 1, 2, ..., the op from each earlier node "
        "(0 zero, 1 skip, 2 linear+ReLU): 2_21_112 is DAG#3.",
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
        if sec.get("source"):
            out += [f"*Source of the numbers: {sec['source']}.*", ""]
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
.tablewrap{overflow-x:auto}
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
    parts.append("<h2>Contents</h2><ol>")
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
        if sec.get("source"):
            parts.append(f'<p class="source">Source of the numbers: {esc(sec["source"])}.</p>')
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
