"""`dagnngp report --out DIR` never leaves a mix: after Ctrl-C, DIR holds a complete report set or
(on a first run) does not exist; bad output folders are refused before any work.

The interrupted runs use the fastest report (``--only dual_map``) in a subprocess and send SIGINT at
fractions of a measured uninterrupted run; the rename step itself is interrupted deterministically.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dagnngp.cli import main
from dagnngp.report import build as report_build
from dagnngp.report import build_report

FRACTIONS = (0.15, 0.5, 0.85, 0.97, 1.1)
CLI = "import sys; from dagnngp.cli import main; sys.exit(main())"
#: 130 from the command's own handler; killed by the signal when it lands outside it (start-up, exit).
INTERRUPTED = {130, -signal.SIGINT}


def _start(out: Path, seed: int) -> subprocess.Popen:
    args = [sys.executable, "-c", CLI, "report", "--out", str(out), "--only", "dual_map",
            "--seed", str(seed), "--no-progress"]
    env = dict(os.environ, MPLBACKEND="Agg")
    return subprocess.Popen(args, cwd=out.parent, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _assert_complete(out: Path) -> dict:
    """``out`` holds exactly the files its report.json lists, each whole."""
    rep = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert sorted(os.listdir(out)) == sorted(rep["files"])
    assert [s["key"] for s in rep["sections"]] == ["dual_map"]
    assert (out / "report.html").read_text(encoding="utf-8").rstrip().endswith("</html>")
    assert (out / "report.md").read_text(encoding="utf-8").rstrip().endswith("report.json.")
    assert (out / "dual_map.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return rep


def _no_leftovers(parent: Path) -> None:
    assert not [p for p in os.listdir(parent) if p.startswith(".")], os.listdir(parent)


def _interrupt_after(proc: subprocess.Popen, delay: float) -> int:
    time.sleep(delay)
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=120)
    return proc.returncode


@pytest.mark.slow
def test_sigint_leaves_the_previous_or_the_new_complete_report(tmp_path):
    out = tmp_path / "rep"
    t0 = time.perf_counter()
    proc = _start(out, seed=0)
    assert proc.wait(timeout=300) == 0, proc.stderr.read().decode()[-2000:]
    full = time.perf_counter() - t0
    _assert_complete(out)
    current, codes, kept_previous = 0, [], 0
    for k, frac in enumerate(FRACTIONS, start=1):
        codes.append(_interrupt_after(_start(out, seed=k), frac * full))
        rep = _assert_complete(out)
        assert rep["seed"] in (current, k)
        if codes[-1] == 0:
            assert rep["seed"] == k  # a run that finished published its set
        kept_previous += rep["seed"] == current
        current = rep["seed"]
        _no_leftovers(tmp_path)
    assert set(codes) <= {0} | INTERRUPTED and INTERRUPTED & set(codes), codes
    assert kept_previous >= 1  # some interrupt did land before the new set was complete


@pytest.mark.slow
def test_sigint_on_a_first_run_leaves_no_folder_or_a_complete_one(tmp_path):
    t0 = time.perf_counter()
    proc = _start(tmp_path / "timing", seed=0)
    assert proc.wait(timeout=300) == 0
    full = time.perf_counter() - t0
    codes, absent = [], 0
    for k, frac in enumerate(FRACTIONS):
        out = tmp_path / f"first-{k}"
        codes.append(_interrupt_after(_start(out, seed=k), frac * full))
        if out.exists() or codes[-1] == 0:  # Ctrl-C after the rename still leaves the new set
            _assert_complete(out)
        else:
            absent += 1
        _no_leftovers(tmp_path)
    assert set(codes) <= {0} | INTERRUPTED and absent >= 1, codes


def _interrupt_rename(monkeypatch, at_call: int, how: str) -> list[int]:
    """Make the ``at_call``-th ``os.rename`` of the report raise KeyboardInterrupt or receive SIGINT."""
    real = os.rename
    calls = []

    def rename(src, dst):
        calls.append(1)
        if len(calls) == at_call:
            if how == "raise":
                raise KeyboardInterrupt
            os.kill(os.getpid(), signal.SIGINT)  # arrives while the rename pair runs
        return real(src, dst)

    monkeypatch.setattr(report_build.os, "rename", rename)
    return calls


@pytest.mark.parametrize("at_call", [1, 2])
def test_sigint_between_the_renames_is_held_until_the_new_set_is_in_place(tmp_path, monkeypatch, at_call):
    out = tmp_path / "rep"
    build_report(out, only=["dual_map"], seed=0, progress=False)
    _interrupt_rename(monkeypatch, at_call, "signal")
    with pytest.raises(KeyboardInterrupt):
        build_report(out, only=["dual_map"], seed=1, progress=False)
    assert _assert_complete(out)["seed"] == 1
    _no_leftovers(tmp_path)


def test_a_failed_first_rename_keeps_the_previous_report(tmp_path, monkeypatch):
    out = tmp_path / "rep"
    build_report(out, only=["dual_map"], seed=0, progress=False)
    _interrupt_rename(monkeypatch, 1, "raise")
    with pytest.raises(KeyboardInterrupt):
        build_report(out, only=["dual_map"], seed=1, progress=False)
    assert _assert_complete(out)["seed"] == 0
    _no_leftovers(tmp_path)


def test_interrupted_section_leaves_nothing_behind(tmp_path, monkeypatch):
    from dagnngp.report import sections

    def interrupted(settings):
        (settings.out_dir / "dual_map.png").write_bytes(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(sections, "SECTIONS", [("dual_map", "Dual map", interrupted)])
    with pytest.raises(KeyboardInterrupt):
        build_report(tmp_path / "rep", progress=False)
    assert os.listdir(tmp_path) == []


def test_empty_out_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["report", "--out", "", "--only", "dual_map"]) == 2
    assert "the output folder is empty" in capsys.readouterr().err
    assert os.listdir(tmp_path) == []


def test_current_folder_and_foreign_folders_are_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["report", "--out", ".", "--only", "dual_map"]) == 2
    assert "is the current folder or contains it" in capsys.readouterr().err
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    assert main(["report", "--out", str(mine), "--only", "dual_map"]) == 2
    assert "holds files that are not part of a dagnngp report (e.g. 'notes.txt')" in capsys.readouterr().err
    assert os.listdir(mine) == ["notes.txt"]
    assert sorted(os.listdir(tmp_path)) == ["mine"]


def test_unknown_section_is_refused(tmp_path, capsys):
    assert main(["report", "--out", str(tmp_path / "r"), "--only", "dual_map,nope"]) == 2
    assert "unknown report section(s) 'nope'" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()
