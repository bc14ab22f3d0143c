"""Suite-wide settings: the false-alarm budget, Hypothesis profiles, mpmath precision, shared references.

False-alarm budget
------------------
Every statistical test (a Monte Carlo comparison, a two-sample test, a binomial bound) can fail on
correct code with a small probability.  The whole suite's chance of such a false alarm is at most
``SUITE_FALSE_ALARM``, split among the statistical tests by name in ``FALSE_ALARM_SHARES`` (the shares
add up to the total; by the union bound the suite's false-alarm rate is at most their sum).  A test
asks for its share through the ``alpha`` fixture and divides it among its own comparisons
(parametrised cases, Hypothesis examples, matrices), so each number below is the probability that the
named test, over all its cases, rejects correct code.

Fixed seeds make each run reproducible; the budget bounds how likely it is that a correct change which
draws different random numbers (a new seed, a reordered loop) turns a test red.
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path

import mpmath
import pytest
from hypothesis import HealthCheck, settings

sys.path.insert(0, str(Path(__file__).parent))  # `import references` from any test module

# Tests start child interpreters (``python -c``, ``python -m``) from the repository root.  They must
# import the installed package, not the checkout's dagnngp/ folder: the layers theory/, numerics/
# and proofs_check/ sit beside that folder and exist as dagnngp.<layer> only once installed.
os.environ.setdefault("PYTHONSAFEPATH", "1")

#: the probability that the whole suite fails on correct code through a statistical test
SUITE_FALSE_ALARM = 1e-3

#: "file::test" -> that test's share of SUITE_FALSE_ALARM (over all its cases)
FALSE_ALARM_SHARES: dict[str, float] = {
    # every Monte Carlo comparison inside the quick checks (divided among the statistical checks)
    "test_proofs_check.py::test_each_quick_check_gives_its_expected_verdict": 5e-5,
    "test_proofs_check.py::test_cli_mc_prints_z_scores_and_rejects_the_paper_model": 5e-5,
    "test_monte_carlo.py::test_gram_and_explicit_samplers_have_the_same_distribution": 5e-5,
    "test_monte_carlo.py::test_gram_and_explicit_samplers_have_the_same_distribution_with_bias_and_leaky_relu":
        5e-5,
    "test_monte_carlo.py::test_exact_model_matches_width_2048_networks_on_dag1_to_3": 1e-4,
    "test_monte_carlo.py::test_exact_model_matches_networks_on_drawn_motifs_centred": 1e-4,
    "test_monte_carlo.py::test_exact_model_matches_networks_on_drawn_motifs_non_centred": 5e-5,
    "test_mc_nodes.py::test_node_means_and_cross_grams_match_the_exact_model": 5e-5,
    # the infinite-width NTK against the empirical NTK of finite networks
    "test_ntk.py::test_ntk_matches_networks_on_dags": 5e-5,
    "test_ntk.py::test_ntk_matches_networks_on_random_motifs": 5e-5,
    "test_mc_nodes.py::test_finite_width_bias_of_a_deep_chain_is_within_the_threshold": 3e-5,
    # the playground's Monte Carlo overlay against nngp and ntk
    "test_playground.py::test_monte_carlo_overlay_agrees_with_nngp_and_ntk": 2e-5,
    "test_statistics.py::test_false_alarm_rate_is_calibrated_on_correct_code": 5e-5,
    # closed forms of other activations and of sigma_b > 0 against finite networks
    "test_finite.py::test_closed_forms_agree_with_width_2048_networks": 7e-5,
    "test_finite.py::test_explicit_weights_and_float32_agree_with_the_closed_form_too": 3e-5,
    "test_report.py::test_monte_carlo_section": 5e-5,
    # full-mode runs: the statistical checks inside them (divided among those checks)
    "test_cli_paths.py::test_check_full_mode_has_no_unexpected_verdict": 5e-5,
    "test_cli_paths.py::test_report_full_mode": 5e-5,
    # the quick report's checks section (module fixture of test_report.py)
    "test_report.py::test_checks_audit_and_nas": 3.5e-5,
    # Monte Carlo confirmation of a counterexample found through the check API
    "test_check_api.py::test_hypothesis_finds_a_minimal_counterexample_and_finite_networks_confirm_it": 5e-6,
    "test_check_api.py::test_an_unconfirmed_counterexample_is_not_an_expected_failure": 5e-6,
    "test_check_api.py::test_claims_may_read_the_ntk_and_finite_networks_confirm_them": 5e-6,
}
assert math.isclose(sum(FALSE_ALARM_SHARES.values()), SUITE_FALSE_ALARM, rel_tol=1e-12), (
    "the shares must add up to the suite's false-alarm budget")


def false_alarm_share(test_id: str) -> float:
    """The share of the suite's false-alarm budget of the test ``"file::name"``."""
    if test_id not in FALSE_ALARM_SHARES:
        raise KeyError(f"{test_id} has no false-alarm share; add it to FALSE_ALARM_SHARES in conftest.py")
    return FALSE_ALARM_SHARES[test_id]


@pytest.fixture
def alpha(request: pytest.FixtureRequest) -> float:
    """This test's share of the suite's false-alarm budget (split it among the test's cases)."""
    return false_alarm_share(f"{Path(request.node.path).name}::{request.node.originalname}")


@pytest.fixture(scope="session")
def budget() -> object:
    """:func:`false_alarm_share` for fixtures wider than one test (they name the test they serve)."""
    return false_alarm_share


@pytest.fixture
def mp50():
    """mpmath at 50 significant digits for the test's duration (the global precision is restored)."""
    with mpmath.workdps(50):
        yield mpmath.mp


@pytest.fixture(autouse=True)
def _mpmath_precision_is_left_alone():
    """Fail any test after which mpmath's global precision changed: results must not depend on order."""
    before = mpmath.mp.dps
    yield
    assert mpmath.mp.dps == before, f"mpmath.mp.dps changed from {before} to {mpmath.mp.dps}"


DATA_TABLES = ("nb201_12epoch_accuracy.csv", "nb201_zero_cost_725.csv")


@pytest.fixture(scope="session")
def shipped_data() -> Path:
    """The folder of the NAS benchmark tables; the test FAILS (never skips) when they are missing."""
    from dagnngp.nas import default_data_dir

    folder = default_data_dir()
    from dagnngp.nas import find_table

    # the package ships the tables gzip-compressed; find_table also finds NAME.gz
    missing = [n for n in DATA_TABLES if folder is None or find_table(folder / n) is None]
    if missing:
        pytest.fail(f"benchmark tables {', '.join(missing)} not found in {folder or 'any data folder'}: "
                    "set DAGNNGP_DATA to the folder holding them, or place them in ../shared/data next "
                    "to the repository", pytrace=False)
    return folder


# Hypothesis: "ci" is reproducible (derandomised, fixed example count, no deadline on a shared
# 2-core machine); "dev" keeps Hypothesis' random exploration.  CI=<anything> selects "ci".
settings.register_profile("ci", derandomize=True, deadline=None, max_examples=50, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))
