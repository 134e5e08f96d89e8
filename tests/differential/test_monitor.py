"""MONITOR against redis-server: the same commands, the same lines (timestamps and addresses aside)."""
from __future__ import annotations

import re

import pytest

from .test_pubsub import duo  # noqa: F401  (fixture)

pytestmark = pytest.mark.differential

_LINE = re.compile(rb"\+\d+\.\d{6} \[(\d+) [^\]]+\]")


def normalize(frame: bytes) -> bytes:
    return _LINE.sub(rb"+<time> [\1 <addr>]", frame)


def test_lines_for_commands_transactions_secrets_and_rejections(duo) -> None:  # noqa: F811
    d = duo(2, normalize)
    d.run([
        (0, "MONITOR"),
        (1, "SET", "k", "v"), (1, "GET", "k"), (1, "MULTI"), (1, "SET", "a", "1"), (1, "GET", "a"), (1, "EXEC"),
        (1, "MULTI"), (1, "SET", "a"), (1, "EXEC"), (1, "AUTH", "pw"), (1, "AUTH", "u", "pw"),
        (1, "HELLO", "2", "AUTH", "default", "pw"), (1, "CONFIG", "GET", "maxmemory"), (1, "NOSUCH", "x"),
        (1, "GET"), (1, "INCR", "k"), (1, "CLIENT", "ID"), (1, "SELECT", "3"),
        (1, "SET", "x y\n\x01\"\\", "z"), (1, "ECHO", "\xff"), (1, "PUBLISH", "dmon.ch", "x"),
        (1, "SELECT", "0"),
    ], fence=[0])


def test_monitor_client_itself(duo) -> None:  # noqa: F811
    d = duo(2, normalize)
    d.run([
        (0, "MONITOR"), (0, "PING"), (0, "GET", "k"), (0, "PUBLISH", "dmon.c", "m"), (0, "SUBSCRIBE", "dmon.c"),
        (1, "PUBLISH", "dmon.c", "hello"), (0, "RESET"), (1, "SET", "after", "reset"),
        (0, "MULTI"), (0, "MONITOR"), (0, "EXEC"),
    ], fence=[0])


def test_resp3_monitor(duo) -> None:  # noqa: F811
    d = duo(2, normalize)
    d.run([(0, "HELLO", "3"), (0, "MONITOR"), (1, "SET", "k", "1"), (1, "HELLO", "3"), (1, "INCR", "k")],
          fence=[0])
