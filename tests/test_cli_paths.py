"""Command-line and API paths that had no test: options of `nas`, `mc`, `derive`, `check`, `report`, the
DARTS reservation and the validation of raw inputs.

Expected values come from the specification (sections 2.4, 3, 4.2) or from arguments independent of the
code under test (scipy's t quantile, symmetry of the reservation, the definition of c_sigma and sigma_b).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats

from dagnngp.cli import main
from dagnngp.nas import pre_reserve
from dagnngp.nas.supernet import DARTS_EDGES
from dagnngp.numerics import inputs_to_gram

ARCH = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"


def run_json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


# ------------------------------------------------------------------------------ nas
def test_nas_space_nb201_matches_the_spec_counts_and_centre(capsys):
    out = run_json(capsys, ["nas", "space", "nb201", "--json"])
    assert out["n_cells"] == 15625 and out["n_zero_depth"] == 1983  # spec 4.2
    assert out["n_distinct_points"] == 32
    # spec 4.2: centre (1.625, 2.1667), half-radius (0.6875, 0.9167), 4 decimals
    assert out["computed"]["center"] == pytest.approx([1.625, 2.1666667], abs=5e-5)
    assert out["computed"]["half_radius"] == pytest.approx([0.6875, 0.9166667], abs=5e-5)
    assert out["kept"]["code box"] == 8226 and out["kept"]["paper x0.5r"] == 6256  # spec 4.2 counts
    with_zero = run_json(capsys, ["nas", "space", "nb201", "--include-zero-depth", "--json"])
    assert with_zero["d_range"][0] == 0.0 < out["d_range"][0]


@pytest.mark.parametrize(
    ("arch", "space", "motif", "dbar"),
    [("2_21_112", "motif", "2_21_112", 1.25),  # spec 3: DAG#3 has d_bar = 1.25, m_bar = 2.4
     (ARCH, "nb201", "2_22_122", 1.75)],
)
def test_nas_cell_with_an_explicit_space(capsys, arch, space, motif, dbar):
    out = run_json(capsys, ["nas", "cell", arch, "--space", space, "--json"])
    assert out["space"] == space and out["motif"] == motif and out["dbar"] == pytest.approx(dbar)


def test_nas_cell_wrong_space_is_a_one_line_error(capsys):
    assert main(["nas", "cell", "2_21_112", "--space", "nb201"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.strip().count("\n") == 0


@pytest.fixture
def nb201_csv(tmp_path):
    rows = [
        (ARCH, "91.0"),
        ("|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|", "80.0"),
        ("|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|skip_connect~2|",
         "10.0"),
        ("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|",
         ""),  # a missing accuracy
    ]
    f = tmp_path / "cells.csv"
    f.write_text("arch_str,acc\n" + "".join(f'"{a}",{v}\n' for a, v in rows))
    return f


def test_nas_table_drop_missing_skips_only_the_empty_row(capsys, nb201_csv):
    assert main(["nas", "table", str(nb201_csv), "--acc-col", "acc"]) == 2
    assert "--drop-missing" in capsys.readouterr().err
    rep = run_json(capsys, ["nas", "table", str(nb201_csv), "--acc-col", "acc", "--drop-missing", "--json"])
    assert rep["n_cells"] == 3


@pytest.mark.parametrize("fraction", [1.0, 0.25])
def test_nas_table_radius_fraction_scales_the_paper_box(capsys, nb201_csv, fraction):
    rep = run_json(capsys, ["nas", "table", str(nb201_csv), "--acc-col", "acc", "--drop-missing",
                            "--radius-fraction", str(fraction), "--json"])
    # spec 4.2: NAS-Bench-201 centre (1.6, 2.2), half-radius r/2 = (0.7, 0.9); the box is
    # centre +- fraction * r (the default fraction 1/2 gives the paper's [0.9, 2.3] x [1.3, 3.1])
    r = (1.4, 1.8)
    assert rep["box"]["d"] == pytest.approx([1.6 - r[0] * fraction, 1.6 + r[0] * fraction])
    assert rep["box"]["m"] == pytest.approx([2.2 - r[1] * fraction, 2.2 + r[1] * fraction])


def test_nas_table_space_option_reads_motif_strings(capsys, tmp_path):
    f = tmp_path / "motifs.csv"
    f.write_text("arch_str,acc\n2_21_112,1.0\n2_02_002,2.0\n1_01_222,3.0\n")
    rep = run_json(capsys, ["nas", "table", str(f), "--acc-col", "acc", "--space", "motif", "--json"])
    assert rep["n_cells"] == 3
    assert main(["nas", "table", str(f), "--acc-col", "acc", "--space", "nb201"]) == 2
    assert "Traceback" not in capsys.readouterr().err


# ----------------------------------------------------------------------- DARTS reservation
DARTS_OPS = ["max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3",
             "dil_conv_5x5"]


def test_darts_reservation_keeps_the_majority_class_nearest_the_centroid():
    # Pools and skip count as skip-like, convolutions as linear.  Removing any of the four convolutions
    # gives one point and removing any of the three skip-likes another; the centroid of the seven points
    # lies 4/7 of the way towards the convolution point, so convolutions are reserved, ties going to the
    # op listed first.
    alive = {e: list(DARTS_OPS) for e in DARTS_EDGES}
    assert pre_reserve(alive, (0, 2), 2, space="darts") == ("sep_conv_3x3", "sep_conv_5x5")
    assert pre_reserve(alive, (1, 5), 3, space="darts") == ("sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3")
    alive[(0, 2)] = DARTS_OPS[::-1]
    assert pre_reserve(alive, (0, 2), 2, space="darts") == ("dil_conv_5x5", "dil_conv_3x3")
    # with three convolutions and four skip-likes the majority flips
    alive[(2, 4)] = ["sep_conv_3x3", "max_pool_3x3", "avg_pool_3x3", "skip_connect", "skip_connect",
                     "dil_conv_3x3", "dil_conv_5x5"]
    assert pre_reserve(alive, (2, 4), 1, space="darts") == ("max_pool_3x3",)


def test_darts_reservation_rejects_bad_edges_and_spaces():
    from dagnngp.motif import MotifError

    alive = {e: list(DARTS_OPS) for e in DARTS_EDGES}
    with pytest.raises(MotifError, match="not a searchable DARTS edge"):
        pre_reserve({**alive, (0, 1): ["skip_connect"]}, (0, 2), 1, space="darts")
    with pytest.raises(MotifError, match="space must be 'nb201' or 'darts'"):
        pre_reserve(alive, (0, 2), 1, space="enas")


# ------------------------------------------------------------------------------- mc, derive
def test_mc_alpha_sets_the_bonferroni_threshold(capsys):
    data = run_json(capsys, ["mc", "2_02_002", "--width", "256", "--draws", "6", "--alpha", "0.3", "--json"])
    assert data["alpha"] == 0.3
    want = stats.t.ppf(1 - 0.3 / (2 * 3), df=5)  # 3 entries of a 2x2 Gram, 5 degrees of freedom
    assert data["threshold"] == pytest.approx(want, rel=1e-12)
    for bad in ("0", "1.5"):
        assert main(["mc", "2_02_002", "--alpha", bad]) == 2
        assert "alpha" in capsys.readouterr().err


def test_derive_c_sigma_and_sigma_b(capsys):
    # one linear edge: K1_ii = (c_sigma / 2) (K0_ii + sigma_b^2) = 1.5 * (1 + 0.25) for unit inputs
    out = run_json(capsys, ["derive", "2", "--c-sigma", "3", "--sigma-b", "0.5", "--json"])
    assert float(out["c_sigma"]) == 3.0 and float(out["sigma_b"]) == 0.5
    assert float(out["diagonal_value"]) == pytest.approx(1.5 * 1.25, rel=1e-12)
    assert main(["derive", "2", "--c-sigma", "-1"]) == 2
    assert "c_sigma" in capsys.readouterr().err


# ------------------------------------------------------------------ inputs_to_gram validation
@pytest.mark.parametrize(
    ("X", "kwargs", "fragment"),
    [
        ([1.0, 2.0], {}, "2-D array"),
        (np.zeros((0, 3)), {}, "at least one input"),
        ([[1.0, np.inf]], {}, "non-finite"),
        (np.array([[1 + 1j, 0]]), {}, "real numbers"),
        ([["a", "b"]], {}, "real numbers"),
        ([[1.0, 0.0, 0.0]], {"width": 2}, "width=2 is smaller than the input dimension d=3"),
    ],
)
def test_inputs_to_gram_rejects_bad_inputs(X, kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        inputs_to_gram(X, **kwargs)


def test_inputs_to_gram_accepts_integers_and_pads():
    K0, mu0 = inputs_to_gram([[1, 2], [3, 4]], width=8)
    np.testing.assert_array_equal(K0, [[5.0, 11.0], [11.0, 25.0]])
    np.testing.assert_allclose(mu0, [3 / math.sqrt(8), 7 / math.sqrt(8)], rtol=1e-15)


# ------------------------------------------------------------------ full runs (slow)
@pytest.mark.slow  # 15-35 s on a shared 2-core machine
def test_check_full_mode_has_no_unexpected_verdict(capsys, alpha, monkeypatch):
    from dagnngp.proofs_check import statistics

    monkeypatch.setattr(statistics, "SUITE_ALPHA", alpha / 2)  # two statistical checks below
    # the default (full) mode of `dagnngp check` on the checks whose full mode differs most (more motifs,
    # widths and draws); every check in full mode runs in test_report_full_mode's checks section
    names = ["lemma3.2-finite-width", "exact-vs-mc", "mc-decay-rate", "lemma3.3-interlacing"]
    argv = ["check", "--json"] + [a for n in names for a in ("--only", n)]
    assert main(argv) == 0
    data = json.loads(capsys.readouterr().out)
    assert [d["name"] for d in data] == names and all(d["ok"] for d in data), data
    assert data[1]["evidence"]["comparisons"] > 52  # the full run adds 5-7-node motifs to the quick four


@pytest.mark.slow  # `dagnngp report --full`: 2-3 minutes on a shared 2-core machine (all checks in full mode)
def test_report_full_mode(tmp_path, capsys, shipped_data, alpha, monkeypatch):
    from dagnngp.proofs_check import CHECKS, statistics

    # the report's checks section runs every statistical check: they share this test's budget
    monkeypatch.setattr(statistics, "SUITE_ALPHA", alpha / sum(c.statistical for c in CHECKS.values()))
    out = tmp_path / "full"
    assert main(["report", "--full", "--out", str(out), "--no-progress"]) == 0
    rep = json.loads((out / "report.json").read_text())
    assert rep["mode"] == "full"
    assert [s["status"] for s in rep["sections"]] == ["ok"] * len(rep["sections"]) == ["ok"] * 8
    sections = {s["key"]: s["data"] for s in rep["sections"]}
    # full mode: Monte Carlo up to width 16384, and every check run in full mode without surprise
    assert max(sections["monte_carlo"]["widths"]) == 16384
    assert sections["checks"]["unexpected"] == 0 and len(sections["checks"]["checks"]) >= 28
    assert sections["nas"]["data_file"] is not None
    for name in rep["files"]:
        assert (out / name).stat().st_size > 0
