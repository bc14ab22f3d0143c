"""The import contract (.importlinter): layers point one way, the core loads no numeric library.

import-linter reads the package from disk.  In a source checkout the layers theory/, numerics/ and
proofs_check/ sit beside dagnngp/ (they are installed as dagnngp.<layer>), so each test assembles
the package tree as an install would lay it out, in a temporary folder, and lints that copy.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("theory", "numerics", "proofs_check")
#: The contracts of .importlinter, each also checked on its own.
HOLDING = ("core", "theory", "numerics", "proofs_check", "training", "layers", "acyclic")


def _assemble(dest: Path) -> Path:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "dagnngp", dest / "dagnngp", ignore=ignore)
    for layer in LAYERS:
        shutil.copytree(ROOT / layer, dest / "dagnngp" / layer, ignore=ignore)
    shutil.copy(ROOT / ".importlinter", dest / ".importlinter")
    return dest


def _lint(tree: Path, *contracts: str) -> subprocess.CompletedProcess:
    pytest.importorskip("importlinter", reason="import-linter is in the test extra: pip install -e '.[test]'")
    args = [sys.executable, "-c", "from importlinter.cli import lint_imports_command; lint_imports_command()",
            "--no-cache", *(f"--contract={c}" for c in contracts)]
    env = dict(os.environ, PYTHONPATH=str(tree), COLUMNS="200", NO_COLOR="1")
    return subprocess.run(args, cwd=tree, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    return _assemble(tmp_path_factory.mktemp("layers"))


def test_contracts_that_hold_today_are_kept(tree):
    proc = _lint(tree, *HOLDING)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert proc.stdout.count("KEPT") == len(HOLDING)


def _breaks(out: str) -> list[str]:
    """The importing modules named by the broken contracts in lint-imports' output.

    Forbidden and layers contracts list chains ``- dagnngp.a -> dagnngp.b``; the acyclic contract
    lists, under ``No cycles are allowed in P.``, the imports ``- .a -> .b`` that would break them.
    """
    importers = re.findall(r"^-\s+(dagnngp[\w.]*) -> ", out, flags=re.M)
    chunks = re.split(r"^No cycles are allowed in (dagnngp[\w.]*)\.$", out, flags=re.M)
    for package, block in zip(chunks[1::2], chunks[2::2], strict=True):  # relative names: cycles only
        breakers = re.findall(r"^-\s+(\.[\w.]+) -> ", block, flags=re.M)
        assert breakers, f"could not read the cycle report for {package}:\n{block}"
        importers += [f"{package}{rel}" for rel in breakers]
    return importers


def test_whole_contract_is_kept(tree):
    proc = _lint(tree)
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert "BROKEN" not in proc.stdout and proc.stdout.count("KEPT") == 7


def test_a_planted_violation_is_reported(tmp_path):
    tree = _assemble(tmp_path)
    motif = tree / "dagnngp" / "motif.py"
    motif.write_text(motif.read_text(encoding="utf-8") + "\nimport dagnngp.nas  # planted\n",
                     encoding="utf-8")
    proc = _lint(tree)
    assert proc.returncode == 1, proc.stdout[-4000:]
    out = proc.stdout
    assert re.search(r"dagnngp\.motif is not allowed to import dagnngp\.nas", out), out[-4000:]
    assert "dagnngp.motif -> dagnngp.nas" in out
    assert "dagnngp.motif" in _breaks(out)


def test_a_planted_cycle_is_reported(tmp_path):
    tree = _assemble(tmp_path)
    settings = tree / "dagnngp" / "report" / "settings.py"
    settings.write_text(settings.read_text(encoding="utf-8") + "\n\ndef _late():\n"
                        "    from dagnngp.report import build  # planted, lazy\n", encoding="utf-8")
    proc = _lint(tree, "acyclic")
    assert proc.returncode == 1, proc.stdout[-4000:]
    assert "No cycles are allowed in dagnngp.report." in proc.stdout


def _loaded_after(code: str) -> list[str]:
    probe = (f"import sys\n{code}\n"
             "print(','.join(m for m in ('numpy', 'sympy', 'numba', 'scipy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                         timeout=120, cwd=ROOT.parent)
    return [m for m in out.stdout.strip().split(",") if m]


def test_import_dagnngp_loads_no_numeric_library():
    assert _loaded_after("import dagnngp") == []
    assert _loaded_after("from dagnngp import Motif; Motif.parse('2_21_112').paths()") == []


def test_the_package_is_one_copy():
    import dagnngp

    assert len(dagnngp.__path__) == 1  # no second search location added at import
    for name in ("dagnngp.dagnngp", "dagnngp.tests"):
        with pytest.raises(ImportError):
            __import__(name)
