"""LATENCY against redis-server 7.0: texts and errors byte for byte, samples by shape.

A dedicated pair of servers (module fixture) with ``enable-debug-command
yes``, so DEBUG SLEEP can make a latency spike and the thresholds set here
never reach the session servers. Spikes are compared by shape (event
names, array lengths, element types, text layout), never by their timings.
"""
from __future__ import annotations

import re
import shutil
from typing import Any, Iterator

import pytest

from damselfly import Server

from ..conftest import RedisServerProcess
from ..resp import RawConnection, parse_reply
from .conftest import Pair

PROTOCOLS = pytest.mark.parametrize("protocol", [2, 3])


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, RedisServerProcess]]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server not installed")
    ours = Server(port=0, dir=str(tmp_path_factory.mktemp("ours")), enable_debug_command="yes")
    ours.start()
    theirs = RedisServerProcess("--enable-debug-command", "yes")
    yield ours, theirs
    ours.stop()
    theirs.stop()


@pytest.fixture
def own(servers: tuple[Server, RedisServerProcess]) -> Iterator[Pair]:
    """A pair on the dedicated servers, monitoring off and no latency data."""
    ours, theirs = servers
    p = Pair(RawConnection(ours.host, ours.port), RawConnection(theirs.host, theirs.port))
    p.both("CONFIG", "SET", "latency-monitor-threshold", "0")
    p.both("LATENCY", "RESET")
    yield p
    p.both("CONFIG", "SET", "latency-monitor-threshold", "0")
    p.ours.close()
    p.theirs.close()


@PROTOCOLS
def test_help_and_errors(own: Pair, protocol: int) -> None:
    if protocol == 3:
        own.both("HELLO", "3")
    own.check_all([
        ("LATENCY", "HELP"), ("latency", "help"),
        ("LATENCY",), ("LATENCY", "HELP", "x"), ("LATENCY", "LATEST", "x"), ("LATENCY", "DOCTOR", "x"),
        ("LATENCY", "HISTORY"), ("LATENCY", "HISTORY", "a", "b"), ("LATENCY", "GRAPH"),
        ("LATENCY", "GRAPH", "a", "b"), ("LATENCY", "NOPE"), ("LATENCY", "HISTOGRAMS"),
        ("LATENCY", "GRAPH", "command"), ("LATENCY", "GRAPH", "nope\x00tail"), ("LATENCY", "GRAPH", "a\r\nb"),
    ])


def test_histogram_answers_as_an_unknown_subcommand(own: Pair) -> None:
    # Left out on purpose (no per-command histograms): the reply Redis gives any unknown subcommand.
    ours = own.ours.command("LATENCY", "HISTOGRAM", "get")
    theirs = own.theirs.command("LATENCY", "HISTOGRAMX", "get")
    assert ours == theirs.replace(b"HISTOGRAMX", b"HISTOGRAM")
    assert ours == b"-ERR unknown subcommand 'HISTOGRAM'. Try LATENCY HELP.\r\n"


@PROTOCOLS
def test_empty_shapes_and_reset(own: Pair, protocol: int) -> None:
    if protocol == 3:
        own.both("HELLO", "3")
    own.check_all([
        ("LATENCY", "LATEST"), ("LATENCY", "HISTORY", "command"), ("LATENCY", "HISTORY", "nope"),
        ("LATENCY", "RESET"), ("LATENCY", "RESET", "command", "fast-command"),
        ("LATENCY", "DOCTOR"),  # monitoring disabled and never used
    ])


def test_doctor_with_monitoring_on_and_no_spike(own: Pair) -> None:
    # A threshold no command here reaches: the report says no spike was seen.
    own.both("CONFIG", "SET", "latency-monitor-threshold", "100000")
    own.check("LATENCY", "DOCTOR")
    own.check("LATENCY", "LATEST")


@PROTOCOLS
def test_a_debug_sleep_spike_has_the_same_shape(own: Pair, protocol: int) -> None:
    if protocol == 3:
        own.both("HELLO", "3")
    own.both("CONFIG", "SET", "latency-monitor-threshold", "1")
    assert own.both("DEBUG", "SLEEP", "0.05") == (b"+OK\r\n", b"+OK\r\n")
    latest = [parse_reply(reply) for reply in own.both("LATENCY", "LATEST")]
    for rows in latest:
        assert all(len(row) == 4 and isinstance(row[0], bytes) and all(isinstance(v, int) for v in row[1:])
                   for row in rows)
        by_name = {row[0]: row[1:] for row in rows}
        assert b"command" in by_name  # DEBUG is not a fast command
        when, last, high = by_name[b"command"]
        assert last >= 50 and high >= last
        assert set(by_name) <= {b"command", b"fast-command", b"expire-cycle"}
    history = [parse_reply(reply) for reply in own.both("LATENCY", "HISTORY", "command")]
    for samples in history:
        assert samples and all(len(s) == 2 and all(isinstance(v, int) for v in s) for s in samples)
        assert max(latency for _, latency in samples) >= 50
    ours, theirs = own.both("LATENCY", "GRAPH", "command")
    assert ours[:1] == theirs[:1] == (b"=" if protocol == 3 else b"$")
    graphs = [parse_reply(reply) for reply in (ours, theirs)]
    for graph in graphs:
        text = graph.decode()
        lines = text.split("\n")
        assert re.fullmatch(r"command - high \d+ ms, low \d+ ms \(all time high \d+ ms\)", lines[0])
        assert lines[1] == "-" * 80
        assert lines[-1] == ""
    ours_doc, theirs_doc = own.both("LATENCY", "DOCTOR")
    assert ours_doc[:1] == theirs_doc[:1]
    line = re.compile(r"\d+\. command: \d+ latency spikes \(average \d+ms, mean deviation \d+ms, "
                      r"period \d+\.\d\d sec\)\. Worst all time event \d+ms\.\n")
    for doctor in (parse_reply(ours_doc), parse_reply(theirs_doc)):
        text = doctor.decode()
        assert text.startswith("Dave, I have observed latency spikes in this Redis instance.")
        assert line.search(text)
        assert "- Check your Slow Log to understand what are the commands you are running" in text
    own.both("CONFIG", "SET", "latency-monitor-threshold", "0")
    resets = [parse_reply(reply) for reply in own.both("LATENCY", "RESET", "COMMAND")]
    assert resets == [1, 1]  # RESET ignores case
    own.check("LATENCY", "HISTORY", "command")
