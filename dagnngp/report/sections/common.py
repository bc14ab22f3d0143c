"""What every section shares: the :class:`Skip` signal and the shapes of tables and figures.

A section is a module of this package with ``KEY``, ``TITLE`` and ``run(settings) -> dict``.
The dict has ``findings`` (one or two sentences for the report's summary, built from the
section's own results), ``summary`` (list of sentences), ``source`` (where the numbers came from),
``tables`` (``caption``, ``columns``, ``rows``), ``figures`` (``file``, ``caption``,
``source``) and ``data`` (every number behind them).

>>> table("T", ["a"], [[1]])
{'caption': 'T', 'columns': ['a'], 'rows': [[1]]}
>>> short("a  b\\n c", 4)
'a b…'
"""

from __future__ import annotations

from dagnngp.motif import Motif
from dagnngp.report.settings import EXAMPLE_DAGS, Settings

__all__ = ["Skip", "figure", "motif_set", "short", "table"]


class Skip(Exception):  # noqa: N818 - control flow, not an error
    """Raised by a section that cannot run here; the message says why."""


def table(caption: str, columns: list[str], rows: list[list]) -> dict:
    """One table of a section."""
    return {"caption": caption, "columns": columns, "rows": rows}


def figure(file: str, caption: str, source: str) -> dict:
    """One figure of a section (``file`` is a PNG in the report folder)."""
    return {"file": file, "caption": caption, "source": source}


def short(text: object, limit: int = 240) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis."""
    s = " ".join(str(text).split())
    return s if len(s) <= limit else s[: limit - 1] + "…"


def motif_set(settings: Settings) -> dict[str, Motif]:
    """The example DAGs (label -> motif) followed by the user's extra motifs."""
    out = {label: Motif.parse(s) for label, s in EXAMPLE_DAGS.items()}
    for m in settings.motifs:
        if m not in out.values():
            out[f"motif {m}"] = m
    return out
