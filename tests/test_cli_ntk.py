"""``dagnngp kernel --ntk`` and ``mc --ntk``: the NTK, edge conventions and weights on the command line."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from dagnngp.cli import main


def _json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_kernel_ntk_for_one_linear_edge_is_the_closed_form(capsys):
    # Theta = K_1 + c E[s's'] K0 with K_1 = 2 (sqrt(1 - C^2) + (pi - t) C) / (2 pi), t = acos(C)
    C = 0.3
    t = math.acos(C)
    k1 = (math.sqrt(1 - C * C) + (math.pi - t) * C) / math.pi
    data = _json(capsys, ["kernel", "2", "--C", str(C), "--ntk", "--json"])
    assert data["ntk_offdiagonal"] == pytest.approx(k1 + (1 - t / math.pi) * C, rel=1e-13)
    assert data["ntk_diagonal"] == pytest.approx(2.0, rel=1e-14)
    no_readout = _json(capsys, ["kernel", "2", "--C", str(C), "--ntk", "--no-readout", "--json"])
    assert no_readout["ntk_offdiagonal"] == pytest.approx((1 - t / math.pi) * C, rel=1e-13)
    assert no_readout["readout"] is False


def test_kernel_text_prints_the_ntk_block(capsys):
    assert main(["kernel", "2_21_112", "--ntk", "--edge", "pre"]) == 0
    out = capsys.readouterr().out
    assert "pre-activation edges" in out and "NTK (with a trained readout)" in out and "Theta_ij" in out


def test_weighted_motif_strings_scale_the_kernel(capsys):
    base = _json(capsys, ["kernel", "2_01", "--C", "0.2", "--json"])
    half = _json(capsys, ["kernel", "2_01(0.5)", "--C", "0.2", "--json"])
    assert half["offdiagonal"] == pytest.approx(0.25 * base["offdiagonal"], rel=1e-14)
    assert half["motif"] == "2_01(0.5)"


@pytest.mark.parametrize(("argv", "fragment"), [
    (["kernel", "2", "--ntk", "--activation", "step"], "no derivative dual map"),
    (["kernel", "2", "--edge", "middle"], "invalid choice"),
    (["kernel", "1_2(0)1"], "weight 0"),
    (["mc", "2_21_112", "--ntk", "--width", "1000000000"], "memory"),
])
def test_bad_ntk_requests_get_one_line(capsys, argv, fragment):
    code = main(argv)
    err = capsys.readouterr().err
    assert code in (2, 4) and fragment in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_mc_ntk_prints_each_entry_against_both_models(capsys):
    data = _json(capsys, ["mc", "2_11_011", "--ntk", "--no-readout", "--width", "128", "--draws", "4",
                          "--json"])
    assert data["quantity"] == "ntk" and data["readout"] is False and data["sampler"] == "explicit"
    entries = {row["entry"]: row for row in data["entries"]}
    # the exact NTK of X_3 = X_1 + (X_0 + X_1) is 4 Theta_1, with Theta_1 = 1 on a unit diagonal
    assert entries["Theta[0,0]"]["exact"] == pytest.approx(4.0, rel=1e-13)
    assert np.isfinite(entries["Theta[0,1]"]["stderr"]) and entries["Theta[0,1]"]["stderr"] > 0
