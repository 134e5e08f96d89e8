"""The cron's expire-cycle latency event (net/server.py), on a fake perf_counter."""
from __future__ import annotations

from typing import Any

import pytest

from damselfly.app import build_state
from damselfly.config import Config
from damselfly.net import server as server_module
from damselfly.net.server import Listener


class _Loop:
    def call_later(self, delay: float, fn: Any) -> Any:
        return None


class StepClock:
    def __init__(self, step: float) -> None:
        self.step = step
        self.now = 0.0
        self.reads = 0

    def __call__(self) -> float:
        self.now += self.step
        self.reads += 1
        return self.now


def _listener(**options: str) -> Listener:
    return Listener(build_state(Config(options)), _Loop())  # type: ignore[arg-type]


def test_expire_cycle_is_timed_when_monitoring(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server_module, "_perf", StepClock(0.004))
    listener = _listener(**{"latency-monitor-threshold": "4"})
    listener._cron()
    assert [row[0::2] for row in listener.state.extensions["latency"].latest()] == [[b"expire-cycle", 4]]


def test_expire_cycle_under_the_threshold_or_off_is_not_timed(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = StepClock(0.004)
    monkeypatch.setattr(server_module, "_perf", clock)
    listener = _listener(**{"latency-monitor-threshold": "5"})
    listener._cron()
    assert listener.state.extensions["latency"].events == {}
    reads = clock.reads
    listener.state.config.set("latency-monitor-threshold", "0")
    listener._cron()
    assert clock.reads == reads  # off: the cycle is not even timed
