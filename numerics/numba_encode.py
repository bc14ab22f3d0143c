"""A motif's :class:`~dagnngp.theory.program.Program` packed into the arrays the Numba kernels read.

Pure Python and NumPy (no Numba): :func:`encode_program` turns the instruction
list of :func:`dagnngp.theory.program.compile_program` into small integer and
float arrays, in two forms.

* For the pre-pass, every instruction as it is (opcode, output, source, term
  lists with coefficients), run on the diagonal entries ``(i, i)``.
* For the main pass over the entries ``(i, j)``: everything but the dual map is
  linear, so each ``Comb`` is rewritten as a combination of *atoms* (the input
  Gram and the ``Dual`` outputs) plus outer terms ``vec[a]_i vec[b]_j`` over the
  input means and the ``Mean`` outputs (``VComb`` expanded likewise).  Only the
  sources of dual maps and the output are formed, each in one ``Comb``; dual maps
  the output does not depend on are dropped; outer terms are grouped by one side
  (so a group costs one multiply-add per entry); registers are mapped to a few
  scratch slots by their live ranges.

>>> enc = encode_program("1_11", "exact")   # X2 = X0 + X1 with X1 = X0: K2 = 4 K0
>>> enc.main.tolist(), enc.main_coef.tolist()
([[2, 1, -1, -1, 0, 1, 0, 0]], [4.0])
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from dagnngp.motif import Motif
from dagnngp.theory.program import Comb, Dual, Mean, Program, VComb, compile_program

__all__ = ["COMB", "DUAL", "MEAN", "VCOMB", "EncodedProgram", "encode_program"]

# opcodes of the encoded instructions (pre-pass: all four; main pass: DUAL and COMB)
DUAL, MEAN, COMB, VCOMB = 0, 1, 2, 3
# columns of the main-pass table
_KIND, _OUT, _SRC, _ROOT, _T0, _T1, _G0, _G1 = range(8)


@dataclass(frozen=True)
class EncodedProgram:
    """A :class:`Program` as the arrays the compiled kernels read.

    Pre-pass (every instruction, registers numbered as in the program):
    ``kind``, ``out``, ``src`` (``Dual`` / ``Mean`` source, else -1); the terms of
    instruction ``k`` are ``term_reg/term_coef[term_ptr[k]:term_ptr[k+1]]`` (pair
    registers of a ``Comb``, vec registers of a ``VComb``) and its outer terms
    ``outer_a/outer_b/outer_coef[outer_ptr[k]:outer_ptr[k+1]]``.

    Main pass (the dual maps the output needs and the ``Comb`` forming their
    sources and the output, registers mapped to scratch slots): row ``k`` of
    ``main`` is ``(kind, out slot, source slot, root row, term start, term end,
    group start, group end)``; the ``Comb`` terms are ``main_slot/main_coef``.
    Outer group ``g`` adds ``row_factor[g, i] * col_factor[g, j]``, each factor a
    combination of vec registers (``row_vec/row_coef[row_ptr[g]:row_ptr[g+1]]``,
    likewise ``col_*``).  Root row ``d`` is ``sqrt(pair[root_reg[d]]_ii +
    sigma_b^2)``.  ``k0_slot`` is the slot the input Gram is loaded into (-1: not
    read), ``out_slot`` holds the output, ``out_reg`` / ``mean_reg`` are the
    output's registers (``mean_reg``
    -1 when the means are zero).
    """

    program: Program
    kind: np.ndarray
    out: np.ndarray
    src: np.ndarray
    term_ptr: np.ndarray
    term_reg: np.ndarray
    term_coef: np.ndarray
    outer_ptr: np.ndarray
    outer_a: np.ndarray
    outer_b: np.ndarray
    outer_coef: np.ndarray
    main: np.ndarray
    main_slot: np.ndarray
    main_coef: np.ndarray
    row_ptr: np.ndarray
    row_vec: np.ndarray
    row_coef: np.ndarray
    col_ptr: np.ndarray
    col_vec: np.ndarray
    col_coef: np.ndarray
    root_reg: np.ndarray
    n_slots: int
    k0_slot: int
    out_slot: int
    out_reg: int
    mean_reg: int

    @property
    def bytes_per_input(self) -> int:
        """Bytes per input of the pre-pass's arrays (for memory budgets)."""
        n_groups = len(self.row_ptr) - 1
        return 8 * (self.program.n_pair + self.program.n_vec + len(self.root_reg) + 2 * n_groups)


def _i64(values: list) -> np.ndarray:
    return np.asarray(values, dtype=np.int64).reshape(-1)


def _f64(values: list) -> np.ndarray:
    return np.asarray(values, dtype=np.float64).reshape(-1)


def _encode_prepass(program: Program) -> dict[str, np.ndarray]:
    kind, out, src, term_ptr, term_reg, term_coef = [], [], [], [0], [], []
    outer_ptr, outer_a, outer_b, outer_coef = [0], [], [], []
    for ins in program.instructions:
        out.append(ins.out)
        if isinstance(ins, Dual | Mean):
            kind.append(DUAL if isinstance(ins, Dual) else MEAN)
            src.append(ins.src)
        elif isinstance(ins, Comb):
            kind.append(COMB)
            src.append(-1)
            term_coef += [c for c, _ in ins.pairs]
            term_reg += [r for _, r in ins.pairs]
            outer_coef += [c for c, _, _ in ins.outers]
            outer_a += [a for _, a, _ in ins.outers]
            outer_b += [b for _, _, b in ins.outers]
        else:
            kind.append(VCOMB)
            src.append(-1)
            term_coef += [c for c, _ in ins.terms]
            term_reg += [r for _, r in ins.terms]
        term_ptr.append(len(term_reg))
        outer_ptr.append(len(outer_a))
    return {"kind": _i64(kind), "out": _i64(out), "src": _i64(src), "term_ptr": _i64(term_ptr),
            "term_reg": _i64(term_reg), "term_coef": _f64(term_coef), "outer_ptr": _i64(outer_ptr),
            "outer_a": _i64(outer_a), "outer_b": _i64(outer_b), "outer_coef": _f64(outer_coef)}


def _group_outers(outers: dict[tuple[int, int], float]) -> list[tuple[list, list]]:
    """``sum c vec[a]_i vec[b]_j`` as ``sum_g (row combination)_i (column combination)_j``.

    Grouped by the side with fewer distinct registers, so an entry costs one
    multiply-add per group.
    """
    by_b: dict[int, list] = {}
    by_a: dict[int, list] = {}
    for (a, b), c in outers.items():
        by_b.setdefault(b, []).append((c, a))
        by_a.setdefault(a, []).append((c, b))
    if len(by_a) < len(by_b):
        return [([(1.0, a)], terms) for a, terms in by_a.items()]
    return [(terms, [(1.0, b)]) for b, terms in by_b.items()]


def _add(acc: dict, key: object, c: float) -> None:
    acc[key] = acc.get(key, 0.0) + c


def _flatten(program: Program) -> dict[int, tuple[dict, dict]]:
    """Every pair register as ``(pairs, outers)`` over *atoms*, for the main pass.

    Everything but the dual map is linear, so a ``Comb`` is a combination of
    atoms: the input Gram (register 0) and ``Dual`` outputs, plus outer terms
    ``vec[a]_i vec[b]_j`` over vec atoms (the input means and ``Mean`` outputs;
    a ``VComb`` is likewise a combination of those).  Only the sources of
    ``Dual`` and the output are then formed, each in one pass over its atoms.
    """
    pexpr: dict[int, tuple[dict, dict]] = {0: ({0: 1.0}, {})}
    vexpr: dict[int, dict] = {0: {0: 1.0}}
    for ins in program.instructions:
        if isinstance(ins, Dual):
            pexpr[ins.out] = ({ins.out: 1.0}, {})
        elif isinstance(ins, Mean):
            vexpr[ins.out] = {ins.out: 1.0}
        elif isinstance(ins, VComb):
            acc: dict = {}
            for c, r in ins.terms:
                for v, cv in vexpr[r].items():
                    _add(acc, v, c * cv)
            vexpr[ins.out] = acc
        else:
            pairs: dict = {}
            outers: dict = {}
            for c, r in ins.pairs:
                rp, ro = pexpr[r]
                for a, ca in rp.items():
                    _add(pairs, a, c * ca)
                for ab, cab in ro.items():
                    _add(outers, ab, c * cab)
            for c, a, b in ins.outers:
                for va, ca in vexpr[a].items():
                    for vb, cb in vexpr[b].items():
                        _add(outers, (va, vb), c * ca * cb)
            pexpr[ins.out] = ({k: v for k, v in pairs.items() if v != 0.0},
                              {k: v for k, v in outers.items() if v != 0.0})
    return pexpr


def _encode_main(program: Program) -> dict:
    pexpr = _flatten(program)
    duals = [ins for ins in program.instructions if isinstance(ins, Dual)]

    def atomic(r: int) -> bool:
        p, o = pexpr[r]
        return not o and len(p) == 1 and next(iter(p.values())) == 1.0

    def canon(r: int) -> int:
        return next(iter(pexpr[r][0])) if atomic(r) else r

    # backward pass: keep only the dual maps the output depends on
    needed = set(pexpr[program.output][0])
    kept: list[Dual] = []
    for ins in reversed(duals):
        if ins.out in needed:
            kept.append(ins)
            needed.update(pexpr[ins.src][0])
    kept.reverse()

    # the main-pass sequence: (register written, expression read) for a formed Comb,
    # (Dual output, its source) for a dual map; the output's Comb comes last
    seq: list[tuple[str, int, object]] = []
    for ins in kept:
        if not atomic(ins.src):
            seq.append(("comb", ins.src, pexpr[ins.src]))
        seq.append(("dual", ins.out, canon(ins.src)))
    out_reg = canon(program.output)
    if not atomic(program.output):
        seq.append(("comb", out_reg, pexpr[out_reg]))

    def reads(item: tuple) -> list[int]:
        kind, _, arg = item
        return [arg] if kind == "dual" else list(arg[0])

    # registers to scratch slots by live ranges; an instruction's output never shares a slot
    # with its own sources (the Comb passes accumulate term by term, and LLVM's vectorised
    # loops check at run time that output and input rows do not overlap)
    last = {r: k for k, item in enumerate(seq) for r in reads(item)}
    last[out_reg] = len(seq)
    slot: dict[int, int] = {}
    free: list[int] = []
    n_slots = 0

    def alloc() -> int:
        nonlocal n_slots
        if free:
            return free.pop()
        n_slots += 1
        return n_slots - 1

    def release(k: int, item: tuple) -> None:
        for r in set(reads(item)):
            if last[r] == k:
                free.append(slot[r])

    k0_slot = alloc() if 0 in last else -1
    if k0_slot >= 0:
        slot[0] = k0_slot
    main, main_slot, main_coef = [], [], []
    row_ptr, row_vec, row_coef, col_ptr, col_vec, col_coef = [0], [], [], [0], [], []
    root_reg: list[int] = []
    dual_src = {ins.out: ins.src for ins in kept}
    for k, item in enumerate(seq):
        kind, reg, arg = item
        if kind == "dual":
            o = alloc()
            release(k, item)
            main.append((DUAL, o, slot[arg], len(root_reg), 0, 0, 0, 0))
            root_reg.append(dual_src[reg])
        else:
            o = alloc()
            pairs, outers = arg
            t0, g0 = len(main_slot), len(row_ptr) - 1
            main_slot += [slot[r] for r in pairs]
            main_coef += list(pairs.values())
            for rows, cols in _group_outers(outers):
                row_coef += [c for c, _ in rows]
                row_vec += [v for _, v in rows]
                row_ptr.append(len(row_vec))
                col_coef += [c for c, _ in cols]
                col_vec += [v for _, v in cols]
                col_ptr.append(len(col_vec))
            main.append((COMB, o, -1, -1, t0, len(main_slot), g0, len(row_ptr) - 1))
            release(k, item)
        slot[reg] = o
    return {"main": np.asarray(main, dtype=np.int64).reshape(-1, 8), "main_slot": _i64(main_slot),
            "main_coef": _f64(main_coef), "row_ptr": _i64(row_ptr), "row_vec": _i64(row_vec),
            "row_coef": _f64(row_coef), "col_ptr": _i64(col_ptr), "col_vec": _i64(col_vec),
            "col_coef": _f64(col_coef), "root_reg": _i64(root_reg), "n_slots": max(n_slots, 1),
            "k0_slot": k0_slot, "out_slot": slot[out_reg], "out_reg": program.output}


@lru_cache(maxsize=256)
def _encode(motif: Motif, model: str) -> EncodedProgram:
    program = compile_program(motif, model)
    mean = program.node_mean[-1]
    return EncodedProgram(program=program, **_encode_prepass(program), **_encode_main(program),
                          mean_reg=-1 if mean is None else mean)


def encode_program(motif: Motif | str, model: str = "exact") -> EncodedProgram:
    """The encoded instruction list of ``motif`` under ``model`` (cached; treat the arrays as read-only).

    >>> enc = encode_program("2_02_002", "paper")
    >>> enc.main[:, 0].tolist(), enc.n_slots   # a chain of three dual maps in two scratch slots
    ([0, 0, 0], 2)
    """
    return _encode(Motif.coerce(motif), model)
