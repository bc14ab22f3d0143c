# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Effective depth and width, and the NAS filter on real data
#
# Definition 4.1 of the paper summarises a cell by its paths: with $P$ input–output paths and $d_p$
# parameterised operations on path $p$,
#
# $$\bar d = \frac{1}{P}\sum_p d_p, \qquad \bar m = \frac{\#\{p : d_p > 0\}}{\bar d}.$$
#
# The paper keeps, before a training-free NAS method scores it, only a cell whose $(\bar d, \bar m)$
# lies in a box around the centre of the search space. This notebook reproduces the box on
# NAS-Bench-201 and looks at real accuracies.

# %%
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from dagnngp.nas.cells import nb201_space_points, parse_nb201
from dagnngp.nas.evaluate import default_data_dir, read_columns, table_report
from dagnngp.nas.filter import CODE_BOX_NB201, PAPER_CENTER_NB201, center_radius

cell = parse_nb201("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|")
print("motif:", cell.motif, " d_p:", cell.motif.paths(), " (d_bar, m_bar):", cell.effective_depth_width())

# %% [markdown]
# ## The whole space: 15,625 cells, 32 points
#
# Convolutions count as parameterised, skip and pooling as not, `none` removes the edge.

# %%
pts = nb201_space_points()
uniq, counts = np.unique(np.round(pts, 9), axis=0, return_counts=True)
print(len(pts), "cells,", len(uniq), "distinct (d_bar, m_bar) points")
centre = center_radius(pts)  # d_bar = 0 cells excluded from the extremes, as the paper did
print("centre", np.round(centre.center, 4), " half radius", np.round(centre.half_radius, 4),
      "  (paper: (1.6, 2.2) +- (0.7, 0.9))")
paper_box = PAPER_CENTER_NB201.box(0.5)
print("kept by the paper's box:", int(paper_box.mask(pts).sum()), "  by the public code's box:",
      int(CODE_BOX_NB201.mask(pts).sum()))

# %% [markdown]
# ## Real accuracies
#
# The project ships NAS-Bench-201's 12-epoch results for all cells (see the data folder's README).
# If the folder is absent (for example after installing from a wheel), set `$DAGNNGP_DATA`.

# %%
data_dir = default_data_dir()
if data_dir is None:
    print("no data folder found: set $DAGNNGP_DATA to the folder holding nb201_12epoch_accuracy.csv")
else:
    table = read_columns(data_dir / "nb201_12epoch_accuracy.csv", ["arch_str", "cifar10-test"])
    rep = table_report(table, arch_col="arch_str", acc_col="cifar10-test", box="paper")
    print(f"multiple correlation R of accuracy on (d_bar, m_bar): {rep['R']:.3f} over cells, "
          f"{rep['R_groups']:.3f} over the {len(rep['groups'])} group means")
    for side in ("inside", "outside"):
        s = rep[side]
        print(f"{side:8s} the paper's box: {s['count']:5d} cells, mean {s['mean']:.2f} %, median {s['median']:.2f} %")
    g = rep["groups"]
    fig, ax = plt.subplots(figsize=(8, 5), layout="constrained")
    sd = np.array([x["std"] or 0.0 for x in g])
    sc = ax.scatter([x["dbar"] for x in g], [x["mbar"] for x in g], c=[x["mean"] for x in g],
                    s=30 + 500 * sd / sd.max(), cmap="inferno", edgecolors="0.2")
    fig.colorbar(sc, label="mean CIFAR-10 test accuracy (%, 12 epochs)")
    ax.add_patch(plt.Rectangle((paper_box.d_lo, paper_box.m_lo), paper_box.d_hi - paper_box.d_lo,
                               paper_box.m_hi - paper_box.m_lo, fill=False, lw=2, color="tab:green"))
    ax.set(xlabel=r"effective depth $\bar d$", ylabel=r"effective width $\bar m$",
           title="NAS-Bench-201 groups (marker area = accuracy std); green: the paper's box")
    plt.show()

# %% [markdown]
# The box keeps most of the good cells and drops the degenerate ones (no convolution on any path,
# $\bar d = 0$) and the extremes. The paper's filter is a coarse pre-selection: it does not rank
# cells inside the box.
