"""Complete motif spaces as lazy, chunked streams, with canonical forms of isomorphism classes.

A motif with ``n`` nodes is identified by its *index* in ``0 .. 3^(n(n-1)/2) - 1``: the base-3
digits of the index (first edge most significant) are its edge codes in motif-string order
(0 zero, 1 skip, 2 linear), so indices sort like motif strings.  :class:`MotifSpace` decodes any
index range on demand, filters it by constraints and, with ``classes=True``, keeps one
representative per isomorphism class (input and output fixed, intermediate nodes relabelled)
together with the class's number of labelled members.

This layer knows nothing of kernels: it uses NumPy and the motif model only.

>>> space = MotifSpace(4, has_path=True)
>>> space.size, space.count()
(729, 662)
>>> classes = MotifSpace(4, has_path=True, classes=True)
>>> classes.count(), classes.count(weighted=True)
(564, 662)
"""

from dagnngp.space.enumerate import (
    MAX_NODES,
    MotifSpace,
    canonical_indices,
    decode_range,
    encode_indices,
    index_of,
    n_edges,
    structure,
)

__all__ = [
    "MAX_NODES",
    "MotifSpace",
    "canonical_indices",
    "decode_range",
    "encode_indices",
    "index_of",
    "n_edges",
    "structure",
]
