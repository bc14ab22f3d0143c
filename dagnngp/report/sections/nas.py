"""Section 7: effective depth/width of NAS-Bench-201 cells, the paper's filter and the shipped data."""

from __future__ import annotations

import numpy as np

from dagnngp.report import plots
from dagnngp.report.sections.common import Skip, figure, table
from dagnngp.report.settings import Settings

KEY = "nas"
TITLE = "Effective depth/width and the NAS-Bench-201 filter"


def run(settings: Settings) -> dict:
    """The NAS-Bench-201 filter constants and, when the data are found, the accuracy scatter."""
    try:
        from dagnngp.nas.cells import nb201_space_points
        from dagnngp.nas.evaluate import default_data_dir, find_table, read_columns, table_report
        from dagnngp.nas.filter import CODE_BOX_NB201, PAPER_CENTER_NB201, center_radius
    except ImportError as exc:
        raise Skip(f"the NAS module is not installed ({exc})") from exc
    pts = nb201_space_points()
    centre = center_radius(pts)
    paper_box = PAPER_CENTER_NB201.box(0.5)
    kept_paper = int(paper_box.mask(pts).sum())
    kept_code = int(CODE_BOX_NB201.mask(pts).sum())
    n_groups = len(np.unique(np.round(pts, 9), axis=0))
    const_rows = [
        [
            "centre (d̄*, m̄*)",
            f"({centre.center[0]:.4f}, {centre.center[1]:.4f})",
            "(1.6, 2.2)",
            "(1.625, 2.1667)",
        ],
        [
            "half radius",
            f"({centre.half_radius[0]:.4f}, {centre.half_radius[1]:.4f})",
            "(0.7, 0.9)",
            "(0.6875, 0.9167)",
        ],
        ["cells kept by the paper's box", kept_paper, "", 6256],
        ["cells kept by the public code's box", kept_code, "", 8226],
        ["distinct (d̄, m̄) pairs", n_groups, "", 32],
    ]
    data: dict = {
        "center": centre.as_dict(),
        "kept_paper_box": kept_paper,
        "kept_code_box": kept_code,
        "n_groups": n_groups,
        "paper_box": paper_box.as_dict(),
        "code_box": CODE_BOX_NB201.as_dict(),
    }
    tables = [
        table(
            "NAS-Bench-201, all 15,625 cells: filter constants (d̄ = 0 cells excluded from the extremes)",
            ["quantity", "computed", "paper", "reference"],
            const_rows,
        )
    ]
    summary = [
        f"All 15,625 NAS-Bench-201 cells take {n_groups} distinct (d̄, m̄) values; the paper's centre and "
        f"radius are reproduced; its box keeps {kept_paper} cells, the public code's box {kept_code}."
    ]
    findings = [
        f"NAS-Bench-201's 15,625 cells take {n_groups} distinct (d̄, m̄) values; the paper's filter box "
        f"keeps {kept_paper} of them and the public code's box {kept_code}."
    ]
    figures = []
    data_dir = default_data_dir()
    csv = find_table(data_dir / "nb201_12epoch_accuracy.csv") if data_dir is not None else None
    if csv is None:
        summary.append(
            "The benchmark data folder was not found (set $DAGNNGP_DATA to the folder holding "
            "nb201_12epoch_accuracy.csv), so the accuracy scatter is skipped."
        )
        data["data_file"] = None
    else:
        acc_col = "cifar10-test"
        columns = read_columns(csv, ["arch_str", acc_col])
        rep = table_report(columns, arch_col="arch_str", acc_col=acc_col, box="paper")
        groups = rep["groups"]
        src = (
            f"{csv.name} (NAS-Bench-201, 12-epoch training, {rep['n_cells']} cells), column {acc_col}; "
            "dots = cells sharing (d̄, m̄); marker area = std of accuracy in the group"
        )
        plots.plot_nas_scatter(
            [g["dbar"] for g in groups],
            [g["mbar"] for g in groups],
            [g["mean"] for g in groups],
            [g["std"] or 0.0 for g in groups],
            [g["count"] for g in groups],
            settings.out_dir / "nas_scatter.png",
            boxes={
                "paper box (1.6±0.7, 2.2±0.9)": (
                    paper_box.d_lo,
                    paper_box.d_hi,
                    paper_box.m_lo,
                    paper_box.m_hi,
                ),
                "public code box": (
                    CODE_BOX_NB201.d_lo,
                    CODE_BOX_NB201.d_hi,
                    CODE_BOX_NB201.m_lo,
                    CODE_BOX_NB201.m_hi,
                ),
            },
            accuracy_label="CIFAR-10 test accuracy (%, 12 epochs)",
            source=src,
        )
        ins, outs = rep["inside"], rep["outside"]
        findings.append(
            f"On the shipped 12-epoch CIFAR-10 accuracies, cells inside the paper's box average "
            f"{ins['mean']:.2f} % against {outs['mean']:.2f} % outside; the multiple correlation of "
            f"accuracy with (d̄, m̄) is R = {rep['R']:.3f} over cells."
        )
        summary.append(
            f"On {csv.name} ({acc_col}): multiple correlation of accuracy on (d̄, m̄) R = {rep['R']:.3f} over "
            f"cells, {rep['R_groups']:.3f} over group means; inside the paper's box mean accuracy "
            f"{ins['mean']:.2f} % ({ins['count']} cells), "
            f"outside {outs['mean']:.2f} % ({outs['count']} cells)."
        )
        tables.append(
            table(
                f"Accuracy by (d̄, m̄) group ({acc_col}, %)",
                ["d̄", "m̄", "cells", "mean", "std", "inside paper box"],
                [[g["dbar"], g["mbar"], g["count"], g["mean"], g["std"], g["inside"]] for g in groups],
            )
        )
        figures.append(
            figure(
                "nas_scatter.png",
                "Scatter in the style of the paper's Figure 5: NAS-Bench-201 cells grouped by "
                "(d̄, m̄): colour = mean CIFAR-10 accuracy, marker area = spread (std) of accuracy, "
                "with the paper's "
                "and the public code's filter boxes.",
                src,
            )
        )
        data["data_file"] = str(csv)
        data["table_report"] = rep
    return {
        "findings": findings,
        "summary": summary,
        "source": "dagnngp.nas on the enumerated NAS-Bench-201 space and the shipped benchmark tables",
        "tables": tables,
        "figures": figures,
        "data": data,
    }
