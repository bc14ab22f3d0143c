"""``dagnngp mc``: Monte Carlo finite-width Grams of a motif against the analytic kernels.

>>> from dagnngp.cli import main
>>> main(["mc", "2_02_002", "--width", "256", "--draws", "5"])
motif 2_02_002  width 256  draws 5  sampler gram  seed 0  inputs: 2 unit centred, C = 0.5
...
K[0,1]      0.6311   0.0460    0.7381   -2.33    0.7381   -2.33
...
Bonferroni |t| threshold 11.44 (false-alarm rate 0.001, 4 d.o.f.): exact model consistent, ...
0
"""

from __future__ import annotations

import argparse

from dagnngp.commands._common import add_max_memory, dump_json, finite_float, int_range
from dagnngp.commands.options import add_kernel_options, kernel_options, variance_notice
from dagnngp.limits import check_memory, check_work

#: Default limit of ``--max-work`` (about a minute or two of one core).
MAX_WORK = 1e11

HELP = "Monte Carlo finite-width network Grams (or NTKs) of a motif, against the exact and paper kernels"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("motif", help="motif string such as 2_21_112")
    parser.add_argument("--width", type=int_range(1), default=2048, help="neurons per node m (default 2048)")
    parser.add_argument("--draws", type=int_range(2), default=30,
                        help="independent weight draws (default 30)")
    parser.add_argument("--sampler", choices=("gram", "explicit"), default="gram",
                        help="gram: O(m N^2), never forms W (default); explicit: materialises W")
    parser.add_argument("--C", type=finite_float, default=0.5, dest="C",
                        help="correlation of the two unit centred inputs (default 0.5)")
    parser.add_argument("--seed", type=int_range(0), default=0, help="random seed (default 0)")
    add_kernel_options(parser, models=("exact", "paper", "both"), default_model="both", edge=True)
    parser.add_argument("--ntk", action="store_true",
                        help="compare the empirical NTK (explicit Jacobians of networks with explicit "
                             "weights) with the infinite-width NTK instead of the Grams")
    parser.add_argument("--readout", action=argparse.BooleanOptionalAction, default=True,
                        help="with --ntk: the NTK of a trained scalar readout (default) or, with "
                             "--no-readout, of the output node itself")
    parser.add_argument("--dtype", choices=("float64", "float32"), default="float64",
                        help="what the networks compute in (default float64)")
    parser.add_argument("--alpha", type=finite_float, default=1e-3,
                        help="family-wise false-alarm rate of each model's test (default 1e-3)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    add_max_memory(parser)
    parser.add_argument("--max-work", type=finite_float, default=MAX_WORK, metavar="N", dest="max_work",
                        help=f"refuse runs estimated above N elementary operations (default {MAX_WORK:g})")


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from dagnngp.motif import Op
    from dagnngp.nas.cells import motif_or_nb201
    from dagnngp.numerics.sampling import ntk_resource_estimate, resource_estimate

    motif = motif_or_nb201(args.motif)
    n_linear = sum(op is Op.LINEAR for _, _, op in motif.edges())
    mem, work = resource_estimate(motif.n_nodes, n_linear, args.width, args.draws, args.sampler)
    what = f"mc --width {args.width} --draws {args.draws} --sampler {args.sampler}"
    if args.ntk:  # explicit weights: m^2 normals and O(m^2 N) products per linear edge and draw
        mem = ntk_resource_estimate(n_linear, args.width, 2, motif.n_nodes)
        work = 10.0 * args.draws * max(n_linear, 1) * args.width * args.width
        what = f"mc --ntk --width {args.width} --draws {args.draws}"
    check_memory(mem, what, args.max_memory)
    check_work(work, what, args.max_work, "operations", "--max-work")

    from dagnngp.numerics.reference import inputs_to_gram, nngp, ntk
    from dagnngp.numerics.sampling import monte_carlo, monte_carlo_ntk
    from dagnngp.proofs_check.statistics import compare_to_mc

    C = float(args.C)
    if not np.isfinite(C) or abs(C) > 1:
        raise ValueError(f"--C must be a correlation in [-1, 1], got {args.C}")
    # two unit-norm, per-sample-centred inputs with correlation C (in 3 dimensions)
    e1 = np.array([1.0, -1.0, 0.0]) / np.sqrt(2)
    e2 = np.array([1.0, 1.0, -2.0]) / np.sqrt(6)
    X = np.stack([e1, C * e1 + np.sqrt(max(1 - C * C, 0.0)) * e2])

    opts = kernel_options(args)
    kernel = {k: opts[k] for k in ("activation", "activation_params", "c_sigma", "sigma_b", "edge")}
    models = ("exact", "paper") if opts["model"] == "both" else (opts["model"],)
    with variance_notice("mc", opts["activation"], opts["c_sigma"], opts["activation_params"]):
        if args.ntk:
            if args.dtype != "float64":
                raise ValueError("mc --ntk computes in float64; drop --dtype float32")
            res = monte_carlo_ntk(motif, X, args.width, args.draws, seed=args.seed, readout=args.readout,
                                  max_memory=args.max_memory, **kernel)
            K0, mu0 = inputs_to_gram(X, args.width)
            mu0 = None if opts["edge"] == "pre" else mu0
        else:
            res = monte_carlo(motif, X, args.width, args.draws, seed=args.seed, sampler=args.sampler,
                              dtype=args.dtype, max_memory=args.max_memory, **kernel)
            K0, mu0 = res.K0, (None if opts["edge"] == "pre" else res.mu0)
    rows = []
    comparisons = {}
    for model in models:
        if args.ntk:
            K = ntk(res.motif, K0, mu0, model=model, readout=args.readout, backend="numpy", **kernel).ntk
        else:
            K = nngp(res.motif, K0, mu0, model=model, backend="numpy", **kernel).output
        cmp = compare_to_mc(K, res.mean, res.stderr, res.draws, alpha=args.alpha)
        comparisons[model] = {"kernel": K, "comparison": cmp}
    name = "Theta" if args.ntk else "K"
    for i, j in ((0, 0), (0, 1), (1, 1)):
        row = {"entry": f"{name}[{i},{j}]", "mc": float(res.mean[i, j]), "stderr": float(res.stderr[i, j])}
        for model, item in comparisons.items():
            row[model] = float(item["kernel"][i, j])
            row[f"t_{model}"] = float(item["comparison"].t_scores[i, j])
        rows.append(row)
    verdicts = {m: ("rejected" if item["comparison"].rejected else "consistent")
                for m, item in comparisons.items()}
    threshold = comparisons[models[0]]["comparison"].threshold
    if args.json:
        print(dump_json({"motif": str(res.motif), "width": res.width, "draws": res.draws,
                          "quantity": "ntk" if args.ntk else "nngp",
                          **({"readout": args.readout} if args.ntk else {}),
                          "sampler": "explicit" if args.ntk else res.sampler, "seed": res.seed, "C": C,
                          "dtype": args.dtype, **kernel, "alpha": args.alpha,
                          "threshold": threshold, "entries": rows, "verdicts": verdicts}))
        return 0
    params = "".join(f" {k}={v:g}" for k, v in sorted(kernel["activation_params"].items()))
    sampler = "explicit" if args.ntk else res.sampler
    print(f"motif {res.motif}  width {res.width}  draws {res.draws}  sampler {sampler}  "
          f"seed {res.seed}  inputs: 2 unit centred, C = {C:g}")
    quantity = (f"empirical NTK ({'trained readout' if args.readout else 'output node, no readout'})"
                if args.ntk else "Grams")
    print(f"activation {kernel['activation']}{params}  c_sigma {kernel['c_sigma']:g}  "
          f"sigma_b {kernel['sigma_b']:g}  edge {kernel['edge']}  dtype {args.dtype}  {quantity}")
    print(f"{'entry':<8} {'MC mean':>9} {'stderr':>8}"
          + "".join(f" {model:>9} {'t':>7}" for model in models))
    for r in rows:
        print(f"{r['entry']:<8} {r['mc']:>9.4f} {r['stderr']:>8.4f}"
              + "".join(f" {r[model]:>9.4f} {r['t_' + model]:>7.2f}" for model in models))
    print(f"Bonferroni |t| threshold {threshold:.2f} (false-alarm rate {args.alpha:g}, {res.draws - 1} "
          "d.o.f.): " + ", ".join(f"{model} model {verdicts[model]}" for model in models))
    return 0
