"""``dagnngp sweep``: the 2x2 gap and rule (12) of every motif of a given size."""

from __future__ import annotations

import argparse

import numpy as np

from dagnngp.commands._common import check_finite, correlation, dump_json, int_range
from dagnngp.commands.options import add_kernel_options, kernel_options, variance_notice

HELP = "2x2 gap, rule (12) and path statistics of every motif with a given number of nodes"

#: relative tolerance under which rule (12) and the gap count as equal (rounding)
EQUAL_RTOL = 1e-12


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--nodes", type=int_range(1), default=4,
                        help="number of nodes (2..6; 5 nodes = 3^10 = 59,049 motifs; default 4)")
    parser.add_argument("--C", type=correlation, default=0.5, dest="C",
                        help="correlation of the two unit-norm centred inputs, in [-1, 1] (default 0.5)")
    add_kernel_options(parser, edge=True)
    parser.add_argument("--top", type=int_range(0), default=10,
                        help="how many best and worst motifs to list (default 10)")
    parser.add_argument("--normalise", action="store_true",
                        help="rank by gap_ratio (2x2 gap over the diagonal), which does not change when the "
                             "kernel is multiplied by a constant, and leave out skip-only motifs (kernel "
                             "P K0: singular for more inputs than input dimensions)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def _relu_only(activation: str, activation_params: dict[str, float] | None) -> None:
    if activation not in ("relu", "arccos1"):
        raise ValueError(
            f"the all-motif sweep kernel is ReLU only (--activation {activation} is not supported); "
            "use 'dagnngp kernel MOTIF' with these options for single motifs"
        )
    if activation_params:
        given = " ".join(f"--param {k}={v:g}" for k, v in sorted(activation_params.items()))
        raise ValueError(f"relu takes no parameters ({given}); drop --param")


def sweep_summary(nodes: int, C: float, model: str = "exact", top: int = 10, *, c_sigma: float = 2.0,
                  sigma_b: float = 0.0, activation: str = "relu",
                  activation_params: dict[str, float] | None = None, normalise: bool = False,
                  edge: str = "post") -> dict:
    """Everything ``dagnngp sweep`` prints, as a dict.

    ``normalise`` ranks by ``gap_ratio = gap_2x2 / K_ii`` (scale-free; also reported with
    the NNGP's ``lambda_ratio = lambda_min / lambda_max``) and ranks only motifs with a
    linear edge on some input-output path: a skip-only motif's kernel is a multiple of
    ``K0``, singular as soon as there are more inputs than input dimensions, and it has
    no trainable parameters.

    >>> s = sweep_summary(4, 0.5, top=1, normalise=True)
    >>> s["best"][0]["motif"], s["n_skip_only"], round(s["best"][0]["gap_ratio"], 4)
    ('1_11_121', 121, 0.4891)

    Only motifs with at least one input-to-output path are ranked (the others
    have an all-zero output kernel).  The compiled all-motif kernel is ReLU
    only: another activation (or any activation parameter) is refused with a
    ``ValueError`` that says so.

    >>> s = sweep_summary(4, 0.5, "paper", top=1)
    >>> s["n_motifs"], s["n_with_path"], s["best"][0]["motif"]
    (729, 662, '1_11_111')
    """
    from dagnngp.numerics.motif_sweep import sweep

    if isinstance(top, bool) or not isinstance(top, int) or top < 0:
        raise ValueError(f"--top must be a non-negative int, got {top!r}")
    _relu_only(activation, activation_params)
    res = sweep(nodes, [C], model=model, c_sigma=c_sigma, sigma_b=sigma_b, edge=edge)
    gap, rule = res.gap[:, 0], res.rule12[:, 0]
    with_path = np.flatnonzero(res.n_paths > 0)
    diag = res.diagonal[:, 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(diag > 0, gap / diag, 0.0)
        lam_ratio = np.where(diag > 0, gap / (2 * diag - gap), 0.0)  # [[a, b], [b, a]]: (a-|b|)/(a+|b|)
    skip_only = res.depth_counts[:, 1:].sum(axis=1) == 0
    ranked = with_path[~skip_only[with_path]] if normalise else with_path
    key = ratio if normalise else gap
    order = ranked[np.lexsort((ranked, -key[ranked]))]  # by gap (ratio), descending; ties by code

    def row(k: int) -> dict:
        return {
            "motif": str(res.motif(int(k))),
            "gap_2x2": float(gap[k]),
            "rule12": float(rule[k]),
            "P": int(res.n_paths[k]),
            "effective_depth": float(res.d_bar[k]),
            "effective_width": float(res.m_bar[k]),
            **({"gap_ratio": float(ratio[k]), "lambda_ratio": float(lam_ratio[k])} if normalise else {}),
        }

    tol = EQUAL_RTOL * np.maximum(1.0, np.abs(gap[with_path]))
    diff = rule[with_path] - gap[with_path]
    return {
        "nodes": res.n_nodes,
        "model": model,
        "C": float(C),
        "activation": "relu",
        "c_sigma": float(c_sigma),
        "sigma_b": float(sigma_b),
        "edge": edge,
        "n_motifs": len(res),
        "n_with_path": int(with_path.size),
        "rule12_below_gap": int(np.sum(diff < -tol)),
        "rule12_equal_gap": int(np.sum(np.abs(diff) <= tol)),
        "rule12_above_gap": int(np.sum(diff > tol)),
        **({"normalised": True, "n_skip_only": int(np.sum(skip_only[with_path]))} if normalise else {}),
        "best": [row(k) for k in order[:top]],
        "worst": [row(k) for k in order[::-1][:top]],
    }


def run(args: argparse.Namespace) -> int:
    opts = kernel_options(args)
    model = opts.pop("model")
    _relu_only(opts["activation"], opts["activation_params"])
    with variance_notice("sweep", opts["activation"], opts["c_sigma"], opts["activation_params"]):
        s = sweep_summary(args.nodes, args.C, model, args.top, normalise=args.normalise, **opts)
    check_finite(s, "the sweep overflowed float64; use a smaller --c-sigma or --sigma-b")
    if args.json:
        print(dump_json(s))
        return 0
    print(f"{s['n_motifs']} motifs with {s['nodes']} nodes ({s['model']} model, relu, "
          f"c_sigma = {s['c_sigma']:g}, sigma_b = {s['sigma_b']:g}"
          f"{', pre-activation edges' if s['edge'] == 'pre' else ''}), two unit-norm "
          f"centred inputs with C = {s['C']:g}; {s['n_with_path']} have an input-output path")
    print(f"  rule (12) below the 2x2 gap: {s['rule12_below_gap']}, equal (rel. {EQUAL_RTOL:g}): "
          f"{s['rule12_equal_gap']}, above: {s['rule12_above_gap']}")
    width = 4 * s["nodes"]
    norm = bool(s.get("normalised"))
    extra = f" {'gap_ratio':>10} {'l_min/l_max':>11}" if norm else ""
    header = (f"    {'motif':<{width}} {'gap_2x2':>12} {'rule12':>12} {'P':>4} {'d_bar':>7} {'m_bar':>7}"
              + extra)
    if norm:
        print(f"  ranked by gap_ratio = 2x2 gap / K_ii (scale-free); {s['n_skip_only']} skip-only motifs "
              "(kernel P K0, no trainable parameters) left out")
    what = "gap_ratio" if norm else "2x2 gap"
    for title, rows in ((f"largest {what}", s["best"]), (f"smallest {what}", s["worst"])):
        print(f"  {title}:")
        print(header)
        for r in rows:
            tail = f" {r['gap_ratio']:10.4g} {r['lambda_ratio']:11.4g}" if norm else ""
            print(f"    {r['motif']:<{width}} {r['gap_2x2']:12.6g} {r['rule12']:12.6g} "
                  f"{r['P']:4d} {r['effective_depth']:7.4g} {r['effective_width']:7.4g}{tail}")
    return 0
