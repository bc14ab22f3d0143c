"""NAS cell encodings, effective depth/width and the search-space filter.

* :mod:`dagnngp.nas.cells`    -- NAS-Bench-201 cells, op classes, the 15,625-cell space;
* :mod:`dagnngp.nas.darts`    -- DARTS normal cells and the 46,080 class-level cells;
* :mod:`dagnngp.nas.supernet` -- probabilistic depth/width of supernets (TE-NAS+DAG) and pre-reservation;
* :mod:`dagnngp.nas.filter`   -- centre/radius of a space, boxes, the paper's and the code's constants;
* :mod:`dagnngp.nas.evaluate` -- CSV tables, groups, multiple correlation, inside/outside summaries;
* :mod:`dagnngp.nas.search`   -- simulated training-free search with and without the filter;
* :mod:`dagnngp.nas.scores`   -- training-free scores from each cell's infinite-width NTK and NNGP
  (cells as pre-activation motifs) and their rank correlations with accuracy and zero-cost proxies;
* :mod:`dagnngp.nas.plot`     -- Fig. 5-style scatter (matplotlib, loaded on use).

>>> from dagnngp.nas import parse_nb201, PAPER_BOX_NB201
>>> cell = parse_nb201("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|"
...                     "+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|")
>>> d, m = cell.effective_depth_width(); (d, round(m, 4), PAPER_BOX_NB201.contains(d, m))
(1.75, 1.7143, True)
"""

from dagnngp.nas.cells import (
    NB201_OPS,
    NB201Cell,
    OpClass,
    effective_depth_width_nb201,
    known_ops,
    motif_or_nb201,
    nb201_space,
    nb201_space_points,
    op_class,
    parse_nb201,
    register_op,
)
from dagnngp.nas.darts import (
    DARTS_V1_NORMAL,
    DARTS_V2_NORMAL,
    DartsCell,
    darts_class_space,
    darts_space_points,
    effective_depth_width_darts,
    parse_darts,
)
from dagnngp.nas.evaluate import (
    DataError,
    cell_depth_width,
    data_file,
    default_data_dir,
    depth_width_points,
    find_table,
    multiple_correlation,
    read_columns,
    resolve_box,
    shipped_data_dir,
    table_report,
)
from dagnngp.nas.filter import (
    CODE_BOX_NB201,
    CODE_BOX_NDS,
    PAPER_BOX_DARTS,
    PAPER_BOX_NB201,
    PAPER_CENTER_DARTS,
    PAPER_CENTER_NB201,
    Box,
    FilterError,
    SpaceCenter,
    box_filter,
    center_radius,
)
from dagnngp.nas.scores import (
    KERNEL_SCORES,
    NB201_EDGE,
    cell_kernel_scores,
    kernel_scores,
    nb201_kernel_motif,
    rank_correlation,
    score_gram,
    score_report,
    stack_cells,
)
from dagnngp.nas.search import SearchError, simulate_search
from dagnngp.nas.supernet import (
    DARTS_EDGES,
    NB201_EDGES,
    darts_supernet_probs,
    edge_probs_from_alive,
    effective_depth_width_prob,
    n_reserved,
    nb201_supernet_probs,
    pre_reserve,
    reserve_near_centroid,
)


def scatter_plot(report: dict, path, title: str | None = None, dpi: int = 110):
    """Fig. 5-style PNG of a :func:`table_report`; see :func:`dagnngp.nas.plot.scatter_plot`."""
    from dagnngp.nas.plot import scatter_plot as _scatter

    return _scatter(report, path, title=title, dpi=dpi)


__all__ = [
    "NB201_OPS", "NB201Cell", "OpClass", "effective_depth_width_nb201", "known_ops", "motif_or_nb201",
    "nb201_space",
    "nb201_space_points", "op_class", "parse_nb201", "register_op",
    "DARTS_V1_NORMAL", "DARTS_V2_NORMAL", "DartsCell", "darts_class_space", "darts_space_points",
    "effective_depth_width_darts", "parse_darts",
    "DataError", "cell_depth_width", "data_file", "default_data_dir", "depth_width_points", "find_table",
    "multiple_correlation", "read_columns", "resolve_box", "shipped_data_dir", "table_report",
    "CODE_BOX_NB201", "CODE_BOX_NDS", "PAPER_BOX_DARTS", "PAPER_BOX_NB201", "PAPER_CENTER_DARTS",
    "PAPER_CENTER_NB201", "Box", "FilterError", "SpaceCenter", "box_filter", "center_radius",
    "SearchError", "simulate_search",
    "KERNEL_SCORES", "NB201_EDGE", "cell_kernel_scores", "kernel_scores", "nb201_kernel_motif",
    "rank_correlation", "score_gram", "score_report", "stack_cells",
    "DARTS_EDGES", "NB201_EDGES", "darts_supernet_probs", "edge_probs_from_alive",
    "effective_depth_width_prob", "n_reserved", "nb201_supernet_probs", "pre_reserve",
    "reserve_near_centroid", "scatter_plot",
]
