"""Sorted-set commands against redis-server: identical raw replies, errors included."""
from __future__ import annotations

import pytest

LONG = "m" * 70


def parse(raw: bytes):
    """Decode one RESP2 reply (bulk, integer, array) for order-insensitive checks."""
    def walk(i):
        kind, end = raw[i:i + 1], raw.index(b"\r\n", i)
        head = raw[i + 1:end]
        if kind == b"$":
            n = int(head)
            return (None, end + 2) if n < 0 else (raw[end + 2:end + 2 + n], end + 4 + n)
        if kind == b"*":
            items, j = [], end + 2
            for _ in range(int(head)):
                item, j = walk(j)
                items.append(item)
            return items, j
        return head, end + 2
    return walk(0)[0]


def scan_all(conn, key, *opts):
    """Every (member, score) a full ZSCAN iteration returns."""
    seen, cursor = {}, b"0"
    while True:
        cursor, items = parse(conn.command("ZSCAN", key, cursor, *opts))
        seen.update(zip(items[::2], items[1::2]))
        if cursor == b"0":
            return seen


def _fill(pair, key="z", n=5):
    args = []
    for i in range(n):
        args += [str(i + 1), f"m{i}"]
    pair.check("ZADD", key, *args)


ZADD_CASES = [
    ["ZADD", "z", "1", "a", "2", "b"],
    ["ZADD", "z", "NX", "XX", "1", "a"],
    ["ZADD", "z", "GT", "LT", "1", "a"],
    ["ZADD", "z", "GT", "NX", "1", "a"],
    ["ZADD", "z", "LT", "NX", "1", "a"],
    ["ZADD", "z", "INCR", "1", "a", "2", "b"],
    ["ZADD", "z", "1", "a", "2"],
    ["ZADD", "z", "NX", "1"],
    ["ZADD", "z", "CH", "1", "a", "5", "b", "7", "c"],
    ["ZADD", "z", "XX", "CH", "9", "a", "5", "zz"],
    ["ZADD", "z", "GT", "CH", "0", "a", "100", "b", "3", "new"],
    ["ZADD", "z", "LT", "CH", "0", "a", "200", "b"],
    ["ZADD", "z", "INCR", "5", "a"],
    ["ZADD", "z", "INCR", "NX", "5", "a"],
    ["ZADD", "z", "INCR", "XX", "5", "nope"],
    ["ZADD", "z", "INCR", "GT", "-5", "a"],
    ["ZADD", "z", "INCR", "LT", "-5", "a"],
    ["ZADD", "z", "abc", "a"],
    ["ZADD", "z", "nan", "a"],
    ["ZADD", "z", "1e400", "a"],
    ["ZADD", "z", "1e-400", "a"],
    ["ZADD", "z", " 1", "a"],
    ["ZADD", "z", "1 ", "a"],
    ["ZADD", "z", "", "a"],
    ["ZADD", "z", "0x10", "hex"],
    ["ZADD", "z", "0x1p3", "hexp"],
    ["ZADD", "z", "+inf", "pinf", "-inf", "ninf", "Infinity", "inf2"],
    ["ZADD", "z", ".5", "half", "5.", "five"],
    ["ZADD", "z", "1_0", "u"],
    ["ZADD", "z", "-0", "negzero"],
    ["ZSCORE", "z", "negzero"],
    ["ZADD", "z", "INCR", "-0", "negzero2"],
    ["ZADD", "z", "INCR", "+inf", "pinf"],
    ["ZADD", "z", "INCR", "-inf", "pinf"],
    ["ZINCRBY", "z", "-inf", "pinf"],
    ["ZINCRBY", "z", "1.5", "a"],
    ["ZINCRBY", "z", "nx", "a"],
    ["ZINCRBY", "z", "x", "a"],
    ["ZINCRBY", "z", "0.1", "a"],
    ["ZINCRBY", "newkey", "0.1", "a"],
    ["ZADD", "xxkey", "XX", "1", "a"],
    ["EXISTS", "xxkey"],
    ["ZADD", "xxkey", "XX", "INCR", "1", "a"],
    ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
    ["ZCARD", "z"],
    ["ZCARD", "nokey"],
]


def test_zadd_options_and_errors(pair):
    for cmd in ZADD_CASES:
        pair.check(*cmd)


def test_zadd_resp3_scores(pair3):
    pair3.check("ZADD", "z", "1.5", "a", "-0", "b")
    pair3.check("ZADD", "z", "INCR", "2", "a")
    pair3.check("ZADD", "z", "NX", "INCR", "2", "a")
    pair3.check("ZINCRBY", "z", "1e300", "a")
    pair3.check("ZSCORE", "z", "a")
    pair3.check("ZSCORE", "z", "missing")
    pair3.check("ZMSCORE", "z", "a", "missing", "b")
    pair3.check("ZMSCORE", "nokey", "a", "b")


def test_wrongtype(pair):
    pair.check("SET", "s", "x")
    for cmd in (["ZADD", "s", "1", "a"], ["ZINCRBY", "s", "1", "a"], ["ZREM", "s", "a"], ["ZCARD", "s"],
                ["ZSCORE", "s", "a"], ["ZMSCORE", "s", "a"], ["ZRANK", "s", "a"], ["ZREVRANK", "s", "a"],
                ["ZCOUNT", "s", "0", "1"], ["ZLEXCOUNT", "s", "-", "+"], ["ZRANGE", "s", "0", "1"],
                ["ZRANGESTORE", "d", "s", "0", "1"], ["ZREVRANGE", "s", "0", "1"],
                ["ZRANGEBYSCORE", "s", "0", "1"], ["ZREVRANGEBYSCORE", "s", "1", "0"],
                ["ZRANGEBYLEX", "s", "-", "+"], ["ZREVRANGEBYLEX", "s", "+", "-"],
                ["ZREMRANGEBYRANK", "s", "0", "1"], ["ZREMRANGEBYSCORE", "s", "0", "1"],
                ["ZREMRANGEBYLEX", "s", "-", "+"], ["ZPOPMIN", "s"], ["ZPOPMAX", "s", "2"],
                ["ZMPOP", "1", "s", "MIN"], ["ZRANDMEMBER", "s"], ["ZRANDMEMBER", "s", "2"],
                ["ZUNION", "1", "s"], ["ZINTER", "1", "s"], ["ZDIFF", "1", "s"],
                ["ZUNIONSTORE", "d", "1", "s"], ["ZINTERSTORE", "d", "1", "s"], ["ZDIFFSTORE", "d", "1", "s"],
                ["ZINTERCARD", "1", "s"], ["ZSCAN", "s", "0"]):
        pair.check(*cmd)
    # error precedence: option/range errors come before the type check
    pair.check("ZCOUNT", "s", "x", "1")
    pair.check("ZRANGE", "s", "0", "1", "LIMIT", "0", "1")
    pair.check("ZADD", "s", "x", "a")
    pair.check("ZPOPMIN", "s", "-1")
    pair.check("ZUNION", "1", "s", "WEIGHTS", "x")
    pair.check("ZSCAN", "s", "x")


def test_arity(pair):
    for cmd in (["ZADD", "z", "1"], ["ZRANK", "z"], ["ZRANK", "z", "a", "WITHSCORE"], ["ZREVRANK", "z", "a", "b"],
                ["ZMSCORE", "z"], ["ZINCRBY", "z", "1"], ["ZRANGESTORE", "d", "z", "0"], ["ZPOPMIN"],
                ["ZMPOP", "1", "z"], ["ZUNION", "1"], ["ZUNIONSTORE", "d", "1"], ["ZSCAN", "z"],
                ["ZCOUNT", "z", "0"], ["ZREMRANGEBYRANK", "z", "0"]):
        pair.check(*cmd)


def test_rem_card_rank(pair):
    _fill(pair, n=5)
    for cmd in (["ZRANK", "z", "m3"], ["ZREVRANK", "z", "m3"], ["ZRANK", "z", "nope"], ["ZRANK", "nokey", "a"],
                ["ZREM", "z", "m0", "nope", "m1"], ["ZREM", "nokey", "a"], ["ZCARD", "z"],
                ["ZREM", "z", "m2", "m3", "m4", "m5"], ["EXISTS", "z"], ["ZCARD", "z"]):
        pair.check(*cmd)


def test_rank_resp3(pair3):
    _fill(pair3, n=3)
    pair3.check("ZRANK", "z", "m1")
    pair3.check("ZRANK", "z", "x")


RANGE_ARGS = [
    ("0", "-1"), ("1", "2"), ("-2", "-1"), ("-100", "100"), ("3", "1"), ("5", "10"), ("-1", "-2"),
    ("0", "0"), ("x", "1"), ("0", "9223372036854775808"),
]
SCORE_ARGS = [
    ("-inf", "+inf"), ("(1", "3"), ("1", "(3"), ("(1", "(1"), ("2", "2"), ("3", "1"), ("a", "1"),
    ("1", "b"), ("(", "5"), ("", "5"), (" 2", "4"), ("2 ", "4"), ("0x2", "4"), ("nan", "1"), ("((1", "2"),
    ("-inf", "-inf"), ("+inf", "+inf"), ("1e400", "-1e400"), ("(-inf", "(+inf"),
]
LEX_ARGS = [
    ("-", "+"), ("[b", "[d"), ("(b", "(d"), ("[b", "(b"), ("[b", "[b"), ("+", "-"), ("-", "-"), ("+", "+"),
    ("[d", "[b"), ("b", "d"), ("[", "+"), ("(", "+"), ("-x", "+"), ("", "+"), ("[a", "+x"), ("[aa", "[c"),
]


@pytest.mark.parametrize("resp3", [False, True])
def test_ranges(pair, resp3):
    if resp3:
        pair.ours.command("HELLO", "3")
        pair.theirs.command("HELLO", "3")
    pair.check("ZADD", "z", "1", "a", "2", "b", "2", "c", "3", "d", "4.5", "e", "-0", "f", "inf", "g")
    pair.check("ZADD", "lex", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e", "0", "aa", "0", "")
    for a, b in RANGE_ARGS:
        pair.check("ZRANGE", "z", a, b)
        pair.check("ZRANGE", "z", a, b, "WITHSCORES")
        pair.check("ZRANGE", "z", a, b, "REV", "WITHSCORES")
        pair.check("ZREVRANGE", "z", a, b, "WITHSCORES")
        pair.check("ZREVRANGE", "z", a, b)
        pair.check("ZRANGE", "nokey", a, b)
    for a, b in SCORE_ARGS:
        pair.check("ZCOUNT", "z", a, b)
        pair.check("ZRANGEBYSCORE", "z", a, b)
        pair.check("ZRANGEBYSCORE", "z", a, b, "WITHSCORES")
        pair.check("ZREVRANGEBYSCORE", "z", b, a, "WITHSCORES")
        pair.check("ZRANGE", "z", a, b, "BYSCORE", "WITHSCORES")
        pair.check("ZRANGE", "z", b, a, "BYSCORE", "REV")
        for off, lim in (("0", "2"), ("1", "-1"), ("-1", "2"), ("2", "0"), ("1", "-5"), ("100", "1")):
            pair.check("ZRANGEBYSCORE", "z", a, b, "LIMIT", off, lim)
            pair.check("ZREVRANGEBYSCORE", "z", b, a, "WITHSCORES", "LIMIT", off, lim)
            pair.check("ZRANGE", "z", b, a, "BYSCORE", "REV", "LIMIT", off, lim)
    for a, b in LEX_ARGS:
        pair.check("ZLEXCOUNT", "lex", a, b)
        pair.check("ZRANGEBYLEX", "lex", a, b)
        pair.check("ZREVRANGEBYLEX", "lex", b, a)
        pair.check("ZRANGE", "lex", a, b, "BYLEX")
        pair.check("ZRANGE", "lex", b, a, "BYLEX", "REV", "LIMIT", "1", "2")
        pair.check("ZRANGEBYLEX", "lex", a, b, "LIMIT", "1", "1")


def test_range_option_errors(pair):
    pair.check("ZADD", "z", "1", "a", "2", "b")
    for cmd in (["ZRANGE", "z", "0", "-1", "LIMIT", "0", "1"], ["ZRANGE", "z", "0", "1", "BYSCORE", "BYLEX"],
                ["ZRANGE", "z", "0", "1", "REV", "REV"], ["ZRANGE", "z", "(1", "5", "BYSCORE", "LIMIT", "0"],
                ["ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES"], ["ZRANGEBYLEX", "z", "-", "+", "WITHSCORES"],
                ["ZRANGE", "z", "0", "1", "LIMIT", "x", "1", "BYSCORE"], ["ZRANGE", "z", "0", "1", "FOO"],
                ["ZREVRANGE", "z", "0", "1", "REV"], ["ZREVRANGE", "z", "0", "1", "BYSCORE"],
                ["ZRANGEBYSCORE", "z", "0", "1", "BYLEX"], ["ZRANGEBYSCORE", "z", "0", "1", "LIMIT", "0", "1", "x"],
                ["ZRANGESTORE", "d", "z", "0", "-1", "WITHSCORES"], ["ZRANGE", "z", "0", "1", "withscores", "rev"],
                ["ZRANGE", "z", "a", "b", "BYLEX"], ["ZRANGE", "z", "a", "b", "BYSCORE"]):
        pair.check(*cmd)


def test_lex_mixed_scores_listpack(pair):
    # Redis scans a listpack linearly: mixed scores give a defined answer there.
    pair.check("ZADD", "z", "3", "a", "1", "b", "2", "c", "1", "d", "5", "aa")
    for a, b in LEX_ARGS:
        pair.check("ZRANGEBYLEX", "z", a, b)
        pair.check("ZREVRANGEBYLEX", "z", b, a)
        pair.check("ZLEXCOUNT", "z", a, b)


def test_rangestore(pair):
    pair.check("ZADD", "z", "1", "a", "2", "b", "3", "c", "-0", "d")
    pair.check("SET", "s", "x")
    for cmd in (["ZRANGESTORE", "d", "z", "0", "-1"], ["ZRANGE", "d", "0", "-1", "WITHSCORES"],
                ["OBJECT", "ENCODING", "d"], ["ZRANGESTORE", "d", "z", "(1", "+inf", "BYSCORE", "LIMIT", "0", "1"],
                ["ZRANGE", "d", "0", "-1", "WITHSCORES"], ["ZRANGESTORE", "d", "z", "+", "-", "BYLEX", "REV"],
                ["ZRANGESTORE", "d", "z", "5", "10"], ["EXISTS", "d"], ["ZRANGESTORE", "d", "nokey", "0", "-1"],
                ["ZRANGESTORE", "s", "z", "0", "-1"], ["TYPE", "s"], ["ZRANGESTORE", "d", "s", "0", "-1"]):
        pair.check(*cmd)


def test_remrange(pair):
    for kind, args in (("RANK", [("0", "1"), ("-1", "-1"), ("5", "1"), ("x", "1"), ("0", "-1")]),
                       ("SCORE", [("(1", "2"), ("-inf", "1"), ("x", "1"), ("3", "1"), ("-inf", "+inf")]),
                       ("LEX", [("[a", "(c"), ("-", "[a"), ("x", "+"), ("+", "-"), ("-", "+")])):
        pair.check("DEL", "z")
        pair.check("ZADD", "z", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e")
        if kind == "SCORE":
            pair.check("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d")
        for a, b in args:
            pair.check(f"ZREMRANGEBY{kind}", "z", a, b)
            pair.check("ZRANGE", "z", "0", "-1", "WITHSCORES")
        pair.check("EXISTS", "z")
        pair.check(f"ZREMRANGEBY{kind}", "nokey", "0", "1")


@pytest.mark.parametrize("resp3", [False, True])
def test_pops(pair, resp3):
    if resp3:
        pair.ours.command("HELLO", "3")
        pair.theirs.command("HELLO", "3")
    _fill(pair, n=6)
    for cmd in (["ZPOPMIN", "z"], ["ZPOPMAX", "z"], ["ZPOPMIN", "z", "2"], ["ZPOPMAX", "z", "1"],
                ["ZPOPMIN", "z", "0"], ["ZPOPMIN", "z", "-1"], ["ZPOPMIN", "z", "x"], ["ZPOPMIN", "z", "1", "2"],
                ["ZPOPMIN", "nokey"], ["ZPOPMIN", "nokey", "3"], ["ZPOPMAX", "z", "10"], ["EXISTS", "z"],
                ["ZPOPMIN", "nokey", "0"]):
        pair.check(*cmd)
    _fill(pair, "z1", 3)
    _fill(pair, "z2", 3)
    for cmd in (["ZMPOP", "2", "nokey", "z2", "MIN"], ["ZMPOP", "2", "z1", "z2", "MAX", "COUNT", "2"],
                ["ZMPOP", "1", "z1", "min", "count", "10"], ["ZMPOP", "1", "z1", "MIN"],
                ["ZMPOP", "0", "z1", "MIN"], ["ZMPOP", "x", "z1", "MIN"], ["ZMPOP", "-1", "z1", "MIN"],
                ["ZMPOP", "1", "z2", "MID"], ["ZMPOP", "1", "z2", "MIN", "COUNT", "0"],
                ["ZMPOP", "1", "z2", "MIN", "COUNT", "x"], ["ZMPOP", "1", "z2", "MIN", "COUNT", "1", "COUNT", "1"],
                ["ZMPOP", "1", "z2", "MIN", "FOO"], ["ZMPOP", "1", "z2", "MIN", "COUNT"], ["ZMPOP", "3", "z2", "MIN"],
                ["ZMPOP", "9223372036854775807", "z2", "MIN"]):
        pair.check(*cmd)


def test_randmember(pair):
    _fill(pair, n=5)
    for cmd in (["ZRANDMEMBER", "z", "5"], ["ZRANDMEMBER", "z", "10"], ["ZRANDMEMBER", "z", "10", "WITHSCORES"]):
        pair.check(*cmd)  # the whole listpack, from its tail
    for cmd in (["ZRANDMEMBER", "nokey"], ["ZRANDMEMBER", "nokey", "3"], ["ZRANDMEMBER", "nokey", "3", "WITHSCORES"],
                ["ZRANDMEMBER", "z", "0"], ["ZRANDMEMBER", "z", "x"], ["ZRANDMEMBER", "z", "1", "FOO"],
                ["ZRANDMEMBER", "z", "1", "WITHSCORES", "x"], ["ZRANDMEMBER", "z", "-9223372036854775808"],
                ["ZRANDMEMBER", "z", "-4611686018427387904", "WITHSCORES"],
                ["ZRANDMEMBER", "z", "4611686018427387904", "WITHSCORES"], ["ZRANDMEMBER", "nokey", "x"]):
        pair.check(*cmd)
    ours, theirs = pair.both("ZRANDMEMBER", "z", "-7")
    assert ours.count(b"\r\n$2\r\n") == theirs.count(b"\r\n$2\r\n") == 7
    ours, theirs = pair.both("ZRANDMEMBER", "z", "3", "WITHSCORES")
    assert ours.startswith(b"*6\r\n") and theirs.startswith(b"*6\r\n")


@pytest.mark.parametrize("resp3", [False, True])
def test_setops(pair, resp3):
    if resp3:
        pair.ours.command("HELLO", "3")
        pair.theirs.command("HELLO", "3")
    pair.check("ZADD", "a", "1", "x", "2", "y", "3", "z", "inf", "i")
    pair.check("ZADD", "b", "10", "y", "20", "z", "30", "w", "-inf", "i")
    pair.check("SADD", "s", "x", "w", "q")
    pair.check("ZADD", "c", "0.1", "x", "0.2", "y", "0.7", "w")
    for op in ("ZUNION", "ZINTER", "ZDIFF"):
        for keys in (["1", "a"], ["2", "a", "b"], ["3", "a", "b", "s"], ["2", "a", "nokey"], ["2", "nokey", "a"],
                     ["3", "c", "a", "b"], ["2", "a", "a"]):
            pair.check(op, *keys)
            pair.check(op, *keys, "WITHSCORES")
            if op != "ZDIFF":
                n = int(keys[0])
                pair.check(op, *keys, "WEIGHTS", *["0.5", "-2", "3"][:n], "WITHSCORES")
                pair.check(op, *keys, "WEIGHTS", *["0", "0", "0"][:n], "WITHSCORES")
                for agg in ("SUM", "MIN", "MAX", "min"):
                    pair.check(op, *keys, "AGGREGATE", agg, "WITHSCORES")
                    pair.check(op, *keys, "WEIGHTS", *["3", "0.1", "7"][:n], "AGGREGATE", agg, "WITHSCORES")
            pair.check(op + "STORE", "dst", *keys)
            pair.check("ZRANGE", "dst", "0", "-1", "WITHSCORES")
            pair.check("OBJECT", "ENCODING", "dst")
    for cmd in (["ZINTERCARD", "2", "a", "b"], ["ZINTERCARD", "3", "a", "b", "s"], ["ZINTERCARD", "2", "a", "b", "LIMIT", "1"],
                ["ZINTERCARD", "2", "a", "b", "LIMIT", "0"], ["ZINTERCARD", "1", "a", "LIMIT", "2"],
                ["ZINTERCARD", "1", "a", "LIMIT", "-1"], ["ZINTERCARD", "1", "a", "LIMIT", "x"],
                ["ZINTERCARD", "2", "a", "nokey"], ["ZINTERCARD", "0", "a"], ["ZINTERCARD", "2", "a"],
                ["ZINTERCARD", "1", "a", "WEIGHTS", "1"], ["ZINTERCARD", "1", "a", "WITHSCORES"],
                ["ZUNION", "0", "a"], ["ZUNION", "-1", "a"], ["ZUNION", "x", "a"], ["ZUNION", "2", "a"],
                ["ZUNION", "1", "a", "WEIGHTS", "1", "2"], ["ZUNION", "1", "a", "WEIGHTS", "x"],
                ["ZUNION", "1", "a", "WEIGHTS"], ["ZUNION", "1", "a", "AGGREGATE", "foo"], ["ZUNION", "1", "a", "AGGREGATE"],
                ["ZUNION", "1", "a", "FOO"], ["ZUNION", "1", "a", "WITHSCORES", "WITHSCORES"],
                ["ZUNIONSTORE", "d", "0", "a"], ["ZUNIONSTORE", "d", "1", "a", "WITHSCORES"],
                ["ZDIFF", "1", "a", "WEIGHTS", "1"], ["ZDIFF", "1", "a", "AGGREGATE", "SUM"],
                ["ZDIFFSTORE", "dst", "2", "a", "a"], ["EXISTS", "dst"], ["ZINTERSTORE", "dst", "2", "a", "nokey"],
                ["ZUNIONSTORE", "a", "2", "a", "b"], ["ZRANGE", "a", "0", "-1", "WITHSCORES"]):
        pair.check(*cmd)


def test_encoding_thresholds(pair):
    members = []
    for i in range(128):
        members += [str(i), f"m{i}"]
    pair.check("ZADD", "z", *members)
    pair.check("OBJECT", "ENCODING", "z")
    pair.check("ZADD", "z", "1", "new")
    pair.check("OBJECT", "ENCODING", "z")
    pair.check("ZREM", "z", "new", "m0")
    pair.check("OBJECT", "ENCODING", "z")
    pair.check("ZADD", "long", "-0", "a", "1", LONG)
    pair.check("OBJECT", "ENCODING", "long")
    pair.check("ZSCORE", "long", "a")
    pair.check("ZADD", "long2", "-0", LONG, "-0", "b")
    pair.check("ZSCORE", "long2", LONG)
    pair.check("ZSCORE", "long2", "b")
    pair.check("ZINCRBY", "long2", "-0", "b")
    pair.check("TYPE", "long2")
    pair.check("ZUNIONSTORE", "u", "1", "z")
    pair.check("OBJECT", "ENCODING", "u")
    pair.check("ZRANGESTORE", "u", "z", "0", "127")
    pair.check("OBJECT", "ENCODING", "u")
    pair.check("ZRANGESTORE", "u", "z", "0", "10")
    pair.check("OBJECT", "ENCODING", "u")
    pair.check("ZINTERSTORE", "u", "1", "long2", "WEIGHTS", "1")
    pair.check("OBJECT", "ENCODING", "u")
    pair.check("ZRANGE", "u", "0", "-1", "WITHSCORES")


def test_scores_text(pair):
    pair.check("ZADD", "z", "0.1", "a", "1e20", "b", "1.5", "c", "123456789012345678", "d", "4503599627370496", "e",
               "5e-324", "f", "-1e-320", "g", "1e15", "h", "-4611686018427387904", "i", "4611686018427387905", "j")
    pair.check("ZRANGE", "z", "0", "-1", "WITHSCORES")
    pair.check("ZSCAN", "z", "0")
    pair.check("ZSCAN", "z", "0", "MATCH", "[a-c]")
    pair.check("ZADD", "z", "1", LONG)
    assert scan_all(pair.ours, "z", "COUNT", "100") == scan_all(pair.theirs, "z", "COUNT", "100")
    assert scan_all(pair.ours, "z", "COUNT", "3") == scan_all(pair.theirs, "z", "COUNT", "3")
    assert scan_all(pair.ours, "z", "MATCH", "*m*") == scan_all(pair.theirs, "z", "MATCH", "*m*")
    for cmd in (["ZSCAN", "z", "x"], ["ZSCAN", "z", "0", "COUNT", "0"], ["ZSCAN", "z", "0", "MATCH"],
                ["ZSCAN", "z", "0", "FOO", "1"], ["ZSCAN", "nokey", "0"], ["ZSCAN", "nokey", "0", "FOO"]):
        pair.check(*cmd)



def test_zscan_big_iteration(pair):
    args = []
    for i in range(300):
        args += [str(i / 7), f"member:{i}"]
    pair.check("ZADD", "big", *args)
    ours = scan_all(pair.ours, "big", "COUNT", "17")
    assert len(ours) == 300
    assert ours == scan_all(pair.theirs, "big")


@pytest.mark.parametrize("resp3", [False, True])
def test_blocking_pops_without_blocking(pair, resp3):
    if resp3:
        pair.ours.command("HELLO", "3")
        pair.theirs.command("HELLO", "3")
    _fill(pair, "z1", 3)
    _fill(pair, "z2", 3)
    pair.check("SET", "s", "x")
    for cmd in (["BZPOPMIN", "nokey", "z2", "0"], ["BZPOPMAX", "z1", "0.01"], ["BZPOPMIN", "z1", "x"],
                ["BZPOPMIN", "z1", "-1"], ["BZPOPMIN", "s", "z1", "0"], ["BZPOPMIN", "nokey", "s", "0"],
                ["BZMPOP", "0", "2", "nokey", "z1", "MIN", "COUNT", "5"], ["BZMPOP", "0", "1", "z2", "MAX"],
                ["BZMPOP", "x", "1", "z2", "MAX"], ["BZMPOP", "0", "0", "z2", "MAX"], ["BZMPOP", "-1", "1", "z2", "MAX"],
                ["BZMPOP", "x", "0", "z2", "MAX"], ["BZMPOP", "0", "1", "z2", "MAX", "COUNT", "0"],
                ["BZMPOP", "0", "1", "s", "MIN"], ["BZPOPMIN", "nokey", "0.01"], ["BZMPOP", "0.01", "1", "nokey", "MIN"],
                ["MULTI"], ["BZPOPMIN", "nokey", "0"], ["BZMPOP", "0", "1", "nokey", "MIN"], ["EXEC"]):
        pair.check(*cmd)


def _events(pair, commands):
    """(event, key) pairs each server publishes on ``__keyevent@0__:*`` while running ``commands``."""
    from tests.resp import RawConnection
    subs = []
    for conn in (pair.ours, pair.theirs):
        conn.command("CONFIG", "SET", "notify-keyspace-events", "KEA")
        host, port = conn.sock.getpeername()[:2]
        sub = RawConnection(host, port)
        sub.command("PSUBSCRIBE", "__keyevent@0__:*")
        subs.append(sub)
    try:
        for cmd in commands:
            pair.check(*cmd)
        result = []
        for sub in subs:
            sub.send(b"*1\r\n$4\r\nPING\r\n")
            events = []
            while True:
                frame = parse(sub.read_reply())
                if frame[0] == b"pong":
                    break
                events.append((frame[2].split(b":", 1)[1], frame[3]))
            result.append(events)
        return result
    finally:
        for conn in (pair.ours, pair.theirs):
            conn.command("CONFIG", "SET", "notify-keyspace-events", "")
        for sub in subs:
            sub.close()


def test_keyspace_events(pair):
    ours, theirs = _events(pair, [
        ["ZADD", "z", "1", "a", "2", "b", "3", "c"], ["ZADD", "z", "1", "a"], ["ZADD", "z", "NX", "5", "a"],
        ["ZADD", "z", "INCR", "1", "a"], ["ZINCRBY", "z", "1", "b"], ["ZREM", "z", "nope"], ["ZREM", "z", "a"],
        ["ZADD", "z", "4", "d", "5", "e"], ["ZREMRANGEBYRANK", "z", "0", "0"], ["ZREMRANGEBYSCORE", "z", "3", "3"],
        ["ZADD", "l", "0", "a", "0", "b"], ["ZREMRANGEBYLEX", "l", "-", "+"], ["ZPOPMIN", "z"], ["ZPOPMAX", "z", "5"],
        ["ZADD", "z", "1", "a", "2", "b"], ["ZRANGESTORE", "d", "z", "0", "-1"], ["ZRANGESTORE", "d", "nokey", "0", "-1"],
        ["ZUNIONSTORE", "u", "1", "z"], ["ZINTERSTORE", "u", "1", "z"], ["ZDIFFSTORE", "u", "1", "z"],
        ["ZDIFFSTORE", "u", "2", "z", "z"], ["ZMPOP", "1", "z", "MIN"], ["BZPOPMAX", "z", "0"],
        ["SETBIT", "b", "3", "1"], ["SETBIT", "b", "3", "1"], ["BITFIELD", "b", "GET", "u8", "0"],
        ["BITFIELD", "b", "INCRBY", "u8", "0", "1"], ["BITOP", "NOT", "b2", "b"], ["BITOP", "AND", "b2", "nokey"],
        ["PFADD", "h", "a"], ["PFADD", "h", "a"], ["PFCOUNT", "h"], ["PFMERGE", "h2", "h"],
        ["BITFIELD", "nb", "OVERFLOW", "FAIL", "SET", "u8", "0", "999"], ["EXISTS", "nb"],
        ["BITFIELD", "nb", "SET", "u8", "0", "0"], ["BITFIELD", "nb", "SET", "u8", "0", "7"],
        ["BITFIELD", "nb", "SET", "u8", "100", "0"], ["SETBIT", "nb", "0", "0"], ["SETBIT", "nb", "5000", "0"],
    ])
    assert "\n".join(map(repr, ours)) == "\n".join(map(repr, theirs))


def test_more_resp3_reply_types(pair3):
    _fill(pair3, n=3)
    pair3.check("ZRANDMEMBER", "z", "5", "WITHSCORES")
    pair3.check("ZRANDMEMBER", "nokey")
    pair3.check("ZRANDMEMBER", "nokey", "2", "WITHSCORES")
    pair3.check("ZSCAN", "z", "0")
    pair3.check("ZRANGESTORE", "d", "z", "0", "-1")
    pair3.check("ZINTERCARD", "1", "z")
    pair3.check("BZPOPMIN", "z", "0")
    pair3.check("BZMPOP", "0", "1", "z", "MAX", "COUNT", "9")
    pair3.check("BZMPOP", "0.01", "1", "z", "MAX")
    pair3.check("BZPOPMAX", "z", "0.01")
    pair3.check("BITFIELD", "b", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "9", "GET", "u2", "0")
    pair3.check("PFADD", "h", "a")
    pair3.check("PFCOUNT", "h", "nokey")
