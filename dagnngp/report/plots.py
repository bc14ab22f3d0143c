"""The report's figures, drawn with matplotlib's Agg backend (imported on first use).

Every function takes plain numbers (lists or arrays, the same ones the report
stores in its JSON), writes one PNG of a fixed pixel size (:data:`FIGSIZE` x
:data:`DPI`) and returns its path.  Where the numbers came from is stored in the
PNG's ``Source`` text field, and the report prints it once, under the figure.
No two labels of a figure overlap (see :func:`label_overlaps`): legends sit
outside the data or in an empty corner, and point labels that would collide
are left out (their numbers are in the report's tables).

>>> import tempfile, pathlib
>>> out = pathlib.Path(tempfile.mkdtemp()) / "h.png"
>>> C = [-1.0, 0.0, 1.0]
>>> plot_dual_map(C, {1: [0.0, 0.3183, 1.0]}, {0.0: [0.0, 0.3183, 0.4937]}, out).name
'h.png'
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

__all__ = [
    "DPI",
    "FIGSIZE",
    "label_overlaps",
    "plot_dual_map",
    "plot_gaps",
    "plot_kernels",
    "plot_mc_error",
    "plot_nas_scatter",
    "png_size",
]

#: Figure size in inches and resolution: every report PNG is 1200 x 600 pixels.
FIGSIZE = (12.0, 6.0)
DPI = 100

_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]


def _pyplot():
    import matplotlib

    if matplotlib.get_backend().lower() != "agg":
        matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _figure(ncols: int):
    plt = _pyplot()
    fig, axes = plt.subplots(1, ncols, figsize=FIGSIZE, dpi=DPI, layout="constrained")
    return fig, np.atleast_1d(axes)


def _save(fig, path: Path | str, source: str) -> Path:
    """Write the PNG atomically (temp file + rename), with ``source`` in its ``Source`` text field."""
    plt = _pyplot()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".png", dir=path.parent)
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=DPI, format="png", metadata={"Source": source} if source else None)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600
        os.replace(tmp, path)
    finally:
        plt.close(fig)
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def _shown_ticklabels(axis) -> list:
    lo, hi = sorted(axis.get_view_interval())
    span = hi - lo
    return [
        t for tick, t in zip(axis.get_major_ticks() + axis.get_minor_ticks(),
                             axis.get_majorticklabels() + axis.get_minorticklabels(), strict=False)
        if t.get_visible() and t.get_text().strip() and tick.get_visible()
        and lo - 1e-9 * span <= tick.get_loc() <= hi + 1e-9 * span
    ]


def label_boxes(fig) -> list[tuple[str, object]]:
    """Every label of ``fig`` that a reader reads, as ``(text, bounding box in pixels)``.

    Titles, axis labels, shown tick labels, annotations, figure texts and whole legends.
    """
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    texts = list(fig.texts)
    boxes: list[tuple[str, object]] = []
    for ax in fig.axes:
        texts += [ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label, *ax.texts]
        texts += _shown_ticklabels(ax.xaxis) + _shown_ticklabels(ax.yaxis)
        legend = ax.get_legend()
        if legend is not None and legend.get_visible():
            boxes.append(("legend", legend.get_window_extent(renderer)))
    for legend in fig.legends:
        boxes.append(("legend", legend.get_window_extent(renderer)))
    for t in texts:
        if t.get_visible() and t.get_text().strip():
            boxes.append((t.get_text(), t.get_window_extent(renderer)))
    return boxes


def _data_boxes(ax) -> list:
    """Small boxes around the plotted data of ``ax``: each line's vertices and each marker."""
    from matplotlib.collections import PathCollection
    from matplotlib.transforms import Bbox

    boxes = []
    for line in ax.lines:
        xy = line.get_transform().transform(line.get_xydata())
        boxes += [Bbox.from_extents(x - 1, y - 1, x + 1, y + 1) for x, y in xy if np.isfinite([x, y]).all()]
    for coll in ax.collections:
        if not isinstance(coll, PathCollection):
            continue  # only scatter markers
        offsets, sizes = coll.get_offsets(), np.asarray(coll.get_sizes(), float)
        if not len(offsets) or not sizes.size:
            continue
        xy = coll.get_offset_transform().transform(offsets)
        for (x, y), s in zip(xy, np.resize(sizes, len(xy)), strict=True):
            half = np.sqrt(s) / 2 * DPI / 72 / np.sqrt(2)  # inscribed square of the round marker
            boxes.append(Bbox.from_extents(x - half, y - half, x + half, y + half))
    return boxes


def label_overlaps(fig) -> list[tuple[str, str]]:
    """The labels of ``fig`` that overlap another label, or that cover plotted data.

    Returns pairs ``(label, other label)``, and ``(label, "data")`` for a legend or a point
    label drawn over a line's vertex or a marker.

    >>> plt = _pyplot()
    >>> fig, ax = plt.subplots()
    >>> _ = ax.annotate("a", (0.5, 0.5)), ax.annotate("b", (0.5, 0.5))
    >>> label_overlaps(fig)
    [('a', 'b')]
    >>> plt.close(fig)
    """
    boxes = label_boxes(fig)
    out = []
    for i, (a, ba) in enumerate(boxes):
        out += [(a, b) for b, bb in boxes[i + 1:] if _overlap(ba, bb)]
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        data = _data_boxes(ax)
        legend = ax.get_legend()
        covers = [("legend", legend.get_window_extent(renderer))] if legend is not None else []
        covers += [(t.get_text(), t.get_window_extent(renderer)) for t in ax.texts if t.get_visible()]
        out += [(name, "data") for name, box in covers if any(_overlap(box, d) for d in data)]
    return out


def png_size(path: Path | str) -> tuple[int, int]:
    """``(width, height)`` in pixels from a PNG file's header.

    Raises ``ValueError`` when the file is not a PNG.
    """
    head = Path(path).read_bytes()[:24]
    if len(head) < 24 or head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        raise ValueError(f"{path} is not a PNG file")
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def plot_dual_map(
    C: Sequence[float],
    iterates: Mapping[int, Sequence[float]],
    trajectories: Mapping[float, Sequence[float]],
    path: Path | str,
    source: str = "closed form h(C) of the ReLU dual map (c_sigma = 2)",
) -> Path:
    """Left: ``h^k(C)`` against ``C`` with the identity; right: ``h^k(C0)`` against ``k``.

    ``iterates[k]`` holds ``h^k`` on the grid ``C``; ``trajectories[C0]`` holds
    ``C0, h(C0), h(h(C0)), ...``.
    """
    fig, (ax1, ax2) = _figure(2)
    C = np.asarray(C, dtype=float)
    ax1.plot(C, C, color="0.5", ls=":", lw=1.5, label="identity $C$")
    for i, (k, vals) in enumerate(sorted(iterates.items())):
        ax1.plot(
            C, vals, color=_COLOURS[i % len(_COLOURS)], lw=2, label="$h(C)$" if k == 1 else f"$h^{{{k}}}(C)$"
        )
    ax1.set_xlabel("input correlation $C$")
    ax1.set_ylabel("output correlation")
    ax1.set_title("ReLU dual map and its iterates")
    ax1.set_xlim(-1, 1)
    ax1.set_ylim(-1, 1.02)
    ax1.grid(alpha=0.3)
    ax1.legend(loc="lower right", fontsize=10)
    for i, (c0, traj) in enumerate(sorted(trajectories.items())):
        k = np.arange(len(traj))
        ax2.plot(
            k, traj, marker="o", ms=3, lw=1.5, color=_COLOURS[i % len(_COLOURS)], label=f"$C_0 = {c0:g}$"
        )
    ax2.axhline(1.0, color="0.5", ls=":", lw=1.5)
    ax2.set_xlabel("depth $k$ (number of linear+ReLU layers)")
    ax2.set_ylabel("correlation $h^k(C_0)$")
    ax2.set_title("Depth pulls every correlation towards 1")
    ax2.grid(alpha=0.3)
    ax2.legend(loc="lower right", fontsize=10)
    return _save(fig, path, source)


def plot_gaps(
    C: Sequence[float],
    gaps: Mapping[str, Mapping[str, Sequence[float]]],
    path: Path | str,
    source: str = "two unit-norm centred inputs with correlation C; c_sigma = 2",
) -> Path:
    """The 2x2 least eigenvalue of each motif's output kernel against ``C``.

    ``gaps[label][model]`` holds the gap on the grid ``C`` for ``model`` in
    ``("paper", "exact")``.  Left: linear axes; right: log-log against
    ``1 - C``, where the slopes show the leading coefficient of ``gap ~ kappa (1 - C)``.
    """
    fig, (ax1, ax2) = _figure(2)
    C = np.asarray(C, dtype=float)
    eps = 1.0 - C
    near = eps > 0
    for i, (label, by_model) in enumerate(gaps.items()):
        colour = _COLOURS[i % len(_COLOURS)]
        for model, style in (("paper", "-"), ("exact", "--")):
            if model not in by_model:
                continue
            g = np.asarray(by_model[model], dtype=float)
            ax1.plot(C, g, color=colour, ls=style, lw=2, label=f"{label} ({model} model)")
            ok = near & (g > 0)
            ax2.loglog(eps[ok], g[ok], color=colour, ls=style, lw=2, label=f"{label} ({model})")
    ax1.set_xlabel("input correlation $C$")
    ax1.set_ylabel(r"2x2 gap $\lambda_{\min}$ of output kernel")
    ax1.set_title(r"Upper bound on $\lambda_{\min}(K^{(H)})$ (Lemma 3.3)")
    ax1.set_xlim(-1, 1)
    ax1.set_ylim(bottom=0)
    ax1.grid(alpha=0.3)
    ax1.legend(fontsize=8, loc="upper right")
    ax2.set_xlabel(r"$1 - C$ (distance between the inputs' correlation and 1)")
    ax2.set_ylabel(r"2x2 gap $\lambda_{\min}$")
    ax2.set_title(r"Near $C = 1$: gap $\approx \kappa\,(1 - C)$")
    ax2.grid(alpha=0.3, which="both")
    ax2.legend(fontsize=8, loc="lower right")
    return _save(fig, path, source)


def plot_kernels(
    C: Sequence[float],
    kernels: Mapping[str, Mapping[str, Mapping[str, Sequence[float]]]],
    path: Path | str,
    source: str = "two unit-norm centred inputs with correlation C; c_sigma = 2",
) -> Path:
    """Output kernel entries, exact against paper model, one panel per motif.

    ``kernels[label][model]`` has ``"diagonal"`` and ``"offdiagonal"`` on the grid ``C``.
    """
    from matplotlib.ticker import MultipleLocator

    labels = list(kernels)
    fig, axes = _figure(max(1, len(labels)))
    C = np.asarray(C, dtype=float)
    handles = {}
    for ax, label in zip(axes, labels, strict=False):
        for model, colour in (("exact", _COLOURS[0]), ("paper", _COLOURS[1])):
            entries = kernels[label].get(model)
            if entries is None:
                continue
            (off,) = ax.plot(C, entries["offdiagonal"], color=colour, lw=2)
            (diag,) = ax.plot(C, entries["diagonal"], color=colour, lw=1.5, ls="--")
            handles[f"$K_{{ij}}$, {model} model"] = off
            handles[f"$K_{{ii}}$, {model} model"] = diag
        ax.set_title(label)
        ax.set_xlabel("input correlation $C$")
        ax.set_xlim(-1, 1)
        ax.xaxis.set_major_locator(MultipleLocator(0.5))  # five ticks: neighbouring panels stay apart
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("output kernel entry")
    # one legend for all panels, below them, where it covers no curve
    fig.legend(list(handles.values()), list(handles), loc="outside lower center", ncols=4, fontsize=9)
    return _save(fig, path, source)


def plot_mc_error(
    widths: Sequence[int],
    error: Sequence[float],
    error_se: Sequence[float],
    path: Path | str,
    reference_constant: float,
    paper_error: float | None = None,
    slope: float | None = None,
    label: str = "finite-width network vs exact limit",
    source: str = "",
) -> Path:
    """Monte Carlo error against width on log-log axes, with the ``c m^{-1/2}`` line.

    ``error[i]`` is the mean over draws of the spectral-norm distance between
    one network's output Gram and the exact limit at width ``widths[i]``;
    ``error_se`` its standard error.  ``paper_error`` draws the (width-independent)
    distance of the paper model's kernel from the exact limit.
    """
    fig, axes = _figure(1)
    ax = axes[0]
    w = np.asarray(widths, dtype=float)
    e = np.asarray(error, dtype=float)
    se = np.asarray(error_se, dtype=float)
    fit = f" (fitted slope {slope:.2f})" if slope is not None else ""
    ax.errorbar(
        w,
        e,
        yerr=2 * se,
        fmt="o-",
        color=_COLOURS[0],
        lw=2,
        capsize=4,
        label=f"{label}, mean $\\pm$ 2 s.e.{fit}",
    )
    grid = np.geomspace(w.min() / 1.3, w.max() * 1.3, 50)
    ax.loglog(
        grid,
        reference_constant * grid**-0.5,
        color="0.3",
        ls="--",
        lw=1.5,
        label=rf"reference ${reference_constant:.3g}\,m^{{-1/2}}$",
    )
    if paper_error is not None:
        ax.axhline(
            paper_error,
            color=_COLOURS[1],
            ls=":",
            lw=2,
            label=f"paper model vs exact limit ({paper_error:.3g}, does not shrink)",
        )
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    from matplotlib.ticker import LogFormatter

    ax.yaxis.set_major_formatter(LogFormatter(labelOnlyBase=False))
    ax.yaxis.set_minor_formatter(LogFormatter(labelOnlyBase=False, minor_thresholds=(2, 0.5)))
    ax.set_xlabel("width $m$ (neurons per node)")
    ax.set_ylabel(r"$\|G_m - K_{\mathrm{exact}}\|_2$ (spectral norm)")
    ax.set_title("Finite-width output Gram converges to the exact NNGP limit like $m^{-1/2}$")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=10, loc="lower left")
    return _save(fig, path, source)


def plot_nas_scatter(
    dbar: Sequence[float],
    mbar: Sequence[float],
    mean: Sequence[float],
    std: Sequence[float],
    count: Sequence[int],
    path: Path | str,
    boxes: Mapping[str, tuple[float, float, float, float]] | None = None,
    accuracy_label: str = "accuracy (%)",
    source: str = "",
) -> Path:
    """Fig. 5-style scatter: one dot per (d̄, m̄) group, colour = mean accuracy, size = spread.

    Marker area grows linearly with the group's accuracy standard deviation
    (the legend also gives the variance, the paper's size measure).

    ``boxes[name] = (d_lo, d_hi, m_lo, m_hi)`` draws filter boxes.
    """
    fig, axes = _figure(1)
    ax = axes[0]
    plt = _pyplot()
    d = np.asarray(dbar, dtype=float)
    m = np.asarray(mbar, dtype=float)
    acc = np.asarray(mean, dtype=float)
    sd = np.asarray(std, dtype=float)
    top = sd.max() if sd.size and sd.max() > 0 else 1.0
    size = 30 + 600 * sd / top  # marker area grows with the spread of accuracy in the group
    sc = ax.scatter(d, m, c=acc, s=size, cmap="inferno", edgecolors="0.2", linewidths=0.6, zorder=3)
    cbar = fig.colorbar(sc, ax=ax)
    cbar.set_label(f"mean {accuracy_label} of the group")
    if boxes:
        for i, (name, (d0, d1, m0, m1)) in enumerate(boxes.items()):
            ax.add_patch(
                plt.Rectangle(
                    (d0, m0),
                    d1 - d0,
                    m1 - m0,
                    fill=False,
                    lw=2,
                    ls=("-", "--", ":")[i % 3],
                    color=_COLOURS[(i + 2) % len(_COLOURS)],
                    label=name,
                    zorder=2,
                )
            )
    for v in (sd.min(), np.median(sd), sd.max()):
        ax.scatter(
            [],
            [],
            s=30 + 600 * v / top,
            color="0.7",
            edgecolors="0.2",
            label=f"accuracy std {v:.3g} % (variance {v * v:.3g})",
        )
    ax.set_xlabel(r"effective depth $\bar d$ (mean linear ops per path)")
    ax.set_ylabel(r"effective width $\bar m$ (paths with $d_p > 0$, over $\bar d$)")
    ax.set_title(r"Cells grouped by $(\bar d, \bar m)$; label = number of cells")
    ax.grid(alpha=0.3)
    fig.legend(loc="outside lower center", ncols=3, fontsize=9)  # below the axes: it covers no cell
    radii = np.sqrt(size) / 2 * DPI / 72  # marker radius in pixels (scatter sizes are areas in pt^2)
    _place_point_labels(fig, ax, d, m, [str(int(n)) for n in count], radii)
    return _save(fig, path, source)


def _overlap(a, b) -> bool:
    return min(a.x1, b.x1) > max(a.x0, b.x0) and min(a.y1, b.y1) > max(a.y0, b.y0)


def _place_point_labels(fig, ax, x, y, texts: Sequence[str], radii: np.ndarray) -> list[str]:
    """Label each point beside its marker where the label covers no other label or marker.

    Tries eight positions around the marker in turn; a label that fits nowhere is left out
    and returned.  The layout is frozen first, so the saved figure keeps these positions.
    """
    from matplotlib.transforms import Bbox

    fig.canvas.draw()
    fig.set_layout_engine("none")
    renderer = fig.canvas.get_renderer()
    taken = [box for _, box in label_boxes(fig)]
    centres = ax.transData.transform(np.column_stack([np.asarray(x, float), np.asarray(y, float)]))
    inner = np.asarray(radii, float) / np.sqrt(2)  # the square inscribed in each round marker
    markers = [Bbox.from_extents(cx - s, cy - s, cx + s, cy + s)
               for (cx, cy), s in zip(centres, inner, strict=True)]
    frame = ax.get_window_extent(renderer)
    directions = [(1, 1, "left", "bottom"), (1, -1, "left", "top"), (-1, 1, "right", "bottom"),
                  (-1, -1, "right", "top"), (1, 0, "left", "center"), (-1, 0, "right", "center"),
                  (0, 1, "center", "bottom"), (0, -1, "center", "top")]
    left_out = []
    for (xi, yi), r, text in zip(zip(x, y, strict=True), radii, texts, strict=True):
        for dx, dy, ha, va in directions:
            gap = r * 72 / DPI * (0.75 if dx and dy else 1.0) + 2  # points: just past the marker's edge
            ann = ax.annotate(text, (xi, yi), textcoords="offset points", xytext=(dx * gap, dy * gap),
                              ha=ha, va=va, fontsize=7, color="0.25", annotation_clip=False)
            box = ann.get_window_extent(renderer)
            inside = frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1
            if inside and not any(_overlap(box, other) for other in taken + markers):
                taken.append(box)
                break
            ann.remove()
        else:
            left_out.append(text)
    return left_out
