"""LATENCY's handlers and the recording of command durations (dispatch.call, the plain branch).

Durations come from a fake ``perf_counter``, never from the wall clock.
"""
from __future__ import annotations

from typing import Iterator

import pytest

from damselfly.commands import dispatch
from damselfly.net import connection as connection_module
from damselfly.protocol.reply import Verbatim

from ..net.fakes import FakeTransport, frame, make_connection
from ._server_fixtures import Harness


class StepClock:
    """A perf_counter that moves ``step`` seconds at every read."""

    def __init__(self, step: float) -> None:
        self.step = step
        self.now = 0.0

    def __call__(self) -> float:
        self.now += self.step
        return self.now


@pytest.fixture
def h() -> Iterator[Harness]:
    yield Harness(save="")


def test_help_lists_redis_7_0_lines(h: Harness) -> None:
    c = h.connect()
    reply = h.call(c, "LATENCY", "HELP")
    assert [str(line) for line in reply][0] == "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert len(reply) == 17


def test_histogram_is_an_unknown_subcommand(h: Harness) -> None:
    c = h.connect()
    assert h.run(c, "LATENCY", "HISTOGRAM") == b"-ERR unknown subcommand 'HISTOGRAM'. Try LATENCY HELP.\r\n"


def test_empty_replies(h: Harness) -> None:
    c = h.connect()
    assert h.run(c, "LATENCY", "LATEST") == b"*0\r\n"
    assert h.run(c, "LATENCY", "HISTORY", "command") == b"*0\r\n"
    assert h.run(c, "LATENCY", "RESET") == b":0\r\n"
    assert h.run(c, "LATENCY", "GRAPH", "command") == b"-ERR No samples available for event 'command'\r\n"
    assert h.run(c, "LATENCY", "GRAPH", b"a\x00b") == b"-ERR No samples available for event 'a'\r\n"


def test_samples_through_the_commands(h: Harness) -> None:
    c = h.connect()
    monitor = h.state.extensions["latency"]
    now = h.clock.ms // 1000
    monitor.add_sample(b"command", 40)
    h.clock.advance(1000)
    monitor.add_sample(b"command", 10)
    assert h.call(c, "LATENCY", "LATEST") == [[b"command", now + 1, 10, 40]]
    assert h.call(c, "LATENCY", "HISTORY", "command") == [[now, 40], [now + 1, 10]]
    assert h.call(c, "LATENCY", "HISTORY", b"command\x00junk") == [[now, 40], [now + 1, 10]]  # a C string
    graph = h.call(c, "LATENCY", "GRAPH", "command")
    assert isinstance(graph, Verbatim) and graph.fmt == b"txt"
    assert graph.text.startswith(b"command - high 40 ms, low 10 ms (all time high 40 ms)\n")
    assert graph.text.endswith(b"\n# \n| \n| \n|_\n  \n10\nss\n")
    doctor = h.call(c, "LATENCY", "DOCTOR")
    assert isinstance(doctor, Verbatim)
    assert b"1. command: 2 latency spikes (average 25ms, mean deviation 15ms, period 0.50 sec)" in doctor.text
    assert h.call(c, "LATENCY", "RESET", "nope", "COMMAND", "command") == 1
    assert h.call(c, "LATENCY", "LATEST") == []


def test_doctor_disabled_text(h: Harness) -> None:
    c = h.connect()
    assert h.call(c, "LATENCY", "DOCTOR").text.startswith(b"I'm sorry, Dave, I can't do that.")


def test_slow_commands_are_recorded_by_their_fast_flag(h: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    c = h.connect()
    h.call(c, "CONFIG", "SET", "latency-monitor-threshold", "5")
    monkeypatch.setattr(dispatch, "_perf", StepClock(0.0051))
    h.call(c, "GET", "k")  # fast
    h.call(c, "KEYS", "*")  # not fast
    monkeypatch.setattr(dispatch, "_perf", StepClock(0.0049))
    h.call(c, "PING")  # under the threshold
    now = h.clock.ms // 1000
    latest = {row[0]: row[1:] for row in h.state.extensions["latency"].latest()}
    assert latest == {b"fast-command": [now, 5, 5], b"command": [now, 5, 5]}


def test_nothing_is_recorded_at_threshold_zero(h: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    c = h.connect()
    monkeypatch.setattr(dispatch, "_perf", StepClock(0.5))
    h.call(c, "GET", "k")
    assert h.state.extensions["latency"].events == {}
    assert len(h.state.slowlog) == 1  # SLOWLOG still sees it


def test_slowlog_and_latency_thresholds_are_each_applied(h: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    c = h.connect()
    h.call(c, "CONFIG", "SET", "latency-monitor-threshold", "1")
    h.call(c, "CONFIG", "SET", "slowlog-log-slower-than", "-1")
    h.call(c, "SLOWLOG", "RESET")
    monkeypatch.setattr(dispatch, "_perf", StepClock(0.002))
    h.call(c, "GET", "k")
    assert len(h.state.slowlog) == 0
    assert list(h.state.extensions["latency"].events) == [b"fast-command"]
    monkeypatch.setattr(dispatch, "_perf", StepClock(0.0005))
    h.call(c, "LATENCY", "RESET")
    h.call(c, "CONFIG", "SET", "slowlog-log-slower-than", "100")
    h.call(c, "GET", "k")
    assert len(h.state.slowlog) >= 1
    assert h.state.extensions["latency"].events == {}  # 0 ms < 1 ms


def test_exec_and_its_commands_are_each_recorded(h: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    c = h.connect()
    h.call(c, "CONFIG", "SET", "latency-monitor-threshold", "1")
    h.call(c, "MULTI")
    h.call(c, "GET", "k")
    monkeypatch.setattr(dispatch, "_perf", StepClock(0.003))
    h.call(c, "EXEC")
    assert sorted(h.state.extensions["latency"].events) == [b"command", b"fast-command"]


def test_plain_branch_records_too(monkeypatch: pytest.MonkeyPatch) -> None:
    transport = FakeTransport()
    conn, _ = make_connection(transport, latency_monitor_threshold="2")
    monitor = conn.state.extensions["latency"]
    monkeypatch.setattr(connection_module, "_perf", StepClock(0.0025))
    conn.data_received(frame([b"SET", b"k", b"v"]) + frame([b"GET", b"k"]))
    assert transport.data == b"+OK\r\n$1\r\nv\r\n"
    assert [row[0] for row in monitor.latest()] == [b"command", b"fast-command"]  # SET is not fast
    assert monitor.latest()[1][2:] == [2, 2]


def test_plain_branch_follows_config_set_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    transport = FakeTransport()
    conn, _ = make_connection(transport)
    monitor = conn.state.extensions["latency"]
    monkeypatch.setattr(connection_module, "_perf", StepClock(0.0025))
    conn.data_received(frame([b"GET", b"k"]) + frame([b"CONFIG", b"SET", b"latency-monitor-threshold", b"2"])
                       + frame([b"GET", b"k"]))
    assert monitor.history(b"fast-command") != []
    assert len(monitor.history(b"fast-command")) == 1
