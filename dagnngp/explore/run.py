"""Resumable runs over a motif space: chunks computed in-process or on Dask, written atomically.

A run is a folder: ``manifest.json`` (the space, correlations, plug-ins and kernel options, and
the list of chunks) and ``chunks/part-START-STOP.parquet``, one Parquet file per finished chunk,
each written to a temporary name and renamed into place, so a file that exists is complete.
Running the same specification into the same folder again computes only the missing chunks:
an interrupted run resumes where it stopped, and a chunk whose worker died is recomputed by
Dask with the same result.

>>> import tempfile
>>> spec = RunSpec(MotifSpace(4, has_path=True), C=(0.5,), plugins=("nngp", "paths"))
>>> with tempfile.TemporaryDirectory() as d:
...     info = run_space(spec, d, scheduler="inprocess", progress=False)
...     info["rows"], info["chunks_done"], info["complete"]
(662, 1, True)
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from dagnngp.numerics.space_kernels import check_correlations, chunk_columns, column_names
from dagnngp.progress import show_progress
from dagnngp.space import MotifSpace
from dagnngp.space.enumerate import motif_of

__all__ = ["DEFAULT_CHUNK", "LOCAL_ABOVE", "RunSpec", "chunk_table", "load_manifest", "run_space"]

#: Default chunk length (motifs); a 6-node chunk at 16 correlations needs about 150 MB while computed.
DEFAULT_CHUNK = 3**11
#: Spaces with more labelled motifs than this run on a LocalCluster unless told otherwise.
LOCAL_ABOVE = 3**15
#: Environment variable naming a scheduler address (or ``inprocess`` / ``local``).
SCHEDULER_ENV = "DAGNNGP_SCHEDULER"
FORMAT = 1
STRUCTURE_COLUMNS = ("n_linear", "n_linear_path", "n_edges", "max_in_degree", "merges_unequal")


def _optional(module: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(
            f"motif-space runs need {module.split('.')[0]}, which is not installed; "
            "install the optional extra: pip install 'dagnngp[dask]'") from None


@dataclass(frozen=True)
class RunSpec:
    """What a run computes: a :class:`MotifSpace`, correlations, plug-ins and kernel options.

    ``keep`` names the column families to store (``gap``, ``gap_ratio``, ``rule12``, ...: a name
    before ``@`` keeps it at every correlation); by default every column of the plug-ins.
    ``user`` is an optional picklable callable ``Motif -> dict[str, float | bool]`` applied to
    every kept motif in Python (slow: meant for small spaces or restricted ones); its name is
    recorded so that a resumed run with a different callable is refused.
    """

    space: MotifSpace
    C: tuple[float, ...] = (0.5,)
    plugins: tuple[str, ...] = ("nngp", "rule12", "paths")
    model: str = "exact"
    c_sigma: float = 2.0
    sigma_b: float = 0.0
    chunk_size: int = DEFAULT_CHUNK
    #: the edge convention of the nngp and ntk plug-ins (``"post"`` or ``"pre"``)
    edge: str = "post"
    keep: tuple[str, ...] | None = None
    user: Callable[..., dict[str, Any]] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.space, MotifSpace):
            raise ValueError(f"space must be a MotifSpace, got {type(self.space).__name__}")
        if self.edge not in ("post", "pre"):
            raise ValueError(f"edge={self.edge!r} is not known; use 'post' or 'pre'")
        object.__setattr__(self, "C", check_correlations(self.C))
        object.__setattr__(self, "plugins", tuple([self.plugins] if isinstance(self.plugins, str)
                                                  else self.plugins))
        names = column_names(self.plugins, self.C)  # validates the plug-in names
        if self.keep is not None:
            keep = tuple([self.keep] if isinstance(self.keep, str) else self.keep)
            families = {n.split("@")[0] for n in names}
            bad = [k for k in keep if k not in families]
            if bad:
                raise ValueError(f"keep names unknown columns {bad}; the plug-ins give {sorted(families)}")
            object.__setattr__(self, "keep", keep)
        self.space.chunks(self.chunk_size)  # validates the chunk size

    def describe(self) -> dict[str, Any]:
        """The specification as JSON-ready data (what a resumed run must match)."""
        user = None if self.user is None else (
            f"{self.user.__module__}.{getattr(self.user, '__qualname__', '?')}")
        return {"space": self.space.describe(), "C": list(self.C), "plugins": list(self.plugins),
                "model": self.model, "c_sigma": float(self.c_sigma), "sigma_b": float(self.sigma_b),
                **({"edge": self.edge} if self.edge != "post" else {}),
                "chunk_size": int(self.chunk_size),
                "keep": list(self.keep) if self.keep is not None else None, "user": user}

    def stored_columns(self) -> list[str]:
        """The computed columns that the run stores (after ``keep``)."""
        names = column_names(self.plugins, self.C)
        if self.keep is None:
            return names
        return [n for n in names if n.split("@")[0] in self.keep]


def chunk_table(spec: RunSpec, start: int, stop: int) -> Any:
    """The Parquet table (pyarrow) of the kept motifs with index in ``[start, stop)``."""
    pa = _optional("pyarrow")
    sp = spec.space
    idx, codes, weight, st = sp.select_structure(start, stop)
    cols: dict[str, Any] = {"index": idx, "weight": weight}
    for name in STRUCTURE_COLUMNS:
        cols[name] = st[name]
    computed = chunk_columns(sp.n_nodes, start, stop, spec.C, spec.plugins, spec.model, spec.c_sigma,
                             spec.sigma_b, keep=spec.keep, rows=idx - start, edge=spec.edge)
    everything = idx.size == stop - start
    local = idx - start
    for name in spec.stored_columns():
        cols[name] = computed[name] if everything else computed[name][local]
    if spec.user is not None:
        rows = [spec.user(motif_of(sp.n_nodes, int(k))) for k in idx]
        names = sorted({k for r in rows for k in r})
        clash = [k for k in names if k in cols]
        if clash:
            raise ValueError(f"the user plug-in returned columns that already exist: {clash}")
        for k in names:
            cols[k] = np.asarray([r.get(k, np.nan) for r in rows])
    return pa.table(cols)


def _part_name(start: int, stop: int) -> str:
    return f"part-{start:015d}-{stop:015d}.parquet"


def _final_path(out: str, start: int, stop: int) -> Path:
    return Path(out) / "chunks" / _part_name(start, stop)


def _write_table(table: Any, final: Path) -> int:
    """Write a chunk's table under a temporary name, then rename it into place (atomic)."""
    pq = _optional("pyarrow.parquet")
    tmp = final.with_name(f".{final.name}.{os.getpid()}.{time.monotonic_ns()}.tmp")
    try:
        pq.write_table(table, tmp, compression="lz4", use_dictionary=False)
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            tmp.unlink()
    return table.num_rows


def _write_chunk(spec: RunSpec, out: str, start: int, stop: int) -> tuple[int, int, int]:
    """Compute one chunk and write it atomically; returns ``(start, stop, rows)``."""
    final = _final_path(out, start, stop)
    if final.exists():  # a retried or duplicated task: the file is complete (renamed into place)
        pq = _optional("pyarrow.parquet")
        return start, stop, pq.ParquetFile(final).metadata.num_rows
    return start, stop, _write_table(chunk_table(spec, start, stop), final)


def load_manifest(out: str | os.PathLike) -> dict[str, Any]:
    """The manifest of a run folder (``ValueError`` if there is none or it is unreadable)."""
    path = Path(out) / "manifest.json"
    if not path.is_file():
        raise ValueError(f"{os.fspath(out)!r} is not a motif-space run (no manifest.json)")
    try:
        return json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"the manifest of {os.fspath(out)!r} is not valid JSON: {exc}") from None


def _prepare(spec: RunSpec, out: Path) -> list[tuple[int, int]]:
    chunks = spec.space.chunks(spec.chunk_size)
    out.mkdir(parents=True, exist_ok=True)
    (out / "chunks").mkdir(exist_ok=True)
    manifest = {"format": FORMAT, "spec": spec.describe(),
                "columns": ["index", "weight", *STRUCTURE_COLUMNS, *spec.stored_columns()],
                "chunks": [list(c) for c in chunks]}
    for stale in (out / "chunks").glob(".part-*.tmp"):  # left by a process killed while writing
        stale.unlink(missing_ok=True)
    path = out / "manifest.json"
    if path.exists():
        old = load_manifest(out)
        if old.get("spec") != manifest["spec"]:
            raise ValueError(f"{os.fspath(out)!r} holds a run of another specification; "
                             "choose a new folder or delete that one")
    else:
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(manifest, indent=1))
        os.replace(tmp, path)
    return chunks


def pending_chunks(out: str | os.PathLike) -> list[tuple[int, int]]:
    """The chunks of a run folder that have no finished file yet."""
    m = load_manifest(out)
    done = {p.name for p in (Path(out) / "chunks").glob("part-*.parquet")}
    return [(a, b) for a, b in m["chunks"] if _part_name(a, b) not in done]


def _choose(scheduler: str | None, spec: RunSpec) -> str:
    s = scheduler or os.environ.get(SCHEDULER_ENV) or ""
    if not s:
        return "inprocess" if spec.space.size <= LOCAL_ABOVE else "local"
    return s


def run_space(spec: RunSpec, out: str | os.PathLike, *, scheduler: str | None = None,
              n_workers: int | None = None, max_chunks: int | None = None,
              progress: bool | None = None, client: Any = None) -> dict[str, Any]:
    """Compute the missing chunks of ``spec`` into the folder ``out``; returns a summary dict.

    ``scheduler``: ``"inprocess"`` (one process, the compiled kernel on every core), ``"local"``
    (a ``dask.distributed`` LocalCluster of ``n_workers`` single-threaded processes, the
    machine's cores by default) or the address of a running Dask scheduler; by default the
    environment variable ``DAGNNGP_SCHEDULER``, else in-process up to ``3^15`` motifs and
    LocalCluster above.  ``client``: an existing ``distributed.Client`` to use instead.
    ``max_chunks`` stops after that many new chunks (to measure the rate of a large space).
    """
    out = Path(out)
    chunks = _prepare(spec, out)
    todo = pending_chunks(out)
    if max_chunks is not None:
        todo = todo[: max(0, int(max_chunks))]
    mode = "client" if client is not None else _choose(scheduler, spec)
    t0 = time.perf_counter()
    rows = 0
    bar = _bar(len(chunks), len(chunks) - len(pending_chunks(out)), show_progress(progress))
    try:
        if mode == "inprocess":
            rows += _run_inprocess(spec, out, todo, bar)
        else:
            rows += _run_dask(spec, out, todo, mode, n_workers, client, bar)
    finally:
        bar.close()
    seconds = time.perf_counter() - t0
    left = pending_chunks(out)
    computed = sum(b - a for a, b in todo)
    return {"folder": os.fspath(out), "scheduler": mode, "chunks": len(chunks),
            "chunks_done": len(chunks) - len(left), "complete": not left, "new_chunks": len(todo),
            "rows": rows, "motifs_scanned": computed, "seconds": seconds,
            "motifs_per_second": computed / seconds if seconds > 0 else float("inf")}


def _run_inprocess(spec: RunSpec, out: Path, todo: Sequence[tuple[int, int]], bar: Any) -> int:
    """Compute chunks in this process; each chunk's file is written by a second thread while the
    next chunk is computed (at most two chunks in memory)."""
    from concurrent.futures import ThreadPoolExecutor

    rows = 0
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = None
        for a, b in todo:
            table = chunk_table(spec, a, b)
            if pending is not None:
                rows += pending.result()
                bar.update(1)
            pending = pool.submit(_write_table, table, _final_path(os.fspath(out), a, b))
            del table
        if pending is not None:
            rows += pending.result()
            bar.update(1)
    return rows


@contextmanager
def dask_client(mode: str, n_workers: int | None = None, client: Any = None) -> Iterator[Any]:
    """A ``distributed.Client``: ``client`` itself, a new LocalCluster's (``mode="local"``, ``n_workers``
    single-threaded processes) or one connected to the scheduler at address ``mode``.

    What it starts, it closes on exit.
    """
    distributed = _optional("distributed")
    if client is not None:
        yield client
        return
    own = []
    try:
        if mode == "local":
            cluster = distributed.LocalCluster(n_workers=n_workers or os.cpu_count() or 1,
                                               threads_per_worker=1, processes=True, dashboard_address=None,
                                               env={"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"})
            own.append(cluster)
            client = distributed.Client(cluster)
        else:
            client = distributed.Client(mode)
        own.insert(0, client)
        yield client
    finally:
        for obj in own:
            obj.close()


def _run_dask(spec: RunSpec, out: Path, todo: Sequence[tuple[int, int]], mode: str,
              n_workers: int | None, client: Any, bar: Any) -> int:
    distributed = _optional("distributed")
    rows = 0
    with dask_client(mode, n_workers, client) as client:
        futures = [client.submit(_write_chunk, spec, os.fspath(out), a, b, key=f"chunk-{a}-{b}-{os.getpid()}",
                                 retries=3) for a, b in todo]
        for fut in distributed.as_completed(futures):
            rows += fut.result()[2]
            bar.update(1)
    return rows


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _bar(total: int, done: int, show: bool) -> Any:
    if not show:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, initial=done, unit="chunk", desc="motif space", leave=False)
