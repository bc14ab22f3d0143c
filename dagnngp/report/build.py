"""The main job: the paper's analysis, reproduced and checked, as one report.

:func:`build_report` runs the sections of :mod:`dagnngp.report.sections` in order, each
one self-contained.  A section that cannot run (no data folder, a layer that is not
installed) is recorded as skipped with the reason; a section that raises is recorded as
failed with the error, and the others still run.

The report set (``report.html``, ``report.md``, ``report.json`` and the PNGs) is written
into a temporary folder beside the target and renamed into place when it is complete, so
an interrupted run (Ctrl-C) leaves the target as it was: either the previous complete
report or no folder at all.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import secrets
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np

from dagnngp.motif import Motif, MotifError
from dagnngp.progress import show_progress
from dagnngp.report import sections as sec
from dagnngp.report.render import render_html, render_markdown
from dagnngp.report.settings import EXAMPLE_DAGS, ReportError, Settings

__all__ = ["EXAMPLE_DAGS", "REPORT_FILES", "ReportError", "Settings", "build_report", "write_atomic"]

#: The files every report folder holds besides its figures.
REPORT_FILES = ("report.json", "report.md", "report.html")


def write_atomic(path: Path | str, data: str | bytes) -> Path:
    """Write a file via a temporary file in the same folder and a rename.

    A reader never sees a half-written file; an interrupted run leaves the old one.

    >>> import tempfile, pathlib
    >>> p = write_atomic(pathlib.Path(tempfile.mkdtemp()) / "a.txt", "hello")
    >>> p.read_text()
    'hello'
    """
    path = Path(path)
    mode = "wb" if isinstance(data, bytes) else "w"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(fd, mode, **({} if mode == "wb" else {"encoding": "utf-8"})) as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; a report is meant to be read and shared
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def _jsonable(obj: object) -> object:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, np.bool_ | bool):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        v = float(obj)
        return v if math.isfinite(v) else str(v)
    if isinstance(obj, Path):
        return str(obj)
    return obj


#: The figures a report may hold (each section writes its own when it runs).
REPORT_FIGURES = ("dual_map.png", "gaps.png", "kernels.png", "mc_error.png", "nas_scatter.png",
                  "training.png")


def _target_dir(out_dir: Path | str) -> Path:
    """Check ``out_dir`` as a place for a report set and return it; nothing is written here."""
    if not isinstance(out_dir, str | os.PathLike):
        raise ReportError(f"the output folder must be a path, not {type(out_dir).__name__}")
    if not str(out_dir).strip():
        raise ReportError("the output folder is empty (--out \"\"); name a folder, e.g. --out dagnngp-report")
    out = Path(out_dir).expanduser()
    full = Path(os.path.abspath(out))
    if full.parent == full:
        raise ReportError(f"the output folder {str(out)!r} is a file-system root; name a folder inside it")
    cwd = Path.cwd()
    if full == cwd or full in cwd.parents:
        raise ReportError(
            f"the output folder {str(out)!r} is the current folder or contains it; the report replaces "
            "its folder as a whole, so name a new folder, e.g. --out dagnngp-report"
        )
    if full.exists() and not full.is_dir():
        raise ReportError(f"output path {str(out)!r} exists and is not a folder; choose another --out")
    if full.is_dir():
        allowed = set(REPORT_FILES) | set(REPORT_FIGURES)
        foreign = sorted(name for name in os.listdir(full) if name not in allowed)
        if foreign:
            raise ReportError(
                f"the output folder {str(out)!r} holds files that are not part of a dagnngp report "
                f"(e.g. {foreign[0]!r}); the report replaces its folder as a whole, so choose a new or "
                "empty folder, or a previous report's folder"
            )
    return full


def _staging_dir(target: Path) -> Path:
    """Create a fresh, hidden folder beside ``target`` (same file system, so a rename publishes it)."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        while True:
            staging = target.parent / f".{target.name}.tmp-{secrets.token_hex(4)}"
            try:
                staging.mkdir()  # not mkdtemp: the folder keeps the user's umask, as the report is shared
                return staging
            except FileExistsError:
                continue
    except OSError as exc:
        raise ReportError(
            f"cannot write to the output folder {str(target)!r} ({exc.strerror or exc}); "
            "choose a writable folder with --out"
        ) from exc


@contextlib.contextmanager
def _signals_deferred(pending: list[int]) -> Iterator[None]:
    """Hold SIGINT and SIGTERM for the duration (recorded in ``pending``), so a rename pair is never cut.

    Only the main thread can install handlers; elsewhere this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    wanted = [signal.SIGINT] + ([signal.SIGTERM] if hasattr(signal, "SIGTERM") else [])
    saved = {sig: signal.getsignal(sig) for sig in wanted}
    for sig in wanted:
        signal.signal(sig, lambda signum, _frame: pending.append(signum))
    try:
        yield
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    else:
        shutil.rmtree(path, ignore_errors=True)


def _publish(staging: Path, target: Path) -> None:
    """Move the complete report set at ``staging`` to ``target``, replacing a previous one whole."""
    pending: list[int] = []
    trash = None
    with _signals_deferred(pending):
        if target.exists() or target.is_symlink():
            trash = target.parent / f".{target.name}.old-{secrets.token_hex(4)}"
            os.rename(target, trash)
        try:
            os.rename(staging, target)
        except OSError:
            if trash is not None:
                os.rename(trash, target)
            raise
    try:
        if trash is not None:
            _remove(trash)
    finally:
        for sig in pending:  # delivered now, with the set in place
            signal.raise_signal(sig)


def _parse_motifs(motifs: Sequence[Motif | str]) -> tuple[Motif, ...]:
    from dagnngp.nas.cells import motif_or_nb201  # the report also takes NAS-Bench-201 cells

    if isinstance(motifs, str | Motif):
        motifs = (motifs,)
    parsed = []
    for text in motifs:
        try:
            parsed.append(motif_or_nb201(text if isinstance(text, Motif) else str(text)))
        except MotifError as exc:
            raise ReportError(f"bad motif {str(text)[:60]!r}: {exc}") from exc
    return tuple(dict.fromkeys(parsed))


def _progress_hook(progress: bool | Callable[[str], None] | None, total: int):
    """A callable taking a section title, and a closer."""
    if callable(progress):
        return progress, lambda: None
    show = show_progress(progress)
    if not show:
        return (lambda _title: None), lambda: None
    from tqdm import tqdm

    bar = tqdm(total=total, desc="report", unit="section", file=sys.stderr)
    state = {"started": False}

    def step(title: str) -> None:
        if state["started"]:
            bar.update(1)
        state["started"] = True
        bar.set_postfix_str(title)

    def close() -> None:
        bar.update(1)
        bar.close()

    return step, close


def build_report(
    out_dir: Path | str,
    quick: bool = True,
    motifs: Sequence[Motif | str] = (),
    seed: int = 0,
    progress: bool | Callable[[str], None] | None = None,
    only: Sequence[str] | None = None,
) -> dict:
    """Run every section and write ``report.html``, ``report.md``, ``report.json`` and the PNGs.

    Parameters
    ----------
    out_dir:
        Folder for the report set.  It is replaced as a whole when the report is complete,
        so it must be new, empty or a previous report's folder.
    quick:
        Smaller Monte Carlo and the quick check suite (about a minute on 2 cores).
    motifs:
        Extra motifs (strings such as ``"2_12_122"``, NAS-Bench-201 cell strings or
        :class:`~dagnngp.Motif`) derived and compared beside the paper's three example DAGs.
    seed:
        Seed of every random draw (Monte Carlo inputs and weights).
    progress:
        ``None``: a progress bar on stderr when it is a terminal; ``True``/``False``
        to force it; or a callable that receives each section's title.
    only:
        Keys of the sections to run (see :data:`dagnngp.report.sections.SECTIONS`);
        all of them by default.

    Returns the report as a dict (what ``report.json`` holds), with ``files``
    listing what was written.  Raises :class:`ReportError` (a ``ValueError``)
    for a bad motif, section or folder, before any work starts.  If the run is
    interrupted, ``out_dir`` is left as it was.

    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "report"
    >>> rep = build_report(out, only=["dual_map"], progress=False)
    >>> sorted(p.name for p in out.iterdir())
    ['dual_map.png', 'report.html', 'report.json', 'report.md']
    """
    parsed = _parse_motifs(motifs)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ReportError(f"seed must be a non-negative integer, got {seed!r}")
    try:
        chosen = sec.by_key(list(only)) if only is not None else list(sec.SECTIONS)
    except ValueError as exc:
        raise ReportError(str(exc)) from None
    if not chosen:
        raise ReportError("no section to run: name at least one section")
    target = _target_dir(out_dir)
    staging = _staging_dir(target)
    published = False
    try:
        report = _run_sections(staging, chosen, parsed, bool(quick), int(seed), progress)
        _publish(staging, target)
        published = True
    finally:
        if not published:
            _remove(staging)
    return report


def _run_sections(
    out: Path,
    chosen: list[tuple[str, str, Callable[[Settings], dict]]],
    parsed: tuple[Motif, ...],
    quick: bool,
    seed: int,
    progress: bool | Callable[[str], None] | None,
) -> dict:
    """Run the sections into the folder ``out`` and write the report files there."""
    from dagnngp import __version__

    settings = Settings(out_dir=out, quick=quick, motifs=parsed, seed=seed)
    report: dict = {
        "title": "dagnngp report: connectivity, NNGP kernels and convergence bounds",
        "version": __version__,
        "mode": "quick" if settings.quick else "full",
        "seed": settings.seed,
        "motifs": [str(m) for m in parsed],
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "sections": [],
        "files": [],
    }
    step, close = _progress_hook(progress, len(chosen))
    t_all = time.perf_counter()
    for key, title, fn in chosen:
        step(title)
        t0 = time.perf_counter()
        try:
            body = fn(settings)
        except sec.Skip as why:
            body = {"status": "skipped", "reason": str(why)}
        except Exception as exc:  # a failing section must not lose the others' work
            body = {"status": "failed", "reason": f"{type(exc).__name__}: {exc}"}
        body.setdefault("status", "ok")
        body["key"] = key
        body["title"] = title
        body["seconds"] = round(time.perf_counter() - t0, 3)
        for fig in body.get("figures", []):
            report["files"].append(fig["file"])
        report["sections"].append(body)
    close()
    report["elapsed_seconds"] = round(time.perf_counter() - t_all, 3)
    report["files"] += list(REPORT_FILES)
    clean = _jsonable(report)
    write_atomic(out / "report.json", json.dumps(clean, indent=1))
    write_atomic(out / "report.md", render_markdown(clean))
    write_atomic(out / "report.html", render_html(clean, out))
    return clean
