"""Your own claims as checks: census, Hypothesis search, minimal counterexamples, Monte Carlo, plug-ins."""

from __future__ import annotations

import itertools
import json
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import strategies as st

from dagnngp import Motif
from dagnngp.cli import main
from dagnngp.numerics.reference import inputs_to_gram, nngp
from dagnngp.proofs_check import statistics
from dagnngp.proofs_check.checks import CHECKS, run_checks
from dagnngp.proofs_check.lemmas import (
    MonteCarlo,
    at_least,
    at_most,
    correlations,
    edge_additions,
    every_motif,
    load_plugins,
    realise_inputs,
    register_check,
    unregister_check,
)
from dagnngp.proofs_check.strategies import general_inputs

#: the two inputs of the published counterexample: 1_02 -> 1_12 lowers lambda_min from 0.943 to 0.473
ISSUE_X = np.array([[-0.558, 0.830], [-0.239, -0.971]])


@pytest.fixture(autouse=True)
def _restore_registry():
    """Each test's registrations are removed afterwards, so the built-in suite is left as it was."""
    before = dict(CHECKS)
    yield
    CHECKS.clear()
    CHECKS.update(before)


def lam(motif: str, K0: np.ndarray, mu0: np.ndarray) -> float:
    return float(np.linalg.eigvalsh(nngp(motif, K0, mu0, backend="numpy").output)[0])


def skip_claim(case):
    return at_least(case.lambda_min(case.after), case.lambda_min(case.before))


def motif_strings(n: int) -> list[str]:
    """Every n-node motif string, by brute force over the digit strings."""
    sizes = range(1, n)
    out = []
    for digits in itertools.product("012", repeat=sum(sizes)):
        groups, k = [], 0
        for size in sizes:
            groups.append("".join(digits[k:k + size]))
            k += size
        out.append("_".join(groups))
    return out


def has_path(text: str) -> bool:
    groups = text.split("_")
    reach = {0}
    for t, group in enumerate(groups, start=1):
        if any(ch != "0" and s in reach for s, ch in enumerate(group)):
            reach.add(t)
    return len(groups) in reach


def test_the_published_counterexample_is_reproduced_at_the_issue_inputs():
    K0, mu0 = inputs_to_gram(ISSUE_X)
    assert (mu0 < 0).any() and (mu0 > 0).any()  # non-centred inputs with means of both signs
    assert round(lam("1_02", K0, mu0), 3) == 0.943 and round(lam("1_12", K0, mu0), 3) == 0.473
    register_check("skip-at-issue-inputs", "adding a skip edge never lowers lambda_min",
                   space=[("1_02", "1_12")], inputs=[ISSUE_X], expected=False)(skip_claim)
    (outcome,) = run_checks(only="skip-at-issue-inputs")
    assert outcome.status == "expected failure" and outcome.source == "user"
    found = outcome.evidence["minimal_counterexample"]
    assert found["motifs"] == ["1_02", "1_12"]
    assert found["lhs"] == pytest.approx(lam("1_12", K0, mu0), abs=1e-12)
    assert found["rhs"] == pytest.approx(lam("1_02", K0, mu0), abs=1e-12)


def test_hypothesis_finds_a_minimal_counterexample_and_finite_networks_confirm_it(monkeypatch, alpha):
    monkeypatch.setattr(statistics, "SUITE_ALPHA", alpha)
    register_check("skip-never-lowers", "adding a skip edge never lowers lambda_min",
                   space=edge_additions(4, op="skip"), inputs=general_inputs(n_inputs=2, dim=(1, 3)),
                   expected=False, confirm=MonteCarlo(width=512, draws=20, quick_width=512,
                                                      quick_draws=20))(skip_claim)
    (outcome,) = run_checks(only="skip-never-lowers")
    assert outcome.status == "expected failure", outcome.detail
    ev = outcome.evidence
    found = ev["minimal_counterexample"]
    # no 2-node pair exists and a 3-node motif needs 2 edges before the skip can matter
    assert found["nodes"] == 3 and found["edges"] == [2, 3]
    before, after = found["motifs"]
    assert Motif.parse(before).with_edge(*_added(before, after), "skip") == Motif.parse(after)
    K0, mu0 = np.array(found["inputs"]["K0"]), np.array(found["inputs"]["mu0"])
    assert lam(after, K0, mu0) < lam(before, K0, mu0) - 0.1  # recomputed outside the check
    mc = ev["monte_carlo"]
    assert mc["confirmed"] and mc["kernels_agree"] and mc["t"] < -mc["threshold"]
    assert mc["threshold"] > statistics.t_threshold(20, 1, alpha)  # includes the finite-width allowance
    assert "finite networks" in outcome.detail and "confirmed" in outcome.detail


def _added(before: str, after: str) -> tuple[int, int]:
    a, b = Motif.parse(before), Motif.parse(after)
    (pair,) = [(s, t) for t in range(1, a.n_nodes) for s in range(t) if a.op(s, t) != b.op(s, t)]
    return pair


def test_centred_inputs_census_holds_and_counts_every_case():
    X3 = np.array([[1.0, -1.0, 0.0], [0.0, 1.0, -1.0], [1.0, 0.5, -1.5]])
    inputs = correlations([-0.9, -0.5, 0.0, 0.5, 0.9]) + [X3]
    register_check("skip-centred", "for centred inputs, adding a skip edge never lowers lambda_min",
                   space=edge_additions(4, op="skip"), inputs=inputs)(skip_claim)
    (outcome,) = run_checks(only="skip-centred")
    assert outcome.status == "holds", outcome.detail
    census = outcome.evidence["census"]
    # the pairs, counted by brute force: every motif with a path, every zero pair turned into a skip
    pairs = sum(text.replace("_", "").count("0") for n in (2, 3, 4) for text in motif_strings(n)
                if has_path(text))
    assert census["motif_cases"] == pairs and census["cases"] == pairs * len(inputs)
    assert census["fail"] == 0 and outcome.key_value == 0


def test_census_minimal_counterexample_has_fewest_nodes_then_fewest_edges():
    register_check("few-edges", "a motif has at most two edges", space=every_motif(4))(
        lambda case: sum(1 for _ in case.motif.edges()) <= 2)
    (outcome,) = run_checks(only="few-edges")
    assert outcome.status == "FAILS"
    found = outcome.evidence["minimal_counterexample"]
    assert found["nodes"] == 3 and found["edges"] == [3]
    expected_fail = sum(1 for n in (2, 3, 4) for t in motif_strings(n)
                        if has_path(t) and sum(ch != "0" for ch in t if ch != "_") > 2)
    assert outcome.evidence["census"]["fail"] == expected_fail * 4  # default: four correlations


def test_hypothesis_shrinks_drawn_inputs_to_a_small_example():
    register_check("means-non-negative", "every input's mean is >= 0", space=["2"],
                   inputs=general_inputs(n_inputs=(1, 4), dim=(1, 4)))(
        lambda case: float(case.mu0.min()))
    (outcome,) = run_checks(only="means-non-negative")
    X = np.array(outcome.evidence["minimal_counterexample"]["inputs"]["X"])
    # drawn from up to 4 x 4 inputs; Hypothesis' shrinker ends at one or two entries, one of them negative
    assert X.size <= 2 and X.mean(axis=1).min() < 0


def test_an_unconfirmed_counterexample_is_not_an_expected_failure(monkeypatch, alpha):
    # the diagonal of "2" at unit inputs is exactly 1; the claim "K00 >= 1 + 1e-6" is false by 1e-6 in
    # the limit, which 20 draws of width 256 cannot resolve: the margin test must not confirm it
    monkeypatch.setattr(statistics, "SUITE_ALPHA", alpha)
    register_check("tiny", "K00 >= 1 + 1e-6", space=["2"], inputs=correlations([0.5]), expected=False,
                   confirm=MonteCarlo(quick_width=256, quick_draws=20))(
        lambda case: at_least(case.kernel()[0, 0], 1 + 1e-6))
    (outcome,) = run_checks(only="tiny")
    mc = outcome.evidence["monte_carlo"]
    assert not mc["confirmed"] and mc["kernels_agree"] and mc["stderr"] > 0
    assert outcome.status == "FAILS" and not outcome.ok and "NOT confirmed" in outcome.detail


def test_realise_inputs_reproduces_k0_and_mu0_and_refuses_impossible_ones():
    rng = np.random.default_rng(3)
    for n, d in ((2, 2), (3, 1), (4, 6)):
        X = rng.standard_normal((n, d))
        K0, mu0 = inputs_to_gram(X)
        K1, m1 = inputs_to_gram(realise_inputs(K0, mu0, 32))
        np.testing.assert_allclose(K1, K0, atol=1e-12)
        np.testing.assert_allclose(m1, mu0, atol=1e-12)
    with pytest.raises(ValueError, match="no real inputs have this"):
        realise_inputs(np.eye(2), np.array([2.0, 0.0]), 8)  # a mean larger than the norm
    with pytest.raises(ValueError, match="too small"):
        realise_inputs(np.eye(3), np.zeros(3), 3)


def test_registration_errors():
    register_check("dup", "s", space=["2"])(skip_claim)
    with pytest.raises(ValueError, match="already registered"):
        register_check("dup", "s", space=["2"])(lambda case: True)
    register_check("dup", "s", space=["2"], replace=True)(lambda case: True)
    with pytest.raises(ValueError, match="built-in check"):
        unregister_check("rule12-upper-bound")
    with pytest.raises(ValueError, match="non-empty name"):
        register_check("", "s")
    with pytest.raises(ValueError, match="cannot be confirmed"):
        from dagnngp.theory.spec import KernelSpec
        register_check("p", "s", spec=KernelSpec(model="paper"), confirm=MonteCarlo())
    with pytest.raises(TypeError, match="space must be"):
        register_check("x", "s", space=3.5)
    with pytest.raises(ValueError, match="2..5 nodes"):
        every_motif(7)


def test_a_claim_that_returns_nonsense_is_an_error_verdict():
    register_check("nonsense", "s", space=["2"], inputs=correlations([0.0]))(lambda case: "yes")
    register_check("nan", "s", space=["2"], inputs=correlations([0.0]))(lambda case: float("nan"))
    statuses = {o.name: (o.status, o.detail) for o in run_checks(only=["nonsense", "nan"])}
    assert statuses["nonsense"][0] == "ERROR" and "must return a margin" in statuses["nonsense"][1]
    assert statuses["nan"][0] == "ERROR" and "NaN" in statuses["nan"][1]


LEMMA_FILE = textwrap.dedent('''
    from dagnngp.proofs_check.lemmas import register_check, at_least

    @register_check("diag-at-least-paths", "the output diagonal is at least the number of paths")
    def diagonal(case):
        return at_least(case.kernel()[0, 0], case.motif.n_paths)
''')


def test_cli_load_runs_a_users_file_and_lists_it_in_table_and_json(tmp_path, capsys):
    path = tmp_path / "lemmas.py"
    path.write_text(LEMMA_FILE)
    assert main(["check", "--load", str(path), "--only", "diag-at-least-paths", "--json"]) == 0
    (record,) = json.loads(capsys.readouterr().out)
    assert record["status"] == "holds" and record["source"] == "file lemmas.py"
    assert record["evidence"]["census"]["cases"] == 662 * 4 + 24 * 4  # every 2..4-node motif, 4 inputs
    assert main(["check", "--load", str(path), "--only", "diag-at-least-paths"]) == 0
    out = capsys.readouterr().out
    assert "diag-at-least-paths" in out and "holds" in out and "counterexamples=0" in out


def test_cli_load_errors_are_one_line(tmp_path, capsys):
    assert main(["check", "--load", str(tmp_path / "missing.py")]) == 2
    assert "no such file" in capsys.readouterr().err
    bad = tmp_path / "bad.py"
    bad.write_text("raise RuntimeError('broken lemma file')\n")
    assert main(["check", "--load", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "broken lemma file" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_entry_point_plugins_register_checks_and_a_broken_one_is_an_error_verdict(tmp_path, monkeypatch):
    (tmp_path / "my_dagnngp_lemmas.py").write_text(LEMMA_FILE.replace("diag-at-least-paths", "plugged"))
    info = tmp_path / "my_dagnngp_lemmas-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: my-dagnngp-lemmas\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[dagnngp.checks]\nmine = my_dagnngp_lemmas\nbroken = no_such_module_for_dagnngp\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "my_dagnngp_lemmas", raising=False)
    added = load_plugins()
    assert set(added) == {"plugged", "plugin:broken"}
    assert CHECKS["plugged"].source == "plug-in mine"
    outcomes = {o.name: o for o in run_checks(only=["plugged", "plugin:broken"])}
    assert outcomes["plugged"].status == "holds"
    assert outcomes["plugin:broken"].status == "ERROR"
    assert "no_such_module_for_dagnngp" in outcomes["plugin:broken"].detail
    assert load_plugins() == []  # each entry point loads once


def test_drawn_motifs_are_searched_too():
    register_check("drawn", "every drawn motif has at most 3 nodes",
                   space=st.sampled_from([Motif.parse("2_02_002"), Motif.parse("2"), Motif.parse("1_02")]),
                   inputs=correlations([0.0]))(lambda case: case.motif.n_nodes <= 3)
    (outcome,) = run_checks(only="drawn")
    assert outcome.status == "FAILS"
    assert outcome.evidence["minimal_counterexample"]["motifs"] == ["2_02_002"]


def test_claims_may_read_the_ntk_and_finite_networks_confirm_them(monkeypatch, alpha):
    monkeypatch.setattr(statistics, "SUITE_ALPHA", alpha)
    # with a trained readout the NTK is K_H + Theta_H with Theta_H PSD, so lambda_min(NTK) >= lambda_min(K)
    register_check("ntk-above-nngp", "lambda_min(NTK) >= lambda_min(NNGP)", space=every_motif(3))(
        lambda case: at_least(np.linalg.eigvalsh(case.ntk())[0], case.lambda_min()))
    (outcome,) = run_checks(only="ntk-above-nngp")
    assert outcome.status == "holds", outcome.detail
    # a false NTK claim (the diagonal of "2" at unit inputs is K + Theta_1 = 2, not below 1.5) is
    # confirmed by the empirical NTK of finite networks, which also agree with the analytic NTK
    register_check("ntk-mc", "NTK diagonal below 1.5", space=["2"], inputs=correlations([0.0]),
                   expected=False, confirm=MonteCarlo(quick_width=256, quick_draws=12))(
        lambda case: at_most(case.ntk()[0, 0], 1.5))
    (outcome,) = run_checks(only="ntk-mc")
    mc = outcome.evidence["monte_carlo"]
    assert outcome.status == "expected failure", outcome.detail
    assert mc["confirmed"] and mc["kernels_agree"] and "2 (NTK)" in mc["kernels"]
    assert mc["margin"] == pytest.approx(-0.5, abs=6 * mc["stderr"] + 0.05)


def test_report_lists_user_checks_with_their_source(monkeypatch, tmp_path):
    from dagnngp.report.analysis import verdict_record
    from dagnngp.report.sections import checks as section
    from dagnngp.report.settings import Settings

    register_check("skip-at-issue-inputs", "adding a skip edge never lowers lambda_min",
                   space=[("1_02", "1_12")], inputs=[ISSUE_X], expected=False)(skip_claim)
    monkeypatch.setattr(section, "run_check_suite", lambda quick: [
        verdict_record(o) for o in run_checks(only=["lemma3.3-2x2-closed-form", "skip-at-issue-inputs"])])
    out = section.run(Settings(out_dir=tmp_path))
    (tab,) = out["tables"]
    text = json.dumps(tab)
    assert "source" in text and "user" in text and "built-in" in text
    assert any("1 of the checks are your own" in line and "1 found a counterexample" in line
               for line in out["summary"])
    assert out["summary"][0].startswith("1 checks of the paper's lemmas")


def test_inputs_may_be_raw_sets_or_gram_pairs_and_drawn_motifs_may_be_strings():
    X = np.array([[1.0, 0.0], [0.6, 0.8]])
    K0, mu0 = inputs_to_gram(X)
    register_check("forms", "the diagonal of a linear edge is the input's squared norm",
                   space=st.sampled_from(["2", "2_02"]), inputs=[X, (K0, mu0), (K0, None)])(
        lambda case: at_least(case.kernel()[0, 0], case.K0[0, 0]))
    register_check("two-raw-sets", "s", space=["2"], inputs=(X, 2 * X))(
        lambda case: at_least(case.kernel()[1, 1], case.K0[1, 1]))
    outcomes = {o.name: o for o in run_checks(only=["forms", "two-raw-sets"])}
    assert outcomes["forms"].status == "holds", outcomes["forms"].detail
    assert outcomes["two-raw-sets"].status == "holds"
    assert outcomes["two-raw-sets"].evidence["census"]["input_sets"] == 2
