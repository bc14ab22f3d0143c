"""Warning classes shared by every layer of the toolkit (no dependencies, safe to import anywhere).

>>> import warnings
>>> with warnings.catch_warnings(record=True) as caught:
...     warnings.simplefilter("always")
...     warnings.warn("c_sigma=1 does not preserve the variance", VarianceWarning, stacklevel=1)
>>> caught[0].category.__name__
'VarianceWarning'
"""

from __future__ import annotations

__all__ = ["VarianceWarning"]


class VarianceWarning(UserWarning):
    """``c_sigma`` does not preserve the variance of the chosen activation.

    With ``c_sigma E[s(u)^2] != 1`` for ``u ~ N(0, 1)`` the diagonal of the
    kernel grows or shrinks geometrically with depth.  The message names the
    variance-preserving value.
    """
