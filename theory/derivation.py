"""Closed-form NNGP recursion of a motif, derived node by node with SymPy.

:func:`derive` walks the motif's nodes in topological order exactly as the
numeric reference :func:`dagnngp.numerics.nngp` does, but on symbols, and
keeps three views of every node:

* **unit inputs, correlation form** -- two unit-norm per-sample-centred inputs
  with correlation ``C``: the diagonal ``V`` and the mean are constants, the
  off-diagonal is an expression in ``C`` built from named maps ``h(...)``
  (nested ``h(h(C))`` stays composed);
* **unit inputs, distance form** -- the same off-diagonal as ``V - D`` with the
  *distance* ``D`` an expression in ``eps = 1 - C`` built from the gap maps
  ``G(eps) = 1 - h(1 - eps)``.  ``D`` is a sum of non-negative terms, so the
  2x2 gap (``D`` itself while the off-diagonal is >= 0) is computed without
  cancellation even at ``1 - C = 1e-15``;
* **general inputs** -- symbols ``K_ii, K_jj, K_ij, mu_i, mu_j`` for any two
  inputs (not centred, not unit).

``model="exact"`` tracks the means and cross-Grams of spec section 2.4;
``model="paper"`` is the paper's recursion of section 2.2.

>>> d = derive("2_21_112", model="paper")
>>> d.offdiagonal
C + h(C) + 2*h(h(C))
>>> d.gap_distance
eps + G(eps) + 2*G(G(eps))
>>> d.diagonal
4
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import sympy
from sympy import Abs, Add, S, Symbol, sqrt

from dagnngp.motif import Motif, Op
from dagnngp.theory.activations import check_variance
from dagnngp.theory.arccos import SYMPY, ArcCosineActivation, to_sympy_number
from dagnngp.theory.arccos import activation as symbolic_activation
from dagnngp.theory.program import EDGES, Comb, Dual, Mean, Program, Tangent, compile_program
from dagnngp.theory.spec import KernelSpec, resolve_spec

__all__ = [
    "C",
    "EPS",
    "GENERAL_SYMBOLS",
    "Derivation",
    "NodeExpressions",
    "derive",
]

#: correlation of the two unit inputs
C = Symbol("C", real=True)
#: distance ``1 - C``
EPS = Symbol("eps", nonnegative=True)
K_ii = Symbol("K_ii", positive=True)
K_jj = Symbol("K_jj", positive=True)
K_ij = Symbol("K_ij", real=True)
mu_i = Symbol("mu_i", real=True)
mu_j = Symbol("mu_j", real=True)
#: the input symbols of the general-input expressions
GENERAL_SYMBOLS = (K_ii, K_jj, K_ij, mu_i, mu_j)

MODELS = ("exact", "paper")


@dataclass(frozen=True)
class NodeExpressions:
    """One node's kernel for the two unit-norm centred inputs, and for general inputs.

    ``rule`` is the node's recursion in words of the kernels it sums,
    ``diagonal`` / ``mean`` are constants, ``offdiagonal`` an expression in
    ``C``, ``distance`` the expression ``diagonal - offdiagonal`` in ``eps``.
    ``general`` maps ``"K_ii", "K_jj", "K_ij", "mu_i", "mu_j"`` to expressions
    in :data:`GENERAL_SYMBOLS`.
    """

    node: int
    rule: str
    diagonal: sympy.Expr
    offdiagonal: sympy.Expr
    distance: sympy.Expr
    mean: sympy.Expr
    general: dict[str, sympy.Expr] = field(default_factory=dict)

    @property
    def correlation(self) -> sympy.Expr:
        """The node's output correlation ``K_ij / K_ii`` (0 for a node that receives nothing)."""
        return S.Zero if self.diagonal == 0 else self.offdiagonal / self.diagonal


# --------------------------------------------------------------------------- executing the program
@dataclass
class _Unit:
    V: sympy.Expr  # diagonal (both samples)
    off: sympy.Expr  # off-diagonal, in C
    D: sympy.Expr  # V - off, in eps


def _coefficient(c: object) -> sympy.Expr:
    """A program coefficient as an exact SymPy number (a float weight as the simplest fraction it is)."""
    if isinstance(c, int):
        return sympy.Integer(c)
    q = sympy.Rational(c).limit_denominator(10**6)
    return q if abs(float(q) - c) <= 1e-15 * abs(c) else sympy.Float(c)


class _UnitAlgebra:
    """Pair values of two unit-norm centred inputs: ``(V, off, D)``; vec values: one scalar.

    ``pre``: the edges' activation reads the node itself and the bias is added after it.
    """

    def __init__(self, act: ArcCosineActivation, c, sb2, pre: bool = False) -> None:
        self.act, self.c, self.sb2, self.pre = act, c, sb2, pre

    def zero(self) -> _Unit:
        return _Unit(S.Zero, S.Zero, S.Zero)

    def _pre_gram(self, x: _Unit) -> _Unit:
        return x if self.pre else _Unit(x.V + self.sb2, x.off + self.sb2, x.D)

    def dual(self, x: _Unit) -> _Unit:
        p = self._pre_gram(x)
        if p.V == 0:
            out = self.zero()
        else:
            d = self.c * self.act.second_moment(p.V)
            out = _Unit(d, d * self.act.h(p.off / p.V), d * self.act.G(p.D / p.V))
        return _Unit(out.V + self.sb2, out.off + self.sb2, out.D) if self.pre else out

    def tangent(self, x: _Unit, theta: _Unit | None) -> _Unit:
        """``c E[s'(u_i) s'(u_j)] * (Theta + P)``: the D form splits the map's own distance off."""
        p = self._pre_gram(x)
        if p.V == 0:
            return self.zero()
        q = (self.zero() if theta is None else theta) if self.pre else (
            p if theta is None else _Unit(p.V + theta.V, p.off + theta.off, p.D + theta.D))
        moment = self.act.derivative_moment
        e_diag = self.c * moment(p.V, p.V, S.One)
        e_off = self.c * moment(p.V, p.V, p.off / p.V)
        # E_diag - E_off without cancellation, from the registry's distance form
        e_dist = self.c * self.act.activation.derivative_distance(SYMPY, p.V, p.V, p.D / p.V)
        return _Unit(e_diag * q.V, e_off * q.off, e_diag * q.D + e_dist * (q.V - q.D))

    def mean(self, x: _Unit) -> sympy.Expr:
        p = x.V + self.sb2
        return S.Zero if p == 0 else sqrt(self.c) * self.act.mean(p)

    def comb(self, pairs: list[tuple[object, _Unit]], outers: list[tuple[object, object, object]]) -> _Unit:
        pairs = [(_coefficient(c), x) for c, x in pairs]
        outers = [(_coefficient(c), a, b) for c, a, b in outers]
        V = [c * x.V for c, x in pairs] + [c * a * b for c, a, b in outers]
        off = [c * x.off for c, x in pairs] + [c * a * b for c, a, b in outers]
        return _Unit(Add(*V), Add(*off), Add(*(c * x.D for c, x in pairs)))

    def vcomb(self, terms: list[tuple[object, object]]) -> sympy.Expr:
        return Add(*(_coefficient(c) * v for c, v in terms))


class _GeneralAlgebra:
    """Pair values ``(ii, ij, ji, jj) = <X_a,p, X_b,q>`` of two general inputs; vec values ``(i, j)``."""

    def __init__(self, act: ArcCosineActivation, c, sb2, pre: bool = False) -> None:
        self.act, self.c, self.sb2, self.pre = act, c, sb2, pre

    def zero(self) -> tuple:
        return (S.Zero,) * 4

    def _pre_gram(self, x: tuple) -> tuple:
        return x if self.pre else tuple(v + self.sb2 for v in x)

    def dual(self, x: tuple) -> tuple:
        pi_, pij, _, pj = self._pre_gram(x)
        di = self.c * self.act.second_moment(pi_)
        dj = self.c * self.act.second_moment(pj)
        dij = S.Zero if (di == 0 or dj == 0) else sqrt(di * dj) * self.act.h(pij / sqrt(pi_ * pj))
        out = (di, dij, dij, dj)
        return tuple(v + self.sb2 for v in out) if self.pre else out

    def tangent(self, x: tuple, theta: tuple | None) -> tuple:
        p = self._pre_gram(x)
        theta = self.zero() if theta is None else theta
        q = theta if self.pre else tuple(a + b for a, b in zip(p, theta, strict=True))
        pi_, pij, _, pj = p
        moment = self.act.derivative_moment
        ei = self.c * moment(pi_, pi_, S.One) if pi_ != 0 else S.Zero
        ej = self.c * moment(pj, pj, S.One) if pj != 0 else S.Zero
        eij = S.Zero if (pi_ == 0 or pj == 0) else self.c * moment(pi_, pj, pij / sqrt(pi_ * pj))
        return (ei * q[0], eij * q[1], eij * q[2], ej * q[3])

    def mean(self, x: tuple) -> tuple:
        return (sqrt(self.c) * self.act.mean(x[0] + self.sb2), sqrt(self.c) * self.act.mean(x[3] + self.sb2))

    def comb(self, pairs: list, outers: list) -> tuple:
        pairs = [(_coefficient(c), x) for c, x in pairs]
        outers = [(_coefficient(c), a, b) for c, a, b in outers]
        acc: list[list] = [[], [], [], []]
        for c, x in pairs:
            for k in range(4):
                acc[k].append(c * x[k])
        for c, (ai, aj), (bi, bj) in outers:
            for k, v in enumerate((ai * bi, ai * bj, aj * bi, aj * bj)):
                acc[k].append(c * v)
        return tuple(Add(*a) for a in acc)

    def vcomb(self, terms: list) -> tuple:
        terms = [(_coefficient(c), v) for c, v in terms]
        return (Add(*(c * v[0] for c, v in terms)), Add(*(c * v[1] for c, v in terms)))


def _execute(program: Program, alg, K0, mu0) -> tuple[list, list, list | None]:
    """Run ``program`` in a symbolic algebra: every node's Gram and mean and, with the NTK, its NTK.

    The NTK list ends with the output's NTK in the program's readout convention.
    """
    pairs: dict[int, object] = {0: K0}
    vecs: dict[int, object] = {0: mu0}
    for ins in program.instructions:
        if isinstance(ins, Tangent):
            pairs[ins.out] = alg.tangent(pairs[ins.src], None if ins.ntk < 0 else pairs[ins.ntk])
        elif isinstance(ins, Dual):
            pairs[ins.out] = alg.dual(pairs[ins.src])
        elif isinstance(ins, Mean):
            vecs[ins.out] = alg.mean(pairs[ins.src])
        elif isinstance(ins, Comb):
            pairs[ins.out] = alg.comb([(c, pairs[r]) for c, r in ins.pairs],
                                      [(c, vecs[a], vecs[b]) for c, a, b in ins.outers])
        else:
            vecs[ins.out] = alg.vcomb([(c, vecs[r]) for c, r in ins.terms])
    grams = [pairs[r] for r in program.node_gram]
    means = [vecs[r] if r is not None else None for r in program.node_mean]
    ntks = None
    if program.ntk_output is not None:
        ntks = [alg.zero() if r is None else pairs[r] for r in program.node_ntk[:-1]]
        ntks.append(pairs[program.ntk_output])
    return grams, means, ntks


def _unit_recursion(m: Motif, model: str, act: ArcCosineActivation, c, sb2, edge: str = "post",
                    readout: bool | None = None):
    """Diagonal, off-diagonal and distance of every node for unit centred inputs (and the NTKs)."""
    program = compile_program(m, model, edge, ntk=readout is not None, readout=bool(readout))
    grams, means, ntks = _execute(program, _UnitAlgebra(act, c, sb2, edge == "pre"),
                                  _Unit(S.One, C, EPS), S.Zero)
    return grams, [S.Zero if mu is None else mu for mu in means], ntks


def _general_recursion(m: Motif, model: str, act: ArcCosineActivation, c, sb2, edge: str = "post",
                       readout: bool | None = None):
    """``(K_ii, K_jj, K_ij, mu_i, mu_j)`` of every node for two general inputs (and the NTKs)."""
    program = compile_program(m, model, edge, ntk=readout is not None, readout=bool(readout))
    mu0 = (S.Zero, S.Zero) if edge == "pre" else (mu_i, mu_j)
    grams, means, ntks = _execute(program, _GeneralAlgebra(act, c, sb2, edge == "pre"),
                                  (K_ii, K_ij, K_ij, K_jj), mu0)
    out = [{"K_ii": k[0], "K_jj": k[3], "K_ij": k[1],
            "mu_i": S.Zero if mu_t is None else mu_t[0], "mu_j": S.Zero if mu_t is None else mu_t[1]}
           for k, mu_t in zip(grams, means, strict=True)]
    ntk_out = None if ntks is None else [{"K_ii": k[0], "K_jj": k[3], "K_ij": k[1], "mu_i": S.Zero,
                                          "mu_j": S.Zero} for k in ntks]
    return out, ntk_out


def _ntk_rule_text(m: Motif, t: int, model: str, readout: bool) -> str:
    if t == 0:
        return "0 (inputs are not trained)"
    parts = [f"f'(K{s}) (K{s} + Theta{s})" for s in m.sources(t, Op.LINEAR)]
    parts += [f"Theta{s}" for s in m.sources(t, Op.SKIP)]
    text = " + ".join(parts) if parts else "0"
    if model == "exact" and len(m.sources(t, Op.SKIP)) > 1:
        text += "  + cross-NTKs of the skip sources"
    if readout and t == m.output:
        text = f"K{t} (readout) + " + text
    return text


def _rule_text(m: Motif, t: int, model: str, act_name: str) -> str:
    if t == 0:
        return "K0 (inputs)"
    parts = [f"f(K{s})" for s in m.sources(t, Op.LINEAR)] + [f"K{s}" for s in m.sources(t, Op.SKIP)]
    text = " + ".join(parts) if parts else "0"
    if model == "exact" and (len(m.sources(t, Op.LINEAR)) + len(m.sources(t, Op.SKIP)) > 1):
        text += "  + cross terms (means, cross-Grams)"
    return text


# --------------------------------------------------------------------------- Derivation
@dataclass
class Derivation:
    """Everything :func:`derive` found for one motif, model and activation.

    Unit-input quantities (two unit-norm centred inputs with correlation ``C``):
    ``diagonal``, ``offdiagonal`` (in ``C``), ``gap`` (the 2x2 least eigenvalue
    ``diagonal - |offdiagonal|``, in ``C``), ``gap_distance`` (the same gap in
    ``eps = 1 - C`` where the off-diagonal is >= 0, built from ``G`` maps),
    ``rule12`` and ``rule12_distance``, ``output_mean``; ``nodes`` lists each
    node's :class:`NodeExpressions`; ``general`` the output's expressions for two
    general inputs and ``general_gap`` their 2x2 least eigenvalue.
    """

    motif: Motif
    model: str
    activation: ArcCosineActivation
    c_sigma: sympy.Expr
    sigma_b: sympy.Expr
    nodes: list[NodeExpressions]
    rule12: sympy.Expr
    rule12_distance: sympy.Expr
    #: ``"nngp"``, or ``"ntk"``: then ``nodes`` are the NTKs (the output's in the ``readout``
    #: convention) and ``nngp_nodes`` the Grams
    kernel: str = "nngp"
    readout: bool = False
    edge: str = "post"
    nngp_nodes: list[NodeExpressions] | None = None

    C = C
    eps = EPS

    # ---- display
    def __repr__(self) -> str:
        """One short line; ``pretty()`` and ``latex()`` show the recursion.

        >>> derive("2_21_112", model="paper")
        Derivation('2_21_112', model='paper', activation='relu', c_sigma=2, sigma_b=0, 4 nodes)
        """
        name = str(self.motif)
        name = name if len(name) <= 60 else name[:57] + "..."
        return (f"Derivation({name!r}, model={self.model!r}, activation={self.activation.name!r}, "
                f"c_sigma={self.c_sigma}, sigma_b={self.sigma_b}, {len(self.nodes)} nodes)")

    def _repr_latex_(self) -> str:
        """The recursion for Jupyter: the rows of ``latex()`` in an ``aligned`` block between ``$$``."""
        rows = [line for line in self.latex().splitlines() if not line.startswith("%")]
        body = "\n".join(rows).replace("{align*}", "{aligned}")  # aligned: valid inside $$ .. $$
        return f"$$\n{body}\n$$"

    # ---- output views
    @property
    def output(self) -> NodeExpressions:
        """The output node's expressions."""
        return self.nodes[-1]

    @property
    def diagonal(self) -> sympy.Expr:
        return self.output.diagonal

    @property
    def offdiagonal(self) -> sympy.Expr:
        return self.output.offdiagonal

    @property
    def output_mean(self) -> sympy.Expr:
        return self.output.mean

    @property
    def gap_distance(self) -> sympy.Expr:
        """``diagonal - offdiagonal`` in ``eps``: the gap wherever the off-diagonal is >= 0."""
        return self.output.distance

    @property
    def gap(self) -> sympy.Expr:
        """The 2x2 least eigenvalue ``diagonal - |offdiagonal|`` as an expression in ``C``."""
        return self.node_gap(self.motif.output)

    def node_gap(self, node: int) -> sympy.Expr:
        n = self.nodes[node]
        return n.diagonal - Abs(n.offdiagonal)

    @property
    def general(self) -> dict[str, sympy.Expr]:
        return self.output.general

    @property
    def general_gap(self) -> sympy.Expr:
        """2x2 least eigenvalue for general inputs: ``(a+c)/2 - sqrt(((a-c)/2)^2 + b^2)``."""
        g = self.general
        a, b, c = g["K_ii"], g["K_ij"], g["K_jj"]
        return (a + c) / 2 - sqrt(((a - c) / 2) ** 2 + b**2)

    # ---- forms
    def series(self, order: int = 3, at: int = 1, quantity: str = "gap", time_limit: float | None = 60.0):
        """Puiseux expansion of the gap (or ``"offdiagonal"``/``"rule12"``) at ``C = +-1``.

        ``at=1`` expands in ``eps`` with ``C = 1 - eps``; ``at=-1`` in ``delta``
        with ``C = -1 + delta``.  Terms with exponent below ``order`` are kept.
        The work grows fast with the order; past ``time_limit`` seconds the
        expansion stops with a ``ValueError`` (``None`` waits without limit).

        >>> derive("2_21_112", model="paper").series(2).leading
        (4, 1)
        """
        from dagnngp.theory.series import gap_series

        return gap_series(self, order=order, at=at, quantity=quantity, time_limit=time_limit)

    def latex(self) -> str:
        """The whole recursion as a LaTeX ``align*`` block."""
        from dagnngp.theory.printing import derivation_latex

        return derivation_latex(self)

    def pretty(self) -> str:
        """The node-by-node recursion, gap and rule (12) as plain text."""
        from dagnngp.theory.printing import derivation_text

        return derivation_text(self)

    def expression(self, quantity: str, node: int | None = None) -> sympy.Expr:
        """The unit-input expression behind ``quantity`` (``"gap"`` is the eps form)."""
        n = self.nodes[self.motif.output if node is None else _check_node(self, node)]
        table = {
            "diagonal": n.diagonal,
            "offdiagonal": n.offdiagonal,
            "mean": n.mean,
            "correlation": n.correlation,
            "gap": n.distance,
            "distance": n.distance,
            "rule12": self.rule12_distance,
        }
        if quantity not in table:
            raise ValueError(f"quantity={quantity!r} is not known; use one of {', '.join(table)}")
        return table[quantity]

    def source(self, quantity: str | tuple[str, ...] = "gap", backend: str = "numpy",
               node: int | None = None) -> str:
        """Python source of a numeric function of ``C`` generated from the expressions.

        ``quantity`` is ``"diagonal"``, ``"offdiagonal"``, ``"gap"``, ``"rule12"``,
        ``"mean"``, ``"correlation"``, or a tuple of them; ``node`` picks an
        intermediate node; ``backend`` is ``"numpy"``, ``"numba"``, ``"mpmath"`` or
        ``"array_api"``/``"cupy"``.  The theory layer only writes the text:
        :func:`dagnngp.numerics.lambdify` compiles it into a function.

        >>> print(derive("2_02_002", model="paper").source("gap").splitlines()[4])
            r0 = G(xp, G(xp, G(xp, eps)))
        """
        from dagnngp.theory.codegen import derivation_source

        return derivation_source(self, quantity, backend, node)[0]


def _check_node(d: Derivation, node: int) -> int:
    if isinstance(node, bool) or not isinstance(node, int) or not 0 <= node < d.motif.n_nodes:
        raise ValueError(f"node={node!r} is not a node of {d.motif}; use 0..{d.motif.n_nodes - 1}")
    return node


_as_motif = Motif.coerce


def derive(
    motif: Motif | str,
    model: str | None = None,
    activation: str | None = None,
    c_sigma: object = None,
    sigma_b: object = None,
    *,
    activation_params: dict[str, object] | None = None,
    spec: KernelSpec | None = None,
    general: bool = True,
    edge: str | None = None,
    ntk: bool = False,
    readout: bool = True,
) -> Derivation:
    """Derive a motif's NNGP (or NTK) recursion in closed form.

    ``activation`` is one of
    :data:`dagnngp.theory.arccos.KNOWN_ACTIVATIONS` (default ``"relu"``); ``c_sigma``
    the weight variance scale (default 2); ``sigma_b`` the bias standard deviation
    (default 0; the pre-activation Gram is ``K + sigma_b^2``); ``model`` is
    ``"exact"`` (default) or ``"paper"``.  ``spec`` (a
    :class:`~dagnngp.theory.spec.KernelSpec`) gives these options at once.
    Results are cached by canonical motif string and parameters.  ``general=False``
    skips the general-input expressions.  ``edge`` is the edge convention
    (``"post"``, default, or ``"pre"``).  With ``ntk=True`` the derivation is the
    NTK's (:func:`dagnngp.numerics.ntk`; ``readout`` picks its convention): its
    ``nodes`` and every quantity (``gap``, ``series``, ``latex``, ``source``)
    describe the NTK, and ``nngp_nodes`` hold the Grams it is built from.

    >>> d = derive("1_01_222")          # exact model: the means add 6/pi
    >>> d.diagonal
    6/pi + 3
    >>> d.gap_distance
    3*G(eps)
    >>> t = derive("2", ntk=True, readout=False)   # Theta_1 = c E[s's'] K0 = h0(C) C
    >>> t.offdiagonal, t.gap_distance
    (C*h0(C), eps + (1 - eps)*G0(eps))
    """
    m = _as_motif(motif)
    spec = resolve_spec(spec, model=model, activation=activation, c_sigma=c_sigma, sigma_b=sigma_b,
                        activation_params=activation_params, edge=edge)
    edge = spec.edge
    if edge not in EDGES:
        raise ValueError(f"edge={edge!r} is not known; use 'post' (activation after the weights, the "
                         "paper's) or 'pre' (activation before the weights)")
    model, activation, c_sigma, sigma_b = spec.model, spec.activation, spec.c_sigma, spec.sigma_b
    activation_params = spec.params
    if model not in MODELS:
        raise ValueError(
            f"model={model!r} is not known; use 'exact' (the true infinite-width limit, "
            "with cross terms) or 'paper' (the paper's recursion, which drops them)"
        )
    if not isinstance(activation, str):
        raise ValueError(f"activation must be a name such as 'relu', not {activation!r}")
    c = to_sympy_number(c_sigma, "c_sigma")
    if not c > 0:
        raise ValueError(f"c_sigma={c_sigma!r} must be > 0 (2 is He initialisation for ReLU)")
    sb = to_sympy_number(sigma_b, "sigma_b")
    if sb < 0:
        raise ValueError(f"sigma_b={sigma_b!r} must be >= 0 (it is a standard deviation)")
    params = tuple(sorted((k, to_sympy_number(v, k)) for k, v in (activation_params or {}).items()))
    symbolic_activation(activation, **dict(params))  # validates name and parameters
    check_variance(activation, float(c), {k: float(v) for k, v in params}, stacklevel=2)
    if ntk and symbolic_activation(activation, **dict(params)).order == 0:
        raise ValueError(f"activation {activation!r} has no derivative dual map, so no NTK (the step's "
                         "derivative is a delta); use relu, leaky, abrelu or arccos2")
    return _derive_cached(str(m), m.n_nodes, model, activation, params, c, sb, bool(general), edge,
                          bool(readout) if ntk else None)


@lru_cache(maxsize=4096)
def _derive_cached(key: str, n_nodes: int, model: str, act_name: str, params, c, sb, general: bool,
                   edge: str = "post", readout: bool | None = None):
    m = Motif.parse(key)
    act = symbolic_activation(act_name, **dict(params))
    sb2 = sb**2
    units, mus, ntks = _unit_recursion(m, model, act, c, sb2, edge, readout)
    gen, gen_ntk = (_general_recursion(m, model, act, c, sb2, edge, readout) if general
                    else ([{} for _ in units], [{} for _ in units]))
    nodes = [
        NodeExpressions(t, _rule_text(m, t, model, act.name), u.V, u.off, u.D, mu_t, g)
        for t, (u, mu_t, g) in enumerate(zip(units, mus, gen, strict=True))
    ]
    extra: dict = {"edge": edge}
    if readout is not None:
        gen_ntk = gen_ntk if gen_ntk is not None else [{} for _ in units]
        ntk_nodes = [
            NodeExpressions(t, _ntk_rule_text(m, t, model, readout), u.V, u.off, u.D, S.Zero, g)
            for t, (u, g) in enumerate(zip(ntks, gen_ntk, strict=True))
        ]
        extra.update(kernel="ntk", readout=readout, nngp_nodes=nodes)
        nodes = ntk_nodes
    counts = m.path_depth_counts()
    r_c, r_e = [], []
    hx, gx = C, EPS
    for d in range(max(counts, default=-1) + 1):
        if d > 0:
            hx, gx = act.h(hx), act.G(gx)
        if counts.get(d, 0):
            r_c.append(counts[d] * (1 - hx))
            r_e.append(counts[d] * gx)
    return Derivation(m, model, act, c, sb, nodes, Add(*r_c), Add(*r_e), **extra)
