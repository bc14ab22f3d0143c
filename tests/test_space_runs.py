"""Motif-space runs: results, resuming after a killed process, a killed Dask worker, queries and the CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pyarrow", reason="motif-space runs need the dask extra: pip install -e '.[dask]'")

from dagnngp.cli import main  # noqa: E402
from dagnngp.explore import RunSpec, census, pareto, pending_chunks, read_columns, run_space, top  # noqa: E402
from dagnngp.numerics.motif_sweep import sweep  # noqa: E402
from dagnngp.proofs_check.audit import rule12_audit  # noqa: E402
from dagnngp.space import MotifSpace  # noqa: E402
from dagnngp.space.enumerate import motif_of  # noqa: E402

EVERY = ["index", "weight", "n_linear", "n_linear_path", "n_edges", "max_in_degree", "merges_unequal",
         "gap", "gap_ratio", "condition", "diagonal", "rule12", "paper_gap", "rule12_fails", "n_paths",
         "d_bar", "m_bar"]


def _same(a: str | Path, b: str | Path) -> None:
    x, y = read_columns(a, EVERY), read_columns(b, EVERY)
    assert x.keys() == y.keys()
    for k in x:
        np.testing.assert_array_equal(x[k], y[k], err_msg=k)


def test_a_run_holds_the_sweep_of_every_kept_motif(tmp_path):
    spec = RunSpec(MotifSpace(5, has_path=True), C=(0.0, 0.5), chunk_size=3**7)
    info = run_space(spec, tmp_path, scheduler="inprocess", progress=False)
    assert info["complete"] and info["chunks"] == 27 and info["rows"] == 56578
    cols = read_columns(tmp_path, ["index", "gap@0.5", "n_paths"])
    ref = sweep(5, [0.5])
    keep = np.flatnonzero(ref.n_paths > 0)
    np.testing.assert_array_equal(cols["index"], keep)
    np.testing.assert_allclose(cols["gap@0.5"], ref.gap[keep, 0], rtol=1e-12, atol=1e-13)
    # a second call finds nothing to do
    again = run_space(spec, tmp_path, scheduler="inprocess", progress=False)
    assert again["new_chunks"] == 0 and again["complete"]


def test_another_specification_is_refused_in_the_same_folder(tmp_path):
    run_space(RunSpec(MotifSpace(4), C=(0.5,)), tmp_path, scheduler="inprocess", progress=False)
    with pytest.raises(ValueError, match="another specification"):
        run_space(RunSpec(MotifSpace(4), C=(0.4,)), tmp_path, scheduler="inprocess", progress=False)


def test_census_reproduces_the_four_node_audit(tmp_path):
    run_space(RunSpec(MotifSpace(4, has_path=True), C=(0.0, 0.5, 0.9)), tmp_path, scheduler="inprocess",
              progress=False)
    audit = {r.motif for r in rule12_audit(4, (0.0, 0.5, 0.9)) if r.fails}
    cols = read_columns(tmp_path, ["index", "rule12_fails"])
    fails = np.zeros(len(cols["index"]), dtype=bool)
    for k in ("rule12_fails@0", "rule12_fails@0.5", "rule12_fails@0.9"):
        fails |= cols[k]
    assert {str(motif_of(4, int(i))) for i in cols["index"][fails]} == audit
    c = census([tmp_path], "rule12_fails", against="merges_unequal", k=3)
    assert c["true"] == len(audit) == 45 and c["mismatches"] == 0 and c["minimal"] == []
    c = census([tmp_path], "rule12_fails", k=2)
    edges = [m["edges"] for m in c["minimal"]]
    assert edges == sorted(edges) and edges[0] == 4  # 1_12_002 (skip, skip, linear, linear) and kin


def test_classes_run_reports_labelled_counts(tmp_path):
    a, b = tmp_path / "labelled", tmp_path / "classes"
    run_space(RunSpec(MotifSpace(5, has_path=True), C=(0.5,)), a, scheduler="inprocess", progress=False)
    run_space(RunSpec(MotifSpace(5, has_path=True, classes=True), C=(0.5,)), b, scheduler="inprocess",
              progress=False)
    ca, cb = census([a], "rule12_fails"), census([b], "rule12_fails")
    assert ca["true"] == cb["true"] and ca["motifs"] == cb["motifs"] == 56578
    assert cb["classes"] < ca["classes"]


def test_top_and_pareto(tmp_path):
    spec = RunSpec(MotifSpace(4, has_path=True), C=(0.5,))
    run_space(spec, tmp_path, scheduler="inprocess", progress=False)
    cols = read_columns(tmp_path, ["index", "gap@0.5", "gap_ratio@0.5", "n_linear_path"])
    best = top(tmp_path, "gap@0.5", k=3)
    assert [r["gap@0.5"] for r in best] == sorted(cols["gap@0.5"], reverse=True)[:3]
    worst = top(tmp_path, "gap@0.5", k=1, ascending=True)[0]
    assert worst["gap@0.5"] == cols["gap@0.5"].min()
    front = pareto(tmp_path, "gap_ratio@0.5")
    x = [r["n_linear_path"] for r in front]
    y = [r["gap_ratio@0.5"] for r in front]
    assert x == sorted(x) and y == sorted(y, reverse=True)
    for xi, yi in zip(x, y, strict=True):  # no motif with as many trainable edges does better
        assert yi == cols["gap_ratio@0.5"][cols["n_linear_path"] >= xi].max()
    with pytest.raises(ValueError, match="no column"):
        top(tmp_path, "speed")


@pytest.mark.slow
def test_a_killed_run_resumes_to_the_same_result(tmp_path):
    ref, run = tmp_path / "ref", tmp_path / "run"
    args = ["--nodes", "5", "--C", "0,0.5", "--chunk-size", "729", "--scheduler", "inprocess"]
    spec = RunSpec(MotifSpace(5), C=(0.0, 0.5), chunk_size=729)
    run_space(spec, ref, scheduler="inprocess", progress=False)
    proc = subprocess.Popen([sys.executable, "-m", "dagnngp", "explore", "run", *args, "--out", str(run)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if (run / "chunks").is_dir() and len(list((run / "chunks").glob("part-*.parquet"))) >= 10:
                break
            time.sleep(0.005)
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    left = len(pending_chunks(run))
    assert 0 < left < 81
    status = main(["explore", "run", *args, "--out", str(run), "--json"])
    assert status == 0 and not pending_chunks(run)
    assert not list((run / "chunks").glob(".*.tmp"))
    _same(ref, run)


@pytest.mark.slow
def test_a_killed_worker_changes_nothing(tmp_path):
    distributed = pytest.importorskip("distributed")
    spec = RunSpec(MotifSpace(5), C=(0.0, 0.5), chunk_size=729)
    run_space(spec, tmp_path / "ref", scheduler="inprocess", progress=False)
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, env={"NUMBA_NUM_THREADS": "1"})
    with cluster, distributed.Client(cluster) as client:
        pids = client.run(os.getpid)
        out = tmp_path / "run"
        result: dict = {}
        t = threading.Thread(
            target=lambda: result.update(run_space(spec, out, client=client, progress=False)))
        t.start()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            done = len(list((out / "chunks").glob("part-*.parquet"))) if (out / "chunks").is_dir() else 0
            if done >= 10:
                break
            time.sleep(0.005)
        victim = sorted(pids.values())[0]
        os.kill(victim, signal.SIGKILL)
        killed_with_work_left = len(pending_chunks(out)) > 0
        t.join(240)
        assert not t.is_alive()
    assert killed_with_work_left
    assert result["complete"]
    _same(tmp_path / "ref", out)


def test_cli_round_trip(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["explore", "run", "--nodes", "4", "--has-path", "--C", "0,0.5", "--out", str(out),
                 "--keep", "gap,gap_ratio,rule12,rule12_fails", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["rows"] == 662 and info["complete"]
    assert main(["explore", "top", str(out), "--by", "gap_ratio@0.5", "--k", "2", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert rows[0]["gap_ratio@0.5"] == pytest.approx(0.5)
    assert main(["explore", "census", str(out), "--column", "rule12_fails",
                 "--against", "merges_unequal"]) == 0
    text = capsys.readouterr().out
    assert "holds for 45 of 662 motifs" in text and "disagrees with merges_unequal for 0 motifs" in text
    plot = tmp_path / "front.png"
    assert main(["explore", "pareto", str(out), "--rate", "gap_ratio@0.5", "--plot", str(plot)]) == 0
    assert plot.stat().st_size > 1000 and "Pareto front" in capsys.readouterr().out


@pytest.mark.parametrize("argv,message", [
    (["explore", "top", "nowhere", "--by", "gap"], "is not a motif-space run"),
    (["explore", "run", "--nodes", "4", "--C", "0,2", "--out", "x"], "lie in [-1, 1]"),
    (["explore", "run", "--nodes", "4", "--C", "0,nan", "--out", "x"], "not a finite number"),
    (["explore", "run", "--nodes", "4", "--plugins", "ntk2", "--out", "x"], "unknown plug-in"),
    (["explore", "run", "--nodes", "4", "--n-linear", "3:1", "--out", "x"], "LOW <= HIGH"),
    (["explore", "run", "--nodes", "4", "--keep", "speed", "--out", "x"], "unknown columns"),
])
def test_cli_errors_are_one_line(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_missing_extra_is_one_line(monkeypatch, capsys, tmp_path):
    import dagnngp.explore.run as run_mod

    def absent(module):
        raise ImportError(f"motif-space runs need {module}, which is not installed; "
                          "install the optional extra: pip install 'dagnngp[dask]'")

    monkeypatch.setattr(run_mod, "_optional", absent)
    assert main(["explore", "run", "--nodes", "3", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "dagnngp[dask]" in err and "Traceback" not in err
    with pytest.raises(ImportError, match="not installed"):
        run_mod.__dict__["_optional"]("pyarrow")


def test_unfinished_runs_are_refused_unless_partial(tmp_path, capsys):
    spec = RunSpec(MotifSpace(5, has_path=True), C=(0.5,), chunk_size=3**7)
    info = run_space(spec, tmp_path, scheduler="inprocess", progress=False, max_chunks=2)
    assert not info["complete"] and info["chunks_done"] == 2
    with pytest.raises(ValueError, match="unfinished"):
        census([tmp_path], "rule12_fails")
    part = census([tmp_path], "rule12_fails", allow_partial=True)
    full = read_columns(tmp_path, ["rule12_fails@0.5"], allow_partial=True)["rule12_fails@0.5"]
    assert part["true"] == int(full.sum()) and part["runs"][0]["chunks_missing"] == 25
    assert main(["explore", "census", str(tmp_path), "--column", "rule12_fails", "--partial"]) == 0
    assert "25 chunks still missing" in capsys.readouterr().out
