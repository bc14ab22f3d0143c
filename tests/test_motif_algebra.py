"""The motif algebra: single-edge edits, neighbours, series composition and the builders."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings

from dagnngp import Motif, MotifError, Op
from dagnngp.motif import EdgeChange, chain, dense, resnet
from dagnngp.proofs_check.strategies import motifs


def edge_table(m: Motif) -> dict[tuple[int, int], Op]:
    """Every pair's op, read from the text form (independent of the algebra)."""
    table = {}
    for t, group in enumerate(str(m).split("_"), start=1):
        for s, ch in enumerate(group):
            table[(s, t)] = Op(int(ch))
    return table


def test_with_without_replace_edge_change_exactly_one_pair():
    m = Motif.parse("1_02")
    added = m.with_edge(0, 2, "skip")
    assert str(added) == "1_12"
    assert str(added.without_edge(0, 2)) == "1_02"
    assert str(added.replace_edge(0, 2, Op.LINEAR)) == "1_22"
    assert str(added.replace_edge(0, 2, "zero")) == "1_02"


@pytest.mark.parametrize("call, fragment", [
    (lambda m: m.with_edge(0, 1, "skip"), "already has a skip edge (0, 1); use replace_edge"),
    (lambda m: m.with_edge(0, 2, "zero"), "use without_edge"),
    (lambda m: m.without_edge(0, 2), "has no edge (0, 2) to remove"),
    (lambda m: m.replace_edge(0, 2, "skip"), "no edge (0, 2) to replace; use with_edge"),
    (lambda m: m.with_edge(2, 1, "skip"), "no pair (2, 1)"),
    (lambda m: m.with_edge(0, 3, "skip"), "no pair (0, 3) in a motif with nodes 0..2"),
    (lambda m: m.with_edge(0.0, 2, "skip"), "node indices must be ints"),
    (lambda m: m.with_edge(0, 2, "conv"), "unknown edge operation 'conv'"),
    (lambda m: m.then(42), "expected a Motif or a motif string"),
])
def test_bad_edits_say_what_is_wrong(call, fragment):
    with pytest.raises(MotifError) as err:
        call(Motif.parse("1_02"))
    assert fragment in str(err.value)


def test_numpy_integers_are_accepted_everywhere():
    i0, i2, skip = np.int64(0), np.int32(2), np.int8(1)
    m = Motif.from_edges(np.int64(3), {(np.int64(0), np.int16(1)): np.uint8(1), (i0 + 1, i2): np.int64(2)})
    assert str(m) == "1_02"
    assert str(m.with_edge(i0, i2, skip)) == "1_12"
    assert str(m.with_edge(i0, i2, skip).without_edge(i0, i2)) == "1_02"
    assert str(m.replace_edge(np.int64(1), i2, np.int64(1))) == "1_01"
    assert str(chain(np.int64(2))) == "2_02" and str(dense(np.uint16(3))) == "2_22"
    assert str(resnet(np.int64(1), block_depth=np.int64(2))) == "2_12"


@settings(max_examples=60)
@given(motifs(min_nodes=2, max_nodes=6))
def test_neighbours_are_every_motif_one_edge_away(m):
    table = edge_table(m)
    changes = list(m.neighbours())
    assert len(changes) == 2 * len(table)  # each pair can take each of the two other ops
    seen = set()
    for c in changes:
        assert isinstance(c, EdgeChange)
        new_table = edge_table(c.motif)
        diff = [p for p in table if table[p] != new_table[p]]
        assert diff == [(c.s, c.t)] and table[diff[0]] is c.old and new_table[diff[0]] is c.new
        seen.add(str(c.motif))
    assert len(seen) == len(changes)
    adds = list(m.neighbours(remove=False, replace=False))
    assert len(adds) == 2 * sum(op is Op.ZERO for op in table.values())
    assert all(c.old is Op.ZERO and c.new is not Op.ZERO for c in adds)


def convolve(a: dict[int, int], b: dict[int, int]) -> dict[int, int]:
    out: dict[int, int] = {}
    for (da, ca), (db, cb) in itertools.product(a.items(), b.items()):
        out[da + db] = out.get(da + db, 0) + ca * cb
    return out


@settings(max_examples=60)
@given(motifs(min_nodes=2, max_nodes=5), motifs(min_nodes=2, max_nodes=5))
def test_series_composition_multiplies_paths_and_adds_depths(a, b):
    c = a >> b
    assert c == a.then(b) and c == a.then(str(b))
    assert c.n_nodes == a.n_nodes + b.n_nodes - 1
    # every path through the series passes the junction: its depth is a depth of a plus one of b
    assert c.path_depth_counts() == {k: v for k, v in sorted(convolve(a.path_depth_counts(),
                                                                       b.path_depth_counts()).items())}
    # a's edges are kept, b's are shifted by a's output index, no edge joins a's inner nodes to b
    ta, tb, tc = edge_table(a), edge_table(b), edge_table(c)
    h = a.output
    for (s, t), op in tc.items():
        if t <= h:
            assert op is ta[(s, t)]
        elif s >= h:
            assert op is tb[(s - h, t - h)]
        else:
            assert op is Op.ZERO


def test_builders_have_the_paths_they_promise():
    for L in (1, 2, 5):
        assert chain(L).paths() == (L,)
        assert chain(L, "skip").paths() == (0,)
    for L in (1, 2, 3, 4):
        # each block offers the skip (depth 0) or the two linear edges (depth 2)
        assert resnet(L).path_depth_counts() == {2 * k: math.comb(L, k) for k in range(L + 1)}
        assert resnet(L).n_nodes == 2 * L + 1
    assert resnet(2, block_depth=3).path_depth_counts() == {0: 1, 3: 2, 6: 1}
    for n in (2, 3, 5, 7):
        m = dense(n)
        assert all(op is Op.LINEAR for op in edge_table(m).values())
        assert m.n_paths == 2 ** (n - 2)  # a path is a subset of the inner nodes
    assert chain(3, "zero").n_paths == 0  # a chain of zero edges is a motif without paths, not an error
    assert Motif.chain(3) == chain(3) and Motif.dense(4) == dense(4) and Motif.resnet(2) == resnet(2)


@pytest.mark.parametrize("call, fragment", [
    (lambda: chain(0), "depth must be at least 1"),
    (lambda: chain(2.5), "depth must be an int"),
    (lambda: resnet(1, block_depth=1), "block_depth must be at least 2"),
    (lambda: dense(1), "n_nodes must be at least 2"),
    (lambda: dense(65), "exceeds the maximum"),
    (lambda: resnet(40), "would have"),
])
def test_builder_errors(call, fragment):
    with pytest.raises(MotifError) as err:
        call()
    assert fragment in str(err.value)


def test_edits_and_composition_keep_edge_weights():
    m = Motif.parse("1_2(0.5)1")
    edited = m.without_edge(1, 2).with_edge(1, 2, "linear", weight=3.0)
    assert edited.weight(0, 2) == 0.5 and edited.weight(1, 2) == 3.0
    assert m.replace_edge(0, 2, "skip").weight(0, 2) == 0.5  # the op changes, the weight stays
    assert m.replace_edge(0, 2, "skip", weight=2.0).weight(0, 2) == 2.0
    assert not m.without_edge(0, 2).weighted  # a removed edge takes its weight with it
    c = Motif.parse("2") >> m
    assert c.n_nodes == 4 and c.weight(1, 3) == 0.5 and c.weight(0, 1) == 1.0
    assert str(m >> "2") == "1_2(0.5)1_002"
    with pytest.raises(MotifError, match="weight"):
        Motif.parse("1_02").with_edge(0, 2, "skip", weight=float("nan"))
