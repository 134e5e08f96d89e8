"""Hostile arguments for the keyspace family (see test_hostile_table for the engine)."""
from __future__ import annotations

import pytest

from .conftest import Pair
from .test_hostile_table import I64_MAX, I64_MIN, T, Template, check_group, params

pytestmark = [pytest.mark.differential, pytest.mark.timeout(120)]

#: DUMP of the string "hello world" from redis-server 7.0.15 (RDB version 10, CRC64 trailer).
DUMP_HELLO = "\x00\x0bhello world\n\x00\x0b\xfcI\xb9\xa6\xc7\xa04".encode("latin-1")

TEMPLATES: list[Template] = [
    T("EXPIRE", "e", "100", timed=True, fresh=True),
    T("EXPIRE", "e", "100", "GT", timed=True, fresh=True),
    T("PEXPIRE", "e", "100000", timed=True, fresh=True),
    T("EXPIREAT", "e", "4102444800", timed=True, fresh=True),
    T("PEXPIREAT", "e", "4102444800000", timed=True, fresh=True),
    T("TTL", "s"),
    T("PTTL", "s"),
    T("PEXPIRETIME", "s"),
    T("PERSIST", "s"),
    T("EXPIRETIME", "s"),
    T("DEL", "s", "l"),
    T("UNLINK", "s", "l"),
    T("KEYS", "*", unordered=True),  # hostile values as glob patterns
    T("RANDOMKEY", "x"),  # a random key otherwise: only the extra argument is hostile
    # No hostile value is ASYNC or SYNC: each is refused, and nothing is flushed.
    T("FLUSHDB", "ASYNC"),
    T("FLUSHALL", "SYNC"),
    T("EXISTS", "s", "s"),
    T("TYPE", "s"),
    T("RENAME", "s", "s2"),
    T("RENAMENX", "s", "n"),
    T("COPY", "s", "s2", "DB", "1"),
    T("COPY", "s", "s2", "REPLACE"),
    T("MOVE", "s", "1"),
    # Keyspace cursors are hash positions in damselfly, bucket positions in Redis (see
    # keyspace/scan.py): only refusals are compared exactly.
    T("SCAN", "0", "COUNT", "10", "TYPE", "string", errors_only=True),
    T("SCAN", "0", "MATCH", "*", errors_only=True),
    T("OBJECT", "ENCODING", "s"),
    T("OBJECT", "FREQ", "s"),
    T("OBJECT", "REFCOUNT", "l"),
    T("SORT", "l", "LIMIT", "0", "2", "ALPHA"),
    # BY nosort keeps the container's order: a set's order is Redis's hash table's, so no "st".
    T("SORT", "l", "BY", "nosort", "LIMIT", "1", "-1", "ALPHA", skip={1: ["st"]}),
    T("SORT_RO", "z", "LIMIT", "0", "10", "DESC"),
    T("TOUCH", "s", "missing"),
    # RESTORE with the DUMP of "hello world" (RDB 10, checksummed) and hostile TTL/options;
    # the payload position gets hostile values too (a bad checksum is refused before parsing).
    T("RESTORE", "r", "0", DUMP_HELLO, "REPLACE", "IDLETIME", "5", skip={4: ["REPLACE"]}, timed=True),
    T("RESTORE", "r", "4102444800000", DUMP_HELLO, "ABSTTL", "FREQ", "5", positions=[2, 5, 6], timed=True),
    T("DUMP", "s", errors_only=True),
    # Distinct weights make the order defined; other containers' keys would sort members
    # by missing (equal) weights, an order Redis leaves to qsort.
    T("SORT", "l", "BY", "w_*", "GET", "#", "GET", "h->f", "LIMIT", "0", "-1", "DESC", "ALPHA",
      positions=range(2, 13)),
    T("SORT", "l", "ALPHA", "STORE", "d"),
    T("SORT", "n", "LIMIT", "0", "1"),
    T("RENAME", "l", "l"),
    T("TYPE", "hll"),
    T("OBJECT", "IDLETIME", "missing", positions=[1, 2]),
]

XFAIL: dict[tuple[str, int], str] = {}


@pytest.mark.parametrize("template,pos,values", params(TEMPLATES, XFAIL))
def test_hostile_keys(pair: Pair, template: Template, pos: int, values: list[str | bytes]) -> None:
    check_group(pair, template, pos, values)


def test_scan_cursor_ends_at_nul(pair: Pair) -> None:
    """strtoul reads a C string: a NUL ends the cursor (an empty database scans to 0)."""
    pair.check("SCAN", "0\x00junk")
    pair.check("SCAN", "x\x00")


def test_error_echoes_stop_at_nul_and_keep_raw_bytes(pair: Pair) -> None:
    """Redis formats an echoed argument with %.128s (ends at NUL) and sends its bytes raw."""
    pair.check("OBJECT", "a\x00b", "k")
    pair.check("OBJECT", b"\xff\xfe", "k")
    pair.check("OBJECT", b"\xc3" * 100, "k")  # 128 bytes cut a two-byte character in half
    pair.check("EXPIRE", "k", "1", b"\xffNX")
