"""MEMORY without sockets: HELP, STATS, DOCTOR, MALLOC-STATS, PURGE (src/damselfly/commands/memory.py)."""
from __future__ import annotations

from typing import Any

import pytest

from damselfly import memory_report
from damselfly.commands import memory as memory_cmd
from damselfly.protocol.reply import Verbatim

from ._server_fixtures import Harness

MB = 1024 * 1024


@pytest.fixture
def h() -> Harness:
    return Harness()


def _info_memory(h: Harness, c: Any) -> dict[str, str]:
    text = h.call(c, "INFO", "memory").text.decode()
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)


def test_help_lists_every_subcommand(h: Harness) -> None:
    lines = [str(x) for x in h.call(h.connect(), "MEMORY", "HELP")]
    subs = [line.split()[0] for line in lines[1:] if not line.startswith(" ")]
    assert subs == ["DOCTOR", "MALLOC-STATS", "PURGE", "STATS", "USAGE", "HELP"]


@pytest.mark.parametrize("sub", ["STATS", "DOCTOR", "MALLOC-STATS", "PURGE"])
def test_arity(h: Harness, sub: str) -> None:
    assert h.run(h.connect(), "MEMORY", sub.lower(), "x") == (
        f"-ERR wrong number of arguments for 'memory|{sub.lower()}' command\r\n".encode())


def test_stats_agrees_with_info_memory(h: Harness) -> None:
    c = h.connect()
    h.run(c, "SET", "a", "x" * 100)
    h.run(c, "SELECT", "5")
    h.run(c, "SET", "b", "y", "EX", "100")
    stats = h.call(c, "MEMORY", "STATS")
    info = _info_memory(h, c)  # calibrates again; nothing changed in between
    assert stats[b"total.allocated"] == int(info["used_memory"])
    assert stats[b"startup.allocated"] == int(info["used_memory_startup"])
    assert stats[b"overhead.total"] == int(info["used_memory_overhead"])
    assert stats[b"dataset.bytes"] == int(info["used_memory_dataset"])
    assert stats[b"clients.normal"] == int(info["mem_clients_normal"]) > 0
    assert stats[b"keys.count"] == 2
    assert [k for k in stats if k.startswith(b"db.")] == [b"db.0", b"db.5"]
    assert stats[b"db.0"][b"overhead.hashtable.expires"] == 0 < stats[b"db.5"][b"overhead.hashtable.expires"]
    assert stats[b"db.0"][b"overhead.hashtable.main"] > 0
    assert stats[b"peak.allocated"] >= stats[b"total.allocated"]
    assert stats[b"allocator.allocated"] == stats[b"total.allocated"]
    assert stats[b"allocator.active"] == stats[b"allocator.resident"] > 0
    assert stats[b"fragmentation.bytes"] == stats[b"allocator.resident"] - stats[b"total.allocated"]


def test_stats_db_overheads_grow_with_keys(h: Harness) -> None:
    c = h.connect()
    h.run(c, "SET", "k0", "v")
    small = h.call(c, "MEMORY", "STATS")[b"db.0"][b"overhead.hashtable.main"]
    for i in range(1, 200):
        h.run(c, "SET", f"k{i}", "v")
    assert h.call(c, "MEMORY", "STATS")[b"db.0"][b"overhead.hashtable.main"] > small
    h.run(c, "FLUSHALL")
    stats = h.call(c, "MEMORY", "STATS")
    assert b"db.0" not in stats and stats[b"keys.count"] == 0 and stats[b"keys.bytes-per-key"] == 0


def test_stats_encoding_resp2_and_resp3(h: Harness) -> None:
    c = h.connect()
    resp2 = h.run(c, "MEMORY", "STATS", resp=2)
    assert resp2.startswith(b"*54\r\n$14\r\npeak.allocated\r\n:")
    assert b"$19\r\nallocator-rss.ratio\r\n$1\r\n1\r\n" in resp2
    resp3 = h.run(c, "MEMORY", "STATS", resp=3)
    assert resp3.startswith(b"%27\r\n$14\r\npeak.allocated\r\n:")
    assert b"$19\r\nallocator-rss.ratio\r\n,1\r\n" in resp3


def test_doctor_empty_instance_verbatim(h: Harness) -> None:
    c = h.connect()
    reply = h.call(c, "MEMORY", "DOCTOR")
    assert isinstance(reply, Verbatim) and reply.text == memory_report._EMPTY.encode()
    assert h.run(c, "MEMORY", "DOCTOR", resp=3).startswith(b"=272\r\ntxt:Hi Sam, this instance is empty")
    assert h.run(c, "MEMORY", "DOCTOR", resp=2).startswith(b"$268\r\nHi Sam, this instance is empty")


def _loaded(h: Harness, monkeypatch: pytest.MonkeyPatch, keys: int = 30_000) -> tuple[Any, int]:
    """A client and the model's figure after ``keys`` values of 200 bytes (stored directly, for speed:
    about 8 MB in the model); the RSS reported as 1 MB more than the model."""
    c = h.connect()
    db = h.state.keyspace.dbs[0]
    for i in range(keys):
        db.set(b"key:%d" % i, b"x" * 200)
    used = h.call(c, "MEMORY", "STATS")[b"total.allocated"]
    assert used > memory_report.EMPTY_BYTES
    monkeypatch.setattr(memory_report, "rss_bytes", lambda: used + MB)
    return c, used


def test_doctor_with_data_and_no_problem(h: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    c, _ = _loaded(h, monkeypatch)
    assert h.call(c, "MEMORY", "DOCTOR").text == memory_report._NO_ISSUES.encode()


def test_doctor_reports_the_peak_after_deletes(h: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    c, _ = _loaded(h, monkeypatch, keys=40_000)  # the peak is seen by the first MEMORY STATS
    db = h.state.keyspace.dbs[0]
    for i in range(20_000):
        db.delete(b"key:%d" % i)
    report = h.call(c, "MEMORY", "DOCTOR").text.decode()
    assert report == memory_report._HEADER + memory_report._PEAK + memory_report._CLOSING
    for i in range(20_000):
        db.set(b"key:%d" % i, b"x" * 200)
    assert h.call(c, "MEMORY", "DOCTOR").text == memory_report._NO_ISSUES.encode()


def test_doctor_reports_fragmentation_from_rss(h: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    c, used = _loaded(h, monkeypatch)
    monkeypatch.setattr(memory_report, "rss_bytes", lambda: used * 3)
    report = h.call(c, "MEMORY", "DOCTOR").text.decode()
    assert " * High total RSS: " in report and " * High allocator fragmentation: " in report


def test_doctor_reports_big_client_buffers(h: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    c, _ = _loaded(h, monkeypatch)
    c.outbox.output = 500 * 1024  # one of two connections holds 500 KB of replies
    h.connect()
    report = h.call(c, "MEMORY", "DOCTOR").text.decode()
    assert report == memory_report._HEADER + memory_report._BIG_CLIENT_BUF + memory_report._CLOSING


def test_malloc_stats(h: Harness) -> None:
    c = h.connect()
    expected = b"$45\r\nStats not supported for the current allocator\r\n"
    assert h.run(c, "MEMORY", "MALLOC-STATS", resp=2) == h.run(c, "MEMORY", "MALLOC-STATS", resp=3) == expected


def test_purge_collects_and_trims(h: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(memory_cmd.gc, "collect", lambda: calls.append("gc") or 0)
    monkeypatch.setattr(memory_cmd, "trim_malloc", lambda: calls.append("trim") or False)
    assert h.run(h.connect(), "MEMORY", "PURGE") == b"+OK\r\n"  # OK even when nothing was released
    assert calls == ["gc", "trim"]
