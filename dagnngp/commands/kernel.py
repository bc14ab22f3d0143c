"""``dagnngp kernel``: a motif's NNGP kernel and bounds for two unit inputs."""

from __future__ import annotations

import argparse

from dagnngp.commands._common import check_finite, correlation, dump_json, finite_float

HELP = "NNGP kernel, 2x2 gap and rule (12) of a motif for two unit-norm inputs with correlation C"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("motif", help="motif string, e.g. 2_21_112 (0 zero, 1 skip, 2 linear)")
    parser.add_argument("--C", type=correlation, default=0.5, dest="C",
                        help="correlation of the two inputs, in [-1, 1] (default 0.5)")
    parser.add_argument("--model", choices=("exact", "paper"), default="exact",
                        help="exact infinite-width limit (default) or the paper's recursion")
    parser.add_argument("--c-sigma", type=finite_float, default=2.0, dest="c_sigma",
                        help="weight variance scale (default 2, He initialisation)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def kernel_summary(motif: str, C: float, model: str = "exact", c_sigma: float = 2.0) -> dict:
    """Everything ``dagnngp kernel`` prints, as a dict.

    >>> kernel_summary("1_01_222", 0.0)["gap_2x2"]  # 3 (1 - h(0)) = 3 - 3/pi
    2.045070...
    """
    from dagnngp.numerics import nngp, pair_gap, pair_gram, rule12
    from dagnngp.numerics.reference import as_motif

    m = as_motif(motif)
    K0, mu0 = pair_gram(C)
    res = nngp(m, K0, mu0, model=model, c_sigma=c_sigma)
    d_bar, m_bar = m.effective_depth_width()
    return {
        "motif": str(m),
        "model": model,
        "C": C,
        "c_sigma": c_sigma,
        "diagonal": float(res.output[0, 0]),
        "offdiagonal": float(res.output[0, 1]),
        "output_mean": float(res.output_mean[0]),
        "gap_2x2": pair_gap(res.output, 0, 1),
        "rule12": float(rule12(m, C)),
        "P": m.n_paths,
        "d_p": list(m.paths()),
        "effective_depth": d_bar,
        "effective_width": m_bar,
    }


def run(args: argparse.Namespace) -> int:
    s = kernel_summary(args.motif, args.C, args.model, args.c_sigma)
    check_finite(s, f"--c-sigma {args.c_sigma:g} makes the kernel overflow float64; use a smaller one")
    if args.json:
        print(dump_json(s))
        return 0
    print(f"motif {s['motif']}  ({s['model']} model, c_sigma = {s['c_sigma']:g}), "
          f"two unit-norm centred inputs with C = {s['C']:g}")
    print(f"  output diagonal      K_ii = {s['diagonal']:.10g}")
    print(f"  output off-diagonal  K_ij = {s['offdiagonal']:.10g}")
    print(f"  2x2 least eigenvalue      = {s['gap_2x2']:.10g}")
    print(f"  rule (12)  P - sum h^d_p  = {s['rule12']:.10g}")
    print(f"  paths P = {s['P']},  d_p = {s['d_p']}")
    print(f"  effective depth/width (d_bar, m_bar) = ({s['effective_depth']:.6g}, "
          f"{s['effective_width']:.6g})")
    return 0
