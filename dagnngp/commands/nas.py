"""``dagnngp nas``: effective depth/width of NAS cells, the filter, its evaluation on data, kernel scores.

>>> from dagnngp.cli import main
>>> main(["nas", "cell", "2_21_112"])
cell     2_21_112
motif    2_21_112  (4 nodes)
paths    4, linear edges per path {0: 1, 1: 1, 2: 2}
d_bar    1.2500
m_bar    2.4000
inside   paper NB201: d in [0.9, 2.3], m in [1.3, 3.1]
inside   code NB201: d in [0.99, 2.51], m in [0.99, 3.01]
0
"""

from __future__ import annotations

import argparse
import math
import time

from dagnngp.commands._common import add_max_memory, dump_json, finite_float, int_range
from dagnngp.limits import check_memory, check_work

#: Default limit of ``nas search --max-work`` (sampled cells; about a minute).
MAX_SEARCH_WORK = 1e8

#: Longest cell string ``nas cell`` reads (a DARTS genotype is a few hundred characters).
MAX_CELL_CHARS = 100_000

HELP = ("NAS cells: effective depth/width, the (d, m) filter, accuracy tables, simulated search and "
        "kernel scores")

BOXES = ("paper", "code", "computed")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="nas_command", metavar="ACTION")
    sub.required = True

    p = sub.add_parser("cell", help="d_bar, m_bar, paths and box verdicts of one cell",
                       description="Effective depth/width of one cell: a NAS-Bench-201 string, "
                       "a DARTS normal cell ([(op, input), ...] or Genotype(...)) or a motif string.")
    p.add_argument("arch", help="the cell (quote it in the shell)")
    p.add_argument("--space", choices=("auto", "nb201", "darts", "motif"), default="auto")
    p.add_argument("--json", action="store_true", help="print one JSON object")

    p = sub.add_parser("space", help="enumerate a whole space: extremes, centre, box counts",
                       description="Enumerate NAS-Bench-201 (15,625 cells) or the class-level DARTS "
                       "normal cells (46,080) and print the centre/radius beside the paper's constants.")
    p.add_argument("space", choices=("nb201", "darts"))
    p.add_argument("--include-zero-depth", action="store_true",
                   help="take extremes over all cells, d_bar = 0 included (the paper excludes them)")
    p.add_argument("--json", action="store_true")

    for name, helptext in (
        ("table", "accuracy by (d_bar, m_bar) group, multiple correlation R, inside/outside the box"),
        ("search", "simulated training-free search with and without the filter, plus baselines"),
    ):
        p = sub.add_parser(name, help=helptext, description=helptext + ". FILE is a CSV path; a bare "
                           "name is also looked up in the data folder ($DAGNNGP_DATA or ../shared/data).")
        p.add_argument("file", metavar="FILE.csv")
        p.add_argument("--arch-col", default="arch_str", help="column with the cells (default arch_str)")
        p.add_argument("--acc-col", default="cifar10-test" if name == "table" else "val_accuracy",
                       help="accuracy column (default %(default)s)")
        p.add_argument("--dataset", help="keep only rows whose --dataset-col equals this value")
        p.add_argument("--dataset-col", default="dataset", help="(default %(default)s)")
        p.add_argument("--space", choices=("auto", "nb201", "darts", "motif"), default="auto")
        p.add_argument("--box", choices=BOXES, default="paper",
                       help="paper: the paper's centre +- fraction*radius; code: the public code's fixed "
                       "[0.99, 2.51] x [0.99, 3.01]; computed: centre/radius of this table's cells")
        p.add_argument("--radius-fraction", type=finite_float, default=None,
                       help="fraction of the radius for paper/computed boxes (default 0.5)")
        p.add_argument("--drop-missing", action="store_true", help="skip rows with an empty value")
        p.add_argument("--json", action="store_true", help="print one JSON object")
        if name == "table":
            p.add_argument("--plot", metavar="OUT.png", help="write a Fig. 5-style scatter")
        else:
            p.add_argument("--score-col", default="nwot",
                           help="score column, higher is better (default nwot)")
            p.add_argument("--runs", type=int_range(2), default=500,
                           help="number of search runs (default 500)")
            p.add_argument("--samples", type=int_range(1), default=100,
                           help="cells sampled per run (default 100)")
            p.add_argument("--seed", type=int_range(0), default=0)
            add_max_memory(p)
            p.add_argument("--max-work", type=finite_float, default=MAX_SEARCH_WORK, metavar="N",
                           dest="max_work", help="refuse searches estimated above N sampled cells, "
                           f"runs x (samples + 50) (default {MAX_SEARCH_WORK:g})")


    p = sub.add_parser("scores", help="training-free scores from each cell's infinite-width kernels, "
                       "ranked against accuracy and beside the zero-cost proxies",
                       description="Map NAS-Bench-201 cells to pre-activation motifs (ReLU-conv-BN a linear "
                       "edge, skip and pooling skip edges), score each by its NTK and NNGP on a fixed "
                       "input set (condition number, extreme eigenvalues, normalised 2x2 gap) and print "
                       "Kendall tau and Spearman rho against the accuracy tables and the zero-cost "
                       "proxies' own. FILEs are CSV paths or names in the data folder "
                       "($DAGNNGP_DATA or ../shared/data).")
    p.add_argument("--accuracy", metavar="FILE.csv", default="nb201_12epoch_accuracy.csv",
                   help="table with arch_str and the accuracy columns (default %(default)s)")
    p.add_argument("--zero-cost", metavar="FILE.csv", default="nb201_zero_cost_725.csv",
                   help="table with dataset, arch_str, val_accuracy and the proxies (default %(default)s)")
    p.add_argument("--acc-col", action="append", metavar="COL", dest="acc_cols",
                   help="accuracy column of --accuracy (repeat for several; default cifar10-test, "
                   "cifar100-test, imagenet-test)")
    p.add_argument("--no-accuracy", action="store_true", help="skip the accuracy table")
    p.add_argument("--no-zero-cost", action="store_true", help="skip the zero-cost table")
    p.add_argument("--limit", type=int_range(3), default=None, metavar="N",
                   help="only the first N rows of each table (of each dataset); default all")
    p.add_argument("--cells", type=int_range(1, 21), default=1, metavar="L",
                   help="chain L copies of the cell (default 1)")
    p.add_argument("--pool-weight", type=finite_float, default=1.0, metavar="W",
                   help="weight of avg_pool_3x3's skip edge (default 1: one spatial position)")
    p.add_argument("--inputs", type=int_range(2, 512), default=8, metavar="N",
                   help="number of inputs in the fixed input set (default 8)")
    p.add_argument("--correlation", type=finite_float, default=0.5, metavar="RHO",
                   help="typical correlation of the inputs, in [0, 1) (default 0.5)")
    p.add_argument("--seed", type=int_range(0), default=0)
    p.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    return {"cell": _cell, "space": _space, "table": _table, "search": _search,
            "scores": _scores}[args.nas_command](args)


def _fmt(x: float | None, nd: int = 4) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{nd}f}"


def _cell(args: argparse.Namespace) -> int:
    from dagnngp.motif import Motif
    from dagnngp.nas import CODE_BOX_NB201, PAPER_BOX_DARTS, PAPER_BOX_NB201, parse_darts, parse_nb201

    text = args.arch.strip()
    check_work(len(text), "nas cell", MAX_CELL_CHARS, "characters of cell string",
               note=" (no cell of a supported space is that long)")
    space = args.space
    if space == "auto":
        space = "nb201" if text.startswith("|") else (
            "darts" if text.startswith(("[", "(", "Genotype")) else "motif")
    if space == "nb201":
        obj = parse_nb201(text)
        motif, canonical = obj.motif, obj.arch_str
        boxes = [PAPER_BOX_NB201, CODE_BOX_NB201]
    elif space == "darts":
        obj = parse_darts(text)
        motif, canonical = obj.motif, repr(list(obj.normal))
        boxes = [PAPER_BOX_DARTS]
    else:
        motif = Motif.parse(text)
        canonical = str(motif)
        boxes = [PAPER_BOX_NB201, CODE_BOX_NB201]
    d, m = motif.effective_depth_width()
    out = {
        "cell": canonical, "space": space, "motif": str(motif), "dbar": d, "mbar": m,
        "n_paths": motif.n_paths, "path_depths": motif.path_depth_counts(),
        "boxes": [{**b.as_dict(), "inside": b.contains(d, m)} for b in boxes],
    }
    if args.json:
        out["path_depths"] = {str(k): v for k, v in out["path_depths"].items()}
        print(dump_json(out, missing_as_null=True))
        return 0
    print(f"cell     {canonical}")
    print(f"motif    {motif}  ({motif.n_nodes} nodes" + (", node 0 = virtual source of both inputs)"
                                                        if space == "darts" else ")"))
    print(f"paths    {motif.n_paths}, linear edges per path {dict(motif.path_depth_counts())}")
    print(f"d_bar    {_fmt(d)}")
    print(f"m_bar    {_fmt(m)}" + ("  (0 by convention: d_bar = 0)" if d == 0 else ""))
    for b in out["boxes"]:
        print(f"{'inside ' if b['inside'] else 'outside'}  {b['name']}: d in {b['d']}, m in {b['m']}")
    return 0


def _space(args: argparse.Namespace) -> int:
    import numpy as np

    from dagnngp.nas import (
        CODE_BOX_NB201,
        PAPER_CENTER_DARTS,
        PAPER_CENTER_NB201,
        center_radius,
        darts_space_points,
        nb201_space_points,
    )

    t0 = time.perf_counter()
    pts = nb201_space_points() if args.space == "nb201" else darts_space_points()
    seconds = time.perf_counter() - t0
    c = center_radius(pts, exclude_zero_depth=not args.include_zero_depth)
    paper = PAPER_CENTER_NB201 if args.space == "nb201" else PAPER_CENTER_DARTS
    used = pts[pts[:, 0] > 0] if not args.include_zero_depth else pts
    kept = {}
    for frac in (1.0, 0.75, 0.5, 0.25):
        kept[f"paper x{frac:g}r"] = int(paper.box(frac).mask(pts).sum())
        kept[f"computed x{frac:g}r"] = int(c.box(frac).mask(pts).sum())
    if args.space == "nb201":
        kept["code box"] = int(CODE_BOX_NB201.mask(pts).sum())
    out = {
        "space": args.space, "n_cells": int(len(pts)), "seconds": seconds,
        "n_zero_depth": int((pts[:, 0] == 0).sum()),
        "n_distinct_points": int(len(np.unique(np.round(pts, 9), axis=0))),
        "d_range": [float(used[:, 0].min()), float(used[:, 0].max())],
        "m_range": [float(used[:, 1].min()), float(used[:, 1].max())],
        "computed": c.as_dict(), "paper": paper.as_dict(), "kept": kept,
    }
    if args.json:
        print(dump_json(out, missing_as_null=True))
        return 0
    zero = "included" if args.include_zero_depth else "excluded"
    print(f"{args.space}: {out['n_cells']} cells enumerated in {seconds:.2f} s; "
          f"{out['n_zero_depth']} with d_bar = 0 ({zero} from the extremes); "
          f"{out['n_distinct_points']} distinct (d_bar, m_bar)")
    print(f"d_bar range {_fmt(out['d_range'][0])} .. {_fmt(out['d_range'][1])}, "
          f"m_bar range {_fmt(out['m_range'][0])} .. {_fmt(out['m_range'][1])}")
    print(f"{'':10} {'centre':>20} {'half-radius r/2':>20}")
    for label, sc in (("computed", c), ("paper", paper)):
        print(f"{label:10} ({_fmt(sc.center[0])}, {_fmt(sc.center[1])})   "
              f"({_fmt(sc.half_radius[0])}, {_fmt(sc.half_radius[1])})")
    dd = [c.center[i] - paper.center[i] for i in range(2)]
    dr = [c.half_radius[i] - paper.half_radius[i] for i in range(2)]
    print(f"{'difference':10} ({dd[0]:+.4f}, {dd[1]:+.4f})   ({dr[0]:+.4f}, {dr[1]:+.4f})")
    print("cells kept:")
    for k, v in kept.items():
        print(f"  {k:18} {v:6d}  ({100 * v / len(pts):.1f}%)")
    return 0


def _load(args: argparse.Namespace, number_cols: list[str]) -> dict:
    from dagnngp.nas import read_columns

    where = {args.dataset_col: args.dataset} if args.dataset else None
    return read_columns(args.file, [args.arch_col], number_cols, where=where, drop_missing=args.drop_missing)


def _table(args: argparse.Namespace) -> int:
    from dagnngp.nas import table_report

    table = _load(args, [args.acc_col])
    rep = table_report(table, args.arch_col, args.acc_col, box=args.box,
                       radius_fraction=args.radius_fraction, space=args.space)
    rep["file"] = str(args.file)
    rep["dataset"] = args.dataset
    rep["dropped_rows"] = table["_dropped"][0]
    if args.plot:
        from dagnngp.nas import scatter_plot

        title = f"{args.acc_col}" + (f" ({args.dataset})" if args.dataset else "") + \
            f", {rep['n_cells']} cells, R = {_fmt(rep['R'], 3)}"
        rep["plot"] = str(scatter_plot(rep, args.plot, title=title))
    if args.json:
        print(dump_json(rep, missing_as_null=True))
        return 0
    sel = f" ({args.dataset_col} = {args.dataset})" if args.dataset else ""
    print(f"{args.file}{sel}: {rep['n_cells']} cells, accuracy column {args.acc_col!r}"
          + (f", {rep['dropped_rows']} rows dropped" if rep["dropped_rows"] else ""))
    print(f"{'d_bar':>7} {'m_bar':>7} {'count':>6} {'mean':>8} {'std':>7}  box")
    for g in rep["groups"]:
        std = _fmt(g["std"], 2)
        print(f"{g['dbar']:7.4f} {g['mbar']:7.4f} {g['count']:6d} {g['mean']:8.2f} {std:>7}  "
              f"{'in' if g['inside'] else ''}")
    print(f"multiple correlation R of accuracy on (d_bar, m_bar): {_fmt(rep['R'])} over cells, "
          f"{_fmt(rep['R_groups'])} over group means")
    b = rep["box"]
    print(f"box {b['name']}: d in [{b['d'][0]:.4g}, {b['d'][1]:.4g}], "
          f"m in [{b['m'][0]:.4g}, {b['m'][1]:.4g}]")
    for side in ("inside", "outside"):
        s = rep[side]
        print(f"  {side:8} {s['count']:6d} cells ({100 * s['fraction']:.1f}%)  mean {_fmt(s['mean'], 2)}  "
              f"std {_fmt(s['std'], 2)}  median {_fmt(s['median'], 2)}  max {_fmt(s['max'], 2)}")
    best = rep["best"]
    print(f"best cell {best['acc']:.2f} at (d_bar, m_bar) = ({best['dbar']:.4f}, {best['mbar']:.4f}), "
          f"{'inside' if best['inside'] else 'outside'} the box: {best['cell']}")
    if args.plot:
        print(f"plot written to {rep['plot']}")
    return 0


def search_estimate(runs: int, samples: int) -> tuple[float, float]:
    """Estimated memory (bytes) and work (sampled cells) of ``nas search``.

    Ten arrays of ``runs`` floats (the chosen accuracy and the evaluations of
    five methods) and a few arrays of ``samples`` per run; each run also costs
    about 50 sampled cells' worth of fixed overhead.

    >>> search_estimate(500, 100)
    (44800.0, 75000.0)
    """
    return 8.0 * (10 * runs + 6 * samples), float(runs) * (samples + 50)


def _search(args: argparse.Namespace) -> int:
    from dagnngp.nas import depth_width_points, resolve_box, simulate_search

    mem, work = search_estimate(args.runs, args.samples)
    what = f"nas search --runs {args.runs} --samples {args.samples}"
    check_memory(mem, what, args.max_memory)
    check_work(work, what, args.max_work, "sampled cells", "--max-work")

    table = _load(args, [args.score_col, args.acc_col])
    pts = depth_width_points(table[args.arch_col], args.space, table["_line"], args.arch_col)
    space = "darts" if args.space == "darts" else "nb201"
    box = resolve_box(args.box, pts, args.radius_fraction, space)
    rep = simulate_search(table[args.score_col], table[args.acc_col], box.mask(pts),
                          runs=args.runs, samples=args.samples, seed=args.seed, max_memory=args.max_memory)
    rep.update({"file": str(args.file), "dataset": args.dataset, "score_col": args.score_col,
                "acc_col": args.acc_col, "box": box.as_dict(), "dropped_rows": table["_dropped"][0]})
    if args.json:
        print(dump_json(rep, missing_as_null=True))
        return 0
    sel = f" ({args.dataset_col} = {args.dataset})" if args.dataset else ""
    print(f"{args.file}{sel}: {rep['n_cells']} cells; score {args.score_col!r}, accuracy {args.acc_col!r}")
    print(f"{rep['runs']} runs x {rep['samples']} samples (with replacement), seed {rep['seed']}; "
          f"box {box}")
    print(f"{'method':24} {'accuracy mean':>14} {'std':>7} {'evaluations/run':>16}")
    for name, m in rep["methods"].items():
        print(f"{name:24} {m['mean']:14.2f} {m['std']:7.2f} {m['evaluations_per_run']:16.1f}")
    print(f"score evaluations saved by the filter: {100 * rep['saved_fraction']:.1f}% "
          f"(box keeps {100 * rep['kept_fraction_of_table']:.1f}% of the table); "
          f"runs where the box kept no sample: {rep['fallback_runs']}")
    print(f"best accuracy in the table: {rep['best_accuracy_in_table']:.2f}")
    return 0


def _scores(args: argparse.Namespace) -> int:
    from dagnngp.nas.scores import KERNEL_SCORES, score_gram, score_report

    if args.no_accuracy and args.no_zero_cost:
        raise ValueError("nothing to evaluate: --no-accuracy and --no-zero-cost together")
    if not 0.0 <= args.correlation < 1.0:
        raise ValueError(f"--correlation must lie in [0, 1), got {args.correlation:g}")
    K0 = score_gram(args.inputs, args.correlation, dim=max(64, args.inputs), seed=args.seed)
    t0 = time.perf_counter()
    rep = score_report(None if args.no_accuracy else args.accuracy,
                       None if args.no_zero_cost else args.zero_cost, K0=K0, pool_weight=args.pool_weight,
                       n_cells=args.cells, limit=args.limit, **({"accuracy_columns": args.acc_cols}
                                                                 if args.acc_cols else {}))
    rep["settings"].update({"correlation": args.correlation, "seed": args.seed,
                            "seconds": time.perf_counter() - t0})
    if args.json:
        print(dump_json(rep, missing_as_null=True))
        return 0
    st = rep["settings"]
    print(f"NAS-Bench-201 cells as motifs with edge={st['edge']!r}, c_sigma = 2, no bias, "
          f"pool weight {st['pool_weight']:g}, {st['n_cells']} cell(s) chained; {st['n_inputs']} inputs "
          f"with correlation about {args.correlation:g} (seed {args.seed}); NTK with readout")
    print("each entry: Kendall tau / Spearman rho of the score against accuracy")

    def pair(r: dict) -> str:
        return f"{_fmt(r['kendall_tau'], 3):>6} / {_fmt(r['spearman_rho'], 3):>6}"

    def table(title: str, columns: dict[str, dict], names: list[str], mark: set[str]) -> None:
        print()
        print(title)
        print(f"{'score':22}" + "".join(f"{c[:17]:>18}" for c in columns))
        for name in names:
            label = name + (" (proxy)" if name in mark else "")
            print(f"{label:22}" + "".join(f"{pair(col[name]):>18}" for col in columns.values()))

    if "accuracy" in rep:
        a = rep["accuracy"]
        table(f"{a['file']}: {a['n_rows']} cells, {a['n_disconnected']} without an input-output path "
              "left out", a["targets"], list(KERNEL_SCORES), set())
    if "zero_cost" in rep:
        z = rep["zero_cost"]
        per = z["datasets"]
        merged = {ds: {**d["kernel"], **d["proxies"]} for ds, d in per.items()}
        proxies = list(next(iter(per.values()))["proxies"])
        counts = ", ".join(f"{ds} {d['n_rows']} ({d['n_disconnected']} left out)" for ds, d in per.items())
        table(f"{z['file']} (val_accuracy): {counts}", merged, [*KERNEL_SCORES, *proxies], set(proxies))
    print(f"\n{st['seconds']:.1f} s")
    return 0
