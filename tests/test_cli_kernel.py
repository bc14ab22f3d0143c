"""``dagnngp kernel`` and the top-level CLI."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from dagnngp.cli import COMMANDS, main


def test_help_lists_every_available_command(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "kernel" in out and "NNGP kernel" in out
    import importlib.util

    for name, module in COMMANDS.items():
        # every command ships with the package, so each must be found and listed
        assert importlib.util.find_spec(module) is not None, module
        assert name in out, name


def test_kernel_text_output(capsys):
    assert main(["kernel", "2_21_112", "--C", "0.5", "--model", "paper"]) == 0
    out = capsys.readouterr().out
    assert "1.523190917" in out  # spec §2.3: DAG#3 paper-model gap at C = 0.5 is 1.52319
    assert "P = 4" in out and "[0, 1, 2, 2]" in out and "(1.25, 2.4)" in out


def test_kernel_json_output(capsys):
    assert main(["kernel", "1_01_222", "--C", "0", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["diagonal"] == pytest.approx(4.90986, abs=1e-5)  # 3 + 6/pi, exact model
    assert data["gap_2x2"] == pytest.approx(2.04507, abs=1e-5)
    assert data["P"] == 3 and data["d_p"] == [1, 1, 1]
    assert (data["effective_depth"], data["effective_width"]) == (1.0, 3.0)


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["kernel", "2_3_112"], "group 2"),
        (["kernel", "2_21_112", "--C", "1.5"], "'1.5' is not a correlation in [-1, 1]"),
        (["kernel", "2_21_112", "--c-sigma", "-1"], "c_sigma"),
    ],
)
def test_kernel_bad_input_exits_2_with_a_message(argv, fragment, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert fragment in err and "Traceback" not in err


def test_installed_entry_point_runs():
    proc = subprocess.run([sys.executable, "-m", "dagnngp.cli", "kernel", "2_02_002", "--C", "0.9"],
                          capture_output=True, text=True, check=True)
    assert "0.075149" in proc.stdout  # spec §2.3: lambda_dag1 at C = 0.9 is 0.07515


def test_python_dash_m_dagnngp_runs():
    proc = subprocess.run([sys.executable, "-m", "dagnngp", "kernel", "2_02_002", "--C", "0.9", "--model",
                           "paper"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "K_ii" in proc.stdout


def test_kernel_takes_activation_parameters_and_bias(capsys):
    # one ReLU layer with a bias: pre-activation Gram [[2, 1], [1, 2]] at C = 0, correlation 1/2,
    # so K_ij = c sqrt(2 * 2) (sqrt(1 - 1/4) + (pi - acos(1/2)) / 2) / (2 pi) and K_ii = c * 2 / 2
    assert main(["kernel", "2", "--C", "0", "--sigma-b", "1", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    expected = 2 * 2 * (math.sqrt(0.75) + (math.pi - math.acos(0.5)) / 2) / (2 * math.pi)
    assert data["offdiagonal"] == pytest.approx(expected, rel=1e-13)
    assert data["diagonal"] == pytest.approx(2.0, rel=1e-13) and data["sigma_b"] == 1.0
    # leaky with slope s at C = 0 (u, v independent): K_ij = c E[s(u)]^2 = c (1 - s)^2 / (2 pi),
    # K_ii = c E[s(u)^2] = c (1 + s^2) / 2
    s = 0.3
    assert main(["kernel", "2", "--C", "0", "--activation", "leaky", "--param", f"slope={s}",
                 "--c-sigma", "1.5", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["offdiagonal"] == pytest.approx(1.5 * (1 - s) ** 2 / (2 * math.pi), rel=1e-13)
    assert data["diagonal"] == pytest.approx(1.5 * (1 + s * s) / 2, rel=1e-13)
    assert data["activation_params"] == {"slope": s} and data["rule12"] is None
    assert main(["kernel", "2", "--activation", "leaky", "--param", "slope=0.3"]) == 0
    assert "activation leaky, slope = 0.3" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["kernel", "2", "--param", "slope"], "NAME=VALUE"),
        (["kernel", "2", "--activation", "leaky", "--param", "slope=x"], "'x' is not a number"),
        (["kernel", "2", "--activation", "leaky", "--param", "slope=1", "--param", "slope=2"], "twice"),
        (["kernel", "2", "--activation", "tanh"], "not known"),
        (["kernel", "2", "--sigma-b", "-1"], "sigma_b"),
        (["mc", "2", "--width", "8", "--draws", "2", "--sigma-b", "nan"], "sigma_b"),
        (["sweep", "--nodes", "3", "--activation", "step"], "ReLU only"),
    ],
)
def test_kernel_options_bad_input_exits_2_with_one_line(argv, fragment, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert fragment in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
