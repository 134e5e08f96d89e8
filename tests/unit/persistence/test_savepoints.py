"""The ``save`` rule of serverCron."""
from __future__ import annotations

from damselfly.persistence.savepoints import RETRY_DELAY, due_point

POINTS = [(3600, 1), (300, 100), (60, 10000)]


def test_no_point_before_its_time_or_changes() -> None:
    assert due_point(POINTS, 0, 10_000, 0, 0, True) is None
    assert due_point(POINTS, 50, 1000, 900, 0, True) is None
    assert due_point(POINTS, 100, 1000, 700, 0, True) is None  # 300 s is not *more* than 300


def test_first_matching_point_fires() -> None:
    assert due_point(POINTS, 100, 1000, 699, 0, True) == (300, 100)
    assert due_point(POINTS, 20000, 1000, 900, 0, True) == (60, 10000)
    assert due_point(POINTS, 1, 5000, 1000, 0, True) == (3600, 1)


def test_failed_save_is_retried_after_the_delay_only() -> None:
    assert due_point(POINTS, 20000, 1000, 0, 1000 - RETRY_DELAY, False) is None
    assert due_point(POINTS, 20000, 1000, 0, 1000 - RETRY_DELAY - 1, False) == (300, 100)
    assert due_point([], 20000, 1000, 0, 0, True) is None
