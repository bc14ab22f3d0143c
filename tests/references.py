"""Reference values shared by the tests, computed independently of the code under test.

* :func:`h_mp`: the ReLU dual map ``h(C) = (sqrt(1-C^2) + (pi - acos C) C) / pi`` in mpmath, at the
  caller's working precision (use the ``mp50`` fixture or ``mpmath.workdps``; nothing here changes
  the global precision);
* the specification's tables (sections 2.1, 2.3, 2.4), typed in from the text, and the tolerance that
  matches their printed decimals: a value rounds to a table entry with ``k`` decimals exactly when it
  lies within half a unit of the last decimal, ``0.5 * 10**-k``.

Import with ``import references`` (``tests/conftest.py`` puts this folder on ``sys.path``).

>>> import mpmath
>>> with mpmath.workdps(30):
...     print(mpmath.nstr(h_mp(0) * mpmath.pi, 20))
1.0
"""

from __future__ import annotations

import mpmath

__all__ = [
    "DAG1", "DAG2", "DAG3", "FIVE_DECIMALS", "SEVEN_DECIMALS", "SPEC_DAG_TABLE", "SPEC_H_ITERATES_AT_0",
    "SPEC_H_SPOT_VALUES", "SPEC_SMALL_GAP_RATIOS", "h_mp", "half_unit",
]

DAG1, DAG2, DAG3 = "2_02_002", "1_01_222", "2_21_112"


def half_unit(decimals: int) -> float:
    """Half a unit of the last printed decimal: the rounding tolerance of a ``decimals``-place table."""
    return 0.5 * 10.0 ** -decimals


FIVE_DECIMALS = half_unit(5)  # 5e-6
SEVEN_DECIMALS = half_unit(7)  # 5e-8


def h_mp(C: object) -> mpmath.mpf:
    """The ReLU dual map (normalised degree-1 arc-cosine kernel) at the current mpmath precision."""
    C = mpmath.mpf(C)
    return (mpmath.sqrt(1 - C * C) + (mpmath.pi - mpmath.acos(C)) * C) / mpmath.pi


#: spec 2.3: C -> (lambda_dag1, lambda_dag2, lambda_dag3 paper formula 4 - f~, true 2x2 gap of DAG#3
#: under the paper model, DAG#3 2x2 gap under the exact model of spec 2.4 or None where not printed)
SPEC_DAG_TABLE: dict[float, tuple[float, float, float, float, float | None]] = {
    -1.0: (0.50627, 3.00000, 4.36338, 3.63662, None),
    -0.5: (0.47172, 2.67301, 3.64160, 3.64160, 3.71657),
    0.0: (0.39517, 2.04507, 2.69423, 2.69423, 2.74252),
    0.3: (0.32418, 1.55177, 2.02216, 2.02216, None),
    0.5: (0.26187, 1.17301, 1.52319, 1.52319, 1.54320),
    0.9: (0.07515, 0.27138, 0.35498, 0.35498, 0.35711),
}

#: spec 2.1: C -> (h(C), h(h(C)), h(h(h(C)))), 7 decimals
SPEC_H_SPOT_VALUES: dict[float, tuple[float, float, float]] = {
    -1.0: (0.0, 0.3183099, 0.4937311), -0.5: (0.1089978, 0.3747015, 0.5282794),
    0.5: (0.6089978, 0.6839057, 0.7381282), 0.9: (0.9095384, 0.9177411, 0.9248509),
}

#: spec 2.1: the first five iterates h(0), h(h(0)), ..., 7 decimals
SPEC_H_ITERATES_AT_0 = (0.3183099, 0.4937311, 0.6048257, 0.6809535, 0.7359464)

#: spec 2.1: lambda_dag1/eps, lambda_dag2/eps, lambda_dag3/eps at eps = 1 - C = 1e-6, 4 decimals
SPEC_SMALL_GAP_RATIOS = (0.9991, 2.9991, 3.9985)
