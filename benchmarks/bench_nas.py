"""Time the enumeration of whole NAS spaces with their (d_bar, m_bar), and the table/search steps.

Run: python benchmarks/bench_nas.py
"""

from __future__ import annotations

import platform
import time

from dagnngp.nas import (
    PAPER_BOX_NB201,
    darts_space_points,
    default_data_dir,
    depth_width_points,
    nb201_space_points,
    read_columns,
    simulate_search,
    table_report,
)
from dagnngp.nas.cells import _dw_of_classes


def timed(label: str, fn):
    t0 = time.perf_counter()
    out = fn()
    print(f"{label:58} {time.perf_counter() - t0:7.3f} s")
    return out


def main() -> None:
    print(f"machine: {platform.machine()}, Python {platform.python_version()}")
    _dw_of_classes.cache_clear()
    timed("NB201: 15,625 cells parsed + (d, m), cold cache", nb201_space_points)
    timed("NB201: 15,625 cells, warm cache", nb201_space_points)
    timed("DARTS: 46,080 class-level normal cells, vectorised", darts_space_points)
    data = default_data_dir()
    if data is None:
        print("data folder not found; skipping the table/search timings")
        return
    tab = timed("read nb201_12epoch_accuracy.csv (15,625 rows)",
                lambda: read_columns("nb201_12epoch_accuracy.csv", ["arch_str"], ["cifar10-test"]))
    timed("table_report on it", lambda: table_report(tab))
    zc = read_columns("nb201_zero_cost_725.csv", ["arch_str"], ["nwot", "val_accuracy"],
                      where={"dataset": "cifar10"})
    keep = PAPER_BOX_NB201.mask(depth_width_points(zc["arch_str"]))
    timed("simulate_search, 500 runs x 100 samples",
          lambda: simulate_search(zc["nwot"], zc["val_accuracy"], keep, runs=500, samples=100, seed=0))


if __name__ == "__main__":
    main()
