"""The Numba kernel: a motif's NNGP Gram and NTK computed entry by entry by interpreting its :class:`Program`.

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
* With the NTK, a source's ``Dual`` and ``Tangent`` are one map of the main
  pass: the angle of each entry is computed once and gives both ``h(C)`` and the
  derivative dual map ``h'(C) = 1 - theta / pi`` (:func:`relu_h_and_slope`); the
  NTK is a second output written beside the Gram.  Pre-activation edges
  (``edge="pre"``) read the source Gram without ``sigma_b^2`` and add it to the
  dual map's output; edge weights are coefficients of the ``Comb`` terms.
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
from dagnngp.numerics.numba_dual import (
    NUMBA_FLAGS,
    relu_diag,
    relu_h,
    relu_h_and_slope,
    relu_h_slope_gap,
    relu_mean_scalar,
    wide_vectors,
)
from dagnngp.numerics.numba_encode import (
    _EOUT,
    _ESRC,
    _G0,
    _G1,
    _KIND,
    _NTK,
    _OUT,
    _OUT2,
    _ROOT,
    _SRC,
    _T0,
    _T1,
    COMB,
    DUAL,
    MEAN,
    TANGENT,
    VCOMB,
    EncodedProgram,
    encode_program,
)

__all__ = [
    "CHUNK",
    "Prepared",
    "kernel_fused",
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
def _prepass(kind, out, src, aux, term_ptr, term_reg, term_coef, outer_ptr, outer_a, outer_b, outer_coef,
             par, pd, vec):
    """Every instruction on the diagonal entries: ``pd[r, i]`` = pair register r at (i, i), ``vec[v, i]``.

    ``pd[0]`` and ``vec[0]`` hold the input on entry; ``par`` is :attr:`Prepared.par`.
    """
    half_c, sb2, sb2_out, tp = par
    n = pd.shape[1]
    for k in range(kind.shape[0]):
        o = out[k]
        op = kind[k]
        if op == DUAL:
            s = src[k]
            for i in range(n):
                pd[o, i] = relu_diag(pd[s, i], half_c, sb2) + sb2_out
        elif op == MEAN:
            s = src[k]
            for i in range(n):
                vec[o, i] = relu_mean_scalar(pd[s, i], half_c, sb2)
        elif op == TANGENT:
            # h'(1) = 1: c/2 (P_ii + Theta_ii), and 0 where the pre-activation variance P_ii is 0
            s = src[k]
            a = aux[k]
            for i in range(n):
                p = pd[s, i] + sb2
                theta = pd[a, i] if a >= 0 else 0.0
                pd[o, i] = half_c * (tp * p + theta) if p > 0.0 else 0.0
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
        elif op == VCOMB:
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
    ``root``: per map of the main pass, ``root[0]`` = ``sqrt(P_ii)`` with ``P`` the source's
    pre-activation Gram (``K + sigma_b^2`` for post-activation edges, ``K`` for pre-activation
    ones), ``root[1]`` its reciprocal and ``root[2]`` 1 (both 0 where the root is 0),
    ``root[3]`` and ``root[4]`` the root and its reciprocal in units of the input norm (``root[0]
    w``), shape ``(5, maps, N)``; ``wn``: ``K0_ii w_i^2`` and ``w = 1 / sqrt(K0_ii)`` (1 for a
    zero input), shape ``(2, N)``, the units of the NTK's gaps; ``row_factor`` / ``col_factor``:
    the outer-term groups; ``diag_out`` / ``diag_ntk``: the output's Gram and NTK diagonals.
    ``sb2`` is the bias variance added to the pre-activation Gram, ``sb2_out`` the one added to
    a dual map's output and ``tp`` 1 when a ``Tangent`` adds ``P`` (post-activation edges) and 0
    when it does not.
    """

    enc: EncodedProgram
    half_c: float
    sb2: float
    sb2_out: float
    tp: float
    pd: np.ndarray
    vec: np.ndarray
    root: np.ndarray
    wn: np.ndarray
    row_factor: np.ndarray
    col_factor: np.ndarray

    @property
    def par(self) -> tuple[float, float, float, float]:
        """The scalars the kernels read: ``(c/2, sb2, sb2_out, tp)``."""
        return (self.half_c, self.sb2, self.sb2_out, self.tp)

    @property
    def diag_out(self) -> np.ndarray:
        return self.pd[self.enc.out_reg]

    @property
    def diag_ntk(self) -> np.ndarray:
        """The output NTK's diagonal (the Gram's when the program has no NTK)."""
        return self.pd[self.enc.ntk_reg if self.enc.ntk_reg >= 0 else self.enc.out_reg]

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
            sigma_b: float, edge: str = "post", *, ntk: bool = False, readout: bool = True) -> Prepared:
    """Run the pre-pass for inputs with Gram diagonal ``K0diag`` and means ``mu0``.

    ``edge``, ``ntk`` and ``readout`` are :func:`~dagnngp.theory.program.compile_program`'s.

    >>> prep = prepare(Motif.parse("1_01_222"), "exact", np.ones(2), np.zeros(2), 2.0, 0.0)
    >>> round(float(prep.diag_out[0]), 5)  # 3 + 6/pi
    4.90986
    """
    enc = encode_program(motif, model, edge, ntk=ntk, readout=readout)
    p = enc.program
    n = K0diag.shape[0]
    half_c = 0.5 * float(c_sigma)
    sb2_all = float(sigma_b) ** 2
    post = edge == "post"
    sb2, sb2_out, tp = (sb2_all, 0.0, 1.0) if post else (0.0, sb2_all, 0.0)
    pd = np.empty((p.n_pair, n))
    vec = np.empty((p.n_vec, n))
    pd[0] = K0diag
    vec[0] = mu0
    par = (half_c, sb2, sb2_out, tp)
    _prepass(enc.kind, enc.out, enc.src, enc.aux, enc.term_ptr, enc.term_reg, enc.term_coef, enc.outer_ptr,
             enc.outer_a, enc.outer_b, enc.outer_coef, par, pd, vec)
    root = np.zeros((5, len(enc.root_reg), n))
    root[0] = np.sqrt(np.maximum(pd[enc.root_reg] + sb2, 0.0)).reshape(len(enc.root_reg), n)
    positive = root[0] > 0.0
    np.divide(1.0, root[0], out=root[1], where=positive)
    root[2][positive] = 1.0
    # the NTK's gaps are carried in units of the input norms (1 for a zero input) when the kernel is
    # homogeneous (no bias): inputs of different norms in nearly the same direction then have nearly
    # equal scaled roots.  A bias breaks that: two inputs keep C near 1 only when their roots are
    # nearly equal anyway, and the gaps stay in the Gram's own units
    norm = np.sqrt(np.maximum(K0diag, 0.0))
    w = np.divide(1.0, norm, out=np.ones(n), where=(norm > 0.0) & (sb2_all == 0.0))
    wn = np.stack([np.maximum(K0diag, 0.0) * w * w, w])
    root[3] = root[0] * w
    np.divide(1.0, root[3], out=root[4], where=positive)
    return Prepared(enc, half_c, sb2, sb2_out, tp, pd, vec, root, wn,
                    _combine(vec, enc.row_ptr, enc.row_vec, enc.row_coef),
                    _combine(vec, enc.col_ptr, enc.col_vec, enc.col_coef))


# ---------------------------------------------------------------- main pass
@njit(**NUMBA_FLAGS)
def _gap_map(S, s, o, o2, n, es, eo, half_c, sb2, sb2_out, tp, root, wn, d, i, j0, nb):
    """A map that also reads its source's gap and writes its dual map's (the NTK's maps).

    Gaps are carried in units of the input norms ``s_i`` (``w = 1/s``):
    ``E_ij = (P_ii w_i^2 + P_jj w_j^2)/2 - P_ij w_i w_j``, so that inputs of different
    norms in nearly the same direction have nearly equal scaled roots ``q = sqrt(P_ii) w``.
    Then ``1 - C = (E - (q_i - q_j)^2 / 2) / (q_i q_j)`` keeps its digits as ``C -> 1``,
    and the dual map's gap is ``c/2 ((q_i - q_j)^2 / 2 + q_i q_j (1 - h(C)))`` plus
    ``sb2_out (w_i - w_j)^2 / 2``; a bias added before the map adds ``sb2 (w_i - w_j)^2 / 2``
    to the source's gap.
    """
    wide_vectors()
    r_i = root[0, d, i]
    v_i = root[1, d, i]
    m_i = half_c * root[2, d, i]
    q_i = root[3, d, i]
    u_i = root[4, d, i]
    w_i = wn[1, i]
    # two copies of one loop, with and without the source's NTK: no branch inside, so it vectorises
    if n >= 0:
        for jj in range(nb):
            j = j0 + jj
            P = S[s, jj] + sb2
            dq = q_i - root[3, d, j]
            hdq = 0.5 * (dq * dq)
            dw = w_i - wn[1, j]
            hdw = 0.5 * (dw * dw)
            E = S[es, jj] + sb2 * hdw  # a bias before the map shifts the gap by sb2 (w_i - w_j)^2 / 2
            h, slope, gp = relu_h_slope_gap((P * v_i) * root[1, d, j], ((E - hdq) * u_i) * root[4, d, j])
            S[o, jj] = half_c * (r_i * root[0, d, j]) * h + sb2_out
            S[eo, jj] = half_c * (hdq + (q_i * root[3, d, j]) * gp) + sb2_out * hdw
            S[o2, jj] = (m_i * root[2, d, j]) * slope * (tp * P + S[n, jj])
    else:
        for jj in range(nb):
            j = j0 + jj
            P = S[s, jj] + sb2
            dq = q_i - root[3, d, j]
            hdq = 0.5 * (dq * dq)
            dw = w_i - wn[1, j]
            hdw = 0.5 * (dw * dw)
            E = S[es, jj] + sb2 * hdw
            h, slope, gp = relu_h_slope_gap((P * v_i) * root[1, d, j], ((E - hdq) * u_i) * root[4, d, j])
            S[o, jj] = half_c * (r_i * root[0, d, j]) * h + sb2_out
            S[eo, jj] = half_c * (hdq + (q_i * root[3, d, j]) * gp) + sb2_out * hdw
            S[o2, jj] = (m_i * root[2, d, j]) * slope * (tp * P)


@njit(**NUMBA_FLAGS)
def _gap_comb(S, eo, main_slot_e, main_coef, t0, t1, g0, g1, row_factor, col_factor, wn, i, j0, nb):
    """The gap of a ``Comb``: its terms' gaps, plus ``(f_i c_i + f_j c_j)/2 - f_i c_j`` per outer group
    (factors in units of the input norms)."""
    wide_vectors()
    for jj in range(nb):
        S[eo, jj] = 0.0
    for t in range(t0, t1):
        c = main_coef[t]
        e = main_slot_e[t]
        for jj in range(nb):
            S[eo, jj] += c * S[e, jj]
    w_i = wn[1, i]
    for g in range(g0, g1):
        f_i = row_factor[g, i] * w_i
        c_i = col_factor[g, i] * w_i
        for jj in range(nb):
            w_j = wn[1, j0 + jj]
            c_j = col_factor[g, j0 + jj] * w_j
            f_j = row_factor[g, j0 + jj] * w_j
            S[eo, jj] += 0.5 * (f_i * (c_i - c_j) + c_j * (f_j - f_i))


@njit(**NUMBA_FLAGS)
def _chunk(main, main_slot, main_slot_e, main_coef, par, root, row_factor, col_factor, wn, i, j0, nb, S):
    """Run the main-pass instructions for entries (i, j0 .. j0+nb-1) in the scratch ``S``."""
    wide_vectors()
    half_c, sb2, sb2_out, tp = par
    for k in range(main.shape[0]):
        o = main[k, _OUT]
        if main[k, _KIND] == DUAL:
            s = main[k, _SRC]
            d = main[k, _ROOT]
            o2 = main[k, _OUT2]
            n = main[k, _NTK]
            r_i = root[0, d, i]
            v_i = root[1, d, i]
            es = main[k, _ESRC]
            if es >= 0:
                _gap_map(S, s, o, o2, n, es, main[k, _EOUT], half_c, sb2, sb2_out, tp, root, wn, d, i, j0, nb)
            elif o2 < 0:
                for jj in range(nb):
                    # reciprocal roots: no division; (S v_i) v_j stays within [-r_j, r_j] x v_j, so it
                    # cannot overflow, and a zero root (reciprocal 0) gives C = 0 and the value 0
                    C = ((S[s, jj] + sb2) * v_i) * root[1, d, j0 + jj]
                    S[o, jj] = half_c * (r_i * root[0, d, j0 + jj]) * relu_h(C) + sb2_out
            else:
                # the Tangent from the same angle: c/2 h'(C) (tp P + Theta), 0 where a root is 0
                m_i = half_c * root[2, d, i]
                if n >= 0:
                    for jj in range(nb):
                        P = S[s, jj] + sb2
                        C = (P * v_i) * root[1, d, j0 + jj]
                        h, slope = relu_h_and_slope(C)
                        S[o, jj] = half_c * (r_i * root[0, d, j0 + jj]) * h + sb2_out
                        S[o2, jj] = (m_i * root[2, d, j0 + jj]) * slope * (tp * P + S[n, jj])
                else:
                    for jj in range(nb):
                        P = S[s, jj] + sb2
                        C = (P * v_i) * root[1, d, j0 + jj]
                        h, slope = relu_h_and_slope(C)
                        S[o, jj] = half_c * (r_i * root[0, d, j0 + jj]) * h + sb2_out
                        S[o2, jj] = (m_i * root[2, d, j0 + jj]) * slope * (tp * P)
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
            eo = main[k, _EOUT]
            if eo >= 0:
                _gap_comb(S, eo, main_slot_e, main_coef, t0, t1, main[k, _G0], main[k, _G1], row_factor,
                          col_factor, wn, i, j0, nb)
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


@njit(inline="always", **NUMBA_FLAGS)
def _load_inputs(k0_slot, ek0_slot, wn, k0row, i, j0, nb, S):
    """Put the input Gram's entries ``(i, j0 .. j0 + nb)`` (``k0row``) and their gaps into the scratch.

    The gap is in units of the input norms: ``1 - C0`` for non-zero rows.
    """
    if k0_slot >= 0:
        for jj in range(nb):
            S[k0_slot, jj] = k0row[j0 + jj]
    if ek0_slot >= 0:
        dn_i = wn[0, i]
        w_i = wn[1, i]
        for jj in range(nb):
            S[ek0_slot, jj] = 0.5 * (dn_i + wn[0, j0 + jj]) - (k0row[j0 + jj] * w_i) * wn[1, j0 + jj]


@njit(inline="always", **NUMBA_FLAGS)
def _store(S, slot, dst, r, j0, nb):
    """Copy scratch slot ``slot`` into ``dst[r, j0 .. j0 + nb]``; the number of non-finite values stored.

    Each value is tested as stored (after a cast to float32 it may overflow) by
    ``x - x != 0``, true only for NaN and inf, so the test vectorises with the copy.
    """
    bad = 0
    for jj in range(nb):
        dst[r, j0 + jj] = S[slot, jj]
        x = dst[r, j0 + jj]
        bad += (x - x) != 0.0
    return bad


@njit(**NUMBA_FLAGS)
def _row(main, main_slot, main_slot_e, main_coef, par, root, row_factor, col_factor, k0_slot, ek0_slot, wn,
         out_slot, ntk_slot, diag_out, diag_ntk, k0rows, r, r0, sym, out, out2, S):
    """Write output row ``r`` (and NTK row into ``out2`` when ``ntk_slot >= 0``); count non-finite values."""
    wide_vectors()
    n = k0rows.shape[1]
    i = r0 + r
    jstart = i if sym else 0
    bad = 0
    for j0 in range(jstart, n, CHUNK):
        nb = min(CHUNK, n - j0)
        _load_inputs(k0_slot, ek0_slot, wn, k0rows[r], i, j0, nb, S)
        _chunk(main, main_slot, main_slot_e, main_coef, par, root, row_factor, col_factor, wn, i, j0, nb, S)
        bad += _store(S, out_slot, out, r, j0, nb)
        if ntk_slot >= 0:
            bad += _store(S, ntk_slot, out2, r, j0, nb)
    out[r, i] = diag_out[i]
    x = out[r, i]
    bad += (x - x) != 0.0
    if ntk_slot >= 0:
        out2[r, i] = diag_ntk[i]
        x = out2[r, i]
        bad += (x - x) != 0.0
    return bad


@njit(parallel=True, **NUMBA_FLAGS)
def _row_range(main, main_slot, main_slot_e, main_coef, par, root, row_factor, col_factor, k0_slot, ek0_slot,
               wn, out_slot, ntk_slot, n_slots, diag_out, diag_ntk, k0rows, r0, sym, out, out2):
    """out[r, j] = K_H[r0 + r, j] (and the NTK in ``out2``); with ``sym`` only j >= r0 + r is written.

    Rows k and nr-1-k go to the same task so that triangles balance across threads.
    Returns the number of non-finite values written.
    """
    nr = k0rows.shape[0]
    half = (nr + 1) // 2
    bad = 0
    for k in prange(half):
        S = np.empty((n_slots, CHUNK))
        bad += _row(main, main_slot, main_slot_e, main_coef, par, root, row_factor, col_factor, k0_slot,
                    ek0_slot, wn, out_slot, ntk_slot, diag_out, diag_ntk, k0rows, k, r0, sym, out, out2, S)
        if nr - 1 - k != k:
            bad += _row(main, main_slot, main_slot_e, main_coef, par, root, row_factor, col_factor, k0_slot,
                        ek0_slot, wn, out_slot, ntk_slot, diag_out, diag_ntk, k0rows, nr - 1 - k, r0, sym,
                        out, out2, S)
    return bad


@njit(**NUMBA_FLAGS)
def _row_block_sym(main, main_slot, main_slot_e, main_coef, par, root, row_factor, col_factor, k0_slot,
                   ek0_slot, wn, out_slot, ntk_slot, diag_out, diag_ntk, K0, b, out, out2, S):
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
        bad += _row(main, main_slot, main_slot_e, main_coef, par, root, row_factor, col_factor, k0_slot,
                    ek0_slot, wn, out_slot, ntk_slot, diag_out, diag_ntk, K0, i, 0, True, out, out2, S)
    for j in range(i0 + 1, n):
        for i in range(i0, min(i1, j)):
            out[j, i] = out[i, j]
    if ntk_slot >= 0:
        for j in range(i0 + 1, n):
            for i in range(i0, min(i1, j)):
                out2[j, i] = out2[i, j]
    return bad


@njit(parallel=True, **NUMBA_FLAGS)
def _rows(main, main_slot, main_slot_e, main_coef, par, root, row_factor, col_factor, k0_slot, ek0_slot, wn,
          out_slot, ntk_slot, n_slots, diag_out, diag_ntk, K0, out, out2):
    """The symmetric output ``K_H`` (and the NTK in ``out2``): each entry ``(i, j >= i)`` once, mirrored.

    Row blocks ``b`` and ``n_blocks-1-b`` go to the same task so that triangles
    balance across threads.  Returns the number of non-finite values written.
    """
    n = K0.shape[0]
    nb = (n + _ROW_BLOCK - 1) // _ROW_BLOCK
    half = (nb + 1) // 2
    bad = 0
    for k in prange(half):
        S = np.empty((n_slots, CHUNK))
        bad += _row_block_sym(main, main_slot, main_slot_e, main_coef, par, root, row_factor, col_factor,
                              k0_slot, ek0_slot, wn, out_slot, ntk_slot, diag_out, diag_ntk, K0, k, out,
                              out2, S)
        if nb - 1 - k != k:
            bad += _row_block_sym(main, main_slot, main_slot_e, main_coef, par, root, row_factor,
                                  col_factor, k0_slot, ek0_slot, wn, out_slot, ntk_slot, diag_out, diag_ntk,
                                  K0, nb - 1 - k, out, out2, S)
    return bad


def main_pass_args(prep: Prepared) -> tuple:
    """The leading arguments of the main-pass kernels, in their order."""
    e = prep.enc
    return (e.main, e.main_slot, e.main_slot_e, e.main_coef, prep.par, prep.root, prep.row_factor,
            prep.col_factor, e.k0_slot, e.ek0_slot, prep.wn, e.out_slot, e.ntk_slot)


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


def kernel_fused(motif: Motif, K0: np.ndarray, mu0: np.ndarray, model: str = "exact", c_sigma: float = 2.0,
                 sigma_b: float = 0.0, edge: str = "post", *, ntk: bool = False, readout: bool = True,
                 out: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, bool]:
    """Output Gram, output means and (``ntk=True``) output NTK by the Numba kernel (inputs validated).

    Runs in the dtype of ``K0`` (float32 or float64 storage; the recursion of each
    entry is carried in float64 registers).  Returns ``(K_H, mu_H, Theta, finite)``
    (``Theta`` None without ``ntk``), ``finite`` telling whether every entry written
    is finite (tested by the kernel as it writes them).  ``edge``, ``ntk`` and
    ``readout`` are :func:`~dagnngp.theory.program.compile_program`'s.  ``out``, a
    C-contiguous array of ``K0``'s shape and dtype (not ``K0`` itself), receives the
    Gram: a buffer reused across calls costs no page faults.

    >>> K, _, T, finite = kernel_fused(Motif.parse("2"), np.array([[1.0, 0.0], [0.0, 1.0]]), np.zeros(2),
    ...                                ntk=True, readout=False)
    >>> float(T[0, 1]), float(T[0, 0]), finite   # c/2 h'(0) K0_01 = 0 off the diagonal, c/2 K0_00 on it
    (0.0, 1.0, True)
    """
    K0 = np.ascontiguousarray(K0)
    prep = prepare(Motif.coerce(motif), model, np.diagonal(K0).astype(np.float64),
                   np.asarray(mu0, dtype=np.float64), c_sigma, sigma_b, edge, ntk=ntk, readout=readout)
    if out is None:
        out = np.empty(K0.shape, dtype=K0.dtype)
    elif (not isinstance(out, np.ndarray) or out.shape != K0.shape or out.dtype != K0.dtype
          or not out.flags.c_contiguous or not out.flags.writeable or np.shares_memory(out, K0)):
        raise ValueError(f"out must be a writeable C-contiguous {K0.dtype} array of shape {K0.shape} "
                         "that does not overlap K0")
    out2 = np.empty(K0.shape, dtype=K0.dtype) if ntk else np.empty((1, 1), dtype=K0.dtype)
    bad = _rows(*main_pass_args(prep), prep.enc.n_slots, prep.diag_out, prep.diag_ntk, K0, out, out2)
    return out, prep.mean_out.astype(K0.dtype), (out2 if ntk else None), bad == 0


def nngp_fused(motif: Motif, K0: np.ndarray, mu0: np.ndarray, model: str = "exact",
               c_sigma: float = 2.0, sigma_b: float = 0.0) -> tuple[np.ndarray, np.ndarray, bool]:
    """Output Gram and output means of ``motif`` by the Numba kernel (inputs already validated).

    :func:`kernel_fused` for the NNGP with post-activation edges: ``(K_H, mu_H, finite)``.

    >>> out, _, finite = nngp_fused(Motif.parse("2_02_002"), np.array([[1.0, 0.5], [0.5, 1.0]]), np.zeros(2))
    >>> round(float(out[0, 1]), 5)
    0.73813
    """
    out, mean, _, finite = kernel_fused(motif, K0, mu0, model, c_sigma, sigma_b)
    return out, mean, finite


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
    args = main_pass_args(prep)[:-1] + (-1,)  # the Gram only
    _row_range(*args, prep.enc.n_slots, prep.diag_out, prep.diag_out, K0rows, int(r0), False, out,
               np.empty((1, 1), dtype=out.dtype))
    return out


def numba_threads() -> int:
    """Number of threads the parallel kernels use.

    >>> numba_threads() >= 1
    True
    """
    return int(numba.get_num_threads())
