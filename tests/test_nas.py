"""NAS side: cell parsing, effective depth/width, spaces, filter, supernets, evaluation."""

from __future__ import annotations

import doctest
import importlib
import math
from collections import Counter
from fractions import Fraction

import numpy as np
import pytest

from dagnngp import Motif, MotifError
from dagnngp.nas import (
    CODE_BOX_NB201,
    DARTS_V1_NORMAL,
    DARTS_V2_NORMAL,
    NB201_EDGES,
    PAPER_BOX_NB201,
    PAPER_CENTER_DARTS,
    PAPER_CENTER_NB201,
    DartsCell,
    DataError,
    FilterError,
    SearchError,
    box_filter,
    center_radius,
    darts_class_space,
    darts_space_points,
    effective_depth_width_darts,
    effective_depth_width_nb201,
    effective_depth_width_prob,
    motif_or_nb201,
    multiple_correlation,
    nb201_space,
    nb201_space_points,
    nb201_supernet_probs,
    parse_darts,
    parse_nb201,
    pre_reserve,
    read_columns,
    reserve_near_centroid,
    simulate_search,
    table_report,
)

# spec section 4.2: the 32 (d_bar, m_bar) values of NAS-Bench-201 and their counts
SPEC_NB201_COUNTS = {
    (Fraction(0), Fraction(0)): 1983, (Fraction(1, 4), Fraction(4)): 256,
    (Fraction(1, 3), Fraction(3)): 512, (Fraction(1, 2), Fraction(2)): 1616,
    (Fraction(1, 2), Fraction(4)): 512, (Fraction(2, 3), Fraction(3, 2)): 128,
    (Fraction(2, 3), Fraction(3)): 800, (Fraction(3, 4), Fraction(8, 3)): 256,
    (Fraction(3, 4), Fraction(4)): 512, (Fraction(1), Fraction(1)): 1746,
    (Fraction(1), Fraction(2)): 1904, (Fraction(1), Fraction(3)): 992,
    (Fraction(1), Fraction(4)): 192, (Fraction(5, 4), Fraction(12, 5)): 448,
    (Fraction(5, 4), Fraction(16, 5)): 320, (Fraction(4, 3), Fraction(3, 2)): 288,
    (Fraction(4, 3), Fraction(9, 4)): 544, (Fraction(3, 2), Fraction(2, 3)): 16,
    (Fraction(3, 2), Fraction(4, 3)): 704, (Fraction(3, 2), Fraction(2)): 192,
    (Fraction(3, 2), Fraction(8, 3)): 320, (Fraction(5, 3), Fraction(6, 5)): 64,
    (Fraction(5, 3), Fraction(9, 5)): 384, (Fraction(7, 4), Fraction(12, 7)): 64,
    (Fraction(7, 4), Fraction(16, 7)): 192, (Fraction(2), Fraction(1, 2)): 256,
    (Fraction(2), Fraction(1)): 128, (Fraction(2), Fraction(3, 2)): 160,
    (Fraction(2), Fraction(2)): 64, (Fraction(7, 3), Fraction(9, 7)): 32,
    (Fraction(5, 2), Fraction(4, 5)): 32, (Fraction(3), Fraction(1, 3)): 8,
}

RESNET = "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|"
ALL_CONV = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"
ALL_SKIP = "|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|skip_connect~2|"
C10_BEST = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"


@pytest.fixture(scope="module")
def nb201_points() -> np.ndarray:
    return nb201_space_points()


@pytest.fixture(scope="module")
def darts_points() -> np.ndarray:
    return darts_space_points()


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


# --------------------------------------------------------------- cells (spec 4.1)
@pytest.mark.parametrize(
    ("arch", "paths", "expected"),
    [
        (RESNET, (0, 2), (1.0, 1.0)),
        (ALL_CONV, (1, 2, 2, 3), (2.0, 2.0)),
        (ALL_SKIP, (0, 0, 0, 0), (0.0, 0.0)),
        (C10_BEST, (0, 2, 2, 3), (1.75, 12 / 7)),
    ],
)
def test_nb201_reference_cells(arch, paths, expected):
    cell = parse_nb201(arch)
    assert cell.motif.paths() == paths
    d, m = effective_depth_width_nb201(arch)
    assert _close(d, expected[0]) and _close(m, expected[1])
    assert motif_or_nb201(arch) == cell.motif
    assert cell.arch_str == arch


def test_nb201_op_labels_and_classes():
    cell = parse_nb201("|avg_pool_3x3~0|+|nor_conv_1x1~0|none~1|+|skip_connect~0|nor_conv_3x3~1|none~2|")
    assert cell.label(0, 1) == "avg_pool_3x3" and cell.label(1, 3) == "nor_conv_3x3"
    assert [c.name for c in cell.classes[2]] == ["NONPARAM", "PARAM", "NONE"]
    assert str(cell.motif) == "1_20_120"  # pool -> skip, conv -> linear, none -> zero


def test_paper_dags_reference():
    # spec 4.1 rows DAG#1..#3
    assert Motif.parse("2_02_002").effective_depth_width() == (3.0, 1 / 3)
    assert Motif.parse("1_01_222").effective_depth_width() == (1.0, 3.0)
    assert Motif.parse("2_21_112").effective_depth_width() == (1.25, 2.4)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty"),
        ("|nor_conv_3x3~0", "must start and end with '|'"),
        ("|conv5~0|", "unknown op 'conv5'"),
        ("|nor_conv_3x3~1|", "source node 1 is not before target node 1"),
        ("|nor_conv_3x3|", "'op~source'"),
        ("|nor_conv_3x3~x|", "is not a node index"),
        ("|none~0|+|none~0|", "lacks source node(s) [1]"),
        ("|none~0|+|none~0|none~0|", "appears twice"),
        ("|none~0|+|none~0|skip_connect~1|+|none~0|bogus~1|none~2|", "group 3 token 'bogus~1'"),
    ],
)
def test_nb201_bad_strings(text, fragment):
    with pytest.raises(MotifError) as info:
        parse_nb201(text)
    assert fragment in str(info.value)
    assert isinstance(info.value, ValueError)


def test_motif_or_nb201_routes_nb201_errors():
    with pytest.raises(MotifError, match="unknown op 'xx'"):
        motif_or_nb201("|xx~0|")
    # the motif grammar itself knows nothing of NAS-Bench-201 and says where to look
    with pytest.raises(MotifError, match="looks like a NAS-Bench-201 cell"):
        Motif.parse("|nor_conv_3x3~0|")


@pytest.mark.parametrize("text", ["|nor_conv_3x3~²|", "|nor_conv_3x3~" + "0" * 5000 + "|",
                                  "+".join(["|none~0|"] * 100)])
def test_nb201_bad_indices_and_oversize(text):
    with pytest.raises(MotifError) as info:
        parse_nb201(text)
    assert len(str(info.value)) < 400


# --------------------------------------------------------------- NAS-Bench-201 space (spec 4.2)
def test_nb201_space_32_points_with_spec_counts(nb201_points):
    assert len(nb201_space()) == 15625 == len(nb201_points)
    got = Counter()
    for d, m in nb201_points:
        key = (Fraction(d).limit_denominator(12), Fraction(m).limit_denominator(12))
        assert _close(float(key[0]), d) and _close(float(key[1]), m)
        got[key] += 1
    assert dict(got) == SPEC_NB201_COUNTS


def test_nb201_center_radius(nb201_points):
    c = center_radius(nb201_points)
    assert _close(c.center[0], 1.625) and _close(c.center[1], 13 / 6)
    assert _close(c.half_radius[0], 0.6875) and _close(c.half_radius[1], 11 / 12)
    # rounded, these are the paper's constants
    assert [round(v, 1) for v in (*c.center, *c.half_radius)] == [1.6, 2.2, 0.7, 0.9]
    z = center_radius(nb201_points, exclude_zero_depth=False)
    assert (z.center, z.half_radius) == ((1.5, 2.0), (0.75, 1.0))


def test_nb201_kept_counts(nb201_points):
    assert int(PAPER_BOX_NB201.mask(nb201_points).sum()) == 6256
    assert int(box_filter(nb201_points, PAPER_CENTER_NB201).sum()) == 6256
    assert int(CODE_BOX_NB201.mask(nb201_points).sum()) == 8226


@pytest.mark.parametrize(
    ("fraction", "rounded", "exact"),
    [(1.0, 13634, 13642), (0.75, 9730, 9762), (0.5, 6256, 6256), (0.25, 1760, 1376)],
)
def test_table3_ablation_counts(nb201_points, fraction, rounded, exact):
    assert int(box_filter(nb201_points, PAPER_CENTER_NB201, fraction).sum()) == rounded
    assert int(box_filter(nb201_points, center_radius(nb201_points), fraction).sum()) == exact


# --------------------------------------------------------------- DARTS (spec 4.1, 4.2)
def test_darts_reference_cells():
    d, m = effective_depth_width_darts(DARTS_V2_NORMAL)
    assert _close(d, 1.0) and _close(m, 7.0)
    assert parse_darts(DARTS_V2_NORMAL).motif.n_paths == 9
    d, m = effective_depth_width_darts(DARTS_V1_NORMAL)
    assert _close(d, 7 / 9) and _close(m, 9.0)
    text = "Genotype(normal=" + repr(list(DARTS_V2_NORMAL)) + ", normal_concat=[2, 3, 4, 5], reduce=[])"
    assert parse_darts(text) == DartsCell(DARTS_V2_NORMAL)


def _code_darts_paths(normal):
    """The public code's DARTS path logic (spec 6.3), written out independently: a 7x7
    from->to table, DFS from input 0 with node 1 deleted and from input 1 with node 0 deleted."""
    value = {"sep_conv_3x3": 1, "skip_connect": 0, "none": -1, "max_pool_3x3": 0, "dil_conv_3x3": 1}
    aff = [[-1] * 7 for _ in range(7)]
    for j in range(2, 6):
        aff[j][6] = 0
    for k, (op, src) in enumerate(normal):
        aff[src][2 + k // 2] = value[op]
    depths = []
    for start, deleted in ((0, 1), (1, 0)):
        def walk(u, d, deleted=deleted):
            if u == 6:
                depths.append(d)
                return
            for v in range(u + 1, 7):
                if v != deleted and aff[u][v] >= 0:
                    walk(v, d + aff[u][v])
        walk(start, 0)
    total = sum(depths)
    if total == 0:
        return (0.0, 0.0)
    mean = total / len(depths)
    return (mean, sum(d > 0 for d in depths) / mean)


def test_darts_vectorised_matches_code_logic(darts_points):
    inputs, classes = darts_class_space()
    assert inputs.shape == (46080, 8)
    rng = np.random.default_rng(7)
    names = {0: "skip_connect", 1: "sep_conv_3x3"}
    for i in rng.integers(0, len(inputs), 400):
        normal = tuple((names[int(c)], int(s)) for s, c in zip(inputs[i], classes[i], strict=True))
        ref = _code_darts_paths(normal)
        assert np.allclose(darts_points[i], ref, rtol=1e-12, atol=0)
        assert np.allclose(DartsCell(normal).effective_depth_width(), ref, rtol=1e-12, atol=0)
    with_none = (("none", 0), ("sep_conv_3x3", 1), ("max_pool_3x3", 0), ("dil_conv_3x3", 2),
                 ("sep_conv_3x3", 1), ("none", 3), ("skip_connect", 0), ("sep_conv_3x3", 4))
    assert np.allclose(effective_depth_width_darts(with_none), _code_darts_paths(with_none))


def test_darts_space_extremes_vs_paper(darts_points):
    c = center_radius(darts_points)
    nz = darts_points[darts_points[:, 0] > 0]
    # spec 4.2: d in [0.0625, 2.444], m in [5.87, 18]; centre (1.25, 11.93) +- (0.60, 3.03)
    assert _close(nz[:, 0].min(), 1 / 16) and _close(nz[:, 0].max(), 22 / 9)
    assert math.isclose(nz[:, 1].min(), 5.8667, abs_tol=1e-4) and _close(nz[:, 1].max(), 18.0)
    assert [round(v, 2) for v in (*c.center, *c.half_radius)] == [1.25, 11.93, 0.60, 3.03]
    # the discrepancy with the published constants (1.5, 10.5) +- (0.7, 4.8)
    assert PAPER_CENTER_DARTS.center == (1.5, 10.5) and PAPER_CENTER_DARTS.half_radius == (0.7, 4.8)
    assert abs(c.center[1] - 10.5) > 1.0 and abs(c.half_radius[1] - 4.8) > 1.5
    print(f"DARTS computed centre {c.center} half-radius {c.half_radius}; paper (1.5, 10.5) +- (0.7, 4.8)")


@pytest.mark.parametrize(
    ("genotype", "fragment"),
    [
        ([("sep_conv_3x3", 0)], "two (op, input) pairs per intermediate node"),
        ([("sep_conv_3x3", 0), ("sep_conv_3x3", 2)], "input 2 is not an earlier node"),
        ([("sep_conv_3x3", 0), ("sep_conv_3x3", 0)], "takes input 0 twice"),
        ([("foo", 0), ("sep_conv_3x3", 1)], "unknown op 'foo'"),
        ("[('sep_conv_3x3', 0), ", "cannot read the DARTS genotype"),
        (42, "list of (op, input) pairs"),
    ],
)
def test_darts_bad_input(genotype, fragment):
    with pytest.raises(MotifError) as info:
        parse_darts(genotype)
    assert fragment in str(info.value)


# --------------------------------------------------------------- supernet (spec 6.4)
NB201_NONNONE = ["skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]


def test_prob_full_supernet():
    probs = nb201_supernet_probs({e: NB201_NONNONE for e in NB201_EDGES})
    d, m = effective_depth_width_prob(probs, 4)
    assert _close(d, 1.0) and _close(m, 2.875)


def test_prob_reduces_to_definition_on_single_cells(nb201_points):
    cells = nb201_space()
    rng = np.random.default_rng(3)
    for i in rng.integers(0, len(cells), 300):
        cell = cells[i]
        alive = {e: [cell.label(*e)] for e in NB201_EDGES if cell.label(*e) != "none"}
        got = effective_depth_width_prob(nb201_supernet_probs(alive), 4)
        assert np.allclose(got, nb201_points[i], rtol=1e-12, atol=1e-15)
    # DARTS single cell, two sources pooled
    probs = {}
    for k, (op, src) in enumerate(DARTS_V1_NORMAL):
        probs[(src, 2 + k // 2)] = (0, 1, 0) if op == "skip_connect" else (0, 0, 1)
    for j in range(2, 6):
        probs[(j, 6)] = (0, 1, 0)
    assert np.allclose(effective_depth_width_prob(probs, 7, sources=(0, 1)), (7 / 9, 9.0))


def test_prob_spec_cell_conv_skip():
    # spec 6.4: [conv3, skip, conv3, skip, conv1, pool] gives (1.0, 2.0)
    ops = ["nor_conv_3x3", "skip_connect", "nor_conv_3x3", "skip_connect", "nor_conv_1x1", "avg_pool_3x3"]
    alive = {e: [o] for e, o in zip(NB201_EDGES, ops, strict=True)}
    assert effective_depth_width_prob(nb201_supernet_probs(alive), 4) == (1.0, 2.0)


def test_prob_bad_input():
    with pytest.raises(MotifError, match="summing to 1"):
        effective_depth_width_prob({(0, 1): (0.5, 0.5, 0.5)}, 2)
    with pytest.raises(MotifError, match="not a forward pair"):
        effective_depth_width_prob({(1, 0): (0, 1, 0)}, 2)
    with pytest.raises(MotifError, match="not a searchable NAS-Bench-201 edge"):
        nb201_supernet_probs({(0, 5): ["skip_connect"]})


def test_reservation_ties_and_order():
    # round 1 on NAS-Bench-201: four equidistant candidates; lower index wins
    alive = {e: list(NB201_NONNONE) for e in NB201_EDGES}
    assert pre_reserve(alive, (0, 3), 2) == ("skip_connect", "nor_conv_1x1")
    alive[(0, 3)] = ["nor_conv_3x3", "avg_pool_3x3", "skip_connect", "nor_conv_1x1"]
    assert pre_reserve(alive, (0, 3), 2) == ("nor_conv_3x3", "avg_pool_3x3")
    # exact tie between 0 and 1 (mirror images about the centroid): the lower index wins
    assert reserve_near_centroid([[0, 0], [2, 0], [1, 0.1], [1, 3]], 2) == (0, 2)
    assert reserve_near_centroid([[0, 0], [4, 0], [1, 0], [3, 0]], 2) == (2, 3)
    with pytest.raises(MotifError, match="cannot reserve 5 of 4"):
        reserve_near_centroid([[0, 0], [4, 0], [1, 0], [3, 0]], 5)


# --------------------------------------------------------------- filter bad input
def test_filter_bad_input():
    with pytest.raises(FilterError, match=r"\(n, 2\)"):
        center_radius([1.0, 2.0])
    with pytest.raises(FilterError, match="exclude_zero_depth=False"):
        center_radius([[0.0, 0.0]])
    with pytest.raises(FilterError, match="lo <= hi"):
        PAPER_BOX_NB201.__class__(2.0, 1.0, 0.0, 1.0)
    with pytest.raises(FilterError, match="radius fraction"):
        PAPER_CENTER_NB201.box(-1)
    with pytest.raises(FilterError, match="NaN"):
        PAPER_BOX_NB201.mask(np.array([[np.nan, 1.0]]))


# --------------------------------------------------------------- evaluation
def test_multiple_correlation_matches_closed_form():
    rng = np.random.default_rng(11)
    x = rng.normal(size=(200, 2))
    x[:, 1] += 0.5 * x[:, 0]
    y = x @ [1.0, -2.0] + rng.normal(size=200)
    corr = np.corrcoef(np.column_stack([x, y]), rowvar=False)
    c, rxx = corr[:2, 2], corr[:2, :2]
    expected = math.sqrt(c @ np.linalg.solve(rxx, c))
    assert math.isclose(multiple_correlation(y, x), expected, rel_tol=1e-10)
    with pytest.raises(DataError, match="constant"):
        multiple_correlation([1.0, 1.0, 1.0], [[0, 1], [1, 2], [2, 0]])


def test_table_report_groups_and_boxes():
    table = {
        "arch": [ALL_CONV, ALL_CONV, RESNET, ALL_SKIP, "2_02_002"],
        "acc": [90.0, 92.0, 80.0, 10.0, 50.0],
    }
    rep = table_report(table, "arch", "acc", box="paper")
    groups = {(g["dbar"], g["mbar"]): g for g in rep["groups"]}
    assert groups[(2.0, 2.0)]["count"] == 2 and groups[(2.0, 2.0)]["mean"] == 91.0
    assert math.isclose(groups[(2.0, 2.0)]["std"], math.sqrt(2.0))
    assert groups[(0.0, 0.0)]["std"] is None
    assert rep["inside"]["count"] == 2 and rep["outside"]["count"] == 3
    assert rep["inside"]["mean"] == 91.0 and rep["outside"]["mean"] == pytest.approx(140 / 3)
    assert rep["R_method"] == "cells" and 0 <= rep["R"] <= 1
    with pytest.raises(DataError, match="no column 'nope'"):
        table_report(table, "nope", "acc")
    with pytest.raises(DataError, match="row 1, column 'arch'"):
        table_report({"arch": [ALL_CONV, "|bad~0|"], "acc": [1.0, 2.0]}, "arch", "acc")
    with pytest.raises(DataError, match="fixed bounds"):
        table_report(table, "arch", "acc", box="code", radius_fraction=0.25)


def test_read_columns_errors(tmp_path):
    f = tmp_path / "t.csv"
    f.write_text("arch,acc,ds\n2_02_002,50,a\n2_22_222,,a\n1_11_111,x,b\n")
    with pytest.raises(DataError, match="line 3, column 'acc': empty value"):
        read_columns(f, ["arch"], ["acc"])
    with pytest.raises(DataError, match=r"line 4, column 'acc': 'x' is not a number"):
        read_columns(f, ["arch"], ["acc"], drop_missing=True)
    got = read_columns(f, ["arch"], ["acc"], where={"ds": "a"}, drop_missing=True)
    assert got["arch"] == ["2_02_002"] and got["_dropped"] == [1] and got["_line"] == [2]
    with pytest.raises(DataError, match="no column.*'accuracy'.*columns are arch, acc, ds"):
        read_columns(f, ["arch"], ["accuracy"])
    with pytest.raises(DataError, match="no row has ds = 'c'; values present: a, b"):
        read_columns(f, ["arch"], [], where={"ds": "c"})
    with pytest.raises(FileNotFoundError, match="no file"):
        read_columns(tmp_path / "missing.csv", ["arch"], [])


def test_simulate_search_logic():
    # cell 0 has the best score but is filtered out; cell 1 is the best kept
    scores = np.array([10.0, 5.0, 1.0])
    acc = np.array([20.0, 90.0, 50.0])
    keep = np.array([False, True, True])
    rep = simulate_search(scores, acc, keep, runs=200, samples=50, seed=0)
    # with 50 samples from 3 cells every run contains all three (miss prob ~ 3 (2/3)^50)
    assert rep["methods"]["score"]["mean"] == 20.0
    assert rep["methods"]["score+filter"]["mean"] == 90.0
    assert rep["methods"]["oracle"]["mean"] == 90.0
    assert rep["methods"]["score+filter"]["evaluations_per_run"] == pytest.approx(
        50 * (1 - rep["saved_fraction"]))
    again = simulate_search(scores, acc, keep, runs=200, samples=50, seed=0)
    assert again == rep
    with pytest.raises(SearchError, match="boolean"):
        simulate_search(scores, acc, np.array([0, 1, 1]))
    with pytest.raises(SearchError, match="NaN"):
        simulate_search([np.nan, 1, 2], acc, keep)
    with pytest.raises(SearchError, match="runs must be an integer"):
        simulate_search(scores, acc, keep, runs=1)


@pytest.mark.parametrize(
    "module",
    ["cells", "darts", "filter", "supernet", "evaluate", "search", "plot"],
)
def test_doctests(module):
    mod = importlib.import_module(f"dagnngp.nas.{module}")
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
