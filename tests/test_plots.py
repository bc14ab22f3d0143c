"""Each report figure renders to a non-empty PNG of the expected pixel size."""

from __future__ import annotations

import numpy as np
import pytest

from dagnngp.report import plots

EXPECTED = (int(plots.FIGSIZE[0] * plots.DPI), int(plots.FIGSIZE[1] * plots.DPI))


def _check_png(path):
    assert path.is_file()
    assert plots.png_size(path) == EXPECTED == (1200, 600)
    import matplotlib.image as mpimg

    pixels = mpimg.imread(path)
    # not blank: a drawn figure has many distinct colours and dark ink (axes, text)
    assert pixels.shape[:2] == (EXPECTED[1], EXPECTED[0])
    assert len(np.unique(pixels.reshape(-1, pixels.shape[-1]), axis=0)) > 50
    assert pixels[..., :3].min() < 0.3


def test_dual_map(tmp_path):
    C = np.linspace(-1, 1, 21)
    _check_png(plots.plot_dual_map(C, {1: C**2, 2: C**4}, {0.0: [0.0, 0.3, 0.5]}, tmp_path / "a.png"))


def test_gaps(tmp_path):
    C = np.linspace(-1, 0.99, 50)
    gaps = {"A": {"paper": 1 - C, "exact": 1.1 * (1 - C)}, "B": {"paper": 3 * (1 - C)}}
    _check_png(plots.plot_gaps(C, gaps, tmp_path / "g.png"))


def test_kernels(tmp_path):
    C = np.linspace(-1, 1, 30)
    entries = {"exact": {"diagonal": np.full(30, 2.0), "offdiagonal": C + 1},
               "paper": {"diagonal": np.ones(30), "offdiagonal": C}}
    _check_png(plots.plot_kernels(C, {"X": entries, "Y": entries}, tmp_path / "k.png"))


def test_mc_error(tmp_path):
    w = [64, 128, 256, 512]
    e = [2.0 / np.sqrt(x) for x in w]
    _check_png(plots.plot_mc_error(w, e, [0.01] * 4, tmp_path / "m.png", reference_constant=2.0,
                                   paper_error=1.5, slope=-0.5, source="test"))


def test_nas_scatter(tmp_path):
    _check_png(plots.plot_nas_scatter([0, 1, 2], [0, 2, 1], [50, 80, 70], [10, 1, 2], [5, 7, 9],
                                      tmp_path / "n.png", boxes={"box": (0.5, 1.5, 1.0, 3.0)}))


def test_png_size_rejects_other_files(tmp_path):
    p = tmp_path / "x.png"
    p.write_bytes(b"not a png at all, just text")
    with pytest.raises(ValueError, match="not a PNG"):
        plots.png_size(p)


def test_matplotlib_not_imported_by_the_package():
    import subprocess
    import sys

    code = "import sys, dagnngp, dagnngp.report; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
