"""Series expansions refuse absurd orders at once and stop at their time limit instead of hanging."""

from __future__ import annotations

import time

import pytest

from dagnngp.theory import derive
from dagnngp.theory.series import MAX_SERIES_ORDER, SeriesTooSlowError


@pytest.mark.parametrize("order", [0, -1, MAX_SERIES_ORDER + 1, 40, "x", None])
def test_bad_or_absurd_orders_are_refused_before_any_work(order):
    d = derive("2_22_222_2222", general=False)
    start = time.monotonic()
    with pytest.raises(ValueError, match="order="):
        d.series(order)
    assert time.monotonic() - start < 1.0


def test_a_long_expansion_stops_at_its_time_limit_with_a_clear_error():
    d = derive("2_22_222_2222", general=False)
    with pytest.raises(SeriesTooSlowError, match="time limit of 0.5 s"):
        d.series(12, time_limit=0.5)


@pytest.mark.parametrize("limit", [0, -3, "soon"])
def test_bad_time_limits_are_refused(limit):
    with pytest.raises(ValueError, match="time_limit"):
        derive("2").series(2, time_limit=limit)


def test_the_limit_does_not_change_a_result_within_it():
    d = derive("2_21_112", model="paper", general=False)
    assert d.series(2, time_limit=None).terms == d.series(2, time_limit=60).terms
