"""Where Numba keeps its compiled-function cache, chosen before Numba is imported.

Numba caches compiled functions beside their source (``__pycache__``) or in a
user-wide folder; in a read-only installation with no writable home folder
neither exists and ``@njit(cache=True)`` fails with ``RuntimeError: cannot cache
function ...: no locator available``.  :func:`configure_numba_cache` picks the
first usable folder of

1. ``$NUMBA_CACHE_DIR`` when the user set it,
2. ``$XDG_CACHE_HOME/dagnngp/numba``,
3. ``~/.cache/dagnngp/numba``,
4. ``<temporary folder>/dagnngp-numba-<uid>`` (created private, mode 0700),

and exports it as ``NUMBA_CACHE_DIR`` (Numba reads it when imported; if Numba is
already imported its configuration is updated too).  When none is usable,
compiled functions are kept in memory only: a function whose cache cannot be
placed anywhere is compiled without one instead of failing.

Call it before the first ``@njit(cache=True)`` is applied (before Numba is
imported where possible; if Numba is already imported its ``CACHE_DIR`` is set,
which every later decoration reads)::

    from dagnngp._numba_cache import configure_numba_cache

    configure_numba_cache()
    from numba import njit

>>> folder = configure_numba_cache()
>>> folder is None or os.path.isdir(folder)
True
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

__all__ = ["cache_candidates", "configure_numba_cache", "usable_cache_dir"]

_configured: list[str | None] = []


def cache_candidates() -> list[Path]:
    """The folders tried for the cache, in order (``$NUMBA_CACHE_DIR`` not included).

    >>> all(isinstance(p, Path) for p in cache_candidates())
    True
    """
    out: list[Path] = []
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    if xdg and os.path.isabs(xdg):
        out.append(Path(xdg) / "dagnngp" / "numba")
    home = os.path.expanduser("~")
    if home and home != "~" and os.path.isabs(home):
        out.append(Path(home) / ".cache" / "dagnngp" / "numba")
    uid = os.getuid() if hasattr(os, "getuid") else "user"
    out.append(Path(tempfile.gettempdir()) / f"dagnngp-numba-{uid}")
    return out


def usable_cache_dir(path: str | os.PathLike, private: bool = False) -> bool:
    """Whether ``path`` exists or can be created and a file can be written in it.

    With ``private`` the folder is created with mode 0700 and must belong to the
    current user and be writable by nobody else: Numba's cache holds pickled
    data, so a folder in a shared temporary directory must not be one that
    another user could have planted.

    >>> usable_cache_dir("/proc/no/such/folder")
    False
    """
    try:
        p = Path(path)
        p.mkdir(mode=0o700 if private else 0o777, parents=True, exist_ok=True)
        if private and hasattr(os, "getuid"):
            st = p.stat()
            if st.st_uid != os.getuid() or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
                return False
        tempfile.TemporaryFile(dir=p).close()
    except (OSError, ValueError):
        return False
    return True


def _keep_in_memory() -> None:
    """Let ``cache=True`` compile without a cache where no cache location works."""
    from numba.core import dispatcher

    original = dispatcher.Dispatcher.enable_caching
    if getattr(original, "_dagnngp_fallback", False):
        return

    def enable_caching(self) -> None:
        try:
            original(self)
        except RuntimeError as exc:
            if "no locator available" not in str(exc):
                raise
            # the dispatcher keeps its in-memory (null) cache: compiled once per process

    enable_caching._dagnngp_fallback = True  # type: ignore[attr-defined]
    dispatcher.Dispatcher.enable_caching = enable_caching  # type: ignore[method-assign]


def configure_numba_cache(candidates: Iterable[str | os.PathLike] | None = None) -> str | None:
    """Point Numba's cache at a writable folder; returns it, or ``None`` (in-memory only).

    ``candidates`` replaces :func:`cache_candidates` (for tests).  The choice is
    made once per process; later calls return it at once.
    """
    if _configured:
        return _configured[0]
    chosen: str | None = None
    user = os.environ.get("NUMBA_CACHE_DIR", "").strip()
    if user:
        # the user's choice stands; if it is unusable, compile in memory rather than fail
        chosen = user if usable_cache_dir(user) else None
    else:
        tmp = str(Path(tempfile.gettempdir()))
        for cand in (cache_candidates() if candidates is None else [Path(c) for c in candidates]):
            if usable_cache_dir(cand, private=str(cand).startswith(tmp)):
                chosen = str(cand)
                break
    if chosen is not None and not user:
        os.environ["NUMBA_CACHE_DIR"] = chosen
        if "numba.core.config" in sys.modules:
            sys.modules["numba.core.config"].CACHE_DIR = chosen
    if chosen is None:
        _keep_in_memory()
    _configured.append(chosen)
    return chosen
