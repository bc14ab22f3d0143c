"""Text and LaTeX renderings of a :class:`~dagnngp.theory.derivation.Derivation`.

>>> from dagnngp.theory import derive
>>> print(derivation_text(derive("2_02_002", model="paper")).splitlines()[0])
motif 2_02_002  (paper model, activation relu, c_sigma = 2, sigma_b = 0)
"""

from __future__ import annotations

import re

import sympy

__all__ = ["derivation_latex", "derivation_text", "series_text"]

_MODEL_TEXT = {
    "paper": "paper model: the paper's recursion, cross terms dropped",
    "exact": "exact model: infinite-width limit with means and cross-Grams",
}


def _header(d) -> str:
    act = d.activation
    extra = ""
    if act.order is None:
        extra = f" (a = {act.a}, b = {act.b})"
    return (f"motif {d.motif}  ({d.model} model, activation {act.name}{extra}, "
            f"c_sigma = {d.c_sigma}, sigma_b = {d.sigma_b})")


def series_text(s) -> str:
    point = "C = 1 - eps" if s.at == 1 else "C = -1 + delta"
    return f"{s.quantity} at {point}:  {s.expr}"


def derivation_text(d, series_order: int | None = None) -> str:
    """Node-by-node recursion, output, gap, rule (12) and optional series, as text."""
    lines = [_header(d),
             "two unit-norm per-sample-centred inputs with correlation C; eps = 1 - C;",
             "h = normalised dual map, G(eps) = 1 - h(1 - eps); K_ii: diagonal, K_ij: off-diagonal,",
             "D = K_ii - K_ij (the 2x2 gap while K_ij >= 0), mu: normalised mean", ""]
    for n in d.nodes:
        lines.append(f"node {n.node}:  K{n.node} = {n.rule}")
        lines.append(f"    K_ii = {n.diagonal}")
        lines.append(f"    K_ij = {n.offdiagonal}")
        lines.append(f"    D    = {n.distance}")
        if d.model == "exact":
            lines.append(f"    mu   = {n.mean}")
    lines += ["",
              f"output diagonal      K_ii = {d.diagonal}"
              + (f"  (= {sympy.N(d.diagonal, 10)})" if not d.diagonal.is_Integer else ""),
              f"output off-diagonal  K_ij = {d.offdiagonal}",
              f"2x2 gap  K_ii - |K_ij|    = {d.gap}",
              f"         (K_ij >= 0)      = {d.gap_distance}",
              f"rule (12)  P - sum_p h^d_p(C) = {d.rule12}",
              f"                          = {d.rule12_distance}",
              f"paths P = {d.motif.n_paths}, d_p = {_depths(d)}"]
    if series_order:
        s1 = d.series(series_order, at=1)
        s2 = d.series(series_order, at=-1)
        coef, exp = s1.leading
        lines += ["", "asymptotics:", "  " + series_text(s1),
                  f"  leading term: gap ~ {coef} * eps^{exp}", "  " + series_text(s2)]
    return "\n".join(lines)


def _depths(d) -> list[int]:
    out: list[int] = []
    for depth, count in sorted(d.motif.path_depth_counts().items()):
        out += [depth] * count
    return out


def derivation_latex(d, series_order: int | None = 3) -> str:
    """The recursion as a LaTeX ``align*`` block (needs ``amsmath``)."""
    def L(expr):
        return sympy.latex(expr, symbol_names={d.eps: r"\varepsilon"})

    rows = [r"% " + _header(d)]
    rows.append(r"\begin{align*}")
    body = []
    for n in d.nodes:
        t = n.node
        rule_tex = re.sub(r"K(\d+)", r"K^{(\1)}", n.rule.replace(
            "  + cross terms (means, cross-Grams)", r" + \text{cross terms}"))
        rule_tex = rule_tex.replace(r"K^{(0)} (inputs)", r"X^{(0)} X^{(0)\top}\ \text{(inputs)}")
        body.append(rf"K^{{({t})}} &= {rule_tex}")
        body.append(rf"K^{{({t})}}_{{ii}} &= {L(n.diagonal)}")
        body.append(rf"K^{{({t})}}_{{ij}} &= {L(n.offdiagonal)}")
        body.append(rf"K^{{({t})}}_{{ii}} - K^{{({t})}}_{{ij}} &= {L(n.distance)}")
        if d.model == "exact":
            body.append(rf"\mu^{{({t})}} &= {L(n.mean)}")
    body.append(rf"\lambda_{{\min}} &= {L(d.gap)}")
    body.append(rf"&= {L(d.gap_distance)} \quad (K_{{ij}} \ge 0)")
    body.append(rf"R_{{12}} &= {L(d.rule12)}")
    if series_order:
        s1 = d.series(series_order, at=1)
        body.append(rf"\lambda_{{\min}}(1-\varepsilon) &= {L(s1.expr)}")
    rows.append(" \\\\\n".join(body))
    rows.append(r"\end{align*}")
    return "\n".join(rows)
