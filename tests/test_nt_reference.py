"""NNGP and NTK against neural-tangents 0.6.5, an external oracle (values in ``reference/nt_values.json``).

``reference/make_nt_values.py`` computed the file in a separate, pinned environment; its docstring
gives the mapping of motifs onto neural-tangents layers.  Where neural-tangents computes the true limit
(chains of post- and pre-activation edges, residual blocks, cells whose nodes sum at most one skip
branch, weighted edges) we agree to 1e-12 (NNGP) and 1e-11 (NTK) relative.  Where two skip paths from
one node meet, neural-tangents assumes independent branches (``X + X`` gets ``2K``, not ``4K``): there
we match a closed form computed here and neural-tangents does not.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from dagnngp.numerics import inputs_to_gram, nngp, ntk

DATA = json.loads((Path(__file__).parent / "reference" / "nt_values.json").read_text())
X = np.array(DATA["inputs"]["X"], dtype=np.float64)
D = DATA["inputs"]["d"]
RTOL_NNGP, RTOL_NTK = 1e-12, 1e-11


def _kernel_inputs(edge: str) -> tuple[np.ndarray, np.ndarray | None]:
    """Our ``(K0, mu0)`` for neural-tangents' input kernel ``x . x' / d``: the inputs ``X / sqrt(d)``."""
    K0, mu0 = inputs_to_gram(X / np.sqrt(D))
    return K0, (None if edge == "pre" else mu0)


def _ours(case: dict) -> tuple[np.ndarray, np.ndarray]:
    K0, mu0 = _kernel_inputs(case["edge"])
    opts = {"c_sigma": case["c_sigma"], "sigma_b": case["sigma_b"], "edge": case["edge"]}
    res = ntk(case["motif"], K0, mu0, readout=case["readout"], backend="numpy", **opts)
    plain = nngp(case["motif"], K0, mu0, backend="numpy", **opts).output
    np.testing.assert_array_equal(res.nngp, plain)  # one engine: ntk's NNGP is nngp's
    return res.nngp, res.ntk


def _close(ours: np.ndarray, theirs: np.ndarray, rtol: float) -> bool:
    """Entrywise ``|ours - theirs| <= rtol * |theirs|`` (the file's least entry is 6e-4)."""
    return bool(np.all(np.abs(ours - theirs) <= rtol * np.abs(theirs)))


def _relu_maps(K: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(E[relu(u) relu(v)], E[relu'(u) relu'(v)])`` for ``(u, v) ~ N(0, K)`` by the arc-cosine formulas.

    The diagonal angle is set to exactly 0 (``arccos`` of a rounded 1 would be about 1e-8).
    """
    norm = np.sqrt(np.outer(np.diag(K), np.diag(K)))
    theta = np.arccos(np.clip(K / norm, -1.0, 1.0))
    np.fill_diagonal(theta, 0.0)
    value = norm / (2 * np.pi) * (np.sin(theta) + (np.pi - theta) * np.cos(theta))
    return value, (np.pi - theta) / (2 * np.pi)


def _two_skips_closed_form(c: float, b: float, readout: bool, copies: float) -> tuple[np.ndarray, np.ndarray]:
    """NNGP and NTK of the pre-activation motif ``2_01_011_0002``: X1 = edge(X0), X2 = X1, X3 = X1 + X2,
    X4 = edge(X3).  ``X3 = 2 X1``, so its kernels are ``copies = 4`` times X1's; ``copies = 2`` is what
    independent branches would give."""
    K0, _ = _kernel_inputs("pre")
    f0, _ = _relu_maps(K0)
    K1 = c * f0 + b * b
    T1 = K1.copy()  # node 0 has no parameters: Theta_0 = 0
    K3, T3 = copies * K1, copies * T1
    f3, df3 = _relu_maps(K3)
    K4 = c * f3 + b * b
    T4 = c * df3 * T3 + K4
    return K4, (T4 + K4 if readout else T4)


EXACT = [c for c in DATA["cases"] if c["nt_expected"] == "exact"]
WRONG = [c for c in DATA["cases"] if c["nt_expected"] == "wrong"]


def test_the_file_covers_what_it_should():
    kinds = {c["kind"] for c in EXACT}
    assert kinds >= {"post chain", "pre chain", "residual", "one skip per node", "weighted"}
    assert {(c["edge"], c["readout"], c["sigma_b"] > 0, c["c_sigma"] == 2.0) for c in EXACT} == {
        (e, r, b, c) for e in ("pre", "post") for r in (False, True) for b in (False, True)
        for c in (False, True)}
    assert WRONG and DATA["versions"]["neural_tangents"] == "0.6.5" and DATA["x64"]
    # the inputs are dyadic, so the input kernel neural-tangents used is exactly ours
    np.testing.assert_array_equal(np.array(DATA["inputs"]["K0_nt"]), _kernel_inputs("pre")[0])


@pytest.mark.parametrize("case", EXACT, ids=[c["name"] for c in EXACT])
def test_nngp_and_ntk_match_neural_tangents(case):
    K, T = _ours(case)
    K_nt, T_nt = np.array(case["nngp"]), np.array(case["ntk"])
    assert _close(K, K_nt, RTOL_NNGP), f"NNGP off by {np.max(np.abs(K - K_nt) / np.abs(K_nt)):.2e}"
    assert _close(T, T_nt, RTOL_NTK), f"NTK off by {np.max(np.abs(T - T_nt) / np.abs(T_nt)):.2e}"


@pytest.mark.parametrize("case", WRONG, ids=[c["name"] for c in WRONG])
def test_two_skips_from_one_node_we_are_right_and_neural_tangents_is_not(case):
    c, b, readout = case["c_sigma"], case["sigma_b"], case["readout"]
    K_true, T_true = _two_skips_closed_form(c, b, readout, copies=4.0)
    K, T = _ours(case)
    assert _close(K, K_true, RTOL_NNGP) and _close(T, T_true, RTOL_NTK)
    K_nt, T_nt = np.array(case["nngp"]), np.array(case["ntk"])
    # neural-tangents is far off on every entry: it computed the independent-branch value
    assert np.all(np.abs(K_nt - K_true) > 0.2 * np.abs(K_true))
    assert np.all(np.abs(T_nt - T_true) > 0.2 * np.abs(T_true))
    K_ind, T_ind = _two_skips_closed_form(c, b, readout, copies=2.0)
    assert _close(K_nt, K_ind, RTOL_NNGP) and _close(T_nt, T_ind, RTOL_NTK)
    # our paper model, which drops every cross term, makes neural-tangents' assumption and its values
    K0, _ = _kernel_inputs("pre")
    paper = ntk(case["motif"], K0, model="paper", readout=readout, c_sigma=c, sigma_b=b, edge="pre")
    assert _close(paper.nngp, K_nt, RTOL_NNGP) and _close(paper.ntk, T_nt, RTOL_NTK)


def test_closed_form_is_not_trivially_met():
    """The negative control's closed form tells the two values apart (a wrong 'copies' fails)."""
    case = WRONG[0]
    K, T = _ours(case)
    K_ind, T_ind = _two_skips_closed_form(case["c_sigma"], case["sigma_b"], case["readout"], copies=2.0)
    assert not _close(K, K_ind, 1e-3) and not _close(T, T_ind, 1e-3)
