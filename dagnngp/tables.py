"""pandas DataFrames for the toolkit's results (pandas is optional: ``pip install 'dagnngp[tables]'``).

>>> data_frame({"motif": ["2_02_002"], "gap": [0.13]}).shape  # doctest: +SKIP
(1, 2)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["data_frame", "require_pandas"]


def require_pandas() -> Any:
    """The pandas module, or an ``ImportError`` that says how to install it."""
    try:
        import pandas
    except ImportError:
        raise ImportError("to_frame() needs pandas, an optional dependency: pip install 'dagnngp[tables]' "
                          "(or pip install pandas)") from None
    return pandas


def data_frame(columns: Mapping[str, Any], index: Any = None) -> Any:
    """A DataFrame with the given columns (in their order)."""
    return require_pandas().DataFrame(dict(columns), index=index)
