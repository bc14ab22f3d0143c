"""The built wheel works anywhere: a fresh venv, a read-only site-packages, no writable home.

Builds the wheel from a copy of the source tree, installs it (with its dependencies, from the
configured package index or cache) into a fresh virtual environment, then locks the
installation down and runs the commands from an unrelated folder:

* ``site-packages`` is made read-only (``chmod -R a-w``), and because root ignores file
  modes, ``dagnngp/numerics/__pycache__`` is replaced by a regular file so that Numba cannot
  cache beside the source even as root;
* ``HOME`` and ``XDG_CACHE_HOME`` point below a regular file, so no folder can be created
  there by anyone;
* a control shows that in this environment a plain ``@njit(cache=True)`` fails with Numba's
  ``no locator available``, so the commands really run on the fallback cache folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
SKIP_DIRS = {".git", ".venv", ".ci-venv", "build", "dist", "site", "__pycache__", ".pytest_cache",
             ".hypothesis", ".ruff_cache", "dagnngp-report", ".cache"}

PROBE = "import numba\n\n@numba.njit(cache=True)\ndef one():\n    return 1\n\nassert one() == 1\n"


def _copy_source(dest: Path) -> None:
    def ignore(folder, names):
        return [n for n in names if n in SKIP_DIRS or n.endswith((".egg-info", ".pyc", ".nbi", ".nbc"))]

    shutil.copytree(ROOT, dest, ignore=ignore)


def _run(cmd, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


@pytest.fixture(scope="module")
def install(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wheel")
    _copy_source(tmp / "src")
    build = _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(tmp / "src"), "-w",
                  str(tmp / "dist")], timeout=600)
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = (tmp / "dist").glob("dagnngp-*.whl")
    venv = tmp / "venv"
    assert _run([sys.executable, "-m", "venv", str(venv)], timeout=300).returncode == 0
    py = venv / "bin" / "python"
    inst = _run([str(py), "-m", "pip", "install", "-q", "--no-compile", str(wheel)], timeout=900)
    if inst.returncode != 0 and ("No matching distribution" in inst.stderr
                                 or "Could not find a version" in inst.stderr):
        pytest.skip("the wheel's dependencies cannot be installed here (no package index): "
                    + inst.stderr[-300:])
    assert inst.returncode == 0, inst.stderr[-2000:]
    site = Path(_run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                     timeout=60).stdout.strip())
    assert (site / "dagnngp" / "nas" / "data" / "nb201_12epoch_accuracy.csv.gz").is_file()
    assert (site / "dagnngp" / "training" / "data" / "digits_200.csv.gz").is_file()
    # a module of our own with a cached Numba function, to show that Numba alone cannot cache here
    (site / "numba_probe").mkdir()
    (site / "numba_probe" / "__init__.py").write_text(PROBE)
    for pkg in ("dagnngp/numerics", "numba_probe"):
        shutil.rmtree(site / pkg / "__pycache__", ignore_errors=True)
        (site / pkg / "__pycache__").write_text("not a folder: no cache beside the source, even for root\n")
    blocker = tmp / "blocker"
    blocker.write_text("a regular file: nothing can be created below it\n")
    (tmp / "tmp").mkdir()
    (tmp / "elsewhere").mkdir()
    subprocess.run(["chmod", "-R", "a-w", str(site)], check=True)
    env = {k: v for k, v in os.environ.items()
           if k not in ("DAGNNGP_DATA", "NUMBA_CACHE_DIR", "PYTHONPATH", "VIRTUAL_ENV", "XDG_CACHE_HOME")}
    env.update(HOME=str(blocker / "home"), XDG_CACHE_HOME=str(blocker / "cache"), TMPDIR=str(tmp / "tmp"),
               PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}", MPLBACKEND="Agg")
    yield {"tmp": tmp, "venv": venv, "py": py, "site": site, "env": env, "cwd": tmp / "elsewhere"}
    subprocess.run(["chmod", "-R", "u+w", str(site)], check=False)


def _cli(install, *args, python=False) -> subprocess.CompletedProcess:
    exe = [str(install["py"]), "-m", "dagnngp"] if python else [str(install["venv"] / "bin" / "dagnngp")]
    return _run([*exe, *args], cwd=install["cwd"], env=install["env"], timeout=600)


def test_numba_alone_cannot_cache_in_this_environment(install):
    proc = _run([str(install["py"]), "-c", "import numba_probe"], cwd=install["cwd"], env=install["env"],
                timeout=300)
    assert proc.returncode != 0 and "no locator available" in proc.stderr


def test_commands_run_from_anywhere(install):
    # kernel and sweep compile different Numba kernels: run them side by side
    exe = str(install["venv"] / "bin" / "dagnngp")
    procs = [subprocess.Popen([exe, *args], cwd=install["cwd"], env=install["env"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
             for args in (["kernel", "2_21_112", "--C", "0.5"], ["sweep", "--nodes", "4"])]
    results = [p.communicate(timeout=600) + (p.returncode,) for p in procs]
    for _out, err, code in results:
        assert code == 0 and "Traceback" not in err, err[-2000:]
    assert "output diagonal      K_ii =" in results[0][0]
    assert "729 motifs with 4 nodes" in results[1][0]
    table = _cli(install, "nas", "table", "nb201_12epoch_accuracy.csv", "--acc-col", "cifar10-test")
    assert table.returncode == 0 and "Traceback" not in table.stderr, table.stderr[-2000:]
    assert "nb201_12epoch_accuracy.csv: 15625 cells" in table.stdout
    # the compiled kernels were cached in the private folder below the temporary directory
    cache = install["tmp"] / "tmp" / f"dagnngp-numba-{os.getuid()}"
    assert any(cache.rglob("*.nbi")), "Numba's cache index was not written to the fallback folder"
    assert (cache.stat().st_mode & 0o077) == 0


def test_in_memory_when_no_folder_is_writable(install):
    code = ("from dagnngp._numba_cache import configure_numba_cache\n"
            "assert configure_numba_cache(candidates=[]) is None\n"
            "import numba_probe\n"
            "from dagnngp.numerics.numba_dual import relu_h\n"
            "print(relu_h(0.5))\n")
    proc = _run([str(install["py"]), "-c", code], cwd=install["cwd"], env=install["env"], timeout=300)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert float(proc.stdout) > 0.5


def test_python_dash_m_and_version(install):
    proc = _cli(install, "--version", python=True)
    meta = _run([str(install["py"]), "-c", "import importlib.metadata as m, dagnngp; "
                 "print(m.version('dagnngp'), dagnngp.__version__, dagnngp.__file__)"],
                cwd=install["cwd"], env=install["env"], timeout=60).stdout.split()
    assert proc.returncode == 0 and proc.stdout.strip() == f"dagnngp {meta[0]}"
    assert meta[0] == meta[1]
    assert meta[2].startswith(str(install["site"]))  # the installed copy, not the checkout
    assert sysconfig.get_paths()["purelib"] != str(install["site"])
