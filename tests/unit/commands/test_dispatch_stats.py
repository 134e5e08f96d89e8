"""Per-server command statistics, SLOWLOG's skip_slowlog flag, EXEC's visible MULTI state, RESETSTAT."""
from __future__ import annotations

import re

from damselfly.commands import FAMILIES, build_table
from damselfly.commands.dispatch import call
from damselfly.state import Stats

from ._server_fixtures import Harness


def _cmdstat(h: Harness, name: str) -> str:
    text = h.call(h.connect(), "INFO", "commandstats").text.decode()
    found = re.search(rf"^cmdstat_{re.escape(name)}:(.*)\r$", text, re.M)
    return found.group(1) if found else ""


def test_each_server_counts_its_own_calls() -> None:
    one, two = Harness(), Harness()
    c = one.connect()
    one.run(c, "SET", "k", "v")
    one.run(c, "CONFIG", "GET", "port")
    assert _cmdstat(one, "set").startswith("calls=1,")
    assert _cmdstat(one, "config|get").startswith("calls=1,")
    assert _cmdstat(two, "set") == "" and _cmdstat(two, "config|get") == ""


def test_table_specs_are_copies_of_the_declared_ones() -> None:
    declared = {id(spec) for group in FAMILIES for spec in group.specs}
    declared |= {id(sub) for group in FAMILIES for spec in group.specs for sub in spec.subcommands.values()}
    declared |= {id(spec) for group in FAMILIES for _, spec in group.foreign}
    a, b = build_table(), build_table()
    for spec in a.all_specs():
        assert id(spec) not in declared, spec.full_name
        if spec.parent is not None:
            assert a.get(spec.parent.name.encode()) is spec.parent, spec.full_name
    assert a.get(b"client").subcommands[b"tracking"] is not b.get(b"client").subcommands[b"tracking"]
    for group in FAMILIES:  # declared foreign subcommands stay unattached
        for _, spec in group.foreign:
            assert spec.parent is None


def test_usec_is_microseconds() -> None:
    h = Harness(enable_debug_command="yes")
    c = h.connect()
    spec = h.state.table.get(b"debug")
    call(c, spec, [b"DEBUG", b"SLEEP", b"0.02"])
    assert 20_000 <= spec.usec  # at least the 20 ms slept
    calls, usec = re.match(r"calls=(\d+),usec=(\d+),", _cmdstat(h, "debug")).groups()
    assert calls == "1" and int(usec) == int(spec.usec)


def test_slowlog_skips_exec_but_logs_its_commands() -> None:
    h = Harness()
    h.state.config.set("slowlog-log-slower-than", "0")
    c = h.connect()
    h.run(c, "MULTI")
    h.run(c, "SET", "a", "1")
    h.run(c, "INCR", "a")
    assert h.run(c, "EXEC") == b"*2\r\n+OK\r\n:2\r\n"
    logged = [entry.argv for entry in reversed(h.state.slowlog)]
    assert logged == [[b"MULTI"], [b"SET", b"a", b"1"], [b"INCR", b"a"]]


def test_client_list_inside_exec_shows_the_queue() -> None:
    h = Harness()
    c = h.connect()
    h.run(c, "MULTI")
    h.run(c, "SET", "a", "1")
    h.run(c, "CLIENT", "INFO")
    replies = h.call(c, "EXEC")
    info = replies[1].text.decode()
    assert " flags=x " in info and " multi=2 " in info and " cmd=exec " in info
    after = h.call(c, "CLIENT", "INFO").text.decode()
    assert " flags=N " in after and " multi=-1 " in after
    assert c.multi is None


def test_stats_reset_keeps_the_queue_gauge() -> None:
    stats = Stats()
    stats.dispatch_queue_bytes = 40
    stats.dispatch_queue_peak_bytes = 900
    stats.total_commands_processed = 5
    stats.reset()
    assert stats.dispatch_queue_bytes == 40
    assert stats.dispatch_queue_peak_bytes == 40
    assert stats.total_commands_processed == 0
