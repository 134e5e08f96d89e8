"""Server commands without sockets: INFO, CONFIG, TIME, SHUTDOWN, DEBUG, SLOWLOG, MEMORY."""
from __future__ import annotations

import re
import time

import pytest

from damselfly.info import render, select_sections
from damselfly.memory import bytes_to_human, value_usage

from ._server_fixtures import Harness


@pytest.fixture
def h() -> Harness:
    return Harness()


def _info(h: Harness, *sections: str) -> str:
    return h.call(h.connect(), "INFO", *sections).text.decode()


# -- INFO -------------------------------------------------------------------------------

def test_info_section_selection() -> None:
    default = ["server", "clients", "memory", "persistence", "stats", "replication", "cpu", "modules",
               "errorstats", "cluster", "keyspace"]
    assert select_sections([]) == default
    assert select_sections([b"default"]) == default
    assert select_sections([b"ALL"]) == default[:8] + ["commandstats"] + default[8:]
    assert select_sections([b"everything"]) == select_sections([b"all"])
    assert select_sections([b"keyspace", b"Server", b"nosuch"]) == ["server", "keyspace"]
    assert select_sections([b"nosuch"]) == []


def test_info_format_and_headers(h: Harness) -> None:
    text = _info(h, "server", "keyspace")
    assert text.startswith("# Server\r\nredis_version:7.0.15\r\n")
    assert "\r\n\r\n# Keyspace\r\n" in text and text.endswith("# Keyspace\r\n")
    assert _info(h, "nosuch") == ""
    headers = re.findall(r"^# (\w+)\r$", _info(h, "everything"), re.M)
    assert headers == ["Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU",
                       "Modules", "Commandstats", "Errorstats", "Cluster", "Keyspace"]
    for line in _info(h).split("\r\n"):
        assert line == "" or line.startswith("# ") or re.fullmatch(r"[a-z0-9_|]+:[^\r\n]*", line), line


def _fields(text: str) -> dict[str, str]:
    return dict(line.split(":", 1) for line in text.split("\r\n") if ":" in line and not line.startswith("#"))


def test_info_values_come_from_state(h: Harness) -> None:
    c = h.connect()
    h.run(c, "CONFIG", "RESETSTAT")  # command specs are module-level: start from zero
    h.run(c, "SET", "a", "1")
    h.run(c, "GET", "a")
    h.run(c, "GET", "missing")
    h.state.stats.dispatch_queue_peak_bytes = 123
    f = _fields(_info(h, "all"))
    assert f["redis_version"] == "7.0.15" and f["damselfly_version"]
    assert f["connected_clients"] == str(len(h.state.clients))
    assert (f["keyspace_hits"], f["keyspace_misses"]) == ("1", "1")
    assert f["dispatch_queue_peak_bytes"] == "123"
    for name in ("total_reads_processed", "total_writes_processed", "client_output_buffer_limit_disconnections",
                 "dispatch_queue_bytes", "control_batches", "control_messages", "used_memory",
                 "used_memory_rss", "used_memory_peak", "maxmemory_policy", "role", "used_cpu_user"):
        assert name in f, name
    assert f["db0"] == "keys=1,expires=0,avg_ttl=0"
    assert re.fullmatch(r"calls=1,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=0,failed_calls=0",
                        f["cmdstat_set"])
    assert f["cmdstat_get"].startswith("calls=2,")


def test_info_commandstats_counts_rejected_and_failed(h: Harness) -> None:
    c = h.connect()
    h.run(c, "CONFIG", "RESETSTAT")  # command specs are module-level: start from zero
    h.run(c, "GET")  # arity: rejected
    h.run(c, "SET", "s", "x")
    h.run(c, "INCR", "s")  # fails in the handler
    h.run(c, "CONFIG", "GET")  # subcommand arity
    f = _fields(_info(h, "commandstats", "errorstats"))
    assert f["cmdstat_get"] == "calls=0,usec=0,usec_per_call=0.00,rejected_calls=1,failed_calls=0"
    assert f["cmdstat_incr"].startswith("calls=1,") and f["cmdstat_incr"].endswith("failed_calls=1")
    assert f["cmdstat_config|get"].endswith("rejected_calls=1,failed_calls=0")
    assert f["errorstat_ERR"] == "count=3"


def test_info_errorstats_sorted_by_code(h: Harness) -> None:
    c = h.connect()
    h.run(c, "SET", "s", "x")
    h.run(c, "LPUSH", "s", "x")
    h.run(c, "NOSUCH")
    text = _info(h, "errorstats")
    assert text == "# Errorstats\r\nerrorstat_ERR:count=1\r\nerrorstat_WRONGTYPE:count=1\r\n"


def test_info_keyspace_avg_ttl(h: Harness) -> None:
    c = h.connect()
    h.run(c, "SET", "a", "1", "PX", "10000")
    h.run(c, "SET", "b", "1", "PX", "20000")
    h.run(c, "SELECT", "3")
    h.run(c, "SET", "c", "1")
    assert _info(h, "keyspace") == ("# Keyspace\r\ndb0:keys=2,expires=2,avg_ttl=15000\r\n"
                                    "db3:keys=1,expires=0,avg_ttl=0\r\n")


def test_info_is_verbatim_in_resp3(h: Harness) -> None:
    c = h.connect()
    c.resp = 3
    assert h.run(c, "INFO", "keyspace") == b"=16\r\ntxt:# Keyspace\r\n\r\n"
    c.resp = 2
    assert h.run(c, "INFO", "keyspace") == b"$12\r\n# Keyspace\r\n\r\n"


def test_info_providers_extend_a_section(h: Harness) -> None:
    h.state.extensions.setdefault("info_providers", {})["modules"] = [lambda: [("module", "name=x")]]
    assert render(h.state, [b"modules"]) == "# Modules\r\nmodule:name=x\r\n"


def test_bytes_to_human() -> None:
    assert [bytes_to_human(n) for n in (0, 1023, 1024, 1536, 3 * 1024**2, 5 * 1024**3)] == [
        "0B", "1023B", "1.00K", "1.50K", "3.00M", "5.00G"]


# -- CONFIG -----------------------------------------------------------------------------

def test_config_get_exact_glob_alias_and_case(h: Harness) -> None:
    c = h.connect()
    assert h.call(c, "CONFIG", "GET", "maxmemory") == {b"maxmemory": b"0"}
    assert h.call(c, "CONFIG", "GET", "MaxMemory", "maxmemory") == {b"MaxMemory": b"0"}
    assert h.call(c, "CONFIG", "GET", "nosuch") == {}
    got = h.call(c, "CONFIG", "GET", "maxmemory*", "hz")
    assert set(got) == {b"maxmemory", b"maxmemory-policy", b"maxmemory-samples",
                        b"maxmemory-eviction-tenacity", b"hz"}
    assert h.call(c, "CONFIG", "GET", "hash-max-ziplist-entries") == {b"hash-max-ziplist-entries": b"512"}
    both = h.call(c, "CONFIG", "GET", "hash-max-*-entries")
    assert set(both) == {b"hash-max-ziplist-entries", b"hash-max-listpack-entries"}
    assert h.run(c, "CONFIG", "GET", "port").startswith(b"*2\r\n")
    assert h.run(c, "CONFIG", "GET", "port", resp=3).startswith(b"%1\r\n")


def test_config_set_several_pairs(h: Harness) -> None:
    c = h.connect()
    assert h.run(c, "CONFIG", "SET", "maxmemory", "10mb", "maxmemory-policy", "ALLKEYS-LRU") == b"+OK\r\n"
    assert h.state.config.maxmemory == 10 * 1024 * 1024
    assert h.call(c, "CONFIG", "GET", "maxmemory-policy") == {b"maxmemory-policy": b"allkeys-lru"}


@pytest.mark.parametrize("args,error", [
    (("maxmemory", "1", "port"), "ERR syntax error"),
    (("foo", "bar"), "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"),
    (("maxmemory", "1", "foo", "bar"), "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"),
    (("databases", "3"), "ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config"),
    (("databases", "3", "foo", "x"),
     "ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config"),
    (("dir", "/tmp"), "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config"),
    (("maxmemory", "1", "MAXMEMORY", "2"),
     "ERR CONFIG SET failed (possibly related to argument 'MAXMEMORY') - duplicate parameter"),
    (("MAXMEMORY", "abc"),
     "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value"),
    (("timeout", "-1"), "ERR CONFIG SET failed (possibly related to argument 'timeout') - "
                        "argument must be between 0 and 2147483647 inclusive"),
    (("loglevel", "nothing"), "ERR CONFIG SET failed (possibly related to argument 'loglevel') - "
                              "argument(s) must be one of the following: debug, verbose, notice, warning"),
])
def test_config_set_errors(h: Harness, args: tuple[str, ...], error: str) -> None:
    c = h.connect()
    assert h.run(c, "CONFIG", "SET", *args) == b"-" + error.encode() + b"\r\n"


def test_config_set_is_all_or_nothing(h: Harness) -> None:
    c = h.connect()
    assert h.run(c, "CONFIG", "SET", "maxmemory", "5mb", "maxmemory-policy", "bogus").startswith(b"-ERR CONFIG SET")
    assert h.state.config.maxmemory == 0 and h.state.config.maxmemory_policy == "noeviction"


def test_config_set_restores_an_option_whose_listener_refused_it(h: Harness) -> None:
    from damselfly.config import ConfigError

    def refuse(name: str, value: object) -> None:
        if name == "timeout" and value == 7:
            raise ConfigError("refused by a listener")

    h.state.config.listeners.append(refuse)
    c = h.connect()
    reply = h.run(c, "CONFIG", "SET", "hz", "20", "timeout", "7")
    assert reply == b"-ERR CONFIG SET failed (possibly related to argument 'timeout') - refused by a listener\r\n"
    assert h.state.config.timeout == 0 and h.state.config.hz == 10


def test_config_set_hz_is_clamped_like_redis(h: Harness) -> None:
    c = h.connect()
    h.run(c, "CONFIG", "SET", "hz", "1000")
    assert h.call(c, "CONFIG", "GET", "hz") == {b"hz": b"500"}
    h.run(c, "CONFIG", "SET", "hz", "0")
    assert h.call(c, "CONFIG", "GET", "hz") == {b"hz": b"1"}


def test_config_set_protected_allowed_when_enabled(tmp_path) -> None:
    h = Harness(enable_protected_configs="yes")
    c = h.connect()
    assert h.run(c, "CONFIG", "SET", "dbfilename", "x.rdb") == b"+OK\r\n"
    local = Harness(enable_protected_configs="local")
    assert local.run(local.connect(addr="10.0.0.1:5"), "CONFIG", "SET", "dbfilename", "y.rdb").startswith(
        b"-ERR CONFIG SET failed (possibly related to argument 'dbfilename') - can't set protected config")
    assert local.run(local.connect(addr="127.0.0.1:5"), "CONFIG", "SET", "dbfilename", "y.rdb") == b"+OK\r\n"


def test_config_resetstat(h: Harness) -> None:
    c = h.connect()
    h.run(c, "SET", "a", "1")
    h.run(c, "GET", "a")
    h.run(c, "NOSUCH")
    h.state.stats.dispatch_queue_bytes = 40
    assert h.run(c, "CONFIG", "RESETSTAT") == b"+OK\r\n"
    f = _fields(_info(h, "all"))
    assert "cmdstat_set" not in f and "errorstat_ERR" not in f
    assert f["keyspace_hits"] == "0" and f["total_error_replies"] == "0"
    assert f["dispatch_queue_bytes"] == "40"  # a gauge: what is queued now survives


def test_config_rewrite_without_file(h: Harness) -> None:
    c = h.connect()
    assert h.run(c, "CONFIG", "REWRITE") == b"-ERR The server is running without a config file\r\n"


def test_config_help(h: Harness) -> None:
    reply = h.run(h.connect(), "CONFIG", "HELP")
    assert reply.startswith(b"*11\r\n+CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n")


# -- TIME, SLOWLOG, MEMORY, DEBUG, SHUTDOWN ------------------------------------------------

def test_time(h: Harness) -> None:
    secs, usecs = h.call(h.connect(), "TIME")
    assert abs(int(secs) - time.time()) < 5 and 0 <= int(usecs) < 1_000_000


def test_slowlog(h: Harness) -> None:
    h.state.config.set("slowlog-log-slower-than", "0")
    c = h.connect(addr="127.0.0.1:777")
    h.run(c, "CLIENT", "SETNAME", "slowpoke")
    h.run(c, "SLOWLOG", "RESET")
    h.run(c, "SET", "k", "v")
    h.run(c, "AUTH", "secret")
    entries = h.call(c, "SLOWLOG", "GET")
    assert [e[3] for e in entries][:2] == [[b"AUTH", b"(redacted)"], [b"SET", b"k", b"v"]]
    first = entries[1]
    assert first[4:] == [b"127.0.0.1:777", b"slowpoke"] and first[0] < entries[0][0]
    assert len(h.call(c, "SLOWLOG", "GET", "1")) == 1
    assert h.call(c, "SLOWLOG", "GET", "-1") and h.call(c, "SLOWLOG", "GET", "0") == []
    assert h.run(c, "SLOWLOG", "GET", "-2") == b"-ERR count should be greater than or equal to -1\r\n"
    assert h.run(c, "SLOWLOG", "GET", "x") == b"-ERR count should be greater than or equal to -1\r\n"
    assert h.run(c, "SLOWLOG", "GET", "1", "2") == (
        b"-ERR unknown subcommand or wrong number of arguments for 'GET'. Try SLOWLOG HELP.\r\n")
    assert h.call(c, "SLOWLOG", "LEN") > 0
    assert h.run(c, "SLOWLOG", "RESET") == b"+OK\r\n"
    assert h.call(c, "SLOWLOG", "LEN") == 1  # the RESET itself was slow enough


def test_memory_usage(h: Harness) -> None:
    c = h.connect()
    assert h.run(c, "MEMORY", "USAGE", "nokey") == b"$-1\r\n"
    h.run(c, "SET", "s", "x" * 1000)
    small, big = h.call(c, "MEMORY", "USAGE", "s"), None
    assert small > 1000
    h.run(c, "RPUSH", "l", *[str(i) * 50 for i in range(100)])
    big = h.call(c, "MEMORY", "USAGE", "l", "SAMPLES", "0")
    assert big > 100 * 50
    assert h.run(c, "MEMORY", "USAGE", "s", "SAMPLES") == b"-ERR syntax error\r\n"
    assert h.run(c, "MEMORY", "USAGE", "s", "SAMPLES", "-1") == b"-ERR syntax error\r\n"
    assert h.run(c, "MEMORY", "USAGE", "s", "SAMPLES", "x") == b"-ERR value is not an integer or out of range\r\n"
    assert h.run(c, "MEMORY", "USAGE", "s", "foo", "1") == b"-ERR syntax error\r\n"
    assert h.run(c, "MEMORY", "PURGE") == b"+OK\r\n"


def test_value_usage_samples_collections() -> None:
    members = {str(i).encode() * 10 for i in range(1000)}
    assert value_usage(b"k", members, 5) > 1000 * 10
    assert abs(value_usage(b"k", members, 0) - value_usage(b"k", members, 5)) < value_usage(b"k", members, 0)


def test_debug_is_refused_unless_enabled(h: Harness) -> None:
    c = h.connect()
    assert h.run(c, "DEBUG", "SLEEP", "0").startswith(b"-ERR DEBUG command not allowed. If the enable-debug-command")
    assert h.run(c, "DEBUG") == b"-ERR wrong number of arguments for 'debug' command\r\n"
    local = Harness(enable_debug_command="local")
    assert local.run(local.connect(addr="10.1.1.1:1"), "DEBUG", "SLEEP", "0").startswith(b"-ERR DEBUG command not")
    assert local.run(local.connect(addr="127.0.0.1:1"), "DEBUG", "SLEEP", "0") == b"+OK\r\n"


def test_debug_subcommands() -> None:
    h = Harness(enable_debug_command="yes")
    c = h.connect()
    assert h.run(c, "DEBUG", "SLEEP", "abc") == b"+OK\r\n"  # strtod: no number is 0, as in Redis
    assert h.run(c, "DEBUG", "SLEEP") == (
        b"-ERR unknown subcommand or wrong number of arguments for 'SLEEP'. Try DEBUG HELP.\r\n")
    assert h.run(c, "DEBUG", "OBJECT", "nokey") == b"-ERR no such key\r\n"
    h.run(c, "SET", "a", "1")
    h.run(c, "SET", "b", "hello")
    line = h.run(c, "DEBUG", "OBJECT", "b").decode()
    assert re.fullmatch(r"\+Value at:0x[0-9a-f]+ refcount:1 encoding:embstr serializedlength:\d+ "
                        r"lru:\d+ lru_seconds_idle:\d+\r\n", line)
    assert "refcount:2147483647 encoding:int serializedlength:2 " in h.run(c, "DEBUG", "OBJECT", "a").decode()
    assert h.run(c, "DEBUG", "LOG", "hi") == b"+OK\r\n"
    assert h.run(c, "DEBUG", "RELOAD", "bogus") == (
        b"-ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.\r\n")
    assert h.run(c, "DEBUG", "JMAP") == (
        b"-ERR unknown subcommand or wrong number of arguments for 'JMAP'. Try DEBUG HELP.\r\n")
    assert h.run(c, "DEBUG", "HELP").startswith(b"*14\r\n+DEBUG <subcommand>")


class _Listener:
    def __init__(self) -> None:
        self.stopped = False

    def request_stop(self) -> None:
        self.stopped = True


def test_shutdown_argument_errors(h: Harness) -> None:
    c = h.connect()
    for args in (("foo",), ("nosave", "save"), ("save", "nosave"), ("abort", "nosave"), ("now", "abort")):
        assert h.run(c, "SHUTDOWN", *args) == b"-ERR syntax error\r\n", args
    assert h.run(c, "SHUTDOWN", "ABORT") == b"-ERR No shutdown in progress.\r\n"
    h.run(c, "MULTI")
    assert h.run(c, "SHUTDOWN") == b"-ERR Command not allowed inside a transaction\r\n"


@pytest.mark.parametrize("args,save", [((), None), (("SAVE",), True), (("NOSAVE", "NOW"), False),
                                       (("now", "force"), None)])
def test_shutdown_calls_hooks_then_stops(args: tuple[str, ...], save: bool | None) -> None:
    h = Harness()
    listener = h.state.extensions["listener"] = _Listener()
    seen: list[bool | None] = []
    h.state.extensions["shutdown_hooks"] = [seen.append]
    c = h.connect()
    assert h.run(c, "SHUTDOWN", *args) == b""
    assert seen == [save] and listener.stopped and c.close_after_reply


def test_shutdown_refused_when_a_hook_fails_unless_forced() -> None:
    h = Harness()
    listener = h.state.extensions["listener"] = _Listener()

    def failing(save: bool | None) -> None:
        raise OSError("disk full")

    h.state.extensions["shutdown_hooks"] = [failing]
    c = h.connect()
    assert h.run(c, "SHUTDOWN") == b"-ERR Errors trying to SHUTDOWN. Check logs.\r\n"
    assert not listener.stopped and not c.close_after_reply
    assert h.run(c, "SHUTDOWN", "FORCE") == b""
    assert listener.stopped
