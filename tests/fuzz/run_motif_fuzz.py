"""Fuzz the motif grammar: feed many strings to ``Motif.parse`` and print totals by outcome.

Every input must end in one of two outcomes: a :class:`~dagnngp.Motif` (then the input is a valid
motif string by an independent reference validator, and ``str`` gives it back) or a
:class:`~dagnngp.MotifError` with a short message.  Anything else is counted and shown: another
exception, a disagreement with the reference validator, a message longer than
``MAX_MESSAGE`` characters, or a call that does not return within ``--timeout`` seconds.

Run from the repository root (takes about a minute for the default 120,000 strings)::

    python tests/fuzz/run_motif_fuzz.py [--n 120000] [--seed 0] [--timeout 2]

The exit status is 1 if any input had an outcome other than parsed / MotifError.
tests/test_motif_fuzz.py uses this module's generators and reference validator.
"""

from __future__ import annotations

import argparse
import random
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator

from dagnngp import MAX_NODES, Motif, MotifError

#: Longest error message accepted, whatever the input's size.
MAX_MESSAGE = 400

#: Characters that pass ``str.isdigit`` or ``str.isnumeric`` but are not ASCII digits (a sample).
UNICODE_DIGITS = (
    "\u0660\u0661\u0662"  # Arabic-Indic
    "\u06f0\u06f1\u06f2"  # Extended Arabic-Indic
    "\u0966\u0967\u0968"  # Devanagari
    "\uff10\uff11\uff12"  # fullwidth
    "\u00b2\u00b9\u2070\u2082"  # super- and subscripts
    "\u2460\u2461"  # circled
    "\U0001d7ce\U0001d7cf\U0001d7d0"  # mathematical bold
    "\u00bd\u2155\u216b"  # vulgar fractions, Roman numeral
    "\u1041\u0e52\u0be8"  # Myanmar, Thai, Tamil
)
#: Other characters worth trying: separators, signs, whitespace, controls, NAS syntax, oddities.
ODD_CHARS = "_ \t\n\r\x00\x0b\x0c+-.,|~#3456789xXeE\u00a0\u2009\u200b\u200e\u202e\u2028\ufeff\ud800\U0010ffff"
ASCII_ALPHABET = "012_"


def reference_is_valid(text: str) -> bool:
    """Independent statement of the grammar: groups of t digits from {0, 1, 2}, 1 <= t < MAX_NODES.

    Surrounding whitespace (as ``str.strip`` removes it) is ignored.
    """
    groups = text.strip().split("_")
    if len(groups) + 1 > MAX_NODES:
        return False
    return all(len(g) == t and set(g) <= set("012") for t, g in enumerate(groups, start=1))


def valid_string(rng: random.Random, max_nodes: int = 12) -> str:
    """A random valid motif string with 2..max_nodes nodes."""
    n = rng.randint(2, max_nodes)
    return "_".join("".join(rng.choice("012") for _ in range(t)) for t in range(1, n))


def mutate(rng: random.Random, text: str) -> str:
    """Insert, delete, replace or duplicate a few characters (from the grammar, Unicode digits, odd ones)."""
    chars = list(text)
    pool = ASCII_ALPHABET * 4 + UNICODE_DIGITS + ODD_CHARS
    for _ in range(rng.randint(1, 3)):
        op = rng.randrange(4)
        i = rng.randrange(len(chars) + 1)
        if op == 0:
            chars.insert(i, rng.choice(pool))
        elif op == 1 and chars:
            del chars[min(i, len(chars) - 1)]
        elif op == 2 and chars:
            chars[min(i, len(chars) - 1)] = rng.choice(pool)
        else:
            j = rng.randrange(len(chars) + 1)
            chars[i:i] = chars[j : j + rng.randint(1, 8)]
    return "".join(chars)


def random_ascii(rng: random.Random) -> str:
    """Random strings over the grammar's own alphabet (most invalid, some valid)."""
    return "".join(rng.choice(ASCII_ALPHABET) for _ in range(rng.randint(0, 40)))


def random_unicode(rng: random.Random) -> str:
    """Random code points, weighted towards digits of other scripts."""
    out = []
    for _ in range(rng.randint(1, 12)):
        r = rng.random()
        if r < 0.4:
            out.append(rng.choice(UNICODE_DIGITS))
        elif r < 0.7:
            out.append(rng.choice(ASCII_ALPHABET))
        else:
            cp = rng.randrange(0x110000)
            out.append(chr(cp))
    return "".join(out)


def unicode_digit_swap(rng: random.Random) -> str:
    """A valid string with one ASCII digit replaced by a Unicode digit (the StopIteration case)."""
    s = list(valid_string(rng))
    idx = [i for i, ch in enumerate(s) if ch != "_"]
    s[rng.choice(idx)] = rng.choice(UNICODE_DIGITS)
    return "".join(s)


def huge(rng: random.Random) -> str:
    """Oversize inputs: long digit runs, many separators, a valid prefix with a huge tail."""
    size = rng.choice([10**3, 10**4, 10**5, 10**6])
    kind = rng.randrange(5)
    if kind == 0:
        return rng.choice("012") * size
    if kind == 1:
        return "_" * size
    if kind == 2:
        return "2_21_" + "1" * size
    if kind == 3:
        return "_".join("0" * t for t in range(1, rng.randint(MAX_NODES, MAX_NODES + 400)))
    return "".join(rng.choice(ASCII_ALPHABET + UNICODE_DIGITS) for _ in range(size))


#: (name, generator, share of the inputs)
CATEGORIES: list[tuple[str, Callable[[random.Random], str], float]] = [
    ("valid", lambda rng: valid_string(rng, 20), 0.10),
    ("mutated valid", lambda rng: mutate(rng, valid_string(rng)), 0.35),
    ("random ascii", random_ascii, 0.20),
    ("random unicode", random_unicode, 0.15),
    ("unicode digit swap", unicode_digit_swap, 0.195),
    ("huge", huge, 0.005),
]


def inputs(n: int, seed: int) -> Iterator[tuple[str, str]]:
    """``n`` (category, string) pairs, reproducible from ``seed``."""
    rng = random.Random(seed)
    for name, gen, share in CATEGORIES:
        for _ in range(max(1, round(n * share))):
            yield name, gen(rng)


def classify(text: object) -> tuple[str, str]:
    """Parse ``text`` once: (outcome, detail).  Outcomes other than parsed / MotifError are failures."""
    try:
        m = Motif.parse(text)  # type: ignore[arg-type]
    except MotifError as exc:
        msg = str(exc)
        if len(msg) > MAX_MESSAGE:
            return "long message", f"{len(msg)} characters"
        if isinstance(text, str) and reference_is_valid(text):
            return "disagrees with reference", f"refused a valid string: {msg}"
        return "MotifError", ""
    except Exception as exc:  # noqa: BLE001 - counting exactly these is the point
        return "other exception", f"{type(exc).__name__}: {exc}"[:200]
    if not (isinstance(text, str) and reference_is_valid(text)):
        return "disagrees with reference", f"parsed an invalid string as {m!s}"[:200]
    if str(m) != text.strip():
        return "disagrees with reference", f"round trip gave {m!s}"[:200]
    return "parsed", ""


class _Timeout(Exception):
    pass


def _alarm(_signum, _frame):
    raise _Timeout


def run(n: int, seed: int, timeout: float) -> tuple[Counter, dict[str, Counter], list[str]]:
    """Feed ``n`` strings; return totals, totals per category and the first few failures."""
    totals: Counter = Counter()
    per_category: dict[str, Counter] = {}
    failures: list[str] = []
    use_alarm = hasattr(signal, "setitimer")
    if use_alarm:
        signal.signal(signal.SIGALRM, _alarm)
    for name, text in inputs(n, seed):
        try:
            if use_alarm:
                signal.setitimer(signal.ITIMER_REAL, timeout)
            outcome, detail = classify(text)
        except _Timeout:
            outcome, detail = "hang (timeout)", f"no answer within {timeout} s"
        finally:
            if use_alarm:
                signal.setitimer(signal.ITIMER_REAL, 0)
        totals[outcome] += 1
        per_category.setdefault(name, Counter())[outcome] += 1
        if outcome not in ("parsed", "MotifError") and len(failures) < 20:
            failures.append(f"{name}: {text[:60]!r} ({len(text)} chars) -> {outcome}: {detail}")
    return totals, per_category, failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=120_000, help="number of strings (default 120000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=2.0, help="seconds before a call counts as a hang")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    totals, per_category, failures = run(args.n, args.seed, args.timeout)
    elapsed = time.perf_counter() - t0
    outcomes = {"parsed": "parsed", "MotifError": "MotifError", "other exception": "other exc.",
                "disagrees with reference": "vs reference", "long message": "long msg",
                "hang (timeout)": "hang"}
    print(f"motif grammar fuzz: {sum(totals.values())} strings, seed {args.seed}, {elapsed:.1f} s")
    print(f"{'category':<20}" + "".join(f"{o:>13}" for o in outcomes.values()))
    for name, counts in [*per_category.items(), ("total", totals)]:
        print(f"{name:<20}" + "".join(f"{counts[o]:>13}" for o in outcomes))
    for line in failures:
        print("  " + line)
    bad = sum(v for k, v in totals.items() if k not in ("parsed", "MotifError"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
