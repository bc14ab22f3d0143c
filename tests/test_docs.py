"""The documentation site builds with warnings as errors, with every generated part in place."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    pytest.importorskip("mkdocs", reason="the docs extra is not installed: pip install -e '.[docs]'")
    pytest.importorskip("mkdocstrings")
    pytest.importorskip("mkdocs_jupyter")
    out = tmp_path_factory.mktemp("site")
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", MPLBACKEND="Agg")
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert not (ROOT / ".cache").exists()  # notebooks are executed, not taken from a cache
    return out


def _page(site, name):
    return (site / name / "index.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_pages_exist(site):
    for name in ("getting-started", "model", "report", "paper-errata", "cli", "api", "nas", "checks",
                 "performance"):
        assert (site / name / "index.html").is_file(), name


@pytest.mark.slow
def test_notebooks_rendered_with_outputs(site):
    nb1 = _page(site, "notebooks/01_relu_dual_map")
    assert "0.4937311" in nb1  # h^2(0), printed by the executed notebook (spec section 2.1)
    assert "data:image/png;base64" in nb1 or "<img" in nb1  # its figure
    nb4 = _page(site, "notebooks/04_nas_filter")
    assert "6256" in nb4 and "8226" in nb4


@pytest.mark.slow
def test_generated_parts(site):
    cli = _page(site, "cli")
    for cmd in ("dagnngp report", "dagnngp kernel", "--quick", "--out"):
        assert cmd in cli
    assert "dagnngp:cli-help" not in cli
    errata = _page(site, "paper-errata")
    assert "dagnngp:errata-verdicts" not in errata
    assert "expected failure: the claim is false" in errata
    api = _page(site, "api")
    assert 'id="dagnngp.' in api
    for name in ("nngp", "monte_carlo", "derive", "run_checks", "table_report", "build_report"):
        assert name in api


def _hooks():
    pytest.importorskip("mkdocs", reason="the docs extra is not installed: pip install -e '.[docs]'")
    sys.path.insert(0, str(ROOT / "docs"))
    try:
        import hooks
    finally:
        sys.path.remove(str(ROOT / "docs"))
    return hooks


def test_examples_heading_added_to_bare_doctests():
    hooks = _hooks()
    src = ('"""Title.\n\n>>> 1 + 1\n2\n"""\n\n'
           'def f():\n    """Doc.\n\n    Examples\n    --------\n    >>> f()\n    """\n')
    out = hooks.mark_examples(src)
    assert out.count("Examples") == 2  # added once for the module, left alone in f
    assert out.index("Examples\n--------\n>>> 1 + 1") > 0


# A resource the browser would fetch by itself: scripts, stylesheets, preloads, images, frames, media.
FETCHED = re.compile(r"<(?:script|link|img|iframe|source|audio|video|embed|object)\b[^>]*?"
                     r"\b(?:src|href|data|srcset)=[\"']?\s*((?:https?:)?//[^\"'\s>]+)", re.I)
CSS_REMOTE = re.compile(r"(?:url\(\s*[\"']?|@import\s+[\"'])\s*((?:https?:)?//[^)\"'\s]+)", re.I)
ROLE_LEFT = re.compile(r":(?:py:)?(?:meth|class|func|data|mod|attr|exc|obj|const|ref|doc|term|any)"
                       r":(?:<code>|`)")


def test_remote_resource_patterns_catch_what_they_should():
    assert FETCHED.findall('<script src="https://cdn.example/x.js"></script>') == ["https://cdn.example/x.js"]
    assert FETCHED.findall("<link rel=stylesheet href='//fonts.example/css'>") == ["//fonts.example/css"]
    assert FETCHED.findall('<img alt="" src="data:image/png;base64,AA">') == []
    assert FETCHED.findall('<a href="https://example.org/">a link is not fetched</a>') == []
    assert CSS_REMOTE.findall("@font-face{src:url(https://x.example/f.woff2)}") == ["https://x.example/f.woff2"]
    assert CSS_REMOTE.findall("src:url(fonts/KaTeX_Main-Regular.woff2)") == []


@pytest.mark.slow
def test_site_loads_nothing_from_the_network(site):
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 15
    for page in pages:
        remote = FETCHED.findall(page.read_text(encoding="utf-8"))
        assert not remote, f"{page.relative_to(site)} fetches {remote}"
    for sheet in site.rglob("*.css"):
        remote = CSS_REMOTE.findall(sheet.read_text(encoding="utf-8", errors="replace"))
        assert not remote, f"{sheet.relative_to(site)} fetches {remote}"


@pytest.mark.slow
def test_math_is_typeset_by_the_shipped_katex(site):
    katex = site / "assets" / "katex"
    assert "MIT" in (katex / "LICENSE").read_text(encoding="utf-8")
    css = (katex / "katex.min.css").read_text(encoding="utf-8")
    fonts = set(re.findall(r"url\((fonts/[^)]+\.woff2)\)", css))
    assert len(fonts) >= 15 and all((katex / f).is_file() for f in fonts)
    for name in ("", "model", "paper-errata", "notebooks/01_relu_dual_map"):
        html = (site / name / "index.html").read_text(encoding="utf-8")
        for script in ("assets/katex/katex.min.js", "assets/katex/contrib/auto-render.min.js",
                       "assets/math.js"):
            assert script in html, (name, script)
        assert "mathjax" not in html.lower(), name  # no other typesetter, not even an empty tag
        assert 'class="arithmatex"' in html or "jupyter-wrapper" in html, name


@pytest.mark.slow
def test_api_page_has_cross_references_not_sphinx_roles(site):
    for page in site.rglob("*.html"):
        left = ROLE_LEFT.findall(page.read_text(encoding="utf-8"))
        assert not left, f"{page.relative_to(site)} shows literal roles {left[:5]}"
    api = _page(site, "api")
    links = set(re.findall(r'<a class="autorefs autorefs-internal"[^>]*href="#(dagnngp\.[\w.]+)"', api))
    assert len(links) >= 10
    for target in links:  # every link lands on an object that the page renders
        assert f'id="{target}"' in api, target


def test_roles_become_cross_references_or_code():
    hooks = _hooks()
    import dagnngp.report.build as namespace_module

    documented = hooks.documented_paths((ROOT / "docs" / "api.md").read_text(encoding="utf-8"))
    assert {"dagnngp.motif.Motif", "dagnngp.motif.Motif.from_edges",
            "dagnngp.report.build.build_report"} <= documented
    ns = vars(namespace_module)
    convert = hooks.convert_roles
    assert convert(":class:`~dagnngp.Motif`", ns, documented) == "[`Motif`][dagnngp.motif.Motif]"
    assert convert(":meth:`dagnngp.Motif.from_edges`", ns, documented) == (
        "[`dagnngp.Motif.from_edges`][dagnngp.motif.Motif.from_edges]")
    assert convert(":func:`build_report`", ns, documented) == (
        "[`build_report`][dagnngp.report.build.build_report]")
    assert convert(":mod:`math`", ns, documented) == "`math`"  # not on the API page: plain code
    assert convert(":func:`no_such_thing`", ns, documented) == "`no_such_thing`"
    assert convert("see :py:class:`~dagnngp.motif.Op` and :data:`x`.", ns, documented) == (
        "see [`Op`][dagnngp.motif.Op] and `x`.")


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("no Chromium: apt-get install chromium")


PROBE = """<script>var PROSE = ".md-typeset p, .md-typeset li, .md-typeset td, .md-typeset h1, "
  + ".md-typeset h2, .md-typeset h3, .jp-RenderedMarkdown, .md-nav__link";
window.addEventListener("load", function () { setTimeout(function () {
  var wraps = Array.from(document.querySelectorAll(".md-typeset__scrollwrap"));
  var raw = Array.from(document.querySelectorAll(".arithmatex")).filter(function (el) {
    return !el.querySelector(".katex"); }).length;
  var out = document.createElement("pre"); out.id = "dagnngp-probe";
  out.textContent = JSON.stringify({
    typeset: document.documentElement.getAttribute("data-math"),
    katex: document.querySelectorAll(".katex").length,
    errors: document.querySelectorAll(".katex-error").length,
    raw: raw, dollars: Array.from(document.querySelectorAll(PROSE)).reduce(function (n, el) {
      var prose = el.cloneNode(true);  /* the text a reader sees, less code and typeset formulas */
      prose.querySelectorAll("code, pre, .katex").forEach(function (c) { c.remove(); });
      return n + prose.textContent.split("$").length - 1; }, 0),
    overflow: wraps.map(function (w) { return w.scrollWidth - w.clientWidth; })});
  document.body.appendChild(out); }, 300); });</script>"""


def browse(page: Path, width: int = 1280) -> dict:
    """Open a built page in headless Chromium with the network cut off; what the probe measured."""
    probe = page.with_name("probe.html")
    probe.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8")
    try:
        proc = subprocess.run(
            [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", f"--window-size={width},900",
             "--proxy-server=127.0.0.1:9",  # any http(s) request fails: the page must not need one
             "--virtual-time-budget=8000", "--dump-dom", probe.as_uri()],
            capture_output=True, text=True, timeout=120)
    finally:
        probe.unlink()
    found = re.search(r'<pre id="dagnngp-probe">(.*?)</pre>', proc.stdout, re.S)
    assert found, proc.stderr[-2000:]
    return json.loads(found.group(1).replace("&quot;", '"'))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["", "model", "paper-errata", "notebooks/01_relu_dual_map",
                                  "notebooks/02_example_dags"])
def test_formulas_render_offline_in_a_browser(site, name):
    seen = browse(site / name / "index.html")
    assert seen["typeset"] == "typeset"
    assert seen["katex"] >= 1, seen
    assert seen["errors"] == 0, seen  # KaTeX could parse every formula
    assert seen["raw"] == 0, seen  # no formula left as TeX source
    assert seen["dollars"] == 0, seen  # no $...$ left in the text of a notebook


@pytest.mark.slow
@pytest.mark.parametrize("width", [1280, 1000])
def test_errata_table_fits_the_page(site, width):
    seen = browse(site / "paper-errata" / "index.html", width)
    assert seen["overflow"] and all(extra <= 1 for extra in seen["overflow"]), seen
