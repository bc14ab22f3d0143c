"""The compiled motif sweep against the reference kernel, rule (12), the motif model and the spec."""

from __future__ import annotations

import json

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from references import SPEC_DAG_TABLE, h_mp

from dagnngp.cli import main
from dagnngp.motif import Motif
from dagnngp.numerics import nngp, pair_gap, pair_gram, rule12, sweep
from dagnngp.numerics.motif_sweep import all_motifs, decode_motif, encode_motifs, iter_motifs
from dagnngp.proofs_check.strategies import motifs

pytestmark = pytest.mark.usefixtures("mp50")  # mpmath references at 50 digits, restored afterwards


@settings(max_examples=60, deadline=None)
@given(m=motifs(2, 5), Cs=st.lists(st.floats(-1, 1), min_size=1, max_size=4),
       model=st.sampled_from(["exact", "paper"]), sigma_b=st.sampled_from([0.0, 0.5]))
def test_sweep_matches_reference_kernel_rule12_and_motif_statistics(m, Cs, model, sigma_b):
    res = sweep([m], Cs, model=model, sigma_b=sigma_b)
    for c, C in enumerate(Cs):
        K0, mu0 = pair_gram(C)
        K = nngp(m, K0, mu0, model=model, sigma_b=sigma_b, backend="numpy").output
        scale = max(K[0, 0], 1e-300)
        assert abs(res.gap[0, c] - pair_gap(K, 0, 1)) <= 1e-13 * scale
        assert abs(res.diagonal[0, c] - K[0, 0]) <= 1e-13 * scale
        assert abs(res.offdiagonal[0, c] - K[0, 1]) <= 1e-13 * scale
        r12 = float(rule12(m, C))
        assert abs(res.rule12[0, c] - r12) <= 1e-13 * max(1.0, r12)
    assert res.n_paths[0] == m.n_paths
    assert (res.d_bar[0], res.m_bar[0]) == pytest.approx(m.effective_depth_width(), rel=1e-15)
    counts = m.path_depth_counts()
    assert res.depth_counts[0].tolist() == [counts.get(d, 0) for d in range(res.depth_counts.shape[1])]


# spec 2.3 test vectors: lambda_dag1, lambda_dag2, true 2x2 (paper model) of DAG#3, and 2.4's exact DAG#3
SPEC = {C: (row[0], row[1], row[3], row[4]) for C, row in SPEC_DAG_TABLE.items() if row[4] is not None}


def test_spec_tables_of_the_three_example_dags():
    Cs = sorted(SPEC)
    paper = sweep(["2_02_002", "1_01_222", "2_21_112"], Cs, model="paper")
    exact = sweep(["2_21_112"], Cs, model="exact")
    for c, C in enumerate(Cs):
        l1, l2, l3, l3_exact = SPEC[C]
        assert paper.gap[:, c].round(5).tolist() == [l1, l2, l3]
        assert round(float(exact.gap[0, c]), 5) == l3_exact
    # spec 2.3: at C = -1 the paper formula 4 - f~ differs from the true 2x2 value 4 - |f~|
    assert round(float(sweep(["2_21_112"], [-1.0], model="paper").gap[0, 0]), 5) == 3.63662


def test_gap_keeps_relative_accuracy_as_c_tends_to_one():
    eps = 1e-10
    res = sweep(["2_02_002"], [1.0 - eps], model="paper")

    h = h_mp
    C = mp.mpf(1.0 - eps)
    ref = 1 - h(h(h(C)))
    assert abs(res.gap[0, 0] - ref) / ref < 1e-13


def test_all_motifs_enumerates_the_space_in_string_order():
    codes = all_motifs(4)
    assert codes.shape == (3**6, 6)
    strings = [str(decode_motif(r)) for r in codes]
    assert strings == sorted(strings) and len(set(strings)) == 729
    assert [str(m) for m in iter_motifs(4)] == strings
    assert encode_motifs([Motif.parse(s) for s in strings[:5]]).tolist() == codes[:5].tolist()
    # spec 2.2: 662 four-node motifs have an input-output path
    assert int(np.sum(sweep(4, [0.0]).n_paths > 0)) == 662
    assert sweep(5, [0.5], model="paper").gap.shape == (59049, 1)


def test_bad_sweep_inputs_are_refused_with_a_reason():
    with pytest.raises(ValueError, match=r"lie in \[-1, 1\]"):
        sweep(["2_21"], [1.5])
    with pytest.raises(ValueError, match="same number of nodes"):
        sweep(["2_21", "2_21_112"], 0.5)
    with pytest.raises(ValueError, match="0 \\(zero\\), 1 \\(skip\\) or 2 \\(linear\\)"):
        sweep(np.array([[3, 0, 0]]), 0.5)
    with pytest.raises(ValueError, match="n\\(n-1\\)/2"):
        sweep(np.array([[1, 0]]), 0.5)
    with pytest.raises(ValueError, match="out of range"):
        all_motifs(7)
    with pytest.raises(ValueError, match="model="):
        sweep(["2_21"], 0.5, model="wide")
    with pytest.raises(ValueError, match="no motifs"):
        sweep([], 0.5)


def test_cli_sweep_json_and_error(capsys):
    assert main(["sweep", "--nodes", "4", "--C", "0.5", "--model", "paper", "--top", "2", "--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["n_motifs"] == 729 and s["n_with_path"] == 662
    # the all-skip motif has 4 paths, each contributing 1 - C = 0.5 (paper model)
    assert s["best"][0] == {"motif": "1_11_111", "gap_2x2": 2.0, "rule12": 2.0, "P": 4,
                            "effective_depth": 0.0, "effective_width": 0.0}
    assert s["worst"][0]["motif"] == "2_02_002"
    assert s["rule12_below_gap"] + s["rule12_equal_gap"] + s["rule12_above_gap"] == 662
    assert main(["sweep", "--nodes", "3", "--top", "1"]) == 0
    assert "largest 2x2 gap" in capsys.readouterr().out
    assert main(["sweep", "--nodes", "9"]) == 2
    assert "out of range" in capsys.readouterr().err
