"""When to show a progress bar: on a terminal only, unless the caller says otherwise.

>>> show_progress(False)
False
"""

from __future__ import annotations

import sys

__all__ = ["show_progress"]


def show_progress(progress: bool | None = None) -> bool:
    """``progress`` if given, else whether stderr is a terminal (no bar when piped)."""
    if progress is not None:
        return bool(progress)
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False
