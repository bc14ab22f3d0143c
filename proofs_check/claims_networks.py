"""The exact infinite-width model against finite-width networks (claims CC-16, CC-17).

>>> from dagnngp.proofs_check.checks import CHECKS
>>> CHECKS["dag2-constant-shift"].run(quick=True).holds
True
"""

from __future__ import annotations

import numpy as np

from dagnngp.numerics import bounds
from dagnngp.numerics.dual import relu_dual
from dagnngp.numerics.reference import inputs_to_gram
from dagnngp.numerics.sampling import MonteCarloResult, monte_carlo
from dagnngp.proofs_check.claims_bounds import audit_rows
from dagnngp.proofs_check.registry import DAG1, DAG2, DAG3, Verdict, family_alpha, nngp, unit_inputs
from dagnngp.proofs_check.registry import check as _check
from dagnngp.proofs_check.statistics import compare_to_mc


# ------------------------------------------------------ exact model vs network
def _mc_inputs(centred: bool, width: int) -> np.ndarray:
    # non-centred: post-ReLU features already of dimension d = width, so mu0 does not vanish
    return unit_inputs(3, 8, seed=16) if centred else unit_inputs(3, width, seed=17, centred=False)


def _exact_vs_network(motif: str, res: MonteCarloResult) -> list[tuple[str, object, object, object, bool]]:
    """(label, exact value, MC mean, MC stderr, symmetric) for every quantity the exact model predicts:
    the output Gram, every node's Gram and normalised mean, and every cross-Gram the recursion formed."""
    ex = nngp(motif, res.K0, res.mu0, all_nodes=True)
    out = [("output Gram", ex.output, res.mean, res.stderr, True)]
    for t in range(1, len(ex.nodes) - 1):
        out.append((f"Gram of node {t}", ex.nodes[t], res.nodes[t], res.nodes_stderr[t], True))
    for t in range(1, len(ex.means)):
        out.append((f"mean of node {t}", ex.means[t], res.means[t], res.means_stderr[t], False))
    for (t, u), value in sorted(ex.cross.items()):
        out.append((f"cross-Gram <X{t}, X{u}>", value, res.cross[(t, u)], res.cross_stderr[(t, u)], False))
    return out


@_check("exact-vs-mc", "CC-16",
        "the exact infinite-width recursion (output and node Grams, node means, cross-Grams) matches "
        "finite-width networks within Monte Carlo error",
        "DAG#1-3 and 1_12_112 (+ 5-7-node motifs in the full run); centred and non-centred inputs; "
        "width 2048, 30 draws", "max_abs_t", statistical=True)
def _cc16(quick: bool) -> Verdict:
    motifs = [DAG1, DAG2, DAG3, "1_12_112"]
    if not quick:
        motifs += ["2_12_112_2121", "1_22_121_2112", "2_11_212_1201_12122"]
    width, draws = 2048, 30
    runs = {(mot, centred): monte_carlo(mot, _mc_inputs(centred, width), width, draws, seed=160,
                                        progress=False)
            for mot in motifs for centred in (True, False)}
    comparisons = {key: _exact_vs_network(key[0], res) for key, res in runs.items()}
    n_cmp = sum(len(c) for c in comparisons.values())
    alpha = family_alpha() / n_cmp
    t_max, threshold, rejected, rows = 0.0, 0.0, [], {}
    for (mot, centred), items in comparisons.items():
        case = f"{mot} {'centred' if centred else 'non-centred'}"
        case_t = 0.0
        for label, exact, mean, stderr, symmetric in items:
            cmp = compare_to_mc(exact, mean, stderr, draws, alpha=alpha, symmetric=symmetric)
            case_t = max(case_t, cmp.max_abs_t)
            threshold = max(threshold, cmp.threshold)
            if cmp.rejected:
                rejected.append(f"{case}: {label} (|t| {cmp.max_abs_t:.1f} > {cmp.threshold:.2f})")
        rows[case] = round(case_t, 3)
        t_max = max(t_max, case_t)
    return Verdict(not rejected,
                   {"max_abs_t": t_max, "threshold": threshold, "alpha_per_comparison": alpha,
                    "comparisons": n_cmp, "family_false_alarm_bound": family_alpha(),
                    "max_abs_t_by_case": rows, "rejected": rejected},
                   f"{n_cmp} comparisons (output and node Grams, node means, cross-Grams), max |t| "
                   f"{t_max:.2f} (thresholds up to {threshold:.2f}; false-alarm rate <= {family_alpha():.2g})"
                   + (f"; rejected: {rejected[0]}" if rejected else ""))


@_check("paper-vs-mc", "CC-16, spec 7.1",
        "the paper's recursion matches finite-width networks (DAG#3)",
        "DAG#3, 3 unit centred inputs, width 2048, 30 draws", "max_abs_t", expected=False, statistical=True)
def _cc16b(quick: bool) -> Verdict:
    width, draws = 2048, 30
    res = monte_carlo(DAG3, _mc_inputs(True, width), width, draws, seed=161, progress=False)
    alpha = family_alpha() / 2  # the paper model and the exact model, against the same networks
    cmp = compare_to_mc(nngp(DAG3, res.K0, res.mu0, model="paper").output, res.mean, res.stderr, draws,
                        alpha=alpha)
    ok = compare_to_mc(nngp(DAG3, res.K0, res.mu0).output, res.mean, res.stderr, draws, alpha=alpha)
    return Verdict(not cmp.rejected,
                   {"max_abs_t": cmp.max_abs_t, "threshold": cmp.threshold, "exact_model_max_abs_t":
                    ok.max_abs_t, "exact_model_accepted": not ok.rejected, "mc_diag": float(res.mean[0, 0]),
                    "paper_diag": 4.0},
                   f"paper model rejected: |t| = {cmp.max_abs_t:.0f} (MC diagonal {res.mean[0, 0]:.3f}, "
                   f"paper 4); exact model |t| {ok.max_abs_t:.2f} {'>' if ok.rejected else '<'} "
                   f"{ok.threshold:.2f}",
                   correct=not ok.rejected)


@_check("exact-gap-not-below-paper", "CC-16",
        "the exact model's 2x2 gap is never below the paper model's (4-node motifs, centred pair inputs)",
        "all 662 four-node motifs, C in {0, 0.5, 0.9}", "above")
def _cc16c(quick: bool) -> Verdict:
    rows = audit_rows()
    above = sum(r.exact_gap > r.paper_gap + 1e-12 for r in rows)
    below = [r.motif for r in rows if r.exact_gap < r.paper_gap - 1e-12]
    return Verdict(not below, {"above": above, "below": len(below), "rows": len(rows)},
                   f"exact gap above paper gap in {above} of {len(rows)} rows, below in {len(below)}")


@_check("dag2-constant-shift", "CC-17",
        "DAG#2 exact kernel = 3 f(K0) + (6/pi) 11^T; equal 2x2 gaps; lambda_min(exact) >= lambda_min(paper)",
        "5 unit centred inputs (d = 8)", "max_abs_error")
def _cc17(quick: bool) -> Verdict:
    K0, mu0 = inputs_to_gram(unit_inputs(5, 8, seed=17))
    exact = nngp(DAG2, K0, mu0).output
    paper = nngp(DAG2, K0, mu0, model="paper").output
    err = float(np.max(np.abs(exact - 3 * relu_dual(K0) - 6 / np.pi)))
    d = np.diagonal(exact)
    gaps_e = bounds.least_eigenvalue_2x2(d[:, None], d[None, :], exact)
    dp = np.diagonal(paper)
    gaps_p = bounds.least_eigenvalue_2x2(dp[:, None], dp[None, :], paper)
    gap_err = float(np.max(np.abs(gaps_e - gaps_p)))
    le, lp = (float(np.linalg.eigvalsh(k)[0]) for k in (exact, paper))
    return Verdict(err < 1e-12 and gap_err < 1e-12 and le >= lp - 1e-12,
                   {"max_abs_error": err, "gap_difference": gap_err, "lambda_min_exact": le,
                    "lambda_min_paper": lp},
                   f"shift exact to {err:.1e}; gaps equal; lambda_min {le:.4f} >= {lp:.4f}")


