"""Screenshots of the built site in headless Chromium with the network cut off.

Run after ``mkdocs build``; writes small PNGs of the home, model and errata pages (with their
typeset formulas) into ``docs/img/``::

    python docs/screenshots.py site

The pages are opened as files and every http(s) request is sent to a closed local port, so a
page that needed the network would show it (raw TeX, missing styles).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PAGES = {"home": ("", 900), "model": ("model", 900), "errata": ("paper-errata", 1500),
         "notebook": ("notebooks/01_relu_dual_map", 900)}


def shoot(site: Path, out_dir: Path, width: int = 1280) -> list[Path]:
    """One PNG per page of :data:`PAGES`, quantised to a small palette."""
    from PIL import Image

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        raise SystemExit("screenshots: no chromium on PATH (apt-get install chromium)")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (page, height) in PAGES.items():
        with tempfile.TemporaryDirectory() as tmp:
            raw = Path(tmp) / "raw.png"
            subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                            f"--window-size={width},{height}", "--proxy-server=127.0.0.1:9",
                            "--virtual-time-budget=8000", f"--screenshot={raw}",
                            (site / page / "index.html").resolve().as_uri()],
                           check=True, capture_output=True, timeout=120)
            image = Image.open(raw).convert("RGB").quantize(colors=64, method=Image.Quantize.MEDIANCUT)
            target = out_dir / f"offline-{name}.png"
            image.save(target, optimize=True)
            written.append(target)
    return written


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python docs/screenshots.py SITE_DIR")
    for path in shoot(Path(sys.argv[1]), Path(__file__).resolve().parent / "img"):
        print(path, path.stat().st_size, "bytes")
