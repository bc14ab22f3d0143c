"""NAS-Bench-201 cells as pre-activation motifs, their kernel scores, and the rank correlations."""

from __future__ import annotations

import csv
import gzip
import itertools
import json
import math

import numpy as np
import pytest

from dagnngp import MotifError
from dagnngp.cli import main
from dagnngp.nas import (
    KERNEL_SCORES,
    cell_kernel_scores,
    data_file,
    kernel_scores,
    nb201_kernel_motif,
    rank_correlation,
    score_gram,
    score_report,
    stack_cells,
)
from dagnngp.numerics import min_pair_gap, ntk

CHAIN = "|nor_conv_3x3~0|+|none~0|nor_conv_1x1~1|+|none~0|none~1|nor_conv_3x3~2|"
MIXED = "|nor_conv_3x3~0|+|skip_connect~0|avg_pool_3x3~1|+|none~0|nor_conv_1x1~1|skip_connect~2|"
DISCONNECTED = "|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|nor_conv_3x3~2|"


def test_ops_map_to_edges():
    assert str(nb201_kernel_motif(CHAIN)) == "2_02_002"
    assert str(nb201_kernel_motif(MIXED)) == "2_11_021"
    assert str(nb201_kernel_motif(MIXED, pool_weight=1 / 3)) == f"2_11({1 / 3!r})_021"
    assert nb201_kernel_motif(MIXED, pool_weight=0.5).weight(1, 2) == 0.5
    assert nb201_kernel_motif(MIXED, pool_weight=0.5).weight(0, 2) == 1.0  # skip_connect keeps 1
    with pytest.raises(MotifError, match="pool_weight"):
        nb201_kernel_motif(MIXED, pool_weight=0.0)


def test_stacked_cells_chain_the_output_into_the_next_input():
    m = stack_cells(nb201_kernel_motif(MIXED, pool_weight=0.5), 3)
    assert m.n_nodes == 10
    cell = nb201_kernel_motif(MIXED, 0.5)
    for k in range(3):
        copy = {(s - 3 * k, t - 3 * k, op, m.weight(s, t)) for s, t, op in m.edges() if s // 3 == k}
        assert copy == {(s, t, op, cell.weight(s, t)) for s, t, op in cell.edges()}
    K0 = score_gram(5)
    one = ntk(nb201_kernel_motif(CHAIN), K0, edge="pre", readout=False)
    two = ntk(stack_cells(nb201_kernel_motif(CHAIN), 2), K0, edge="pre", readout=False)
    assert np.allclose(two.nngp, ntk("2_02_002_0002_00002_000002", K0, edge="pre").nngp, rtol=1e-14)
    assert not np.allclose(one.ntk, two.ntk)
    with pytest.raises(MotifError):
        stack_cells("2", 0)


def _relu_maps(K):
    norm = np.sqrt(np.outer(np.diag(K), np.diag(K)))
    theta = np.arccos(np.clip(K / norm, -1, 1))
    np.fill_diagonal(theta, 0.0)
    value = norm / (2 * np.pi) * (np.sin(theta) + (np.pi - theta) * np.cos(theta))
    return value, (np.pi - theta) / (2 * np.pi)


def test_chain_cell_scores_match_a_closed_form():
    """Three ReLU-conv edges in a chain: K_t = 2 E[relu relu](K_{t-1}), Theta_t = 2 E[relu' relu'] Theta_{t-1}
    + K_t, by the arc-cosine formulas, with the diagonal angle set to exactly 0."""
    K0 = score_gram(6, 0.7, seed=3)
    K, T = K0, np.zeros_like(K0)
    for _ in range(3):
        f, df = _relu_maps(K)
        K, T = 2 * f, 2 * df * T + 2 * f
    T = T + K  # trained readout
    s = kernel_scores(nb201_kernel_motif(CHAIN), K0)
    for name, M in (("ntk", T), ("nngp", K)):
        lam = np.linalg.eigvalsh(M)
        assert s[f"{name}_cond"] == pytest.approx(np.linalg.cond(M), rel=1e-9)
        assert s[f"{name}_lambda_min"] == pytest.approx(lam[0], rel=1e-9)
        assert s[f"{name}_lambda_max"] == pytest.approx(lam[-1], rel=1e-12)
        assert s[f"{name}_lambda_min_norm"] == pytest.approx(lam[0] / np.mean(np.diag(M)), rel=1e-9)
        assert s[f"{name}_gap2_norm"] == pytest.approx(min_pair_gap(M)[0] / np.mean(np.diag(M)), rel=1e-9)


def test_pre_activation_differs_from_post_activation():
    K0 = score_gram(5)
    motif = nb201_kernel_motif(MIXED)
    pre = ntk(motif, K0, edge="pre").ntk
    post = ntk(motif, K0, edge="post").ntk
    assert not np.allclose(pre, post, rtol=1e-3)
    assert kernel_scores(motif, K0)["ntk_lambda_max"] == pytest.approx(np.linalg.eigvalsh(pre)[-1], rel=1e-12)


def test_disconnected_cells_score_nan_and_identical_motifs_share_scores():
    same = CHAIN.replace("nor_conv_1x1", "nor_conv_3x3")
    out = cell_kernel_scores([DISCONNECTED, CHAIN, same], score_gram(4))
    assert set(out) == set(KERNEL_SCORES)
    assert all(math.isnan(out[k][0]) for k in KERNEL_SCORES)
    assert all(out[k][1] == out[k][2] for k in KERNEL_SCORES)


def test_score_gram_is_fixed_and_valid():
    K0 = score_gram(8, 0.5, seed=0)
    assert np.array_equal(K0, score_gram(8, 0.5, seed=0)) and np.allclose(np.diag(K0), 1.0)
    off = K0[~np.eye(8, dtype=bool)]
    assert 0.2 < off.mean() < 0.8 and np.linalg.eigvalsh(K0)[0] > 0.1
    for bad in ({"n": 1}, {"correlation": 1.0}, {"correlation": -0.1}, {"n": 8, "dim": 4}):
        with pytest.raises(ValueError):
            score_gram(**bad)


def _tau_b(x, y):
    """Kendall's tau-b by counting all pairs (independent of scipy)."""
    conc = disc = tx = ty = 0
    for i, j in itertools.combinations(range(len(x)), 2):
        dx, dy = np.sign(x[i] - x[j]), np.sign(y[i] - y[j])
        if dx == 0 and dy == 0:
            continue
        if dx == 0:
            tx += 1
        elif dy == 0:
            ty += 1
        elif dx == dy:
            conc += 1
        else:
            disc += 1
    return (conc - disc) / math.sqrt((conc + disc + tx) * (conc + disc + ty))


def _avg_ranks(v):
    order = sorted(range(len(v)), key=lambda i: v[i])
    ranks = [0.0] * len(v)
    i = 0
    while i < len(v):
        j = i
        while j + 1 < len(v) and v[order[j + 1]] == v[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return np.array(ranks)


def _spearman(x, y):
    return float(np.corrcoef(_avg_ranks(list(x)), _avg_ranks(list(y)))[0, 1])


def test_rank_correlation_against_pair_counting_with_ties_nan_and_inf():
    rng = np.random.default_rng(5)
    x = rng.integers(0, 6, 40).astype(float)  # many ties
    y = x + rng.normal(0, 2, 40).round(0)
    x[3], x[7] = math.nan, math.inf
    r = rank_correlation(x, y)
    keep = ~np.isnan(x)
    xs = np.where(np.isinf(x[keep]), 1e9, x[keep])  # +inf ranks above every finite score
    assert r["n"] == 39
    assert r["kendall_tau"] == pytest.approx(_tau_b(xs, y[keep]), abs=1e-12)
    assert r["spearman_rho"] == pytest.approx(_spearman(xs, y[keep]), abs=1e-12)
    assert math.isnan(rank_correlation([1.0, 1.0, 1.0, 1.0], [1, 2, 3, 4])["kendall_tau"])
    with pytest.raises(ValueError):
        rank_correlation([1, 2, 3], [1, 2])


def _raw_rows(name):
    path = data_file(name)
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", newline="") as fh:
        return list(csv.DictReader(fh))


def test_report_on_a_subset_of_the_shipped_tables(shipped_data):
    limit = 60
    K0 = score_gram(6)
    rep = score_report(K0=K0, limit=limit, zero_cost_file=None)
    assert rep["settings"]["edge"] == "pre" and rep["settings"]["limit"] == limit
    acc_rows = _raw_rows("nb201_12epoch_accuracy.csv")[:limit]
    scores = cell_kernel_scores([r["arch_str"] for r in acc_rows], K0)
    acc = np.array([float(r["cifar10-test"]) for r in acc_rows])
    keep = ~np.isnan(scores["ntk_cond"])
    got = rep["accuracy"]["targets"]["cifar10-test"]["ntk_cond"]
    assert got["n"] == keep.sum() == limit - rep["accuracy"]["n_disconnected"]
    assert got["kendall_tau"] == pytest.approx(_tau_b(scores["ntk_cond"][keep], acc[keep]), abs=1e-12)
    # the proxies' own figures: same rows, straight from the CSV (the zero-cost table's one cell without
    # an input-output path is row 355 of each dataset)
    limit = 360
    proxies = ("nwot", "synflow", "flops")
    rep = score_report(None, K0=K0, limit=limit, proxies=proxies)
    zc = [r for r in _raw_rows("nb201_zero_cost_725.csv") if r["dataset"] == "cifar100"][:limit]
    connected = ~np.isnan(cell_kernel_scores([r["arch_str"] for r in zc], K0)["ntk_cond"])
    assert (~connected).sum() == rep["zero_cost"]["datasets"]["cifar100"]["n_disconnected"] == 1
    for proxy in proxies:
        rows = [r for r, c in zip(zc, connected, strict=True) if c and r[proxy].strip()]
        p = [float(r[proxy]) for r in rows]
        a = [float(r["val_accuracy"]) for r in rows]
        mine = rep["zero_cost"]["datasets"]["cifar100"]["proxies"][proxy]
        assert mine["n"] == len(rows)
        assert mine["kendall_tau"] == pytest.approx(_tau_b(p, a), abs=1e-12)
        assert mine["spearman_rho"] == pytest.approx(_spearman(p, a), abs=1e-12)


def test_cli_scores_json_and_text(capsys, shipped_data):
    assert main(["nas", "scores", "--limit", "25", "--inputs", "5", "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert set(rep["accuracy"]["targets"]) == {"cifar10-test", "cifar100-test", "imagenet-test"}
    assert set(rep["zero_cost"]["datasets"]) == {"cifar10", "cifar100", "ImageNet16-120"}
    assert set(rep["zero_cost"]["datasets"]["cifar10"]["kernel"]) == set(KERNEL_SCORES)
    assert "nwot" in rep["zero_cost"]["datasets"]["cifar10"]["proxies"]
    assert rep["settings"]["n_inputs"] == 5 and rep["settings"]["n_cells"] == 1
    assert main(["nas", "scores", "--limit", "25", "--no-accuracy", "--cells", "2"]) == 0
    out = capsys.readouterr().out
    assert "nwot (proxy)" in out and "ntk_cond" in out and "cifar10-test" not in out


def test_cli_scores_small_table(capsys, tmp_path):
    f = tmp_path / "acc.csv"
    rows = [CHAIN, MIXED, DISCONNECTED, "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|"
            "+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"]
    f.write_text("arch_str,top1\n" + "".join(f"{a},{i}\n" for i, a in enumerate(rows)))
    assert main(["nas", "scores", "--accuracy", str(f), "--no-zero-cost"]) == 2
    err = capsys.readouterr().err
    assert "cifar10-test" in err and err.count("\n") == 1  # the default accuracy columns are missing
    assert main(["nas", "scores", "--accuracy", str(f), "--no-zero-cost", "--acc-col", "top1", "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["accuracy"]["n_disconnected"] == 1 and rep["accuracy"]["targets"]["top1"]["ntk_cond"]["n"] == 3


@pytest.mark.parametrize("argv, fragment", [
    (["--no-accuracy", "--no-zero-cost"], "nothing to evaluate"),
    (["--correlation", "1.5"], "--correlation"),
    (["--limit", "2"], "--limit"),
    (["--pool-weight", "-1", "--limit", "5"], "pool_weight"),
    (["--accuracy", "no_such_table.csv", "--no-zero-cost"], "no_such_table.csv"),
])
def test_cli_scores_errors_are_one_line(capsys, argv, fragment):
    assert main(["nas", "scores", *argv]) != 0
    err = capsys.readouterr().err
    assert "error" in err and fragment in err and err.count("\n") == 1 and "Traceback" not in err
