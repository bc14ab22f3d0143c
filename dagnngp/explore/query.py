"""Queries over finished motif-space runs: top-k, the Pareto front, and censuses of predicates.

Every query reads only the columns it needs from the run's Parquet files.  Rows carry a
``weight`` (the class size in a run over isomorphism classes, else 1), so counts are always
counts of labelled motifs; ``classes`` counts rows.

>>> import tempfile
>>> from dagnngp.explore.run import RunSpec, run_space
>>> from dagnngp.space import MotifSpace
>>> with tempfile.TemporaryDirectory() as d:
...     spec = RunSpec(MotifSpace(4, has_path=True), C=(0.5,))
...     _ = run_space(spec, d, scheduler="inprocess", progress=False)
...     best = top(d, "gap_ratio@0.5", k=1)[0]
...     c = census([d], "rule12_fails", against="merges_unequal")
>>> best["motif"], best["gap_ratio@0.5"], c["true"], c["mismatches"]
('0_00_100', 0.5, 45, 0)
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from dagnngp.explore.run import _optional, load_manifest, pending_chunks
from dagnngp.space.enumerate import motif_of

__all__ = ["census", "pareto", "read_columns", "top"]


def _columns_of(manifest: dict[str, Any]) -> list[str]:
    return list(manifest["columns"])


def _resolve(manifest: dict[str, Any], name: str) -> list[str]:
    """A column name, or a prefix such as ``rule12_fails`` meaning all its ``@C`` columns."""
    cols = _columns_of(manifest)
    if name in cols:
        return [name]
    hits = [c for c in cols if c.startswith(name + "@")]
    if not hits:
        shown = ", ".join(cols[:40])
        raise ValueError(f"no column {name!r} in this run; its columns: {shown}")
    return hits


def _names(manifest: dict[str, Any], columns: Sequence[str]) -> list[str]:
    names: list[str] = []
    for c in columns:
        for r in _resolve(manifest, c):
            if r not in names:
                names.append(r)
    return names


def _parts(folder: str | os.PathLike, columns: Sequence[str], allow_partial: bool = False
           ) -> Iterator[dict[str, np.ndarray]]:
    """The named columns of each finished chunk in index order, one chunk at a time (bounded memory)."""
    pq = _optional("pyarrow.parquet")
    manifest = load_manifest(folder)
    missing = pending_chunks(folder)
    if missing and not allow_partial:
        raise ValueError(f"the run in {os.fspath(folder)!r} is unfinished ({len(missing)} chunks missing); "
                         "finish it (run it again) or pass allow_partial")
    names = _names(manifest, columns)
    for path in sorted((Path(folder) / "chunks").glob("part-*.parquet")):
        table = pq.read_table(path, columns=names)
        yield {name: table.column(name).to_numpy() for name in names}


def read_columns(folder: str | os.PathLike, columns: Sequence[str],
                 allow_partial: bool = False) -> dict[str, np.ndarray]:
    """The named columns of a run (all finished chunks, in index order) as NumPy arrays.

    A name may be a prefix such as ``gap`` for all its ``@C`` columns.  An unfinished run is
    refused unless ``allow_partial``.  The whole columns are held in memory; the queries below
    read one chunk at a time instead.
    """
    names = _names(load_manifest(folder), columns)
    pieces: dict[str, list[np.ndarray]] = {n: [] for n in names}
    for part in _parts(folder, names, allow_partial):
        for n in names:
            pieces[n].append(part[n])
    return {n: np.concatenate(v) if v else np.empty(0) for n, v in pieces.items()}


def _n_nodes(folder: str | os.PathLike) -> int:
    return int(load_manifest(folder)["spec"]["space"]["n_nodes"])


def _row(folder: str | os.PathLike, cols: dict[str, np.ndarray], k: int) -> dict[str, Any]:
    n = _n_nodes(folder)
    out: dict[str, Any] = {"motif": str(motif_of(n, int(cols["index"][k]))), "nodes": n}
    for name, arr in cols.items():
        v = arr[k]
        out[name] = v.item() if hasattr(v, "item") else v
    return out


def top(folder: str | os.PathLike, by: str, k: int = 10, ascending: bool = False,
        extra: Sequence[str] = ()) -> list[dict[str, Any]]:
    """The ``k`` rows with the largest (``ascending=False``) or smallest values of column ``by``.

    Ties are broken by motif index; rows with a NaN value are skipped.
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 0:
        raise ValueError(f"k must be an int >= 0, got {k!r}")
    manifest = load_manifest(folder)
    col = _resolve(manifest, by)
    if len(col) != 1:
        raise ValueError(f"{by!r} names {len(col)} columns ({', '.join(col[:6])}...); "
                         f"name one, e.g. {col[0]!r}")
    wanted = ["index", "weight", "n_linear_path", col[0], *extra]
    kept: dict[str, np.ndarray] | None = None
    for part in _parts(folder, wanted):
        if kept is not None:
            part = {n: np.concatenate([kept[n], part[n]]) for n in part}
        v = part[col[0]].astype(np.float64)
        ok = np.flatnonzero(~np.isnan(v))
        order = ok[np.lexsort((part["index"][ok], v[ok] if ascending else -v[ok]))][:k]
        kept = {n: a[order] for n, a in part.items()}
    if kept is None:
        return []
    return [_row(folder, kept, i) for i in range(len(kept["index"]))]


def pareto(folder: str | os.PathLike, rate: str, x: str = "n_linear_path") -> list[dict[str, Any]]:
    """The Pareto front of ``(x, rate)``, both to be large: for each value of ``x``, the motif with
    the largest ``rate``, kept when no motif with a larger ``x`` has a rate as large.

    With ``x = "n_linear_path"`` (linear edges on input-output paths) it answers: how fast
    (scale-free) can a cell with this many trainable edges be?  Rows with a NaN rate are skipped; ties
    are broken by motif index.
    """
    manifest = load_manifest(folder)
    rc, xc = _resolve(manifest, rate), _resolve(manifest, x)
    if len(rc) != 1 or len(xc) != 1:
        raise ValueError("name one column for the rate and one for x (e.g. gap_ratio@0.5)")
    best: dict[float, tuple[float, int, int]] = {}  # x -> (rate, index, weight), best per x
    for part in _parts(folder, ["index", "weight", xc[0], rc[0]]):
        r, xs = part[rc[0]].astype(np.float64), part[xc[0]].astype(np.float64)
        ok = np.flatnonzero(~np.isnan(r) & ~np.isnan(xs))
        order = ok[np.lexsort((part["index"][ok], -r[ok], xs[ok]))]  # by x, then rate desc, index
        first = order[np.r_[True, xs[order][1:] != xs[order][:-1]]] if order.size else order
        for i in first:
            cand = (float(r[i]), int(part["index"][i]), int(part["weight"][i]))
            old = best.get(float(xs[i]))
            if old is None or (cand[0], -cand[1]) > (old[0], -old[1]):
                best[float(xs[i])] = cand
    front, top_rate = [], -np.inf
    for xv in sorted(best, reverse=True):
        rate_v, index, weight = best[xv]
        if rate_v > top_rate:
            front.append((xv, rate_v, index, weight))
            top_rate = rate_v
    n = _n_nodes(folder)
    out = []
    for xv, rate_v, index, weight in reversed(front):
        xval: Any = int(xv) if float(xv).is_integer() else xv
        out.append({"motif": str(motif_of(n, index)), "nodes": n, "index": index, "weight": weight,
                    xc[0]: xval, rc[0]: rate_v})
    return out


def census(folders: Sequence[str | os.PathLike], column: str, against: str | None = None,
           k: int = 5, allow_partial: bool = False) -> dict[str, Any]:
    """How many motifs satisfy a boolean column (or any of its ``@C`` columns), over several runs.

    With ``against`` (another boolean column, e.g. a structural prediction), also the number of
    motifs where the two disagree.  ``minimal`` lists up to ``k`` minimal counterexamples (rows
    where the column holds, or where it disagrees with ``against``): fewest nodes, then fewest
    non-zero edges, then smallest index.  Counts are of labelled motifs (class sizes summed);
    ``mismatches_per_column`` compares each ``@C`` column with ``against`` on its own.
    ``allow_partial`` counts the finished chunks of unfinished runs (``runs`` says how many).
    """
    if isinstance(folders, str | os.PathLike):
        folders = [folders]
    totals = {"motifs": 0, "true": 0, "false": 0, "classes": 0, "classes_true": 0, "mismatches": 0,
              "mismatch_classes": 0}
    per_column: dict[str, int] = {}
    candidates: list[tuple[int, int, int, str, int]] = []
    per_run = []
    for folder in folders:
        manifest = load_manifest(folder)
        names = _resolve(manifest, column)
        other = _resolve(manifest, against) if against else []
        n = _n_nodes(folder)
        run = {"folder": os.fspath(folder), "nodes": n, "motifs": 0, "true": 0, "classes": 0,
               "classes_true": 0}
        run["chunks_missing"] = len(pending_chunks(folder))
        for cols in _parts(folder, ["index", "weight", "n_edges", *names, *other], allow_partial):
            w = cols["weight"].astype(np.int64)
            hold = np.zeros(w.size, dtype=bool)
            for nm in names:
                hold |= cols[nm].astype(bool)
            flag = hold
            if against:
                pred = np.zeros(w.size, dtype=bool)
                for nm in other:
                    pred |= cols[nm].astype(bool)
                flag = hold != pred
                totals["mismatches"] += int(w[flag].sum())
                totals["mismatch_classes"] += int(flag.sum())
                for nm in names:  # each correlation on its own, against the same prediction
                    per_column[nm] = per_column.get(nm, 0) + int(w[cols[nm].astype(bool) != pred].sum())
            run["motifs"] += int(w.sum())
            run["true"] += int(w[hold].sum())
            run["classes"] += int(w.size)
            run["classes_true"] += int(hold.sum())
            totals["false"] += int(w[~hold].sum())
            idx = np.flatnonzero(flag)
            if idx.size:
                order = idx[np.lexsort((cols["index"][idx], cols["n_edges"][idx]))][:k]
                candidates += [(n, int(cols["n_edges"][i]), int(cols["index"][i]), os.fspath(folder), 0)
                               for i in order]
                candidates = sorted(candidates)[:k]
        per_run.append(run)
        for key in ("motifs", "true", "classes", "classes_true"):
            totals[key] += run[key]
    candidates.sort()
    minimal = []
    for n, ne, index, _, _ in candidates[:k]:
        minimal.append({"motif": str(motif_of(n, index)), "nodes": n, "edges": ne, "index": index})
    return {"column": column, "against": against, **totals, "mismatches_per_column": per_column,
            "runs": per_run, "minimal": minimal}
