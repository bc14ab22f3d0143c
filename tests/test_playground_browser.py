"""End-to-end tests of ``dagnngp playground`` in headless Chromium (Debian's ``chromium`` and
``chromium-driver``, installed by ``.ci/run``; Selenium drives them, nothing is downloaded).

One server and one browser serve the whole module.  The run prints the time from the server's
start to the first rendered view and the time from an edge click to the redrawn plots (for a
4- and an 8-node motif): measured, not asserted.  It saves the page's screenshots and an
exported PNG into ``$DAGNNGP_SCREENSHOTS`` (``DAGNNGP_SCREENSHOTS=docs/img`` refreshes the
figures of docs/playground.md), or into a temporary folder when it is unset.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from dagnngp.numerics import nngp, ntk, pair_gap, pair_gram, rule12

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (the test extra)")

ROOT = Path(__file__).resolve().parents[1]
IMG = Path(os.environ.get("DAGNNGP_SCREENSHOTS") or tempfile.mkdtemp(prefix="dagnngp-screens-"))
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(CHROMIUM is None or DRIVER is None,
                                reason="needs Debian's chromium and chromium-driver (.ci/run installs them)")


@pytest.fixture(scope="module")
def server():
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    t0 = time.time()
    proc = subprocess.Popen([sys.executable, "-m", "dagnngp", "playground", "--no-browser"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=ROOT)
    line = proc.stdout.readline()
    match = re.search(r"http://127\.0\.0\.1:\d+/", line)
    if match is None:
        proc.kill()
        pytest.fail(f"the playground printed no URL: {line!r}")
    yield match.group(0), t0
    proc.terminate()
    proc.wait(10)


@pytest.fixture(scope="module")
def browser():
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1400,1250", "--hide-scrollbars"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
    driver.set_script_timeout(60)
    yield driver
    driver.quit()


def wait_for(driver, script: str, timeout: float = 30.0):
    """Poll a JavaScript expression until it is truthy; returns its value."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = driver.execute_script(f"return {script};")
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {script}")


def click_and_time(driver, element_id: str) -> float:
    """Click an element and wait for the plots to be redrawn; returns the click-to-plot time (ms)."""
    before = driver.execute_script("return window.__playground.updates.length;")
    driver.execute_script(f"document.getElementById('{element_id}').dispatchEvent(new MouseEvent('click'));")
    wait_for(driver, f"window.__playground.updates.length > {before}")
    return float(driver.execute_script("return window.__playground.updates.at(-1);"))


def set_value(driver, element_id: str, value: object) -> None:
    driver.execute_script("const e = document.getElementById(arguments[0]); e.value = arguments[1];",
                          element_id, str(value))


def test_playground_end_to_end(browser, server):  # the browser is up before the server starts
    url, t0 = server
    # an empty 4-node cell, then DAG#3 built edge by edge (a click cycles zero -> skip -> linear)
    browser.get(url + "#m=0_00_000&C=0.5")
    wait_for(browser, "window.__playground.ready")
    first = browser.execute_script("return (performance.timeOrigin + window.__playground.firstView) / 1000;")
    print(f"\nfirst view rendered {first - t0:.2f} s after the server process started")
    assert browser.find_element("id", "motif-text").get_attribute("value") == "0_00_000"

    target = {(0, 1): 2, (0, 2): 2, (1, 2): 1, (0, 3): 1, (1, 3): 1, (2, 3): 2}
    times4 = []
    for (s, t), op in target.items():
        for _ in range(op):
            times4.append(click_and_time(browser, f"hit-{s}-{t}"))
    assert browser.find_element("id", "motif-text").get_attribute("value") == "2_21_112"
    wait_for(browser, "document.querySelector('#numbers .motif-row code')?.textContent === '2_21_112'")

    # the displayed gaps at C = 0.5 against nngp (and the spec's closed-form values, 5 decimals)
    K0, mu0 = pair_gram(0.5)
    exact = pair_gap(nngp("2_21_112", K0, mu0, model="exact").output, 0, 1)
    paper = pair_gap(nngp("2_21_112", K0, mu0, model="paper").output, 0, 1)
    shown = {cls: float(browser.find_element("css selector", f"#numbers .{cls}").text)
             for cls in ("gap-exact", "gap-paper", "rule12")}
    assert shown["gap-exact"] == pytest.approx(exact, abs=6e-6)
    assert shown["gap-paper"] == pytest.approx(paper, abs=6e-6)
    assert shown["rule12"] == pytest.approx(float(rule12("2_21_112", 0.5)), abs=6e-6)
    assert (shown["gap-exact"], shown["gap-paper"]) == (1.54320, 1.52319)  # spec sections 2.3 and 2.4
    browser.save_screenshot(str(IMG / "playground.png"))

    # a bad motif: a message on the page, the last good state stays
    box = browser.find_element("id", "motif-text")
    box.clear()
    box.send_keys("2_2x")
    browser.find_element("id", "apply").click()
    message = wait_for(browser, "document.getElementById('message').textContent")
    assert "character 'x'" in message and "Traceback" not in message
    assert browser.find_element("css selector", "#numbers .motif-row code").text == "2_21_112"

    # a small Monte Carlo run: progress, then points with error bars on the gap plot
    set_value(browser, "mc-width", 128)
    set_value(browser, "mc-draws", 8)
    browser.find_element("id", "run-mc").click()
    wait_for(browser, "document.getElementById('progress-text').textContent.startsWith('done')", 60)
    points = browser.find_elements("css selector", "#plot-gap .mc-point")
    assert len(points) == 4  # C = -0.5, 0, 0.5 (the page's C) and 0.9
    assert len(browser.find_elements("css selector", "#plot-ntk .mc-point")) == 4  # the empirical NTK

    # a short training run (readout only): measured curve beside the infinite-width prediction
    set_value(browser, "train-width", 64)
    set_value(browser, "train-steps", 40)
    set_value(browser, "train-lr", "max:0.5")  # half the largest stable step
    browser.find_element("id", "run-train").click()
    wait_for(browser, "document.getElementById('progress-text').textContent.startsWith('done')", 60)
    assert len(browser.find_elements("css selector", "#plot-train path.series")) == 3
    assert "0.5/\u03bb_max" in browser.find_element("css selector", "#plot-train text").text
    browser.save_screenshot(str(IMG / "playground-runs.png"))

    # export the figures as PNG
    browser.find_element("id", "export-png").click()
    export = wait_for(browser, "window.__playground.lastExport?.type === 'png' "
                               "&& window.__playground.lastExport")
    head, data = export["dataURL"].split(",", 1)
    assert head == "data:image/png;base64"
    png = base64.b64decode(data)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(png[16:20], "big") == export["width"] == 1760
    (IMG / "playground-export.png").write_bytes(png)

    # an 8-node motif: edge clicks, timed
    box = browser.find_element("id", "motif-text")
    box.clear()
    box.send_keys("2_22_222_2222_22222_222222_2222222")
    browser.find_element("id", "apply").click()
    wait_for(browser, "document.querySelector('#numbers .motif-row code')?.textContent.length === 34")
    edges8 = [(0, 7), (3, 5), (1, 6), (2, 4), (0, 7)] * 2
    times8 = [click_and_time(browser, f"hit-{s}-{t}") for s, t in edges8]
    print(f"edge click -> plots redrawn: 4 nodes median {statistics.median(times4):.0f} ms "
          f"(max {max(times4):.0f}), 8 nodes median {statistics.median(times8):.0f} ms "
          f"(max {max(times8):.0f})")


def test_shared_state_and_comparison(browser, server):
    url, _ = server
    browser.get("about:blank")  # a new page load, not a hash change of the open one
    browser.get(url + "#m=2_21_112&C=0&cmp=2_02_002,1_01_222")
    wait_for(browser, "window.__playground.ready "
                      "&& document.querySelectorAll('#numbers .motif-row').length === 3")
    rows = browser.find_elements("css selector", "#numbers .motif-row")
    paper = [float(r.find_element("css selector", ".gap-paper").text) for r in rows]
    assert paper == [2.69423, 0.39517, 2.04507]  # spec section 2.3 at C = 0
    browser.save_screenshot(str(IMG / "playground-compare.png"))


def change_and_wait(driver, element_id: str, value: object) -> None:
    """Set a control's value, fire its change event and wait for the plots to be redrawn."""
    before = driver.execute_script("return window.__playground.updates.length;")
    driver.execute_script("const e = document.getElementById(arguments[0]); e.value = arguments[1];"
                          "e.dispatchEvent(new Event('change'));", element_id, str(value))
    wait_for(driver, f"window.__playground.updates.length > {before}")


def shown_numbers(driver) -> dict[str, str]:
    return {cls: driver.find_element("css selector", f"#numbers .{cls}").text
            for cls in ("gap-exact", "gap-paper", "rule12", "ntk-gap-exact")}


def test_weights_edge_convention_and_readout(browser, server):
    url, _ = server
    browser.get("about:blank")
    browser.get(url + "#m=2_21_112&C=0.5")
    wait_for(browser, "window.__playground.ready")
    # a weight on the linear edge 0 -> 2, chosen in the list and typed
    browser.execute_script("const s = document.getElementById('edge-select'); s.value = '0-2';"
                           "s.dispatchEvent(new Event('change'));")
    set_value(browser, "edge-weight", 0.5)
    before = browser.execute_script("return window.__playground.updates.length;")
    browser.find_element("id", "set-weight").click()
    wait_for(browser, f"window.__playground.updates.length > {before}")
    motif = "2_2(0.5)1_112"
    assert browser.find_element("id", "motif-text").get_attribute("value") == motif
    assert browser.find_element("id", "weight-0-2").text == "\u00d70.5"
    wait_for(browser, f"document.querySelector('#numbers .motif-row code')?.textContent === '{motif}'")
    K0, mu0 = pair_gram(0.5)
    post = shown_numbers(browser)
    assert float(post["gap-exact"]) == pytest.approx(
        pair_gap(nngp(motif, K0, mu0, model="exact").output, 0, 1), abs=6e-6)
    assert post["rule12"] == "\u2013"  # the paper's rule counts unit-weight paths only

    # pre-activation edges: every number follows nngp(..., edge="pre") and ntk(..., edge="pre")
    change_and_wait(browser, "edge", "pre")
    pre = shown_numbers(browser)
    for cls, model in (("gap-exact", "exact"), ("gap-paper", "paper")):
        want = pair_gap(nngp(motif, K0, mu0, model=model, edge="pre").output, 0, 1)
        assert float(pre[cls]) == pytest.approx(want, abs=6e-6), cls
    # the conventions' gaps differ by 0.0104 here, 1700 times the display's rounding
    assert abs(float(pre["gap-exact"]) - float(post["gap-exact"])) > 0.01
    want = pair_gap(np.asarray(ntk(motif, K0, mu0, edge="pre").ntk), 0, 1)
    assert float(pre["ntk-gap-exact"]) == pytest.approx(want, abs=6e-6)

    # the output node's own NTK (no readout)
    change_and_wait(browser, "readout", "0")
    no_readout = shown_numbers(browser)
    want = pair_gap(np.asarray(ntk(motif, K0, mu0, edge="pre", readout=False).ntk), 0, 1)
    assert float(no_readout["ntk-gap-exact"]) == pytest.approx(want, abs=6e-6)
    assert "no readout" in browser.find_element("css selector", "#plot-ntk text").text

    # both closed forms, derived for these options
    wait_for(browser, "document.querySelector('#maths-ntk .katex') "
                      "&& document.querySelector('#maths-nngp .katex')", 60)
    assert "no readout" in browser.find_element("css selector", "#maths-ntk h3").text
    assert "pre-activation" in browser.find_element("id", "maths-status").text
    browser.save_screenshot(str(IMG / "playground-weights.png"))
    browser.find_element("id", "maths-card").screenshot(str(IMG / "playground-closed-forms.png"))

    # the link keeps the weight and both toggles
    link = browser.execute_script("return location.href;")
    browser.get("about:blank")
    browser.get(link)
    wait_for(browser, f"window.__playground.ready "
                      f"&& document.querySelector('#numbers .motif-row code')?.textContent === '{motif}'")
    assert browser.find_element("id", "edge").get_attribute("value") == "pre"
    assert browser.find_element("id", "readout").get_attribute("value") == "0"
    assert shown_numbers(browser) == no_readout
