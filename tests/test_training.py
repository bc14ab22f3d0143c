"""dagnngp.training: loss predictions against independent formulas, finite runs, rates, bad input, CLI.

References: matrix powers and scipy's expm (not the eigen-expansion the library uses), the ReLU
arc-cosine kernels in closed form, brute-force step counting, and the older
``dagnngp.numerics.finite.gradient_descent`` loop.
"""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest
from scipy.linalg import expm

from dagnngp.cli import main
from dagnngp.limits import ResourceLimitError
from dagnngp.numerics.finite import FiniteNetwork, gradient_descent
from dagnngp.training import (
    LossModel,
    StepRule,
    condition,
    gap_ratio,
    lambda_ratio,
    paper_bound,
    predicted_loss,
    predicted_loss_continuous,
    scale_free_rates,
    steps_to_loss,
    train,
    train_seeds,
)
from dagnngp.training.data import digits_task, load_digits, synthetic_task


def _psd(n: int, seed: int) -> np.ndarray:
    A = np.random.default_rng(seed).standard_normal((n, n))
    return A @ A.T / n + 0.1 * np.eye(n)


def _reference_loss(theta, K, y, eta, steps):
    A = np.eye(len(y)) - eta * theta
    out = []
    for k in range(steps + 1):
        Ak = np.linalg.matrix_power(A, k)
        out.append(0.5 * (np.sum((Ak @ y) ** 2) + np.trace(Ak @ K @ Ak)))
    return np.array(out)


# ------------------------------------------------------------------ predictions
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_loss_model_matches_matrix_powers(seed):
    theta, K = _psd(6, seed), _psd(6, seed + 10)
    y = np.random.default_rng(seed).standard_normal(6)
    model = LossModel.from_kernels(theta, K, y)
    eta = 1.5 / np.linalg.eigvalsh(theta)[-1]
    np.testing.assert_allclose(model.loss(eta, 12), _reference_loss(theta, K, y, eta, 12), rtol=1e-11)


def test_continuous_limit_matches_expm_and_small_steps():
    theta, K = _psd(5, 3), _psd(5, 4)
    y = np.arange(5.0)
    model = LossModel.from_kernels(theta, K, y)
    for t in (0.0, 0.3, 2.0):
        E = expm(-t * theta)
        ref = 0.5 * (np.sum((E @ y) ** 2) + np.trace(E @ K @ E))
        assert model.loss_continuous([t])[0] == pytest.approx(ref, rel=1e-10)
    # gradient descent with a tiny step approaches gradient flow at t = eta k
    eta, k = 1e-4, 20000
    assert model.loss(eta, k)[-1] == pytest.approx(model.loss_continuous([eta * k])[0], rel=1e-3)


def test_steps_to_target_matches_brute_force_and_bound_is_closed_form():
    theta, K = _psd(4, 7), _psd(4, 8)
    y = np.ones(4)
    model = LossModel.from_kernels(theta, K, y)
    eta = 0.5 / np.linalg.eigvalsh(theta)[-1]
    curve = _reference_loss(theta, K, y, eta, 3000)
    brute = int(np.argmax(curve <= 1e-3 * curve[0]))
    assert brute > 0 and model.steps_to(1e-3, eta) == brute
    assert model.steps_to(1e-300, eta, max_steps=100) is None
    lam = np.linalg.eigvalsh(K)[0]
    np.testing.assert_allclose(model.bound(eta, 3, initial=2.0), 2.0 * (1 - eta * lam / 2) ** np.arange(4))
    assert paper_bound(0.5, 1.0, 1, 4.0).tolist() == [4.0, 3.0]


def test_step_rules_are_scale_free_and_fixed_is_not():
    theta, K = _psd(5, 1), _psd(5, 2)
    y = np.random.default_rng(1).standard_normal(5)
    a = 7.0
    base = LossModel.from_kernels(theta, K, y)
    scaled = LossModel.from_kernels(a * theta, a * K, math.sqrt(a) * y)  # every loss times a
    for rule in ("max:1", "trace:1.5"):
        np.testing.assert_allclose(scaled.loss(rule, 30), a * base.loss(rule, 30), rtol=1e-10)
        assert scaled.steps_to(1e-2, rule) == base.steps_to(1e-2, rule)
    eta = 0.1 / (a * np.linalg.eigvalsh(theta)[-1])
    assert not np.allclose(scaled.loss(eta, 30) / a, base.loss(eta, 30), rtol=1e-3)
    lam = np.linalg.eigvalsh(theta)
    assert StepRule.parse("max:0.5").eta(theta) == pytest.approx(0.5 / lam[-1])
    assert StepRule.parse("trace:1").eta(theta) == pytest.approx(1 / np.trace(theta))


def _relu_kernels(X):
    """Closed-form ReLU (c = 2) NNGP and readout-trained NTK of the one-edge motif '2'."""
    n = np.linalg.norm(X, axis=1)
    K0 = X @ X.T
    cos = np.clip(K0 / np.outer(n, n), -1, 1)
    th = np.arccos(cos)
    K1 = np.outer(n, n) * (np.sin(th) + (np.pi - th) * cos) / np.pi
    return K1 + (np.pi - th) / np.pi * K0, K1


def test_predicted_loss_uses_the_readout_trained_ntk():
    X, y = synthetic_task(5, 3, seed=2)
    theta, K = _relu_kernels(X)
    eta = 0.3
    np.testing.assert_allclose(predicted_loss("2", X, y, eta, 15), _reference_loss(theta, K, y, eta, 15),
                               rtol=1e-9)
    E = expm(-1.5 * theta)
    ref = 0.5 * (np.sum((E @ y) ** 2) + np.trace(E @ K @ E))
    assert predicted_loss_continuous("2", X, y, [1.5])[0] == pytest.approx(ref, rel=1e-9)
    assert steps_to_loss("2", X, y, "max:1", 0.05) == LossModel.from_kernels(theta, K, y).steps_to(
        0.05, 1 / np.linalg.eigvalsh(theta)[-1])


# ------------------------------------------------------------------- rates
def test_scale_free_rates_closed_forms_and_invariance():
    K = np.array([[4.0, 3.0], [3.0, 4.0]])
    assert gap_ratio(K) == pytest.approx(0.25)  # 1 - |b| / a
    assert lambda_ratio(K) == pytest.approx(1 / 7)  # (a - b) / (a + b)
    assert condition(K) == pytest.approx(7.0)
    assert condition(np.ones((3, 3))) == math.inf
    A, B = _psd(4, 5), _psd(4, 6)
    r1, r2 = scale_free_rates(A, B), scale_free_rates(9 * A, 9 * B)
    assert r1.keys() == r2.keys()
    for k in r1:
        assert r2[k] == pytest.approx(r1[k], rel=1e-9), k


# ---------------------------------------------------------------- finite runs
def test_gradient_descent_matches_the_numerics_loop_and_is_reproducible():
    X, y = synthetic_task(4, 3, seed=1)
    run = train("2_21_112", X, y, width=48, lr=0.02, steps=15, seed=5, progress=False)
    net = FiniteNetwork.initialise("2_21_112", 48, np.random.default_rng(5))
    ref = gradient_descent(net, X, y, 0.02, 15)  # ||y - u||^2
    np.testing.assert_allclose(run.losses, 0.5 * ref, rtol=1e-10)
    again = train("2_21_112", X, y, width=48, lr=0.02, steps=15, seed=5, progress=False)
    assert np.array_equal(run.losses, again.losses)


def test_sgd_is_seeded_and_float32_runs():
    X, y = synthetic_task(8, 4, seed=3)
    a = train("2_02", X, y, width=32, lr=0.02, steps=20, seed=1, batch_size=3, progress=False)
    b = train("2_02", X, y, width=32, lr=0.02, steps=20, seed=1, batch_size=3, progress=False)
    c = train("2_02", X, y, width=32, lr=0.02, steps=20, seed=2, batch_size=3, progress=False)
    assert np.array_equal(a.losses, b.losses) and not np.array_equal(a.losses, c.losses)
    assert a.batch_size == 3 and a.losses[-1] < a.losses[0]
    f = train("2_02", X, y, width=32, lr=0.02, steps=5, seed=1, dtype="float32", progress=False)
    assert f.dtype == "float32" and np.all(np.isfinite(f.losses))


def test_antithetic_twin_flips_the_initial_outputs():
    X, y = synthetic_task(4, 3)
    runs = train_seeds("2_02", X, y, seeds=[3], width=32, lr=0.01, steps=0, antithetic=True, progress=False)
    # L0 = 1/2 ||u - y||^2 and 1/2 ||-u - y||^2: their mean is 1/2 (||u||^2 + ||y||^2)
    net = FiniteNetwork.initialise("2_02", 32, np.random.default_rng(3))
    u = net.outputs(X)
    assert 0.5 * (runs[0].losses[0] + runs[1].losses[0]) == pytest.approx(0.5 * (u @ u + y @ y))


def test_a_diverging_run_is_reported_as_diverged_without_nan():
    X, y = synthetic_task(6, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow RuntimeWarning either
        run = train("2_02_002", X, y, width=32, lr=5.0, steps=200, seed=0, progress=False)
    assert run.diverged and run.diverged_at is not None and 0 < run.diverged_at <= 200
    assert len(run.losses) == run.diverged_at and np.all(np.isfinite(run.losses))
    assert run.summary()["diverged"] is True


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("kwargs, match", [
    ({"width": 0}, "width=0 is too small"),
    ({"width": 10**9}, "needs about"),
    ({"width": 2}, "smaller than the input dimension"),
    ({"lr": float("nan")}, "finite number > 0"),
    ({"lr": -1.0}, "finite number > 0"),
    ({"steps": -1}, "steps=-1 is too small"),
    ({"batch_size": 99}, "larger than the 6 inputs"),
    ({"y": np.ones((6, 1))}, "1-D array"),
    ({"y": np.ones(5)}, r"shape \(6,\)"),
    ({"y": np.r_[np.ones(5), np.nan]}, "non-finite"),
    ({"X": np.r_[np.ones((5, 4)), [[np.nan] * 4]]}, "non-finite"),
])
def test_bad_training_input_is_refused_clearly(kwargs, match):
    X, y = synthetic_task(6, 4)
    args = {"X": X, "y": y, "width": 16, "lr": 0.01, "steps": 3}
    args.update(kwargs)
    Xa, ya = args.pop("X"), args.pop("y")
    error = ResourceLimitError if match == "needs about" else ValueError
    with pytest.raises(error, match=match):
        train("2_02_002", Xa, ya, progress=False, **args)


def test_bad_prediction_input_is_refused_clearly():
    X, y = synthetic_task(4, 3)
    limit = 2 / np.linalg.eigvalsh(_relu_kernels(X)[0])[-1]
    with pytest.raises(ValueError, match="stability limit"):
        predicted_loss("2", X, y, 1.01 * limit, 5)
    with pytest.raises(ValueError, match="c < 2"):
        StepRule.parse("max:2.5")
    with pytest.raises(ValueError, match="write fixed:ETA"):
        StepRule.parse("max:fast")
    with pytest.raises(ValueError, match="shape"):
        predicted_loss("2", X, y[:3], 0.01, 5)
    with pytest.raises(ValueError, match="non-finite"):
        predicted_loss("2", np.full((3, 2), np.nan), [1.0, 2.0, 3.0], 0.01, 5)
    with pytest.raises(ValueError, match="positive semi-definite"):
        LossModel.from_kernels(-np.eye(2), np.eye(2), [1.0, 1.0])


# ------------------------------------------------------------------ data
def test_digits_table_is_scikit_learns_first_twenty_of_each_digit():
    images, labels = load_digits()
    assert images.shape == (200, 64) and np.bincount(labels).tolist() == [20] * 10
    assert images.min() == 0 and images.max() == 16
    X, y = digits_task(10)
    assert np.allclose(X.sum(axis=1), 0) and y.tolist() == [1.0, -1.0] * 5
    sklearn = pytest.importorskip("sklearn.datasets")
    d = sklearn.load_digits()
    rows = np.concatenate([np.flatnonzero(d.target == c)[:20] for c in range(10)])
    rows.sort()
    np.testing.assert_array_equal(images, d.data[rows])
    np.testing.assert_array_equal(labels, d.target[rows])


# -------------------------------------------------------------------- CLI
def test_train_command_json_plot_and_divergence(tmp_path, capsys):
    png = tmp_path / "curves.png"
    assert main(["train", "2_02", "2_12", "--data", "synthetic", "--inputs", "4", "--dim", "3",
                 "--width", "16", "--seeds", "2", "--steps", "5", "--rule", "max:1", "--rule", "fixed:auto",
                 "--plot", str(png), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)["synthetic"]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rule = out["rules"]["max:1"]
    assert set(rule["motifs"]) == {"2_02", "2_12"} and rule["ranking"]["agree"] in (True, False)
    assert len(rule["motifs"]["2_02"]["predicted"]) == 6
    # a step above the stability limit: refused, or run and reported as diverged
    args = ["train", "2_02_002", "--data", "synthetic", "--inputs", "6", "--width", "16", "--seeds", "2",
            "--steps", "100", "--rule", "fixed:10"]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("dagnngp train: error:") and "stability limit" in err and "\n" not in err
    assert main([*args, "--allow-unstable"]) == 0
    text = capsys.readouterr().out
    assert "2 of 2 (at step" in text and "nan" not in text.lower()


@pytest.mark.parametrize("args, code, match", [
    (["--width", "0"], 2, "is not an integer >= 1"),
    (["--width", "1000000000"], 4, "needs about"),
    (["--width", "4", "--data", "digits"], 2, "smaller than the digits inputs' dimension 64"),
    (["--rule", "max:3"], 2, "c < 2"),
    (["--inputs", "1"], 2, "is not an integer in"),
])
def test_train_command_bad_input_is_one_line(args, code, match, capsys):
    assert main(["train", "2_02", "--data", "synthetic", "--steps", "2", "--seeds", "1", *args]) == code
    err = capsys.readouterr().err.strip()
    assert match in err and err.count("\n") == 0


def test_kernel_and_sweep_normalise(capsys):
    assert main(["kernel", "1_01_222", "--C", "0.5", "--normalise", "--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    K_ii, K_ij = s["diagonal"], s["offdiagonal"]
    assert s["scale_free"]["nngp_gap_ratio"] == pytest.approx(1 - K_ij / K_ii)
    assert s["scale_free"]["nngp_lambda_ratio"] == pytest.approx((K_ii - K_ij) / (K_ii + K_ij))
    assert main(["sweep", "--nodes", "3", "--normalise", "--top", "50", "--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    ratios = [r["gap_ratio"] for r in s["best"]]
    assert ratios == sorted(ratios, reverse=True)
    for r in s["best"]:  # equal diagonals a, off-diagonal b: gap_ratio g = 1 - b/a, l_min/l_max = g / (2 - g)
        assert r["lambda_ratio"] == pytest.approx(r["gap_ratio"] / (2 - r["gap_ratio"]))
    assert "1_11" not in [r["motif"] for r in s["best"]] and s["n_skip_only"] > 0


def test_pre_activation_edges_and_weighted_motifs_train_and_predict():
    X, y = synthetic_task(6, 4, seed=4)
    res = train("1_2(0.5)1", X, y, width=64, lr=0.05, steps=10, seed=0, edge="pre", progress=False)
    assert not res.diverged and res.losses[-1] < res.losses[0]
    curve = predicted_loss("1_2(0.5)1", X, y, "max:1", 10, edge="pre")
    post = predicted_loss("1_2(0.5)1", X, y, "max:1", 10)
    assert curve[-1] < curve[0] and not np.allclose(curve, post)
