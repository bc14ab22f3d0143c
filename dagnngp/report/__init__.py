"""The main job: `dagnngp report`, one self-contained page of the paper's analysis, reproduced and checked.

:func:`build_report` writes ``report.html`` (images embedded), ``report.md``,
``report.json`` (every number) and the PNG figures into a folder.
Matplotlib and the heavy layers load only when a report is built.

>>> from dagnngp.report import EXAMPLE_DAGS
>>> sorted(EXAMPLE_DAGS.values())
['1_01_222', '2_02_002', '2_21_112']
"""

from dagnngp.report.build import EXAMPLE_DAGS, ReportError, build_report

__all__ = ["EXAMPLE_DAGS", "ReportError", "build_report"]
