"""The main job: the paper's analysis, reproduced and checked, as one report.

:func:`build_report` runs the sections below in order, each one self-contained.
A section that cannot run (no data folder, a layer that is not installed)
is recorded as skipped with the reason; a section that raises is recorded as
failed with the error, and the others still run.  Files are written
atomically: each figure as soon as its section finishes, ``report.json``
after every section, and ``report.html`` / ``report.md`` at the end.

Sections: the ReLU dual map; the example DAGs (and any motifs given) derived
and bounded; exact vs paper kernel entries; Monte Carlo against the exact
limit; the proofs_check suite; the rule-(12) audit over all 4-node motifs;
the NAS-Bench-201 filter constants and the (d̄, m̄) scatter on the shipped data.
"""

from __future__ import annotations

import json
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dagnngp.motif import Motif, MotifError
from dagnngp.progress import show_progress

__all__ = ["EXAMPLE_DAGS", "ReportError", "Settings", "build_report", "write_atomic"]

#: The paper's three example DAGs (spec section 2.3), label -> motif string.
EXAMPLE_DAGS: dict[str, str] = {
    "DAG#1 sequential": "2_02_002",
    "DAG#2 parallel": "1_01_222",
    "DAG#3 mixed": "2_21_112",
}

#: Correlations of the spec's test-vector table (section 2.3).
TEST_CORRELATIONS = (-1.0, -0.5, 0.0, 0.3, 0.5, 0.9)

#: Spec section 2.3 test vectors: C -> (dag1, dag2, dag3 true 2x2 gap, paper model).
SPEC_GAPS = {
    -1.0: (0.50627, 3.00000, 3.63662),
    -0.5: (0.47172, 2.67301, 3.64160),
    0.0: (0.39517, 2.04507, 2.69423),
    0.3: (0.32418, 1.55177, 2.02216),
    0.5: (0.26187, 1.17301, 1.52319),
    0.9: (0.07515, 0.27138, 0.35498),
}
#: Spec section 2.4: DAG#3 exact-model 2x2 gap.
SPEC_DAG3_EXACT = {-0.5: 3.71657, 0.0: 2.74252, 0.5: 1.54320, 0.9: 0.35711}
#: Spec section 2.1: h^k(0) for k = 1..5.
SPEC_H_ITERATES_AT_0 = (0.3183099, 0.4937311, 0.6048257, 0.6809535, 0.7359464)
#: Spec CC-13: leading coefficient kappa of gap ~ kappa (1 - C) for DAG#1-3.
SPEC_KAPPA = {"2_02_002": 1.0, "1_01_222": 3.0, "2_21_112": 4.0}


class ReportError(ValueError):
    """The report cannot start (bad motif, unwritable folder); the message says how to fix it."""


@dataclass
class Settings:
    """What one report run does; ``quick`` trades Monte Carlo size and check depth for time."""

    out_dir: Path
    quick: bool = True
    motifs: tuple[Motif, ...] = ()
    seed: int = 0
    mc_motif: str = "2_21_112"
    mc_inputs: int = 4
    mc_input_dim: int = 8
    widths: tuple[int, ...] = ()
    draws: int = 0
    data_dir: Path | None = None
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.widths:
            self.widths = (
                (64, 128, 256, 512, 1024, 2048, 4096)
                if self.quick
                else (64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384)
            )
        if not self.draws:
            self.draws = 16 if self.quick else 40


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


def _prepare_out_dir(out_dir: Path | str) -> Path:
    out = Path(out_dir).expanduser()
    if out.exists() and not out.is_dir():
        raise ReportError(f"output path {str(out)!r} exists and is not a folder; choose another --out")
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-test-", dir=out)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise ReportError(
            f"cannot write to the output folder {str(out)!r} ({exc.strerror or exc}); "
            "choose a writable folder with --out"
        ) from exc
    return out


def _parse_motifs(motifs: Sequence[Motif | str]) -> tuple[Motif, ...]:
    parsed = []
    for text in motifs:
        if isinstance(text, Motif):
            parsed.append(text)
            continue
        try:
            parsed.append(Motif.parse(str(text)))
        except MotifError as exc:
            raise ReportError(f"bad motif {text!r}: {exc}") from exc
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
) -> dict:
    """Run every section and write ``report.html``, ``report.md``, ``report.json`` and the PNGs.

    Parameters
    ----------
    out_dir:
        Folder for the files (created if needed; must be writable).
    quick:
        Smaller Monte Carlo and the quick check suite (about a minute on 2 cores).
    motifs:
        Extra motifs (strings such as ``"2_12_122"`` or :class:`~dagnngp.Motif`)
        derived and compared beside the paper's three example DAGs.
    seed:
        Seed of every random draw (Monte Carlo inputs and weights).
    progress:
        ``None``: a progress bar on stderr when it is a terminal; ``True``/``False``
        to force it; or a callable that receives each section's title.

    Returns the report as a dict (what ``report.json`` holds), with ``files``
    listing what was written.  Raises :class:`ReportError` (a ``ValueError``)
    for a bad motif or an unwritable folder, before any work starts.

    >>> import tempfile
    >>> build_report(tempfile.mkdtemp(), motifs=["2_2"], progress=False)  # doctest: +SKIP
    """
    from dagnngp.report import sections as sec
    from dagnngp.report.render import render_html, render_markdown

    parsed = _parse_motifs(motifs)
    if not isinstance(seed, int | np.integer) or seed < 0:
        raise ReportError(f"seed must be a non-negative integer, got {seed!r}")
    out = _prepare_out_dir(out_dir)
    settings = Settings(out_dir=out, quick=bool(quick), motifs=parsed, seed=int(seed))
    from dagnngp import __version__

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
    step, close = _progress_hook(progress, len(sec.SECTIONS))
    t_all = time.perf_counter()
    for key, title, fn in sec.SECTIONS:
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
        report["elapsed_seconds"] = round(time.perf_counter() - t_all, 3)
        write_atomic(out / "report.json", json.dumps(_jsonable(report), indent=1))
    close()
    report["elapsed_seconds"] = round(time.perf_counter() - t_all, 3)
    report["files"] += ["report.json", "report.md", "report.html"]
    clean = _jsonable(report)
    write_atomic(out / "report.json", json.dumps(clean, indent=1))
    write_atomic(out / "report.md", render_markdown(clean))
    write_atomic(out / "report.html", render_html(clean, out))
    return clean
