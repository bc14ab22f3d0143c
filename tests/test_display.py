"""Rich display in Jupyter: motifs drawn as SVG, derivations as LaTeX, short reprs, pandas tables."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from dagnngp import Motif
from dagnngp.theory import derive

SVG = "{http://www.w3.org/2000/svg}"


def _svg(motif: str) -> ET.Element:
    return ET.fromstring(Motif.parse(motif)._repr_svg_())  # well-formed XML or ParseError


@pytest.mark.parametrize("motif", ["2", "2_21_112", "1_01_222", "2_2(0.5)1_1(-2)12_2111", "0_00", "1_11_111"])
def test_svg_draws_every_node_and_edge(motif):
    m = Motif.parse(motif)
    root = _svg(motif)
    assert root.tag == f"{SVG}svg"
    circles = root.findall(f".//{SVG}circle")
    assert len(circles) == m.n_nodes
    assert len({c.get("cx") for c in circles}) == m.n_nodes  # nodes in a row
    assert len({c.get("cy") for c in circles}) == 1
    arcs = root.findall(f"{SVG}path")
    edges = list(m.edges())
    assert len(arcs) == len(edges)
    for arc, (s, t, op) in zip(arcs, edges, strict=True):
        assert arc.find(f"{SVG}title").text == f"{s} -> {t}: {op.name.lower()}"
        assert (arc.get("stroke-dasharray") is not None) == (op.name == "SKIP")  # dashed skip, solid linear
    labels = [t.text for t in root.findall(f"{SVG}text")]
    assert [f"X{t}" for t in range(m.n_nodes)] == [x for x in labels if re.fullmatch(r"X\d+", x or "")]
    weights = sorted(m.weight(s, t) for s, t, _ in edges if m.weight(s, t) != 1.0)
    assert sorted(float(x) for x in labels if re.fullmatch(r"-?[\d.]+", x or "")) == weights


def test_svg_and_html_escape_and_scale():
    big = Motif.from_edges(40, {(t - 1, t): "linear" for t in range(1, 40)} | {(0, 39): "skip"})
    root = ET.fromstring(big._repr_svg_())
    assert len(root.findall(f".//{SVG}circle")) == 40
    html = Motif.parse("2_21_112")._repr_html_()
    assert html.startswith("<div") and "<svg" in html and "Motif(&#x27;2_21_112&#x27;)" in html
    assert "4 nodes, 3 linear and 3 skip edges, 4 input-output paths" in html


def test_derivation_repr_is_short_and_latex_renders():
    d = derive("2_21_112")
    text = repr(d)
    assert len(text) < 200 and text.startswith("Derivation('2_21_112', model='exact'")
    dense = Motif.from_edges(10, {(s, t): ("linear", 0.5) for t in range(1, 10) for s in range(t)})
    weighted = derive(str(dense), model="paper")
    assert len(repr(weighted)) < 200
    latex = d._repr_latex_()
    assert latex.startswith("$$") and latex.endswith("$$")
    assert "\\begin{aligned}" in latex and "align*" not in latex and "\n%" not in latex
    assert latex.count("\\begin{aligned}") == latex.count("\\end{aligned}") == 1


pandas = pytest.importorskip("pandas", reason="pandas is in the tables and test extras")


def test_sweep_to_frame():
    from dagnngp.numerics import sweep

    res = sweep(3, [0.0, 0.5])
    frame = res.to_frame()
    assert list(frame.columns) == ["motif", "C", "gap", "rule12", "diagonal", "offdiagonal", "output_mean",
                                   "n_paths", "d_bar", "m_bar"]
    assert len(frame) == 2 * len(res)
    row = frame[(frame.motif == "2_21") & (frame.C == 0.5)].iloc[0]
    k = res.motif_strings().index("2_21")
    assert row.gap == res.gap[k, 1] and row.n_paths == res.n_paths[k] and row.d_bar == res.d_bar[k]


def test_posterior_to_frame():
    from dagnngp.gp import Posterior

    post = Posterior(np.array([0.5, 1.0]), np.array([0.25, -1e-18]), None, "nngp")
    frame = post.to_frame()
    assert frame.to_dict("list") == {"mean": [0.5, 1.0], "var": [0.25, -1e-18], "std": [0.5, 0.0]}
    two = Posterior(np.ones((2, 2)), None, None, "ntk", 1.0).to_frame()
    assert list(two.columns) == ["mean_0", "mean_1"]


def test_to_frame_without_pandas_says_how_to_install(monkeypatch):
    import sys

    from dagnngp.gp import Posterior

    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"pip install 'dagnngp\[tables\]'"):
        Posterior(np.zeros(1), None, None, "nngp").to_frame()
