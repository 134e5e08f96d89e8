"""Hostile arguments for the server and connection commands (see test_hostile_table for the engine)."""
from __future__ import annotations

import pytest

from .conftest import Pair
from .test_hostile_table import I64_MAX, I64_MIN, SMALL_NUMBERS, T, Template, check_group, params, reset

pytestmark = [pytest.mark.differential, pytest.mark.timeout(120)]

TEMPLATES: list[Template] = [
    T("SELECT", "0"),
    T("ECHO", "x"),
    T("PING", "x"),
    T("SWAPDB", "0", "0"),
    T("SLOWLOG", "GET", "1", positions=[2], errors_only=True),  # entries depend on timing
    T("MEMORY", "USAGE", "missing", "SAMPLES", "5", positions=[4]),
    T("PFADD", "hll", "x"),
    T("PFCOUNT", "hll", "s"),
    T("PFMERGE", "d", "hll"),
    T("PUBLISH", "c", "m"),
    T("PUBSUB", "NUMSUB", "c"),
    T("CLIENT", "NO-EVICT", "on", positions=[2]),
    T("PFCOUNT", "hll", "hll", "missing"),
    T("PFADD", "s", "x"),
    T("OBJECT", "HELP", positions=[1]),
    T("COMMAND", "INFO", "get", positions=[2]),
    T("COMMAND", "GETKEYS", "SET", "k", "v"),
    T("ECHO", "x", "y"),
    T("PUBSUB", "CHANNELS", "c*"),
    T("PUBSUB", "NUMSUB", "a", "b"),
    T("PUBSUB", "SHARDNUMSUB", "a"),
    T("SPUBLISH", "c", "m"),
    # Client ids and addresses differ between the servers: small numbers are left out where a
    # value names a client (it could be a live one), the other hostile values must be refused alike.
    T("CLIENT", "KILL", "ID", "999999", positions=[2, 3], skip={3: SMALL_NUMBERS}),
    T("CLIENT", "KILL", "ADDR", "1.2.3.4:5", "SKIPME", "yes"),
    T("CLIENT", "KILL", "USER", "nobody"),
    T("CLIENT", "SETNAME", "x"),
    T("CLIENT", "REPLY", "ON"),
    T("CLIENT", "TRACKING", "on", "REDIRECT", "999999", skip={4: SMALL_NUMBERS}),
    T("CLIENT", "TRACKING", "off", "PREFIX", "a", "BCAST"),
    T("CLIENT", "CACHING", "yes"),
    T("CLIENT", "UNBLOCK", "999999", "ERROR", skip={2: SMALL_NUMBERS}),
    T("CLIENT", "GETNAME", positions=[1]),
    T("HELLO", "2", errors_only=True),  # the greeting holds ids and versions
    T("AUTH", "x"),
    T("AUTH", "user", "pass"),
    T("WATCH", "s", "l"),
    T("HELLO", "2", "SETNAME", "x", errors_only=True),
    T("CLIENT", "LIST", "TYPE", "normal", errors_only=True),  # the list holds ids and ages
    T("CLIENT", "KILL", "TYPE", "pubsub"),
    T("CONFIG", "SET", "hz", "10", positions=[2]),  # values: test_hostile_limits (restored there)
    T("CONFIG", "GET", "hz", positions=[2]),  # hostile values as glob patterns
    T("INFO", "server", positions=[1], errors_only=True),  # an unknown section is an empty reply
    T("ACL", "CAT", "read"),
    T("ACL", "GETUSER", "nobody", positions=[2]),
    T("ACL", "DELUSER", "nobody", positions=[2]),  # no hostile value names a user
    T("ACL", "DRYRUN", "default", "GET", "k", positions=[2, 3, 4]),
    T("ACL", "GENPASS", "64", positions=[2], errors_only=True),  # a password is random
    T("ACL", "LOG", "1", positions=[2], errors_only=True),  # entries hold ages and client ids
    T("COMMAND", "DOCS", "get", positions=[2]),
    T("COMMAND", "LIST", "FILTERBY", "PATTERN", "x", positions=[3, 4]),
    T("COMMAND", "GETKEYSANDFLAGS", "LMOVE", "a", "b", "LEFT", "RIGHT"),
    T("LATENCY", "HISTORY", "command"),
    T("LATENCY", "GRAPH", "command", positions=[2]),
    T("LATENCY", "RESET", "command", "fast-command", positions=[2, 3]),
    # A valid timeout would pause both servers: only the mode is hostile (refused first).
    T("CLIENT", "PAUSE", "10", "WRITE", positions=[3]),
    T("PUBSUB", "SHARDCHANNELS", "c*", positions=[2]),
    # DEBUG is refused whatever follows (enable-debug-command no, Redis's default).
    T("DEBUG", "SLEEP", "0"),
    # No hostile value is SCHEDULE: each is refused, and no child is forked.
    T("BGSAVE", "SCHEDULE"),
    # Commands without arguments: a hostile extra one must be refused with Redis's arity text.
    *(T(*words, "x", positions=[len(words)]) for words in (
        ("DBSIZE",), ("UNWATCH",), ("EXEC",), ("DISCARD",), ("MULTI",), ("MONITOR",), ("RESET",),
        ("LASTSAVE",), ("SAVE",), ("TIME",), ("ACL", "WHOAMI"), ("ACL", "LIST"), ("ACL", "USERS"),
        ("ACL", "HELP"), ("ACL", "LOAD"), ("ACL", "SAVE"), ("CLIENT", "ID"), ("CLIENT", "INFO"),
        ("CLIENT", "GETREDIR"), ("CLIENT", "TRACKINGINFO"), ("CLIENT", "UNPAUSE"), ("CLIENT", "HELP"),
        ("COMMAND", "COUNT"), ("COMMAND", "HELP"), ("CONFIG", "HELP"), ("CONFIG", "RESETSTAT"),
        ("CONFIG", "REWRITE"), ("LATENCY", "LATEST"), ("LATENCY", "DOCTOR"), ("LATENCY", "HELP"),
        ("MEMORY", "DOCTOR"), ("MEMORY", "STATS"), ("MEMORY", "MALLOC-STATS"), ("MEMORY", "PURGE"),
        ("MEMORY", "HELP"), ("PUBSUB", "NUMPAT"), ("PUBSUB", "HELP"), ("SLOWLOG", "LEN"),
        ("SLOWLOG", "RESET"), ("SLOWLOG", "HELP"))),
]

XFAIL: dict[tuple[str, int], str] = {}


@pytest.mark.parametrize("template,pos,values", params(TEMPLATES, XFAIL))
def test_hostile_server(pair: Pair, template: Template, pos: int, values: list[str | bytes]) -> None:
    check_group(pair, template, pos, values)


def test_select_checks_the_c_int_range_first(pair: Pair) -> None:
    """getIntFromObjectOrReply: outside a C int it is a range error, inside an index error."""
    for index in ("2147483648", "-2147483649", I64_MAX, "2147483647", "-1", "16"):
        pair.check("SELECT", index)


#: Commands queued in MULTI with hostile arguments: a queue-time error aborts EXEC, a
#: run-time error is one element of EXEC's reply.
QUEUED = [
    ["SET", "k"], ["NOPE", "x"], ["INCRBY", "n", "9223372036854775807"], ["INCRBY", "n", "1"],
    ["LPUSH", "s", "x"], ["GETRANGE", "s", I64_MIN, I64_MAX], ["ZADD", "z", "nan", "m"],
    ["SRANDMEMBER", "st", "-9223372036854775808"], ["EXPIRE", "s", "9223372036854775807"],
    ["MULTI"], ["WATCH", "s"], ["SELECT", "2147483648"], ["EXEC"],
]


@pytest.mark.parametrize("queued", QUEUED, ids=lambda q: " ".join(q))
def test_hostile_commands_in_multi(pair: Pair, queued: list[str]) -> None:
    reset(pair)
    pair.check("MULTI")
    pair.check(*queued)
    pair.check("INCR", "n")
    pair.check("EXEC")
    pair.check("GET", "n")
    pair.check("EXEC")
    pair.check("DISCARD")


def test_a_refused_exec_discards_the_transaction(pair: Pair) -> None:
    """Redis's rejectCommand aborts a refused EXEC (execCommandAbort): EXECABORT with the
    refusal's text (counted as EXECABORT), the transaction discarded and the keys unwatched,
    in MULTI or not."""
    reset(pair)
    pair.both("CONFIG", "RESETSTAT")  # errorstats below count this test's errors only
    for cmd in (("EXEC", "x"), ("MULTI",), ("SET", "k", "v"), ("EXEC", "x"), ("DISCARD",), ("EXEC",),
                ("GET", "k"), ("WATCH", "s"), ("EXEC", "x"), ("SET", "s", "changed"), ("MULTI",), ("PING",),
                ("EXEC",), ("SUBSCRIBE", "c"), ("EXEC",), ("RESET",), ("INFO", "errorstats")):
        pair.check(*cmd)
