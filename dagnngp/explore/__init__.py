"""Whole motif spaces, run in-process or on Dask, and queries over a finished run.

:func:`run_space` computes the per-motif columns of a :class:`~dagnngp.space.MotifSpace`
(:mod:`dagnngp.numerics.space_kernels`) chunk by chunk into a folder of Parquet files that a
later call resumes; :mod:`dagnngp.explore.query` reads such a folder back (top-k, Pareto front,
census of a predicate with minimal counterexamples); :func:`gram_to_zarr` computes the kernel of
input sets too large for memory, block by block, into a Zarr array.  Dask, pyarrow and Zarr come with the
optional extra ``dagnngp[dask]`` and are imported only when used.

>>> spec = RunSpec(MotifSpace(3), C=(0.0, 0.5), plugins=("rule12",))
>>> spec.stored_columns()
['rule12@0', 'rule12@0.5', 'paper_gap@0', 'paper_gap@0.5', 'rule12_fails@0', 'rule12_fails@0.5']
"""

from dagnngp.explore.gram import gram_to_zarr, pending_blocks
from dagnngp.explore.query import census, pareto, read_columns, top
from dagnngp.explore.run import RunSpec, chunk_table, load_manifest, pending_chunks, run_space
from dagnngp.space import MotifSpace

__all__ = ["MotifSpace", "RunSpec", "census", "chunk_table", "gram_to_zarr", "load_manifest", "pareto",
           "pending_blocks", "pending_chunks", "read_columns", "run_space", "top"]
