"""Hostile arguments for the hash family (see test_hostile_table for the engine)."""
from __future__ import annotations

import pytest

from .conftest import Pair
from .test_hostile_table import HUGE_OFFSETS, HUGE_REPEAT_COUNTS, I64_MAX, I64_MIN, T, Template, check_group, params

pytestmark = [pytest.mark.differential, pytest.mark.timeout(120)]

TEMPLATES: list[Template] = [
    T("HSET", "h", "f", "v"),
    T("HMSET", "h", "f", "v", "g", "w"),
    T("HSET", "h", "f", "v", "g"),
    T("HGET", "h", "f"),
    T("HMGET", "h", "f", "num"),
    T("HINCRBY", "h", "num", "5"),
    T("HINCRBYFLOAT", "h", "fl", "1.5"),
    T("HINCRBYFLOAT", "h", "new", "1e308", positions=[3]),
    T("HSTRLEN", "h", "f"),
    T("HDEL", "h", "f"),
    T("HEXISTS", "h", "f"),
    T("HSETNX", "h", "g", "v"),
    T("HGETALL", "h", unordered=True),
    T("HKEYS", "h", unordered=True),
    T("HVALS", "h", unordered=True),
    T("HLEN", "h"),
    # Random replies are compared on a one-field hash: "h" would make them random.
    T("HRANDFIELD", "h1", "-5", skip={1: ["h"], 2: HUGE_REPEAT_COUNTS}),
    T("HRANDFIELD", "h1", "-5", "WITHVALUES", skip={1: ["h"], 2: HUGE_REPEAT_COUNTS}),
    T("HRANDFIELD", "missing", "-5", "WITHVALUES", positions=[2]),
    T("HSCAN", "h1", "0", "COUNT", "10", skip={1: ["h"]}),
    T("HSCAN", "h1", "0", "MATCH", "*", skip={1: ["h"]}),
]

XFAIL: dict[tuple[str, int], str] = {}


@pytest.mark.parametrize("template,pos,values", params(TEMPLATES, XFAIL))
def test_hostile_hashes(pair: Pair, template: Template, pos: int, values: list[str | bytes]) -> None:
    check_group(pair, template, pos, values)


@pytest.mark.parametrize("template,pos,values", params(TEMPLATES, XFAIL))
def test_hostile_hashes_resp3(pair3: Pair, template: Template, pos: int, values: list[str | bytes]) -> None:
    """The same table in RESP3 (doubles, maps and sets have their own frames there)."""
    check_group(pair3, template, pos, values)


def test_scan_cursor_ends_at_nul(pair: Pair) -> None:
    """strtoul reads a C string: "1\\x00junk" is cursor 1."""
    pair.check("HSET", "h", "f", "v")
    pair.check("HSCAN", "h", "1\x00junk")
    pair.check("HSCAN", "h", "-\x00")
