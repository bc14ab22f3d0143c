"""The search-space filter: centre and radius from extremes, and boxes.

The paper keeps a cell only if ``|d - d*| <= f r_d`` and ``|m - m*| <= f r_m``,
where ``(d*, m*)`` is the midpoint of the space's extreme ``(d_bar, m_bar)``
values, ``r`` half their range and ``f = 1/2`` by default (spec section 4.2).
Cells with ``d_bar = 0`` (``m_bar`` undefined) are left out of the extremes by
default, which is what reproduces the paper's NAS-Bench-201 constants.

Boundaries are inclusive with an absolute tolerance of ``BOX_TOLERANCE``
(``1e-9``), so that a value on a published (rounded) boundary, such as
``d_bar = 1.25`` against ``1.6 - 0.35``, counts as inside whatever the
floating-point rounding of the subtraction.

>>> PAPER_BOX_NB201.contains(1.0, 2.0), PAPER_BOX_NB201.contains(3.0, 1 / 3)
(True, False)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "BOX_TOLERANCE",
    "Box",
    "SpaceCenter",
    "center_radius",
    "box_filter",
    "PAPER_CENTER_NB201",
    "PAPER_CENTER_DARTS",
    "PAPER_BOX_NB201",
    "PAPER_BOX_DARTS",
    "CODE_BOX_NB201",
    "CODE_BOX_NDS",
]

BOX_TOLERANCE = 1e-9


class FilterError(ValueError):
    """Invalid filter input; the message says what and how to fix it."""


@dataclass(frozen=True)
class Box:
    """Closed box ``[d_lo, d_hi] x [m_lo, m_hi]`` in the ``(d_bar, m_bar)`` plane.

    >>> Box(0.99, 2.51, 0.99, 3.01).contains(2.5, 1.0)
    True
    """

    d_lo: float
    d_hi: float
    m_lo: float
    m_hi: float
    name: str = ""

    def __post_init__(self) -> None:
        vals = (self.d_lo, self.d_hi, self.m_lo, self.m_hi)
        if not all(np.isfinite(v) for v in vals):
            raise FilterError(f"box bounds must be finite numbers, got {vals}")
        if self.d_lo > self.d_hi or self.m_lo > self.m_hi:
            raise FilterError(f"box bounds must satisfy lo <= hi, got d [{self.d_lo}, {self.d_hi}], "
                              f"m [{self.m_lo}, {self.m_hi}]")

    def contains(self, d_bar: float, m_bar: float) -> bool:
        """Whether one point is inside (boundaries included)."""
        return bool(self.mask(np.array([[d_bar, m_bar]]))[0])

    def mask(self, points: np.ndarray) -> np.ndarray:
        """Boolean mask of the rows of an ``(n, 2)`` array of ``(d_bar, m_bar)`` inside the box.

        >>> PAPER_BOX_NB201.mask(np.array([[1.0, 2.0], [0.0, 0.0]])).tolist()
        [True, False]
        """
        pts = _as_points(points)
        tol = BOX_TOLERANCE
        d, m = pts[:, 0], pts[:, 1]
        return (
            (d >= self.d_lo - tol) & (d <= self.d_hi + tol) & (m >= self.m_lo - tol) & (m <= self.m_hi + tol)
        )

    def as_dict(self) -> dict:
        """JSON-ready description."""
        return {"name": self.name, "d": [self.d_lo, self.d_hi], "m": [self.m_lo, self.m_hi]}

    def __str__(self) -> str:
        label = f"{self.name}: " if self.name else ""
        return f"{label}d in [{self.d_lo:.4g}, {self.d_hi:.4g}], m in [{self.m_lo:.4g}, {self.m_hi:.4g}]"


@dataclass(frozen=True)
class SpaceCenter:
    """Centre ``(d*, m*)`` and radius ``(r_d, r_m)`` (half the range) of a search space.

    >>> c = SpaceCenter((1.625, 13 / 6), (1.375, 11 / 6))
    >>> c.box(0.5).d_lo, c.half_radius
    (0.9375, (0.6875, 0.9166666666666666))
    """

    center: tuple[float, float]
    radius: tuple[float, float]
    name: str = ""

    def __post_init__(self) -> None:
        if any(not np.isfinite(v) for v in (*self.center, *self.radius)) or min(self.radius) < 0:
            raise FilterError(f"centre and radius must be finite and radius >= 0, got {self}")

    @property
    def half_radius(self) -> tuple[float, float]:
        """``r / 2``, the half-widths of the default box (the paper's published figures)."""
        return (self.radius[0] / 2, self.radius[1] / 2)

    def box(self, fraction: float = 0.5) -> Box:
        """The box ``centre +- fraction * radius``."""
        if not (np.isfinite(fraction) and fraction >= 0):
            raise FilterError(f"radius fraction must be a finite number >= 0, got {fraction!r}")
        (cd, cm), (rd, rm) = self.center, self.radius
        name = f"{self.name} x{fraction:g}r" if self.name else f"x{fraction:g}r"
        # rounding to 12 decimals removes float noise such as 0.9000000000000001 from printed bounds
        bounds = (round(cd - fraction * rd, 12), round(cd + fraction * rd, 12),
                  round(cm - fraction * rm, 12), round(cm + fraction * rm, 12))
        return Box(*bounds, name)

    def as_dict(self) -> dict:
        """JSON-ready description."""
        return {"name": self.name, "center": list(self.center), "radius": list(self.radius),
                "half_radius": list(self.half_radius)}


def _as_points(points: object) -> np.ndarray:
    pts = np.asarray(points, dtype=float)
    if pts.ndim != 2 or pts.shape[1] != 2:
        raise FilterError(f"points must be an (n, 2) array of (d_bar, m_bar), got shape {pts.shape}")
    if not np.all(np.isfinite(pts)):
        raise FilterError("points contain NaN or infinite values")
    return pts


def center_radius(points: object, exclude_zero_depth: bool = True, name: str = "computed") -> SpaceCenter:
    """Centre and radius of a space from the extremes of its ``(d_bar, m_bar)`` points.

    ``exclude_zero_depth`` (default, as the paper) drops cells with ``d_bar = 0``
    before taking minima and maxima.

    >>> from dagnngp.nas.cells import nb201_space_points
    >>> c = center_radius(nb201_space_points())
    >>> [round(v, 4) for v in (*c.center, *c.half_radius)]
    [1.625, 2.1667, 0.6875, 0.9167]
    """
    pts = _as_points(points)
    if exclude_zero_depth:
        pts = pts[pts[:, 0] > 0]
    if len(pts) == 0:
        raise FilterError(
            "no points to take extremes from" + (" (all have d_bar = 0; pass exclude_zero_depth=False)"
                                                 if exclude_zero_depth else "")
        )
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    center = (float((hi[0] + lo[0]) / 2), float((hi[1] + lo[1]) / 2))
    radius = (float((hi[0] - lo[0]) / 2), float((hi[1] - lo[1]) / 2))
    return SpaceCenter(center, radius, name)


def box_filter(points: object, box: Box | SpaceCenter, fraction: float = 0.5) -> np.ndarray:
    """Mask of the points a filter keeps.

    ``box`` is a fixed :class:`Box` or a :class:`SpaceCenter`, which becomes
    ``centre +- fraction * radius`` (``fraction`` is ignored for a fixed box).

    >>> from dagnngp.nas.cells import nb201_space_points
    >>> int(box_filter(nb201_space_points(), PAPER_CENTER_NB201).sum())
    6256
    """
    if isinstance(box, SpaceCenter):
        box = box.box(fraction)
    if not isinstance(box, Box):
        raise FilterError(f"box must be a Box or a SpaceCenter, not {type(box).__name__}")
    return box.mask(points)


#: Paper's NAS-Bench-201 constants: centre (1.6, 2.2), published half-radius (0.7, 0.9).
PAPER_CENTER_NB201 = SpaceCenter((1.6, 2.2), (1.4, 1.8), "paper NB201")
#: Paper's DARTS constants: centre (1.5, 10.5), published half-radius (0.7, 4.8).
PAPER_CENTER_DARTS = SpaceCenter((1.5, 10.5), (1.4, 9.6), "paper DARTS")
#: The paper's default (half-radius) box for NAS-Bench-201: d in [0.9, 2.3], m in [1.3, 3.1].
PAPER_BOX_NB201 = Box(0.9, 2.3, 1.3, 3.1, "paper NB201")
#: The paper's default box for DARTS: d in [0.8, 2.2], m in [5.7, 15.3].
PAPER_BOX_DARTS = Box(0.8, 2.2, 5.7, 15.3, "paper DARTS")
#: The box hard-coded in the public NAS-WOT+DAG code for NAS-Bench-201.
CODE_BOX_NB201 = Box(0.99, 2.51, 0.99, 3.01, "code NB201")
#: The NDS box present but commented out in the public code.
CODE_BOX_NDS = Box(0.5, 1.6, 4.0, 12.0, "code NDS (commented out)")
