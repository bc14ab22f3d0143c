"""DARTS normal cells: genotype parsing and effective depth/width.

A DARTS genotype's normal cell is a list of ``(op, input)`` pairs, two per
intermediate node: pair ``k`` feeds node ``2 + k // 2`` from node ``input``,
where nodes 0 and 1 are the cell's two inputs (the outputs of the two
previous cells).  The cell's output concatenates all intermediate nodes.

Effective depth and width follow the public code (spec section 6.3):

* the concatenation into the output counts as a non-parametrised edge;
* paths are enumerated from input 0 and from input 1 separately and the two
  lists are **pooled** before Definition 4.1 is applied;
* only the normal cell is used; the reduction cell is ignored (the code does
  the same, also when it reports "reduce" values).

Pooling paths from two sources is the same as adding a virtual source with
skip edges into both inputs, which is how :attr:`DartsCell.motif` is built:
motif node 0 is the virtual source, nodes 1 and 2 the inputs, then the
intermediates, then the output.

>>> cell = parse_darts("[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1),"
...                    " ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)]")
>>> cell.effective_depth_width()
(1.0, 7.0)
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from dagnngp.motif import Motif, MotifError, Op
from dagnngp.nas.cells import OpClass, op_class

__all__ = [
    "DartsCell",
    "parse_darts",
    "effective_depth_width_darts",
    "darts_class_space",
    "darts_space_points",
    "DARTS_V1_NORMAL",
    "DARTS_V2_NORMAL",
]

#: Genotype of DARTS-V2 (second order), normal cell, from the DARTS paper's code.
DARTS_V2_NORMAL: tuple[tuple[str, int], ...] = (
    ("sep_conv_3x3", 0), ("sep_conv_3x3", 1), ("sep_conv_3x3", 0), ("sep_conv_3x3", 1),
    ("sep_conv_3x3", 1), ("skip_connect", 0), ("skip_connect", 0), ("dil_conv_3x3", 2),
)
#: Genotype of DARTS-V1 (first order), normal cell.
DARTS_V1_NORMAL: tuple[tuple[str, int], ...] = (
    ("sep_conv_3x3", 1), ("sep_conv_3x3", 0), ("skip_connect", 0), ("sep_conv_3x3", 1),
    ("skip_connect", 0), ("sep_conv_3x3", 1), ("sep_conv_3x3", 0), ("skip_connect", 2),
)


@dataclass(frozen=True)
class DartsCell:
    """A DARTS normal cell: ``normal[k] = (op, input)`` feeds node ``2 + k // 2``.

    >>> c = DartsCell(DARTS_V1_NORMAL)
    >>> c.n_intermediate, c.motif.n_nodes, c.effective_depth_width()
    (4, 8, (0.7777777777777778, 9.0))
    """

    normal: tuple[tuple[str, int], ...]

    def __post_init__(self) -> None:
        pairs = self.normal
        if not isinstance(pairs, tuple) or len(pairs) == 0 or len(pairs) % 2:
            n = len(pairs) if isinstance(pairs, tuple) else "?"
            raise MotifError(
                f"a DARTS normal cell lists two (op, input) pairs per intermediate node; got {n} pairs"
            )
        for k, pair in enumerate(pairs):
            where = f"pair {k} (feeding node {2 + k // 2})"
            if not (isinstance(pair, tuple) and len(pair) == 2):
                raise MotifError(f"{where}: {pair!r} is not an (op, input) pair")
            op, src = pair
            if not isinstance(op, str):
                raise MotifError(f"{where}: the op {op!r} is not a name")
            if isinstance(src, bool) or not isinstance(src, int):
                raise MotifError(f"{where}: the input {src!r} is not a node index")
            if not 0 <= src < 2 + k // 2:
                raise MotifError(
                    f"{where}: input {src} is not an earlier node (allowed 0..{1 + k // 2})"
                )
            try:
                op_class(op)
            except MotifError as exc:
                raise MotifError(f"{where}: {exc}") from None
        for j in range(len(pairs) // 2):
            a, b = pairs[2 * j][1], pairs[2 * j + 1][1]
            if a == b:
                raise MotifError(
                    f"node {2 + j} takes input {a} twice (pairs {2 * j} and {2 * j + 1}); "
                    "a DARTS cell picks two distinct inputs per node"
                )

    @property
    def n_intermediate(self) -> int:
        """Number of intermediate nodes (4 in DARTS)."""
        return len(self.normal) // 2

    @property
    def classes(self) -> tuple[OpClass, ...]:
        """Op class of each pair."""
        return tuple(op_class(op) for op, _ in self.normal)

    @property
    def inputs(self) -> tuple[int, ...]:
        """Input node of each pair."""
        return tuple(src for _, src in self.normal)

    @property
    def motif(self) -> Motif:
        """Motif with a virtual source (node 0) feeding both inputs by skip edges.

        Inputs are motif nodes 1 and 2, DARTS node ``j`` is motif node ``j + 1``
        and the output (concatenation) is the last node.
        """
        return _darts_motif(self.inputs, self.classes)

    def effective_depth_width(self) -> tuple[float, float]:
        """``(d_bar, m_bar)`` with the public code's pooled-path convention."""
        return self.motif.effective_depth_width()


@lru_cache(maxsize=65536)
def _darts_motif(inputs: tuple[int, ...], classes: tuple[OpClass, ...]) -> Motif:
    n_inter = len(inputs) // 2
    out = n_inter + 3
    edges: dict[tuple[int, int], object] = {(0, 1): Op.SKIP, (0, 2): Op.SKIP}
    for k, (src, cls) in enumerate(zip(inputs, classes, strict=True)):
        if cls is not OpClass.NONE:
            edges[(src + 1, 3 + k // 2)] = cls.motif_op
    for j in range(n_inter):
        edges[(3 + j, out)] = Op.SKIP
    return Motif.from_edges(out + 1, edges)


def _pairs_from_text(text: str) -> object:
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise MotifError(
            f"cannot read the DARTS genotype {text[:80]!r}: {exc.msg}; write a list of (op, input) "
            "pairs or Genotype(normal=[...], ...)"
        ) from None
    node = tree.body
    if isinstance(node, ast.Call):
        kw = {k.arg: k.value for k in node.keywords}
        if "normal" in kw:
            node = kw["normal"]
        elif node.args:
            node = node.args[0]
        else:
            raise MotifError(f"{text[:80]!r}: the Genotype(...) has no normal=[...] list")
    try:
        return ast.literal_eval(node)
    except ValueError:
        raise MotifError(
            f"{text[:80]!r}: the normal cell must be a literal list of (op, input) pairs"
        ) from None


def parse_darts(genotype: object) -> DartsCell:
    """Parse a DARTS normal cell.

    Accepts a :class:`DartsCell`, a sequence of ``(op, input)`` pairs, the text
    of such a list, or the text of a whole ``Genotype(normal=..., reduce=...)``
    (only ``normal`` is read).

    >>> parse_darts("Genotype(normal=[('skip_connect', 0), ('sep_conv_3x3', 1)], normal_concat=[2],"
    ...             " reduce=[], reduce_concat=[2])").effective_depth_width()
    (0.5, 2.0)
    """
    if isinstance(genotype, DartsCell):
        return genotype
    value = _pairs_from_text(genotype) if isinstance(genotype, str) else genotype
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise MotifError(
            f"a DARTS normal cell is a list of (op, input) pairs, not {type(value).__name__}"
        )
    pairs = []
    for k, pair in enumerate(value):
        if isinstance(pair, Sequence) and not isinstance(pair, str) and len(pair) == 2:
            pairs.append((pair[0], pair[1]))
        else:
            raise MotifError(f"pair {k} ({pair!r}) is not an (op, input) pair")
    return DartsCell(tuple(pairs))


def effective_depth_width_darts(genotype: object) -> tuple[float, float]:
    """``(d_bar, m_bar)`` of a DARTS normal cell (public code's convention).

    >>> effective_depth_width_darts(DARTS_V2_NORMAL)
    (1.0, 7.0)
    """
    return parse_darts(genotype).effective_depth_width()


def darts_class_space(n_intermediate: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """All class-level DARTS normal cells: ``(inputs, classes)``, each ``(N, 2 * n_intermediate)``.

    Each intermediate node picks two distinct earlier nodes (sorted pair) and
    each edge is a convolution (class 1) or not (class 0): for 4 nodes,
    ``1 * 3 * 6 * 10 = 180`` input patterns times ``2^8`` class patterns = 46,080.

    >>> inputs, classes = darts_class_space(); inputs.shape, int(classes.sum())
    ((46080, 8), 184320)
    """
    if n_intermediate < 1:
        raise MotifError(f"n_intermediate must be at least 1, got {n_intermediate}")
    per_node = [list(itertools.combinations(range(2 + j), 2)) for j in range(n_intermediate)]
    patterns = np.array(
        [sum(combo, ()) for combo in itertools.product(*per_node)], dtype=np.int64
    )
    n_edges = 2 * n_intermediate
    cls = np.array(list(itertools.product((0, 1), repeat=n_edges)), dtype=np.int64)
    inputs = np.repeat(patterns, len(cls), axis=0)
    classes = np.tile(cls, (len(patterns), 1))
    return inputs, classes


def darts_space_points(
    inputs: np.ndarray | None = None, classes: np.ndarray | None = None
) -> np.ndarray:
    """``(N, 2)`` array of ``(d_bar, m_bar)`` for class-level DARTS cells, vectorised.

    ``classes`` holds 1 (parametrised), 0 (non-parametrised) or -1 (none).
    Defaults to :func:`darts_class_space`.  Counts paths per depth with a
    dynamic programme over nodes, pooled over both inputs.

    >>> pts = darts_space_points(); pts.shape
    (46080, 2)
    """
    if inputs is None or classes is None:
        inputs, classes = darts_class_space()
    inputs = np.asarray(inputs, dtype=np.int64)
    classes = np.asarray(classes, dtype=np.int64)
    if inputs.shape != classes.shape or inputs.ndim != 2 or inputs.shape[1] % 2:
        raise MotifError("inputs and classes must both have shape (N, 2 * n_intermediate)")
    n, n_edges = inputs.shape
    n_inter = n_edges // 2
    max_d = n_inter + 1
    counts = np.zeros((n, 2 + n_inter, max_d + 1), dtype=np.int64)
    counts[:, 0, 0] = 1
    counts[:, 1, 0] = 1
    rows = np.arange(n)
    for k in range(n_edges):
        node = 2 + k // 2
        src = inputs[:, k]
        if np.any(src >= node) or np.any(src < 0):
            raise MotifError(f"edge {k} has an input outside 0..{node - 1}")
        incoming = counts[rows, src]
        shifted = np.zeros_like(incoming)
        shifted[:, 1:] = incoming[:, :-1]
        cls = classes[:, k][:, None]
        counts[:, node] += np.where(cls == 1, shifted, np.where(cls == 0, incoming, 0))
    out = counts[:, 2:].sum(axis=1)  # concat edges are non-parametrised
    depths = np.arange(max_d + 1)
    total = out.sum(axis=1)
    depth_sum = (out * depths).sum(axis=1)
    param = out[:, 1:].sum(axis=1)
    ok = depth_sum > 0
    d_bar = np.where(ok, depth_sum / np.maximum(total, 1), 0.0)
    m_bar = np.where(ok, param * total / np.maximum(depth_sum, 1), 0.0)
    return np.stack([d_bar, m_bar], axis=1)
