"""Hostile arguments for the sorted-set family (see test_hostile_table for the engine)."""
from __future__ import annotations

import pytest

from .conftest import Pair
from .test_hostile_table import HUGE_OFFSETS, HUGE_REPEAT_COUNTS, I64_MAX, I64_MIN, T, Template, check_group, params

pytestmark = [pytest.mark.differential, pytest.mark.timeout(120)]

TEMPLATES: list[Template] = [
    T("ZADD", "z", "1", "x"),
    T("ZADD", "z", "NX", "INCR", "5", "a"),
    T("ZADD", "z", "GT", "CH", "5", "a"),
    T("ZADD", "z", "XX", "LT", "CH", "0", "a", "1e400", "b"),
    T("ZADD", "z", "1", "x", "2"),
    T("ZRANGESTORE", "d", "z", "(1", "+inf", "BYSCORE", "REV", "LIMIT", "1", "1"),
    T("ZUNION", "2", "z", "zl", "WEIGHTS", "1", "-inf", "AGGREGATE", "SUM", "WITHSCORES"),
    T("ZDIFFSTORE", "d", "2", "z", "z1"),
    T("ZINTERSTORE", "d", "2", "z", "z", "WEIGHTS", "inf", "-inf"),
    T("ZINCRBY", "z", "1.5", "a"),
    T("ZINCRBY", "z", "inf", "hi", positions=[2]),
    T("ZSCORE", "z", "a"),
    T("ZMSCORE", "z", "a", "nope"),
    T("ZRANK", "z", "a"),
    T("ZREVRANK", "z", "b"),
    T("ZCARD", "z"),
    T("ZCOUNT", "z", "1", "3"),
    T("ZLEXCOUNT", "zl", "[a", "(c"),
    T("ZRANGE", "z", "0", "-1"),
    T("ZRANGE", "z", "0", "-1", "WITHSCORES"),
    T("ZRANGE", "z", "(1", "3", "BYSCORE", "LIMIT", "0", "-1"),
    T("ZRANGE", "zl", "[a", "+", "BYLEX", "REV", "LIMIT", "1", "2"),
    T("ZRANGEBYSCORE", "z", "-inf", "+inf", "WITHSCORES", "LIMIT", "1", "2"),
    T("ZREVRANGEBYSCORE", "z", "+inf", "-inf", "LIMIT", "0", "-1"),
    T("ZRANGEBYLEX", "zl", "-", "+", "LIMIT", "0", "2"),
    T("ZREVRANGEBYLEX", "zl", "+", "-", "LIMIT", "0", "2"),
    T("ZREVRANGEBYLEX", "zl", "(c", "[a"),
    T("ZREVRANGE", "z", "0", "1"),
    T("ZRANGESTORE", "d", "z", "0", "-1"),
    T("ZREMRANGEBYRANK", "z", "0", "1"),
    T("ZREMRANGEBYSCORE", "z", "2", "3"),
    T("ZREMRANGEBYLEX", "zl", "[a", "[b"),
    # Random replies are compared on a one-member zset: "z" would make them random.
    T("ZRANDMEMBER", "z1", "-5", skip={1: ["z"], 2: HUGE_REPEAT_COUNTS}),
    T("ZRANDMEMBER", "z1", "-5", "WITHSCORES", skip={1: ["z"], 2: HUGE_REPEAT_COUNTS}),
    T("ZRANDMEMBER", "missing", "-5", "WITHSCORES", positions=[2]),
    T("ZPOPMIN", "z", "2"),
    T("ZPOPMAX", "z", "2"),
    T("ZMPOP", "1", "z", "MIN", "COUNT", "2"),
    T("BZPOPMIN", "z", "0.01", fresh=True),
    T("BZPOPMAX", "missing", "z", "0.01", fresh=True),
    T("BZMPOP", "0.01", "1", "z", "MAX", "COUNT", "2", fresh=True),
    T("ZUNIONSTORE", "d", "2", "z", "z1", "WEIGHTS", "2", "3", "AGGREGATE", "MAX"),
    T("ZINTER", "2", "z", "z1", "WITHSCORES"),
    T("ZDIFF", "1", "z"),
    T("ZINTERCARD", "2", "z", "z1", "LIMIT", "1"),
    T("ZSCAN", "z1", "0", "COUNT", "10", skip={1: ["z"]}),
    T("ZREM", "z", "a"),
]

XFAIL: dict[tuple[str, int], str] = {}


@pytest.mark.parametrize("template,pos,values", params(TEMPLATES, XFAIL))
def test_hostile_zsets(pair: Pair, template: Template, pos: int, values: list[str | bytes]) -> None:
    check_group(pair, template, pos, values)


@pytest.mark.parametrize("template,pos,values", params(TEMPLATES, XFAIL))
def test_hostile_zsets_resp3(pair3: Pair, template: Template, pos: int, values: list[str | bytes]) -> None:
    """The same table in RESP3 (doubles, maps and sets have their own frames there)."""
    check_group(pair3, template, pos, values)


def test_limit_count_near_int64_max_is_all_the_rest(pair: Pair) -> None:
    """offset + count past sys.maxsize once raised ValueError in islice and dropped the client."""
    pair.check("ZADD", "z", "1", "a", "2", "b", "3", "c")
    pair.check("ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "1", I64_MAX)
    pair.check("ZRANGE", "z", "-", "+", "BYLEX", "LIMIT", "2", I64_MAX)
    pair.check("ZREVRANGEBYSCORE", "z", "+inf", "-inf", "WITHSCORES", "LIMIT", I64_MAX, I64_MAX)
    pair.check("PING")


def test_scan_cursor_ends_at_nul(pair: Pair) -> None:
    """strtoul reads a C string: "1\\x00junk" is cursor 1."""
    pair.check("ZADD", "z", "1", "a")
    pair.check("ZSCAN", "z", "0\x00junk")
    pair.check("ZSCAN", "z", "\x00")
