"""Deployment helpers of the CLI: the Numba cache folder choice and the package metadata."""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path

import pytest

from dagnngp import _numba_cache
from dagnngp._numba_cache import cache_candidates, configure_numba_cache, usable_cache_dir

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def fresh(monkeypatch):
    """Forget this process's choice and any user setting (restored afterwards)."""
    import numba.core.config

    monkeypatch.setattr(_numba_cache, "_configured", [])
    monkeypatch.setattr(numba.core.config, "CACHE_DIR", numba.core.config.CACHE_DIR)
    monkeypatch.setenv("NUMBA_CACHE_DIR", "")  # recorded, so the test's own value is undone too
    monkeypatch.delenv("NUMBA_CACHE_DIR")
    return monkeypatch


def test_candidates_follow_xdg_then_home_then_temp(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    assert cache_candidates() == [tmp_path / "xdg" / "dagnngp" / "numba",
                                  tmp_path / "home" / ".cache" / "dagnngp" / "numba",
                                  tmp_path / "tmp" / f"dagnngp-numba-{os.getuid()}"]
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")  # not absolute: ignored, as the XDG spec says
    assert cache_candidates()[0] == tmp_path / "home" / ".cache" / "dagnngp" / "numba"


def test_usable_cache_dir(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert not usable_cache_dir(blocker / "below")  # fails even for root
    assert usable_cache_dir(tmp_path / "new" / "deep")
    private = tmp_path / "private"
    assert usable_cache_dir(private, private=True)
    assert stat.S_IMODE(private.stat().st_mode) & 0o077 == 0
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)  # writable by others: someone else could plant pickles there
    assert not usable_cache_dir(shared, private=True)


def test_configure_picks_the_first_usable_folder(fresh, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    chosen = configure_numba_cache([blocker / "a", tmp_path / "b", tmp_path / "c"])
    assert chosen == str(tmp_path / "b")
    assert os.environ["NUMBA_CACHE_DIR"] == chosen
    assert configure_numba_cache([tmp_path / "c"]) == chosen  # decided once per process
    import numba.core.config

    assert numba.core.config.CACHE_DIR == chosen  # already imported: updated too


def test_user_setting_is_kept(fresh, tmp_path):
    fresh.setenv("NUMBA_CACHE_DIR", str(tmp_path / "mine"))
    assert configure_numba_cache([tmp_path / "other"]) == str(tmp_path / "mine")
    assert os.environ["NUMBA_CACHE_DIR"] == str(tmp_path / "mine")


def test_no_usable_folder_compiles_in_memory(fresh, tmp_path):
    from numba.core import dispatcher

    fresh.setattr(dispatcher.Dispatcher, "enable_caching", dispatcher.Dispatcher.enable_caching)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert configure_numba_cache([blocker / "a"]) is None
    assert getattr(dispatcher.Dispatcher.enable_caching, "_dagnngp_fallback", False)

    class Disp:
        py_func = staticmethod(eval("lambda: 1"))  # source "<string>": Numba finds no cache locator

    with pytest.raises(RuntimeError, match="no locator available"):
        dispatcher.FunctionCache(Disp.py_func)
    dispatcher.Dispatcher.enable_caching(Disp())  # the fallback: no error, no cache


def test_package_metadata():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "version" not in meta and meta["dynamic"] == ["version"]
    assert meta["license"] == "MIT" and "LICENSE" in meta["license-files"]
    assert "MIT License" in (ROOT / "LICENSE").read_text()
    assert any(c.startswith("Programming Language :: Python :: 3.11") for c in meta["classifiers"])
    assert (ROOT / "dagnngp" / "py.typed").is_file()
    assert (ROOT / "dagnngp" / "__main__.py").is_file()
