"""A fixed-budget fuzz of the numeric entry points (the long run: ``python benchmarks/fuzz_numeric.py``).

Adversarial Gram matrices (scales 1e-300 .. 1e300 and subnormal, rank-deficient, duplicate and
antipodal inputs, non-zero means, and broken ones: NaN, inf, asymmetric, negative diagonal,
indefinite, integer, bool, complex and object dtypes, wrong shapes) go through ``nngp`` on every
backend, ``relu_dual``, the bounds and ``inputs_to_gram``.  Each call must give a finite result
(for scaled valid Grams: the scaled result of the unit-scale Gram, to 1e-12) or a one-line
``ValueError``; anything else fails the test with the list of offending calls.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from dagnngp.numerics import inputs_to_gram, least_eigenvalue, min_pair_gap, nngp, relu_dual

_SPEC = importlib.util.spec_from_file_location(
    "fuzz_numeric", Path(__file__).resolve().parents[1] / "benchmarks" / "fuzz_numeric.py")
fuzz = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(fuzz)


@pytest.mark.slow
def test_adversarial_grams_give_a_finite_right_answer_or_a_value_error():
    totals, failures = fuzz.run(grams=120, seed=11)
    assert not failures, "\n".join(failures[:20])
    assert totals["finite result"] > 0 and totals["ValueError"] > 0
    assert set(totals) == {"finite result", "ValueError"}


def test_generated_functions_take_any_argument_without_a_stray_exception():
    totals, failures = fuzz.run_generated(evaluations=400, seed=5)
    assert not failures, "\n".join(failures[:20])
    assert set(totals) == {"finite result", "ValueError"}


# the examples of the reliability review, kept as regression tests
K = np.array([[1.0, 0.5], [0.5, 1.0]])


@pytest.mark.parametrize("scale", [1e-300, 1e-200, 1e-160, 1e155, 1e200, 1e300])
@pytest.mark.parametrize("motif", ["2", "2_21_112"])
def test_the_numpy_reference_is_right_at_every_scale(scale, motif):
    k = -round(np.log2(scale) / 2)
    ref = nngp(motif, K, backend="numpy").output
    got = nngp(motif, np.ldexp(K, -2 * k), backend="numpy").output
    np.testing.assert_allclose(np.ldexp(got, 2 * k), ref, rtol=1e-13, atol=0)
    assert np.all(np.linalg.eigvalsh(got / np.max(got)) >= -1e-15)


def test_relu_dual_is_scale_safe_and_validates():
    np.testing.assert_allclose(relu_dual(1e200 * K) / 1e200, relu_dual(K), rtol=1e-14)
    for c_sigma in (-1.0, 0.0, np.nan, np.inf):
        with pytest.raises(ValueError, match="c_sigma"):
            relu_dual(K, c_sigma=c_sigma)
    np.testing.assert_allclose(relu_dual(np.eye(2, dtype=int)), relu_dual(np.eye(2)))
    with pytest.raises(ValueError, match="real numbers"):
        relu_dual(K.astype(complex))


def test_public_bounds_validate_their_input():
    with pytest.raises(ValueError, match="non-finite"):
        min_pair_gap([[np.nan, 0.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match="positive semi-definite"):
        min_pair_gap([[1.0, 2.0], [2.0, 1.0]])
    with pytest.raises(ValueError, match="real numbers"):
        min_pair_gap(K.astype(complex))
    assert min_pair_gap(1e308 * K) == (0.5e308, 0, 1)
    assert least_eigenvalue(1e308 * K) == pytest.approx(0.5e308, rel=1e-15)


def test_inputs_that_overflow_or_underflow_are_refused_with_a_reason():
    with pytest.raises(ValueError, match="overflow"):
        inputs_to_gram([[1e200, 1.0]])
    with pytest.raises(ValueError, match="subnormal"):
        nngp("2_21_112", 5e-320 * K, backend="numpy")
    with pytest.raises(ValueError, match="subnormal"):
        nngp("2_21_112", 5e-320 * np.eye(300))


def test_monte_carlo_estimates_its_memory_before_allocating():
    from dagnngp.limits import ResourceLimitError
    from dagnngp.numerics import monte_carlo
    from dagnngp.numerics.sampling import forward_features

    X = [[1.0, 0.0], [0.0, 1.0]]
    for width in (10**9, 10**12):
        with pytest.raises(ResourceLimitError, match=r"needs about .* of memory, above the limit"):
            monte_carlo("2_21_112", X, width=width, draws=3)
    with pytest.raises(ResourceLimitError, match="forward_features"):
        forward_features("2", [[1.0, 0.0]], width=10**10, rng=np.random.default_rng(0))
    with pytest.raises(ResourceLimitError):
        monte_carlo("2", X, width=2**16, draws=3, max_memory=2**20)
    assert monte_carlo("2", X, width=64, draws=3, max_memory=2**30).mean.shape == (2, 2)


def test_the_command_line_never_prints_inf_or_invalid_json(capsys):
    from dagnngp.cli import main

    assert main(["derive", "2_21_112", "--json", "--c-sigma", "1e300"]) == 2
    out, err = capsys.readouterr()
    assert "Infinity" not in out and "NaN" not in out and len(err.strip().splitlines()) == 1
    assert main(["kernel", "2_21_112", "--c-sigma", "1e200"]) == 2
    out, err = capsys.readouterr()
    assert "inf" not in out and "nan" not in out and "c_sigma=1e+200" in err
