"""Fig. 5-style scatter of accuracy over the ``(d_bar, m_bar)`` plane.

Each dot is one ``(d_bar, m_bar)`` group of a :func:`~dagnngp.nas.evaluate.table_report`;
colour is the group's mean accuracy (dark = low), area grows with the
group's accuracy variance, and the filter box is drawn as a dashed rectangle.
Matplotlib is imported on first use, with the non-interactive Agg backend.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

__all__ = ["scatter_plot"]


def scatter_plot(report: dict, path: str | os.PathLike, title: str | None = None, dpi: int = 110) -> Path:
    """Write the scatter of ``report`` (from ``table_report``) to a PNG file; returns the path.

    >>> import tempfile, pathlib
    >>> from dagnngp.nas.evaluate import table_report
    >>> rep = table_report({"a": ["2_02_002", "2_22_222", "1_12_112", "2_22_122"],
    ...                     "y": [60.0, 90.0, 70.0, 80.0]}, "a", "y")
    >>> out = scatter_plot(rep, pathlib.Path(tempfile.mkdtemp()) / "fig.png"); out.stat().st_size > 0
    True
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    groups = report.get("groups")
    if not groups:
        raise ValueError("the report has no groups to plot; build it with dagnngp.nas.table_report")
    out = Path(path)
    if out.suffix.lower() != ".png":
        raise ValueError(f"plot path {str(path)!r} must end in .png")
    if not out.parent.exists():
        raise FileNotFoundError(f"folder {str(out.parent)!r} for the plot does not exist")
    d = [g["dbar"] for g in groups]
    m = [g["mbar"] for g in groups]
    mean = [g["mean"] for g in groups]
    var = [(g["std"] or 0.0) ** 2 for g in groups]
    vmax = max(var) or 1.0

    def size(v: float) -> float:
        return 20 + 480 * v / vmax

    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    sc = ax.scatter(d, m, c=mean, s=[size(v) for v in var], cmap="inferno", edgecolors="grey", linewidths=0.5)
    cbar = fig.colorbar(sc, ax=ax)
    cbar.set_label(f"mean {report.get('acc_col', 'accuracy')} (%)")
    box = report.get("box")
    if box:
        (dl, dh), (ml, mh) = box["d"], box["m"]
        ax.add_patch(plt.Rectangle((dl, ml), dh - dl, mh - ml, fill=False, ls="--", ec="tab:blue",
                                   lw=1.2, label=f"box: {box.get('name') or 'filter'}"))
    for v in sorted({vmax, vmax / 4, vmax / 16}, reverse=True):
        ax.scatter([], [], s=size(v), c="lightgrey", edgecolors="grey", label=f"variance {v:.3g}")
    ax.legend(loc="upper right", fontsize=8, labelspacing=1.2, borderpad=0.9)
    ax.set_xlabel(r"effective depth $\bar d$")
    ax.set_ylabel(r"effective width $\bar m$")
    r = report.get("R")
    r_text = f"R = {r:.3f} (cells)" if isinstance(r, float) and math.isfinite(r) else ""
    ax.set_title(title or f"{report.get('acc_col', '')}, {report.get('n_cells', '')} cells  {r_text}")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out, dpi=dpi)
    plt.close(fig)
    return out
