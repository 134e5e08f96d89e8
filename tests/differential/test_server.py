"""Server commands against redis-server 7.0, RESP2 and RESP3.

CONFIG and statistics tests run on a dedicated pair of servers (module
fixture) so they can change settings and reset counters without disturbing
the session servers.
"""
from __future__ import annotations

import shutil
from typing import Any, Iterator

import pytest

from damselfly import Server
from damselfly.config import ALIASES, OPTIONS

from ..conftest import RedisServerProcess
from ..resp import RawConnection, encode_command, parse_reply
from .conftest import Pair

PROTOCOLS = pytest.mark.parametrize("protocol", [2, 3])
# Options whose value differs by nature between the two servers.
_SITE_SPECIFIC = {"port", "dir", "bind"}
# damselfly's own INFO fields (docs/design.md's control-path counters and versions).
_OWN_FIELDS = {"damselfly_version", "python_version", "pubsub_clients", "client_query_buffer_limit_disconnections",
               "client_output_buffer_limit_disconnections", "dispatch_queue_bytes", "dispatch_queue_peak_bytes",
               "control_batches", "control_messages"}


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, RedisServerProcess]]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server not installed")
    ours = Server(port=0, dir=str(tmp_path_factory.mktemp("ours")))  # dumps (FLUSHALL with save points) stay out of the cwd
    ours.start()
    theirs = RedisServerProcess()
    yield ours, theirs
    ours.stop()
    theirs.stop()


@pytest.fixture
def own(servers) -> Iterator[Pair]:
    """A pair on the dedicated servers, flushed, statistics reset."""
    ours, theirs = servers
    p = Pair(RawConnection(ours.host, ours.port), RawConnection(theirs.host, theirs.port))
    p.both("FLUSHALL")
    p.both("CONFIG", "RESETSTAT")
    yield p
    p.ours.close()
    p.theirs.close()


def _hello(pair: Pair, protocol: int) -> None:
    if protocol == 3:
        pair.both("HELLO", "3")


# -- INFO -------------------------------------------------------------------------------

@PROTOCOLS
def test_info_exact_sections(own: Pair, protocol: int) -> None:
    _hello(own, protocol)
    own.check("INFO", "keyspace")
    own.check("INFO", "nosuch")
    own.check("INFO", "modules")
    own.check("INFO", "cluster")
    own.check_all([("SET", "a", "1"), ("SET", "b", "2"), ("SELECT", "2"), ("SET", "c", "3"), ("SELECT", "0")])
    own.check("INFO", "keyspace")
    own.check("INFO", "KEYSPACE", "nosuch")
    own.check_all([("LPUSH", "a", "x"), ("NOSUCH",), ("GET",), ("CLIENT", "NOPE")])
    own.check("INFO", "errorstats")


def _info_fields(frame: bytes) -> dict[str, dict[str, str]]:
    text = parse_reply(frame)
    text = text.decode() if isinstance(text, bytes) else str(text)
    sections: dict[str, dict[str, str]] = {}
    current: dict[str, str] = {}
    for line in text.split("\r\n"):
        if line.startswith("# "):
            current = sections.setdefault(line[2:], {})
        elif ":" in line:
            key, value = line.split(":", 1)
            current[key] = value
    return sections


def test_info_uses_only_redis_field_names_in_redis_order(own: Pair) -> None:
    ours, theirs = (_info_fields(frame) for frame in own.both("INFO", "everything"))
    assert [s for s in ours] == [s for s in theirs if s != "Latencystats"]
    for section, fields in ours.items():
        if section in ("Commandstats", "Errorstats", "Keyspace"):
            continue
        names = [k for k in fields if k not in _OWN_FIELDS]
        reference = [k for k in theirs[section] if k in names]
        assert names == reference, f"{section}: names or order differ from redis-server"


def test_info_commandstats_counters_match(own: Pair) -> None:
    own.check_all([("SET", "s", "x"), ("GET", "s"), ("GET",), ("INCR", "s"), ("CONFIG", "GET"),
                   ("CONFIG", "NOPE"), ("ECHO", "a")])

    def counters(frame: bytes) -> dict[str, str]:
        stats = _info_fields(frame)["Commandstats"]
        out = {}
        for name, value in stats.items():
            parts = dict(p.split("=") for p in value.split(","))
            out[name] = f"{parts['calls']}/{parts['rejected_calls']}/{parts['failed_calls']}"
        return out

    ours, theirs = (counters(frame) for frame in own.both("INFO", "commandstats"))
    assert ours == theirs


def test_info_stats_counters_that_must_agree(own: Pair) -> None:
    own.check_all([("SET", "k", "v"), ("GET", "k"), ("GET", "missing"), ("SET", "e", "1", "PX", "1")])
    ours, theirs = (_info_fields(f)["Stats"] for f in own.both("INFO", "stats"))
    for name in ("keyspace_hits", "keyspace_misses", "total_error_replies", "evicted_keys", "pubsub_channels",
                 "rejected_connections"):
        assert ours[name] == theirs[name], name


# -- CONFIG -----------------------------------------------------------------------------

def _shared_options(pair: Pair) -> list[str]:
    names = []
    for name in list(OPTIONS) + list(ALIASES):
        if name not in _SITE_SPECIFIC and parse_reply(pair.theirs.command("CONFIG", "GET", name)):
            names.append(name)
    return names


@PROTOCOLS
def test_config_get_every_shared_option(own: Pair, protocol: int) -> None:
    _hello(own, protocol)
    names = _shared_options(own)
    assert len(names) > 30
    for name in names:
        own.check("CONFIG", "GET", name)
    own.check("CONFIG", "GET", "MAXMEMORY")
    own.check("CONFIG", "GET", "nosuch")
    own.check("CONFIG", "GET")
    # several names or globs: Redis's order is its dict's; compare as maps, ours within theirs
    for args in (("Maxmemory", "maxmemory", "hz"), ("maxmemory*",), ("hash-max-*-entries",), ("*",)):
        ours, theirs = (_as_map(parse_reply(f)) for f in own.both("CONFIG", "GET", *args))
        assert {k: v for k, v in ours.items() if k in theirs and k.decode() not in _SITE_SPECIFIC} == {
            k: theirs[k] for k in ours if k in theirs and k.decode() not in _SITE_SPECIFIC}, args
        assert set(ours) - set(theirs) <= _damselfly_only(), args


def _as_map(reply: Any) -> dict[bytes, bytes]:
    if isinstance(reply, dict):
        return reply
    return dict(zip(reply[::2], reply[1::2]))


def _damselfly_only() -> set[bytes]:
    """Options Redis 7.0 does not have (the control path's)."""
    return {b"control-batching", b"async-dispatch-quota"}


@PROTOCOLS
def test_config_set_errors(own: Pair, protocol: int) -> None:
    _hello(own, protocol)
    own.check_all([
        ("CONFIG", "SET"), ("CONFIG", "SET", "maxmemory"), ("CONFIG", "SET", "maxmemory", "1", "port"),
        ("CONFIG", "SET", "foo", "bar"), ("CONFIG", "SET", "maxmemory", "1", "foo", "bar"),
        ("CONFIG", "SET", "foo", "bar", "databases", "1"), ("CONFIG", "SET", "databases", "1", "foo", "bar"),
        ("CONFIG", "SET", "databases", "5"), ("CONFIG", "SET", "dir", "/tmp"), ("CONFIG", "SET", "dbfilename", "x"),
        ("CONFIG", "SET", "maxmemory", "abc"), ("CONFIG", "SET", "maxmemory", "-1"),
        ("CONFIG", "SET", "maxmemory", "1mb", "MAXMEMORY", "2mb"), ("CONFIG", "SET", "save", "", "save", ""),
        ("CONFIG", "SET", "maxmemory", "abc", "maxmemory-policy", "foo"),
        ("CONFIG", "SET", "maxmemory-policy", "foo"), ("CONFIG", "SET", "loglevel", "foo"),
        ("CONFIG", "SET", "loglevel", "nothing"), ("CONFIG", "SET", "timeout", "-1"),
        ("CONFIG", "SET", "timeout", "abc"), ("CONFIG", "SET", "protected-mode", "maybe"),
        ("CONFIG", "SET", "proto-max-bulk-len", "10"), ("CONFIG", "SET", "save", "60 1 x"),
        ("CONFIG", "SET", "notify-keyspace-events", "Z"), ("CONFIG", "SET", "slowlog-max-len", "-1"),
        ("CONFIG", "SET", "client-output-buffer-limit", "foo 1 1 1"),
        ("CONFIG", "GET", "maxmemory"), ("CONFIG", "GET", "maxmemory-policy"),
    ])


@PROTOCOLS
def test_config_set_success_and_read_back(own: Pair, protocol: int) -> None:
    _hello(own, protocol)
    own.check_all([
        ("CONFIG", "SET", "maxmemory", "10mb", "maxmemory-policy", "ALLKEYS-LRU", "hz", "1000"),
        ("CONFIG", "GET", "maxmemory"), ("CONFIG", "GET", "maxmemory-policy"), ("CONFIG", "GET", "hz"),
        ("CONFIG", "SET", "hz", "0"), ("CONFIG", "GET", "hz"),
        ("CONFIG", "SET", "save", "100 10 200 20"), ("CONFIG", "GET", "save"),
        ("CONFIG", "SET", "client-output-buffer-limit", "pubsub 1mb 1mb 10"),
        ("CONFIG", "GET", "client-output-buffer-limit"),
        ("CONFIG", "SET", "notify-keyspace-events", "KEA"), ("CONFIG", "GET", "notify-keyspace-events"),
        ("CONFIG", "SET", "hash-max-ziplist-entries", "100", "hash-max-listpack-entries", "200"),
        ("CONFIG", "GET", "hash-max-listpack-entries"),
        ("CONFIG", "SET", "maxmemory", "0", "maxmemory-policy", "noeviction", "hz", "10", "save", "",
         "client-output-buffer-limit", "pubsub 32mb 8mb 60", "notify-keyspace-events", "",
         "hash-max-listpack-entries", "512"),
    ])


def test_config_misc(own: Pair) -> None:
    own.check_all([
        ("CONFIG",), ("CONFIG", "NOPE"), ("CONFIG", "HELP"), ("CONFIG", "HELP", "x"),
        ("CONFIG", "RESETSTAT", "x"), ("CONFIG", "REWRITE"), ("CONFIG", "REWRITE", "x"), ("CONFIG", "RESETSTAT"),
    ])


# -- TIME, SLOWLOG, MEMORY, DEBUG, SHUTDOWN ----------------------------------------------

@PROTOCOLS
def test_time_shape(pair: Pair, protocol: int) -> None:
    _hello(pair, protocol)
    ours, theirs = (parse_reply(f) for f in pair.both("TIME"))
    assert len(ours) == len(theirs) == 2 and all(x.isdigit() for x in ours)
    assert abs(int(ours[0]) - int(theirs[0])) <= 2
    pair.check("TIME", "x")


@PROTOCOLS
def test_slowlog(own: Pair, protocol: int) -> None:
    _hello(own, protocol)
    own.check_all([
        ("SLOWLOG",), ("SLOWLOG", "HELP"), ("SLOWLOG", "NOPE"), ("SLOWLOG", "GET", "-2"), ("SLOWLOG", "GET", "x"),
        ("SLOWLOG", "GET", "1", "2"), ("SLOWLOG", "LEN", "x"), ("SLOWLOG", "RESET", "x"),
    ])
    own.both("CONFIG", "SET", "slowlog-log-slower-than", "0")
    try:
        own.both("CLIENT", "SETNAME", "slowclient")
        own.both("SLOWLOG", "RESET")
        own.both("SET", "slowkey", "x" * 200)
        own.both("AUTH", "default", "secret")
        ours, theirs = (parse_reply(f) for f in own.both("SLOWLOG", "GET", "3"))
        assert [(e[3], e[5]) for e in ours] == [(e[3], e[5]) for e in theirs]
        assert [type(v) for v in ours[0]] == [type(v) for v in theirs[0]]
        own.check("SLOWLOG", "GET", "0")
    finally:
        own.both("CONFIG", "SET", "slowlog-log-slower-than", "10000")
    own.check("SLOWLOG", "RESET")


@PROTOCOLS
def test_memory_usage_errors_and_shape(pair: Pair, protocol: int) -> None:
    _hello(pair, protocol)
    pair.check_all([
        ("MEMORY",), ("MEMORY", "USAGE"), ("MEMORY", "USAGE", "nokey"), ("SET", "k", "v"),
        ("MEMORY", "USAGE", "k", "SAMPLES"), ("MEMORY", "USAGE", "k", "SAMPLES", "-1"),
        ("MEMORY", "USAGE", "k", "SAMPLES", "x"), ("MEMORY", "USAGE", "k", "foo", "1"),
        ("MEMORY", "NOPE"), ("MEMORY", "PURGE"), ("MEMORY", "PURGE", "x"), ("MEMORY", "HELP", "x"),
    ])
    ours, theirs = pair.both("MEMORY", "USAGE", "k", "SAMPLES", "0")
    assert ours[:1] == theirs[:1] == b":"


def test_memory_help_lists_a_subset_of_redis(pair: Pair) -> None:
    ours, theirs = (parse_reply(f) for f in pair.both("MEMORY", "HELP"))
    assert ours[0] == theirs[0] and ours[-2:] == theirs[-2:]
    assert set(ours) <= set(theirs)


@PROTOCOLS
def test_debug_disabled_and_shutdown_errors(pair: Pair, protocol: int) -> None:
    _hello(pair, protocol)
    pair.check_all([
        ("DEBUG",), ("DEBUG", "SLEEP", "0"), ("DEBUG", "HELP"), ("DEBUG", "JMAP"),
        ("SHUTDOWN", "foo"), ("SHUTDOWN", "nosave", "save"), ("SHUTDOWN", "ABORT"), ("SHUTDOWN", "abort", "now"),
        ("MULTI",), ("SHUTDOWN",), ("DISCARD",),
    ])


def test_info_and_client_replies_are_verbatim_in_resp3(pair3: Pair) -> None:
    for args in (("INFO", "server"), ("CLIENT", "INFO"), ("CLIENT", "LIST")):
        ours, theirs = pair3.both(*args)
        assert ours.startswith(b"=") and theirs.startswith(b"=")
        assert ours.split(b"\r\n", 1)[1][:4] == theirs.split(b"\r\n", 1)[1][:4] == b"txt:"


def test_shutdown_nosave_on_dedicated_servers(tmp_path) -> None:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server not installed")
    ours = Server(port=0, dir=str(tmp_path))
    ours.start()
    theirs = RedisServerProcess()
    try:
        for host, port in ((ours.host, ours.port), (theirs.host, theirs.port)):
            conn = RawConnection(host, port)
            conn.send(encode_command("SHUTDOWN", "NOSAVE"))
            assert conn.read_all(1.0) == b""
            conn.close()
    finally:
        ours.stop()
        theirs.stop()
