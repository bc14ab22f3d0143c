"""Motif spaces: enumeration by index range, constraints, isomorphism classes and the block kernel."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from dagnngp.motif import Motif, MotifError
from dagnngp.numerics.motif_sweep import all_motifs, iter_motifs, sweep
from dagnngp.numerics.space_kernels import chunk_columns, column_names
from dagnngp.proofs_check.audit import merges_unequal_depths
from dagnngp.space import MotifSpace, canonical_indices, decode_range, encode_indices, index_of, structure
from dagnngp.space.enumerate import motif_of


# ------------------------------------------------------------------ ranges against the materialised space
@pytest.mark.parametrize("n", [3, 4, 5])
def test_ranges_equal_the_materialised_enumeration(n):
    space = MotifSpace(n)
    ranges = space.chunks(5 * space.block)
    assert ranges[0][0] == 0 and ranges[-1][1] == space.size
    assert all(b == c for (_, b), (c, _) in zip(ranges, ranges[1:], strict=False))
    stitched = np.concatenate([decode_range(n, a, b) for a, b in ranges])
    np.testing.assert_array_equal(stitched, all_motifs(n))
    np.testing.assert_array_equal(encode_indices(stitched), np.arange(space.size))


def test_indices_follow_motif_strings():
    strings = [str(m) for m in iter_motifs(4)]
    assert [str(motif_of(4, k)) for k in range(729)] == strings
    assert [index_of(s) for s in strings] == list(range(729))
    assert strings == sorted(strings)


@pytest.mark.parametrize("n", [4, 5])
def test_structure_matches_the_motif_model(n):
    codes = all_motifs(n)
    rng = np.random.default_rng(n)
    rows = np.arange(len(codes)) if n == 4 else rng.choice(len(codes), 1500, replace=False)
    st = structure(codes[rows])
    for j, k in enumerate(rows):
        m = motif_of(n, int(k))
        assert st["has_path"][j] == (m.n_paths > 0)
        assert st["n_linear"][j] == m.n_linear
        assert st["n_edges"][j] == sum(op != 0 for _, _, op in m.edges())
        assert st["max_in_degree"][j] == max(len(m.sources(t)) for t in range(1, n))
        assert st["merges_unequal"][j] == merges_unequal_depths(m)
        on_path = m.reachable_from_input & m.reaching_output
        want = sum(op == 2 and s in on_path and t in on_path for s, t, op in m.edges())
        assert st["n_linear_path"][j] == want


def test_constraints_select_what_they_say():
    sp = MotifSpace(5, has_path=True, n_linear=(1, 3), max_in_degree=2)
    idx, codes, w = sp.select(0, sp.size)
    assert np.all(w == 1)
    want = [k for k, m in enumerate(iter_motifs(5))
            if m.n_paths > 0 and 1 <= m.n_linear <= 3 and max(len(m.sources(t)) for t in range(1, 5)) <= 2]
    np.testing.assert_array_equal(idx, want)
    np.testing.assert_array_equal(codes, all_motifs(5)[want])
    assert MotifSpace(4, has_path=False).count() == 729 - 662


# ------------------------------------------------------------------ isomorphism classes, brute force
def _orbit(m: Motif) -> set[str]:
    """Every motif string that a relabelling of the intermediate nodes of ``m`` gives."""
    n = m.n_nodes
    out = set()
    for perm in itertools.permutations(range(1, n - 1)):
        new = (0, *perm, n - 1)
        try:
            out.add(str(Motif.from_edges(n, {(new[s], new[t]): op for s, t, op in m.edges() if op != 0})))
        except MotifError:  # an edge would point backwards: not a valid relabelling
            continue
    return out


@pytest.mark.parametrize("n", [4, 5])
def test_classes_against_brute_force_relabelling(n):
    codes = all_motifs(n)
    canon, size = canonical_indices(codes)
    rng = np.random.default_rng(0)
    rows = range(len(codes)) if n == 4 else rng.choice(len(codes), 2000, replace=False)
    for k in rows:
        orbit = _orbit(motif_of(n, int(k)))
        members = sorted(index_of(s) for s in orbit)
        assert canon[k] == members[0], str(motif_of(n, int(k)))
        assert size[k] == len(members)
        assert all(canon[j] == canon[k] for j in members)
    if n == 4:  # the classes partition the space, and the class sizes count their members
        reps = np.flatnonzero(canon == np.arange(len(codes)))
        assert size[reps].sum() == len(codes)
        assert len(reps) == len({frozenset(_orbit(motif_of(4, int(k)))) for k in range(len(codes))})


def test_class_space_counts_labelled_members():
    for kw in ({}, {"has_path": True}, {"n_linear": 2}):
        labelled = MotifSpace(5, **kw)
        classes = MotifSpace(5, classes=True, **kw)
        assert classes.count(weighted=True) == labelled.count()
        assert classes.count() < labelled.count()


def test_bad_spaces_are_refused():
    with pytest.raises(ValueError, match="out of range"):
        MotifSpace(9)
    with pytest.raises(ValueError, match="n_linear"):
        MotifSpace(4, n_linear="many")
    with pytest.raises(ValueError, match="inside"):
        decode_range(4, 700, 800)
    with pytest.raises(ValueError, match="chunk_size"):
        MotifSpace(4).chunks(0)


# ------------------------------------------------------------------ the block kernel against the sweep
@pytest.mark.parametrize("n", [4, 5])
@pytest.mark.parametrize("model,c_sigma,sigma_b", [("exact", 2.0, 0.0), ("paper", 2.0, 0.0),
                                                   ("exact", 1.5, 0.3)])
def test_block_kernel_equals_the_sweep(n, model, c_sigma, sigma_b):
    C = [-0.3, 0.0, 0.5, 0.95]
    size = 3 ** (n * (n - 1) // 2)
    cols = chunk_columns(n, 0, size, C, ("nngp", "rule12", "paths"), model, c_sigma, sigma_b)
    ref = sweep(n, C, model=model, c_sigma=c_sigma, sigma_b=sigma_b)
    paper = sweep(n, C, model="paper", c_sigma=c_sigma, sigma_b=sigma_b)
    for k, c in enumerate(C):
        lab = format(c, "g")
        np.testing.assert_allclose(cols[f"gap@{lab}"], ref.gap[:, k], rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(cols[f"rule12@{lab}"], ref.rule12[:, k], rtol=1e-13, atol=0)
        np.testing.assert_allclose(cols[f"paper_gap@{lab}"], paper.gap[:, k], rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(cols["diagonal"], ref.diagonal[:, 0], rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(cols["output_mean"], ref.output_mean[:, 0], rtol=1e-12, atol=1e-13)
    np.testing.assert_array_equal(cols["n_paths"], ref.n_paths)
    np.testing.assert_allclose(cols["d_bar"], ref.d_bar, rtol=1e-15)
    np.testing.assert_allclose(cols["m_bar"], ref.m_bar, rtol=1e-15)


def test_block_kernel_on_drawn_six_node_blocks():
    rng = np.random.default_rng(6)
    block = 3**5
    C = [0.0, 0.7]
    for b in rng.choice(3**10, 3, replace=False):
        a = int(b) * block
        cols = chunk_columns(6, a, a + block, C, ("nngp", "paths"))
        ref = sweep(decode_range(6, a, a + block), C)
        np.testing.assert_allclose(cols["gap@0.7"], ref.gap[:, 1], rtol=1e-12, atol=1e-13)
        np.testing.assert_array_equal(cols["n_paths"], ref.n_paths)


def test_scale_free_rates_against_eigenvalues():
    C = [0.5]
    cols = chunk_columns(4, 0, 729, C, ("nngp",))
    ref = sweep(4, C)
    for k in np.flatnonzero(ref.n_paths > 0):
        d, o = ref.diagonal[k, 0], ref.offdiagonal[k, 0]
        K = np.array([[d, o], [o, d]])
        lo, hi = np.linalg.eigvalsh(K)
        assert cols["gap_ratio@0.5"][k] == pytest.approx(lo / np.trace(K) * 2, rel=1e-9)
        assert cols["condition@0.5"][k] == pytest.approx(hi / lo, rel=1e-9)
    # a rate, unlike the gap, does not grow with the number of parallel skip paths: in the exact
    # model 1_11_111 outputs X1 + X2 + X0 = X0 + 2 X0 + X0 = 4 X0, a kernel 16 K0 (gap 16 (1 - C))
    assert cols["gap@0.5"][index_of("1_11_111")] == pytest.approx(16 * 0.5)
    assert cols["gap_ratio@0.5"][index_of("1_11_111")] == pytest.approx(0.5)
    assert cols["gap_ratio@0.5"][index_of("0_00_100")] == pytest.approx(0.5)


def test_kernel_refuses_bad_input():
    with pytest.raises(ValueError, match="multiples"):
        chunk_columns(4, 1, 28, [0.5])
    with pytest.raises(ValueError, match="distinct"):
        chunk_columns(4, 0, 27, [0.5, 0.50000001])
    with pytest.raises(ValueError, match="lie in"):
        chunk_columns(4, 0, 27, [1.5])
    with pytest.raises(ValueError, match="unknown plug-in"):
        column_names(["ntk?"], [0.5])


def test_ntk_plugin_against_the_engine_one_pair_at_a_time():
    from dagnngp.numerics import ntk, pair_gram

    C = [0.0, 0.5, 0.9]
    motifs = ["2_21_112", "1_12_002", "2_02_002", "0_12_102"]
    rows = np.array([index_of(s) for s in motifs])
    cols = chunk_columns(4, 0, 729, C, ("ntk",), rows=rows)
    for s, k in zip(motifs, rows, strict=True):
        for c in C:
            K0, mu0 = pair_gram(c)
            theta = ntk(s, K0, mu0).ntk
            lo = np.linalg.eigvalsh(theta)[0]
            assert cols[f"ntk_gap@{c:g}"][k] == pytest.approx(lo, rel=1e-10)
            assert cols[f"ntk_gap_ratio@{c:g}"][k] == pytest.approx(lo / theta[0, 0], rel=1e-10)
    others = np.setdiff1d(np.arange(729), rows)
    assert np.all(np.isnan(cols["ntk_gap@0.5"][others]))  # only the rows asked for are computed


@pytest.mark.parametrize("sigma_b", [0.0, 0.6])
@pytest.mark.parametrize("model", ["exact", "paper"])
def test_pre_activation_sweeps_match_the_engine(model, sigma_b):
    # the compiled sweep and block kernels with edge="pre" against nngp(..., edge="pre") on every 4-node motif
    from dagnngp.numerics import nngp, pair_gram
    from dagnngp.numerics.space_kernels import c_label

    Cs = [-0.4, 0.3, 0.95]
    res = sweep(4, Cs, model=model, sigma_b=sigma_b, edge="pre")
    cols = chunk_columns(4, 0, 729, Cs, plugins=("nngp",), model=model, sigma_b=sigma_b, edge="pre")
    for k in range(729):
        for ci, c in enumerate(Cs):
            K = nngp(motif_of(4, k), pair_gram(c)[0], model=model, sigma_b=sigma_b, edge="pre",
                     backend="numpy").output
            ref = K[0, 0] - abs(K[0, 1])
            assert res.gap[k, ci] == pytest.approx(ref, rel=1e-12, abs=1e-13)
            assert cols[f"gap@{c_label(c)}"][k] == pytest.approx(ref, rel=1e-12, abs=1e-13)
