"""The one walk over a motif: its kernel recursion as a small instruction list.

Every backend of the toolkit evaluates a motif by executing the
:class:`Program` that :func:`compile_program` builds here, so the recursion
(which terms a node's Gram sums, which means and cross-Grams the exact model
needs) is written once:

* the NumPy / array-API / mpmath executor (:mod:`dagnngp.numerics.engine`);
* the Numba kernel, which interprets the encoded program entry by entry
  (:mod:`dagnngp.numerics.fused`);
* the SymPy derivations for unit and general inputs (:mod:`dagnngp.theory.derivation`).

Registers hold two kinds of values.  A *pair* register holds an N x N array of
inner products ``<X_a,i, X_b,j>`` (a node's Gram, a cross-Gram between two
nodes, or the Gram of one edge's output); a *vec* register holds N per-sample
normalised means ``lim m^-1/2 sum_k X_a,ik``.  Pair register 0 is the input
Gram ``K0`` and vec register 0 the input means ``mu0``.  Four instructions:

``Dual(out, src)``
    ``pair[out] = c E[s(u_i) s(u_j)]`` with ``u ~ N(0, pair[src] + sigma_b^2)``:
    the Gram of a linear edge's output (the activation's dual map).
``Mean(out, src)``
    ``vec[out] = sqrt(c) E[s(u_i)]`` with ``u_i ~ N(0, pair[src]_ii + sigma_b^2)``.
``Comb(out, pairs, outers)``
    ``pair[out] = sum coef * pair[r] + sum coef * outer(vec[a], vec[b])``.
``VComb(out, terms)``
    ``vec[out] = sum coef * vec[r]``.
``Tangent(out, src, ntk)``
    ``pair[out] = c E[s'(u_i) s'(u_j)] * (pair[ntk] + P)`` (entrywise), ``u`` as for
    ``Dual``: the NTK of a linear edge's output.  ``P`` is the pre-activation Gram
    ``pair[src] + sigma_b^2`` for post-activation edges (the weights' and bias's own
    gradients) and 0 for pre-activation ones (whose weights' term is their ``Dual``);
    ``ntk = -1`` reads as zero (the untrained input).

Two edge conventions (:data:`EDGES`), fixed per program: ``"post"``, the paper's
``X_t += sqrt(c/m) s(W X_s + b)`` (``Dual``/``Mean`` read ``u ~ N(0, pair[src] +
sigma_b^2)``), and ``"pre"``, ``X_t += sqrt(c/m) W s(X_s) + b`` (``u ~ N(0,
pair[src])`` and ``Dual`` adds ``sigma_b^2`` after the map; node 0 is a centred
Gaussian field, so every mean is zero and no ``Mean`` is emitted).  An edge of
weight ``alpha`` (:meth:`~dagnngp.motif.Motif.weight`) adds ``alpha`` times its
output: its Gram terms carry ``alpha^2``, its cross and mean terms ``alpha``.

With ``ntk=True`` the program also carries the NTK recursion (gradient
independence, fresh weights per edge): a node's NTK sums its edges' NTKs
(``Tangent`` for a linear edge, the source's NTK for a skip) and, in the exact
model, the cross-NTKs of pairs of skip edges; the cross-NTK of two nodes expands
the later one over its skip edges.  Between a fresh edge and anything else the
cross-NTK vanishes in the limit: the fresh weights' entries are independent and
centred, whatever the forward means are.

What an edge contributes is stated by its :class:`EdgeRule` (one per
:class:`~dagnngp.motif.Op`, in :data:`EDGE_RULES`): its output's own Gram,
its mean, and whether it carries fresh weights (then its inner product with
any other quantity is the product of the two means; otherwise it is the
cross-Gram of its source).  The module imports no numeric library.

>>> p = compile_program("2_21_112", "paper")
>>> for ins in p.instructions:  # node 1 is the dual map of node 0, which node 2 reuses
...     print(ins)
Dual(out=1, src=0)
Comb(out=2, pairs=((1, 1), (1, 1)), outers=())
Dual(out=3, src=2)
Comb(out=4, pairs=((1, 0), (1, 1), (1, 3)), outers=())
>>> len(compile_program("2_21_112", "exact").instructions) > 6
True
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache

from dagnngp.motif import Motif, Op

__all__ = [
    "EDGE_RULES",
    "MODELS",
    "Comb",
    "Dual",
    "EdgeRule",
    "Mean",
    "EDGES",
    "Program",
    "Tangent",
    "VComb",
    "compile_program",
]

#: the two recursions: the true infinite-width limit and the paper's
MODELS = ("exact", "paper")
#: the two edge conventions: activation after the weights (the paper's) or before
EDGES = ("post", "pre")


@dataclass(frozen=True)
class Dual:
    """``pair[out] = c E[s(u_i) s(u_j)]``, ``u ~ N(0, pair[src] + sigma_b^2)``."""

    out: int
    src: int


@dataclass(frozen=True)
class Mean:
    """``vec[out] = sqrt(c) E[s(u_i)]``, ``u_i ~ N(0, pair[src]_ii + sigma_b^2)``."""

    out: int
    src: int


@dataclass(frozen=True)
class Comb:
    """``pair[out] = sum c pair[r] (for (c, r) in pairs) + sum c outer(vec[a], vec[b]) (for (c, a, b))``."""

    out: int
    pairs: tuple[tuple[float, int], ...]
    outers: tuple[tuple[float, int, int], ...]


@dataclass(frozen=True)
class VComb:
    """``vec[out] = sum c vec[r]`` over ``(c, r)`` in ``terms``."""

    out: int
    terms: tuple[tuple[float, int], ...]


@dataclass(frozen=True)
class Tangent:
    """``pair[out] = c E[s'(u_i) s'(u_j)] * (pair[ntk] + P)``: a linear edge's NTK (module docstring)."""

    out: int
    src: int
    ntk: int


Instruction = Dual | Mean | Comb | VComb | Tangent


@dataclass(frozen=True)
class Program:
    """A motif's recursion as straight-line instructions (see the module docstring).

    ``node_gram[t]`` / ``node_mean[t]`` name the registers holding node ``t``'s
    Gram and means; ``cross[(a, b)]`` the register of ``<X_a,i, X_b,j>`` for the
    cross-Grams the exact model formed; ``dual_of[s]`` the register of the dual
    map of node ``s`` (one per source of linear edges, however many edges leave it).
    A sum of one term is no new register: a node fed by a single skip edge names
    its source's register, so several entries may share one register.
    """

    motif: Motif
    model: str
    instructions: tuple[Instruction, ...]
    n_pair: int
    n_vec: int
    node_gram: tuple[int, ...]
    node_mean: tuple[int | None, ...]
    cross: dict[tuple[int, int], int] = field(default_factory=dict)
    dual_of: dict[int, int] = field(default_factory=dict)
    edge: str = "post"
    node_ntk: tuple[int | None, ...] = ()
    cross_ntk: dict[tuple[int, int], int] = field(default_factory=dict)
    ntk_output: int | None = None
    readout: bool = False

    @property
    def output(self) -> int:
        """Register of the output node's Gram."""
        return self.node_gram[-1]


@dataclass(frozen=True)
class EdgeOutput:
    """What one edge ``s -> t`` puts into node ``t`` (registers of the program being built)."""

    source: int
    gram: int  # pair register of <Z_i, Z_j>
    mean: int | None  # vec register of the edge's means, None when they are zero
    fresh: bool  # carries weights of its own: independent of everything else
    weight: float = 1  # the edge adds weight * Z
    ntk: int | None = None  # pair register of the edge output's NTK (None: zero)


@dataclass(frozen=True)
class EdgeRule:
    """The semantics of one edge op, stated once for every backend.

    ``emit(builder, s)`` returns the :class:`EdgeOutput` of an edge leaving node
    ``s`` (``None`` for an edge that contributes nothing).
    """

    op: Op
    name: str
    emit: object  # Callable[[_Builder, int], EdgeOutput | None]


def _zero(b: _Builder, s: int) -> EdgeOutput | None:
    return None


def _skip(b: _Builder, s: int) -> EdgeOutput:
    # the identity: the edge's output is the source node itself (its NTK too)
    return EdgeOutput(s, b.node_gram[s], b.node_mean[s], fresh=False,
                      ntk=b.node_ntk[s] if b.ntk else None)


def _linear(b: _Builder, s: int) -> EdgeOutput:
    # fresh Gaussian W: Gram = dual map, mean = the activation's mean (post only), NTK = Tangent
    if s not in b.dual_of:
        b.dual_of[s] = b.emit_pair(lambda out: Dual(out, b.node_gram[s]))
        if b.exact and not b.pre:
            b.mean_of[s] = b.emit_vec(lambda out: Mean(out, b.node_gram[s]))
        if b.ntk:
            src_ntk = b.node_ntk[s]
            if not b.pre:
                b.tangent_of[s] = b.emit_pair(lambda out: Tangent(out, b.node_gram[s], -1 if src_ntk is None
                                                                  else src_ntk))
            elif src_ntk is None:  # pre-activation edge on the untrained input: its weights' term only
                b.tangent_of[s] = b.dual_of[s]
            else:
                tan = b.emit_pair(lambda out: Tangent(out, b.node_gram[s], src_ntk))
                b.tangent_of[s] = b.emit_sum([(1, b.dual_of[s]), (1, tan)], [])
    return EdgeOutput(s, b.dual_of[s], b.mean_of.get(s), fresh=True, ntk=b.tangent_of.get(s))


#: the semantics of each edge op, keyed by :class:`~dagnngp.motif.Op`
EDGE_RULES: dict[Op, EdgeRule] = {
    Op.ZERO: EdgeRule(Op.ZERO, "zero", _zero),
    Op.SKIP: EdgeRule(Op.SKIP, "skip", _skip),
    Op.LINEAR: EdgeRule(Op.LINEAR, "linear", _linear),
}


class _Builder:
    """Emits instructions while walking the motif; memoises cross-Grams."""

    def __init__(self, motif: Motif, model: str, edge: str = "post", ntk: bool = False) -> None:
        self.motif = motif
        self.exact = model == "exact"
        self.pre = edge == "pre"
        self.ntk = ntk
        self.node_ntk: list[int | None] = [None]
        self.tangent_of: dict[int, int] = {}
        self.cross_ntk: dict[tuple[int, int], int] = {}
        self.instructions: list[Instruction] = []
        self.n_pair = 1  # register 0: K0
        self.n_vec = 1  # register 0: mu0
        self.node_gram: list[int] = [0]
        self.node_mean: list[int | None] = [None if self.pre else 0]
        self.dual_of: dict[int, int] = {}
        self.mean_of: dict[int, int] = {}
        self.cross: dict[tuple[int, int], int] = {}
        self.inputs: dict[int, list[EdgeOutput]] = {}

    def emit_sum(self, pairs: list, outers: list) -> int:
        """Register of a sum; a lone unit term is the register itself (no copy)."""
        if not outers and len(pairs) == 1 and pairs[0][0] == 1:
            return pairs[0][1]
        return self.emit_pair(lambda out: Comb(out, tuple(pairs), tuple(outers)))

    def emit_ntk_sum(self, pairs: list) -> int | None:
        """Register of a sum of NTK terms; ``None`` (zero) when there is no term."""
        pairs = [(c, r) for c, r in pairs if r is not None]
        return self.emit_sum(pairs, []) if pairs else None

    def emit_vsum(self, terms: list) -> int:
        if len(terms) == 1 and terms[0][0] == 1:
            return terms[0][1]
        return self.emit_vec(lambda out: VComb(out, tuple(terms)))

    def emit_pair(self, make) -> int:
        out = self.n_pair
        self.n_pair += 1
        self.instructions.append(make(out))
        return out

    def emit_vec(self, make) -> int:
        out = self.n_vec
        self.n_vec += 1
        self.instructions.append(make(out))
        return out

    # ---- inner products between edge outputs and earlier nodes
    def edge_with_node(self, e: EdgeOutput, u: int, edge_left: bool, pairs: list, outers: list) -> None:
        """Add ``<Z_e,i, X_u,j>`` (``edge_left``) or ``<X_u,i, Z_e,j>`` to a sum."""
        if e.fresh:
            if e.mean is not None and self.node_mean[u] is not None:
                a, b = (e.mean, self.node_mean[u]) if edge_left else (self.node_mean[u], e.mean)
                outers.append((e.weight, a, b))
        else:
            pairs.append((e.weight, self.pair(e.source, u) if edge_left else self.pair(u, e.source)))

    def edge_with_edge(self, e: EdgeOutput, f: EdgeOutput, pairs: list, outers: list) -> None:
        """Add ``<Z_e,i, Z_f,j> + <Z_f,i, Z_e,j>`` for two different edges into one node."""
        w = e.weight * f.weight
        if e.fresh or f.fresh:
            if e.mean is not None and f.mean is not None:
                outers.append((w, e.mean, f.mean))
                outers.append((w, f.mean, e.mean))
        else:
            pairs.append((w, self.pair(e.source, f.source)))
            pairs.append((w, self.pair(f.source, e.source)))

    def pair(self, a: int, b: int) -> int:
        """Register of ``<X_a,i, X_b,j>``; the later node is expanded over its incoming edges."""
        if a == b:
            return self.node_gram[a]
        key = (a, b)
        if key not in self.cross:
            pairs: list = []
            outers: list = []
            if a > b:
                for e in self.inputs[a]:
                    self.edge_with_node(e, b, True, pairs, outers)
            else:
                for e in self.inputs[b]:
                    self.edge_with_node(e, a, False, pairs, outers)
            self.cross[key] = self.emit_sum(pairs, outers)
        return self.cross[key]

    def pair_ntk(self, a: int, b: int) -> int | None:
        """Register of the cross-NTK of nodes ``a`` and ``b`` (``None``: zero); like :meth:`pair`.

        Only skip edges carry a cross-NTK: a fresh edge's weights are independent of everything else.
        """
        if a == b:
            return self.node_ntk[a]
        key = (a, b)
        if key not in self.cross_ntk:
            later, other = (a, b) if a > b else (b, a)
            terms = [(e.weight, self.pair_ntk(e.source, other) if a > b else self.pair_ntk(other, e.source))
                     for e in self.inputs[later] if not e.fresh]
            reg = self.emit_ntk_sum(terms)
            if reg is None:
                return None
            self.cross_ntk[key] = reg
        return self.cross_ntk[key]

    # ---- one node
    def node(self, t: int) -> None:
        edges = []
        for s, op in enumerate(self.motif.ops[t - 1]):
            e = EDGE_RULES[op].emit(self, s)
            if e is not None:
                w = self.motif.weight(s, t)
                edges.append(e if w == 1 else replace(e, weight=w))
        self.inputs[t] = edges
        pairs: list = [(e.weight * e.weight, e.gram) for e in edges]
        outers: list = []
        if self.exact:
            for k, e in enumerate(edges):
                for f in edges[k + 1:]:
                    self.edge_with_edge(e, f, pairs, outers)
        self.node_gram.append(self.emit_sum(pairs, outers))
        if self.exact and not self.pre:
            self.node_mean.append(self.emit_vsum([(e.weight, e.mean) for e in edges if e.mean is not None]))
        else:
            self.node_mean.append(None)
        if self.ntk:
            terms = [(e.weight * e.weight, e.ntk) for e in edges]
            if self.exact:
                skips = [e for e in edges if not e.fresh]
                for k, e in enumerate(skips):
                    for f in skips[k + 1:]:
                        w = e.weight * f.weight
                        terms.append((w, self.pair_ntk(e.source, f.source)))
                        terms.append((w, self.pair_ntk(f.source, e.source)))
            self.node_ntk.append(self.emit_ntk_sum(terms))


@lru_cache(maxsize=4096)
def _compile(motif: Motif, model: str, edge: str, ntk: bool, readout: bool) -> Program:
    b = _Builder(motif, model, edge, ntk)
    for t in range(1, motif.n_nodes):
        b.node(t)
    ntk_output = None
    if ntk:
        node = b.node_ntk[-1]
        terms = [(1, b.node_gram[-1])] if readout else []
        if node is not None:
            terms.append((1, node))
        # a zero NTK (a motif without trained edges and no readout) is the Gram times 0
        ntk_output = b.emit_sum(terms or [(0, b.node_gram[-1])], [])
    return Program(motif, model, tuple(b.instructions), b.n_pair, b.n_vec, tuple(b.node_gram),
                   tuple(b.node_mean), dict(b.cross), dict(b.dual_of), edge, tuple(b.node_ntk),
                   dict(b.cross_ntk), ntk_output, readout)


def compile_program(motif: Motif | str, model: str = "exact", edge: str = "post", *, ntk: bool = False,
                    readout: bool = True) -> Program:
    """The instruction list of ``motif``'s NNGP recursion under ``model`` (cached).

    ``model="exact"`` is the true infinite-width limit of sum aggregation
    (means and cross-Grams tracked); ``model="paper"`` drops every cross term
    between edges that meet at a node (the paper's recursion), and its means
    are zero (``node_mean`` entries are ``None`` after the input).

    ``edge`` is the edge convention (:data:`EDGES`).  ``ntk=True`` adds the NTK
    recursion; ``ntk_output`` is then the output node's NTK plus, with
    ``readout=True``, its Gram (the readout's own gradient term).

    >>> p = compile_program("1_11", "exact")
    >>> sorted(p.cross)   # the two skips into node 2 need <X_0, X_1> both ways
    [(0, 1), (1, 0)]
    >>> q = compile_program("2_11_011", "exact", ntk=True)
    >>> sorted(q.cross_ntk)   # the NTK: X_1 (trained) meets X_2 = X_0 + X_1 at node 3 through skips
    [(1, 2), (2, 1)]
    """
    if model not in MODELS:
        raise ValueError(f"model={model!r} is not known; use 'exact' (true limit) or 'paper'")
    if edge not in EDGES:
        raise ValueError(f"edge={edge!r} is not known; use 'post' (activation after the weights, the "
                         "paper's) or 'pre' (activation before the weights)")
    return _compile(Motif.coerce(motif), model, edge, bool(ntk), bool(readout) and bool(ntk))
