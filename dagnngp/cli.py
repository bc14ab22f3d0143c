"""The ``dagnngp`` command line.

Each sub-command lives in its own module under :mod:`dagnngp.commands` and
exposes ``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> int``.
Modules are imported only when their command runs, so ``dagnngp --help`` stays fast.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import importlib.util
import sys
from pathlib import Path

#: command name -> module; listed in this order by ``dagnngp --help``.
COMMANDS: dict[str, str] = {
    "report": "dagnngp.commands.report",
    "kernel": "dagnngp.commands.kernel",
    "derive": "dagnngp.commands.derive",
    "check": "dagnngp.commands.check",
    "mc": "dagnngp.commands.mc",
    "sweep": "dagnngp.commands.sweep",
    "nas": "dagnngp.commands.nas",
}


def _module_help(module: str) -> str | None:
    """Read a command module's ``HELP`` string without importing it."""
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        return None
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "HELP" for t in node.targets
        ):
            if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                return node.value.value
    return ""


def build_parser(selected: str | None = None) -> argparse.ArgumentParser:
    """The top-level parser; only the ``selected`` command's module is imported."""
    parser = argparse.ArgumentParser(
        prog="dagnngp",
        description="Infinite-width NNGP kernels and convergence bounds of DAG connectivity motifs.",
    )
    from dagnngp import __version__

    parser.add_argument("--version", action="version", version=f"dagnngp {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module in COMMANDS.items():
        help_text = _module_help(module)
        if help_text is None:
            continue
        cmd = sub.add_parser(name, help=help_text, description=help_text)
        if name == selected:
            mod = importlib.import_module(module)
            mod.add_arguments(cmd)
            cmd.set_defaults(_run=mod.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``dagnngp`` script; returns the exit status.

    >>> main(["kernel", "2_02_002", "--C", "0.9", "--json"])
    {..."gap_2x2": 0.07514...}
    0
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    selected = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(selected if selected in COMMANDS else None)
    args = parser.parse_args(argv)
    if getattr(args, "_run", None) is None:
        parser.print_help()
        return 0 if not argv else 2
    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        print("dagnngp: interrupted", file=sys.stderr)
        return 130
    except (ValueError, FileNotFoundError) as exc:
        # every validation error of the toolkit is a ValueError subclass with a
        # message that says what is wrong and how to fix it
        print(f"dagnngp {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
