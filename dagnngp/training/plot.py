"""The loss-curve figure of :func:`dagnngp.training.compare` (matplotlib's Agg backend, imported on use).

One panel per step rule: for each motif the seeds' mean training loss (solid) with a band
of one standard deviation, the infinite-width prediction (dashed) and the paper's bound
(dotted), on a log scale.  The PNG is written atomically; where the numbers came from goes
into its ``Source`` text field.

>>> import tempfile, pathlib
>>> from dagnngp.training.data import synthetic_task
>>> from dagnngp.training.experiment import compare
>>> X, y = synthetic_task(4, 3)
>>> res = compare(["2_02"], X, y, ["max:1"], width=16, seeds=2, steps=3, progress=False)
>>> plot_comparison(res, pathlib.Path(tempfile.mkdtemp()) / "t.png").name
't.png'
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["draw_comparison", "plot_comparison"]

_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]


def draw_comparison(result: dict[str, Any], title: str = "") -> Any:
    """The figure of ``result`` (from :func:`~dagnngp.training.compare`): one panel per step rule.

    The legend sits below the panels, clear of the curves.
    """
    import matplotlib

    if matplotlib.get_backend().lower() != "agg":
        matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    rules = result["rules"]
    motifs = result["settings"]["motifs"]
    fig, axes = plt.subplots(1, len(rules), figsize=(max(6.0, 4.6 * len(rules)), 5.0), dpi=100,
                             layout="constrained", squeeze=False)
    handles: dict[str, Any] = {}
    for ax, rule in zip(axes[0], rules.values(), strict=True):
        for i, name in enumerate(motifs):
            e = rule["motifs"][name]
            colour = _COLOURS[i % len(_COLOURS)]
            if e["measured_mean"] is not None:
                mean = np.asarray(e["measured_mean"])
                k = np.arange(mean.size)
                (line,) = ax.plot(k, mean, color=colour, lw=1.8)
                handles.setdefault(name, line)
                std = np.asarray(e["measured_std"], dtype=float)
                if np.all(np.isfinite(std)):
                    lo = np.maximum(mean - std, mean * 1e-3)
                    ax.fill_between(k, lo, mean + std, color=colour, alpha=0.18, lw=0)
            if e["predicted"] is not None:
                ax.plot(np.asarray(e["predicted"]), color=colour, lw=1.2, ls="--")
            if e["bound"] is not None:
                ax.plot(np.asarray(e["bound"]), color=colour, lw=1.0, ls=":")
        agree = rule["ranking"]["agree"]
        verdict = "" if agree is None else ("\nranking: predicted = measured" if agree
                                            else "\nranking: predicted != measured")
        diverged = sum(e["diverged"] for e in rule["motifs"].values())
        ax.set_title(f"{rule['label']}{verdict}" + (f"; {diverged} runs diverged" if diverged else ""),
                     fontsize=10)
        ax.set_yscale("log")
        ax.set_xlabel("gradient step k")
        ax.set_ylabel("training loss 1/2 ||u - y||^2")
        ax.grid(alpha=0.3, which="both")
    (pred,) = axes[0][0].plot([], [], color="0.3", ls="--")
    (bound,) = axes[0][0].plot([], [], color="0.3", ls=":")
    labels = [*handles, "infinite-width prediction", "paper's bound (3)"]
    fig.legend([*handles.values(), pred, bound], labels, loc="outside lower center",
               ncol=min(len(labels), 5), fontsize=9, frameon=False)
    if title:
        fig.suptitle(title, fontsize=11)
    return fig


def plot_comparison(result: dict[str, Any], path: Path | str, title: str = "",
                    source: str = "") -> Path:
    """Draw ``result`` into the PNG ``path`` (written atomically, ``source`` in its Source field)."""
    import matplotlib.pyplot as plt

    fig = draw_comparison(result, title)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".png", dir=path.parent)
    os.close(fd)
    try:
        fig.savefig(tmp, format="png", metadata={"Source": source} if source else None)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        plt.close(fig)
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path
