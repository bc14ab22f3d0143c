"""Evaluate the effective depth/width principle on accuracy tables.

Reads any CSV with a cell column and numeric columns (no pandas), maps each
cell to ``(d_bar, m_bar)``, and summarises accuracy per ``(d_bar, m_bar)``
group, by multiple correlation, and inside vs outside a filter box.

Cells may be NAS-Bench-201 strings (``|op~0|+...``), DARTS normal cells (a
list of ``(op, input)`` pairs or a ``Genotype(...)``) or motif strings
(``2_21_112``); see :func:`cell_depth_width`.

>>> table = {"arch": ["2_02_002", "2_22_222", "1_11_111"], "acc": [80.0, 90.0, 10.0]}
>>> rep = table_report(table, arch_col="arch", acc_col="acc")
>>> [(g["dbar"], g["mbar"], g["count"]) for g in rep["groups"]]
[(0.0, 0.0, 1), (2.0, 2.0, 1), (3.0, 0.3333333333333333, 1)]
"""

from __future__ import annotations

import csv
import gzip
import importlib.resources
import math
import os
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from dagnngp.motif import Motif, MotifError
from dagnngp.nas.cells import parse_nb201
from dagnngp.nas.darts import parse_darts
from dagnngp.nas.filter import (
    CODE_BOX_NB201,
    PAPER_CENTER_DARTS,
    PAPER_CENTER_NB201,
    Box,
    SpaceCenter,
    center_radius,
)

__all__ = [
    "DataError",
    "default_data_dir",
    "data_file",
    "find_table",
    "shipped_data_dir",
    "read_columns",
    "cell_depth_width",
    "depth_width_points",
    "multiple_correlation",
    "resolve_box",
    "table_report",
]

#: Environment variable naming the folder of shipped benchmark tables.
DATA_ENV = "DAGNNGP_DATA"


class DataError(ValueError):
    """A data file or column cannot be used; the message says which and why."""


def shipped_data_dir() -> Path | None:
    """The benchmark tables installed with the package (``dagnngp/nas/data``), if present.

    >>> d = shipped_data_dir(); d is None or (d / "nb201_12epoch_accuracy.csv.gz").is_file()
    True
    """
    try:
        folder = importlib.resources.files("dagnngp.nas") / "data"
    except (ModuleNotFoundError, TypeError):  # pragma: no cover - unusual loaders
        return None
    # an installed package is a folder on disk; a zipped one has no usable path
    if isinstance(folder, Path) and any(folder.glob("*.csv.gz")):
        return folder
    return None


def _checkout_data_dir() -> Path | None:
    """``../shared/data`` beside a source checkout (development only, never beside site-packages)."""
    root = Path(__file__).resolve().parents[2]
    if not ((root / "pyproject.toml").is_file() and (root / "numerics").is_dir()):
        return None
    cand = root.parent / "shared" / "data"
    return cand.resolve() if cand.is_dir() else None


def default_data_dir() -> Path | None:
    """Folder of the benchmark tables, or ``None`` when there is none.

    ``$DAGNNGP_DATA`` when set (``None`` if it is not a folder), else the tables
    shipped inside the package (gzip-compressed), else, in a source checkout
    only, ``../shared/data`` beside the repository.  Read a table by its bare
    name with :func:`data_file` or :func:`read_columns`; a ``.csv`` name also finds
    its ``.csv.gz``.

    >>> d = default_data_dir(); d is None or d.is_dir()
    True
    """
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env).expanduser() if Path(env).expanduser().is_dir() else None
    return shipped_data_dir() or _checkout_data_dir()


def _existing(path: Path) -> Path | None:
    if path.is_file():
        return path
    gz = path.with_name(path.name + ".gz")
    return gz if gz.is_file() else None


def data_file(name: str | os.PathLike) -> Path:
    """Resolve a table: an existing path as given, else a file of :func:`default_data_dir`.

    A name ending in ``.csv`` also finds the compressed ``.csv.gz``.

    >>> data_file("no_such_table.csv")
    Traceback (most recent call last):
    ...
    FileNotFoundError: no file 'no_such_table.csv' ...
    """
    path = Path(name).expanduser()
    found = _existing(path)
    if found is not None:
        return found
    base = default_data_dir()
    if base is not None and not path.is_absolute():
        found = _existing(base / path)
        if found is not None:
            return found
    where = f"here or in the data folder {base}" if base else (
        f"here, and no data folder was found (set ${DATA_ENV} to the folder of the benchmark tables)"
    )
    raise FileNotFoundError(f"no file {str(name)!r} {where}")


def find_table(name: str | os.PathLike) -> Path | None:
    """:func:`data_file`, or ``None`` when the table is nowhere.

    >>> find_table("no_such_table.csv") is None
    True
    """
    try:
        return data_file(name)
    except FileNotFoundError:
        return None


def read_columns(
    path: str | os.PathLike,
    text_cols: Sequence[str] = (),
    number_cols: Sequence[str] = (),
    where: Mapping[str, str] | None = None,
    drop_missing: bool = False,
) -> dict[str, list]:
    """Read named columns of a CSV file: text columns as ``str``, number columns as ``float``.

    ``where={"dataset": "cifar10"}`` keeps only matching rows.  An empty or
    non-numeric value raises :class:`DataError` naming the line and column,
    unless ``drop_missing`` (then rows with an empty value in a used column
    are skipped and counted in the result's ``"_dropped"`` entry).
    ``nan``/``inf`` values are refused; ``-inf`` scores are kept.
    Each column's list also comes with ``"_line"``: the file line of each row.
    """
    file = data_file(path)
    where = dict(where or {})
    wanted = list(dict.fromkeys([*text_cols, *number_cols, *where]))
    opener = gzip.open if file.name.endswith(".gz") else open
    with opener(file, "rt", newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        try:
            header = reader.fieldnames or []
        except csv.Error as exc:
            raise DataError(f"{file}, line 1: not a readable CSV header ({exc})") from None
        if not header:
            raise DataError(f"{file}: the file is empty or has no header row")
        missing = [c for c in wanted if c not in header]
        if missing:
            raise DataError(
                f"{file}: no column(s) {', '.join(map(repr, missing))}; the columns are {', '.join(header)}"
            )
        out: dict[str, list] = {c: [] for c in (*text_cols, *number_cols)}
        out["_line"] = []
        dropped = 0
        seen_values: dict[str, set] = {k: set() for k in where}
        for line, row in enumerate(_rows(reader, file), start=2):
            if any(row.get(k) is None for k in wanted):
                raise DataError(f"{file}, line {line}: the row has fewer fields than the header")
            skip = False
            for k, v in where.items():
                seen_values[k].add(row[k])
                if row[k] != v:
                    skip = True
            if skip:
                continue
            if drop_missing and any(row[c].strip() == "" for c in (*text_cols, *number_cols)):
                dropped += 1
                continue
            for c in text_cols:
                if row[c].strip() == "":
                    raise DataError(f"{file}, line {line}, column {c!r}: empty value "
                                    "(pass drop_missing / --drop-missing to skip such rows)")
                out[c].append(row[c].strip())
            for c in number_cols:
                out[c].append(_number(row[c], file, line, c))
            out["_line"].append(line)
        for k, v in where.items():
            if v not in seen_values[k]:
                raise DataError(
                    f"{file}: no row has {k} = {v!r}; values present: {', '.join(sorted(seen_values[k]))}"
                )
    if not out["_line"]:
        raise DataError(f"{file}: no data rows" + (f" with {where}" if where else ""))
    out["_dropped"] = [dropped]
    return out


def _rows(reader: csv.DictReader, file: Path):
    """The reader's rows; a malformed row (e.g. a field over the CSV size limit) is a DataError."""
    try:
        yield from reader
    except csv.Error as exc:
        raise DataError(f"{file}: the row after line {reader.line_num} is not readable CSV ({exc})") from None


def _number(text: str, file: Path, line: int, col: str) -> float:
    s = text.strip()
    if s == "":
        raise DataError(f"{file}, line {line}, column {col!r}: empty value "
                        "(pass drop_missing / --drop-missing to skip such rows)")
    try:
        value = float(s)
    except ValueError:
        raise DataError(f"{file}, line {line}, column {col!r}: {s!r} is not a number") from None
    if math.isnan(value) or value == math.inf:
        raise DataError(f"{file}, line {line}, column {col!r}: {s!r} is not a finite number")
    return value


@lru_cache(maxsize=65536)
def cell_depth_width(cell: str, space: str = "auto") -> tuple[float, float]:
    """``(d_bar, m_bar)`` of a cell given as text.

    ``space`` is ``"nb201"``, ``"darts"``, ``"motif"`` or ``"auto"`` (a string
    starting with ``|`` is NAS-Bench-201, one starting with ``[`` or
    ``Genotype`` is DARTS, anything else a motif string).

    >>> cell_depth_width("|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|")
    (1.0, 1.0)
    >>> cell_depth_width("2_21_112")
    (1.25, 2.4)
    """
    text = cell.strip()
    if space == "auto":
        if text.startswith("|"):
            space = "nb201"
        elif text.startswith(("[", "(", "Genotype")):
            space = "darts"
        else:
            space = "motif"
    if space == "nb201":
        return parse_nb201(text).effective_depth_width()
    if space == "darts":
        return parse_darts(text).effective_depth_width()
    if space == "motif":
        return Motif.parse(text).effective_depth_width()
    raise MotifError(f"unknown cell space {space!r}: use 'auto', 'nb201', 'darts' or 'motif'")


def depth_width_points(cells: Sequence[str], space: str = "auto", lines: Sequence[int] | None = None,
                       column: str = "") -> np.ndarray:
    """``(n, 2)`` array of ``(d_bar, m_bar)``; a bad cell's error names its row (and line).

    >>> depth_width_points(["2_21_112", "1_01_222"]).tolist()
    [[1.25, 2.4], [1.0, 3.0]]
    """
    pts = np.empty((len(cells), 2))
    for i, c in enumerate(cells):
        try:
            pts[i] = cell_depth_width(c, space)
        except MotifError as exc:
            at = f"line {lines[i]}" if lines is not None else f"row {i}"
            col = f", column {column!r}" if column else ""
            raise DataError(f"{at}{col}: {exc}") from None
    return pts


def multiple_correlation(y: object, x: object) -> float:
    """Multiple correlation ``R`` of ``y`` on the columns of ``x`` (with intercept).

    ``R^2 = c' Rxx^-1 c`` with ``c`` the correlations of ``y`` with each
    column and ``Rxx`` their correlation matrix; computed stably as
    ``sqrt(1 - SS_res / SS_tot)`` of the least-squares fit, which is the same
    number (and still defined when the columns are collinear).

    >>> multiple_correlation([1.0, 2.0, 3.0, 4.0], [[0, 1], [1, 0], [2, 1], [3, 0]])
    1.0
    """
    yv = np.asarray(y, dtype=float)
    xv = np.asarray(x, dtype=float).reshape(len(yv), -1)
    if len(yv) < 3:
        raise DataError(f"multiple correlation needs at least 3 rows, got {len(yv)}")
    ss_tot = float(((yv - yv.mean()) ** 2).sum())
    if ss_tot == 0:
        raise DataError("multiple correlation is undefined: the accuracy column is constant")
    design = np.column_stack([np.ones(len(yv)), xv])
    coef, *_ = np.linalg.lstsq(design, yv, rcond=None)
    ss_res = float(((yv - design @ coef) ** 2).sum())
    return float(math.sqrt(min(1.0, max(0.0, 1.0 - ss_res / ss_tot))))


def _summary(acc: np.ndarray) -> dict:
    if len(acc) == 0:
        return {"count": 0, "mean": None, "std": None, "median": None, "min": None, "max": None}
    return {
        "count": int(len(acc)),
        "mean": float(acc.mean()),
        "std": float(acc.std(ddof=1)) if len(acc) > 1 else None,
        "median": float(np.median(acc)),
        "min": float(acc.min()),
        "max": float(acc.max()),
    }


def resolve_box(box: str | Box | SpaceCenter, points: np.ndarray | None = None,
                radius_fraction: float | None = None, space: str = "nb201") -> Box:
    """Turn a box name into a :class:`Box`.

    ``"paper"`` (the paper's centre and radius for ``space``), ``"code"`` (the
    public code's fixed NAS-Bench-201 box; no radius fraction) or
    ``"computed"`` (centre and radius of ``points``, ``d_bar = 0`` excluded).
    ``radius_fraction`` defaults to 1/2.

    >>> str(resolve_box("paper"))
    'paper NB201 x0.5r: d in [0.9, 2.3], m in [1.3, 3.1]'
    """
    if isinstance(box, Box):
        return box
    frac = 0.5 if radius_fraction is None else radius_fraction
    if isinstance(box, SpaceCenter):
        return box.box(frac)
    if box == "code":
        if radius_fraction is not None:
            raise DataError(
                "the code box has fixed bounds; --radius-fraction applies to 'paper' or 'computed'"
            )
        return CODE_BOX_NB201
    if box == "paper":
        return (PAPER_CENTER_DARTS if space == "darts" else PAPER_CENTER_NB201).box(frac)
    if box == "computed":
        if points is None:
            raise DataError("box 'computed' needs the (d_bar, m_bar) points of the cells")
        return center_radius(points, name="computed").box(frac)
    raise DataError(f"unknown box {box!r}: use 'paper', 'code' or 'computed'")


def table_report(
    table: Mapping[str, Sequence],
    arch_col: str = "arch_str",
    acc_col: str = "cifar10-test",
    box: str | Box | SpaceCenter = "paper",
    radius_fraction: float | None = None,
    space: str = "auto",
) -> dict:
    """Accuracy against ``(d_bar, m_bar)`` for a table of cells (a dict of columns).

    Returns a JSON-ready dict:

    * ``groups``: one record per distinct ``(d_bar, m_bar)`` (rounded to 9
      decimals), sorted, with ``dbar``, ``mbar``, ``count``, ``mean``, ``std``
      (sample standard deviation, ``None`` for a single cell);
    * ``R``: multiple correlation of accuracy on ``(d_bar, m_bar)`` **over
      cells** (every row one observation; ``R_method`` says so), and
      ``R_groups``: the same over the group means, one point per group
      (unweighted), as the dots of the paper's Fig. 5;
    * ``box`` and ``inside`` / ``outside`` summaries (count, fraction, mean,
      std, median, min, max) of the cells the box keeps and drops;
    * ``n_cells``, ``n_zero_depth``, ``center`` (computed centre/radius of
      these cells, ``d_bar = 0`` excluded), ``best`` (top cell).
    """
    for col in (arch_col, acc_col):
        if col not in table:
            names = ", ".join(k for k in table if not k.startswith("_"))
            raise DataError(f"no column {col!r}; the columns are {names}")
    cells = list(table[arch_col])
    acc = np.asarray(table[acc_col], dtype=float)
    if len(cells) != len(acc):
        raise DataError(f"columns {arch_col!r} and {acc_col!r} differ in length ({len(cells)} vs {len(acc)})")
    if len(cells) == 0:
        raise DataError("the table has no rows")
    if not np.all(np.isfinite(acc)):
        raise DataError(f"column {acc_col!r} holds NaN or infinite accuracies")
    lines = table.get("_line")
    pts = depth_width_points(cells, space, lines, arch_col)
    is_darts = space == "darts" or (space == "auto" and cells[0].strip().startswith(("[", "(", "Genotype")))
    chosen = resolve_box(box, pts, radius_fraction, "darts" if is_darts else "nb201")
    inside = chosen.mask(pts)

    keys = np.round(pts, 9)
    groups = []
    uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    for g in range(len(uniq)):
        members = inverse == g
        a = acc[members]
        d, m = pts[np.argmax(members)]
        groups.append({
            "dbar": float(d), "mbar": float(m), "count": int(len(a)), "mean": float(a.mean()),
            "std": float(a.std(ddof=1)) if len(a) > 1 else None,
            "inside": bool(chosen.contains(float(d), float(m))),
        })
    r_cells = multiple_correlation(acc, pts) if len(acc) >= 3 and acc.std() > 0 else None
    means = np.array([g["mean"] for g in groups])
    r_groups = (multiple_correlation(means, uniq) if len(groups) >= 3 and means.std() > 0 else None)
    best = int(np.argmax(acc))
    try:
        center = center_radius(pts).as_dict()
    except ValueError:
        center = None
    ins, outs = _summary(acc[inside]), _summary(acc[~inside])
    ins["fraction"] = float(inside.mean())
    outs["fraction"] = float(1 - inside.mean())
    return {
        "arch_col": arch_col,
        "acc_col": acc_col,
        "n_cells": int(len(acc)),
        "n_zero_depth": int((pts[:, 0] == 0).sum()),
        "groups": groups,
        "R": r_cells,
        "R_method": "cells",
        "R_groups": r_groups,
        "R_note": "R: multiple correlation of accuracy on (dbar, mbar) over all cells, with intercept; "
                  "R_groups: the same over the unweighted group means",
        "center": center,
        "box": chosen.as_dict(),
        "inside": ins,
        "outside": outs,
        "best": {"cell": cells[best], "acc": float(acc[best]), "dbar": float(pts[best, 0]),
                 "mbar": float(pts[best, 1]), "inside": bool(inside[best])},
    }
