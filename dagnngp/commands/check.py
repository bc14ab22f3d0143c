"""``dagnngp check``: run the executable checks of the paper's lemmas and bounds.

>>> from dagnngp.cli import main
>>> main(["check", "--quick", "--only", "CC-9"])
check ...
lemma3.3-2x2-closed-form       CC-9             holds ...
<BLANKLINE>
1 hold, 0 expected failures (the paper's known-false claims), 0 unexpected; ... s (quick)
0
"""

from __future__ import annotations

import argparse
import json
import sys

HELP = "run every lemma and bound of the paper as an executable check (CC-1..CC-22)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quick", action="store_true",
                        help="smaller grids, widths and draw counts (under two minutes on 2 cores)")
    parser.add_argument("--only", action="append", metavar="NAME",
                        help="run only this check (a check name or a claim id such as CC-15); repeatable")
    parser.add_argument("--json", action="store_true", help="print a JSON list instead of a table")
    parser.add_argument("--audit", action="store_true",
                        help="also print the rule-(12) audit: every 4-node motif where (12) fails")
    parser.add_argument("--load", action="append", metavar="FILE_OR_MODULE",
                        help="import a Python file (lemmas.py) or module (mypkg.lemmas) whose register_check "
                             "calls add your own checks; repeatable (installed plug-ins of the "
                             "'dagnngp.checks' entry-point group load by themselves)")


def _key_text(value: object) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_key_text(v) for v in value[:3]) + (", ...]" if len(value) > 3 else "]")
    return "-" if value is None else str(value)


def run(args: argparse.Namespace) -> int:
    from dagnngp.proofs_check.checks import run_checks, select_checks
    from dagnngp.proofs_check.lemmas import load_check_file

    for target in args.load or []:
        load_check_file(target)  # a ValueError is the CLI's one-line error
    select_checks(args.only)  # an unknown name is reported before anything is printed
    quick = bool(args.quick)
    stream = sys.stdout
    if not args.json:
        print(f"{'check':<30} {'claims':<16} {'verdict':<17} {'key number':<28} detail", file=stream)

    def show(outcome) -> None:
        if args.json:
            return
        key = f"{outcome.key}={_key_text(outcome.key_value)}"
        print(f"{outcome.name:<30} {outcome.claims:<16} {outcome.status:<17} {key:<28} {outcome.detail}",
              file=stream, flush=True)

    outcomes = run_checks(quick=quick, only=args.only, on_result=show)
    if args.json:
        json.dump([o.as_dict() for o in outcomes], stream, indent=2)
        print(file=stream)
    else:
        held = sum(o.status == "holds" for o in outcomes)
        xfail = sum(o.status == "expected failure" for o in outcomes)
        bad = [o.name for o in outcomes if not o.ok]
        total = sum(o.seconds for o in outcomes)
        known = ("the paper's known-false claims" if all(o.source == "built-in" for o in outcomes)
                 else "claims known to be false")
        print(f"\n{held} hold, {xfail} expected failures ({known}), "
              f"{len(bad)} unexpected{': ' + ', '.join(bad) if bad else ''}; {total:.1f} s"
              f"{' (quick)' if quick else ''}", file=stream)
    if args.audit and not args.json:
        from dagnngp.proofs_check.audit import format_rule12_failures, rule12_audit

        print("\nRule (12) audit, all 4-node motifs, two unit centred inputs (paper model):", file=stream)
        print(format_rule12_failures(rule12_audit(4, (0.0, 0.5, 0.9))), file=stream)
    return 0 if all(o.ok for o in outcomes) else 1
