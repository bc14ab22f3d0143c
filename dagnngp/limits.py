"""Estimate-then-refuse resource limits for sizes a user controls.

Before an allocation or a loop whose size comes from the user (a width, a number
of draws, runs or samples, a series order, a node count), the caller estimates
the memory or work it needs and calls :func:`check_memory` or :func:`check_work`.
An estimate above the limit raises :class:`ResourceLimitError`, whose message
gives the estimate, the limit and the option that raises the limit, so that the
run stops at once instead of being killed by the out-of-memory killer or
running for hours.

:class:`ResourceLimitError` subclasses :class:`ValueError`: like every other
refusal of the toolkit it says that an input is unusable as given (too large
for the limit), and ``except ValueError`` catches it.  The command line maps it
to its own exit status (4) so scripts can tell it from a malformed input (2).

The memory limit is ``$DAGNNGP_MAX_MEMORY`` when set (``"8G"``, ``"512M"``,
``"2.5e9"``), else half of the machine's physical memory.  This module imports
nothing of the numeric layers.

>>> check_memory(10 * 2**20, "a 10 MiB buffer", limit=2**30)
>>> check_memory(3 * 2**30, "the Monte Carlo run", limit=2**30)
Traceback (most recent call last):
...
dagnngp.limits.ResourceLimitError: the Monte Carlo run needs about 3.0 GiB of memory, above ...
"""

from __future__ import annotations

import math
import os
import re

__all__ = [
    "MEMORY_ENV",
    "ResourceLimitError",
    "check_memory",
    "check_work",
    "format_bytes",
    "memory_limit",
    "parse_size",
]

#: Environment variable holding the default memory limit (a size such as ``8G``).
MEMORY_ENV = "DAGNNGP_MAX_MEMORY"

#: Memory limit when the physical memory cannot be read.
FALLBACK_MEMORY = 4 * 2**30

_UNITS = {"": 1, "B": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40, "P": 2**50}


class ResourceLimitError(ValueError):
    """A run would need more memory or work than its limit allows.

    ``estimate`` and ``limit`` are in the unit named by ``unit`` (``"bytes"``
    or a work unit); ``option`` is the command-line option that raises the limit.
    """

    def __init__(self, message: str, *, estimate: float, limit: float, unit: str, option: str | None):
        super().__init__(message)
        self.estimate = estimate
        self.limit = limit
        self.unit = unit
        self.option = option


def parse_size(text: str | int | float) -> int:
    """A size in bytes from ``"512M"``, ``"8G"``, ``"1.5GiB"``, ``"2e9"`` or a number.

    >>> parse_size("512M"), parse_size("1.5G"), parse_size(4096), parse_size("2e9")
    (536870912, 1610612736, 4096, 2000000000)
    """
    if isinstance(text, bool):
        raise ValueError(f"a size must be a number of bytes or a string such as 8G, got {text!r}")
    if isinstance(text, int | float):
        value = float(text)
    else:
        m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([KMGTP]?)(?:i?B)?\s*", str(text),
                         flags=re.IGNORECASE)
        if m is None:
            shown = str(text) if len(str(text)) <= 40 else str(text)[:40] + "..."
            raise ValueError(f"size {shown!r}: write a number of bytes with an optional unit K, M, G or T "
                             "(powers of 1024), e.g. 512M or 8G")
        value = float(m.group(1)) * _UNITS[m.group(2).upper()]
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"size {text!r}: give a positive, finite size")
    if value > 2**62:
        raise ValueError(f"size {text!r}: larger than any machine's memory (at most 4 EiB)")
    return int(value)


def format_bytes(n: float) -> str:
    """``n`` bytes in a short human form.

    >>> format_bytes(512), format_bytes(3 * 2**30), format_bytes(1e20)
    ('512 B', '3.0 GiB', '88817.8 PiB')
    """
    if n < 1024:
        return f"{n:.0f} B"
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        n /= 1024
        if n < 1024:
            return f"{n:.1f} {unit}"
    return f"{n / 1024:.1f} PiB"


def memory_limit() -> int:
    """The default memory limit in bytes: ``$DAGNNGP_MAX_MEMORY``, else half the physical memory.

    >>> memory_limit() > 0
    True
    """
    env = os.environ.get(MEMORY_ENV, "").strip()
    if env:
        try:
            return parse_size(env)
        except ValueError as exc:
            raise ValueError(f"${MEMORY_ENV}: {exc}") from None
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):
        return FALLBACK_MEMORY
    return int(total) // 2 if total > 0 else FALLBACK_MEMORY


def check_memory(estimate: float, what: str, limit: int | None = None,
                 option: str | None = "--max-memory") -> None:
    """Refuse when ``estimate`` bytes exceed ``limit`` (default :func:`memory_limit`).

    ``what`` names the thing that needs the memory (``"mc --width 1000000000"``);
    ``option`` is the command-line option that raises the limit (``None`` for a
    library call, where the message names ``$DAGNNGP_MAX_MEMORY``).

    >>> check_memory(1e15, "the output Gram", limit=2**30, option=None)
    Traceback (most recent call last):
    ...
    dagnngp.limits.ResourceLimitError: the output Gram needs about 909.5 TiB of memory, ...
    """
    limit = memory_limit() if limit is None else int(limit)
    if not math.isfinite(estimate) or estimate > limit:
        how = f"pass {option} SIZE (e.g. {option} 16G) or set ${MEMORY_ENV}" if option else \
            f"set ${MEMORY_ENV} (e.g. 16G)"
        raise ResourceLimitError(
            f"{what} needs about {format_bytes(estimate)} of memory, above the limit of "
            f"{format_bytes(limit)}; use smaller sizes, or {how} to raise the limit",
            estimate=estimate, limit=limit, unit="bytes", option=option,
        )


def check_work(estimate: float, what: str, limit: float, unit: str, option: str | None = None,
               note: str = "") -> None:
    """Refuse when the work ``estimate`` (in ``unit``) exceeds ``limit``.

    >>> check_work(5e12, "nas search --runs 50000000000", limit=1e9, unit="sampled cells",
    ...            option="--max-work")
    Traceback (most recent call last):
    ...
    dagnngp.limits.ResourceLimitError: nas search --runs 50000000000 needs about 5e+12 sampled cells ...
    """
    if not math.isfinite(estimate) or estimate > limit:
        how = f"; pass {option} N to raise the limit" if option else ""
        raise ResourceLimitError(
            f"{what} needs about {estimate:.3g} {unit} of work, above the limit of {limit:.3g}"
            f"{note}{how}",
            estimate=estimate, limit=limit, unit=unit, option=option,
        )
