"""The motif model: parsing, paths, effective depth/width and bad input."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings

from dagnngp import MAX_NODES, Motif, MotifError, Op
from dagnngp.motif import MAX_LISTED_PATHS
from dagnngp.proofs_check.strategies import motifs


def brute_force_paths(m: Motif) -> list[int]:
    """Every input-to-output path by depth-first search, as the paper's code does."""
    found: list[int] = []

    def walk(node: int, depth: int) -> None:
        if node == m.output:
            found.append(depth)
            return
        for t in range(node + 1, m.n_nodes):
            op = m.op(node, t)
            if op is not Op.ZERO:
                walk(t, depth + (op is Op.LINEAR))

    walk(0, 0)
    return sorted(found)


@pytest.mark.parametrize("text", ["2_02_002", "1_01_222", "2_21_112", "1", "0_00", "2_21_112_2001"])
def test_parse_and_str_round_trip(text):
    assert str(Motif.parse(text)) == text
    assert Motif.parse(f"  {text} ") == Motif.parse(text)


def test_paper_example_dags():
    # spec §2.3 table: paths and their linear-edge counts
    dag1, dag2, dag3 = (Motif.parse(s) for s in ("2_02_002", "1_01_222", "2_21_112"))
    assert dag1.paths() == (3,) and dag1.n_paths == 1
    assert dag2.paths() == (1, 1, 1) and dag2.n_paths == 3
    assert dag3.paths() == (0, 1, 2, 2) and dag3.n_paths == 4
    assert [m.n_linear for m in (dag1, dag2, dag3)] == [3, 3, 3]
    # spec §4.1 effective depth and width
    assert dag1.effective_depth_width() == pytest.approx((3.0, 1 / 3))
    assert dag2.effective_depth_width() == pytest.approx((1.0, 3.0))
    assert dag3.effective_depth_width() == pytest.approx((1.25, 2.4))
    assert dag3.op(0, 3) is Op.SKIP and dag3.op(2, 3) is Op.LINEAR
    assert dag3.sources(3) == (0, 1, 2) and dag3.sources(3, Op.SKIP) == (0, 1)


def test_from_edges_matches_parse_and_accepts_names():
    edges = {(0, 1): "linear", (0, 2): 2, (1, 2): "skip", (0, 3): Op.SKIP, (1, 3): "identity",
             (2, 3): "relu"}
    assert Motif.from_edges(4, edges) == Motif.parse("2_21_112")
    assert str(Motif.from_edges(3, {})) == "0_00"


def test_effective_depth_width_conventions():
    assert Motif.parse("0_00").effective_depth_width() == (0.0, 0.0)  # no path
    assert Motif.parse("1_01_111").effective_depth_width() == (0.0, 0.0)  # d_bar = 0
    assert Motif.parse("0_00").paths() == ()


def test_reachability():
    m = Motif.parse("0_22_102")  # node 1 unreachable from 0, yet reaches the output
    assert m.reachable_from_input == frozenset({0, 2, 3})
    assert m.reaching_output == frozenset({0, 1, 2, 3})
    m = Motif.parse("2_20_000")  # nothing reaches the output but itself
    assert m.reaching_output == frozenset({3})


def test_number_of_four_node_motifs_with_a_path():
    # spec §2.2: 662 of the 729 four-node DAGs have an input-output path
    count = sum(
        Motif.parse("_".join(["".join(map(str, digits[:1])), "".join(map(str, digits[1:3])),
                              "".join(map(str, digits[3:]))])).n_paths > 0
        for digits in itertools.product(range(3), repeat=6)
    )
    assert count == 662


@settings(max_examples=200, deadline=None)
@given(motifs(max_nodes=8))
def test_paths_agree_with_depth_first_search(m):
    assert list(m.paths()) == brute_force_paths(m)
    assert Motif.parse(str(m)) == m
    # reachability agrees with path existence
    for t in range(m.n_nodes):
        sub = Motif(m.ops[:t]) if t >= 1 else None
        if sub is not None:
            assert (sub.n_paths > 0) == (t in m.reachable_from_input)


def test_large_motif_refuses_to_list_paths_but_counts_them():
    dense = Motif.from_edges(24, {(s, t): "skip" for t in range(24) for s in range(t)})
    assert dense.n_paths == 2**22
    assert dense.n_paths > MAX_LISTED_PATHS
    with pytest.raises(MotifError, match="path_depth_counts"):
        dense.paths()
    assert dense.path_depth_counts() == {0: 2**22}


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty motif string"),
        ("   ", "empty motif string"),
        ("2_31_112", "digit '3'"),
        ("2_2x_112", "character 'x'"),
        ("2_2_112", "group 2 ('2') has 1 digit"),
        ("2_21_1120", "group 3 ('1120') has 4 digit"),
        ("2__112", "group 2 (node 2) is empty"),
        ("2_-1_112", "character '-'"),
        ("_".join("0" * t for t in range(1, MAX_NODES + 1)), "maximum"),
    ],
)
def test_bad_strings(text, fragment):
    with pytest.raises(MotifError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        Motif.parse(text)


def test_bad_types_and_edges():
    with pytest.raises(MotifError, match="must be a str"):
        Motif.parse(212)  # type: ignore[arg-type]
    with pytest.raises(MotifError, match="self-loop"):
        Motif.from_edges(3, {(1, 1): "skip"})
    with pytest.raises(MotifError, match="goes backward"):
        Motif.from_edges(3, {(2, 1): "skip"})
    with pytest.raises(MotifError, match="outside 0..2"):
        Motif.from_edges(3, {(0, 3): "skip"})
    with pytest.raises(MotifError, match="unknown edge operation 'conv'"):
        Motif.from_edges(3, {(0, 1): "conv"})
    with pytest.raises(MotifError, match="unknown edge operation 7"):
        Motif.from_edges(3, {(0, 1): 7})
    with pytest.raises(MotifError, match="bool"):
        Motif.from_edges(3, {(0, 1): True})
    with pytest.raises(MotifError, match="at least 2 nodes"):
        Motif.from_edges(1, {})
    with pytest.raises(MotifError, match="exceeds the maximum"):
        Motif.from_edges(MAX_NODES + 1, {})
    with pytest.raises(MotifError, match="pair of ints"):
        Motif.from_edges(3, {(0, "1"): "skip"})
    with pytest.raises(MotifError, match="no edge"):
        Motif.parse("2_21").op(2, 1)
    with pytest.raises(MotifError, match="incoming ops"):
        Motif(((Op.SKIP,), (Op.SKIP,)))
    assert issubclass(MotifError, ValueError)
