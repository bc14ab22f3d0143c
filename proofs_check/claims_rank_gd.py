"""Lemma 3.1 (full rank), the NTK and gradient descent (claims CC-18..CC-22).

>>> from dagnngp.proofs_check.checks import CHECKS
>>> CHECKS["lemma3.1-full-rank"].statistical
False
"""

from __future__ import annotations

import math

import numpy as np

from dagnngp.numerics.reference import inputs_to_gram
from dagnngp.numerics.sampling import monte_carlo
from dagnngp.proofs_check.audit import all_motifs
from dagnngp.proofs_check.finite_net import FiniteNetwork, gradient_descent
from dagnngp.proofs_check.registry import DAG1, DAG2, DAG3, Verdict, nngp, unit_inputs
from dagnngp.proofs_check.registry import check as _check


# ------------------------------------------------------------------ Lemma 3.1
def _lambda_min_all(quick: bool) -> tuple[list[tuple[str, float, bool]], np.ndarray]:
    X = unit_inputs(6, 3, seed=18, centred=False)  # N = 6 > d = 3, pairwise non-parallel
    K0, mu0 = inputs_to_gram(X)
    out = []
    for m in all_motifs(4):
        K = nngp(m, K0, mu0).output
        lam = float(np.linalg.eigvalsh(K)[0]) / float(np.max(np.diagonal(K)))
        out.append((str(m), lam, max(m.paths()) > 0))
    return out, X


@_check("lemma3.1-full-rank", "CC-18",
        "lambda_min(K^(H)) > 0 for non-parallel inputs when some path has a linear op (even N > d)",
        "6 unit inputs in dimension 3; all four-node motifs with a linear op on a path", "min_lambda")
def _cc18a(quick: bool) -> Verdict:
    rows, _ = _lambda_min_all(quick)
    lams = [lam for _, lam, lin in rows if lin]
    worst = min(lams)
    return Verdict(worst > 1e-8, {"min_lambda": worst, "motifs": len(lams)},
                   f"relative lambda_min >= {worst:.2e} over {len(lams)} motifs")


@_check("lemma3.1-all-motifs", "CC-18, spec 7.3",
        "lambda_min(K^(H)) > 0 for every motif whenever no two inputs are parallel (Lemma 3.1 as stated)",
        "6 unit inputs in dimension 3; all four-node motifs", "min_lambda", expected=False)
def _cc18b(quick: bool) -> Verdict:
    rows, _ = _lambda_min_all(quick)
    singular = [name for name, lam, _ in rows if lam <= 1e-8]
    skip_only = [name for name, _, lin in rows if not lin]
    worst = min(lam for _, lam, _ in rows)
    exactly_skip_only = bool(singular) and sorted(singular) == sorted(skip_only)
    return Verdict(not singular, {"min_lambda": worst, "singular_motifs": singular,
                                  "singular_are_exactly_skip_only": exactly_skip_only},
                   f"{len(singular)} motifs whose every path is skip-only are singular (K = P K0, rank 3 "
                   f"< N = 6), e.g. 1_11_111; all other motifs are full rank", correct=exactly_skip_only)


# ----------------------------------------------------------- Theorem 3.1 (GD)
def _gd_setup(seed: int) -> tuple[np.ndarray, np.ndarray]:
    X = unit_inputs(4, 8, seed=seed)
    y = np.random.default_rng(seed + 1).standard_normal(4)
    return X, y / np.linalg.norm(y) * 2.0


@_check("ntk-ge-nngp", "CC-19",
        "lambda_min(empirical NTK) >= lambda_min(readout Gram) for finite networks",
        "DAG#1-3 and 5-node motifs, width 128, 5 inputs", "min_margin")
def _cc19(quick: bool) -> Verdict:
    rng = np.random.default_rng(19)
    motifs = [DAG1, DAG2, DAG3, "2_12_112_2121", "1_22_021_1212"]
    margin = math.inf
    for mot in motifs * (1 if quick else 4):
        net = FiniteNetwork.initialise(mot, 128, rng)
        theta, g_a = net.ntk(unit_inputs(5, 8, seed=int(rng.integers(1 << 30))))
        margin = min(margin, float(np.linalg.eigvalsh(theta)[0] - np.linalg.eigvalsh(g_a)[0]))
    return Verdict(margin >= -1e-10, {"min_margin": margin},
                   f"min over networks of lambda_min(NTK) - lambda_min(readout Gram) = {margin:.4f}")


@_check("mc-decay-rate", "CC-20",
        "||G^(a)(0) - K^(H)_exact||_2 decays like m^-1/2", "DAG#3, 4 unit centred inputs, widths 256..16384",
        "slope")
def _cc20(quick: bool) -> Verdict:
    X = unit_inputs(4, 8, seed=20)
    widths = (256, 1024, 4096) if quick else (256, 1024, 4096, 16384)
    draws = 30 if quick else 100
    errs = []
    for w in widths:
        res = monte_carlo(DAG3, X, w, draws, seed=w + 20, progress=False)
        K = nngp(DAG3, res.K0, res.mu0).output
        errs.append(float(np.mean([np.linalg.norm(s - K, 2) for s in res.samples])))
    slope = float(np.polyfit(np.log(widths), np.log(errs), 1)[0])
    return Verdict(-0.65 < slope < -0.35, {"slope": slope, "mean_spectral_error": dict(zip(widths, errs,
                                                                                           strict=True))},
                   f"mean spectral error ~ m^{slope:.3f}")


@_check("gd-linear-rate", "CC-21",
        "||y-u(k)||^2 <= (1 - eta lambda_min(K^(H))/2)^k ||y-u(0)||^2 under fixed-step GD (sanity check)",
        "DAG#1-3, width 256 (512 full), 4 inputs, eta = 0.5/lambda_max(NTK), 100 steps", "min_slack")
def _cc21(quick: bool) -> Verdict:
    width = 256 if quick else 512
    X, y = _gd_setup(21)
    K0, mu0 = inputs_to_gram(X)
    slack, rates = math.inf, {}
    for i, mot in enumerate((DAG1, DAG2, DAG3)):
        net = FiniteNetwork.initialise(mot, width, np.random.default_rng(210 + i))
        theta, _ = net.ntk(X)
        eta = 0.5 / float(np.linalg.eigvalsh(theta)[-1])
        lam = float(np.linalg.eigvalsh(nngp(mot, K0, mu0).output)[0])
        losses = gradient_descent(net, X, y, eta, 100)
        bound = (1 - eta * lam / 2) ** np.arange(losses.size) * losses[0]
        slack = min(slack, float(np.min(np.log(bound[1:]) - np.log(losses[1:]))))
        rates[mot] = {"eta": eta, "lambda_min": lam, "final_ratio": float(losses[-1] / losses[0])}
    return Verdict(slack >= 0, {"min_slack": slack, "runs": rates},
                   f"loss below the bound at every step 1..100 (min log margin {slack:.3f})")


@_check("gd-ranking", "CC-22",
        "with one fixed eta, GD training loss (relative to its start) ranks DAG#3 < DAG#2 < DAG#1 early on",
        "DAG#1-3, width 256, 4 inputs, same eta, step 20, mean of 3 (6 full) seeds", "relative_losses")
def _cc22(quick: bool) -> Verdict:
    seeds = range(3 if quick else 6)
    rel = {m: [] for m in (DAG1, DAG2, DAG3)}
    for seed in seeds:
        X, y = _gd_setup(220 + seed)
        nets = {m: FiniteNetwork.initialise(m, 256, np.random.default_rng(1000 * seed + i))
                for i, m in enumerate(rel)}
        eta = 0.5 / max(float(np.linalg.eigvalsh(n.ntk(X)[0])[-1]) for n in nets.values())
        for m, net in nets.items():
            losses = gradient_descent(net, X, y, eta, 20)
            rel[m].append(float(losses[-1] / losses[0]))
    means = [float(np.mean(rel[m])) for m in (DAG1, DAG2, DAG3)]
    return Verdict(means[2] < means[1] < means[0], {"relative_losses": means},
                   f"relative loss at step 20: DAG#1 {means[0]:.3f}, DAG#2 {means[1]:.3f}, "
                   f"DAG#3 {means[2]:.3f} (part of the gap is kernel scale, spec 7.5)")


