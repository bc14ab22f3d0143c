"""Connectivity motifs: DAG cells whose edges are zero, skip or linear.

A motif has nodes ``0 .. H``; node 0 is the input and node ``H`` the output.
Every pair ``s < t`` carries one edge operation:

* ``zero``   -- no edge;
* ``skip``   -- identity, ``X_t += X_s``;
* ``linear`` -- fresh Gaussian weights followed by ReLU, ``X_t += sqrt(c/m) relu(W X_s)``.

An edge may carry a real *weight* ``alpha`` (default 1): it then adds
``alpha`` times its output, so ``x + alpha F(x)`` and branches scaled by
``1/sqrt(L)`` are motifs too.

The canonical text form is the one used by the paper's code: groups separated
by ``_``, group ``t`` (for target node ``t = 1 .. H``) listing the operation
from each source ``0 .. t-1`` as a digit (0 zero, 1 skip, 2 linear).  A digit
may be followed by its edge's weight in parentheses, a decimal number or a
fraction: ``"1_2(0.5)1"`` is ``X_2 = 0.5 F(X_0) + X_1``.  Strings without
parentheses mean exactly what they meant before weights existed.

This module knows nothing of kernels; it is pure combinatorics.

>>> m = Motif.parse("2_21_112")
>>> m.n_nodes, str(m)
(4, '2_21_112')
>>> m.paths()
(0, 1, 2, 2)
>>> m.effective_depth_width()
(1.25, 2.4)
"""

from __future__ import annotations

import dataclasses
import enum
import operator
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

__all__ = ["MAX_NODES", "MAX_LISTED_PATHS", "EdgeChange", "Motif", "MotifError", "Op", "chain", "dense",
           "resnet"]

#: Largest number of nodes a motif may have.  Kernels cost O(H^2) Gram
#: matrices, and path counts grow like 2^H, so larger cells are refused.
MAX_NODES = 64

#: ``Motif.paths()`` lists every path; beyond this many it refuses and points
#: to ``Motif.path_depth_counts()``, which never enumerates.
MAX_LISTED_PATHS = 1_000_000


class MotifError(ValueError):
    """A motif description is malformed; the message says what and where."""


class Op(enum.IntEnum):
    """Edge operation, with the paper code's digit as its value."""

    ZERO = 0
    SKIP = 1
    LINEAR = 2

    @classmethod
    def coerce(cls, value: object, where: str = "") -> Op:
        """Turn an ``Op``, a digit (0/1/2, NumPy integers included) or a name into an ``Op``.

        >>> Op.coerce("skip"), Op.coerce(2)
        (<Op.SKIP: 1>, <Op.LINEAR: 2>)
        """
        at = f" at {where}" if where else ""
        if isinstance(value, Op):
            return value
        if isinstance(value, bool) or type(value).__name__ == "bool_":
            raise MotifError(f"edge operation{at} is a bool ({value!r}); use 'zero', 'skip' or 'linear'")
        number = _as_int(value)
        if number is not None:
            try:
                return cls(number)
            except ValueError:
                raise MotifError(
                    f"unknown edge operation {_clip(number)}{at}: use 0 (zero), 1 (skip) or 2 (linear)"
                ) from None
        if isinstance(value, str):
            key = value.strip().lower()
            if key in _OP_NAMES:
                return _OP_NAMES[key]
            raise MotifError(
                f"unknown edge operation {_echo(value)}{at}: use 'zero', 'skip' or 'linear' "
                f"(aliases: {', '.join(sorted(k for k in _OP_NAMES if not k.isdigit()))})"
            )
        raise MotifError(
            f"edge operation{at} must be an Op, an int or a name, not {type(value).__name__}"
        )


_OP_NAMES: dict[str, Op] = {
    "0": Op.ZERO, "zero": Op.ZERO, "none": Op.ZERO,
    "1": Op.SKIP, "skip": Op.SKIP, "identity": Op.SKIP, "id": Op.SKIP,
    "2": Op.LINEAR, "linear": Op.LINEAR, "lin": Op.LINEAR, "relu": Op.LINEAR,
}

#: Anything but an ASCII digit or '_' (so "٢", "２" and "²", which pass ``str.isdigit``, are refused).
_BAD_CHAR_RE = re.compile(r"[^0-9_]")
#: an edge weight in a motif string: ``(`` a decimal number or a fraction ``)``
_WEIGHT_RE = re.compile(r"\(([^()]*)\)")
_NUMBER_RE = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def _weight_value(value: object, where: str) -> float:
    """An edge weight as a finite, non-zero float (NumPy scalars and ``p/q`` strings accepted)."""
    text = value.strip() if isinstance(value, str) else None
    try:
        if text is not None:
            num, _, den = text.partition("/")
            if not _NUMBER_RE.fullmatch(num) or (den and not _NUMBER_RE.fullmatch(den)):
                raise ValueError
            w = float(num) / float(den) if den else float(num)
        elif isinstance(value, bool) or type(value).__name__ == "bool_":
            raise TypeError
        else:
            w = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, ZeroDivisionError):
        raise MotifError(
            f"weight {_clip(value)} of edge {where} is not a number; write a decimal such as 0.5 "
            "or a fraction such as 1/3"
        ) from None
    if not w == w or w in (float("inf"), float("-inf")):
        raise MotifError(f"weight {_clip(value)} of edge {where} must be finite")
    if w == 0:
        raise MotifError(f"weight 0 of edge {where}: an edge of weight 0 is a zero edge; use op 0 instead")
    return w


def _format_weight(w: float) -> str:
    return repr(int(w)) if w == int(w) and abs(w) < 1e15 else repr(w)

#: Longest part of a bad input quoted back in an error message.
ECHO_LIMIT = 40


def _echo(text: str, limit: int = ECHO_LIMIT) -> str:
    """``repr(text)``, cut to about ``limit`` characters (and its length given) when it is longer.

    >>> _echo("2_21"), _echo("2" * 100, limit=10)
    ("'2_21'", "'2222222222...' (100 characters)")
    """
    shown = repr(text[: limit + 1])
    if len(text) <= limit and len(shown) <= limit + 2:
        return shown
    return shown[: limit + 1] + f"...' ({len(text)} characters)"


def _clip(obj: object, limit: int = ECHO_LIMIT) -> str:
    """``repr(obj)`` (strings as :func:`_echo`), cut to about ``limit`` characters."""
    if isinstance(obj, str):
        return _echo(obj, limit)
    text = repr(obj)
    return text if len(text) <= limit else text[:limit] + "..."


def _as_int(value: object) -> int | None:
    """``value`` as a Python int if it is an integer (NumPy integers included) and not a bool."""
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return None
    try:
        return operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        return None


@dataclass(frozen=True)
class Motif:
    """A DAG cell with nodes ``0 .. n_nodes-1`` and one op per pair ``s < t``.

    ``ops[t-1][s]`` is the op of edge ``s -> t`` (so ``ops`` has ``n_nodes-1``
    rows, row ``t-1`` of length ``t``).  Build one with :meth:`parse` or
    :meth:`from_edges`; instances are immutable and hashable.

    >>> Motif.from_edges(3, {(0, 1): "linear", (1, 2): "skip"})
    Motif('2_01')
    """

    ops: tuple[tuple[Op, ...], ...]
    #: ``weights[t-1][s]`` is edge ``s -> t``'s weight; ``None`` when every edge has weight 1
    weights: tuple[tuple[float, ...], ...] | None = None

    def __post_init__(self) -> None:
        rows = self.ops
        if not isinstance(rows, tuple) or len(rows) == 0:
            raise MotifError("a motif needs at least 2 nodes (an input and an output)")
        if len(rows) + 1 > MAX_NODES:
            raise MotifError(
                f"motif has {len(rows) + 1} nodes; the maximum is {MAX_NODES} (dagnngp.motif.MAX_NODES)"
            )
        for t, row in enumerate(rows, start=1):
            if len(row) != t:
                raise MotifError(
                    f"node {t} must list {t} incoming ops (one per source 0..{t - 1}), got {len(row)}"
                )
            for s, op in enumerate(row):
                if not isinstance(op, Op):
                    raise MotifError(f"edge ({s}, {t}) holds {op!r}, not an Op")
        if self.weights is not None:
            w = self.weights
            if not isinstance(w, tuple) or len(w) != len(rows) or any(
                    not isinstance(r, tuple) or len(r) != t for t, r in enumerate(w, start=1)):
                raise MotifError("weights must have the shape of ops: one tuple of t floats per node t")
            norm = tuple(tuple(1.0 if op is Op.ZERO else _weight_value(x, f"({s}, {t})")
                               for s, (op, x) in enumerate(zip(rows[t - 1], r, strict=True)))
                         for t, r in enumerate(w, start=1))
            object.__setattr__(self, "weights", None if all(x == 1.0 for r in norm for x in r) else norm)

    # ------------------------------------------------------------------ build
    @classmethod
    def coerce(cls, motif: Motif | str) -> Motif:
        """Accept a :class:`Motif` or its text form (what every public entry point takes).

        >>> Motif.coerce("2_21_112") == Motif.coerce(Motif.parse("2_21_112"))
        True
        """
        if isinstance(motif, Motif):
            return motif
        if isinstance(motif, str):
            return cls.parse(motif)
        raise MotifError(
            f"expected a Motif or a motif string such as '2_21_112', got {type(motif).__name__}"
        )

    @classmethod
    def parse(cls, text: str) -> Motif:
        """Parse the paper code's string, e.g. ``"2_21_112"``.

        Only the ASCII digits ``0``, ``1``, ``2`` and the separator ``_`` are
        accepted (surrounding whitespace is ignored); anything else raises
        :class:`MotifError`.  NAS-Bench-201 cell strings are converted by
        :func:`dagnngp.nas.parse_nb201`, not here.

        >>> Motif.parse("2_02_002").n_nodes
        4
        >>> Motif.parse("2_2x")
        Traceback (most recent call last):
        ...
        dagnngp.motif.MotifError: '2_2x': group 2 ('2x') has the character 'x' ...
        """
        if not isinstance(text, str):
            raise MotifError(f"motif text must be a str, not {type(text).__name__}")
        raw = text.strip()
        if not raw:
            raise MotifError(
                "empty motif string: write one group per target node, e.g. '2_21_112' "
                "(0 zero, 1 skip, 2 linear)"
            )
        shown = _echo(raw)
        if raw.startswith("|"):
            raise MotifError(
                f"{shown} looks like a NAS-Bench-201 cell, not a motif string; convert it with "
                "dagnngp.nas.parse_nb201(text).motif (the command line accepts both)"
            )
        # counted before any per-group work, so an oversize input costs one linear scan
        n_nodes = raw.count("_") + 2
        if n_nodes > MAX_NODES:
            raise MotifError(
                f"{shown} describes {n_nodes} nodes; the maximum is {MAX_NODES} (dagnngp.motif.MAX_NODES)"
            )
        weights_given: dict[tuple[int, int], float] = {}
        if "(" in raw or ")" in raw:
            raw, weights_given = cls._strip_weights(raw, shown)
        bad = _BAD_CHAR_RE.search(raw)
        if bad is not None:
            ch = bad.group()
            pos = bad.start()
            t = raw.count("_", 0, pos) + 1
            group = raw.split("_")[t - 1]
            kind = ", a non-ASCII digit" if ch.isnumeric() else ""
            raise MotifError(
                f"{shown}: group {t} ({_echo(group)}) has the character {ch!r} at position {pos}{kind}; "
                "use only the ASCII digits 0 (zero), 1 (skip), 2 (linear) and '_' between groups"
            )
        rows: list[tuple[Op, ...]] = []
        for t, group in enumerate(raw.split("_"), start=1):
            if not group:
                raise MotifError(
                    f"{shown}: group {t} (node {t}) is empty; it needs {t} digit(s), one per source node"
                )
            if len(group) != t:
                raise MotifError(
                    f"{shown}: group {t} ({_echo(group)}) has {len(group)} digit(s) but node {t} "
                    f"has {t} possible source(s) 0..{t - 1}; group t must have t digits"
                )
            row = []
            for s, ch in enumerate(group):
                if ch not in "012":
                    raise MotifError(
                        f"{shown}: digit {ch!r} for edge ({s}, {t}) in group {t} is not an op; "
                        "use 0 (zero), 1 (skip) or 2 (linear)"
                    )
                row.append(Op(ord(ch) - 48))
            rows.append(tuple(row))
        if not weights_given:
            return cls(tuple(rows))
        for (s, t), _ in weights_given.items():
            if rows[t - 1][s] is Op.ZERO:
                raise MotifError(f"{shown}: edge ({s}, {t}) is a zero edge and cannot carry a weight")
        weights = tuple(tuple(weights_given.get((s, t), 1.0) for s in range(t))
                        for t in range(1, len(rows) + 1))
        return cls(tuple(rows), weights)

    @staticmethod
    def _strip_weights(raw: str, shown: str) -> tuple[str, dict[tuple[int, int], float]]:
        """Remove ``(w)`` after op digits; return the plain string and ``{(s, t): w}``."""
        weights: dict[tuple[int, int], float] = {}
        plain: list[str] = []
        pos = 0
        for match in _WEIGHT_RE.finditer(raw):
            plain.append(raw[pos:match.start()])
            pos = match.end()
            before = "".join(plain)
            if not before or not before[-1].isdigit():
                raise MotifError(f"{shown}: a weight '({match.group(1)})' must follow an op digit, "
                                 "as in '1_2(0.5)1'")
            t = before.count("_") + 1
            s = len(before) - 1 - (before.rfind("_") + 1)
            weights[(s, t)] = _weight_value(match.group(1), f"({s}, {t})")
        plain.append(raw[pos:])
        rest = "".join(plain)
        if "(" in rest or ")" in rest:
            raise MotifError(f"{shown}: unbalanced or nested parentheses; a weight is written '2(0.5)'")
        return rest, weights

    @classmethod
    def from_edges(cls, n_nodes: int, edges: Mapping[tuple[int, int], object]) -> Motif:
        """Build a motif from ``{(s, t): op}`` or ``{(s, t): (op, weight)}``; missing pairs are zero edges.

        ``op`` may be an :class:`Op`, a digit or a name (``"zero"``, ``"skip"``, ``"linear"``);
        node indices and digits may be NumPy integers; ``weight`` is a non-zero real number.

        >>> str(Motif.from_edges(3, {(0, 1): "linear", (0, 2): "skip", (1, 2): ("linear", 0.5)}))
        '2_12(0.5)'

        >>> str(Motif.from_edges(4, {(0, 1): 2, (0, 2): 2, (2, 3): 2, (0, 3): 1,
        ...                          (1, 2): 1, (1, 3): 1}))
        '2_21_112'
        """
        count = _as_int(n_nodes)
        if count is None:
            raise MotifError(f"n_nodes must be an int, not {type(n_nodes).__name__}")
        n_nodes = count
        if n_nodes < 2:
            raise MotifError(f"a motif needs at least 2 nodes, got n_nodes={n_nodes}")
        if n_nodes > MAX_NODES:
            raise MotifError(f"n_nodes={_clip(n_nodes)} exceeds the maximum of {MAX_NODES}")
        if not isinstance(edges, Mapping):
            raise MotifError("edges must be a mapping {(s, t): op}")
        table = [[Op.ZERO] * t for t in range(1, n_nodes)]
        wtable = [[1.0] * t for t in range(1, n_nodes)]
        for key, op in edges.items():
            pair = tuple(_as_int(v) for v in key) if isinstance(key, tuple) and len(key) == 2 else ()
            if len(pair) != 2 or None in pair:
                raise MotifError(f"edge key {_clip(key)} must be a pair of ints (source, target)")
            s, t = pair
            if s == t:
                raise MotifError(f"edge {(s, t)!r} is a self-loop; edges go from s to t with s < t")
            if s > t:
                raise MotifError(
                    f"edge {_clip((s, t))} goes backward; edges go forward from s to t with s < t "
                    f"(did you mean ({t}, {s})?)"
                )
            if s < 0 or t >= n_nodes:
                raise MotifError(
                    f"edge {_clip((s, t))} names a node outside 0..{n_nodes - 1}"
                )
            if isinstance(op, tuple):
                if len(op) != 2:
                    raise MotifError(f"edge {(s, t)!r} must map to an op or to (op, weight), got {_clip(op)}")
                op, weight = op
                wtable[t - 1][s] = _weight_value(weight, repr((s, t)))
            table[t - 1][s] = Op.coerce(op, where=f"edge {(s, t)!r}")
            if table[t - 1][s] is Op.ZERO and wtable[t - 1][s] != 1.0:
                raise MotifError(f"edge {(s, t)!r} is a zero edge and cannot carry a weight")
        return cls(tuple(tuple(row) for row in table), tuple(tuple(row) for row in wtable))

    # ---------------------------------------------------------------- basics
    @property
    def n_nodes(self) -> int:
        """Number of nodes ``H + 1``."""
        return len(self.ops) + 1

    @property
    def output(self) -> int:
        """Index ``H`` of the output node."""
        return len(self.ops)

    def op(self, s: int, t: int) -> Op:
        """Operation on edge ``s -> t`` (``s < t``)."""
        if not (0 <= s < t <= self.output):
            raise MotifError(f"no edge ({s}, {t}) in a motif with nodes 0..{self.output}")
        return self.ops[t - 1][s]

    def weight(self, s: int, t: int) -> float:
        """Weight of edge ``s -> t`` (1.0 unless the motif says otherwise).

        >>> Motif.parse("1_2(0.5)1").weight(0, 2)
        0.5
        """
        self.op(s, t)
        return 1.0 if self.weights is None else self.weights[t - 1][s]

    @property
    def weighted(self) -> bool:
        """Whether some edge has a weight other than 1."""
        return self.weights is not None

    def edges(self) -> Iterator[tuple[int, int, Op]]:
        """Non-zero edges as ``(s, t, op)`` in topological order."""
        for t, row in enumerate(self.ops, start=1):
            for s, op in enumerate(row):
                if op is not Op.ZERO:
                    yield s, t, op

    def sources(self, t: int, op: Op | None = None) -> tuple[int, ...]:
        """Sources of the non-zero edges into ``t`` (only those of ``op`` if given)."""
        if not (1 <= t <= self.output):
            return ()
        return tuple(
            s for s, o in enumerate(self.ops[t - 1])
            if o is not Op.ZERO and (op is None or o is op)
        )

    @property
    def n_linear(self) -> int:
        """Number of linear (parametrised) edges."""
        return sum(1 for _, _, op in self.edges() if op is Op.LINEAR)

    def __str__(self) -> str:
        if self.weights is None:
            return "_".join("".join(str(int(op)) for op in row) for row in self.ops)
        return "_".join("".join(str(int(op)) + ("" if w == 1.0 else f"({_format_weight(w)})")
                                for op, w in zip(row, wrow, strict=True))
                        for row, wrow in zip(self.ops, self.weights, strict=True))

    def __repr__(self) -> str:
        return f"Motif({str(self)!r})"

    # -------------------------------------------------------------- structure
    @cached_property
    def reachable_from_input(self) -> frozenset[int]:
        """Nodes with a path from node 0 (node 0 included)."""
        seen = {0}
        for s, t, _ in self.edges():
            if s in seen:
                seen.add(t)
        return frozenset(seen)

    @cached_property
    def reaching_output(self) -> frozenset[int]:
        """Nodes with a path to the output node (the output included)."""
        seen = {self.output}
        for s, t, _ in sorted(self.edges(), key=lambda e: -e[1]):
            if t in seen:
                seen.add(s)
        return frozenset(seen)

    @cached_property
    def _depth_counts(self) -> tuple[dict[int, int], ...]:
        # counts[t][d] = number of paths 0 -> t with exactly d linear edges
        counts: list[dict[int, int]] = [{0: 1}] + [{} for _ in range(self.output)]
        for t in range(1, self.n_nodes):
            acc = counts[t]
            for s, op in enumerate(self.ops[t - 1]):
                if op is Op.ZERO:
                    continue
                shift = 1 if op is Op.LINEAR else 0
                for d, c in counts[s].items():
                    acc[d + shift] = acc.get(d + shift, 0) + c
        return tuple(counts)

    def path_depth_counts(self) -> dict[int, int]:
        """``{d: number of input-to-output paths with d linear edges}``, never enumerating.

        >>> Motif.parse("2_21_112").path_depth_counts()
        {0: 1, 1: 1, 2: 2}
        """
        return dict(sorted(self._depth_counts[self.output].items()))

    @property
    def n_paths(self) -> int:
        """Number ``P`` of distinct input-to-output paths."""
        return sum(self._depth_counts[self.output].values())

    def paths(self) -> tuple[int, ...]:
        """The ``d_p`` (linear edges on path ``p``) of every input-to-output path, sorted.

        Raises :class:`MotifError` when there are more than ``MAX_LISTED_PATHS``
        paths; use :meth:`path_depth_counts` then.
        """
        if self.n_paths > MAX_LISTED_PATHS:
            raise MotifError(
                f"{self!s} has {self.n_paths} paths, more than MAX_LISTED_PATHS="
                f"{MAX_LISTED_PATHS}; use path_depth_counts() instead"
            )
        return tuple(d for d, c in self.path_depth_counts().items() for _ in range(c))

    def effective_depth_width(self) -> tuple[float, float]:
        """Definition 4.1 of the paper: ``(d_bar, m_bar)``.

        ``d_bar`` is the mean number of linear edges per path and ``m_bar`` the
        number of paths with at least one linear edge divided by ``d_bar``.
        Returns ``(0.0, 0.0)`` when there is no path or ``d_bar == 0`` (the
        public code's convention).

        >>> Motif.parse("1_01_222").effective_depth_width()
        (1.0, 3.0)
        """
        counts = self._depth_counts[self.output]
        total = sum(counts.values())
        if total == 0:
            return (0.0, 0.0)
        depth_sum = sum(d * c for d, c in counts.items())
        if depth_sum == 0:
            return (0.0, 0.0)
        d_bar = depth_sum / total
        parametrised = sum(c for d, c in counts.items() if d > 0)
        return (d_bar, parametrised * total / depth_sum)

    # ============================================================ algebra
    # Builders and single-edge edits.  Edits keep every other edge's op and weight.

    def _pair(self, s: object, t: object) -> tuple[int, int]:
        """``(s, t)`` as Python ints (NumPy integers accepted), checked to name a pair ``s < t``."""
        si, ti = _as_int(s), _as_int(t)
        if si is None or ti is None:
            raise MotifError(f"edge ({_clip(s)}, {_clip(t)}): node indices must be ints")
        if not (0 <= si < ti <= self.output):
            raise MotifError(
                f"no pair ({si}, {ti}) in a motif with nodes 0..{self.output}; edges go from s to t, s < t"
            )
        return si, ti

    def _weight_rows(self) -> list[list[float]]:
        return [[self.weight(s, t) for s in range(t)] for t in range(1, self.n_nodes)]

    def _set(self, s: int, t: int, op: Op, weight: object = None) -> Motif:
        rows = [list(row) for row in self.ops]
        rows[t - 1][s] = op
        weights = None
        if weight is not None or self.weights is not None:
            wrows = self._weight_rows()
            if weight is not None:
                wrows[t - 1][s] = _weight_value(weight, f"({s}, {t})")
            weights = tuple(tuple(row) for row in wrows)
        return dataclasses.replace(self, ops=tuple(tuple(row) for row in rows), weights=weights)

    def with_edge(self, s: int, t: int, op: Op | int | str = Op.SKIP, weight: float | None = None) -> Motif:
        """This motif plus a new ``op`` edge ``s -> t`` of weight ``weight`` (the pair must have no edge).

        >>> str(Motif.parse("1_02").with_edge(0, 2, "skip")), str(Motif.parse("1_02").with_edge(0, 2, 1, 0.5))
        ('1_12', '1_1(0.5)2')
        """
        s, t = self._pair(s, t)
        new = Op.coerce(op, where=f"edge ({s}, {t})")
        if new is Op.ZERO:
            raise MotifError(f"with_edge({s}, {t}) needs a skip or linear op; use without_edge to remove one")
        old = self.ops[t - 1][s]
        if old is not Op.ZERO:
            raise MotifError(
                f"{self!s} already has a {old.name.lower()} edge ({s}, {t}); use replace_edge to change it"
            )
        return self._set(s, t, new, weight)

    def without_edge(self, s: int, t: int) -> Motif:
        """This motif with the edge ``s -> t`` removed (the pair must carry an edge).

        >>> str(Motif.parse("2_21_112").without_edge(0, 3))
        '2_21_012'
        """
        s, t = self._pair(s, t)
        if self.ops[t - 1][s] is Op.ZERO:
            raise MotifError(f"{self!s} has no edge ({s}, {t}) to remove")
        return self._set(s, t, Op.ZERO)

    def replace_edge(self, s: int, t: int, op: Op | int | str, weight: float | None = None) -> Motif:
        """The existing edge ``s -> t`` given the op ``op`` (``"zero"`` removes it); weight kept unless given.

        >>> str(Motif.parse("2_21_112").replace_edge(0, 1, "skip"))
        '1_21_112'
        """
        s, t = self._pair(s, t)
        new = Op.coerce(op, where=f"edge ({s}, {t})")
        if self.ops[t - 1][s] is Op.ZERO:
            raise MotifError(f"{self!s} has no edge ({s}, {t}) to replace; use with_edge to add one")
        return self._set(s, t, new, weight)

    def neighbours(self, add: bool = True, remove: bool = True, replace: bool = True) -> Iterator[EdgeChange]:
        """Every motif one edge away: each pair ``s < t`` in turn, with each other op it could carry.

        Yields :class:`EdgeChange` records ``(s, t, old, new, motif)`` in topological pair order;
        ``add``/``remove``/``replace`` select the kinds of change (zero to non-zero, non-zero to zero,
        skip to linear and back).

        >>> [str(c.motif) for c in Motif.parse("2_01").neighbours(remove=False, replace=False)]
        ['2_11', '2_21']
        """
        for t in range(1, self.n_nodes):
            for s in range(t):
                old = self.ops[t - 1][s]
                for new in Op:
                    if new is old:
                        continue
                    kind_ok = (add if old is Op.ZERO else remove if new is Op.ZERO else replace)
                    if kind_ok:
                        yield EdgeChange(s, t, old, new, self._set(s, t, new))

    def then(self, other: Motif | str) -> Motif:
        """Series composition: ``other``'s input node is this motif's output node.

        The result has ``self.n_nodes + other.n_nodes - 1`` nodes; ``a >> b`` is ``a.then(b)``.

        >>> str(Motif.parse("2").then("2_12")), str(Motif.parse("2") >> Motif.parse("2"))
        ('2_02_012', '2_02')
        """
        nxt = Motif.coerce(other)
        shift = self.output
        n = self.n_nodes + nxt.output
        if n > MAX_NODES:
            raise MotifError(f"a {self.n_nodes}-node motif then a {nxt.n_nodes}-node motif would have "
                             f"{n} nodes; the maximum is {MAX_NODES}")
        rows = list(self.ops)
        wrows = [tuple(r) for r in self._weight_rows()]
        for t in range(1, nxt.n_nodes):
            rows.append((Op.ZERO,) * shift + nxt.ops[t - 1])
            wrows.append((1.0,) * shift + tuple(nxt.weight(s, t) for s in range(t)))
        weighted = self.weights is not None or nxt.weights is not None
        return dataclasses.replace(self, ops=tuple(rows), weights=tuple(wrows) if weighted else None)

    def __rshift__(self, other: object) -> Motif:
        if not isinstance(other, (Motif, str)):
            return NotImplemented
        return self.then(other)

    @classmethod
    def chain(cls, depth: int, op: Op | int | str = Op.LINEAR) -> Motif:
        """A plain stack: ``depth`` edges ``0 -> 1 -> ... -> depth``, each of op ``op``.

        >>> str(Motif.chain(3))
        '2_02_002'
        """
        n = _count(depth, "depth", 1) + 1
        edge = Op.coerce(op, where="chain")
        return cls.from_edges(n, {(i, i + 1): edge for i in range(n - 1)})

    @classmethod
    def resnet(cls, blocks: int, block_depth: int = 2) -> Motif:
        """``blocks`` residual blocks in series, each ``block_depth`` linear edges bridged by a skip.

        >>> str(Motif.resnet(1)), str(Motif.resnet(2))
        ('2_12', '2_12_002_0012')
        """
        count = _count(blocks, "blocks", 1)
        depth = _count(block_depth, "block_depth", 2)
        block = cls.chain(depth).with_edge(0, depth, Op.SKIP)
        out = block
        for _ in range(count - 1):
            out = out >> block
        return out

    @classmethod
    def dense(cls, n_nodes: int, op: Op | int | str = Op.LINEAR) -> Motif:
        """Every pair ``s < t`` of ``n_nodes`` nodes joined by an ``op`` edge (a densely connected cell).

        >>> str(Motif.dense(4))
        '2_22_222'
        """
        n = _count(n_nodes, "n_nodes", 2)
        edge = Op.coerce(op, where="dense")
        return cls.from_edges(n, {(s, t): edge for t in range(1, n) for s in range(t)})

    # ---------------------------------------------------------------- display (Jupyter)
    def _repr_svg_(self) -> str:
        """The DAG drawn as SVG: nodes in a row, one arc per edge above them.

        Linear edges are solid, skip edges dashed; an edge whose weight is not 1
        is labelled with it at the top of its arc.  Pure text, no plotting library.

        >>> svg = Motif.parse("1_2(0.5)1")._repr_svg_()
        >>> svg.startswith("<svg"), svg.count("<circle"), svg.count('stroke-dasharray="6 4"'), ">0.5<" in svg
        (True, 3, 2, True)
        """
        from html import escape

        gap, r, unit = 84, 15, 20  # node spacing, node radius, arc height per node spanned
        edges = list(self.edges())
        top = 18 + unit * max((t - s for s, t, _ in edges), default=0) + 14
        width, height = max(2 * 30 + gap * (self.n_nodes - 1), 320), top + r + 26
        x = [30 + gap * t for t in range(self.n_nodes)]
        name = str(self) if len(str(self)) <= 80 else str(self)[:77] + "..."
        style = {Op.LINEAR: ('#1f5fa8', ''), Op.SKIP: ('#b0501a', ' stroke-dasharray="6 4"')}
        parts = [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
            f"<title>Motif {escape(str(self))}: solid arcs linear edges, dashed arcs skip edges</title>",
            "<defs>",
            *(f'<marker id="dagnngp-{op.name.lower()}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
              f'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
              for op, (colour, _) in style.items()),
            "</defs>",
        ]
        for s, t, op in edges:
            colour, dash = style[op]
            x0, x1, h = x[s] + 4, x[t] - 4, unit * (t - s)
            parts.append(f'<path d="M{x0},{top - r + 3} C{x0},{top - r - 1.33 * h} {x1},{top - r - 1.33 * h} '
                         f'{x1},{top - r + 3}" fill="none" stroke="{colour}" stroke-width="1.6"{dash} '
                         f'marker-end="url(#dagnngp-{op.name.lower()})">'
                         f"<title>{s} -&gt; {t}: {op.name.lower()}</title></path>")
            w = self.weight(s, t)
            if w != 1.0:
                parts.append(f'<text x="{(x0 + x1) / 2}" y="{top - r - h - 3}" text-anchor="middle" '
                             f'fill="{colour}">{escape(_format_weight(w))}</text>')
        for t in range(self.n_nodes):
            parts.append(f'<circle cx="{x[t]}" cy="{top}" r="{r}" fill="#ffffff" stroke="#333333" '
                         'stroke-width="1.4"/>')
            parts.append(f'<text x="{x[t]}" y="{top + 4}" text-anchor="middle">X{t}</text>')
        parts.append(f'<text x="{width / 2}" y="{height - 6}" text-anchor="middle" fill="#555555">'
                     f"{escape(name)}   (solid: linear, dashed: skip)</text>")
        parts.append("</svg>")
        return "\n".join(parts)

    def _repr_html_(self) -> str:
        """The SVG drawing with a one-line summary (nodes, linear and skip edges, paths).

        >>> "<svg" in Motif.parse("2_21_112")._repr_html_()
        True
        """
        from html import escape

        n_skip = sum(1 for _, _, op in self.edges() if op is Op.SKIP)
        return (f'<div class="dagnngp-motif">{self._repr_svg_()}<div><code>{escape(repr(self))}</code>: '
                f"{self.n_nodes} nodes, {self.n_linear} linear and {n_skip} skip edges, "
                f"{self.n_paths} input-output paths</div></div>")


# ================================================================ algebra helpers and builders


class EdgeChange(NamedTuple):
    """One single-edge edit of a motif: the pair, its old and new op, and the edited motif."""

    s: int
    t: int
    old: Op
    new: Op
    motif: Motif


def _count(value: object, name: str, minimum: int) -> int:
    number = _as_int(value)
    if number is None:
        raise MotifError(f"{name} must be an int, not {type(value).__name__}")
    if number < minimum:
        raise MotifError(f"{name} must be at least {minimum}, got {number}")
    if number > MAX_NODES:
        raise MotifError(f"{name}={_clip(number)} exceeds the maximum number of nodes, {MAX_NODES}")
    return number


def chain(depth: int, op: Op | int | str = Op.LINEAR) -> Motif:
    """:meth:`Motif.chain`: ``depth`` edges of op ``op`` in a row.

    >>> chain(2)
    Motif('2_02')
    """
    return Motif.chain(depth, op)


def resnet(blocks: int, block_depth: int = 2) -> Motif:
    """:meth:`Motif.resnet`: ``blocks`` residual blocks of ``block_depth`` linear edges.

    >>> resnet(1, block_depth=3)
    Motif('2_02_102')
    """
    return Motif.resnet(blocks, block_depth)


def dense(n_nodes: int, op: Op | int | str = Op.LINEAR) -> Motif:
    """:meth:`Motif.dense`: every pair of ``n_nodes`` nodes joined.

    >>> dense(3)
    Motif('2_22')
    """
    return Motif.dense(n_nodes, op)
