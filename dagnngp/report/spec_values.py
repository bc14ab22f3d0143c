"""Reference values typed in from the spec, printed beside the computed ones in the report.

>>> SPEC_KAPPA["2_21_112"], len(TEST_CORRELATIONS)
(4.0, 6)
"""

from __future__ import annotations

__all__ = ["SPEC_DAG3_EXACT", "SPEC_GAPS", "SPEC_H_ITERATES_AT_0", "SPEC_KAPPA", "TEST_CORRELATIONS"]

#: Correlations of the spec's test-vector table (section 2.3).
TEST_CORRELATIONS = (-1.0, -0.5, 0.0, 0.3, 0.5, 0.9)

#: Spec section 2.3 test vectors: C -> (dag1, dag2, dag3 true 2x2 gap, paper model).
SPEC_GAPS = {
    -1.0: (0.50627, 3.00000, 3.63662),
    -0.5: (0.47172, 2.67301, 3.64160),
    0.0: (0.39517, 2.04507, 2.69423),
    0.3: (0.32418, 1.55177, 2.02216),
    0.5: (0.26187, 1.17301, 1.52319),
    0.9: (0.07515, 0.27138, 0.35498),
}
#: Spec section 2.4: DAG#3 exact-model 2x2 gap.
SPEC_DAG3_EXACT = {-0.5: 3.71657, 0.0: 2.74252, 0.5: 1.54320, 0.9: 0.35711}
#: Spec section 2.1: h^k(0) for k = 1..5.
SPEC_H_ITERATES_AT_0 = (0.3183099, 0.4937311, 0.6048257, 0.6809535, 0.7359464)
#: Spec CC-13: leading coefficient kappa of gap ~ kappa (1 - C) for DAG#1-3.
SPEC_KAPPA = {"2_02_002": 1.0, "1_01_222": 3.0, "2_21_112": 4.0}
