"""The kernel options shared by ``dagnngp kernel``, ``mc``, ``derive`` and ``sweep``.

``--model``, ``--activation NAME``, ``--param NAME=VALUE`` (repeatable),
``--c-sigma`` and ``--sigma-b`` mean the same in every command.  A ``c_sigma``
that does not preserve the activation's variance prints one warning line on
stderr naming the value that does.  Importing this module loads nothing heavy.

>>> import argparse
>>> parser = argparse.ArgumentParser()
>>> add_kernel_options(parser)
>>> args = parser.parse_args(["--activation", "leaky", "--param", "slope=0.1", "--c-sigma", "1.98"])
>>> opts = kernel_options(args)
>>> opts["activation"], opts["activation_params"], opts["c_sigma"], opts["sigma_b"], opts["model"]
('leaky', {'slope': 0.1}, 1.98, 0.0, 'exact')
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["add_kernel_options", "kernel_options", "parse_params", "variance_notice"]

MODELS = ("exact", "paper")


def add_kernel_options(parser: argparse.ArgumentParser, models: tuple[str, ...] = MODELS,
                       default_model: str = "exact", edge: bool = False) -> None:
    """Add ``--model``, ``--activation``, ``--param``, ``--c-sigma`` and ``--sigma-b`` to ``parser``
    (and ``--edge`` when ``edge``)."""
    model_help = {"exact": "the exact infinite-width limit", "paper": "the paper's recursion",
                  "both": "both models"}
    parser.add_argument("--model", choices=models, default=default_model,
                        help="; ".join(f"{m}: {model_help[m]}" for m in models)
                        + f" (default {default_model})")
    parser.add_argument("--activation", default="relu", metavar="NAME",
                        help="relu (default), step, arccos2, leaky, abrelu (arccos0/arccos1 aliases)")
    parser.add_argument("--param", action="append", metavar="NAME=VALUE",
                        help="activation parameter, repeatable: --param slope=0.1 (leaky), "
                             "--param a=1 --param b=-1 (abrelu)")
    parser.add_argument("--c-sigma", type=float, default=2.0, dest="c_sigma",
                        help="weight variance scale (default 2: He initialisation, which preserves "
                             "the variance of relu and step)")
    parser.add_argument("--sigma-b", type=float, default=0.0, dest="sigma_b",
                        help="standard deviation of the bias of every linear edge (default 0)")
    if edge:
        parser.add_argument("--edge", choices=("post", "pre"), default="post",
                            help="post: X_t += sqrt(c/m) s(W X_s + b), the paper's (default); pre: "
                                 "X_t += sqrt(c/m) W s(X_s) + b, node 0 a centred Gaussian field")


def parse_params(items: list[str] | None) -> dict[str, float]:
    """``["slope=0.1"]`` to ``{"slope": 0.1}``; a ``ValueError`` for anything else.

    >>> parse_params(["a=1", "b=-0.5"])
    {'a': 1.0, 'b': -0.5}
    """
    out: dict[str, float] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ValueError(f"--param {item!r}: write NAME=VALUE, e.g. --param slope=0.1")
        if key in out:
            raise ValueError(f"--param {key} is given twice; give each parameter once")
        try:
            out[key] = float(value)
        except ValueError:
            raise ValueError(f"--param {item!r}: {value.strip()!r} is not a number") from None
    return out


def kernel_options(args: argparse.Namespace) -> dict:
    """The parsed options as keyword arguments of the library (``activation_params`` parsed)."""
    return {
        "model": args.model,
        "activation": args.activation,
        "activation_params": parse_params(args.param),
        "c_sigma": args.c_sigma,
        "sigma_b": args.sigma_b,
        **({"edge": args.edge} if hasattr(args, "edge") else {}),
    }


@contextmanager
def variance_notice(command: str, activation: str, c_sigma: float,
                    activation_params: dict[str, float] | None = None) -> Iterator[None]:
    """Check ``c_sigma`` against the activation, then run the body; print each variance warning once.

    Every :class:`~dagnngp.errors.VarianceWarning` raised in the body (the
    library warns too) becomes one ``dagnngp COMMAND: warning: ...`` line on stderr,
    unless the body fails: then its error is the only line.
    """
    from dagnngp.errors import VarianceWarning
    from dagnngp.numerics.finite import check_variance

    caught: list[warnings.WarningMessage] = []
    failed = True
    try:
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always", VarianceWarning)
            try:
                check_variance(activation, c_sigma, activation_params)
                yield
                failed = False
            finally:
                caught = list(record)
    finally:
        seen: set[str] = set()
        for w in caught:
            if failed and issubclass(w.category, VarianceWarning):
                continue  # a failed command prints its one-line error, not the warnings before it
            message = str(w.message)
            if not issubclass(w.category, VarianceWarning):
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
            elif message not in seen:
                seen.add(message)
                print(f"dagnngp {command}: warning: {message}", file=sys.stderr)
