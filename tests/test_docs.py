"""The documentation site builds with warnings as errors, with every generated part in place."""

from __future__ import annotations

import os
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


def test_examples_heading_added_to_bare_doctests():
    sys.path.insert(0, str(ROOT / "docs"))
    try:
        import hooks
    finally:
        sys.path.remove(str(ROOT / "docs"))
    src = ('"""Title.\n\n>>> 1 + 1\n2\n"""\n\n'
           'def f():\n    """Doc.\n\n    Examples\n    --------\n    >>> f()\n    """\n')
    out = hooks.mark_examples(src)
    assert out.count("Examples") == 2  # added once for the module, left alone in f
    assert out.index("Examples\n--------\n>>> 1 + 1") > 0
