"""Finite networks for every activation: closed forms against finite widths, edge ops, backward pass, CLI.

False-alarm budget: the two tests that compare networks with correct closed forms
take their shares of the suite's budget (``tests/conftest.py``, 7e-5 and 3e-5) and
split them over their ``N_COMPARISONS`` comparisons, each at family-wise level
(Bonferroni over the Gram's entries, :func:`dagnngp.proofs_check.statistics.compare_to_mc`);
the controls must reject wrong closed forms at the small level 1e-5.  The references are
SymPy closed forms (:func:`dagnngp.theory.derive`), evaluated at the inputs'
correlations; the networks are seeded, so a run is reproducible.
"""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest
from helpers import numeric_grad as _numeric_grad

from dagnngp.cli import main
from dagnngp.errors import VarianceWarning
from dagnngp.motif import Motif, Op
from dagnngp.numerics import lambdify
from dagnngp.numerics.activations import ACTIVATIONS
from dagnngp.numerics.finite import (
    EDGE_OPS,
    FiniteNetwork,
    NetworkSpec,
    check_variance,
    gradient_descent,
    sample_features,
    variance_preserving_c_sigma,
)
from dagnngp.numerics.sampling import monte_carlo
from dagnngp.proofs_check.statistics import compare_to_mc
from dagnngp.theory import derive
from dagnngp.theory.activations import lookup
from dagnngp.theory.program import EDGE_RULES

#: the closed-form comparisons below: 10 parametrised cases + 2 in the explicit/float32 test
N_COMPARISONS = 12

#: a parameter for every registered activation that takes one (the others take none)
PARAMS = {"leaky": {"slope": 0.2}, "abrelu": {"a": 1.0, "b": -0.5}}


def unit_centred(n: int, d: int, seed: int) -> np.ndarray:
    """``n`` unit-norm inputs whose coordinates sum to zero (so the input means vanish)."""
    X = np.random.default_rng(seed).standard_normal((n, d))
    X -= X.mean(axis=1, keepdims=True)
    return X / np.linalg.norm(X, axis=1, keepdims=True)


X3 = unit_centred(3, 6, seed=12)


def closed_form(motif: str, X: np.ndarray, **kernel) -> np.ndarray:
    """The output Gram from the SymPy derivation for unit centred inputs, at every pair's correlation."""
    f = lambdify(derive(motif, general=False, **kernel), ("diagonal", "offdiagonal"))
    C = np.clip(X @ X.T, -1.0, 1.0)
    n = X.shape[0]
    K = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            diagonal, offdiagonal = f(float(C[i, j]))
            K[i, j] = diagonal if i == j else offdiagonal
    return K


# ------------------------------------------------ closed forms vs networks
LEAKY = {"activation": "leaky", "activation_params": {"slope": 0.2}, "c_sigma": 2 / 1.04}
CASES = {
    "leaky": LEAKY,
    "leaky-negative-slope-bias": {"activation": "leaky", "activation_params": {"slope": -0.3},
                                  "c_sigma": 2 / 1.09, "sigma_b": 0.4},
    "step": {"activation": "step"},
    "step-bias": {"activation": "step", "sigma_b": 0.5},
    "relu-bias": {"activation": "relu", "sigma_b": 0.5},
}


@pytest.mark.parametrize("motif", ["2_21_112", "1_01_222"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_closed_forms_agree_with_width_2048_networks(case, motif, alpha):
    kernel = CASES[case]
    alpha /= 2 * len(CASES)  # this test's share of the suite's false-alarm budget, over its cases
    width, draws = 2048, 40
    res = monte_carlo(motif, X3, width, draws, seed=120, **kernel)
    assert np.max(np.abs(res.mu0)) < 1e-12  # centred inputs: the closed forms' setting
    cmp = compare_to_mc(closed_form(motif, X3, **kernel), res.mean, res.stderr, draws, alpha=alpha)
    assert not cmp.rejected, cmp.as_dict()


def test_explicit_weights_and_float32_agree_with_the_closed_form_too(alpha):
    kernel = CASES["leaky-negative-slope-bias"]
    K = closed_form("1_12", X3, **kernel)  # one linear edge next to a skip: explicit weights stay cheap
    for sampler, dtype, width in (("explicit", "float64", 1024), ("gram", "float32", 2048)):
        res = monte_carlo("1_12", X3, width, 30, seed=121, sampler=sampler, dtype=dtype, **kernel)
        assert res.samples.dtype == np.dtype(dtype) and res.dtype == dtype
        cmp = compare_to_mc(K, res.mean, res.stderr, 30, alpha=alpha / 2)
        assert not cmp.rejected, (sampler, dtype, cmp.as_dict())


def test_comparison_rejects_a_wrong_slope_and_a_missing_bias():
    ALPHA = 1e-5  # noqa: N806 - a control: the test must reject even at this small level
    # controls: the same networks, against closed forms that are wrong in one setting
    res = monte_carlo("2_21_112", X3, 2048, 40, seed=120, **LEAKY)
    wrong_slope = closed_form("2_21_112", X3, activation="leaky", activation_params={"slope": 0.25},
                              c_sigma=LEAKY["c_sigma"])
    cmp = compare_to_mc(wrong_slope, res.mean, res.stderr, 40, alpha=ALPHA)
    assert cmp.rejected and cmp.max_abs_t > 2 * cmp.threshold
    with_bias = monte_carlo("2_21_112", X3, 2048, 40, seed=120, **CASES["relu-bias"])
    no_bias = closed_form("2_21_112", X3, activation="relu")
    cmp = compare_to_mc(no_bias, with_bias.mean, with_bias.stderr, 40, alpha=ALPHA)
    assert cmp.rejected and cmp.max_abs_t > 2 * cmp.threshold


# ---------------------------------------------------------------- edge ops
def test_edge_ops_cover_every_op_like_the_engine_walk():
    assert set(EDGE_OPS) == set(Op) == set(EDGE_RULES)
    assert all(EDGE_OPS[op].name == EDGE_RULES[op].name and EDGE_OPS[op].op is op for op in Op)


@pytest.mark.parametrize("motif", ["2_21_112", "1_12_112", "0_21_112"])
def test_explicit_sampler_and_finite_network_are_the_same_network(motif):
    # the explicit sampler draws W per linear edge in the order FiniteNetwork.initialise does
    net = FiniteNetwork.initialise(motif, 32, np.random.default_rng(4), activation="abrelu",
                                   activation_params={"a": 1.0, "b": -0.5}, c_sigma=1.6)
    spec = NetworkSpec.make("abrelu", {"a": 1.0, "b": -0.5}, c_sigma=1.6)
    drawn = sample_features(motif, X3, 32, np.random.default_rng(4), "explicit", spec)
    feats, _ = net.forward(X3)
    for a, b in zip(drawn, feats, strict=True):
        np.testing.assert_array_equal(a, b)


def test_bias_enters_every_unit_before_the_activation():
    # a zero input still gets a Gaussian pre-activation of variance sigma_b^2 on a linear edge
    X = np.zeros((1, 3))
    net = FiniteNetwork.initialise("2", 4096, np.random.default_rng(0), sigma_b=0.5)
    feats, pre = net.forward(X)
    np.testing.assert_array_equal(pre[(0, 1)][:, 0], 0.5 * net.biases[(0, 1)])  # sigma_b beta
    np.testing.assert_array_equal(feats[1][:, 0], np.sqrt(2 / 4096) * np.maximum(0.5 * net.biases[(0, 1)], 0))
    assert FiniteNetwork.initialise("2", 8, np.random.default_rng(0)).biases == {}


def test_a_seed_gives_the_same_weights_and_readout_whatever_the_bias():
    a = FiniteNetwork.initialise("2_21_112", 16, np.random.default_rng(3))
    b = FiniteNetwork.initialise("2_21_112", 16, np.random.default_rng(3), sigma_b=0.7)
    assert all(np.array_equal(a.weights[e], b.weights[e]) for e in a.weights)
    assert np.array_equal(a.readout, b.readout) and sorted(b.biases) == sorted(b.weights)


# ------------------------------------------------------------ backward pass
def _parameters(net: FiniteNetwork) -> list[np.ndarray]:
    return [*net.weights.values(), *net.biases.values(), net.readout]


@pytest.mark.parametrize(("activation", "params"), [("leaky", {"slope": -0.4}), ("arccos2", {})])
def test_gradients_and_ntk_with_biases_match_finite_differences(activation, params):
    rng = np.random.default_rng(7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", VarianceWarning)
        net = FiniteNetwork.initialise("1_12_112", 5, rng, activation=activation,
                                       activation_params=params, sigma_b=0.3)
    X = rng.standard_normal((3, 4)) / 2
    y = rng.standard_normal(3)
    g = net.gradients(X, y)

    def loss():
        return 0.5 * float(np.sum((net.outputs(X) - y) ** 2))

    for e, W in net.weights.items():
        np.testing.assert_allclose(g.weights[e], _numeric_grad(loss, W), rtol=1e-5, atol=1e-7)
    for e, b in net.biases.items():
        np.testing.assert_allclose(g.biases[e], _numeric_grad(loss, b), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(g.readout, _numeric_grad(loss, net.readout), rtol=1e-5, atol=1e-7)
    rows = []
    for i in range(3):
        def out(i=i):
            return float(net.outputs(X)[i])
        rows.append(np.concatenate([_numeric_grad(out, p).ravel() for p in _parameters(net)]))
    J = np.array(rows)
    theta, _ = net.ntk(X)
    np.testing.assert_allclose(theta, J @ J.T, rtol=1e-5, atol=1e-7)


def test_step_networks_pass_no_gradient_to_their_weights():
    net = FiniteNetwork.initialise("2_21_112", 16, np.random.default_rng(0), activation="step")
    theta, readout_gram = net.ntk(X3)
    np.testing.assert_array_equal(theta, readout_gram)  # the step's derivative is 0 almost everywhere


def test_gradient_descent_trains_biases_and_lowers_the_loss():
    rng = np.random.default_rng(2)
    net = FiniteNetwork.initialise("2_02_002", 64, rng, activation="leaky",
                                   activation_params={"slope": 0.1}, c_sigma=2 / 1.01, sigma_b=0.2)
    before = {e: b.copy() for e, b in net.biases.items()}
    X = rng.standard_normal((4, 6)) / 3
    losses = gradient_descent(net, X, rng.standard_normal(4), eta=0.05, steps=30)
    assert losses.shape == (31,) and np.all(np.diff(losses) < 0)
    assert all(not np.array_equal(before[e], net.biases[e]) for e in before)


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda net: gradient_descent(net, X3, [1.0, 2.0], 0.1, 3), r"shape \(3,\)"),
        (lambda net: gradient_descent(net, X3, [1.0, 2.0, 3.0], -0.1, 3), "eta"),
        (lambda net: gradient_descent(net, X3, [1.0, 2.0, 3.0], 0.1, 2.5), "steps must be an integer"),
        (lambda net: net.ntk(np.ones((2, 9))), "smaller than the input dimension"),
    ],
)
def test_network_bad_arguments_raise_clear_value_errors(call, fragment):
    net = FiniteNetwork.initialise("2_21", 8, np.random.default_rng(0))
    with pytest.raises(ValueError, match=fragment):
        call(net)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"activation": "tanh"}, "not known"),
        ({"activation": "leaky", "activation_params": {"slope": "x"}}, "not a number"),
        ({"activation": "relu", "activation_params": {"slope": 0.1}}, "bad parameters"),
        ({"sigma_b": -1.0}, "sigma_b"),
        ({"sigma_b": float("nan")}, "sigma_b"),
        ({"dtype": "float16"}, "float32, float64"),
        ({"width": 0}, "width"),
    ],
)
def test_initialise_bad_arguments_raise_clear_value_errors(kwargs, fragment):
    args = {"motif": "2_21", "width": 8, "rng": np.random.default_rng(0)}
    args.update(kwargs)
    with pytest.raises(ValueError, match=fragment):
        FiniteNetwork.initialise(**args)


# ------------------------------------------------------- every activation
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_monte_carlo_and_the_cli_accept_every_registered_activation(activation, capsys):
    params = PARAMS.get(activation, {})
    c_sigma = variance_preserving_c_sigma(activation, params)
    with warnings.catch_warnings():
        warnings.simplefilter("error", VarianceWarning)  # the preserving value does not warn
        res = monte_carlo("2_21_112", X3, 64, 3, seed=0, activation=activation, activation_params=params,
                          c_sigma=c_sigma, sigma_b=0.1)
    assert res.activation == activation and res.activation_params == params
    assert np.all(np.isfinite(res.mean)) and np.all(np.isfinite(res.stderr))
    flags = ["--activation", activation, "--c-sigma", repr(c_sigma), "--sigma-b", "0.1"]
    flags += [f"--param={k}={v}" for k, v in params.items()]
    assert main(["kernel", "2_21_112", "--json", *flags]) == 0
    kernel = json.loads(capsys.readouterr().out)
    assert kernel["activation"] == activation and kernel["sigma_b"] == 0.1
    assert main(["mc", "2_21_112", "--width", "64", "--draws", "3", "--json", *flags]) == 0
    out = capsys.readouterr()
    assert json.loads(out.out)["activation"] == activation and "warning" not in out.err
    if lookup(activation, **params).closed_form:
        assert main(["derive", "2_02", "--series", "0", *flags]) == 0
        assert capsys.readouterr().err == ""
    else:  # a symbolic derivation needs a closed-form dual map, and says so in one line
        assert main(["derive", "2_02", "--series", "0", *flags]) == 2
        err = capsys.readouterr().err
        assert "closed-form dual map" in err and len(err.strip().splitlines()) == 1
    status = main(["sweep", "--nodes", "3", "--top", "1", *flags])
    err = capsys.readouterr().err
    if activation in ("relu", "arccos1"):
        assert status == 0 and err == ""
    else:
        assert status == 2 and "ReLU only" in err and len(err.strip().splitlines()) == 1


# -------------------------------------------------- variance preservation
@pytest.mark.parametrize(
    ("activation", "params", "preserving"),
    [
        ("relu", {}, 2.0),
        ("step", {}, 2.0),
        ("arccos2", {}, 2 / 3),  # E[relu(u)^4] = 3/2
        ("leaky", {"slope": 0.3}, 2 / (1 + 0.3**2)),
        ("abrelu", {"a": 2.0, "b": -1.0}, 2 / (4 + 1)),
    ],
)
def test_variance_preserving_values(activation, params, preserving):
    assert variance_preserving_c_sigma(activation, params) == pytest.approx(preserving, rel=1e-14)
    assert check_variance(activation, preserving, params)
    with pytest.warns(VarianceWarning, match=f"c_sigma = {preserving:.10g}"):
        assert not check_variance(activation, 1.1 * preserving, params)


def test_monte_carlo_warns_once_per_call_and_names_the_preserving_value():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        monte_carlo("2_02_002", X3, 16, 3, seed=0, activation="leaky", activation_params={"slope": 0.5})
    msgs = [str(w.message) for w in caught if issubclass(w.category, VarianceWarning)]
    assert len(msgs) == 1 and "c_sigma = 1.6" in msgs[0] and "'leaky' (slope=0.5)" in msgs[0]
    assert caught[0].filename == __file__  # points at the caller


def test_cli_prints_one_warning_line_for_a_non_preserving_c_sigma(capsys):
    assert main(["mc", "2_21_112", "--width", "32", "--draws", "3", "--c-sigma", "1"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("dagnngp mc: warning: c_sigma=1 ")
    assert "c_sigma = 2" in err[0]
    assert main(["kernel", "2_21_112", "--activation", "arccos2"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "c_sigma = 0.6666666667" in err[0]


def test_variance_check_refuses_an_unknown_activation():
    with pytest.raises(ValueError, match="not known"):
        variance_preserving_c_sigma("tanh")


def test_kernel_cli_rule12_is_relu_only(capsys):
    assert main(["kernel", "2_21_112", "--activation", "step"]) == 0
    assert "not defined" in capsys.readouterr().out
    assert main(["kernel", "2_21_112", "--activation", "step", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["rule12"] is None


def test_sweep_takes_c_sigma_and_sigma_b():
    from dagnngp.commands.sweep import sweep_summary
    from dagnngp.numerics.reference import nngp, pair_gram

    s = sweep_summary(3, 0.3, top=1, c_sigma=1.5, sigma_b=0.4)
    best = s["best"][0]
    K = nngp(Motif.parse(best["motif"]), *pair_gram(0.3), c_sigma=1.5, sigma_b=0.4, backend="numpy").output
    assert best["gap_2x2"] == pytest.approx(K[0, 0] - abs(K[0, 1]), rel=1e-12)
    assert math.isclose(s["c_sigma"], 1.5) and math.isclose(s["sigma_b"], 0.4)


def test_a_kernel_spec_configures_the_networks_like_keywords():
    from dagnngp.theory.spec import KernelSpec

    spec = KernelSpec(model="paper", activation="leaky", activation_params={"slope": 0.5}, c_sigma=1.6,
                      sigma_b=0.2)
    a = monte_carlo("2_21_112", X3, 32, 3, seed=5, spec=spec)
    b = monte_carlo("2_21_112", X3, 32, 3, seed=5, activation="leaky", activation_params={"slope": 0.5},
                    c_sigma=1.6, sigma_b=0.2)
    np.testing.assert_array_equal(a.samples, b.samples)
    assert (a.activation, a.activation_params, a.c_sigma, a.sigma_b) == ("leaky", {"slope": 0.5}, 1.6, 0.2)
    net = FiniteNetwork.initialise("2_21", 8, np.random.default_rng(0), spec=spec)
    assert (net.activation, net.sigma_b, sorted(net.biases)) == ("leaky", 0.2, [(0, 1), (0, 2)])
    with pytest.raises(ValueError, match="conflicts with spec.c_sigma"):
        monte_carlo("2_21_112", X3, 32, 3, spec=spec, c_sigma=2.0)


def test_an_activation_without_a_derivative_runs_forward_but_refuses_gradients(monkeypatch):
    import dataclasses
    import types

    net = FiniteNetwork.initialise("2_21", 8, np.random.default_rng(0))
    spec = net.spec
    bare = types.SimpleNamespace(finite=spec.maps.finite)  # an activation that knows only its map
    monkeypatch.setattr(FiniteNetwork, "spec", property(lambda self: dataclasses.replace(spec, maps=bare)))
    assert net.outputs(X3).shape == (3,)
    with pytest.raises(ValueError, match="no derivative registered"):
        net.ntk(X3)


def test_overflowing_networks_raise_instead_of_returning_inf():
    with pytest.raises(ValueError, match="sigma_b=1e\\+200 is too large"):
        monte_carlo("2", X3, 16, 2, sigma_b=1e200)
    with pytest.raises(ValueError, match="overflowed \\(float32\\)"):
        monte_carlo("2_02_002", 1e12 * X3, 16, 2, activation="arccos2", c_sigma=2 / 3, dtype="float32")
