"""eviction-del and eviction-cycle latency events (keyspace/eviction.py), on a fake millisecond clock."""
from __future__ import annotations

import pytest

from damselfly.keyspace import eviction
from damselfly.keyspace.eviction import EVICT_OK

from ..commands._server_fixtures import Harness


class StepMs:
    """A millisecond clock that moves ``step`` at every read."""

    def __init__(self, step: int) -> None:
        self.step = step
        self.now = 0
        self.reads = 0

    def __call__(self) -> int:
        self.now += self.step
        self.reads += 1
        return self.now


def _squeezed(**options: str) -> Harness:
    h = Harness(maxmemory_eviction_tenacity="100", maxmemory_policy="allkeys-random", **options)
    db = h.state.keyspace.dbs[0]
    for i in range(300):
        db.set(b"k%d" % i, b"v" * 20)
    tracker = h.state.extensions["memory"]
    h.state.config.set("maxmemory", str(int(tracker.calibrate(h.state) * 0.8)))
    tracker.calibrated_at = 0.0
    return h


def test_evictions_are_timed_when_monitoring(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = StepMs(3)
    monkeypatch.setattr(eviction, "monotonic_ms", clock)
    h = _squeezed(latency_monitor_threshold="3")
    assert h.state.extensions["eviction"].perform() == EVICT_OK
    monitor = h.state.extensions["latency"]
    assert monitor.history(b"eviction-del")[0][1] == 3  # each deletion: two reads, 3 ms apart
    cycle = monitor.history(b"eviction-cycle")
    assert len(cycle) == 1 and cycle[0][1] == clock.reads * 3 - 3  # first read to last


def test_nothing_is_timed_at_threshold_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = StepMs(3)
    monkeypatch.setattr(eviction, "monotonic_ms", clock)
    h = _squeezed()
    assert h.state.extensions["eviction"].perform() == EVICT_OK
    assert h.state.stats.evicted_keys > 0
    assert clock.reads == 0
    assert h.state.extensions["latency"].events == {}
