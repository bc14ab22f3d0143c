"""Fused Numba kernels: a motif's NNGP Gram computed entry by entry.

This module imports Numba at the top, so it is itself imported only when a
Numba backend is first used (``dagnngp.numerics`` does not import it).

How the kernel works
--------------------
The motif is encoded as a small integer matrix ``ops[t, s]`` (0 zero, 1 skip,
2 linear).  A pre-pass runs the recursion on the diagonal entries ``(i, i)``
(``O(N H^2)``) and keeps, per node ``t`` and input ``i``, the diagonal
``K_t,ii``, the normalised mean ``mu_t,i`` and the mean ``a_t,i`` of a linear
edge leaving ``t``.  The main pass then walks the entries ``(i, j)``, ``j >= i``,
in chunks of ``CHUNK`` columns; for each chunk it runs the whole node recursion
in a small per-thread scratch of shape ``(H+1, H+1, CHUNK)`` holding the
cross-Gram entries ``<X_t,i, X_u,j>`` of the node pairs the motif needs (the
exact model's cross terms are per entry too), so every inner loop is a plain
elementwise loop over the chunk that LLVM vectorises.  Each linear edge's dual
map is evaluated once per distinct source node.  Nothing of size ``N x N`` is
allocated besides the output.

The ReLU dual map uses only ``sqrt``, fused multiply-adds and one division:
``arccos`` is reduced to an arcsine on ``[0, 1/2]`` (fdlibm's rational
approximation, error below ``2^-58``), and ``sin t - t cos t`` is replaced by
its Taylor series for angles below 1, so ``h(C)`` keeps full relative accuracy as
``C -> -1`` and ``1 - h(C)`` as ``C -> 1`` (see :func:`relu_h`, :func:`relu_gap_eps`).

>>> import numpy as np
>>> from dagnngp.motif import Motif
>>> out, mean = nngp_fused(Motif.parse("2_21_112"), np.array([[1.0, 0.5], [0.5, 1.0]]), np.zeros(2))
>>> round(float(out[0, 1]), 5), round(float(out[0, 0]), 5)
(4.12714, 5.67034)
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from dagnngp._numba_cache import configure_numba_cache
from dagnngp.motif import Motif, Op
from dagnngp.numerics.dual import ASIN_P, ASIN_Q, J_SERIES

configure_numba_cache()  # before Numba is imported: a writable cache folder, or none (in memory)

import numba  # noqa: E402
from numba import njit, prange  # noqa: E402

__all__ = [
    "CHUNK",
    "DEFAULT_MAX_BYTES",
    "encode_motif",
    "min_pair_gap_blocks",
    "motif_needs",
    "nngp_blocks",
    "nngp_fused",
    "node_diagonals",
    "relu_gap_eps",
    "relu_h",
]

#: Columns per chunk of the entry-wise recursion (scratch is (H+1)^2 * CHUNK floats).
CHUNK = 64

_FLAGS = {"cache": True, "error_model": "numpy", "fastmath": {"contract"}}

_PI = math.pi
_PIO2 = 0.5 * math.pi
_INV_PI = 1.0 / math.pi

# fdlibm's rational arcsine and the J series, from the one place every backend reads them
_PS0, _PS1, _PS2, _PS3, _PS4, _PS5 = ASIN_P
_QS1, _QS2, _QS3, _QS4 = ASIN_Q[1:]

# J(t) = sin t - t cos t by its series below t = 1; above it the direct form s -+ t C
# cancels by less than a factor 3.
_J1, _J2, _J3, _J4, _J5, _J6, _J7, _J8, _J9, _J10, _J11 = J_SERIES
_J_SWITCH = 1.0

ZERO, SKIP, LINEAR = int(Op.ZERO), int(Op.SKIP), int(Op.LINEAR)


@njit(**_FLAGS)
def _asin_small(x, z):
    """asin(x) for |x| <= 1/2 given z = x*x (fdlibm rational approximation)."""
    p = z * (_PS0 + z * (_PS1 + z * (_PS2 + z * (_PS3 + z * (_PS4 + z * _PS5)))))
    q = 1.0 + z * (_QS1 + z * (_QS2 + z * (_QS3 + z * _QS4)))
    return x + x * (p / q)


@njit(**_FLAGS)
def _j_series(t):
    t2 = t * t
    s = _J11
    s = s * t2 + _J10
    s = s * t2 + _J9
    s = s * t2 + _J8
    s = s * t2 + _J7
    s = s * t2 + _J6
    s = s * t2 + _J5
    s = s * t2 + _J4
    s = s * t2 + _J3
    s = s * t2 + _J2
    s = s * t2 + _J1
    return s * t2 * t


@njit(**_FLAGS)
def _angles(C, omc, opc):
    """(theta, phi, sin theta) with theta = arccos C, phi = pi - theta.

    ``omc = 1 - C`` and ``opc = 1 + C`` must be exact where small; the small
    angle is always computed directly (never as pi minus something).  Every
    candidate is computed and then selected, so loops over this vectorise.
    """
    big = C > 0.5
    small = C < -0.5
    outer = abs(C) > 0.5
    z_outer = 0.5 * omc if big else 0.5 * opc
    sq = math.sqrt(z_outer)
    z = z_outer if outer else C * C
    x = sq if outer else C
    r = _asin_small(x, z)
    two_r = 2.0 * r
    pi_minus = _PI - two_r
    mid_theta = _PIO2 - r
    mid_phi = _PIO2 + r
    theta = two_r if big else (pi_minus if small else mid_theta)
    phi = pi_minus if big else (two_r if small else mid_phi)
    s = math.sqrt(max(omc * opc, 0.0))
    return theta, phi, s


@njit(**_FLAGS)
def relu_h(C):
    """ReLU dual map ``h(C)`` for ``C`` in ``[-1, 1]``, relative accuracy kept as ``C -> -1``.

    >>> round(relu_h(0.5), 7)
    0.6089978
    """
    C = min(max(C, -1.0), 1.0)
    theta, phi, s = _angles(C, 1.0 - C, 1.0 + C)
    direct = s + phi * C  # = sin(phi) - phi cos(phi)
    series = _j_series(phi)
    J = series if phi < _J_SWITCH else direct
    return J * _INV_PI


@njit(**_FLAGS)
def relu_gap_eps(eps):
    """``1 - h(1 - eps)`` for ``eps`` in ``[0, 2]``, relative accuracy kept as ``eps -> 0``.

    >>> float(f"{relu_gap_eps(1e-12):.12e}")
    9.999996998946e-13
    """
    eps = min(max(eps, 0.0), 2.0)
    C = 1.0 - eps
    theta, phi, s = _angles(C, eps, 2.0 - eps)
    direct = s - theta * C  # = sin(theta) - theta cos(theta)
    series = _j_series(theta)
    J = series if theta < _J_SWITCH else direct
    return eps - J * _INV_PI


@njit(**_FLAGS)
def _chunk(ops, need, paper, half_c, sb2, k0, i, j0, nb, dg, root, mu, am, A, M, G, F, diag_mode):
    """Run the node recursion for entries (i, j0 .. j0+nb-1) into G[t, u, :nb].

    ``A[t]`` / ``M[t]`` are the sums of the linear-edge means / skip-source means
    into ``t``, so the exact model's mean cross terms cost O(in-degree) per entry.
    In ``diag_mode`` (nb == 1, j0 == i) the dual map is its exact diagonal value
    and the per-node arrays dg, root, mu, am, A, M of input i are filled in.
    """
    n_nodes = ops.shape[0]
    for jj in range(nb):
        G[0, 0, jj] = k0[jj]
    for t in range(n_nodes):
        if t > 0:
            n_lin = 0
            n_skip = 0
            a_sum = 0.0
            m_sum = 0.0
            for s in range(t):
                op = ops[t, s]
                if op == LINEAR:
                    n_lin += 1
                    a_sum += am[s, i]
                elif op == SKIP:
                    n_skip += 1
                    m_sum += mu[s, i]
            if diag_mode:
                A[t, i] = 0.0 if paper else a_sum
                M[t, i] = 0.0 if paper else m_sum
            A_i = A[t, i]
            M_i = M[t, i]
            # cross-Gram entries <X_t,i, X_u,j> and <X_u,i, X_t,j>, u < t
            for u in range(t):
                if need[t, u]:
                    for jj in range(nb):
                        G[t, u, jj] = A_i * mu[u, j0 + jj]
                    for s in range(t):
                        if ops[t, s] == SKIP:
                            for jj in range(nb):
                                G[t, u, jj] += G[s, u, jj]
                if need[u, t]:
                    mu_i = mu[u, i]
                    for jj in range(nb):
                        G[u, t, jj] = mu_i * A[t, j0 + jj]
                    for s in range(t):
                        if ops[t, s] == SKIP:
                            for jj in range(nb):
                                G[u, t, jj] += G[u, s, jj]
            # the node's own Gram entries; first the exact model's mean cross terms
            # sum_{s != s' linear} a_s a_s'^T + sum_{linear s, skip s'} (a_s mu_s'^T + mu_s' a_s^T)
            if paper or (n_lin < 2 and (n_lin == 0 or n_skip == 0)):
                for jj in range(nb):
                    G[t, t, jj] = 0.0
            elif n_lin < 2:
                for jj in range(nb):
                    G[t, t, jj] = A_i * M[t, j0 + jj] + M_i * A[t, j0 + jj]
            else:
                for jj in range(nb):
                    G[t, t, jj] = A_i * (A[t, j0 + jj] + M[t, j0 + jj]) + M_i * A[t, j0 + jj]
                for s in range(t):
                    if ops[t, s] == LINEAR:
                        a_i = am[s, i]
                        for jj in range(nb):
                            G[t, t, jj] -= a_i * am[s, j0 + jj]
            for s in range(t):
                op = ops[t, s]
                if op == LINEAR:
                    for jj in range(nb):
                        G[t, t, jj] += F[s, jj]
                elif op == SKIP:
                    for jj in range(nb):
                        G[t, t, jj] += G[s, s, jj]
                    if not paper:
                        for s2 in range(t):
                            if s2 != s and ops[t, s2] == SKIP:
                                for jj in range(nb):
                                    G[t, t, jj] += G[s, s2, jj]
            if diag_mode:
                dg[t, i] = G[t, t, 0]
                mu[t, i] = A_i + M_i
        elif diag_mode:
            dg[0, i] = G[0, 0, 0]
        if diag_mode:
            p = max(dg[t, i] + sb2, 0.0)
            root[t, i] = math.sqrt(p)
            am[t, i] = 0.0 if paper else math.sqrt(half_c * p * _INV_PI)
        # dual map of node t, once, if a linear edge leaves it
        if need[t, t]:
            if diag_mode:
                F[t, 0] = half_c * max(G[t, t, 0] + sb2, 0.0)
            else:
                r_i = root[t, i]
                for jj in range(nb):
                    sc = r_i * root[t, j0 + jj]
                    q = (G[t, t, jj] + sb2) / sc
                    C = q if sc > 0.0 else 0.0
                    F[t, jj] = half_c * sc * relu_h(C)


@njit(**_FLAGS)
def _prepass(ops, need, paper, half_c, sb2, k0diag, mu0, dg, root, mu, am, A, M):
    n_nodes = ops.shape[0]
    n = k0diag.shape[0]
    G = np.zeros((n_nodes, n_nodes, 1))
    F = np.zeros((n_nodes, 1))
    k0 = np.zeros(1)
    for i in range(n):
        mu[0, i] = mu0[i]
        k0[0] = k0diag[i]
        _chunk(ops, need, paper, half_c, sb2, k0, i, i, 1, dg, root, mu, am, A, M, G, F, True)


@njit(**_FLAGS)
def _row(ops, need, paper, half_c, sb2, k0rows, r, r0, sym, dg, root, mu, am, A, M, out, G, F):
    n = k0rows.shape[1]
    H = ops.shape[0] - 1
    i = r0 + r
    jstart = i if sym else 0
    for j0 in range(jstart, n, CHUNK):
        nb = min(CHUNK, n - j0)
        _chunk(ops, need, paper, half_c, sb2, k0rows[r, j0:j0 + nb], i, j0, nb,
               dg, root, mu, am, A, M, G, F, False)
        for jj in range(nb):
            out[r, j0 + jj] = G[H, H, jj]
    out[r, i] = dg[H, i]


@njit(parallel=True, **_FLAGS)
def _rows(ops, need, paper, half_c, sb2, k0rows, r0, sym, dg, root, mu, am, A, M, out):
    """out[r, j] = K_H[r0 + r, j]; with ``sym`` only j >= r0 + r is written.

    Rows k and nr-1-k go to the same task so that triangles balance across threads.
    """
    n_nodes = ops.shape[0]
    nr = k0rows.shape[0]
    half = (nr + 1) // 2
    for k in prange(half):
        G = np.empty((n_nodes, n_nodes, CHUNK))
        F = np.empty((n_nodes, CHUNK))
        _row(ops, need, paper, half_c, sb2, k0rows, k, r0, sym, dg, root, mu, am, A, M, out, G, F)
        if nr - 1 - k != k:
            _row(ops, need, paper, half_c, sb2, k0rows, nr - 1 - k, r0, sym, dg, root, mu, am, A, M,
                 out, G, F)


@njit(**_FLAGS)
def _row_min_gap(ops, need, paper, half_c, sb2, k0rows, r, r0, dg, root, mu, am, A, M, G, F,
                 rowmin, rowarg):
    n = k0rows.shape[1]
    H = ops.shape[0] - 1
    i = r0 + r
    a = dg[H, i]
    best = np.inf
    arg = -1
    for j0 in range(i + 1, n, CHUNK):
        nb = min(CHUNK, n - j0)
        _chunk(ops, need, paper, half_c, sb2, k0rows[r, j0:j0 + nb], i, j0, nb,
               dg, root, mu, am, A, M, G, F, False)
        for jj in range(nb):
            c = dg[H, j0 + jj]
            b = G[H, H, jj]
            half_diff = 0.5 * (a - c)
            gap = 0.5 * (a + c) - math.sqrt(half_diff * half_diff + b * b)
            if gap < best:
                best = gap
                arg = j0 + jj
    rowmin[r] = best
    rowarg[r] = arg


@njit(parallel=True, **_FLAGS)
def _rows_min_gap(ops, need, paper, half_c, sb2, k0rows, r0, dg, root, mu, am, A, M, rowmin, rowarg):
    """Per row i of the block: min over j > i of the 2x2 least eigenvalue, and its j."""
    n_nodes = ops.shape[0]
    nr = k0rows.shape[0]
    half = (nr + 1) // 2
    for k in prange(half):
        G = np.empty((n_nodes, n_nodes, CHUNK))
        F = np.empty((n_nodes, CHUNK))
        _row_min_gap(ops, need, paper, half_c, sb2, k0rows, k, r0, dg, root, mu, am, A, M, G, F,
                     rowmin, rowarg)
        if nr - 1 - k != k:
            _row_min_gap(ops, need, paper, half_c, sb2, k0rows, nr - 1 - k, r0, dg, root, mu, am, A,
                         M, G, F, rowmin, rowarg)


@njit(parallel=True, **_FLAGS)
def _mirror(out):
    """Copy the upper triangle onto the lower one, in cache-sized tiles."""
    n = out.shape[0]
    tile = 64
    nt = (n + tile - 1) // tile
    for bi in prange(nt):
        i0 = bi * tile
        i1 = min(n, i0 + tile)
        for bj in range(bi + 1):
            j0 = bj * tile
            j1 = min(n, j0 + tile)
            for i in range(i0, i1):
                for j in range(j0, min(j1, i)):
                    out[i, j] = out[j, i]


def encode_motif(motif: Motif) -> np.ndarray:
    """``ops[t, s]`` as an int8 ``(H+1, H+1)`` matrix (0 zero, 1 skip, 2 linear; zero for s >= t).

    >>> encode_motif(Motif.parse("2_21")).tolist()
    [[0, 0, 0], [2, 0, 0], [2, 1, 0]]
    """
    n = motif.n_nodes
    ops = np.zeros((n, n), dtype=np.int8)
    for s, t, op in motif.edges():
        ops[t, s] = int(op)
    return ops


def motif_needs(motif: Motif, model: str) -> np.ndarray:
    """Which scratch entries the per-entry recursion must form.

    ``need[t, t]``: node ``t`` feeds a linear edge (its dual map is evaluated);
    ``need[t, u]``, ``t != u``: the cross-Gram ``<X_t,i, X_u,j>`` is needed
    (exact model only: by two skip edges into one node, or to build another
    needed cross-Gram).

    >>> motif_needs(Motif.parse("1_11"), "exact").astype(int).tolist()
    [[0, 1, 0], [1, 0, 0], [0, 0, 0]]
    """
    n = motif.n_nodes
    need = np.zeros((n, n), dtype=np.uint8)
    for s, _, op in motif.edges():
        if op is Op.LINEAR:
            need[s, s] = 1
    if model == "paper":
        return need
    cross: set[tuple[int, int]] = set()
    for t in range(1, n):
        skip = motif.sources(t, Op.SKIP)
        for s in skip:
            for s2 in skip:
                if s != s2:
                    cross.add((s, s2))
    # a needed <X_t, X_u> (t != u) with max(t, u) = v needs <X_s, X_other> for skips s -> v
    for v in range(n - 1, 0, -1):
        for a, b in list(cross):
            if max(a, b) != v:
                continue
            other = b if a == v else a
            for s in motif.sources(v, Op.SKIP):
                if s != other:
                    cross.add((s, other) if a == v else (other, s))
    for a, b in cross:
        need[a, b] = 1
    return need


def _prepare(motif: Motif, model: str, K0diag: np.ndarray, mu0: np.ndarray, c_sigma: float,
             sigma_b: float):
    ops = encode_motif(motif)
    need = motif_needs(motif, model)
    paper = model == "paper"
    n = K0diag.shape[0]
    n_nodes = motif.n_nodes
    dg = np.zeros((n_nodes, n))
    root = np.zeros((n_nodes, n))
    mu = np.zeros((n_nodes, n))
    am = np.zeros((n_nodes, n))
    A = np.zeros((n_nodes, n))
    M = np.zeros((n_nodes, n))
    half_c = 0.5 * float(c_sigma)
    sb2 = float(sigma_b) ** 2
    _prepass(ops, need, paper, half_c, sb2, np.ascontiguousarray(K0diag, dtype=np.float64),
             np.ascontiguousarray(mu0, dtype=np.float64), dg, root, mu, am, A, M)
    return ops, need, paper, half_c, sb2, dg, root, mu, am, A, M


def node_diagonals(motif: Motif, K0diag: np.ndarray, mu0: np.ndarray, model: str = "exact",
                   c_sigma: float = 2.0, sigma_b: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Every node's diagonal ``K_t,ii`` and mean ``mu_t,i`` (``O(N H^2)``), as ``(H+1, N)`` arrays.

    >>> d, m = node_diagonals(Motif.parse("1_01_222"), np.ones(2), np.zeros(2))
    >>> round(float(d[-1, 0]), 5)  # 3 + 6/pi
    4.90986
    """
    _, _, _, _, _, dg, _, mu, _, _, _ = _prepare(motif, model, np.asarray(K0diag), np.asarray(mu0),
                                           c_sigma, sigma_b)
    return dg, mu


def nngp_fused(motif: Motif, K0: np.ndarray, mu0: np.ndarray, model: str = "exact",
               c_sigma: float = 2.0, sigma_b: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Output Gram and output means of ``motif`` by the fused kernel (inputs already validated).

    Runs in the dtype of ``K0`` (float32 or float64 storage; the recursion of
    each entry is carried in float64 registers).  Returns ``(K_H, mu_H)``.

    >>> out, _ = nngp_fused(Motif.parse("2_02_002"), np.array([[1.0, 0.5], [0.5, 1.0]]), np.zeros(2))
    >>> round(float(out[0, 1]), 5)
    0.73813
    """
    K0 = np.ascontiguousarray(K0)
    ops, need, paper, half_c, sb2, dg, root, mu, am, A, M = _prepare(
        motif, model, np.diagonal(K0), mu0, c_sigma, sigma_b)
    out = np.empty(K0.shape, dtype=K0.dtype)
    _rows(ops, need, paper, half_c, sb2, K0, 0, True, dg, root, mu, am, A, M, out)
    _mirror(out)
    return out, mu[-1].astype(K0.dtype)


def row_block_kernel(motif: Motif, K0rows: np.ndarray, r0: int, prepared: tuple,
                     out: np.ndarray | None = None) -> np.ndarray:
    """Rows ``r0 .. r0 + len(K0rows) - 1`` of the output Gram (all columns).

    ``prepared`` is the tuple of :func:`_prepare` for the full input set; used
    by :func:`nngp_blocks`.
    """
    ops, need, paper, half_c, sb2, dg, root, mu, am, A, M = prepared
    K0rows = np.ascontiguousarray(K0rows)
    if out is None:
        out = np.empty(K0rows.shape, dtype=K0rows.dtype)
    _rows(ops, need, paper, half_c, sb2, K0rows, int(r0), False, dg, root, mu, am, A, M, out)
    return out


#: Default memory cap of the blocked evaluation (bytes).
DEFAULT_MAX_BYTES = 256 * 2**20


def _block_rows(n: int, itemsize: int, max_bytes: int, arrays_per_row: int) -> int:
    fixed = 8 * 8 * n  # per-node diagonal arrays of the pre-pass, a few (H+1) x N
    rows = (int(max_bytes) - fixed) // (arrays_per_row * n * itemsize)
    if rows < 1:
        raise ValueError(
            f"max_bytes={max_bytes} is too small for N={n} inputs: one row block needs about "
            f"{fixed + arrays_per_row * n * itemsize} bytes"
        )
    return int(min(rows, n))


def nngp_blocks(motif: Motif | str, X: object, model: str = "exact", c_sigma: float = 2.0,
                sigma_b: float = 0.0, *, width: int | None = None,
                max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[tuple[int, int, np.ndarray]]:
    """Row blocks ``(start, stop, K_H[start:stop, :])`` of the output Gram of raw inputs ``X`` (N x d).

    For N too large for an N x N matrix (N = 50,000 is 20 GB in float64): the
    input Gram is formed block by block as ``X[start:stop] @ X.T`` and each
    block of output rows is yielded and then dropped.  What is kept at any
    time: ``X``, a few ``(H+1) x N`` per-node diagonals and means, and one
    input block plus one output block, together at most ``max_bytes``.
    Inputs are placed as in :func:`dagnngp.numerics.inputs_to_gram`.

    >>> X = np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]])
    >>> [(a, b, blk.shape) for a, b, blk in nngp_blocks("2_02_002", X, max_bytes=300)]
    [(0, 2, (2, 3)), (2, 3, (1, 3))]
    """
    from dagnngp.numerics.reference import as_motif, inputs_to_gram
    from dagnngp.numerics.validate import check_c_sigma, check_model

    m = as_motif(motif)
    check_model(model)
    c_sigma = check_c_sigma(c_sigma)
    X = np.asarray(X)
    _, mu0 = inputs_to_gram(X[:1], width)  # validates shape, dtype and width on one row
    X = X.astype(np.float64) if X.dtype.kind in "biu" else X
    if not np.all(np.isfinite(X)):
        raise ValueError("X has a non-finite entry (NaN or inf)")
    n = X.shape[0]
    w = X.shape[1] if width is None else int(width)
    mu0 = X.sum(axis=1) / np.sqrt(w)
    diag = np.einsum("ij,ij->i", X, X)
    prepared = _prepare(m, model, diag, mu0, c_sigma, sigma_b)
    rows = _block_rows(n, X.dtype.itemsize, max_bytes, 2)
    for start in range(0, n, rows):
        stop = min(n, start + rows)
        K0rows = X[start:stop] @ X.T
        yield start, stop, row_block_kernel(m, K0rows, start, prepared, out=K0rows)


def min_pair_gap_blocks(motif: Motif | str, X: object, model: str = "exact", c_sigma: float = 2.0,
                        sigma_b: float = 0.0, *, width: int | None = None,
                        max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[float, int, int]:
    """Lemma 3.3's ``min_{i != j}`` 2x2 least eigenvalue of the output Gram, in bounded memory.

    Same result as ``min_pair_gap(nngp(motif, *inputs_to_gram(X)).output)``
    without ever holding the N x N Gram: rows of the input Gram are formed in
    blocks (``X[start:stop] @ X.T``, at most ``max_bytes``) and each output entry
    ``(i, j > i)`` is reduced to its 2x2 least eigenvalue as soon as it is computed.

    >>> X = np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]])
    >>> v, i, j = min_pair_gap_blocks("2_02_002", X)
    >>> round(v, 6), i, j
    (0.13335, 1, 2)
    """
    from dagnngp.numerics.reference import as_motif, inputs_to_gram
    from dagnngp.numerics.validate import check_c_sigma, check_model

    X = np.asarray(X)
    if X.ndim != 2 or X.shape[0] < 2:
        raise ValueError(f"min_pair_gap_blocks needs X of shape (N, d) with N >= 2, got {X.shape}")
    m = as_motif(motif)
    check_model(model)
    c_sigma = check_c_sigma(c_sigma)
    inputs_to_gram(X[:1], width)  # validates dtype and width
    X = X.astype(np.float64)
    if not np.all(np.isfinite(X)):
        raise ValueError("X has a non-finite entry (NaN or inf)")
    n = X.shape[0]
    w = X.shape[1] if width is None else int(width)
    prepared = _prepare(m, model, np.einsum("ij,ij->i", X, X), X.sum(axis=1) / np.sqrt(w),
                        c_sigma, sigma_b)
    ops, need, paper, half_c, sb2, dg, root, mu, am, A, M = prepared
    # only the input block X[start:stop] @ X.T is held; the output is reduced on the fly
    rows = _block_rows(n, 8, max_bytes, 1)
    best = (math.inf, -1, -1)
    for start in range(0, n - 1, rows):
        stop = min(n, start + rows)
        K0rows = X[start:stop] @ X.T
        rowmin = np.empty(stop - start)
        rowarg = np.empty(stop - start, dtype=np.int64)
        _rows_min_gap(ops, need, paper, half_c, sb2, K0rows, start, dg, root, mu, am, A, M,
                      rowmin, rowarg)
        r = int(np.argmin(rowmin))
        if rowmin[r] < best[0]:
            best = (float(rowmin[r]), start + r, int(rowarg[r]))
        del K0rows  # free this block before the next one is formed
    return best


def numba_threads() -> int:
    """Number of threads the parallel kernels use."""
    return int(numba.get_num_threads())


# ---------------------------------------------------------------- motif sweeps
@njit(**_FLAGS)
def _pair_recursion(ops, exact, half_c, sb2, Cs, Gd, E, mu, am, gv):
    """2x2 recursion for two unit-norm centred inputs, vectorised over the correlations Cs.

    ``Gd[t, u]`` = <X_t,i, X_u,i> does not depend on C.  Only the differences
    ``E[t, u, c]`` = <X_t,i, X_u,i> - <X_t,i, X_u,j> do, and every term of the
    recursion is linear in the Grams except the dual map, whose contribution to
    ``E`` is ``c/2 p (1 - h(1 - E_s / p))`` with ``p`` the pre-activation
    diagonal; the mean cross terms are the same for both inputs and cancel.  So
    ``E`` is carried alone (the off-diagonal entry is ``Gd - E``) and the gap
    keeps its relative accuracy as C -> 1.
    """
    n = ops.shape[0]
    n_c = Cs.shape[0]
    Gd[0, 0] = 1.0
    for c in range(n_c):
        E[0, 0, c] = 1.0 - min(max(Cs[c], -1.0), 1.0)
    mu[0] = 0.0
    for t in range(n):
        if t > 0:
            a_sum = 0.0
            m_sum = 0.0
            n_lin = 0
            for s in range(t):
                if ops[t, s] == LINEAR:
                    a_sum += am[s]
                    n_lin += 1
                elif ops[t, s] == SKIP:
                    m_sum += mu[s]
            if exact:
                for u in range(t):
                    gd = a_sum * mu[u]
                    for c in range(n_c):
                        E[t, u, c] = 0.0
                    for s in range(t):
                        if ops[t, s] == SKIP:
                            gd += Gd[s, u]
                            for c in range(n_c):
                                E[t, u, c] += E[s, u, c]
                    Gd[t, u] = gd
                    Gd[u, t] = gd
                    for c in range(n_c):
                        E[u, t, c] = E[t, u, c]
            gd = 0.0
            if exact:  # mean cross terms
                gd = 2.0 * a_sum * m_sum
                if n_lin > 1:
                    gd += a_sum * a_sum
                    for s in range(t):
                        if ops[t, s] == LINEAR:
                            gd -= am[s] * am[s]
            for c in range(n_c):
                E[t, t, c] = 0.0
            for s in range(t):
                op = ops[t, s]
                if op == LINEAR:
                    gd += half_c * max(Gd[s, s] + sb2, 0.0)
                    for c in range(n_c):
                        E[t, t, c] += gv[s, c]
                elif op == SKIP:
                    gd += Gd[s, s]
                    for c in range(n_c):
                        E[t, t, c] += E[s, s, c]
                    if exact:
                        for s2 in range(t):
                            if s2 != s and ops[t, s2] == SKIP:
                                gd += Gd[s, s2]
                                for c in range(n_c):
                                    E[t, t, c] += E[s, s2, c]
            Gd[t, t] = gd
            mu[t] = a_sum + m_sum if exact else 0.0
        p = max(Gd[t, t] + sb2, 0.0)
        am[t] = math.sqrt(half_c * p * _INV_PI) if exact else 0.0
        # the dual map's contribution to E at every C, if a linear edge leaves node t
        used = False
        for t2 in range(t + 1, n):
            if ops[t2, t] == LINEAR:
                used = True
        if used:
            inv_p = 1.0 / p if p > 0.0 else 0.0
            w = half_c * p
            for c in range(n_c):
                gv[t, c] = w * relu_gap_eps(E[t, t, c] * inv_p)


@njit(parallel=True, **_FLAGS)
def _sweep(codes, n_nodes, Cs, exact, half_c, sb2, gap, rule, diag, off, mean, counts):
    """One motif per task; ``diag`` and ``mean`` are (M,): they do not depend on C."""
    n_motifs = codes.shape[0]
    n_c = Cs.shape[0]
    max_d = counts.shape[1]
    # rule (12) needs 1 - h^d(C) for every depth d; the same for every motif
    gd_table = np.empty((max_d, n_c))
    for c in range(n_c):
        g = 1.0 - min(max(Cs[c], -1.0), 1.0)
        for d in range(max_d):
            gd_table[d, c] = g
            g = relu_gap_eps(g)
    H = n_nodes - 1
    for k in prange(n_motifs):
        ops = np.zeros((n_nodes, n_nodes), dtype=np.int8)
        idx = 0
        for t in range(1, n_nodes):
            for s in range(t):
                ops[t, s] = codes[k, idx]
                idx += 1
        # number of paths 0 -> t with d linear edges
        cnt = np.zeros((n_nodes, max_d), dtype=np.int64)
        cnt[0, 0] = 1
        for t in range(1, n_nodes):
            for s in range(t):
                op = ops[t, s]
                if op == SKIP:
                    for d in range(max_d):
                        cnt[t, d] += cnt[s, d]
                elif op == LINEAR:
                    for d in range(max_d - 1):
                        cnt[t, d + 1] += cnt[s, d]
        for d in range(max_d):
            counts[k, d] = cnt[H, d]
        Gd = np.empty((n_nodes, n_nodes))
        E = np.empty((n_nodes, n_nodes, n_c))
        gv = np.empty((n_nodes, n_c))
        mu = np.empty(n_nodes)
        am = np.empty(n_nodes)
        _pair_recursion(ops, exact, half_c, sb2, Cs, Gd, E, mu, am, gv)
        D = Gd[H, H]
        diag[k] = D
        mean[k] = mu[H]
        for c in range(n_c):
            X = D - E[H, H, c]
            off[k, c] = X
            gap[k, c] = E[H, H, c] if X >= 0.0 else 2.0 * D - E[H, H, c]
            rule[k, c] = 0.0
        for d in range(max_d):
            w = cnt[H, d]
            if w != 0:
                for c in range(n_c):
                    rule[k, c] += w * gd_table[d, c]


def sweep_kernel(codes: np.ndarray, n_nodes: int, Cs: np.ndarray, model: str, c_sigma: float,
                 sigma_b: float) -> dict[str, np.ndarray]:
    """Arrays of the compiled motif sweep (inputs validated by :func:`dagnngp.numerics.sweep`)."""
    m, n_c = codes.shape[0], Cs.shape[0]
    n_edges = n_nodes * (n_nodes - 1) // 2
    out = {name: np.empty((m, n_c)) for name in ("gap", "rule12", "offdiagonal")}
    # two unit-norm inputs: the output diagonal and mean do not depend on C
    out["diagonal"] = np.empty(m)
    out["output_mean"] = np.empty(m)
    counts = np.zeros((m, n_edges + 1), dtype=np.int64)
    _sweep(np.ascontiguousarray(codes, dtype=np.int8), int(n_nodes),
           np.ascontiguousarray(Cs, dtype=np.float64), model == "exact", 0.5 * float(c_sigma),
           float(sigma_b) ** 2, out["gap"], out["rule12"], out["diagonal"], out["offdiagonal"],
           out["output_mean"], counts)
    out["depth_counts"] = counts
    for name in ("diagonal", "output_mean"):
        out[name] = np.broadcast_to(out[name][:, None], (m, n_c))  # read-only (M, K) view
    return out


# ---------------------------------------------------------------- validation
@njit(parallel=True, **_FLAGS)
def _gram_row_stats(K, stats):
    """Per row: all finite, max |K_ij|, max |K_ij - K_ji|, max |sym K_ij| - sqrt(K_ii+ K_jj+).

    Walked in 64 x 64 tiles so that the transposed reads K[j, i] stay in cache.
    """
    n = K.shape[0]
    tile = 64
    n_tiles = (n + tile - 1) // tile
    for bi in prange(n_tiles):
        i0 = bi * tile
        i1 = min(n, i0 + tile)
        for i in range(i0, i1):
            stats[i, 0] = 1.0
            stats[i, 1] = 0.0
            stats[i, 2] = 0.0
            stats[i, 3] = -np.inf
        for bj in range(n_tiles):
            j0 = bj * tile
            j1 = min(n, j0 + tile)
            for i in range(i0, i1):
                ri = math.sqrt(max(K[i, i], 0.0))
                finite = stats[i, 0]
                big = stats[i, 1]
                asym = stats[i, 2]
                excess = stats[i, 3]
                for j in range(j0, j1):
                    v = K[i, j]
                    w = K[j, i]
                    if not math.isfinite(v):
                        finite = 0.0
                    big = max(big, abs(v))
                    asym = max(asym, abs(v - w))
                    excess = max(excess, abs(0.5 * (v + w)) - ri * math.sqrt(max(K[j, j], 0.0)))
                stats[i, 0] = finite
                stats[i, 1] = big
                stats[i, 2] = asym
                stats[i, 3] = excess


def check_gram_fused(K: np.ndarray, name: str = "K0", check_psd: bool | None = None) -> np.ndarray:
    """:func:`dagnngp.numerics.validate.check_gram` in one parallel pass, same acceptance rule.

    For float arrays: the O(N^2) checks (finite, symmetric, diagonal, Cauchy-Schwarz)
    run fused without N x N temporaries; anything suspicious, other dtypes and the
    eigenvalue test (``check_psd``) are handed to ``check_gram``, which raises its
    usual message.  An input that is already exactly symmetric is returned as is.

    >>> check_gram_fused(np.eye(2)).tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    from dagnngp.numerics.validate import check_gram

    n = K.shape[0] if isinstance(K, np.ndarray) and K.ndim == 2 else 0
    eig = bool(check_psd)
    if (not isinstance(K, np.ndarray) or K.dtype not in (np.float32, np.float64) or K.ndim != 2
            or K.shape[1] != n or n < 3 or eig):
        return check_gram(K, name, check_psd=check_psd)
    K = np.ascontiguousarray(K)
    stats = np.empty((n, 4))
    _gram_row_stats(K, stats)
    eps = float(np.finfo(K.dtype).eps)
    tol = 64 * eps * (float(stats[:, 1].max()) or 1.0)
    diag = np.diagonal(K)
    if (stats[:, 0].min() < 1.0 or stats[:, 2].max() > tol * n or diag.min() < -tol
            or stats[:, 3].max() > tol):
        return check_gram(K, name, check_psd=check_psd)  # raises with the precise message
    return K if stats[:, 2].max() == 0.0 else 0.5 * (K + K.T)
