"""Every docstring example of the installed package runs and prints what it shows."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import dagnngp

# modules whose examples need optional extras are skipped when those are missing
_OPTIONAL = {"cupy"}


def _modules() -> list[str]:
    # only the first __path__ entry: in a source checkout dagnngp.__path__ also holds
    # the repository root (so the layers import), which must not be walked
    names = ["dagnngp"]
    for info in pkgutil.walk_packages(dagnngp.__path__[:1], "dagnngp."):
        names.append(info.name)
    for sub in ("theory", "numerics", "proofs_check"):
        pkg = importlib.import_module(f"dagnngp.{sub}")
        names.append(pkg.__name__)
        names.extend(i.name for i in pkgutil.walk_packages(pkg.__path__[:1], f"{pkg.__name__}."))
    return sorted(set(names))


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples(name):
    try:
        module = importlib.import_module(name)
    except ImportError as exc:  # an optional backend that is not installed
        if exc.name in _OPTIONAL:
            pytest.skip(f"{name} needs {exc.name}")
        raise
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
                             verbose=False)
    assert result.failed == 0, f"{result.failed} docstring example(s) of {name} failed; see output"


# modules still without an example; every other module needs one (the list may only shrink)
_PENDING_EXAMPLES = {
    "dagnngp.numerics.validate",
    # the report's per-section modules (new with the report split)
    *(f"dagnngp.report.sections.{s}" for s in ("checks", "dual_map", "example_dags", "kernels",
                                                "monte_carlo", "nas", "rule12_audit")),
}


def test_every_module_has_an_example():
    without = []
    for name in _modules():
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            if exc.name in _OPTIONAL:
                continue
            raise
        if not any(t.examples for t in doctest.DocTestFinder().find(module)):
            without.append(name)
    assert set(without) <= _PENDING_EXAMPLES, sorted(set(without) - _PENDING_EXAMPLES)
