"""Mutation run: deliberate faults in the sampler, the recursion and the constants, and what catches them.

Each fault in ``FAULTS`` applies one ``monkeypatch`` to the narrowest seam the toolkit exposes (the
reference's activation maps, the dual map's series table, the 2x2 formula, the sampler's result,
features and inputs, ...).  Every patch target is named in that one table, so re-pointing a fault after the
kernel engine changes is a one-place edit.  ``CATCHERS`` lists, per fault, the checks and tests that
must fail under it; the test below runs them and asserts each one does.

``python tests/test_mutations.py`` prints the full matrix (every fault against every catcher), the
record of which test catches which fault.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import math
import sys
from collections.abc import Callable
from pathlib import Path

import mpmath
import numpy as np
import pytest

from dagnngp.motif import Motif

HERE = Path(__file__).parent

# ----------------------------------------------------------------------------- the faults
# Every seam a fault patches, in one place.
MC_MODULE = "dagnngp.numerics.sampling"  # the sampler: MonteCarloResult, sample_features, check_inputs
# get_activation as the NumPy reference looks it up: its ReLU maps (the fused Numba backend, the
# default for NumPy ReLU inputs, has its own compiled maps and does not see these faults)
ACT_LOOKUP = ("dagnngp.numerics.reference", "get_activation")
DUAL_MODULE = "dagnngp.numerics.dual"  # J_SERIES: the series of sin t - t cos t behind h near C = +-1
BOUNDS_MODULE = "dagnngp.numerics.bounds"  # least_eigenvalue_2x2
REFERENCE_MODULE = "dagnngp.numerics.reference"  # _evaluate: the NumPy recursion, given sigma_b
SERIES_MODULE = "dagnngp.theory.series"  # _edge_expansion: Puiseux coefficients of h at C = +-1


def _module(name: str):
    return importlib.import_module(name)


def _wrap_mc_result(mp: pytest.MonkeyPatch, change: Callable[[dict], None]) -> None:
    mc = _module(MC_MODULE)
    real = mc.MonteCarloResult

    def faulty(**kwargs):
        change(kwargs)
        return real(**kwargs)

    mp.setattr(mc, "MonteCarloResult", faulty)


def _means_x2(kw: dict) -> None:
    kw["means"] = {t: v * 2 if t else v for t, v in kw["means"].items()}
    kw["means_stderr"] = {t: v * 2 if t else v for t, v in kw["means_stderr"].items()}


def _gram_x15(kw: dict) -> None:
    for key in ("mean", "stderr", "samples"):
        kw[key] = kw[key] * 1.5
    for key in ("nodes", "nodes_stderr"):
        kw[key] = {t: v * 1.5 if t else v for t, v in kw[key].items()}
    for key in ("cross", "cross_stderr"):
        kw[key] = {tu: v * 1.5 if tu[1] else v for tu, v in kw[key].items()}


def _patch_relu_maps(mp: pytest.MonkeyPatch, change: Callable) -> None:
    """Make the reference's ``get_activation("relu", c_sigma)`` return ``change(maps, c_sigma)``."""
    module, name = _module(ACT_LOOKUP[0]), ACT_LOOKUP[1]
    real = getattr(module, name)

    def faulty(activation="relu", c_sigma=2.0, **params):
        maps = real(activation, c_sigma, **params)
        return change(maps, c_sigma) if activation == "relu" else maps

    mp.setattr(module, name, faulty)


def _fault_sampler_means_x2(mp: pytest.MonkeyPatch) -> None:
    _wrap_mc_result(mp, _means_x2)


def _fault_sampler_gram_x15(mp: pytest.MonkeyPatch) -> None:
    _wrap_mc_result(mp, _gram_x15)


def _fault_sampler_features_centred(mp: pytest.MonkeyPatch) -> None:
    # the forward pass subtracts each node's coordinate mean (as a stray normalisation would)
    mc = _module(MC_MODULE)
    real = mc.sample_features

    def faulty(*args, **kwargs):
        feats = real(*args, **kwargs)
        return [feats[0]] + [F - F.mean(axis=0, keepdims=True) for F in feats[1:]]

    mp.setattr(mc, "sample_features", faulty)


def _fault_sampler_input_mean_scale(mp: pytest.MonkeyPatch) -> None:
    # the sampler reports mu0 = sum_k x_k / m instead of / sqrt(m)
    mc = _module(MC_MODULE)
    real = mc.check_inputs

    def faulty(X, width):
        arr, K0, mu0 = real(X, width)
        return arr, K0, mu0 / math.sqrt(width)

    mp.setattr(mc, "check_inputs", faulty)


def _fault_mean_constant(mp: pytest.MonkeyPatch) -> None:
    # the paper's b = sqrt(c)/2 per unit scale instead of sqrt(c/(2 pi)): a wrong mean constant
    _patch_relu_maps(mp, lambda maps, c: dataclasses.replace(
        maps, mean=lambda d: np.sqrt(c) / 2 * np.sqrt(np.asarray(d))))


def _fault_cross_terms_dropped(mp: pytest.MonkeyPatch) -> None:
    # edge means of zero drop every linear-linear and linear-skip cross term of the exact model
    _patch_relu_maps(mp, lambda maps, c: dataclasses.replace(maps, mean=lambda d: np.zeros_like(d)))


def _fault_bias_ignored(mp: pytest.MonkeyPatch) -> None:
    ref = _module(REFERENCE_MODULE)
    real = ref._evaluate

    def faulty(m, model, K0, mu0, act, sigma_b, edge, all_nodes, readout=None):
        return real(m, model, K0, mu0, act, 0.0, edge, all_nodes, readout)

    mp.setattr(ref, "_evaluate", faulty)


def _fault_dual_series_coefficient(mp: pytest.MonkeyPatch) -> None:
    dual = _module(DUAL_MODULE)
    coeffs = list(dual.J_SERIES)
    coeffs[1] = -1 / 31  # the t^5 coefficient of sin t - t cos t is -1/30
    mp.setattr(dual, "J_SERIES", tuple(coeffs))


def _fault_2x2_sign(mp: pytest.MonkeyPatch) -> None:
    # (a+c)/2 - sign(b) sqrt(((a-c)/2)^2 + b^2): the paper's "P - f", wrong for negative b
    def faulty(a, c, b):
        a, c, b = (np.asarray(v, dtype=float) for v in (a, c, b))
        return 0.5 * (a + c) - np.sign(b) * np.hypot(0.5 * (a - c), b)

    mp.setattr(_module(BOUNDS_MODULE), "least_eigenvalue_2x2", faulty)


def _fault_theory_series_coefficient(mp: pytest.MonkeyPatch) -> None:
    series = _module(SERIES_MODULE)
    real = series._edge_expansion

    def faulty(order, sign, n_terms):
        coeffs = list(real(order, sign, n_terms))
        if len(coeffs) > 5:
            coeffs[5] = -coeffs[5]  # the y^(5/2) coefficient with the wrong sign
        return tuple(coeffs)

    mp.setattr(series, "_edge_expansion", faulty)


def _fault_relu_ignores_c_sigma(mp: pytest.MonkeyPatch) -> None:
    from dagnngp.numerics.activations import get_activation

    _patch_relu_maps(mp, lambda maps, c: get_activation("relu", 2.0))


#: fault name -> function applying it with a MonkeyPatch
FAULTS: dict[str, Callable[[pytest.MonkeyPatch], None]] = {
    "sampler-means-x2": _fault_sampler_means_x2,
    "sampler-gram-x1.5": _fault_sampler_gram_x15,
    "sampler-features-centred": _fault_sampler_features_centred,
    "sampler-input-mean-scale": _fault_sampler_input_mean_scale,
    "mean-constant-sqrt(c)/2": _fault_mean_constant,
    "cross-terms-dropped": _fault_cross_terms_dropped,
    "sigma_b-ignored": _fault_bias_ignored,
    "dual-series-coefficient": _fault_dual_series_coefficient,
    "2x2-formula-sign": _fault_2x2_sign,
    "theory-series-coefficient": _fault_theory_series_coefficient,
    "relu-ignores-c_sigma": _fault_relu_ignores_c_sigma,
}


# ----------------------------------------------------------------------------- the catchers
def _test_module(filename: str):
    """A test module of this folder, loaded under a private name (its tests are called directly)."""
    name = f"_mutation_target_{filename[:-3]}"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, HERE / filename)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def _call(filename: str, test: str, *args, **kwargs) -> Callable[[], None]:
    def run() -> None:
        fn = getattr(_test_module(filename), test)
        inner = getattr(getattr(fn, "hypothesis", None), "inner_test", None)
        with mpmath.workdps(50):  # what the mp50 fixture gives these tests
            (inner or fn)(*args, **kwargs)
    run.__name__ = f"{filename}::{test}"
    return run


def _check(name: str) -> Callable[[], None]:
    def run() -> None:
        from dagnngp.proofs_check import run_checks

        (outcome,) = run_checks(quick=True, only=name)
        assert outcome.ok, f"{name}: {outcome.status}: {outcome.detail}"
    run.__name__ = f"check {name}"
    return run


def _general_inputs():
    X = np.array([[0.9, -0.3, 0.5], [-0.2, 0.8, 0.4], [0.6, 0.6, -0.1]])  # mixed signs, non-zero means
    from dagnngp.numerics import inputs_to_gram

    return inputs_to_gram(X)


def _node_test() -> None:
    tm = _test_module("test_mc_nodes.py")
    tm.test_node_means_and_cross_grams_match_the_exact_model(tm.make_node_runs(), alpha=1e-4)


_node_test.__name__ = "test_mc_nodes.py::test_node_means_and_cross_grams_match_the_exact_model"

#: every catcher by name: a zero-argument callable that raises AssertionError when it catches a fault
CATCHER_CALLS: dict[str, Callable[[], None]] = {
    "check lemma3.2-mean-b": _check("lemma3.2-mean-b"),
    "check lemma3.2-finite-width": _check("lemma3.2-finite-width"),
    "check lemma3.2-expansion": _check("lemma3.2-expansion"),
    "check lemma3.3-2x2-closed-form": _check("lemma3.3-2x2-closed-form"),
    "check dag-bounds-table": _check("dag-bounds-table"),
    "check dag3-paper-formula": _check("dag3-paper-formula"),
    "check dag-small-gap": _check("dag-small-gap"),
    "check exact-diagonal-is-P": _check("exact-diagonal-is-P"),
    "check exact-vs-mc": _check("exact-vs-mc"),
    "check paper-vs-mc": _check("paper-vs-mc"),
    "check dag2-constant-shift": _check("dag2-constant-shift"),
    "test_mc_nodes.py::test_node_means_and_cross_grams_match_the_exact_model": _node_test,
    "test_monte_carlo.py::test_exact_model_matches_width_2048_networks_on_dag1_to_3[DAG#3, centred]":
        _call("test_monte_carlo.py", "test_exact_model_matches_width_2048_networks_on_dag1_to_3",
              "2_21_112", True, alpha=1e-4),
    "test_monte_carlo.py::test_input_placement_matches_inputs_to_gram":
        _call("test_monte_carlo.py", "test_input_placement_matches_inputs_to_gram"),
    "test_reference.py::test_exact_closed_forms": _call("test_reference.py", "test_exact_closed_forms"),
    "test_reference.py::test_exact_model_matches_edge_decomposition[DAG#3, general inputs, sigma_b=1]":
        _call("test_reference.py", "test_exact_model_matches_edge_decomposition", Motif.parse("2_21_112"),
              _general_inputs(), 2.0, 1.0),
    "test_reference.py::test_exact_model_matches_edge_decomposition[DAG#3, general inputs, c_sigma=1]":
        _call("test_reference.py", "test_exact_model_matches_edge_decomposition", Motif.parse("2_21_112"),
              _general_inputs(), 1.0, 0.0),
    "test_dual.py::test_gap_against_mpmath_from_1e_16_to_2":
        _call("test_dual.py", "test_gap_against_mpmath_from_1e_16_to_2"),
    "test_dual.py::test_dual_closed_form_and_c_sigma":
        _call("test_dual.py", "test_dual_closed_form_and_c_sigma"),
    "test_bounds.py::test_2x2_with_negative_off_diagonal":
        _call("test_bounds.py", "test_2x2_with_negative_off_diagonal"),
    "test_theory.py::test_series_agree_with_mpmath_near_both_ends[DAG#3 paper]":
        _call("test_theory.py", "test_series_agree_with_mpmath_near_both_ends", "2_21_112", "paper", None),
    "test_theory.py::test_series_three_halves_terms_by_hand":
        _call("test_theory.py", "test_series_three_halves_terms_by_hand"),
}

#: fault -> the catchers that must fail under it (the mutation run's record)
CATCHERS: dict[str, list[str]] = {
    "sampler-means-x2": ["check lemma3.2-mean-b", "check exact-vs-mc",
                         "test_mc_nodes.py::test_node_means_and_cross_grams_match_the_exact_model"],
    "sampler-gram-x1.5": [
        "check exact-vs-mc", "check paper-vs-mc", "check lemma3.2-finite-width",
        "test_mc_nodes.py::test_node_means_and_cross_grams_match_the_exact_model",
        "test_monte_carlo.py::test_exact_model_matches_width_2048_networks_on_dag1_to_3[DAG#3, centred]"],
    "sampler-features-centred": [
        "check lemma3.2-mean-b", "check exact-vs-mc", "check paper-vs-mc",
        "test_mc_nodes.py::test_node_means_and_cross_grams_match_the_exact_model",
        "test_monte_carlo.py::test_exact_model_matches_width_2048_networks_on_dag1_to_3[DAG#3, centred]"],
    "sampler-input-mean-scale": [
        "check exact-vs-mc", "test_mc_nodes.py::test_node_means_and_cross_grams_match_the_exact_model",
        "test_monte_carlo.py::test_input_placement_matches_inputs_to_gram"],
    "mean-constant-sqrt(c)/2": [
        "check lemma3.2-mean-b", "check exact-diagonal-is-P", "check exact-vs-mc", "check dag-bounds-table",
        "check dag2-constant-shift",
        "test_reference.py::test_exact_model_matches_edge_decomposition[DAG#3, general inputs, sigma_b=1]"],
    "cross-terms-dropped": [
        "check exact-diagonal-is-P", "check exact-vs-mc", "check paper-vs-mc", "check dag2-constant-shift",
        "test_reference.py::test_exact_model_matches_edge_decomposition[DAG#3, general inputs, sigma_b=1]"],
    "sigma_b-ignored": [
        "test_reference.py::test_exact_model_matches_edge_decomposition[DAG#3, general inputs, sigma_b=1]"],
    "dual-series-coefficient": ["check lemma3.2-expansion",
                                "test_dual.py::test_gap_against_mpmath_from_1e_16_to_2"],
    "2x2-formula-sign": ["check lemma3.3-2x2-closed-form", "check dag3-paper-formula",
                         "test_bounds.py::test_2x2_with_negative_off_diagonal"],
    "theory-series-coefficient": ["test_theory.py::test_series_agree_with_mpmath_near_both_ends[DAG#3 paper]",
                                  "test_theory.py::test_series_three_halves_terms_by_hand"],
    "relu-ignores-c_sigma": [
        "test_reference.py::test_exact_model_matches_edge_decomposition[DAG#3, general inputs, c_sigma=1]"],
}


def caught(fault: str, catcher: str) -> tuple[bool, str]:
    """Run ``catcher`` under ``fault``: (whether it failed, what it said)."""
    with pytest.MonkeyPatch.context() as mp:
        FAULTS[fault](mp)
        try:
            CATCHER_CALLS[catcher]()
        except AssertionError as exc:
            return True, str(exc).splitlines()[0][:160] if str(exc) else "AssertionError"
        except ExceptionGroup as group:  # several distinct failures (Hypothesis)
            if group.subgroup(AssertionError) is not None:
                return True, "AssertionError (several)"
            raise
    return False, "passed"


def test_the_tables_are_consistent():
    assert len(FAULTS) >= 10
    assert set(CATCHERS) == set(FAULTS)
    used = {c for names in CATCHERS.values() for c in names}
    assert used <= set(CATCHER_CALLS), used - set(CATCHER_CALLS)
    assert all(CATCHERS[f] for f in FAULTS)


@pytest.mark.slow  # about 30 s: each fault re-runs the checks and tests that must catch it
@pytest.mark.parametrize("fault", list(FAULTS))
def test_every_fault_is_caught_by_its_catchers(fault):
    missed = []
    for catcher in CATCHERS[fault]:
        hit, _ = caught(fault, catcher)
        if not hit:
            missed.append(catcher)
    assert not missed, f"{fault} was not caught by {missed}"


def test_the_catchers_pass_without_a_fault():
    # the fault, not the harness, makes them fail (the expensive Monte Carlo ones run in their own files)
    cheap = [name for name in CATCHER_CALLS if "mc" not in name and "series" not in name]
    assert len(cheap) >= 8
    for name in cheap:
        CATCHER_CALLS[name]()


def main() -> None:
    """Print every fault against every catcher (the full record, beyond the required ones)."""
    width = max(len(c) for c in CATCHER_CALLS)
    for fault in FAULTS:
        print(f"\n{fault}")
        for catcher in CATCHER_CALLS:
            hit, said = caught(fault, catcher)
            mark = "CAUGHT" if hit else "-"
            required = " (required)" if catcher in CATCHERS[fault] else ""
            print(f"  {catcher:<{width}}  {mark}{required}  {said if hit else ''}")


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    main()
