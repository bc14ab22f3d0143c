"""``dagnngp explore``: whole motif spaces, in-process or on Dask, and queries over finished runs.

>>> from dagnngp.cli import main
>>> main(["explore", "run", "--nodes", "9", "--out", "unused"])
2
"""

from __future__ import annotations

import argparse
import sys

from dagnngp.commands._common import dump_json, finite_float, int_range

HELP = "run whole motif spaces (resumable, in-process or on Dask) and query them: top-k, Pareto, census"


def _floats(text: str) -> list[float]:
    try:
        return [finite_float(t) for t in text.split(",") if t.strip()]
    except argparse.ArgumentTypeError as exc:
        raise argparse.ArgumentTypeError(f"{exc} in the list {text!r}") from None


def _names(text: str) -> list[str]:
    out = [t.strip() for t in text.split(",") if t.strip()]
    if not out:
        raise argparse.ArgumentTypeError("give at least one name")
    return out


def _range(text: str) -> tuple[int, int]:
    lo, sep, hi = text.partition(":")
    try:
        a = int(lo)
        b = int(hi) if sep else a
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an int or a LOW:HIGH range of ints") from None
    if a < 0 or b < a:
        raise argparse.ArgumentTypeError(f"{text!r} is not a range 0 <= LOW <= HIGH")
    return a, b


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    r = sub.add_parser("run", help="compute a motif space into a folder (resumes an unfinished run)")
    r.add_argument("--nodes", type=int_range(2, 8), required=True, help="number of nodes (2..8)")
    r.add_argument("--out", required=True, help="run folder (created; an unfinished run there is resumed)")
    r.add_argument("--C", type=_floats, default=[0.5], dest="C",
                   help="comma-separated correlations of the two unit-norm inputs (default 0.5)")
    r.add_argument("--C-grid", type=int_range(1, 256), default=None, dest="C_grid",
                   help="instead of --C: this many correlations evenly spaced in [0, 0.95]")
    path = r.add_mutually_exclusive_group()
    path.add_argument("--has-path", action="store_const", const=True, dest="has_path",
                      help="only motifs with an input-output path")
    path.add_argument("--no-path", action="store_const", const=False, dest="has_path",
                      help="only motifs without one")
    r.add_argument("--n-linear", type=_range, default=None, help="linear edges: N or LOW:HIGH")
    r.add_argument("--max-in-degree", type=int_range(0), default=None,
                   help="at most this many non-zero edges into a node")
    r.add_argument("--classes", action="store_true",
                   help="one row per isomorphism class (weight = number of labelled members)")
    r.add_argument("--plugins", type=_names, default=["nngp", "rule12", "paths"],
                   help="comma-separated: nngp, rule12, paths (default all)")
    r.add_argument("--keep", type=_names, default=None,
                   help="store only these column families, e.g. gap,gap_ratio,rule12 (default all)")
    r.add_argument("--model", choices=("exact", "paper"), default="exact",
                   help="kernel model (default exact)")
    r.add_argument("--c-sigma", type=finite_float, default=2.0, help="weight variance c_sigma (default 2)")
    r.add_argument("--sigma-b", type=finite_float, default=0.0, help="bias standard deviation (default 0)")
    r.add_argument("--edge", choices=("post", "pre"), default="post",
                   help="edge convention of the nngp and ntk plug-ins: post (the paper's, default) or pre")
    r.add_argument("--chunk-size", type=int_range(1), default=None, help="motifs per chunk (default 3^11)")
    r.add_argument("--scheduler", default=None,
                   help="inprocess, local (a LocalCluster) or a Dask scheduler address; default: "
                        "$DAGNNGP_SCHEDULER, else in-process up to 3^15 motifs and local above")
    r.add_argument("--workers", type=int_range(1), default=None, help="LocalCluster workers (default: cores)")
    r.add_argument("--max-chunks", type=int_range(0), default=None,
                   help="stop after this many new chunks (to measure the rate of a large space)")
    r.add_argument("--json", action="store_true", help="print one JSON object")

    t = sub.add_parser("top", help="the motifs with the largest (or smallest) value of a column")
    t.add_argument("folder")
    t.add_argument("--by", required=True, help="column, e.g. gap_ratio@0.5")
    t.add_argument("--k", type=int_range(0), default=10, help="how many (default 10)")
    t.add_argument("--ascending", action="store_true", help="smallest first")
    t.add_argument("--json", action="store_true", help="print one JSON object")

    p = sub.add_parser("pareto", help="Pareto front of (linear edges, a scale-free rate), both large")
    p.add_argument("folder")
    p.add_argument("--rate", required=True, help="column, e.g. gap_ratio@0.5")
    p.add_argument("--x", default="n_linear_path",
                   help="the other axis (default n_linear_path: linear edges on input-output paths)")
    p.add_argument("--plot", default=None, help="also save the front over all motifs as an image (PNG, PDF)")
    p.add_argument("--json", action="store_true", help="print one JSON object")

    c = sub.add_parser("census", help="count a boolean column over runs, with minimal counterexamples")
    c.add_argument("folders", nargs="+")
    c.add_argument("--column", required=True, help="boolean column or prefix, e.g. rule12_fails (any C)")
    c.add_argument("--against", default=None, help="a predicted boolean column, e.g. merges_unequal")
    c.add_argument("--k", type=int_range(0), default=5, help="minimal counterexamples listed (default 5)")
    c.add_argument("--partial", action="store_true",
                   help="count the finished chunks of unfinished runs (else they are refused)")
    c.add_argument("--json", action="store_true", help="print one JSON object")


def _spec(args: argparse.Namespace):  # -> RunSpec
    import numpy as np

    from dagnngp.explore.run import DEFAULT_CHUNK, RunSpec
    from dagnngp.space import MotifSpace

    C = [float(c) for c in np.round(np.linspace(0.0, 0.95, args.C_grid), 6)] if args.C_grid else args.C
    space = MotifSpace(args.nodes, has_path=args.has_path, n_linear=args.n_linear,
                       max_in_degree=args.max_in_degree, classes=args.classes)
    return RunSpec(space, C=tuple(C), plugins=tuple(args.plugins), model=args.model, c_sigma=args.c_sigma,
                   sigma_b=args.sigma_b, edge=args.edge, chunk_size=args.chunk_size or DEFAULT_CHUNK,
                   keep=tuple(args.keep) if args.keep else None)


def _print_rows(rows: list[dict], cols: list[str]) -> None:
    width = max([len("motif")] + [len(r["motif"]) for r in rows])
    print(f"    {'motif':<{width}} " + " ".join(f"{c:>14}" for c in cols))
    for r in rows:
        cells = " ".join(f"{r[c]:>14.6g}" if isinstance(r[c], float) else f"{r[c]!s:>14}" for c in cols)
        print(f"    {r['motif']:<{width}} {cells}")


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except ImportError as exc:  # the optional extra is missing: one line, not a traceback
        print(f"dagnngp explore: error: {exc}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    from dagnngp.explore import query
    from dagnngp.explore.run import run_space

    if args.action == "run":
        info = run_space(_spec(args), args.out, scheduler=args.scheduler, n_workers=args.workers,
                         max_chunks=args.max_chunks)
        if args.json:
            print(dump_json(info))
        else:
            state = "complete" if info["complete"] else "unfinished (run the same command again to resume)"
            print(f"{info['folder']}: {info['chunks_done']}/{info['chunks']} chunks, {state}; this call: "
                  f"{info['new_chunks']} chunks, {info['rows']} rows, {info['motifs_scanned']} motifs "
                  f"scanned in {info['seconds']:.1f} s ({info['motifs_per_second']:.3g} motifs/s, "
                  f"{info['scheduler']})")
        return 0
    if args.action == "top":
        rows = query.top(args.folder, args.by, k=args.k, ascending=args.ascending)
        if args.json:
            print(dump_json({"by": args.by, "ascending": args.ascending, "rows": rows}, missing_as_null=True))
        else:
            _print_rows(rows, [c for c in rows[0] if c not in ("motif", "nodes")] if rows else [])
        return 0
    if args.action == "pareto":
        rows = query.pareto(args.folder, args.rate, x=args.x)
        if args.plot:
            _plot_front(args.folder, args.rate, args.x, rows, args.plot)
        if args.json:
            print(dump_json({"rate": args.rate, "x": args.x, "front": rows}, missing_as_null=True))
        else:
            print(f"Pareto front of ({args.x}, {args.rate}), both large:")
            _print_rows(rows, [args.x, args.rate, "weight"])
        return 0
    res = query.census(args.folders, args.column, against=args.against, k=args.k, allow_partial=args.partial)
    if args.json:
        print(dump_json(res))
        return 0
    print(f"{res['column']}: holds for {res['true']} of {res['motifs']} motifs "
          f"({res['classes_true']} of {res['classes']} rows)")
    for r in res["runs"]:
        if r["chunks_missing"]:
            print(f"  partial: {r['folder']} has {r['chunks_missing']} chunks still missing")
    if args.against:
        print(f"  disagrees with {args.against} for {res['mismatches']} motifs "
              f"({res['mismatch_classes']} rows)")
        per = res["mismatches_per_column"]
        if len(per) > 1:
            print(f"  at each correlation on its own: {sum(1 for v in per.values() if v == 0)} of {len(per)} "
                  f"columns agree exactly; most disagreements in one column: {max(per.values())}")
    if res["minimal"]:
        label = "disagreements" if args.against else "motifs where it holds"
        print(f"  minimal {label} (fewest nodes, then edges):")
        for m in res["minimal"]:
            print(f"    {m['motif']}  ({m['nodes']} nodes, {m['edges']} edges)")
    return 0


def _plot_front(folder: str, rate: str, x: str, front: list[dict], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from dagnngp.explore.query import read_columns

    cols = read_columns(folder, [x, rate])
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.scatter(cols[x], cols[rate], s=4, alpha=0.2, color="0.5", label="motifs", rasterized=True)
    ax.plot([r[x] for r in front], [r[rate] for r in front], "o-", color="C3", label="Pareto front")
    for r in front:
        ax.annotate(r["motif"], (r[x], r[rate]), fontsize=6, xytext=(3, 3), textcoords="offset points")
    ax.set_xlabel(x)
    ax.set_ylabel(rate)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
