"""Time source for expiry, injectable so tests can move time by hand."""
from __future__ import annotations

import time


class Clock:
    """Milliseconds since the epoch; tests subclass or use :class:`ManualClock`."""

    def now_ms(self) -> int:  # pragma: no cover - interface
        raise NotImplementedError


class SystemClock(Clock):
    __slots__ = ()

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000


class ManualClock(Clock):
    """A clock that only moves when told to (unit tests)."""

    __slots__ = ("ms",)

    def __init__(self, ms: int = 1_700_000_000_000) -> None:
        self.ms = ms

    def now_ms(self) -> int:
        return self.ms

    def advance(self, ms: int) -> None:
        self.ms += ms
