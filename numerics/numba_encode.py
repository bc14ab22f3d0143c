"""A motif's :class:`~dagnngp.theory.program.Program` packed into the arrays the Numba kernels read.

Pure Python and NumPy (no Numba): :func:`encode_program` turns the instruction
list of :func:`dagnngp.theory.program.compile_program` into small integer and
float arrays, in two forms.

* For the pre-pass, every instruction as it is (opcode, output, source, term
  lists with coefficients), run on the diagonal entries ``(i, i)``.
* For the main pass over the entries ``(i, j)``: everything but the dual map and
  the ``Tangent`` map is linear, so each ``Comb`` is rewritten as a combination of
  *atoms* (the input Gram and the ``Dual`` and ``Tangent`` outputs) plus outer
  terms ``vec[a]_i vec[b]_j`` over the input means and the ``Mean`` outputs
  (``VComb`` expanded likewise).  Only the sources of the maps (a source's Gram
  and, for ``Tangent``, its NTK) and the outputs are formed, each in one
  ``Comb``; maps the outputs do not depend on are dropped; the ``Dual`` and the
  ``Tangent`` of one source become one main-pass map, which evaluates the angle
  once for both; outer terms are grouped by one side (so a group costs one
  multiply-add per entry); registers are mapped to a few scratch slots by their
  live ranges.

>>> enc = encode_program("1_11", "exact")   # X2 = X0 + X1 with X1 = X0: K2 = 4 K0
>>> enc.main.tolist(), enc.main_coef.tolist()
([[2, 1, -1, -1, 0, 1, 0, 0, -1, -1, -1, -1]], [4.0])
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from dagnngp.motif import Motif
from dagnngp.theory.program import Comb, Dual, Mean, Program, Tangent, VComb, compile_program

__all__ = ["COMB", "DUAL", "MEAN", "TANGENT", "VCOMB", "EncodedProgram", "encode_program"]

# opcodes of the encoded instructions (pre-pass: all five; main pass: DUAL, a source's
# dual map and / or its Tangent, and COMB)
DUAL, MEAN, COMB, VCOMB, TANGENT = 0, 1, 2, 3, 4
# columns of the main-pass table
_KIND, _OUT, _SRC, _ROOT, _T0, _T1, _G0, _G1, _OUT2, _NTK, _ESRC, _EOUT = range(12)


@dataclass(frozen=True)
class EncodedProgram:
    """A :class:`Program` as the arrays the compiled kernels read.

    Pre-pass (every instruction, registers numbered as in the program):
    ``kind``, ``out``, ``src`` (``Dual`` / ``Mean`` / ``Tangent`` source, else -1),
    ``aux`` (a ``Tangent``'s NTK register, -1 for zero or another instruction); the terms of
    instruction ``k`` are ``term_reg/term_coef[term_ptr[k]:term_ptr[k+1]]`` (pair
    registers of a ``Comb``, vec registers of a ``VComb``) and its outer terms
    ``outer_a/outer_b/outer_coef[outer_ptr[k]:outer_ptr[k+1]]``.

    Main pass (the maps the outputs need and the ``Comb`` forming their
    sources and the outputs, registers mapped to scratch slots): row ``k`` of
    ``main`` is ``(kind, out slot, source slot, root row, term start, term end,
    group start, group end, tangent slot, NTK slot, source gap slot, gap slot)``.  A ``DUAL`` row writes the
    source's dual map to ``out slot`` (a slot nothing reads when only the
    ``Tangent`` is needed) and its ``Tangent`` to ``tangent slot`` (-1: none),
    reading the source's NTK from ``NTK slot`` (-1: zero); the ``Comb`` terms are
    ``main_slot/main_coef``.  With the NTK, the Grams of the maps' sources carry
    their *gaps* ``E_ij = (P_ii + P_jj)/2 - P_ij`` as well: a map reads its source's
    gap (``source gap slot``) and writes its dual map's (``gap slot``), a ``Comb`` with
    a ``gap slot`` also sums its terms' gaps (``main_slot_e``), and ``ek0_slot`` holds
    the input's (-1: none).
    Outer group ``g`` adds ``row_factor[g, i] * col_factor[g, j]``, each factor a
    combination of vec registers (``row_vec/row_coef[row_ptr[g]:row_ptr[g+1]]``,
    likewise ``col_*``).  Root row ``d`` is ``sqrt(pair[root_reg[d]]_ii +
    sigma_b^2)``.  ``k0_slot`` is the slot the input Gram is loaded into (-1: not
    read), ``out_slot`` holds the output Gram and ``ntk_slot`` the output NTK (-1
    without the NTK), ``out_reg`` / ``ntk_reg`` / ``mean_reg`` are the output's
    registers (``ntk_reg`` -1 without the NTK, ``mean_reg`` -1 when the means are zero).
    """

    program: Program
    kind: np.ndarray
    out: np.ndarray
    src: np.ndarray
    aux: np.ndarray
    term_ptr: np.ndarray
    term_reg: np.ndarray
    term_coef: np.ndarray
    outer_ptr: np.ndarray
    outer_a: np.ndarray
    outer_b: np.ndarray
    outer_coef: np.ndarray
    main: np.ndarray
    main_slot: np.ndarray
    main_slot_e: np.ndarray
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
    ek0_slot: int
    out_slot: int
    ntk_slot: int
    out_reg: int
    ntk_reg: int
    mean_reg: int

    @property
    def bytes_per_input(self) -> int:
        """Bytes per input of the pre-pass's arrays (for memory budgets)."""
        n_groups = len(self.row_ptr) - 1
        return 8 * (self.program.n_pair + self.program.n_vec + 3 * len(self.root_reg) + 2 * n_groups)


def _i64(values: list) -> np.ndarray:
    return np.asarray(values, dtype=np.int64).reshape(-1)


def _f64(values: list) -> np.ndarray:
    return np.asarray(values, dtype=np.float64).reshape(-1)


def _encode_prepass(program: Program) -> dict[str, np.ndarray]:
    kind, out, src, aux, term_ptr, term_reg, term_coef = [], [], [], [], [0], [], []
    outer_ptr, outer_a, outer_b, outer_coef = [0], [], [], []
    for ins in program.instructions:
        out.append(ins.out)
        aux.append(ins.ntk if isinstance(ins, Tangent) else -1)
        if isinstance(ins, Dual | Mean | Tangent):
            kind.append(DUAL if isinstance(ins, Dual) else (MEAN if isinstance(ins, Mean) else TANGENT))
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
    return {"kind": _i64(kind), "out": _i64(out), "src": _i64(src), "aux": _i64(aux),
            "term_ptr": _i64(term_ptr),
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

    Everything but the dual map and the ``Tangent`` map is linear, so a ``Comb`` is a
    combination of atoms: the input Gram (register 0) and ``Dual`` and ``Tangent`` outputs, plus outer terms
    ``vec[a]_i vec[b]_j`` over vec atoms (the input means and ``Mean`` outputs;
    a ``VComb`` is likewise a combination of those).  Only the sources of
    the maps and the outputs are then formed, each in one pass over its atoms.
    """
    pexpr: dict[int, tuple[dict, dict]] = {0: ({0: 1.0}, {})}
    vexpr: dict[int, dict] = {0: {0: 1.0}}
    for ins in program.instructions:
        if isinstance(ins, Dual | Tangent):
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

    def atomic(r: int) -> bool:
        p, o = pexpr[r]
        return not o and len(p) == 1 and next(iter(p.values())) == 1.0

    # registers with the same expression (a node's Gram and its NTK under pre-activation edges,
    # say) are formed once: every read goes through the first register of its expression
    first: dict[tuple, int] = {}
    rep = {r: first.setdefault((tuple(sorted(p.items())), tuple(sorted(o.items()))), r)
           for r, (p, o) in sorted(pexpr.items())}

    # maps of one source register compute the same values: the later ones alias the first
    alias: dict[int, int] = {}

    def canon(r: int) -> int:
        if atomic(r):
            a = next(iter(pexpr[r][0]))
            return alias.get(a, a)
        return rep[r]

    def expr(r: int) -> tuple[dict, dict]:
        """Register ``r``'s expression with aliased atoms replaced."""
        pairs: dict = {}
        for a, c in pexpr[r][0].items():
            _add(pairs, alias.get(a, a), c)
        return pairs, pexpr[r][1]

    def ntk_of(ins: Tangent) -> int:
        """The NTK register a ``Tangent`` reads, -1 when it is zero."""
        return -1 if ins.ntk < 0 or not (pexpr[ins.ntk][0] or pexpr[ins.ntk][1]) else canon(ins.ntk)

    # backward pass: keep only the maps the outputs depend on
    outputs = [program.output] + ([] if program.ntk_output is None else [program.ntk_output])
    needed = {a for r in outputs for a in pexpr[r][0]}
    kept: list[Dual | Tangent] = []
    for ins in reversed(program.instructions):
        if isinstance(ins, Dual | Tangent) and ins.out in needed:
            kept.append(ins)
            needed.update(pexpr[ins.src][0])
            if ins.ntk >= 0 if isinstance(ins, Tangent) else False:
                needed.update(pexpr[ins.ntk][0])
    kept.reverse()

    # the main-pass sequence: ("comb", register written, expression read) for a formed Comb,
    # ("map", source, (Dual, Tangent)) for a source's map; the outputs' Combs come last.  A Dual
    # takes along a Tangent of the same source whose NTK is already computable (one angle for
    # both, usually the Tangent right after it in the program)
    seq: list[tuple[str, int, object]] = []
    formed: set[int] = set()
    avail = {0}
    done_dual: dict[int, int] = {}
    done_tan: dict[tuple[int, int], int] = {}

    def form(r: int) -> None:
        r = canon(r)
        if not atomic(r) and r not in formed:
            formed.add(r)
            seq.append(("comb", r, expr(r)))

    def ready(tan: Tangent) -> bool:
        return tan.ntk < 0 or all(alias.get(a, a) in avail for a in pexpr[tan.ntk][0])

    for ins in kept:
        src = canon(ins.src)
        if isinstance(ins, Dual):
            if src in done_dual:
                alias[ins.out] = done_dual[src]
                continue
            tan = next((t for t in kept if isinstance(t, Tangent) and canon(t.src) == src
                        and (src, ntk_of(t)) not in done_tan and ready(t)), None)
        else:
            if (src, ntk_of(ins)) in done_tan:
                alias[ins.out] = done_tan[(src, ntk_of(ins))]
                continue
            ins, tan = None, ins
        form(src)
        if tan is not None and ntk_of(tan) >= 0:
            form(tan.ntk)
        seq.append(("map", src, (ins, tan)))
        if ins is not None:
            done_dual[src] = ins.out
            avail.add(ins.out)
        if tan is not None:
            done_tan[(src, ntk_of(tan))] = tan.out
            avail.add(tan.out)
    out_reg = canon(program.output)
    form(program.output)
    ntk_reg = -1
    if program.ntk_output is not None:
        ntk_reg = canon(program.ntk_output)
        last_ins = next((ins for ins in program.instructions if ins.out == program.ntk_output
                         and isinstance(ins, Comb)), None)
        if (program.readout and last_ins is not None and not last_ins.outers
                and not atomic(program.ntk_output)):
            # Theta = K_H + Theta_H: a sum of the two formed outputs, not the whole recursion again
            parts: dict = {}
            for c, r in last_ins.pairs:
                form(r)
                _add(parts, canon(r), c)
            ntk_reg = program.ntk_output
            seq.append(("comb", ntk_reg, (parts, {})))
        else:
            form(program.ntk_output)

    # with the NTK, the Gram of every map's source also carries its gap E_ij = (P_ii + P_jj)/2 - P_ij
    # (formed from the gaps of its atoms), so that 1 - C, which the derivative map reads, keeps its
    # digits as C -> 1; the gaps are linear in the atoms too
    gap = program.ntk_output is not None
    gapped: set[int] = set()
    if gap:
        for kind, reg, arg in reversed(seq):
            if kind == "map":
                gapped.add(reg)
            elif reg in gapped:
                gapped.update(arg[0])

    def reads(item: tuple) -> list:
        kind, reg, arg = item
        if kind == "comb":
            return list(arg[0]) + ([("E", a) for a in arg[0]] if reg in gapped else [])
        tan = arg[1]
        return ([reg] + ([("E", reg)] if gap else [])
                + ([ntk_of(tan)] if tan is not None and ntk_of(tan) >= 0 else []))

    # registers to scratch slots by live ranges; an instruction's outputs never share a slot
    # with its own sources (the Comb passes accumulate term by term, and LLVM's vectorised
    # loops check at run time that output and input rows do not overlap)
    last = {r: k for k, item in enumerate(seq) for r in reads(item)}
    for r in (out_reg, ntk_reg):
        last[r] = len(seq)
    slot: dict = {}
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
    ek0_slot = alloc() if ("E", 0) in last else -1
    if ek0_slot >= 0:
        slot[("E", 0)] = ek0_slot
    # what a map computes and nothing reads (its dual map or the dual map's gap, when only the
    # Tangent is needed) goes to a slot of its own that is never read
    trash = alloc() if gap or any(kind == "map" and arg[0] is None for kind, _, arg in seq) else -1
    main, main_slot, main_slot_e, main_coef = [], [], [], []
    row_ptr, row_vec, row_coef, col_ptr, col_vec, col_coef = [0], [], [], [0], [], []
    root_reg: list[int] = []
    for k, item in enumerate(seq):
        kind, reg, arg = item
        if kind == "map":
            dual, tan = arg
            o = alloc() if dual is not None else trash
            eo = alloc() if dual is not None and dual.out in gapped else trash
            o2 = alloc() if tan is not None else (trash if gap else -1)
            n = slot[ntk_of(tan)] if tan is not None and ntk_of(tan) >= 0 else -1
            es = slot[("E", reg)] if gap else -1
            main.append((DUAL, o, slot[reg], len(root_reg), 0, 0, 0, 0, o2, n, es, eo if gap else -1))
            release(k, item)
            root_reg.append(reg)
            if dual is not None:
                slot[dual.out] = o
                if dual.out in gapped:
                    slot[("E", dual.out)] = eo
            if tan is not None:
                slot[tan.out] = o2
        else:
            o = alloc()
            eo = alloc() if reg in gapped else -1
            pairs, outers = arg
            t0, g0 = len(main_slot), len(row_ptr) - 1
            main_slot += [slot[r] for r in pairs]
            main_slot_e += [slot[("E", r)] if eo >= 0 else -1 for r in pairs]
            main_coef += list(pairs.values())
            for rows, cols in _group_outers(outers):
                row_coef += [c for c, _ in rows]
                row_vec += [v for _, v in rows]
                row_ptr.append(len(row_vec))
                col_coef += [c for c, _ in cols]
                col_vec += [v for _, v in cols]
                col_ptr.append(len(col_vec))
            main.append((COMB, o, -1, -1, t0, len(main_slot), g0, len(row_ptr) - 1, -1, -1, -1, eo))
            release(k, item)
            slot[reg] = o
            if eo >= 0:
                slot[("E", reg)] = eo
    return {"main": np.asarray(main, dtype=np.int64).reshape(-1, 12), "main_slot": _i64(main_slot),
            "main_slot_e": _i64(main_slot_e),
            "main_coef": _f64(main_coef), "row_ptr": _i64(row_ptr), "row_vec": _i64(row_vec),
            "row_coef": _f64(row_coef), "col_ptr": _i64(col_ptr), "col_vec": _i64(col_vec),
            "col_coef": _f64(col_coef), "root_reg": _i64(root_reg), "n_slots": max(n_slots, 1),
            "k0_slot": k0_slot, "ek0_slot": ek0_slot, "out_slot": slot[out_reg], "out_reg": program.output,
            "ntk_slot": -1 if program.ntk_output is None else slot[ntk_reg],
            "ntk_reg": -1 if program.ntk_output is None else program.ntk_output}


@lru_cache(maxsize=256)
def _encode(motif: Motif, model: str, edge: str, ntk: bool, readout: bool) -> EncodedProgram:
    program = compile_program(motif, model, edge, ntk=ntk, readout=readout)
    mean = program.node_mean[-1]
    return EncodedProgram(program=program, **_encode_prepass(program), **_encode_main(program),
                          mean_reg=-1 if mean is None else mean)


def encode_program(motif: Motif | str, model: str = "exact", edge: str = "post", *, ntk: bool = False,
                   readout: bool = True) -> EncodedProgram:
    """The encoded instruction list of ``motif`` (cached; treat the arrays as read-only).

    The arguments are :func:`~dagnngp.theory.program.compile_program`'s.

    >>> enc = encode_program("2_02_002", "paper")
    >>> enc.main[:, 0].tolist(), enc.n_slots   # a chain of three dual maps in two scratch slots
    ([0, 0, 0], 2)
    >>> enc = encode_program("2_02_002", "paper", ntk=True)   # each map also writes its Tangent,
    >>> maps = enc.main[enc.main[:, 0] == DUAL]                # and a Comb adds K_H to Theta_H
    >>> len(maps), bool((maps[:, 8] >= 0).all()), int(enc.main[-1, 0]) == COMB
    (3, True, True)
    """
    return _encode(Motif.coerce(motif), model, edge, bool(ntk), bool(ntk) and bool(readout))
