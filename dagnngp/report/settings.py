"""What one report run does: :class:`Settings`, the paper's example DAGs and :class:`ReportError`.

>>> from pathlib import Path
>>> Settings(out_dir=Path("r")).draws, Settings(out_dir=Path("r"), quick=False).widths[-1]
(16, 16384)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dagnngp.motif import Motif

__all__ = ["EXAMPLE_DAGS", "ReportError", "Settings"]

#: The paper's three example DAGs (spec section 2.3), label -> motif string.
EXAMPLE_DAGS: dict[str, str] = {
    "DAG#1 sequential": "2_02_002",
    "DAG#2 parallel": "1_01_222",
    "DAG#3 mixed": "2_21_112",
}


class ReportError(ValueError):
    """The report cannot start (bad motif, unwritable folder); the message says how to fix it."""


@dataclass
class Settings:
    """What one report run does; ``quick`` trades Monte Carlo size and check depth for time.

    ``out_dir`` is the folder the sections write their figures into (while a report is
    being built, a temporary folder beside the final one).
    """

    out_dir: Path
    quick: bool = True
    motifs: tuple[Motif, ...] = ()
    seed: int = 0
    mc_motif: str = "2_21_112"
    mc_inputs: int = 4
    mc_input_dim: int = 8
    widths: tuple[int, ...] = ()
    draws: int = 0
    data_dir: Path | None = None
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.widths:
            self.widths = (
                (64, 128, 256, 512, 1024, 2048, 4096)
                if self.quick
                else (64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384)
            )
        if not self.draws:
            self.draws = 16 if self.quick else 40
