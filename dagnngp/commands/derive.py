"""``dagnngp derive``: a motif's closed-form NNGP recursion, gap and asymptotics."""

from __future__ import annotations

import argparse

from dagnngp.commands._common import dump_json, finite_float, int_range
from dagnngp.commands.options import add_kernel_options, kernel_options, variance_notice
from dagnngp.limits import check_work

#: Default limit of ``--max-work``, in estimated seconds of one core.
MAX_WORK = 120.0

HELP = "closed-form (SymPy) NNGP or NTK recursion of a motif, node by node, its 2x2 gap, rule (12) and series"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("motif", help="motif string, e.g. 2_21_112 (0 zero, 1 skip, 2 linear)")
    add_kernel_options(parser, edge=True)
    parser.add_argument("--ntk", action="store_true", help="derive the NTK's recursion instead of the NNGP's")
    parser.add_argument("--readout", action=argparse.BooleanOptionalAction, default=True,
                        help="with --ntk: a trained scalar readout (default) or --no-readout")
    parser.add_argument("--series", type=int_range(0), default=3, metavar="ORDER",
                        help="keep series terms with exponent below ORDER (default 3; 0 to skip)")
    parser.add_argument("--latex", action="store_true", help="print the recursion as a LaTeX align* block")
    parser.add_argument("--json", action="store_true", help="print one JSON object of the expressions")
    parser.add_argument("--max-work", type=finite_float, default=MAX_WORK, metavar="SECONDS", dest="max_work",
                        help="refuse derivations estimated to take longer than this on one core "
                        f"(default {MAX_WORK:g}; the estimate is rough)")


def linear_depth(motif) -> int:
    """Most linear edges on one input-output path (0 when no path exists).

    >>> from dagnngp.motif import Motif
    >>> linear_depth(Motif.parse("2_02_002")), linear_depth(Motif.parse("2_21_112"))
    (3, 2)
    """
    from dagnngp.motif import Op

    best = [0] + [-1] * (motif.n_nodes - 1)  # -1: not reachable from the input
    for s, t, op in motif.edges():
        if best[s] >= 0:
            best[t] = max(best[t], best[s] + (op is Op.LINEAR))
    return max(best[-1], 0)


def derive_seconds(motif, series: int) -> float:
    """Rough seconds (one core) of ``derive`` plus the two gap series of order ``series``.

    Measured on motifs of 2..10 nodes: the derivation grows like ``2^(L/2)`` in the
    number ``L`` of linear edges; each series like ``(2 order)^min(D + 1, 4)``
    times ``L`` for the linear depth ``D``.  Within a factor of about five.

    >>> from dagnngp.motif import Motif
    >>> derive_seconds(Motif.parse("2_21_112"), 3) < 5, derive_seconds(Motif.parse("2_21_112"), 40) > 120
    (True, True)
    """
    from dagnngp.motif import Op

    n_linear = sum(op is Op.LINEAR for _, _, op in motif.edges())
    seconds = 0.004 * 2.0 ** (n_linear / 2)
    if series:
        seconds += max(n_linear, 1) / 3 * (2.0 * series) ** min(linear_depth(motif) + 1, 4) / 1000
    return seconds


def derive_summary(motif: str, model: str = "exact", activation: str = "relu", c_sigma: float = 2.0,
                   sigma_b: float = 0.0, params: dict[str, float] | None = None,
                   series: int = 3, edge: str = "post", ntk: bool = False, readout: bool = True) -> dict:
    """Everything ``dagnngp derive --json`` prints, as a dict of strings.

    >>> derive_summary("2_02_002", model="paper", series=2)["gap_series_at_1"]
    'eps - 2*sqrt(2)*eps**(3/2)/pi + O(eps**2)'
    """
    import sympy

    from dagnngp.theory import derive

    d = derive(motif, model=model, activation=activation, c_sigma=c_sigma, sigma_b=sigma_b,
               activation_params=params, edge=edge, ntk=ntk, readout=readout)
    out = {
        "motif": str(d.motif),
        "kernel": d.kernel,
        **({"readout": readout} if ntk else {}),
        "edge": edge,
        "model": model,
        "activation": activation,
        "activation_params": params or {},
        "c_sigma": c_sigma,
        "sigma_b": sigma_b,
        "nodes": [
            {"node": n.node, "rule": n.rule, "diagonal": str(n.diagonal),
             "offdiagonal": str(n.offdiagonal), "distance": str(n.distance), "mean": str(n.mean)}
            for n in d.nodes
        ],
        "diagonal": str(d.diagonal),
        "diagonal_value": float(sympy.N(d.diagonal, 17)),
        "offdiagonal": str(d.offdiagonal),
        "gap": str(d.gap),
        "gap_distance": str(d.gap_distance),
        "rule12": str(d.rule12),
        "general_offdiagonal": str(d.general["K_ij"]),
        "P": d.motif.n_paths,
    }
    if series:
        s1, s2 = d.series(series, at=1), d.series(series, at=-1)
        coef, exp = s1.leading
        out["gap_series_at_1"] = str(s1.expr)
        out["gap_series_at_minus_1"] = str(s2.expr)
        out["kappa"] = str(s1.kappa)
        out["leading"] = {"coefficient": str(coef), "exponent": str(exp),
                          "value": float(sympy.N(coef, 17))}
        out["series_terms_at_1"] = {str(e): {"exact": str(c), "value": float(sympy.N(c, 17))}
                                    for e, c in sorted(s1.terms.items())}
    return out


def run(args: argparse.Namespace) -> int:
    from dagnngp.nas.cells import motif_or_nb201

    motif = motif_or_nb201(args.motif)
    check_work(derive_seconds(motif, args.series),
               f"derive with {motif.n_nodes} nodes and --series {args.series}",
               args.max_work, "seconds (rough estimate)", "--max-work")
    with variance_notice("derive", args.activation, args.c_sigma, kernel_options(args)["activation_params"]):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    from dagnngp.nas.cells import motif_or_nb201  # the command line also takes NAS-Bench-201 cells
    from dagnngp.theory import derive

    args.motif = motif_or_nb201(args.motif)
    params = kernel_options(args)["activation_params"]
    if args.json:
        print(dump_json(derive_summary(args.motif, args.model, args.activation, args.c_sigma,
                                       args.sigma_b, params, args.series, args.edge, args.ntk, args.readout),
                        hint="the parameters overflow float64; use a smaller --c-sigma or --sigma-b"))
        return 0
    d = derive(args.motif, model=args.model, activation=args.activation, c_sigma=args.c_sigma,
               sigma_b=args.sigma_b, activation_params=params, edge=args.edge, ntk=args.ntk,
               readout=args.readout)
    if args.latex:
        from dagnngp.theory.printing import derivation_latex

        print(derivation_latex(d, series_order=args.series or None))
        return 0
    from dagnngp.theory.printing import derivation_text

    print(derivation_text(d, series_order=None))
    if args.series:
        import sympy

        s1, s2 = d.series(args.series, at=1), d.series(args.series, at=-1)
        print()
        print(f"asymptotics of the 2x2 gap (terms with exponent < {args.series}):")
        print("  at C = 1 - eps:")
        for e, c in sorted(s1.terms.items()):
            print(f"    eps^{e}:  {c}   (= {sympy.N(c, 10)})")
        coef, exp = s1.leading
        print(f"    leading: gap ~ {coef} * eps^{exp}")
        print("  at C = -1 + delta:")
        for e, c in sorted(s2.terms.items()):
            print(f"    delta^{e}:  {c}   (= {sympy.N(c, 10)})")
    return 0
