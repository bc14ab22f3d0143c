"""The Numba kernel: a motif's NNGP Gram computed entry by entry by interpreting its :class:`Program`.

This module imports Numba at the top, so it is itself imported only when a
Numba backend is first used (``dagnngp.numerics`` does not import it).

How the kernel works
--------------------
The recursion is not written here: :func:`dagnngp.theory.program.compile_program`
turns the motif into straight-line instructions (``Dual``, ``Mean``, ``Comb``,
``VComb`` over "pair" and "vec" registers) and
:func:`dagnngp.numerics.numba_encode.encode_program` packs them into small
integer and float arrays that the compiled kernels here interpret.

* A pre-pass runs every instruction on the diagonal entries ``(i, i)``
  (``O(N x instructions)``): it yields each vec register (per-sample means) and
  each pair register's diagonal.  On the diagonal a linear edge's Gram is its
  exact value ``c/2 (K_ii + sigma_b^2)``.
* The main pass walks the entries ``(i, j >= i)`` in chunks of :data:`CHUNK`
  columns and runs the pair instructions elementwise over the chunk in a
  per-thread scratch of shape ``(slots, CHUNK)``, so every inner loop is a plain
  loop that LLVM vectorises.  ``Dual`` reads the pre-pass diagonals of its source
  at ``i`` and ``j`` (plus ``sigma_b^2``) and applies :func:`relu_h`; ``Comb``
  sums its terms a few per pass, and its outer terms ``vec[a]_i vec[b]_j`` cost
  one multiply-add per group (factors formed once per input by the pre-pass).
  The output diagonal is the pre-pass value.
* Everything but the dual map is linear, so the encoder rewrites each ``Comb``
  over the dual maps' outputs and the input Gram, forms only the sources of dual
  maps and the output, and drops what the output does not depend on.
* Rows are shared out to threads in blocks of 16, paired ``(b, B-1-b)`` so that
  the triangle is balanced; each block's rows are mirrored below the diagonal
  while they are still in cache.  Outputs are float32 or float64,
  following ``K0``; each entry's recursion is carried in float64.

>>> import numpy as np
>>> out, mean, finite = nngp_fused(Motif.parse("2_21_112"), np.array([[1.0, 0.5], [0.5, 1.0]]), np.zeros(2))
>>> round(float(out[0, 1]), 5), round(float(out[0, 0]), 5)
(4.12714, 5.67034)
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
from numba import njit, prange

from dagnngp.motif import Motif
from dagnngp.numerics.numba_dual import NUMBA_FLAGS, relu_diag, relu_h, relu_mean_scalar, wide_vectors
from dagnngp.numerics.numba_encode import (
    _G0,
    _G1,
    _KIND,
    _OUT,
    _ROOT,
    _SRC,
    _T0,
    _T1,
    COMB,
    DUAL,
    MEAN,
    EncodedProgram,
    encode_program,
)

__all__ = [
    "CHUNK",
    "Prepared",
    "main_pass_args",
    "nngp_fused",
    "node_diagonals",
    "numba_threads",
    "prepare",
    "row_block_kernel",
]

#: Columns per chunk of the entry-wise pass (the scratch is ``slots x CHUNK`` floats per thread).
CHUNK = 256
#: Rows per task of the symmetric pass; a block's rows are mirrored while they are in cache.
_ROW_BLOCK = 16


# ---------------------------------------------------------------- pre-pass
@njit(**NUMBA_FLAGS)
def _prepass(kind, out, src, term_ptr, term_reg, term_coef, outer_ptr, outer_a, outer_b, outer_coef,
             half_c, sb2, pd, vec):
    """Every instruction on the diagonal entries: ``pd[r, i]`` = pair register r at (i, i), ``vec[v, i]``.

    ``pd[0]`` and ``vec[0]`` hold the input on entry.
    """
    n = pd.shape[1]
    for k in range(kind.shape[0]):
        o = out[k]
        op = kind[k]
        if op == DUAL:
            s = src[k]
            for i in range(n):
                pd[o, i] = relu_diag(pd[s, i], half_c, sb2)
        elif op == MEAN:
            s = src[k]
            for i in range(n):
                vec[o, i] = relu_mean_scalar(pd[s, i], half_c, sb2)
        elif op == COMB:
            for i in range(n):
                pd[o, i] = 0.0
            for t in range(term_ptr[k], term_ptr[k + 1]):
                c = term_coef[t]
                r = term_reg[t]
                for i in range(n):
                    pd[o, i] += c * pd[r, i]
            for t in range(outer_ptr[k], outer_ptr[k + 1]):
                c = outer_coef[t]
                a = outer_a[t]
                b = outer_b[t]
                for i in range(n):
                    pd[o, i] += c * vec[a, i] * vec[b, i]
        else:
            for i in range(n):
                vec[o, i] = 0.0
            for t in range(term_ptr[k], term_ptr[k + 1]):
                c = term_coef[t]
                r = term_reg[t]
                for i in range(n):
                    vec[o, i] += c * vec[r, i]


@dataclass(frozen=True)
class Prepared:
    """What the main pass reads besides the input Gram rows (from :func:`prepare`).

    ``pd`` / ``vec``: every pair register's diagonal and every vec register, ``(registers, N)``;
    ``root``: per ``Dual`` of the main pass, ``root[0]`` = ``sqrt(source diagonal + sigma_b^2)`` and
    ``root[1]`` its reciprocal (0 where the root is 0), shape ``(2, duals, N)``;
    ``row_factor`` / ``col_factor``: the outer-term groups; ``diag_out``: the output diagonal.
    """

    enc: EncodedProgram
    half_c: float
    sb2: float
    pd: np.ndarray
    vec: np.ndarray
    root: np.ndarray
    row_factor: np.ndarray
    col_factor: np.ndarray

    @property
    def diag_out(self) -> np.ndarray:
        return self.pd[self.enc.out_reg]

    @property
    def mean_out(self) -> np.ndarray:
        if self.enc.mean_reg < 0:
            return np.zeros(self.pd.shape[1])
        return self.vec[self.enc.mean_reg]

    def node_diagonal(self, t: int) -> tuple[np.ndarray, np.ndarray]:
        """Node ``t``'s Gram diagonal and means (zeros where the model has none)."""
        p = self.enc.program
        m = p.node_mean[t]
        return self.pd[p.node_gram[t]], (np.zeros(self.pd.shape[1]) if m is None else self.vec[m])


def _combine(vec: np.ndarray, ptr: np.ndarray, regs: np.ndarray, coefs: np.ndarray) -> np.ndarray:
    out = np.zeros((len(ptr) - 1, vec.shape[1]))
    for g in range(len(ptr) - 1):
        for t in range(ptr[g], ptr[g + 1]):
            out[g] += coefs[t] * vec[regs[t]]
    return out


def prepare(motif: Motif, model: str, K0diag: np.ndarray, mu0: np.ndarray, c_sigma: float,
            sigma_b: float) -> Prepared:
    """Run the pre-pass for inputs with Gram diagonal ``K0diag`` and means ``mu0``.

    >>> prep = prepare(Motif.parse("1_01_222"), "exact", np.ones(2), np.zeros(2), 2.0, 0.0)
    >>> round(float(prep.diag_out[0]), 5)  # 3 + 6/pi
    4.90986
    """
    enc = encode_program(motif, model)
    p = enc.program
    n = K0diag.shape[0]
    half_c = 0.5 * float(c_sigma)
    sb2 = float(sigma_b) ** 2
    pd = np.empty((p.n_pair, n))
    vec = np.empty((p.n_vec, n))
    pd[0] = K0diag
    vec[0] = mu0
    _prepass(enc.kind, enc.out, enc.src, enc.term_ptr, enc.term_reg, enc.term_coef, enc.outer_ptr,
             enc.outer_a, enc.outer_b, enc.outer_coef, half_c, sb2, pd, vec)
    root = np.empty((2, len(enc.root_reg), n))
    root[0] = np.sqrt(np.maximum(pd[enc.root_reg] + sb2, 0.0)).reshape(len(enc.root_reg), n)
    np.divide(1.0, root[0], out=root[1], where=root[0] > 0.0)
    root[1][root[0] <= 0.0] = 0.0
    return Prepared(enc, half_c, sb2, pd, vec, root, _combine(vec, enc.row_ptr, enc.row_vec, enc.row_coef),
                    _combine(vec, enc.col_ptr, enc.col_vec, enc.col_coef))


# ---------------------------------------------------------------- main pass
@njit(**NUMBA_FLAGS)
def _chunk(main, main_slot, main_coef, half_c, sb2, root, row_factor, col_factor, i, j0, nb, S):
    """Run the main-pass instructions for entries (i, j0 .. j0+nb-1) in the scratch ``S``."""
    wide_vectors()
    for k in range(main.shape[0]):
        o = main[k, _OUT]
        if main[k, _KIND] == DUAL:
            s = main[k, _SRC]
            d = main[k, _ROOT]
            r_i = root[0, d, i]
            v_i = root[1, d, i]
            for jj in range(nb):
                # reciprocal roots: no division; (S v_i) v_j stays within [-r_j, r_j] x v_j, so it
                # cannot overflow, and a zero root (reciprocal 0) gives C = 0 and the value 0
                C = ((S[s, jj] + sb2) * v_i) * root[1, d, j0 + jj]
                S[o, jj] = half_c * (r_i * root[0, d, j0 + jj]) * relu_h(C)
        else:
            t0 = main[k, _T0]
            t1 = main[k, _T1]
            if t1 > t0:
                c = main_coef[t0]
                s = main_slot[t0]
                for jj in range(nb):
                    S[o, jj] = c * S[s, jj]
            else:
                for jj in range(nb):
                    S[o, jj] = 0.0
            # remaining terms four, then two, then one per pass over the chunk
            t = t0 + 1
            while t + 4 <= t1:
                c0, c1, c2, c3 = main_coef[t], main_coef[t + 1], main_coef[t + 2], main_coef[t + 3]
                s0, s1, s2, s3 = main_slot[t], main_slot[t + 1], main_slot[t + 2], main_slot[t + 3]
                for jj in range(nb):
                    S[o, jj] += (c0 * S[s0, jj] + c1 * S[s1, jj]) + (c2 * S[s2, jj] + c3 * S[s3, jj])
                t += 4
            if t + 2 <= t1:
                c0, c1 = main_coef[t], main_coef[t + 1]
                s0, s1 = main_slot[t], main_slot[t + 1]
                for jj in range(nb):
                    S[o, jj] += c0 * S[s0, jj] + c1 * S[s1, jj]
                t += 2
            if t < t1:
                c0 = main_coef[t]
                s0 = main_slot[t]
                for jj in range(nb):
                    S[o, jj] += c0 * S[s0, jj]
            g = main[k, _G0]
            g1 = main[k, _G1]
            while g + 2 <= g1:
                f0 = row_factor[g, i]
                f1 = row_factor[g + 1, i]
                for jj in range(nb):
                    S[o, jj] += f0 * col_factor[g, j0 + jj] + f1 * col_factor[g + 1, j0 + jj]
                g += 2
            if g < g1:
                f0 = row_factor[g, i]
                for jj in range(nb):
                    S[o, jj] += f0 * col_factor[g, j0 + jj]


@njit(**NUMBA_FLAGS)
def _row(main, main_slot, main_coef, half_c, sb2, root, row_factor, col_factor, k0_slot, out_slot,
         diag_out, k0rows, r, r0, sym, out, S):
    """Write output row ``r``; return how many of the values written are not finite.

    Each value is tested as stored (after a cast to float32 it may overflow) by
    ``x - x != 0``, true only for NaN and inf, so the test vectorises with the copy.
    """
    wide_vectors()
    n = k0rows.shape[1]
    i = r0 + r
    jstart = i if sym else 0
    bad = 0
    for j0 in range(jstart, n, CHUNK):
        nb = min(CHUNK, n - j0)
        if k0_slot >= 0:
            for jj in range(nb):
                S[k0_slot, jj] = k0rows[r, j0 + jj]
        _chunk(main, main_slot, main_coef, half_c, sb2, root, row_factor, col_factor, i, j0, nb, S)
        for jj in range(nb):
            out[r, j0 + jj] = S[out_slot, jj]
            x = out[r, j0 + jj]
            bad += (x - x) != 0.0
    out[r, i] = diag_out[i]
    x = out[r, i]
    bad += (x - x) != 0.0
    return bad


@njit(parallel=True, **NUMBA_FLAGS)
def _row_range(main, main_slot, main_coef, half_c, sb2, root, row_factor, col_factor, k0_slot, out_slot,
          n_slots, diag_out, k0rows, r0, sym, out):
    """out[r, j] = K_H[r0 + r, j]; with ``sym`` only j >= r0 + r is written.

    Rows k and nr-1-k go to the same task so that triangles balance across threads.
    Returns the number of non-finite values written.
    """
    nr = k0rows.shape[0]
    half = (nr + 1) // 2
    bad = 0
    for k in prange(half):
        S = np.empty((n_slots, CHUNK))
        bad += _row(main, main_slot, main_coef, half_c, sb2, root, row_factor, col_factor, k0_slot,
                    out_slot, diag_out, k0rows, k, r0, sym, out, S)
        if nr - 1 - k != k:
            bad += _row(main, main_slot, main_coef, half_c, sb2, root, row_factor, col_factor, k0_slot,
                        out_slot, diag_out, k0rows, nr - 1 - k, r0, sym, out, S)
    return bad


@njit(**NUMBA_FLAGS)
def _row_block_sym(main, main_slot, main_coef, half_c, sb2, root, row_factor, col_factor, k0_slot, out_slot,
                   diag_out, K0, b, out, S):
    """Rows of block ``b`` from their diagonal on, then their mirror image below the diagonal.

    The block's rows are still in cache when they are copied to the columns
    ``i0 .. i1`` of the rows below, so the upper triangle is not read back from
    memory.  Returns the number of non-finite values written.
    """
    n = K0.shape[0]
    i0 = b * _ROW_BLOCK
    i1 = min(n, i0 + _ROW_BLOCK)
    bad = 0
    for i in range(i0, i1):
        bad += _row(main, main_slot, main_coef, half_c, sb2, root, row_factor, col_factor, k0_slot,
                    out_slot, diag_out, K0, i, 0, True, out, S)
    for j in range(i0 + 1, n):
        for i in range(i0, min(i1, j)):
            out[j, i] = out[i, j]
    return bad


@njit(parallel=True, **NUMBA_FLAGS)
def _rows(main, main_slot, main_coef, half_c, sb2, root, row_factor, col_factor, k0_slot, out_slot,
              n_slots, diag_out, K0, out):
    """The whole symmetric output ``K_H``: each entry ``(i, j >= i)`` computed once and mirrored.

    Row blocks ``b`` and ``n_blocks-1-b`` go to the same task so that triangles
    balance across threads.  Returns the number of non-finite values written.
    """
    n = K0.shape[0]
    nb = (n + _ROW_BLOCK - 1) // _ROW_BLOCK
    half = (nb + 1) // 2
    bad = 0
    for k in prange(half):
        S = np.empty((n_slots, CHUNK))
        bad += _row_block_sym(main, main_slot, main_coef, half_c, sb2, root, row_factor, col_factor,
                              k0_slot, out_slot, diag_out, K0, k, out, S)
        if nb - 1 - k != k:
            bad += _row_block_sym(main, main_slot, main_coef, half_c, sb2, root, row_factor, col_factor,
                                  k0_slot, out_slot, diag_out, K0, nb - 1 - k, out, S)
    return bad


def main_pass_args(prep: Prepared) -> tuple:
    """The leading arguments of the main-pass kernels, in their order."""
    e = prep.enc
    return (e.main, e.main_slot, e.main_coef, prep.half_c, prep.sb2, prep.root, prep.row_factor,
            prep.col_factor, e.k0_slot, e.out_slot)


def node_diagonals(motif: Motif, K0diag: np.ndarray, mu0: np.ndarray, model: str = "exact",
                   c_sigma: float = 2.0, sigma_b: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Every node's diagonal ``K_t,ii`` and mean ``mu_t,i`` (``O(N H^2)``), as ``(H+1, N)`` arrays.

    >>> d, m = node_diagonals(Motif.parse("1_01_222"), np.ones(2), np.zeros(2))
    >>> round(float(d[-1, 0]), 5)  # 3 + 6/pi
    4.90986
    """
    m = Motif.coerce(motif)
    prep = prepare(m, model, np.asarray(K0diag, dtype=np.float64), np.asarray(mu0, dtype=np.float64),
                   c_sigma, sigma_b)
    pairs = [prep.node_diagonal(t) for t in range(m.n_nodes)]
    return np.array([d for d, _ in pairs]), np.array([mu for _, mu in pairs])


def nngp_fused(motif: Motif, K0: np.ndarray, mu0: np.ndarray, model: str = "exact",
               c_sigma: float = 2.0, sigma_b: float = 0.0) -> tuple[np.ndarray, np.ndarray, bool]:
    """Output Gram and output means of ``motif`` by the Numba kernel (inputs already validated).

    Runs in the dtype of ``K0`` (float32 or float64 storage; the recursion of
    each entry is carried in float64 registers).  Returns ``(K_H, mu_H, finite)``,
    ``finite`` telling whether every entry of ``K_H`` is finite (tested by the
    kernel as it writes them, so callers need not scan ``K_H`` again).

    >>> out, _, finite = nngp_fused(Motif.parse("2_02_002"), np.array([[1.0, 0.5], [0.5, 1.0]]), np.zeros(2))
    >>> round(float(out[0, 1]), 5)
    0.73813
    """
    K0 = np.ascontiguousarray(K0)
    prep = prepare(Motif.coerce(motif), model, np.diagonal(K0).astype(np.float64),
                   np.asarray(mu0, dtype=np.float64), c_sigma, sigma_b)
    out = np.empty(K0.shape, dtype=K0.dtype)
    bad = _rows(*main_pass_args(prep), prep.enc.n_slots, prep.diag_out, K0, out)
    return out, prep.mean_out.astype(K0.dtype), bad == 0


def row_block_kernel(K0rows: np.ndarray, r0: int, prep: Prepared,
                     out: np.ndarray | None = None) -> np.ndarray:
    """Rows ``r0 .. r0 + len(K0rows) - 1`` of the output Gram (all columns).

    ``prep`` is the :func:`prepare` result for the full input set; ``out`` may be
    ``K0rows`` itself (each chunk is read before it is overwritten).

    >>> prep = prepare(Motif.parse("2_02_002"), "exact", np.ones(2), np.zeros(2), 2.0, 0.0)
    >>> row_block_kernel(np.array([[1.0, 0.5]]), 0, prep).round(5).tolist()
    [[1.0, 0.73813]]
    """
    K0rows = np.ascontiguousarray(K0rows)
    if out is None:
        out = np.empty(K0rows.shape, dtype=K0rows.dtype)
    _row_range(*main_pass_args(prep), prep.enc.n_slots, prep.diag_out, K0rows, int(r0), False, out)
    return out


def numba_threads() -> int:
    """Number of threads the parallel kernels use.

    >>> numba_threads() >= 1
    True
    """
    return int(numba.get_num_threads())
