"""The ``dagnngp`` command line.

Each sub-command lives in its own module under :mod:`dagnngp.commands` and
exposes ``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> int``.
Modules are imported only when their command runs, so ``dagnngp --help`` stays fast.

Every anticipated failure ends in one line on standard error,
``dagnngp COMMAND: error: ...``, and one of the exit statuses of
:data:`EXIT_CODES` (no traceback):

>>> main(["kernel", "2_21_112", "--C", "nan"])
2
>>> main(["nosuchcommand"])
2
"""

from __future__ import annotations

import argparse
import ast
import csv
import errno
import importlib
import importlib.util
import os
import sys
from pathlib import Path

from dagnngp.limits import ResourceLimitError

#: Exit statuses of ``dagnngp`` (also listed by ``dagnngp --help`` and docs/cli.md).
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_OS = 3
EXIT_RESOURCES = 4
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141

EXIT_CODES: dict[int, str] = {
    EXIT_OK: "success",
    EXIT_FAILED: "the run finished but a check failed (check) or a report section failed (report)",
    EXIT_USAGE: "invalid input: a bad option, value, motif or cell string, CSV file or column",
    EXIT_OS: "a file or folder cannot be read or written (missing, a directory, no permission, I/O error)",
    EXIT_RESOURCES: "refused: the estimated memory or work is above the limit (--max-memory, --max-work), "
    "or memory ran out",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C)",
    EXIT_BROKEN_PIPE: "the reader of the output went away (e.g. `| head`); nothing is printed",
}

#: Longest message printed (a message echoing a huge input is cut).
MAX_MESSAGE = 400


def _epilog() -> str:
    lines = ["exit status:"]
    lines += [f"  {code:<4} {text}" for code, text in EXIT_CODES.items()]
    return "\n".join(lines)


class _Parser(argparse.ArgumentParser):
    """No abbreviated options; a usage error is one line on stderr and exit status 2."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str):  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {_one_line(message)} (see {self.prog} --help)\n")


def _one_line(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 3] + "..."


def _os_message(exc: OSError) -> str:
    """``strerror: 'path'`` for an OSError from the system, else its own message."""
    if exc.strerror and exc.filename is not None:
        reason = exc.strerror
        if isinstance(exc, IsADirectoryError):
            reason = "is a directory, not a file"
        return f"{reason}: {str(exc.filename)!r}"
    if exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def _quiet_stdout() -> None:
    """After a broken pipe: point stdout at /dev/null so the exit flush is silent."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass  # stdout is not a file descriptor (captured in-process)


#: command name -> module; listed in this order by ``dagnngp --help``.
COMMANDS: dict[str, str] = {
    "report": "dagnngp.commands.report",
    "kernel": "dagnngp.commands.kernel",
    "derive": "dagnngp.commands.derive",
    "check": "dagnngp.commands.check",
    "mc": "dagnngp.commands.mc",
    "sweep": "dagnngp.commands.sweep",
    "nas": "dagnngp.commands.nas",
    "playground": "dagnngp.commands.playground",
    "train": "dagnngp.commands.train",
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
    parser = _Parser(
        prog="dagnngp",
        description="Infinite-width NNGP kernels and convergence bounds of DAG connectivity motifs.",
        epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
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
    """Entry point of the ``dagnngp`` script; returns the exit status (see :data:`EXIT_CODES`).

    >>> main(["kernel", "2_02_002", "--C", "0.9", "--json"])
    {..."gap_2x2": 0.07514...}
    0
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    command = "dagnngp"
    try:
        selected = next((a for a in argv if not a.startswith("-")), None)
        parser = build_parser(selected if selected in COMMANDS else None)
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # --help, --version or a usage error (already printed)
            sys.stdout.flush()
            return exc.code if isinstance(exc.code, int) else EXIT_USAGE
        if getattr(args, "_run", None) is None:
            parser.print_help()
            return EXIT_OK if not argv else EXIT_USAGE
        command = f"dagnngp {args.command}"
        status = int(args._run(args) or 0)
        sys.stdout.flush()  # a broken pipe shows here, not in the interpreter's exit flush
        return status
    except KeyboardInterrupt:
        print(f"{command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_BROKEN_PIPE
    except ResourceLimitError as exc:
        print(f"{command}: error: {_one_line(str(exc))}", file=sys.stderr)
        return EXIT_RESOURCES
    except MemoryError as exc:
        detail = f" ({_one_line(str(exc))})" if str(exc) else ""
        print(f"{command}: error: out of memory{detail}; use smaller sizes", file=sys.stderr)
        return EXIT_RESOURCES
    except (ValueError, csv.Error) as exc:
        # every validation error of the toolkit is a ValueError subclass with a
        # message that says what is wrong and how to fix it
        print(f"{command}: error: {_one_line(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except RecursionError:
        print(f"{command}: error: the input is nested too deeply", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        if exc.errno == errno.EPIPE:
            _quiet_stdout()
            return EXIT_BROKEN_PIPE
        print(f"{command}: error: {_one_line(_os_message(exc))}", file=sys.stderr)
        return EXIT_OS


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
