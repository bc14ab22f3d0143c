"""CLI fuzz: hundreds of generated bad (and some good) invocations, none may end in a traceback.

Each invocation goes through ``dagnngp.cli.main(argv)`` in-process; a few go through
``python -m dagnngp``.  Every one must return a documented exit status, print no
traceback, and, when it fails, print exactly one error line on stderr that starts with
``dagnngp`` (documented ``dagnngp COMMAND: warning: ...`` lines may come before it).
The totals by outcome are printed (``pytest -s`` shows them).
"""

from __future__ import annotations

import contextlib
import io
import random
import re
import subprocess
import sys
import warnings
from collections import Counter

import pytest

from dagnngp.cli import EXIT_CODES, main

SEED = 20261130
N_INVOCATIONS = 320

BAD_NUMBERS = ["nan", "NaN", "inf", "-inf", "1e400", "-1e400", "-1", "0", "1e12", "1e300", "", " ", "abc",
               "0x10", "1_000", "1,5", "--", "²", "٣", "1e-400", "9" * 40, "-0", "1.5", "+"]
BAD_OPTIONS = ["--c", "--C-sigma", "--jsn", "--no-such-option", "-x", "--", "---json", "--json=1",
               "--width=", "--nodes", "--series"]
BAD_PATHS = ["{tmp}/missing.csv", "{tmp}", "{tmp}/table.csv/inner.csv", "", "{tmp}/empty.csv",
             "{tmp}/header_only.csv", "{tmp}/binary.csv", "{tmp}/huge_field.csv", "/dev/null",
             "{tmp}/no_such_folder/x.csv"]
# ASCII, punctuation, Unicode digits (which pass str.isdigit()) and other Unicode
MOTIF_ALPHABET = "0123456789_ -+|~.,xX\t\n()[]{}'\"\\é∞αβ٢２²" + "\u200b"
COMMANDS_WITH_MOTIF = ["kernel", "derive", "mc"]


def _motif(rng: random.Random) -> str:
    kind = rng.randrange(6)
    if kind == 0:
        return "".join(rng.choice(MOTIF_ALPHABET) for _ in range(rng.randrange(0, 12)))
    if kind == 1:  # almost valid: one group with a wrong length or digit
        groups = ["".join(rng.choice("012") for _ in range(t)) for t in range(1, rng.randrange(2, 6))]
        g = rng.randrange(len(groups))
        groups[g] = groups[g] + rng.choice(["3", "", "2", "_", "9"])
        return "_".join(groups)
    if kind == 2:
        return "_" * rng.randrange(1, 5) + "2"
    if kind == 3:
        return "2_" * rng.randrange(1, 3000)
    if kind == 4:
        return "|" + "|".join(rng.choice(["nor_conv_3x3~0", "none~1", "skip~", "~", "+", "op~9" * 3])
                              for _ in range(rng.randrange(1, 8))) + "|"
    return rng.choice(["", " ", "-", "2__1", "2_2_", "0", "1", "2_21_112x", "2_21_1125"])


def _fill(arg: str, tmp: str) -> str:
    return arg.replace("{tmp}", tmp)


def generate(rng: random.Random, tmp: str) -> list[list[str]]:
    """``N_INVOCATIONS`` argument lists, most of them invalid in one way."""
    out: list[list[str]] = []
    while len(out) < N_INVOCATIONS:
        kind = rng.randrange(9)
        if kind == 0:  # bad motif string
            out.append([rng.choice(COMMANDS_WITH_MOTIF), _motif(rng)])
        elif kind == 1:  # bad number for a numeric option
            cmd, opt = rng.choice([
                (["kernel", "2_21_112"], "--C"), (["kernel", "2_21_112"], "--c-sigma"),
                (["derive", "2_21_112"], "--c-sigma"), (["derive", "2_21_112"], "--sigma-b"),
                (["derive", "2_21_112"], "--series"), (["mc", "2_21_112"], "--width"),
                (["mc", "2_21_112"], "--draws"), (["mc", "2_21_112"], "--C"), (["mc", "2_21_112"], "--alpha"),
                (["mc", "2_21_112"], "--max-memory"), (["sweep"], "--nodes"), (["sweep"], "--C"),
                (["sweep"], "--top"), (["nas", "search", "{tmp}/table.csv"], "--runs"),
                (["nas", "search", "{tmp}/table.csv"], "--samples"),
                (["nas", "table", "{tmp}/table.csv"], "--radius-fraction"), (["report"], "--seed"),
            ])
            out.append([*cmd, opt, rng.choice(BAD_NUMBERS)])
        elif kind == 2:  # bad or abbreviated option
            cmd = rng.choice([["kernel", "2_21_112"], ["sweep"], ["derive", "2"], ["nas", "cell", "2"],
                              ["check"], ["report"], []])
            out.append([*cmd, rng.choice(BAD_OPTIONS)])
        elif kind == 3:  # unknown command or action
            out.append(rng.choice([["kernal"], ["KERNEL"], ["nas", "tabel"], ["nas"], ["-"], ["mc"],
                                   ["kernel"], ["nas", "cell"], ["check", "--only", "CC-999"],
                                   ["report", "--quick", "--full"], ["nas", "space", "cifar"]]))
        elif kind == 4:  # bad path
            sub = rng.choice(["table", "search"])
            out.append(["nas", sub, rng.choice(BAD_PATHS)])
        elif kind == 5:  # bad plot target
            target = rng.choice(["{tmp}/plot_dir.png", "{tmp}/table.csv/fig.png", "{tmp}/fig.txt",
                                 "{tmp}/no_such_folder/fig.png", ""])
            out.append(["nas", "table", "{tmp}/table.csv", "--plot", target])
        elif kind == 6:  # huge sizes
            out.append(rng.choice([
                ["mc", "2_21_112", "--width", "1000000000000"], ["mc", "2_21_112", "--draws", "1000000000"],
                ["mc", "2_21_112", "--width", "100000000", "--sampler", "explicit"],
                ["nas", "search", "{tmp}/table.csv", "--runs", "1000000000"],
                ["nas", "search", "{tmp}/table.csv", "--samples", "1000000000000"],
                ["derive", "2_21_112", "--series", str(rng.choice([40, 100, 10**6]))],
                ["nas", "cell", "[" * rng.choice([10_000, 200_000])],
                ["mc", "2_21_112", "--max-memory", "1"],
            ]))
        elif kind == 7:  # bad cell strings
            out.append(["nas", "cell", rng.choice([
                "|nor_conv_3x3~" + "9" * 5000 + "|", "|" * rng.randrange(1, 50), "Genotype(", "[(1, 2)]",
                "[('sep_conv_3x3', -1)]", "Genotype(normal=[('x', 0)])", "()", "[" * 60 + "]" * 60,
                _motif(rng)])])
        else:  # valid, cheap invocations
            out.append(rng.choice([
                ["nas", "cell", "2_21_112"], ["nas", "cell", "2_21_112", "--json"],
                ["kernel", "2_21_112", "--model", "paper"], ["kernel", "2_02_002", "--C", "-1", "--json"],
                ["nas", "table", "{tmp}/table.csv", "--json"], ["--version"], ["--help"], ["nas", "--help"],
            ]))
    return [[_fill(a, tmp) for a in argv] for argv in out]


@pytest.fixture
def files(tmp_path):
    (tmp_path / "table.csv").write_text("arch_str,cifar10-test,val_accuracy,nwot\n"
                                        "2_02_002,50,50,1\n2_22_222,60,61,2\n1_11_111,10,11,0\n")
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "header_only.csv").write_text("arch_str,cifar10-test\n")
    (tmp_path / "binary.csv").write_bytes(b"\xff\xfe\x00\x01" * 100)
    (tmp_path / "huge_field.csv").write_text("arch_str,cifar10-test\n\"" + "x" * 200_000 + "\",1\n")
    (tmp_path / "plot_dir.png").mkdir()
    return tmp_path


def run_one(argv: list[str]) -> tuple[str, int | None, str]:
    out, err = io.StringIO(), io.StringIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the engine's own business, not the CLI's
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                status = main(argv)
            except BaseException as exc:  # noqa: BLE001 - anything escaping main is a finding
                return f"exception {type(exc).__name__}", None, err.getvalue()
    return "ok", status, err.getvalue()


def test_cli_fuzz(files, capsys):
    rng = random.Random(SEED)
    invocations = generate(rng, str(files))
    assert len(invocations) >= 300
    totals: Counter[str] = Counter()
    findings = []
    for argv in invocations:
        outcome, status, err = run_one(argv)
        if outcome != "ok":
            totals[outcome] += 1
            findings.append((argv, outcome, err[-300:]))
            continue
        totals[f"exit {status}"] += 1
        problems = []
        if status not in EXIT_CODES:
            problems.append(f"undocumented status {status}")
        if "Traceback" in err:
            problems.append("traceback")
        lines = [line for line in err.splitlines() if not re.match(r"dagnngp( \w+)?: warning: ", line)]
        if status not in (0, 1) and (len(lines) != 1 or not lines[0].startswith("dagnngp")):
            problems.append("not one line")
        if problems:
            totals["bad output"] += 1
            findings.append((argv, problems, err[-300:]))
    with capsys.disabled():
        print(f"\nCLI fuzz, {len(invocations)} invocations (seed {SEED}): "
              + ", ".join(f"{k}: {v}" for k, v in sorted(totals.items())))
    assert not findings, "\n".join(f"{str(a)[:120]}: {p}: {e!r}" for a, p, e in findings[:20])
    assert totals["exit 2"] > 100 and totals["exit 3"] > 5 and totals["exit 4"] > 5


SUBPROCESS_CASES = [
    (["kernel", "2_21_112", "--c", "0.3"], 2),
    (["mc", "2_21_112", "--width", "1000000000000"], 4),
    (["nas", "table", "/no/such/folder/t.csv"], 3),
    (["derive", "2_21_112", "--series", "40"], 4),
    (["kernal"], 2),
    (["nas", "cell", "|" * 500], 2),
]


@pytest.mark.parametrize(("argv", "status"), SUBPROCESS_CASES)
def test_cli_fuzz_subprocess(argv, status):
    proc = subprocess.run([sys.executable, "-m", "dagnngp", *argv], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == status
    assert "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("dagnngp")


@pytest.mark.parametrize("motif", ["٢", "２_21", "2_2²", "2_2" + "²" * 3, "١_٢١"])
def test_unicode_digit_motifs(motif):
    outcome, status, err = run_one(["kernel", motif])
    assert outcome == "ok" and status == 2 and "Traceback" not in err
