"""NAS-Bench-201 cells: parsing, op classes and effective depth/width.

A NAS-Bench-201 cell string lists, for each target node ``t = 1, 2, 3``, one
``op~source`` token per source ``0 .. t-1``; groups are separated by ``+``::

    |nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|

Each op falls into one of three classes (paper Remark 4.2, public code's
``edge2value``): convolutions are *parametrised* (a linear edge of the motif),
skip connections and pooling are *non-parametrised* (a skip edge), and
``none`` removes the edge.  The cell's :class:`~dagnngp.Motif` therefore has
the same paths as the network, and Definition 4.1 on the motif is exactly the
public code's ``effective_depth_width_201``.  For the cell's kernels the
convolutions are ReLU-Conv-BN, pre-activation linear edges: evaluate the motif
with ``edge="pre"`` (:func:`dagnngp.nas.scores.nb201_kernel_motif` also weights
pooling edges).

>>> cell = parse_nb201("|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|")
>>> str(cell.motif), cell.motif.paths(), cell.effective_depth_width()
('2_02_101', (0, 2), (1.0, 1.0))
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

import numpy as np

from dagnngp.motif import MAX_NODES, Motif, MotifError, Op

__all__ = [
    "NB201_OPS",
    "OpClass",
    "NB201Cell",
    "op_class",
    "register_op",
    "known_ops",
    "parse_nb201",
    "motif_or_nb201",
    "effective_depth_width_nb201",
    "nb201_space",
    "nb201_space_points",
]


class OpClass(enum.IntEnum):
    """Class of a NAS op, valued as the public code's ``edge2value``."""

    NONE = -1  #: no edge (``none``, ``zero``)
    NONPARAM = 0  #: skip connection or pooling
    PARAM = 1  #: convolution (any kernel size, dilation, separable)

    @property
    def motif_op(self) -> Op:
        """The motif edge this class becomes: zero, skip or linear."""
        return {OpClass.NONE: Op.ZERO, OpClass.NONPARAM: Op.SKIP, OpClass.PARAM: Op.LINEAR}[self]


#: NAS-Bench-201 op names, in the benchmark's own order.
NB201_OPS: tuple[str, ...] = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")

_OP_CLASSES: dict[str, OpClass] = {
    # NAS-Bench-201
    "none": OpClass.NONE,
    "skip_connect": OpClass.NONPARAM,
    "nor_conv_1x1": OpClass.PARAM,
    "nor_conv_3x3": OpClass.PARAM,
    "avg_pool_3x3": OpClass.NONPARAM,
    # DARTS / NDS
    "zero": OpClass.NONE,
    "max_pool_3x3": OpClass.NONPARAM,
    "sep_conv_3x3": OpClass.PARAM,
    "sep_conv_5x5": OpClass.PARAM,
    "sep_conv_7x7": OpClass.PARAM,
    "dil_conv_3x3": OpClass.PARAM,
    "dil_conv_5x5": OpClass.PARAM,
    "conv_7x1_1x7": OpClass.PARAM,
    "conv_1x1": OpClass.PARAM,
    "conv_3x3": OpClass.PARAM,
}


def known_ops() -> tuple[str, ...]:
    """All op names with a known class, sorted.

    >>> "nor_conv_3x3" in known_ops()
    True
    """
    return tuple(sorted(_OP_CLASSES))


def register_op(name: str, op_class_: OpClass | str | int) -> None:
    """Declare the class of an op name not built in (e.g. a custom convolution).

    ``op_class_`` is an :class:`OpClass`, its name (``"param"``, ``"nonparam"``,
    ``"none"``) or its value (1, 0, -1).

    >>> register_op("my_conv_9x9", "param"); op_class("my_conv_9x9")
    <OpClass.PARAM: 1>
    """
    if not isinstance(name, str) or not name.strip() or any(c in name for c in "|~+"):
        raise MotifError(f"op name {name!r} must be a non-empty string without '|', '~' or '+'")
    if isinstance(op_class_, str):
        key = op_class_.strip().upper()
        if key not in OpClass.__members__:
            raise MotifError(f"unknown op class {op_class_!r}: use 'param', 'nonparam' or 'none'")
        cls = OpClass[key]
    else:
        try:
            cls = OpClass(op_class_)
        except ValueError:
            raise MotifError(
                f"unknown op class {op_class_!r}: use 1 (param), 0 (nonparam), -1 (none)"
            ) from None
    _OP_CLASSES[name.strip()] = cls
    op_class.cache_clear()


@cache
def op_class(name: str) -> OpClass:
    """Class of a NAS op name; unknown names raise :class:`~dagnngp.MotifError`.

    >>> op_class("avg_pool_3x3"), op_class("sep_conv_5x5")
    (<OpClass.NONPARAM: 0>, <OpClass.PARAM: 1>)
    """
    cls = _OP_CLASSES.get(name)
    if cls is None:
        raise MotifError(
            f"unknown op {name!r}: known ops are {', '.join(known_ops())}; "
            "declare others with dagnngp.nas.register_op(name, 'param'|'nonparam'|'none')"
        )
    return cls


@dataclass(frozen=True)
class NB201Cell:
    """A parsed NAS-Bench-201-style cell.

    ``ops[t-1][s]`` is the op name on edge ``s -> t``; :attr:`classes` and
    :attr:`motif` follow the same layout.  Any number of nodes is accepted
    (NAS-Bench-201 itself has 4).

    >>> c = parse_nb201("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|"
    ...                 "+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|")
    >>> c.n_nodes, c.label(1, 3), c.op_class(0, 3).name, c.motif.paths()
    (4, 'nor_conv_3x3', 'NONPARAM', (0, 2, 2, 3))
    """

    ops: tuple[tuple[str, ...], ...]

    @property
    def n_nodes(self) -> int:
        """Number of nodes (4 in NAS-Bench-201)."""
        return len(self.ops) + 1

    @property
    def arch_str(self) -> str:
        """The canonical cell string."""
        return "+".join(
            "|" + "|".join(f"{op}~{s}" for s, op in enumerate(row)) + "|" for row in self.ops
        )

    def __str__(self) -> str:
        return self.arch_str

    def label(self, s: int, t: int) -> str:
        """Op name on edge ``s -> t``."""
        if not (0 <= s < t < self.n_nodes):
            raise MotifError(f"no edge ({s}, {t}) in a cell with nodes 0..{self.n_nodes - 1}")
        return self.ops[t - 1][s]

    def op_class(self, s: int, t: int) -> OpClass:
        """Class of the op on edge ``s -> t``."""
        return op_class(self.label(s, t))

    @property
    def labels(self) -> dict[tuple[int, int], str]:
        """``{(s, t): op name}`` for every edge, ``none`` included."""
        return {(s, t): op for t, row in enumerate(self.ops, start=1) for s, op in enumerate(row)}

    @property
    def classes(self) -> tuple[tuple[OpClass, ...], ...]:
        """Op classes in the layout of :attr:`ops`."""
        return tuple(tuple(op_class(op) for op in row) for row in self.ops)

    @property
    def motif(self) -> Motif:
        """The motif: convolutions -> linear, skip/pool -> skip, none -> zero."""
        return _motif_of_classes(self.classes)

    def effective_depth_width(self) -> tuple[float, float]:
        """``(d_bar, m_bar)`` of Definition 4.1, ``(0, 0)`` when ``d_bar = 0``."""
        return self.motif.effective_depth_width()


@lru_cache(maxsize=4096)
def _motif_of_classes(classes: tuple[tuple[OpClass, ...], ...]) -> Motif:
    return Motif(tuple(tuple(c.motif_op for c in row) for row in classes))


def parse_nb201(text: str | NB201Cell) -> NB201Cell:
    """Parse a NAS-Bench-201 cell string.

    Every group ``t`` must list each source ``0 .. t-1`` exactly once (in any
    order); use ``none~s`` for an absent edge.  Errors are
    :class:`~dagnngp.MotifError` naming the group and token at fault.

    >>> parse_nb201("|nor_conv_1x1~0|+|none~0|avg_pool_3x3~1|").motif
    Motif('2_01')
    >>> parse_nb201("|conv~0|")
    Traceback (most recent call last):
    ...
    dagnngp.motif.MotifError: '|conv~0|': group 1 token 'conv~0': unknown op 'conv': ...
    """
    if isinstance(text, NB201Cell):
        return text
    if not isinstance(text, str):
        raise MotifError(f"a NAS-Bench-201 cell must be a str, not {type(text).__name__}")
    raw = text.strip()
    short = raw if len(raw) <= 120 else raw[:117] + "..."
    hint = "expected '|op~0|+|op~0|op~1|+|op~0|op~1|op~2|'"
    if not raw:
        raise MotifError(f"empty NAS-Bench-201 cell string; {hint}")
    if raw.count("+") + 2 > MAX_NODES:
        raise MotifError(f"{short!r} describes {raw.count('+') + 2} nodes; the maximum is {MAX_NODES}")
    rows: list[tuple[str, ...]] = []
    for t, group in enumerate(raw.split("+"), start=1):
        g = group.strip()
        if len(g) < 2 or not (g.startswith("|") and g.endswith("|")):
            raise MotifError(f"{short!r}: group {t} ({g!r}) must start and end with '|'; {hint}")
        tokens = g[1:-1].split("|")
        by_source: dict[int, str] = {}
        for tok in tokens:
            where = f"{short!r}: group {t} token {tok if len(tok) <= 40 else tok[:37] + '...'!r}"
            op, sep, src = tok.partition("~")
            if not sep or not op or not src:
                raise MotifError(f"{where}: a token is 'op~source' (e.g. 'nor_conv_3x3~0'); {hint}")
            if not (src.isascii() and src.isdigit()) or len(src) > 4:
                raise MotifError(f"{where}: the source {src[:12]!r} is not a node index")
            s = int(src)
            if s >= t:
                raise MotifError(
                    f"{where}: source node {s} is not before target node {t} (sources 0..{t - 1})"
                )
            if s in by_source:
                raise MotifError(f"{where}: source node {s} appears twice in group {t}")
            try:
                op_class(op)
            except MotifError as exc:
                raise MotifError(f"{where}: {exc}") from None
            by_source[s] = op
        missing = [s for s in range(t) if s not in by_source]
        if missing:
            raise MotifError(
                f"{short!r}: group {t} lacks source node(s) {missing}; node {t} needs one token per "
                f"source 0..{t - 1} (write 'none~s' for an absent edge)"
            )
        rows.append(tuple(by_source[s] for s in range(t)))
    return NB201Cell(tuple(rows))


def motif_or_nb201(text: str | Motif) -> Motif:
    """A motif string (``"2_21_112"``) or a NAS-Bench-201 cell string as a :class:`~dagnngp.Motif`.

    What the command line accepts wherever it takes a motif; :meth:`Motif.parse
    <dagnngp.Motif.parse>` itself reads only the motif grammar.

    >>> motif_or_nb201("|nor_conv_1x1~0|+|none~0|avg_pool_3x3~1|"), motif_or_nb201("2_01")
    (Motif('2_01'), Motif('2_01'))
    """
    if isinstance(text, Motif):
        return text
    if isinstance(text, str) and text.lstrip().startswith("|"):
        return parse_nb201(text).motif
    return Motif.parse(text)


def effective_depth_width_nb201(arch: str | NB201Cell) -> tuple[float, float]:
    """``(d_bar, m_bar)`` of a NAS-Bench-201 cell (Definition 4.1, public code's convention).

    >>> effective_depth_width_nb201(
    ...     "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|")
    (2.0, 2.0)
    """
    return parse_nb201(arch).effective_depth_width()


def nb201_space(ops: Sequence[str] = NB201_OPS, n_nodes: int = 4) -> list[NB201Cell]:
    """Every cell of the NAS-Bench-201 space (5^6 = 15,625 cells).

    Cells come in lexicographic order of the op tuple (edges ordered
    ``0->1, 0->2, 1->2, 0->3, 1->3, 2->3``), not the benchmark's index order.

    >>> cells = nb201_space(); len(cells), cells[0].arch_str
    (15625, '|none~0|+|none~0|none~1|+|none~0|none~1|none~2|')
    """
    for op in ops:
        op_class(op)
    if n_nodes < 2:
        raise MotifError(f"n_nodes must be at least 2, got {n_nodes}")
    n_edges = n_nodes * (n_nodes - 1) // 2
    out = []
    for combo in itertools.product(tuple(ops), repeat=n_edges):
        rows, k = [], 0
        for t in range(1, n_nodes):
            rows.append(tuple(combo[k : k + t]))
            k += t
        out.append(NB201Cell(tuple(rows)))
    return out


def nb201_space_points(cells: Iterable[NB201Cell | str] | None = None) -> np.ndarray:
    """``(n, 2)`` array of ``(d_bar, m_bar)`` for cells (default: the whole space).

    Cells sharing an op-class pattern share one motif computation, so the
    15,625 cells take a fraction of a second.

    >>> pts = nb201_space_points(); pts.shape, float(pts[:, 0].max())
    ((15625, 2), 3.0)
    """
    cells = nb201_space() if cells is None else cells
    return np.array(
        [_dw_of_classes(parse_nb201(c).classes) for c in cells], dtype=float
    ).reshape(-1, 2)


@lru_cache(maxsize=4096)
def _dw_of_classes(classes: tuple[tuple[OpClass, ...], ...]) -> tuple[float, float]:
    return _motif_of_classes(classes).effective_depth_width()

