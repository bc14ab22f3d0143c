"""``dagnngp train``: motif networks trained by gradient descent, against the infinite-width limit."""

from __future__ import annotations

import argparse
from pathlib import Path

from dagnngp.commands._common import add_max_memory, dump_json, finite_float, int_range
from dagnngp.commands.options import add_kernel_options, kernel_options, variance_notice

HELP = "train finite networks of motifs by gradient descent; loss curves against the infinite-width limit"

DATA = ("digits", "synthetic", "both")


def _positive(text: str) -> float:
    value = finite_float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number > 0")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("motifs", nargs="+", metavar="MOTIF", help="motif strings, e.g. 2_02_002 1_01_222")
    parser.add_argument("--data", choices=DATA, default="both",
                        help="digits: 8x8 handwritten digits shipped with dagnngp (labels: even +1, odd -1); "
                             "synthetic: random unit inputs with teacher labels; both (default)")
    parser.add_argument("--inputs", type=int_range(2, 200), default=16, help="training inputs N (default 16)")
    parser.add_argument("--dim", type=int_range(2, 4096), default=8,
                        help="input dimension of the synthetic data (default 8)")
    parser.add_argument("--width", type=int_range(1), default=256, help="neurons per node m (default 256)")
    parser.add_argument("--seeds", type=int_range(1, 10000), default=3,
                        help="networks per motif and rule (default 3)")
    parser.add_argument("--steps", type=int_range(1, 10**7), default=100,
                        help="gradient steps (default 100)")
    parser.add_argument("--rule", action="append", metavar="RULE", dest="rules",
                        help="step rule, repeatable: fixed:ETA, fixed:auto (1/max lambda_max of the motifs' "
                             "NTKs, one step for all), max:C (C/lambda_max(NTK), C < 2), trace:C "
                             "(C/trace(NTK)); default fixed:auto max:1 trace:1")
    parser.add_argument("--batch-size", type=int_range(1), default=None, dest="batch_size",
                        help="mini-batch SGD with this many inputs per step (default: full batch)")
    parser.add_argument("--dtype", choices=("float32", "float64"), default="float64",
                        help="floating-point type of the networks (default float64)")
    parser.add_argument("--target", type=_positive, default=1e-2,
                        help="relative loss for the predicted steps-to-target (default 0.01)")
    parser.add_argument("--allow-unstable", action="store_true", dest="allow_unstable",
                        help="run a fixed step above a motif's stability limit 2/lambda_max (reported as "
                             "diverged) instead of refusing it")
    parser.add_argument("--seed", type=int_range(0), default=0, help="seed of the synthetic data (default 0)")
    add_kernel_options(parser, edge=True)
    add_max_memory(parser)
    parser.add_argument("--plot", type=Path, default=None, metavar="PNG",
                        help="write the loss curves to this PNG (with --data both, one per data set: "
                             "NAME-digits.png and NAME-synthetic.png)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def _plot_path(base: Path, data: str, several: bool) -> Path:
    if not several:
        return base
    return base.with_name(f"{base.stem}-{data}{base.suffix or '.png'}")


def train_summary(motifs: list[str], data: str = "both", inputs: int = 16, dim: int = 8, *, width: int = 256,
                  seeds: int = 3, steps: int = 100, rules: list[str] | None = None, seed: int = 0,
                  progress: bool | None = None, **options) -> dict:
    """Everything ``dagnngp train`` prints, as a dict keyed by data set.

    >>> s = train_summary(["2_02"], "synthetic", 4, 3, width=8, seeds=1, steps=2, rules=["max:1"],
    ...                   progress=False)
    >>> s["synthetic"]["rules"]["max:1"]["motifs"]["2_02"]["diverged"]
    0
    """
    from dagnngp.nas.cells import motif_or_nb201
    from dagnngp.training.data import task
    from dagnngp.training.experiment import compare

    names = [str(motif_or_nb201(m)) for m in motifs]
    out = {}
    for name in (("digits", "synthetic") if data == "both" else (data,)):
        X, y = task(name, inputs, dim, seed)
        if width < X.shape[1]:
            d = X.shape[1]
            raise ValueError(f"--width {width} is smaller than the {name} inputs' dimension {d}: the "
                             f"inputs are zero-padded into the input node, so use --width >= {d}")
        res = compare(names, X, y, rules, width=width, seeds=seeds, steps=steps, progress=progress, **options)
        res["settings"]["data"] = name
        out[name] = res
    return out


def _print(summary: dict) -> None:
    for name, res in summary.items():
        s = res["settings"]
        print(f"{name}: N = {s['n_inputs']} inputs in dimension {s['input_dim']}, width {s['width']}, "
              f"{s['seeds']} seeds, {s['steps']} steps ({s['dtype']}"
              f"{', batch ' + str(s['batch_size']) if s['batch_size'] else ', full batch'})")
        if s["batch_size"]:
            print("  (the predictions are for full-batch gradient descent; SGD adds noise around them)")
        print(f"  {'motif':<16} {'NTK l_min/l_max':>15} {'NNGP l_min/l_max':>16} {'NNGP gap_ratio':>14}")
        for m, k in res["kernels"].items():
            print(f"  {m:<16} {k['ntk_lambda_ratio']:15.4g} {k['nngp_lambda_ratio']:16.4g} "
                  f"{k['nngp_min_gap_ratio']:14.4g}")
        for rule in res["rules"].values():
            print(f"  {rule['label']}:")
            to_target = f"steps to {s['target']:g} pred"
            print(f"    {'motif':<16} {'eta':>10} {'L_K/L_0 pred':>12} {'measured':>10} {to_target:>18} "
                  f"{'bound':>9}  diverged")
            for m, e in rule["motifs"].items():
                pred = "-" if e["predicted_relative"] is None else f"{e['predicted_relative']:.4g}"
                meas = "-" if e["measured_relative"] is None else f"{e['measured_relative']:.4g}"
                k_pred, k_bound = ("-" if e[k] is None else str(e[k])
                                   for k in ("predicted_steps_to_target", "bound_steps_to_target"))
                div = f"{e['diverged']} of {s['seeds']} (at step {min(e['diverged_at'])})" if e["diverged"] \
                    else "0"
                print(f"    {m:<16} {e['eta']:10.4g} {pred:>12} {meas:>10} {k_pred:>18} {k_bound:>9}  {div}")
            r = rule["ranking"]
            if r["agree"] is None:
                print("    ranking: not available (a motif has no prediction or no finished run)")
            else:
                verdict = "agree" if r["agree"] else "DIFFER"
                print(f"    ranking (fastest first): predicted {' < '.join(r['predicted'])}; "
                      f"measured {' < '.join(r['measured'])}: {verdict}")


def run(args: argparse.Namespace) -> int:
    opts = kernel_options(args)
    with variance_notice("train", opts["activation"], opts["c_sigma"], opts["activation_params"]):
        summary = train_summary(args.motifs, args.data, args.inputs, args.dim, width=args.width,
                                seeds=args.seeds, steps=args.steps, rules=args.rules, seed=args.seed,
                                dtype=args.dtype, batch_size=args.batch_size, target=args.target,
                                allow_unstable=args.allow_unstable, max_bytes=args.max_memory,
                                memory_option="--max-memory", **opts)
    if args.plot is not None:
        from dagnngp.training.plot import plot_comparison

        for name, res in summary.items():
            path = plot_comparison(res, _plot_path(args.plot, name, len(summary) > 1),
                                   title=f"{name}: measured (solid, mean +- std over seeds), "
                                         "infinite-width prediction (dashed), paper's bound (dotted)")
            res["plot"] = str(path)
    if args.json:
        print(dump_json(summary, missing_as_null=True))
        return 0
    _print(summary)
    for res in summary.values():
        if "plot" in res:
            print(f"wrote {res['plot']}")
    return 0
