"""Fuzz the motif grammar within a fixed budget: every string parses or raises a short MotifError.

The generators and the reference validator (an independent statement of the grammar) live in
tests/fuzz/run_motif_fuzz.py, whose longer run prints totals by outcome.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dagnngp import MAX_NODES, Motif, MotifError, Op
from dagnngp.proofs_check.strategies import motifs

_spec = importlib.util.spec_from_file_location(
    "run_motif_fuzz", Path(__file__).resolve().parent / "fuzz" / "run_motif_fuzz.py")
fuzz = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("run_motif_fuzz", fuzz)
_spec.loader.exec_module(fuzz)

FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _outcome(text: object) -> str:
    outcome, detail = fuzz.classify(text)
    assert outcome in ("parsed", "MotifError"), f"{text!r}: {outcome}: {detail}"
    return outcome


# --------------------------------------------------------------------- the reference itself


@pytest.mark.parametrize(("text", "valid"), [
    ("2", True), ("2_21_112", True), (" 0_00\n", True), ("", False), ("2_", False), ("3", False),
    ("2_2", False), ("\u0662", False), ("\uff12_21", False),
    ("_".join("0" * t for t in range(1, MAX_NODES)), True),
    ("_".join("0" * t for t in range(1, MAX_NODES + 1)), False),
])
def test_reference_validator(text, valid):
    assert fuzz.reference_is_valid(text) is valid


# --------------------------------------------------------------------------- corpus

CORPUS = [
    "\u0662", "\uff12_21", "2_2\u00b2", "2_21_11\uff12", "\U0001d7d0", "2_2\u0661", "\u2082", "2_21_1\u00bd2",
    "2_21_112\x00", "2\x00", "2_21_112 \u200b", "\u200e2_21", "2_21\u202e", "\ufeff2_21", "2_2\ud800",
    "_", "__", "2_", "_2", "2__1", "+2", "-0", "2.0", "0x2", "2e0", "2_21_112_", " ", "\u00a0",
    "|nor_conv_3x3~0|", "|", "2|21", "2~0",
    "2" * 10**6, "_" * 10**6, "2_21_" + "1" * 10**6, "\u0662" * 10**5,
    "_".join("0" * t for t in range(1, 5000)),
]


@pytest.mark.parametrize("text", CORPUS, ids=range(len(CORPUS)))
def test_corpus(text):
    outcome = _outcome(text)
    assert outcome == "MotifError"  # nothing in the corpus is a motif
    with pytest.raises(MotifError) as info:
        Motif.parse(text)
    assert len(str(info.value)) <= fuzz.MAX_MESSAGE


@pytest.mark.parametrize("text", ["\u0662", "\uff12_21", "2_2\u00b2"])
def test_unicode_digits_are_named(text):
    with pytest.raises(MotifError, match="non-ASCII digit"):
        Motif.parse(text)


def test_oversize_input_is_not_echoed():
    text = "2_21_" + "1" * 500_000
    with pytest.raises(MotifError) as info:
        Motif.parse(text)
    msg = str(info.value)
    assert "500005 characters" in msg and "1" * 60 not in msg


def test_too_many_nodes_is_refused_by_count():
    with pytest.raises(MotifError, match=f"describes {10**5 + 2} nodes; the maximum is {MAX_NODES}"):
        Motif.parse("_" * 10**5)


@pytest.mark.parametrize("value", [b"2_21", None, 2, 2.0, ["2"], bytearray(b"2")])
def test_non_strings(value):
    with pytest.raises(MotifError, match="must be a str"):
        Motif.parse(value)


# ----------------------------------------------------------------------------- Hypothesis


@FUZZ
@given(st.text(max_size=80))
def test_any_text(text):
    _outcome(text)


@FUZZ
@given(st.text(alphabet=fuzz.ASCII_ALPHABET + fuzz.UNICODE_DIGITS + " |+", max_size=60))
def test_text_near_the_grammar(text):
    _outcome(text)


@FUZZ
@given(motifs(max_nodes=10), st.randoms(use_true_random=False))
def test_mutated_valid_strings(m, rng):
    assert _outcome(str(m)) == "parsed"
    _outcome(fuzz.mutate(rng, str(m)))


@FUZZ
@given(motifs(max_nodes=10), st.sampled_from(fuzz.UNICODE_DIGITS), st.data())
def test_one_unicode_digit_is_refused(m, digit, data):
    text = str(m)
    i = data.draw(st.sampled_from([k for k, ch in enumerate(text) if ch != "_"]))
    assert _outcome(text[:i] + digit + text[i + 1:]) == "MotifError"


# ------------------------------------------------------------------------------ from_edges

_INTS = st.one_of(st.integers(-3, 12), st.sampled_from([np.int8, np.int32, np.int64, np.uint16]).flatmap(
    lambda t: st.integers(0, 12).map(t)))
_OPS = st.one_of(st.sampled_from(list(Op)), _INTS, st.sampled_from(["zero", "skip", "linear", "conv", ""]),
                 st.booleans(), st.floats(allow_nan=True), st.none())


@FUZZ
@given(st.one_of(_INTS, st.booleans(), st.floats()),
       st.dictionaries(st.one_of(st.tuples(_INTS, _INTS), st.tuples(_INTS), st.text(max_size=3)), _OPS,
                       max_size=6))
def test_from_edges_builds_or_refuses(n_nodes, edges):
    try:
        m = Motif.from_edges(n_nodes, edges)
    except MotifError as exc:
        assert len(str(exc)) <= fuzz.MAX_MESSAGE
        return
    assert m.n_nodes == int(n_nodes)
    assert Motif.parse(str(m)) == m


def test_from_edges_accepts_numpy_integers():
    edges = {(np.int64(0), np.int32(1)): np.int8(2), (np.uint8(1), np.int64(2)): np.int16(1)}
    assert str(Motif.from_edges(np.int64(3), edges)) == "2_01"
    with pytest.raises(MotifError, match="bool"):
        Motif.from_edges(3, {(0, 1): np.bool_(True)})
    with pytest.raises(MotifError, match="must be an int"):
        Motif.from_edges(np.float64(3.0), {})
