"""Every anticipated failure of the CLI: one line on stderr, a documented exit status, no traceback."""

from __future__ import annotations

import errno
import os
import re
import subprocess
import sys

import pytest

from dagnngp import cli
from dagnngp.cli import EXIT_CODES, main
from dagnngp.limits import ResourceLimitError, check_memory, parse_size


def error_lines(err: str) -> list[str]:
    """stderr without the documented ``dagnngp COMMAND: warning: ...`` lines."""
    return [line for line in err.splitlines() if not re.match(r"dagnngp( \w+)?: warning: ", line)]


def one_line_error(capsys, argv, status):
    assert main(argv) == status
    cap = capsys.readouterr()
    lines = error_lines(cap.err)
    assert len(lines) == 1 and cap.err.endswith("\n"), cap.err
    assert "Traceback" not in cap.err and "error:" in lines[0]
    return lines[0]


def test_exit_codes_are_documented_in_help_and_docs(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    from pathlib import Path

    page = (Path(__file__).resolve().parents[1] / "docs" / "cli.md").read_text()
    for code in EXIT_CODES:
        assert f"  {code} " in out
        assert f"| {code} |" in page


def test_no_abbreviated_options(capsys):
    err = one_line_error(capsys, ["kernel", "2_21_112", "--c", "0.3"], 2)
    assert "unrecognized arguments: --c 0.3" in err


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e400", "abc", ""])
def test_non_finite_numbers_are_usage_errors(capsys, value):
    err = one_line_error(capsys, ["kernel", "2_21_112", "--c-sigma", value], 2)
    assert re.search("c[-_]sigma", err)


@pytest.mark.parametrize(("argv", "fragment"), [
    (["mc", "2_21_112", "--draws", "-1"], "'-1' is not an integer >= 2"),
    (["mc", "2_21_112", "--width", "1.5"], "'1.5' is not an integer >= 1"),
    (["sweep", "--nodes", "-7"], "'-7' is not an integer >= 1"),
    (["sweep", "--nodes", "9"], "out of range"),
    (["derive", "2_21_112", "--series", "-3"], "'-3' is not an integer >= 0"),
    (["nas", "search", "x.csv", "--runs", "1e9"], "'1e9' is not an integer >= 2"),
])
def test_bad_sizes_are_usage_errors(capsys, argv, fragment):
    assert fragment in one_line_error(capsys, argv, 2)


def test_long_input_is_not_echoed_whole(capsys):
    err = one_line_error(capsys, ["kernel", "2_" * 100_000], 2)
    assert len(err) <= cli.MAX_MESSAGE + 40


def test_plot_into_a_directory_is_an_os_error(capsys, tmp_path):
    table = tmp_path / "t.csv"
    table.write_text("arch_str,cifar10-test\n2_02_002,50\n2_22_222,60\n")
    folder = tmp_path / "fig.png"
    folder.mkdir()
    err = one_line_error(capsys, ["nas", "table", str(table), "--plot", str(folder)], 3)
    assert f"is a directory, not a file: '{folder}'" in err


def test_plot_below_a_file_is_an_os_error(capsys, tmp_path):
    table = tmp_path / "t.csv"
    table.write_text("arch_str,cifar10-test\n2_02_002,50\n2_22_222,60\n")
    one_line_error(capsys, ["nas", "table", str(table), "--plot", str(table / "fig.png")], 3)


@pytest.mark.parametrize(("exc", "status", "fragment"), [
    (OSError(errno.EIO, "Input/output error", "table.csv"), 3, "Input/output error: 'table.csv'"),
    (PermissionError(errno.EACCES, "Permission denied", "/protected/x.png"), 3, "Permission denied"),
    (MemoryError(), 4, "out of memory"),
    (ResourceLimitError("too big", estimate=2.0, limit=1.0, unit="bytes", option="--max-memory"), 4,
     "too big"),
    (__import__("csv").Error("field larger than field limit (131072)"), 2, "field limit"),
    (ValueError("bad\nvalue"), 2, "bad value"),
    (RecursionError("maximum recursion depth exceeded"), 2, "nested too deeply"),
])
def test_error_classes_map_to_documented_statuses(capsys, monkeypatch, exc, status, fragment):
    import dagnngp.commands.kernel as kernel

    def fail(args):
        raise exc

    monkeypatch.setattr(kernel, "run", fail)
    err = one_line_error(capsys, ["kernel", "2_21_112"], status)
    assert err.startswith("dagnngp kernel: error:") and fragment in err


def test_ctrl_c_exits_130(capsys, monkeypatch):
    import dagnngp.commands.kernel as kernel

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(kernel, "run", interrupted)
    assert main(["kernel", "2_21_112"]) == 130
    assert capsys.readouterr().err == "dagnngp kernel: interrupted\n"


def test_broken_pipe_in_process_is_quiet(capsys, monkeypatch):
    class Closed:
        def write(self, text):
            raise BrokenPipeError(errno.EPIPE, "Broken pipe")

        def flush(self):
            raise BrokenPipeError(errno.EPIPE, "Broken pipe")

    monkeypatch.setattr(sys, "stdout", Closed())
    assert main(["nas", "cell", "2_21_112", "--json"]) == 141
    assert capsys.readouterr().err == ""


def test_broken_pipe_through_a_real_pipe_is_quiet():
    # the reader closes its end at once: every write of the command meets EPIPE
    r, w = os.pipe()
    os.close(r)
    proc = subprocess.run([sys.executable, "-m", "dagnngp", "nas", "space", "nb201", "--json"],
                          stdout=w, stderr=subprocess.PIPE, text=True, timeout=300)
    os.close(w)
    assert proc.returncode == 141
    assert proc.stderr == ""


def test_json_never_holds_inf_or_nan(capsys):
    assert main(["kernel", "2_21_112", "--c-sigma", "1e200", "--json"]) == 2
    cap = capsys.readouterr()
    assert cap.out == "" and "Traceback" not in cap.err
    lines = error_lines(cap.err)
    assert len(lines) == 1 and "c_sigma=1e+200" in lines[0]


@pytest.mark.parametrize(("argv", "option"), [
    (["mc", "2_21_112", "--width", "1000000000000"], "--max-memory"),
    (["mc", "2_21_112", "--draws", "1000000000"], "--max-memory"),
    (["mc", "2_21_112", "--width", "2048", "--max-memory", "1K"], "--max-memory"),
    (["mc", "2_21_112", "--max-work", "1000"], "--max-work"),
    (["nas", "search", "nb201_zero_cost_725.csv", "--runs", "1000000000"], "--max-memory"),
    (["nas", "search", "nb201_zero_cost_725.csv", "--runs", "10000000", "--samples", "100"], "--max-work"),
    (["derive", "2_21_112", "--series", "40"], "--max-work"),
    (["derive", "2_22_222_2222_22222_222222_2222222_22222222_222222222"], "--max-work"),
])
def test_huge_sizes_are_refused_before_any_work(capsys, argv, option):
    err = one_line_error(capsys, argv, 4)
    assert "needs about" in err and "above the limit" in err and option in err


def test_deeply_nested_cell_is_refused(capsys):
    one_line_error(capsys, ["nas", "cell", "[" * 200_000], 4)
    one_line_error(capsys, ["nas", "cell", "(" * 5_000 + ")" * 5_000], 2)


def test_memory_limit_from_the_environment(monkeypatch):
    monkeypatch.setenv("DAGNNGP_MAX_MEMORY", "1M")
    with pytest.raises(ResourceLimitError, match=r"2\.0 MiB of memory, above the limit of 1\.0 MiB"):
        check_memory(2 * 2**20, "x")
    monkeypatch.setenv("DAGNNGP_MAX_MEMORY", "lots")
    with pytest.raises(ValueError, match=r"\$DAGNNGP_MAX_MEMORY"):
        check_memory(1, "x")
    assert parse_size("1.5K") == 1536
    for bad in ("-1G", "nan", "1Q", "inf"):
        with pytest.raises(ValueError):
            parse_size(bad)


def test_estimates_scale_as_documented():
    from dagnngp.commands.nas import search_estimate
    from dagnngp.numerics.sampling import resource_estimate as mc_estimate

    m1, w1 = mc_estimate(4, 3, 1000, 10)
    m2, w2 = mc_estimate(4, 3, 1000, 20)
    assert w2 == pytest.approx(2 * w1)  # linear in draws
    big, _ = mc_estimate(4, 3, 10**6, 10, sampler="explicit")
    assert big > 8e12  # one width x width weight matrix
    assert search_estimate(1000, 10)[1] == 1000 * 60
