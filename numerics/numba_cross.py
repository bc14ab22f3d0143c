"""The Numba kernel on a rectangle: ``K(X1, X2)`` without the blocks ``K(X1, X1)``, ``K(X2, X2)``.

The pre-pass of ``dagnngp.numerics.numba_program.prepare`` runs on the joint
set ``[X2; X1]``, so column ``j`` of the rectangle reads input ``j`` of the
pre-pass and row ``i`` reads input ``n2 + i``; the entries are then computed by
the same per-chunk interpreter (``dagnngp.numerics.numba_program._chunk``)
as the square kernel.  This module imports Numba at the top;
``dagnngp.numerics.cross`` loads it on first use.

>>> import numpy as np
>>> from dagnngp.motif import Motif
>>> from dagnngp.numerics.numba_program import prepare
>>> prep = prepare(Motif.parse("2_02_002"), "exact", np.ones(2), np.zeros(2), 2.0, 0.0)
>>> K = np.array([[0.5]])  # <x1, x2> with x2 the pre-pass's input 0 and x1 its input 1
>>> relu_cross_rows(prep, K, 1), round(float(K[0, 0]), 5)
(0, 0.73813)
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from dagnngp.numerics.numba_dual import NUMBA_FLAGS
from dagnngp.numerics.numba_program import CHUNK, Prepared, _chunk, _load_inputs, _store, main_pass_args

__all__ = ["relu_cross_rows"]


@njit(parallel=True, **NUMBA_FLAGS)
def _cross_rows(main, main_slot, main_slot_e, main_coef, par, root, row_factor, col_factor, k0_slot, ek0_slot,
                wn, out_slot, ntk_slot, n_slots, K, row0, out2):
    """Replace each entry of ``K`` (the input cross Gram) by the output's, the NTK into ``out2``.

    Returns the number of non-finite values written.  Each chunk of ``K`` is read into the
    scratch before it is overwritten.
    """
    nr, n = K.shape
    bad = 0
    for r in prange(nr):
        S = np.empty((n_slots, CHUNK))
        i = row0 + r
        for j0 in range(0, n, CHUNK):
            nb = min(CHUNK, n - j0)
            _load_inputs(k0_slot, ek0_slot, wn, K[r], i, j0, nb, S)  # read before it is overwritten
            _chunk(main, main_slot, main_slot_e, main_coef, par, root, row_factor, col_factor, wn, i, j0, nb,
                   S)
            bad += _store(S, out_slot, K, r, j0, nb)
            if ntk_slot >= 0:
                bad += _store(S, ntk_slot, out2, r, j0, nb)
    return bad


def relu_cross_rows(prep: Prepared, K: np.ndarray, row0: int, ntk_out: np.ndarray | None = None) -> int:
    """Turn the input cross Gram ``K`` (C-contiguous, rows = pre-pass inputs ``row0 ..``) into the output's.

    Columns ``j`` are the pre-pass's inputs ``0 .. K.shape[1] - 1``.  Works in
    place; a pre-pass prepared with ``ntk=True`` also writes the NTK into
    ``ntk_out`` (same shape).  Returns how many entries are not finite.
    """
    if not K.flags.c_contiguous:
        raise ValueError("K must be C-contiguous")
    n_in = prep.pd.shape[1]
    if K.shape[1] > n_in or row0 < 0 or row0 + K.shape[0] > n_in:
        raise ValueError(f"a {K.shape} block at row {row0} does not fit a pre-pass of {n_in} inputs")
    args = main_pass_args(prep)
    if prep.enc.ntk_slot >= 0:
        if ntk_out is None or ntk_out.shape != K.shape or not ntk_out.flags.c_contiguous:
            raise ValueError(f"an NTK pre-pass needs ntk_out, a C-contiguous array of shape {K.shape}")
        out2 = ntk_out
    else:
        out2 = np.empty((1, 1), dtype=K.dtype)
    return int(_cross_rows(*args, prep.enc.n_slots, K, int(row0), out2))
