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
    edge = "" if d.edge == "post" else ", pre-activation edges"
    kernel = ""
    if d.kernel == "ntk":
        kernel = "NTK with a trained readout: " if d.readout else "NTK of the output node (no readout): "
    return (f"{kernel}motif {d.motif}  ({d.model} model, activation {act.name}{extra}, "
            f"c_sigma = {d.c_sigma}, sigma_b = {d.sigma_b}{edge})")


#: what each named map means, printed wherever an expression uses it
_MAP_LEGEND = {
    "h0": "h0(C) = 1 - acos(C)/pi (the step's normalised dual map; E[relu'(u) relu'(v)] = h0(C)/2)",
    "h": "h(C) = (sqrt(1 - C^2) + (pi - acos C) C)/pi (ReLU's normalised dual map)",
    "h2": "h2(C): the normalised dual map of relu^2",
    "G0": "G0(eps) = 1 - h0(1 - eps)",
    "G": "G(eps) = 1 - h(1 - eps)",
    "G2": "G2(eps) = 1 - h2(1 - eps)",
}


def _maps_used(d) -> list[str]:
    names = set()
    for n in d.nodes:
        for e in (n.diagonal, n.offdiagonal, n.distance):
            names |= {f.func.__name__ for f in e.atoms(sympy.Function)}
    return [k for k in _MAP_LEGEND if k in names]


def series_text(s) -> str:
    point = "C = 1 - eps" if s.at == 1 else "C = -1 + delta"
    return f"{s.quantity} at {point}:  {s.expr}"


def derivation_text(d, series_order: int | None = None) -> str:
    """Node-by-node recursion, output, gap, rule (12) and optional series, as text."""
    ntk = d.kernel == "ntk"
    K = "Theta" if ntk else "K"
    lines = [_header(d),
             "two unit-norm per-sample-centred inputs with correlation C; eps = 1 - C;",
             *(f"  {_MAP_LEGEND[k]}" for k in _maps_used(d)),
             f"{K}_ii: diagonal, {K}_ij: off-diagonal, D = {K}_ii - {K}_ij (the 2x2 gap while {K}_ij >= 0)"
             + ("" if ntk else ", mu: normalised mean"), ""]
    for n in d.nodes:
        lines.append(f"node {n.node}:  {K}{n.node} = {n.rule}")
        lines.append(f"    {K}_ii = {n.diagonal}")
        lines.append(f"    {K}_ij = {n.offdiagonal}")
        lines.append(f"    D    = {n.distance}")
        if d.model == "exact" and not ntk:
            lines.append(f"    mu   = {n.mean}")
    lines += ["",
              f"output diagonal      {K}_ii = {d.diagonal}"
              + (f"  (= {sympy.N(d.diagonal, 10)})" if not d.diagonal.is_Integer else ""),
              f"output off-diagonal  {K}_ij = {d.offdiagonal}",
              f"2x2 gap  {K}_ii - |{K}_ij|    = {d.gap}",
              f"         ({K}_ij >= 0)      = {d.gap_distance}",
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

    ntk = d.kernel == "ntk"
    K = r"\Theta" if ntk else "K"
    rows = [r"% " + _header(d)]
    rows += [r"% " + _MAP_LEGEND[k] for k in _maps_used(d)]
    rows.append(r"\begin{align*}")
    body = []
    for n in d.nodes:
        t = n.node
        rule_tex = n.rule.replace("  + cross terms (means, cross-Grams)", r" + \text{cross terms}")
        rule_tex = rule_tex.replace("  + cross-NTKs of the skip sources", r" + \text{cross-NTKs}")
        rule_tex = rule_tex.replace(" (readout)", r"\ \text{(readout)}")
        rule_tex = re.sub(r"Theta(\d+)", r"\\Theta^{(\1)}", rule_tex)
        rule_tex = re.sub(r"(?<![a-zA-Z\\])K(\d+)", r"K^{(\1)}", rule_tex)
        rule_tex = rule_tex.replace(r"K^{(0)} (inputs)", r"X^{(0)} X^{(0)\top}\ \text{(inputs)}")
        rule_tex = rule_tex.replace("0 (inputs are not trained)", r"0\ \text{(inputs are not trained)}")
        rule_tex = rule_tex.replace("f'(", r"\dot f(")
        body.append(rf"{K}^{{({t})}} &= {rule_tex}")
        body.append(rf"{K}^{{({t})}}_{{ii}} &= {L(n.diagonal)}")
        body.append(rf"{K}^{{({t})}}_{{ij}} &= {L(n.offdiagonal)}")
        body.append(rf"{K}^{{({t})}}_{{ii}} - {K}^{{({t})}}_{{ij}} &= {L(n.distance)}")
        if d.model == "exact" and not ntk:
            body.append(rf"\mu^{{({t})}} &= {L(n.mean)}")
    # the 2x2 gap of two inputs, not the least eigenvalue of an N x N kernel
    gap = r"\operatorname{gap}_{2\times 2}"
    body.append(rf"{gap} = {K}_{{ii}} - |{K}_{{ij}}| &= {L(d.gap)}")
    body.append(rf"&= {L(d.gap_distance)} \quad ({K}_{{ij}} \ge 0)")
    body.append(rf"R_{{12}} &= {L(d.rule12)}")
    if series_order:
        s1 = d.series(series_order, at=1)
        body.append(rf"{gap}(1-\varepsilon) &= {L(s1.expr)}")
    rows.append(" \\\\\n".join(body))
    rows.append(r"\end{align*}")
    return "\n".join(rows)
