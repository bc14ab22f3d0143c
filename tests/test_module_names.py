"""No public function shadows a module of the same name (``import a.b as m`` gives the module)."""

from __future__ import annotations

import importlib
import pkgutil
import types

import pytest

import dagnngp

LAYERS = ("dagnngp", "dagnngp.theory", "dagnngp.numerics", "dagnngp.proofs_check", "dagnngp.nas",
          "dagnngp.report", "dagnngp.commands")


@pytest.mark.parametrize("package", LAYERS)
def test_no_attribute_of_a_package_hides_one_of_its_modules(package):
    pkg = importlib.import_module(package)
    for info in pkgutil.iter_modules(pkg.__path__):
        full = f"{package}.{info.name}"
        module = importlib.import_module(full)
        value = getattr(pkg, info.name)
        assert isinstance(value, types.ModuleType) and value is module, (
            f"{package}.{info.name} is {value!r}, not the module {full}")


def test_the_sampler_and_the_sweep_are_functions_of_their_own_modules():
    import dagnngp.numerics as numerics
    import dagnngp.numerics.motif_sweep as motif_sweep
    import dagnngp.numerics.sampling as sampling

    assert numerics.monte_carlo is sampling.monte_carlo and numerics.sweep is motif_sweep.sweep
    assert dagnngp.__name__ == "dagnngp"
