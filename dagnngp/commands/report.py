"""``dagnngp report``: the paper's analysis, reproduced and checked, as one HTML page.

A bad argument is a one-line message on stderr and exit status 2, before anything is written:

>>> from dagnngp.cli import main
>>> main(["report", "--out", "report-not-written", "2_2x"])
2
"""

from __future__ import annotations

import argparse
import sys

HELP = "the main job: derive, bound, Monte Carlo-check and audit the paper's DAGs; write an HTML report"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "motifs",
        nargs="*",
        metavar="MOTIF",
        help="extra motifs to derive and compare beside DAG#1-3, e.g. 2_12_122 "
        "(0 zero, 1 skip, 2 linear; or a NAS-Bench-201 cell string)",
    )
    parser.add_argument(
        "--out",
        default="dagnngp-report",
        metavar="DIR",
        help="output folder (default: dagnngp-report): new, empty or a previous report's; the report "
        "set is built beside it and replaces it only when complete, so Ctrl-C leaves it as it was",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--quick",
        dest="quick",
        action="store_true",
        default=True,
        help="smaller Monte Carlo and the quick check suite (default; about a minute)",
    )
    mode.add_argument(
        "--full",
        dest="quick",
        action="store_false",
        help="larger Monte Carlo (widths to 8192, 40 draws) and the full check suite",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of every random draw (default 0)")
    parser.add_argument(
        "--only",
        metavar="SECTION[,SECTION]",
        help="run only these sections: dual_map, example_dags, kernels, monte_carlo, training, checks, "
        "rule12_audit, nas (default: all)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar even on a terminal")


def run(args: argparse.Namespace) -> int:
    from dagnngp.report import build_report

    rep = build_report(
        args.out,
        quick=args.quick,
        motifs=tuple(args.motifs),
        seed=args.seed,
        progress=False if args.no_progress else None,
        only=None if args.only is None else [k.strip() for k in args.only.split(",") if k.strip()],
    )
    out = args.out
    print(
        f"report written to {out}/report.html ({rep['elapsed_seconds']:.1f} s); "
        f"also report.md, report.json and the PNGs"
    )
    status = 0
    for sec in rep["sections"]:
        state = sec["status"]
        line = f"  {sec['title']}: {state} ({sec['seconds']:.1f} s)"
        if state != "ok":
            line += f" - {sec.get('reason', '')}"
        print(line)
        if state == "failed":
            status = 1
    if status:
        print(
            "dagnngp report: error: a section failed; the report shows the error in its place",
            file=sys.stderr,
        )
    return status
