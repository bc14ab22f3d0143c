"""The playground's views as a Jupyter rich display.

:func:`widget` computes the same numbers as the page
(:func:`~dagnngp.playground.views.compute_views`) and returns an object that a
notebook shows as HTML: each motif drawn as a DAG, the NNGP's and the NTK's
2x2 gaps against the correlation ``C`` for the exact and the paper models
(with rule (12)), the correlation of a stack of cells against depth, and a
table of the values at ``C``.  It needs no server and no JavaScript, so a lecture notebook embeds it
and a static export keeps it.

>>> view = widget(["2_21_112", "2_02_002"], C=0.5)
>>> "<svg" in view._repr_html_() and "1.54320" in view._repr_html_()
True
"""

from __future__ import annotations

import html
import io
from typing import Any

from dagnngp.playground.views import compute_views

__all__ = ["PlaygroundView", "motif_svg", "widget"]

#: Colour and name of each edge op (the page uses the same).
OP_STYLE = {0: ("#bbbbbb", "zero"), 1: ("#1f77b4", "skip"), 2: ("#d62728", "linear")}
#: Line colours of compared motifs.
PALETTE = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd")


def motif_svg(edges: list[list[float]], n_nodes: int, width: int = 360) -> str:
    """An SVG drawing of a motif: nodes on a line, each edge an arc above it, coloured by op.

    ``edges`` holds ``[s, t, op]`` or ``[s, t, op, weight]``; a weight other than 1
    is written at the top of its arc.

    >>> svg = motif_svg([[0, 1, 2], [0, 2, 1, 0.5], [1, 2, 0]], 3)
    >>> svg.count("<path"), ">0.5<" in svg
    (2, True)
    """
    gap = (width - 40) / max(n_nodes - 1, 1)
    height = 40 + gap * (n_nodes - 1) / 2.2
    y = height - 22
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height:.0f}" '
             f'viewBox="0 0 {width} {height:.0f}">']
    for edge in edges:
        s, t, op = (int(v) for v in edge[:3])
        weight = float(edge[3]) if len(edge) > 3 else 1.0
        if op == 0:
            continue
        x1, x2 = 20 + s * gap, 20 + t * gap
        colour = OP_STYLE[op][0]
        dash = ' stroke-dasharray="6 4"' if op == 1 else ""
        parts.append(f'<path d="M{x1:.1f},{y:.1f} A{(x2 - x1) / 2:.1f},{(x2 - x1) / 2.2:.1f} 0 0 1 '
                     f'{x2:.1f},{y:.1f}" fill="none" stroke="{colour}" stroke-width="2.5"{dash}/>')
        if weight != 1.0:
            parts.append(f'<text x="{(x1 + x2) / 2:.1f}" y="{y - (x2 - x1) / 2.2 - 3:.1f}" font-size="10" '
                         f'text-anchor="middle" fill="{colour}">{weight:g}</text>')
    for i in range(n_nodes):
        x = 20 + i * gap
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="11" fill="white" stroke="#333"/>'
                     f'<text x="{x:.1f}" y="{y + 4:.1f}" font-size="11" text-anchor="middle">{i}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _plots_svg(views: dict[str, Any]) -> str:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(15, 3.4))
    ax1, ax3, ax2 = fig.subplots(1, 3)
    Cs = views["C_grid"]
    for i, r in enumerate(views["results"]):
        colour = PALETTE[i % len(PALETTE)]
        ax1.plot(Cs, _nan(r["curves"]["exact"]["nngp"]["gap"]), color=colour, label=f"{r['motif']} exact")
        ax1.plot(Cs, _nan(r["curves"]["paper"]["nngp"]["gap"]), color=colour, ls="--",
                 label=f"{r['motif']} paper")
        if r["rule12"] is not None:
            ax1.plot(Cs, r["rule12"], color=colour, ls=":", lw=1)
        if "ntk" in r["curves"]["exact"]:
            ax3.plot(Cs, _nan(r["curves"]["exact"]["ntk"]["gap"]), color=colour, label=f"{r['motif']} exact")
            ax3.plot(Cs, _nan(r["curves"]["paper"]["ntk"]["gap"]), color=colour, ls="--",
                     label=f"{r['motif']} paper")
        ax2.plot(range(len(r["stacked"]["exact"])), _nan(r["stacked"]["exact"]), color=colour,
                 label=f"{r['motif']} exact")
        ax2.plot(range(len(r["stacked"]["paper"])), _nan(r["stacked"]["paper"]), color=colour, ls="--")
    opts = views["options"]
    ax1.set(xlabel="input correlation C", ylabel="2x2 gap of the NNGP",
            title=f"NNGP gap, {opts['edge']}-activation edges (dotted: rule (12))")
    readout = "trained readout" if opts["readout"] else "output node, no readout"
    ax3.set(xlabel="input correlation C", ylabel="2x2 gap of the NTK", title=f"NTK gap ({readout})")
    ax3.legend(fontsize=7)
    ax2.set(xlabel="cells stacked", ylabel="output correlation",
            title=f"depth, from C = {views['options']['C']:g}")
    ax1.legend(fontsize=7)
    ax2.legend(fontsize=7)
    fig.tight_layout()
    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    text = buf.getvalue()
    return text[text.index("<svg"):]


def _nan(values: list[float | None]) -> list[float]:
    return [float("nan") if v is None else v for v in values]


def _fmt(x: float | None) -> str:
    return "&ndash;" if x is None else f"{x:.5f}"


class PlaygroundView:
    """A notebook display of :func:`compute_views`'s result (``views``)."""

    def __init__(self, views: dict[str, Any]) -> None:
        self.views = views

    def _table(self) -> str:
        C = self.views["options"]["C"]
        head = ("<tr><th>motif</th><th>paths</th><th>gap exact</th><th>gap paper</th><th>rule (12)</th>"
                "<th>NTK gap exact</th><th>gap / diagonal (exact)</th><th>rate &kappa; (exact)</th></tr>")
        rows = []
        for r in self.views["results"]:
            a = r["at_C"]
            rows.append(f"<tr><td><code>{html.escape(r['motif'])}</code></td><td>{r['paths']}</td>"
                        f"<td>{_fmt(a['exact']['gap'])}</td><td>{_fmt(a['paper']['gap'])}</td>"
                        f"<td>{_fmt(a['rule12'])}</td><td>{_fmt(a['exact'].get('ntk_gap'))}</td>"
                        f"<td>{_fmt(a['exact']['gap_over_diagonal'])}</td>"
                        f"<td>{_fmt(r['rates']['exact']['kappa'])}</td></tr>")
        opts = self.views["options"]
        caption = (f"at C = {C:g}, {opts['edge']}-activation edges, NTK "
                   + ("with a trained readout" if opts["readout"] else "of the output node (no readout)"))
        return f"<table><caption>{caption}</caption>{head}{''.join(rows)}</table>"

    def _repr_html_(self) -> str:
        drawings = "".join(
            f'<figure style="display:inline-block;margin:4px">{motif_svg(r["edges"], r["n_nodes"], 260)}'
            f"<figcaption><code>{html.escape(r['motif'])}</code></figcaption></figure>"
            for r in self.views["results"])
        return f"<div>{drawings}{_plots_svg(self.views)}{self._table()}</div>"

    def __repr__(self) -> str:
        motifs = ", ".join(r["motif"] for r in self.views["results"])
        return f"PlaygroundView({motifs}; C = {self.views['options']['C']:g})"


def widget(motifs: str | list[str], C: float = 0.5, *, activation: str = "relu", sigma_b: float = 0.0,
           depth: int = 12, edge: str = "post", readout: bool = True) -> PlaygroundView:
    """The playground's views of up to four motifs, shown by a notebook as HTML.

    Motif strings may carry edge weights (``"2_2(0.5)1_112"``); ``edge`` is the
    edge convention (``"post"`` or ``"pre"``) and ``readout`` selects the NTK with
    a trained readout (default) or the output node's own.

    >>> "pre-activation edges" in widget("2_2(0.5)1", edge="pre")._repr_html_()
    True

    Raises :class:`~dagnngp.playground.views.RequestError` (a ``ValueError``) on a
    bad motif or option, with the message the page would show.
    """
    if isinstance(motifs, str):
        motifs = [motifs]
    return PlaygroundView(compute_views({"motifs": list(motifs), "C": C, "activation": activation,
                                         "sigma_b": sigma_b, "depth": depth, "edge": edge,
                                         "readout": readout}))
