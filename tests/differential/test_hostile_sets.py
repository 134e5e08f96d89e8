"""Hostile arguments for the set family (see test_hostile_table for the engine)."""
from __future__ import annotations

import pytest

from .conftest import Pair
from .test_hostile_table import HUGE_OFFSETS, HUGE_REPEAT_COUNTS, I64_MAX, I64_MIN, T, Template, check_group, params

pytestmark = [pytest.mark.differential, pytest.mark.timeout(120)]

TEMPLATES: list[Template] = [
    T("SADD", "st", "x"),
    T("SREM", "st", "a"),
    T("SISMEMBER", "st", "a"),
    T("SMISMEMBER", "st", "a", "z"),
    T("SCARD", "st"),
    T("SMEMBERS", "st", unordered=True),
    # Random replies are compared on a one-member set: "st" would make them random.
    T("SRANDMEMBER", "st1", "-5", skip={1: ["st"], 2: HUGE_REPEAT_COUNTS}),
    T("SRANDMEMBER", "missing", "-5", positions=[2]),
    T("SPOP", "st1", "5", skip={1: ["st"]}),
    T("SPOP", "missing", "5", positions=[2]),
    T("SMOVE", "st", "st2", "a"),
    T("SINTERSTORE", "d", "st", "st1"),
    T("SDIFFSTORE", "d", "st", "sti"),
    T("SUNION", "sti", "sti", unordered=True),
    T("SINTER", "st", "st1", unordered=True),
    T("SINTERCARD", "1", "st", "LIMIT", "2"),
    T("SINTERCARD", "2", "st", "st1"),
    T("SUNIONSTORE", "d", "st", "st1"),
    T("SDIFF", "st", "st1", unordered=True),
    # A set of strings is a hashtable in Redis 7.0 (no listpack sets before 7.2): its cursors
    # are bucket positions, damselfly's are hash positions (types/scan.py), so only
    # refusals are compared exactly; an intset-encoded set is returned whole by both.
    T("SSCAN", "st1", "0", "COUNT", "10", errors_only=True),
    T("SSCAN", "sti", "0", "COUNT", "10", skip={1: ["st"]}),
]

XFAIL: dict[tuple[str, int], str] = {}


@pytest.mark.parametrize("template,pos,values", params(TEMPLATES, XFAIL))
def test_hostile_sets(pair: Pair, template: Template, pos: int, values: list[str | bytes]) -> None:
    check_group(pair, template, pos, values)


@pytest.mark.parametrize("template,pos,values", params(TEMPLATES, XFAIL))
def test_hostile_sets_resp3(pair3: Pair, template: Template, pos: int, values: list[str | bytes]) -> None:
    """The same table in RESP3 (doubles, maps and sets have their own frames there)."""
    check_group(pair3, template, pos, values)


def test_scan_cursor_ends_at_nul(pair: Pair) -> None:
    """strtoul reads a C string: "1\\x00junk" is cursor 1."""
    pair.check("SADD", "s", "1", "2")
    pair.check("SSCAN", "s", "1\x00junk")
    pair.check("SSCAN", "s", " \x00")
