"""The check registry, the rule-(12) audit, the finite networks' gradients and the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers import numeric_grad as _numeric_grad

from dagnngp.cli import main
from dagnngp.motif import Motif
from dagnngp.proofs_check import CHECKS, Verdict, run_checks, statistics
from dagnngp.proofs_check.audit import merges_unequal_depths, rule12_audit
from dagnngp.proofs_check.finite_net import FiniteNetwork, gradient_descent

# the paper's claims that spec section 7 shows to be false; every other check must hold
KNOWN_FALSE = {"lemma3.2-mean-b", "dag3-paper-formula", "exact-diagonal-is-P", "rule12-upper-bound",
               "paper-vs-mc", "lemma3.1-all-motifs"}


def test_registry_covers_every_claim_and_flags_the_known_false_ones():
    ids = set()
    for check in CHECKS.values():
        assert check.statement and check.inputs and check.key
        ids |= {p.strip() for p in check.claims.split(",") if p.strip().startswith("CC-")}
    assert ids == {f"CC-{k}" for k in range(1, 23)}
    assert {name for name, c in CHECKS.items() if not c.expected} == KNOWN_FALSE


STATISTICAL = [name for name, c in CHECKS.items() if c.statistical]


def test_the_monte_carlo_checks_are_flagged_statistical():
    assert set(STATISTICAL) == {"lemma3.2-gaussian-expectation", "lemma3.2-finite-width", "lemma3.2-mean-b",
                                "exact-vs-mc", "paper-vs-mc"}


@pytest.mark.parametrize("name", list(CHECKS))
def test_each_quick_check_gives_its_expected_verdict(name, alpha, monkeypatch):
    # this test's false-alarm share is split evenly among the statistical checks
    monkeypatch.setattr(statistics, "SUITE_ALPHA", alpha / len(STATISTICAL))
    check = CHECKS[name]
    verdict = check.run(quick=True)
    assert isinstance(verdict, Verdict)
    assert verdict.holds == (name not in KNOWN_FALSE), verdict.detail
    # a known-false claim must be rejected *and* the evidence for the right answer confirmed
    assert verdict.correct, verdict.detail
    assert check.key in verdict.evidence


# the right answer behind each deterministic known-false claim, as evidence the verdict must carry
# (the Monte Carlo ones, lemma3.2-mean-b and paper-vs-mc, are held to it above, within the budget)
def test_known_false_verdicts_carry_the_right_answer():
    ev = {name: CHECKS[name].run(quick=True).evidence for name in
          ("dag3-paper-formula", "exact-diagonal-is-P", "rule12-upper-bound", "lemma3.1-all-motifs")}
    assert ev["dag3-paper-formula"]["correct_value_error"] < 1e-12
    assert ev["dag3-paper-formula"]["fails_exactly_where_f_tilde_negative"]
    assert ev["exact-diagonal-is-P"]["dag2_diagonal"] == pytest.approx(3 + 6 / np.pi, rel=1e-13)
    assert ev["rule12-upper-bound"]["fails_exactly_where_predicted"]
    assert ev["rule12-upper-bound"]["spec_example_reproduced"]
    assert ev["lemma3.1-all-motifs"]["singular_are_exactly_skip_only"]


def test_a_known_false_claim_without_its_right_answer_is_not_ok(monkeypatch):
    from dagnngp.proofs_check import checks

    monkeypatch.setitem(checks.CHECKS, "paper-vs-mc",
                        checks.Check("paper-vs-mc", "CC-16", "s", "i", False, "k",
                                     lambda quick: Verdict(False, {"k": 1.0}, "rejected", correct=False)))
    (outcome,) = run_checks(only="paper-vs-mc")
    assert outcome.status == "FAILS" and not outcome.ok
    assert outcome.as_dict()["correct"] is False


def test_run_checks_selects_by_name_or_claim_id_and_rejects_unknown_names():
    assert [o.name for o in run_checks(only="CC-15")] == ["rule12-below-paper-gap", "rule12-upper-bound"]
    with pytest.raises(ValueError, match="no check named 'nosuch'"):
        run_checks(only="nosuch")


def test_a_check_that_raises_is_an_error_not_an_expected_failure(monkeypatch):
    from dagnngp.proofs_check import checks

    def boom(quick):
        raise RuntimeError("broken")

    monkeypatch.setitem(checks.CHECKS, "paper-vs-mc",
                        checks.Check("paper-vs-mc", "CC-16", "s", "i", False, "k", boom))
    (outcome,) = run_checks(only="paper-vs-mc")
    assert outcome.status == "ERROR" and not outcome.ok


# ------------------------------------------------------------------ the audit
def test_rule12_audit_reproduces_the_spec_example_and_spares_dag1_to_3():
    rows = {(r.motif, r.C): r for r in rule12_audit(4, (0.5,))}
    ex = rows[("1_12_002", 0.5)]  # spec CC-15: R12 = 0.7071, G = 0.7082
    assert ex.rule12 == pytest.approx(0.7071, abs=5e-5)
    assert ex.paper_gap == pytest.approx(0.7082, abs=5e-5)
    assert ex.fails
    for dag in ("2_02_002", "1_01_222", "2_21_112"):  # (12) is exact for DAG#1-3 (spec 7.2)
        assert not rows[(dag, 0.5)].fails
        assert rows[(dag, 0.5)].rule12 == pytest.approx(rows[(dag, 0.5)].paper_gap, abs=1e-12)


def test_rule12_fails_exactly_where_a_linear_edge_reads_an_unequal_depth_merge():
    rows = rule12_audit(4, (0.0, 0.9))
    assert len(rows) == 2 * 662
    assert all(r.fails == r.predicted for r in rows)
    assert merges_unequal_depths(Motif.parse("1_12_002"))
    assert not merges_unequal_depths(Motif.parse("1_12_001"))  # the merge feeds only a skip


# ------------------------------------------------------------ finite networks
def test_backward_pass_matches_finite_differences():
    rng = np.random.default_rng(0)
    net = FiniteNetwork.initialise("2_21_112", 6, rng)
    X = rng.standard_normal((3, 4)) / 2
    y = rng.standard_normal(3)
    _, w_grads, a_grad = net.loss_gradients(X, y)

    def loss():
        return 0.5 * float(np.sum((net.outputs(X) - y) ** 2))

    for e, W in net.weights.items():
        np.testing.assert_allclose(w_grads[e], _numeric_grad(loss, W), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(a_grad, _numeric_grad(loss, net.readout), rtol=1e-5, atol=1e-7)


def test_ntk_is_the_gram_of_the_parameter_jacobian():
    rng = np.random.default_rng(1)
    net = FiniteNetwork.initialise("1_12_112", 5, rng)
    X = rng.standard_normal((3, 4)) / 2
    rows = []
    for i in range(3):
        def out(i=i):
            return float(net.outputs(X)[i])
        parts = [_numeric_grad(out, W).ravel() for W in net.weights.values()]
        parts.append(_numeric_grad(out, net.readout))
        rows.append(np.concatenate(parts))
    J = np.array(rows)
    theta, readout_gram = net.ntk(X)
    np.testing.assert_allclose(theta, J @ J.T, rtol=1e-5, atol=1e-7)
    feats, _ = net.forward(X)
    np.testing.assert_allclose(readout_gram, feats[-1].T @ feats[-1])


def test_gradient_descent_lowers_the_loss_with_a_small_step():
    rng = np.random.default_rng(2)
    net = FiniteNetwork.initialise("2_02_002", 64, rng)
    X = rng.standard_normal((4, 6)) / 3
    losses = gradient_descent(net, X, rng.standard_normal(4), eta=0.05, steps=30)
    assert losses.shape == (31,) and np.all(np.diff(losses) < 0)


# ------------------------------------------------------------------------ CLI
def test_cli_check_json_lists_name_holds_expected_and_key_number(capsys):
    assert main(["check", "--quick", "--only", "CC-9", "--only", "rule12-upper-bound", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [d["name"] for d in data] == ["lemma3.3-2x2-closed-form", "rule12-upper-bound"]
    assert data[1]["expected"] is False and data[1]["holds"] is False
    assert data[1]["status"] == "expected failure" and data[1]["key_value"] >= 1


def test_cli_check_table_and_exit_status_on_a_failing_check(capsys, monkeypatch):
    assert main(["check", "--only", "dag3-paper-formula", "--audit"]) == 0
    out = capsys.readouterr().out
    assert "expected failure" in out and "1_12_002" in out
    from dagnngp.proofs_check import checks

    monkeypatch.setitem(checks.CHECKS, "lemma3.3-interlacing",
                        checks.Check("lemma3.3-interlacing", "CC-8", "s", "i", True, "k",
                                     lambda quick: Verdict(False, {"k": 1.0}, "made to fail")))
    assert main(["check", "--only", "lemma3.3-interlacing"]) == 1
    assert "FAILS" in capsys.readouterr().out


def test_cli_check_unknown_name_is_a_clear_error(capsys):
    assert main(["check", "--only", "nosuch"]) == 2
    assert "no check named 'nosuch'" in capsys.readouterr().err


def test_cli_mc_prints_z_scores_and_rejects_the_paper_model(capsys, alpha):
    argv = ["mc", "2_21_112", "--width", "1024", "--draws", "20", "--seed", "1", "--alpha", str(alpha)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "exact model consistent" in out and "paper model rejected" in out
    assert main(["mc", "2_21_112", "--width", "256", "--draws", "5", "--sampler", "explicit", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["sampler"] == "explicit" and len(data["entries"]) == 3 and "t_paper" in data["entries"][0]
    assert main(["mc", "2_21_112", "--C", "1.5"]) == 2
    assert "--C must be a correlation" in capsys.readouterr().err
