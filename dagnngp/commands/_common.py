"""Argument types and output helpers shared by the ``dagnngp`` sub-commands.

The ``type=`` callables raise :class:`argparse.ArgumentTypeError` with a message
that says what is wrong, so a bad value is a one-line usage error (exit 2)
before any work starts.

>>> finite_float("0.5"), int_range(1)("12")
(0.5, 12)
>>> finite_float("1e400")
Traceback (most recent call last):
...
argparse.ArgumentTypeError: '1e400' is not a finite number
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Callable
from typing import Any

from dagnngp.limits import parse_size

__all__ = [
    "add_max_memory",
    "check_finite",
    "correlation",
    "dump_json",
    "finite_float",
    "int_range",
    "size",
]

#: Longest text echoed back in a message.
SHOWN = 60


def _shown(text: str) -> str:
    return repr(text if len(text) <= SHOWN else text[:SHOWN] + "...")


def finite_float(text: str) -> float:
    """A float that is neither nan nor infinite (nor overflows to infinity)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{_shown(text)} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{_shown(text)} is not a finite number")
    return value


def correlation(text: str) -> float:
    """A correlation in ``[-1, 1]``.

    >>> correlation("-1"), correlation("0.25")
    (-1.0, 0.25)
    """
    value = finite_float(text)
    if abs(value) > 1:
        raise argparse.ArgumentTypeError(f"{_shown(text)} is not a correlation in [-1, 1]")
    return value


def int_range(lo: int, hi: int | None = None) -> Callable[[str], int]:
    """A ``type=`` callable for an integer in ``[lo, hi]`` (``hi=None``: no upper bound).

    >>> int_range(2, 6)("7")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: '7' is not an integer in [2, 6]
    """
    span = f"[{lo}, {hi}]" if hi is not None else f">= {lo}"
    what = f"an integer in {span}" if hi is not None else f"an integer {span}"

    def parse(text: str) -> int:
        s = text.strip()
        if len(s) > 30 or not s.lstrip("+-").isascii() or not s.lstrip("+-").isdigit():
            raise argparse.ArgumentTypeError(f"{_shown(text)} is not {what}")
        value = int(s)
        if value < lo or (hi is not None and value > hi):
            raise argparse.ArgumentTypeError(f"{_shown(text)} is not {what}")
        return value

    parse.__name__ = "integer"
    return parse


def size(text: str) -> int:
    """A memory size such as ``8G`` or ``512M`` (see :func:`dagnngp.limits.parse_size`)."""
    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_max_memory(parser: argparse.ArgumentParser) -> None:
    """The ``--max-memory SIZE`` option (default ``$DAGNNGP_MAX_MEMORY`` or half the RAM)."""
    parser.add_argument("--max-memory", type=size, default=None, metavar="SIZE", dest="max_memory",
                        help="refuse runs estimated to need more memory than this, e.g. 16G (default "
                        "$DAGNNGP_MAX_MEMORY, else half of the physical memory)")


def _non_finite(obj: Any, path: str = "") -> str | None:
    if isinstance(obj, float):
        return None if math.isfinite(obj) else path or "value"
    if isinstance(obj, dict):
        for k, v in obj.items():
            found = _non_finite(v, f"{path}.{k}" if path else str(k))
            if found:
                return found
    if isinstance(obj, list | tuple):
        for i, v in enumerate(obj):
            found = _non_finite(v, f"{path}[{i}]")
            if found:
                return found
    return None


def check_finite(summary: Any, hint: str) -> None:
    """Refuse a result holding inf or nan (``hint`` says which parameter to change).

    >>> check_finite({"K": {"diag": float("inf")}}, "--c-sigma is too large")
    Traceback (most recent call last):
    ...
    ValueError: the result is not finite (K.diag = inf): --c-sigma is too large
    """
    where = _non_finite(summary)
    if where is not None:
        value = summary
        for part in where.replace("[", ".[").split("."):
            if part.startswith("["):
                value = value[int(part[1:-1])]
            elif part and part != "value":
                value = value[part]
        raise ValueError(f"the result is not finite ({where} = {value}): {hint}")


def _nan_to_none(obj: Any) -> Any:
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _nan_to_none(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_nan_to_none(v) for v in obj]
    return obj


def dump_json(obj: Any, hint: str = "the parameters overflow float64", missing_as_null: bool = False) -> str:
    """``json.dumps(obj, indent=2)`` without inf or nan (neither is valid JSON).

    A non-finite number is refused with :func:`check_finite`, or, with
    ``missing_as_null`` (statistics that do not exist, such as the spread of one
    value), written as ``null``.

    >>> print(dump_json({"a": 1.5, "b": float("nan")}, missing_as_null=True))
    {
      "a": 1.5,
      "b": null
    }
    """
    if missing_as_null:
        obj = _nan_to_none(obj)
    else:
        check_finite(obj, hint)
    return json.dumps(obj, indent=2, allow_nan=False)
