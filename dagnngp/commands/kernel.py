"""``dagnngp kernel``: a motif's NNGP kernel and bounds for two unit inputs."""

from __future__ import annotations

import argparse

from dagnngp.commands._common import check_finite, correlation, dump_json
from dagnngp.commands.options import add_kernel_options, kernel_options, variance_notice

HELP = "NNGP (and NTK) kernel, 2x2 gap and rule (12) of a motif for two unit-norm inputs with correlation C"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("motif", help="motif string, e.g. 2_21_112 (0 zero, 1 skip, 2 linear)")
    parser.add_argument("--C", type=correlation, default=0.5, dest="C",
                        help="correlation of the two inputs, in [-1, 1] (default 0.5)")
    add_kernel_options(parser, edge=True)
    parser.add_argument("--ntk", action="store_true", help="also the infinite-width NTK of the output")
    parser.add_argument("--readout", action=argparse.BooleanOptionalAction, default=True,
                        help="with --ntk: a trained scalar readout u = a . X_H (default; Theta = K_H + "
                             "Theta_H), or --no-readout for the output node's own NTK")
    parser.add_argument("--normalise", action="store_true",
                        help="also print scale-free rates (unchanged when the kernel is multiplied by a "
                             "constant): gap_ratio, lambda_min/lambda_max and condition of the NNGP and NTK")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def kernel_summary(motif: str, C: float, model: str = "exact", c_sigma: float = 2.0, *,
                   activation: str = "relu", activation_params: dict[str, float] | None = None,
                   sigma_b: float = 0.0, edge: str = "post", ntk: bool = False, readout: bool = True,
                   normalise: bool = False) -> dict:
    """Everything ``dagnngp kernel`` prints, as a dict.

    Rule (12) is the paper's ReLU rule: ``None`` for any other activation.
    ``normalise`` adds ``scale_free``: :func:`dagnngp.training.scale_free_rates` of the
    output NTK (readout trained) and NNGP on the two inputs (a condition of ``None`` is
    a singular kernel).

    >>> s = kernel_summary("1_01_222", 0.5, normalise=True)  # diagonal 4.91: raw gap 1.17, ratio 0.24
    >>> round(s["gap_2x2"], 4), round(s["scale_free"]["nngp_gap_ratio"], 4)
    (1.173, 0.2389)

    >>> kernel_summary("1_01_222", 0.0)["gap_2x2"]  # 3 (1 - h(0)) = 3 - 3/pi
    2.045070...
    >>> kernel_summary("2", 0.0, activation="step")["offdiagonal"]  # c/2 (1 - acos(0)/pi)
    0.5
    >>> kernel_summary("2", 0.0, ntk=True, readout=False)["ntk_offdiagonal"]  # c E[s's'] * K0_01 = 0
    0.0
    """
    from dagnngp.numerics import nngp, pair_gap, pair_gram, rule12
    from dagnngp.numerics import ntk as ntk_kernel
    from dagnngp.numerics.reference import as_motif

    m = as_motif(motif)
    K0, mu0 = pair_gram(C)
    if edge == "pre":
        mu0 = None  # node 0 is a centred Gaussian field
    options = {"model": model, "c_sigma": c_sigma, "activation": activation,
               "activation_params": activation_params, "sigma_b": sigma_b, "edge": edge}
    extra: dict = {}
    if ntk:
        both = ntk_kernel(m, K0, mu0, readout=readout, **options)
        res_gram = both.nngp
        extra = {"readout": readout, "ntk_diagonal": float(both.ntk[0, 0]),
                 "ntk_offdiagonal": float(both.ntk[0, 1]), "ntk_gap_2x2": pair_gap(both.ntk, 0, 1)}
        output_mean = float(both.output_mean[0])
    else:
        res = nngp(m, K0, mu0, **options)
        res_gram, output_mean = res.output, float(res.output_mean[0])
    d_bar, m_bar = m.effective_depth_width()
    out = {
        "motif": str(m),
        "model": model,
        "C": C,
        "activation": activation,
        "activation_params": dict(activation_params or {}),
        "c_sigma": c_sigma,
        "sigma_b": sigma_b,
        "edge": edge,
        "diagonal": float(res_gram[0, 0]),
        "offdiagonal": float(res_gram[0, 1]),
        "output_mean": output_mean,
        "gap_2x2": pair_gap(res_gram, 0, 1),
        **extra,
        "rule12": float(rule12(m, C)) if activation in ("relu", "arccos1") else None,
        "P": m.n_paths,
        "d_p": list(m.paths()),
        "effective_depth": d_bar,
        "effective_width": m_bar,
    }
    if normalise:
        out["scale_free"] = _scale_free(m, K0, mu0, options)
    return out


def _scale_free(m, K0, mu0, options: dict) -> dict:
    import math

    from dagnngp.numerics import ntk
    from dagnngp.training.rates import scale_free_rates

    res = ntk(m, K0, mu0, readout=True, **options)
    rates = scale_free_rates(res.ntk, res.nngp)
    out = {k: (None if math.isinf(v) else v) for k, v in rates.items() if "min_gap" not in k}
    if float(res.nngp[0, 0]) > 0:
        out["diagonal_ratio_ntk_over_nngp"] = float(res.ntk[0, 0] / res.nngp[0, 0])
    return out


def run(args: argparse.Namespace) -> int:
    from dagnngp.nas.cells import motif_or_nb201  # the command line also takes NAS-Bench-201 cells

    opts = kernel_options(args)
    with variance_notice("kernel", opts["activation"], opts["c_sigma"], opts["activation_params"]):
        s = kernel_summary(motif_or_nb201(args.motif), args.C, ntk=args.ntk, readout=args.readout,
                           normalise=args.normalise, **opts)
    check_finite(s, f"--c-sigma {args.c_sigma:g} or --sigma-b {args.sigma_b:g} makes the kernel "
                 "overflow float64; use smaller values")
    if args.json:
        print(dump_json(s))
        return 0
    params = "".join(f", {k} = {v:g}" for k, v in sorted(s["activation_params"].items()))
    print(f"motif {s['motif']}  ({s['model']} model, activation {s['activation']}{params}, "
          f"c_sigma = {s['c_sigma']:g}, sigma_b = {s['sigma_b']:g}"
          + ("" if s["edge"] == "post" else ", pre-activation edges")
          + f"), two unit-norm centred inputs with C = {s['C']:g}")
    print(f"  output diagonal      K_ii = {s['diagonal']:.10g}")
    print(f"  output off-diagonal  K_ij = {s['offdiagonal']:.10g}")
    print(f"  2x2 least eigenvalue      = {s['gap_2x2']:.10g}")
    if args.ntk:
        which = "with a trained readout" if s["readout"] else "of the output node, no readout"
        print(f"  NTK ({which}):")
        print(f"    diagonal       Theta_ii = {s['ntk_diagonal']:.10g}")
        print(f"    off-diagonal   Theta_ij = {s['ntk_offdiagonal']:.10g}")
        print(f"    2x2 least eigenvalue    = {s['ntk_gap_2x2']:.10g}")
    if s["rule12"] is None:
        print("  rule (12)  P - sum h^d_p  : not defined (the paper's rule is for relu)")
    else:
        print(f"  rule (12)  P - sum h^d_p  = {s['rule12']:.10g}")
    print(f"  paths P = {s['P']},  d_p = {s['d_p']}")
    print(f"  effective depth/width (d_bar, m_bar) = ({s['effective_depth']:.6g}, "
          f"{s['effective_width']:.6g})")
    if "scale_free" in s:
        r = s["scale_free"]

        def cond(v: float | None) -> str:
            return "inf (singular)" if v is None else f"{v:.10g}"

        print("  scale-free (unchanged when the kernel is multiplied by a constant):")
        print(f"    NNGP gap_ratio = 2x2 gap / diagonal  = {r['nngp_gap_ratio']:.10g}")
        print(f"    NNGP lambda_min/lambda_max           = {r['nngp_lambda_ratio']:.10g}")
        print(f"    NNGP condition lambda_max/lambda_min = {cond(r['nngp_condition'])}")
        print(f"    NTK  gap_ratio                       = {r['ntk_gap_ratio']:.10g}")
        print(f"    NTK  lambda_min/lambda_max           = {r['ntk_lambda_ratio']:.10g}")
        print(f"    NTK  condition                       = {cond(r['ntk_condition'])}")
    return 0
