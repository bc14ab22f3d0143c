"""The playground's views, jobs and HTTP API (no browser: see test_playground_browser.py).

False-alarm budget: ``test_monte_carlo_overlay_agrees_with_nngp_and_ntk`` takes its share from
the ``alpha`` fixture (``tests/conftest.py``) and divides it by Bonferroni among its cases and
their two kernels; within a comparison :func:`~dagnngp.proofs_check.statistics.compare_to_mc`
divides it among the correlations.
"""

from __future__ import annotations

import functools
import math
import time
import warnings

import numpy as np
import pytest
from helpers import numeric_grad

from dagnngp.numerics import nngp, ntk, pair_gap, pair_gram
from dagnngp.playground import RequestError, compute_views, widget
from dagnngp.playground.jobs import (
    JobManager,
    gap_of_mean_gram,
    pair_inputs,
    plan_derivation,
    plan_monte_carlo,
    plan_training,
)
from dagnngp.proofs_check.statistics import FINITE_WIDTH_BIAS_SE, compare_to_mc
from dagnngp.report.spec_values import SPEC_DAG3_EXACT, SPEC_GAPS

starlette = pytest.importorskip("starlette", reason="the playground extra is not installed")


@pytest.fixture(scope="module")
def client():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the test client's notice about its HTTP library
        from starlette.testclient import TestClient

        from dagnngp.playground.server import create_app

        yield TestClient(create_app())


def test_views_match_nngp_and_spec():
    v = compute_views({"motifs": ["2_21_112", "2_02_002", "1_01_222"], "C": 0.5})
    for r in v["results"]:
        K0, mu0 = pair_gram(0.5)
        for model in ("exact", "paper"):
            want = pair_gap(nngp(r["motif"], K0, mu0, model=model).output, 0, 1)
            assert r["at_C"][model]["gap"] == pytest.approx(want, rel=1e-12)
    dag3, dag1, dag2 = v["results"]
    assert dag3["at_C"]["exact"]["gap"] == pytest.approx(SPEC_DAG3_EXACT[0.5], abs=5e-6)
    assert [dag1["at_C"]["paper"]["gap"], dag2["at_C"]["paper"]["gap"], dag3["at_C"]["paper"]["gap"]] == \
        pytest.approx(SPEC_GAPS[0.5], abs=5e-6)
    # the grid curves: each point is the pair's own gap (the pairs do not interact)
    grid = v["C_grid"]
    k = grid.index(-0.5)
    assert dag3["curves"]["exact"]["nngp"]["gap"][k] == pytest.approx(SPEC_DAG3_EXACT[-0.5], abs=5e-6)
    assert dag3["rule12"][grid.index(0.0)] == pytest.approx(SPEC_GAPS[0.0][2], abs=5e-6)
    # the rate: gap ~ 4 (1 - C) for DAG#3 (spec CC-13), and 1 for the chain
    assert dag3["rates"]["paper"]["kappa"] == pytest.approx(4.0, rel=1e-3)
    assert dag1["rates"]["exact"]["kappa"] == pytest.approx(1.0, rel=1e-3)


def test_stacked_correlation_is_iterated_dual_map():
    # a stack of L single linear edges is the chain of depth L: C_L = h^L(C)
    v = compute_views({"motifs": ["2"], "C": 0.0, "depth": 5})
    h = [0.3183099, 0.4937311, 0.6048257, 0.6809535, 0.7359464]  # spec section 2.1
    assert v["results"][0]["stacked"]["exact"][1:] == pytest.approx(h, abs=5e-8)


def test_nb201_cell_is_read():
    v = compute_views({"motifs": ["|nor_conv_3x3~0|+|skip_connect~0|nor_conv_3x3~1|"]})
    assert v["results"][0]["motif"] == "2_12"


@pytest.mark.parametrize("request_, fragment", [
    ({"motifs": ["2_2x"]}, "character 'x'"),
    ({"motifs": ["2_21_112"] * 5}, "at most 4"),
    ({"motifs": ["_".join("2" * t for t in range(1, 12))]}, "at most 10"),
    ({"motifs": ["2"], "C": "nan"}, "C must lie in [-1, 1]"),
    ({"motifs": ["2"], "activation": "__import__('os')"}, "is not offered"),
    ({"motifs": [3]}, "must be given as text"),
    ({"motifs": ["2" * 1000]}, "at most 400"),
    ({"motifs": ["2_2(0)1"]}, "weight 0 of edge (0, 2)"),
    ({"motifs": ["2_2(x)1"]}, "is not a number"),
    ({"motifs": ["2"], "edge": "sideways"}, "choose 'post' or 'pre'"),
    ({"motifs": ["2"], "readout": "yes"}, "readout must be true or false"),
    ([1, 2], "JSON object"),
])
def test_bad_requests_get_one_line_messages(request_, fragment):
    with pytest.raises(RequestError, match=None) as info:
        compute_views(request_)
    assert fragment in str(info.value) and "\n" not in str(info.value)


def test_http_api(client):
    r = client.post("/api/views", json={"motifs": ["2_21_112"], "C": 0.5})
    assert r.status_code == 200 and r.json()["results"][0]["paths"] == 4
    for body, status in [(b"{not json", 400), (b'{"motifs": ["2_2x"]}', 400), (b"x" * 70000, 400)]:
        r = client.post("/api/views", content=body)
        assert r.status_code == status and "Traceback" not in r.text and r.json()["error"]
    r = client.post("/api/jobs", json={"kind": "mc", "motif": "2_21_112", "width": 10**9})
    assert r.status_code == 400 and "width must lie in [8, 8192]" in r.json()["error"]
    r = client.post("/api/jobs", json={"kind": "train", "motif": "2_22_222", "width": 8192, "steps": 5000,
                                       "seeds": 16, "lr": 1e-6})
    assert r.status_code == 413 and "operations of work" in r.json()["error"]
    assert client.post("/api/jobs", json={"kind": "shell"}).status_code == 400
    assert client.get("/api/jobs/nosuchjob").status_code == 400
    assert client.get("/").status_code == 200
    assert client.get("/static/vendor/katex/katex.min.js").status_code == 200
    assert client.get("/api/meta").json()["max_width"] == 8192


def test_monte_carlo_job_and_cancel():
    jobs = JobManager()
    job = jobs.submit("mc", plan_monte_carlo({"motif": "2_21_112", "width": 64, "draws": 4,
                                              "C_points": [0.0, 0.5]}))
    assert jobs.wait(job.id, 60).status == "done"
    res = job.result
    assert res["draws"] == 4 and len(res["gap_mean"]) == 2 and res["edge"] == "post"
    K0, _ = pair_gram(0.5)
    assert res["exact_gap"][1] == pytest.approx(pair_gap(nngp("2_21_112", K0).output, 0, 1))
    slow = jobs.submit("mc", plan_monte_carlo({"motif": "2_21_112", "width": 2048, "draws": 400}))
    time.sleep(0.2)
    jobs.cancel(slow.id)
    assert jobs.wait(slow.id, 30).status == "cancelled"


def test_pair_inputs_are_unit_centred_with_given_correlations():
    X = pair_inputs([-1.0, 0.3, 0.9])
    G = X @ X.T
    assert np.allclose(np.diagonal(G), 1.0) and np.allclose(X.sum(axis=1), 0.0)
    assert np.allclose([G[0, 1], G[2, 3], G[4, 5]], [-1.0, 0.3, 0.9])


def test_training_prediction_is_the_training_modules():
    # one definition of the expected loss: dagnngp.training's, for both trained sets
    from dagnngp.numerics import inputs_to_gram
    from dagnngp.playground.jobs import random_inputs
    from dagnngp.training import LossModel, predicted_loss

    jobs = JobManager()
    X, y = random_inputs(4, seed=1), np.random.default_rng(2).standard_normal(4)
    for trained in ("all", "readout"):
        job = jobs.submit("train", plan_training({"motif": "2_2(0.5)1_112", "edge": "pre", "width": 32,
                                                  "steps": 5, "seeds": 2, "lr": "max:0.5", "n_inputs": 4,
                                                  "trained": trained}))
        assert jobs.wait(job.id, 60).status == "done", job.error
        res = job.result
        if trained == "all":
            want = predicted_loss("2_2(0.5)1_112", X, y, "max:0.5", 5, edge="pre")
        else:  # the readout alone: its NTK is the NNGP K
            K = nngp("2_2(0.5)1_112", inputs_to_gram(X)[0], edge="pre").output
            want = LossModel.from_kernels(K, K, y).loss("max:0.5", 5)
        assert res["predicted"] == pytest.approx(want.tolist(), rel=1e-12)
        assert res["rule"] == "eta = 0.5/lambda_max"


def test_training_job_readout():
    jobs = JobManager()
    job = jobs.submit("train", plan_training({"motif": "2_21_112", "width": 64, "steps": 20, "seeds": 2,
                                              "lr": 0.02, "n_inputs": 4}))
    assert jobs.wait(job.id, 60).status == "done", job.error
    res = job.result
    assert len(res["measured_mean"]) == len(res["predicted"]) == 21
    assert res["measured_mean"][-1] < res["measured_mean"][0]


def test_training_refuses_unstable_step():
    with pytest.raises(RequestError, match="stability limit"):
        plan_training({"motif": "2_21_112", "lr": 50.0})


def test_derivation_job():
    jobs = JobManager()
    job = jobs.submit("derive", plan_derivation({"motif": "2_02_002", "model": "exact"}))
    assert jobs.wait(job.id, 120).status == "done", job.error
    assert r"\begin{align*}" in job.result["latex"]


def test_widget_html():
    html = widget(["2_21_112", "2_02_002"], C=0.5)._repr_html_()
    assert html.count("<svg") >= 3 and "1.54320" in html and "0.26187" in html
    with pytest.raises(ValueError, match="character 'x'"):
        widget("2_2x")


def test_cli_refuses_bad_port(capsys):
    from dagnngp.cli import main

    assert main(["playground", "--port", "70000", "--no-browser"]) == 2
    assert "--port" in capsys.readouterr().err


def test_ntk_views_and_every_weight_training():
    from dagnngp.numerics import ntk

    v = compute_views({"motifs": ["2_21_112"], "C": 0.5})
    assert v["ntk"]
    K0, mu0 = pair_gram(0.5)
    for model in ("exact", "paper"):
        want = pair_gap(np.asarray(ntk("2_21_112", K0, mu0, model=model).ntk), 0, 1)
        assert v["results"][0]["at_C"][model]["ntk_gap"] == pytest.approx(want, rel=1e-10)
    jobs = JobManager()
    job = jobs.submit("train", plan_training({"motif": "2_21_112", "width": 64, "steps": 10, "seeds": 1,
                                              "lr": 0.01, "n_inputs": 4, "trained": "all"}))
    assert jobs.wait(job.id, 60).status == "done", job.error
    assert job.result["predicted"] is not None and job.result["diverged"] == 0


def test_views_follow_edge_convention_weights_and_readout():
    motif = "2_2(0.5)1_112"
    v = compute_views({"motifs": [motif], "C": 0.5, "edge": "pre", "readout": False})
    r = v["results"][0]
    assert r["motif"] == motif and r["weighted"] and [0, 2, 2, 0.5] in r["edges"]
    assert v["options"]["edge"] == "pre" and v["options"]["readout"] is False
    K0, mu0 = pair_gram(0.5)
    for model in ("exact", "paper"):
        want = pair_gap(nngp(motif, K0, mu0, model=model, edge="pre").output, 0, 1)
        assert r["at_C"][model]["gap"] == pytest.approx(want, rel=1e-12)
        theta = np.asarray(ntk(motif, K0, mu0, model=model, edge="pre", readout=False).ntk)
        assert r["at_C"][model]["ntk_gap"] == pytest.approx(pair_gap(theta, 0, 1), rel=1e-10)
    # the weight enters as its square on the diagonal: with variance-preserving ReLU edges every
    # linear edge passes its source's diagonal on, so node 2 has 0.5^2 * 1 + 1 (1 + 1 unweighted) and
    # the output 1 + 1 + node 2's (skips from nodes 0 and 1, the linear edge from node 2)
    plain = compute_views({"motifs": ["2_21_112"], "C": 0.5, "edge": "pre"})["results"][0]
    assert plain["at_C"]["exact"]["diagonal"] == pytest.approx(4.0, rel=1e-12)
    assert r["at_C"]["exact"]["diagonal"] == pytest.approx(3.25, rel=1e-12)
    assert r["rule12"] is None and "post-activation" in r["rule12_note"]
    assert compute_views({"motifs": ["2_2(0.5)1_112"]})["results"][0]["rule12_note"] == \
        "rule (12) counts paths of unit-weight edges"
    # the stacked depth plot under pre-activation edges: a stack of single linear edges iterates the
    # normalised dual map of the correlation, as with post-activation edges (spec section 2.1)
    chain = compute_views({"motifs": ["2"], "C": 0.0, "depth": 2, "edge": "pre"})["results"][0]
    assert chain["stacked"]["exact"][1:] == pytest.approx([0.3183099, 0.4937311], abs=5e-8)


def test_gap_of_mean_gram_and_its_delta_method_error():
    rng = np.random.default_rng(3)
    A = rng.standard_normal((12, 4, 4))
    samples = A @ A.transpose(0, 2, 1) + np.eye(4)
    gap, se = gap_of_mean_gram(samples)
    mean = samples.mean(axis=0)
    for k in range(2):
        block = mean[2 * k:2 * k + 2, 2 * k:2 * k + 2].copy()
        assert gap[k] == pytest.approx(np.linalg.eigvalsh(block)[0], rel=1e-12)
        grad = numeric_grad(lambda b=block: float(np.linalg.eigvalsh(b)[0]), block)
        grad = np.array([grad[0, 0], grad[0, 1] + grad[1, 0], grad[1, 1]])  # a symmetric entry moves twice
        lin = [grad @ [G[2 * k, 2 * k], G[2 * k, 2 * k + 1], G[2 * k + 1, 2 * k + 1]] for G in samples]
        assert se[k] == pytest.approx(np.std(lin, ddof=1) / math.sqrt(len(lin)), rel=1e-6)


# The Monte Carlo overlay against nngp and ntk.  NNGP: width 2048 and 30 draws, where the finite-width
# bias of a Gram entry stays below FINITE_WIDTH_BIAS_SE standard errors (dagnngp.proofs_check.statistics);
# measured with 400 draws, the gap's bias is within 0.5 of a 30-draw standard error for these motifs and
# correlations (the largest |t| of the 400-draw means was 1.8).  NTK: width 1024 and 24 draws, the
# setting of tests/test_ntk.py; measured with 240 draws, the NTK gap's bias is within 0.46 of a 24-draw
# standard error for these cases (the largest |t| of the 240-draw means was 1.45).
# The gap of a mean 2x2 Gram is a smooth function of its three entries wherever the off-diagonal entry
# is far from 0; the test checks that (at 10 standard errors its curvature biases the gap by < 0.05 of
# one).  Each case makes one comparison of each kernel, three correlations each.
MC_CS = [0.0, 0.5, 0.9]
MC_NNGP, MC_NTK = (2048, 30), (1024, 24)
MC_CASES = [("2_21_112", "post", True), ("2_2(0.5)1_112", "post", False), ("2_2(0.5)1_112", "pre", True),
            ("1_2(-0.7)2(1.5)", "pre", False)]


@functools.cache
def _overlay(motif: str, edge: str, readout: bool = True, with_ntk: bool = False) -> dict:
    width, draws = MC_NTK if with_ntk else MC_NNGP
    jobs = JobManager()
    job = jobs.submit("mc", plan_monte_carlo({"motif": motif, "edge": edge, "width": width, "draws": draws,
                                              "C_points": MC_CS, "seed": 18, "ntk": with_ntk,
                                              "readout": readout}))
    assert jobs.wait(job.id, 300).status == "done", job.error
    return job.result


def _nngp_grams(motif: str, edge: str) -> list[np.ndarray]:
    return [nngp(motif, *pair_gram(C), edge=edge).output for C in MC_CS]


@pytest.mark.slow  # about 15 s of CPU: the NNGP and NTK overlays of four motifs
@pytest.mark.parametrize(("motif", "edge", "readout"), MC_CASES)
def test_monte_carlo_overlay_agrees_with_nngp_and_ntk(motif, edge, readout, alpha):
    each = alpha / (2 * len(MC_CASES))
    res = _overlay(motif, edge)
    assert res["C"] == MC_CS and res["draws"] == MC_NNGP[1] and res["edge"] == edge
    grams = _nngp_grams(motif, edge)
    assert all(abs(G[0, 1]) > 10 * se for G, se in zip(grams, res["gap_stderr"], strict=True))
    cmp = compare_to_mc([pair_gap(G, 0, 1) for G in grams], res["gap_mean"], res["gap_stderr"], MC_NNGP[1],
                        alpha=each, symmetric=False, bias_se=FINITE_WIDTH_BIAS_SE)
    assert not cmp.rejected, cmp.as_dict()

    res = _overlay(motif, edge, readout, with_ntk=True)
    assert res["draws"] == MC_NTK[1] and res["readout"] is readout
    thetas = [np.asarray(ntk(motif, *pair_gram(C), edge=edge, readout=readout).ntk) for C in MC_CS]
    assert all(abs(T[0, 1]) > 10 * se for T, se in zip(thetas, res["ntk_gap_stderr"], strict=True))
    cmp = compare_to_mc([pair_gap(T, 0, 1) for T in thetas], res["ntk_gap_mean"], res["ntk_gap_stderr"],
                        MC_NTK[1], alpha=each, symmetric=False, bias_se=FINITE_WIDTH_BIAS_SE)
    assert not cmp.rejected, cmp.as_dict()


def test_monte_carlo_overlay_rejects_wrong_kernels():
    # the controls: the weighted motif's overlay against the kernel of the same motif without its
    # weight (gaps 2-3 % apart), and the output node's NTK against the NTK with a trained readout
    res = _overlay("2_2(0.5)1_112", "pre")
    wrong = [pair_gap(G, 0, 1) for G in _nngp_grams("2_21_112", "pre")]
    assert compare_to_mc(wrong, res["gap_mean"], res["gap_stderr"], MC_NNGP[1], alpha=1e-6, symmetric=False,
                         bias_se=FINITE_WIDTH_BIAS_SE).rejected
    res = _overlay("2_2(0.5)1_112", "post", False, with_ntk=True)
    wrong = [pair_gap(np.asarray(ntk("2_2(0.5)1_112", *pair_gram(C), readout=True).ntk), 0, 1) for C in MC_CS]
    assert compare_to_mc(wrong, res["ntk_gap_mean"], res["ntk_gap_stderr"], MC_NTK[1], alpha=1e-6,
                         symmetric=False, bias_se=FINITE_WIDTH_BIAS_SE).rejected


def test_derivation_job_honours_edge_weights_and_readout():
    jobs = JobManager()
    job = jobs.submit("derive", plan_derivation({"motif": "2_2(0.5)1_112", "edge": "pre", "readout": False}))
    assert jobs.wait(job.id, 120).status == "done", job.error
    out = job.result
    assert (out["edge"], out["readout"], out["ntk_error"]) == ("pre", False, None)
    assert out["ntk_latex"].startswith("% NTK of the output node (no readout): motif 2_2(0.5)1_112")
    # node 2 = 0.5 * (linear edge from the input) + skip from node 1: K_ii = 0.5^2 + 1
    assert r"K^{(2)}_{ii} &= \frac{5}{4}" in out["latex"]
    assert "R_{12}" not in out["latex"] and "R_{12}" not in out["ntk_latex"]  # rule (12) does not apply
    assert out["series"] and out["ntk_series"]


def test_training_with_pre_activation_edges_and_weights():
    jobs = JobManager()
    job = jobs.submit("train", plan_training({"motif": "2_2(0.5)1_112", "edge": "pre", "width": 64,
                                              "steps": 10, "seeds": 1, "lr": 0.01, "n_inputs": 4,
                                              "trained": "all"}))
    assert jobs.wait(job.id, 60).status == "done", job.error
    res = job.result
    assert res["predicted"] is not None and res["measured_mean"][-1] < res["measured_mean"][0]


def test_widget_follows_edge_convention_weights_and_readout():
    motif = "2_2(0.5)1_112"
    html = widget(motif, C=0.5, edge="pre", readout=False)._repr_html_()
    K0, mu0 = pair_gram(0.5)
    gap = pair_gap(nngp(motif, K0, mu0, edge="pre").output, 0, 1)
    ntk_gap = pair_gap(np.asarray(ntk(motif, K0, mu0, edge="pre", readout=False).ntk), 0, 1)
    assert f"{gap:.5f}" in html and f"{ntk_gap:.5f}" in html
    assert ">0.5</text>" in html  # the weight written on its arc
    assert "NTK of the output node (no readout)" in html  # the table's caption


def test_training_job_reports_progress_within_a_run_and_cancels():
    jobs = JobManager()
    job = jobs.submit("train", plan_training({"motif": "2_21_112", "width": 512, "steps": 2000, "seeds": 1,
                                              "lr": 0.01, "trained": "all"}))
    deadline = time.monotonic() + 60
    while job.progress == 0.0 and job.status == "running" and time.monotonic() < deadline:
        time.sleep(0.02)
    assert job.status == "running" and "step" in job.message  # one seed, so the progress is within its run
    jobs.cancel(job.id)
    assert jobs.wait(job.id, 30).status == "cancelled"
