"""The latency monitor's series (latency.py): ring of 160, one sample a second, max, reset, thresholds."""
from __future__ import annotations

import math

from damselfly.app import build_state
from damselfly.config import Config
from damselfly.latency import SERIES_LEN, EventSeries, LatencyMonitor, record_usec


class Clock:
    def __init__(self, now: int = 1_700_000_000) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


def test_one_sample_per_second_keeps_the_larger() -> None:
    series = EventSeries()
    series.add(100, 5)
    series.add(100, 9)
    series.add(100, 7)
    assert series.samples() == [(100, 9)]
    assert series.max == 9
    series.add(101, 3)
    assert series.samples() == [(100, 9), (101, 3)]
    assert series.latest() == (101, 3)


def test_ring_keeps_the_newest_160_and_the_max_ever() -> None:
    series = EventSeries()
    series.add(1, 1000)
    for second in range(2, SERIES_LEN + 10):
        series.add(second, second)
    samples = series.samples()
    assert len(samples) == SERIES_LEN
    assert samples[0] == (10, 10) and samples[-1] == (SERIES_LEN + 9, SERIES_LEN + 9)
    assert [t for t, _ in samples] == sorted(t for t, _ in samples)
    assert series.max == 1000  # its slot was overwritten; the max stays


def test_same_second_after_wrap_updates_the_newest_slot() -> None:
    series = EventSeries()
    for second in range(1, SERIES_LEN + 1):  # fills the ring exactly: idx back to 0
        series.add(second, 1)
    assert series.idx == 0
    series.add(SERIES_LEN, 50)
    assert series.latest() == (SERIES_LEN, 50)
    assert len(series.samples()) == SERIES_LEN


def test_add_if_needed_follows_the_threshold() -> None:
    clock = Clock()
    monitor = LatencyMonitor(clock)
    monitor.add_if_needed(b"command", 500)
    assert monitor.events == {}  # threshold 0: off
    monitor.threshold_ms = 10
    monitor.add_if_needed(b"command", 9)
    assert monitor.events == {}
    monitor.add_if_needed(b"command", 10)
    assert monitor.history(b"command") == [[clock.now, 10]]


def test_latest_history_and_reset() -> None:
    clock = Clock(1000)
    monitor = LatencyMonitor(clock, threshold_ms=1)
    monitor.add_sample(b"command", 20)
    clock.now += 1
    monitor.add_sample(b"command", 5)
    monitor.add_sample(b"fast-command", 3)
    assert monitor.latest() == [[b"command", 1001, 5, 20], [b"fast-command", 1001, 3, 3]]
    assert monitor.history(b"command") == [[1000, 20], [1001, 5]]
    assert monitor.history(b"COMMAND") == []  # looked up case sensitively, as Redis's dict
    assert monitor.history(b"nothing") == []
    assert monitor.reset(b"COMMAND") == 1  # RESET ignores case
    assert monitor.reset(b"command") == 0
    assert list(monitor.events) == [b"fast-command"]
    monitor.add_sample(b"command", 4)
    assert monitor.reset() == 2
    assert monitor.latest() == []


def test_record_usec_is_the_lower_active_threshold() -> None:
    assert record_usec(10000, 0) == 10000
    assert record_usec(10000, 3) == 3000
    assert record_usec(-1, 3) == 3000
    assert record_usec(500, 3) == 500
    assert record_usec(0, 0) == 0
    assert record_usec(-1, 0) == math.inf


def test_config_set_refreshes_the_state_threshold_and_the_monitor() -> None:
    state = build_state(Config())
    monitor = state.extensions["latency"]
    assert state.record_usec == 10000 and monitor.threshold_ms == 0
    state.config.set("latency-monitor-threshold", "2")
    assert state.record_usec == 2000 and monitor.threshold_ms == 2
    state.config.set("slowlog-log-slower-than", "-1")
    assert state.record_usec == 2000
    state.config.set("latency-monitor-threshold", "0")
    assert state.record_usec == math.inf and monitor.threshold_ms == 0
    state.config.set("slowlog-log-slower-than", "100")
    assert state.record_usec == 100


def test_a_server_started_with_a_threshold_records_from_the_start() -> None:
    state = build_state(Config({"latency-monitor-threshold": "7"}))
    assert state.extensions["latency"].threshold_ms == 7
    assert state.record_usec == 7000
