"""The ``save`` option: when the cron starts a background save by itself.

Redis's rule (``serverCron``): for the first ``save <seconds> <changes>``
point with at least ``changes`` writes since the last save and more than
``seconds`` seconds since the last successful save, start a BGSAVE, unless
the last background save failed less than ``RETRY_DELAY`` seconds ago (so a
broken disk is retried every 5 seconds, not 10 times a second).
"""
from __future__ import annotations

from typing import Sequence

RETRY_DELAY = 5  # CONFIG_BGSAVE_RETRY_DELAY


def due_point(points: Sequence[tuple[int, int]], dirty: int, now: float, lastsave: float,
              last_try: float, last_ok: bool) -> tuple[int, int] | None:
    """The save point that fires now, or None."""
    if not last_ok and now - last_try <= RETRY_DELAY:
        return None
    for seconds, changes in points:
        if dirty >= changes and now - lastsave > seconds:
            return seconds, changes
    return None
