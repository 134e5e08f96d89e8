"""List commands (blocking forms included, without a waiting client) against redis-server."""
from __future__ import annotations

import pytest

from .conftest import Pair

WRONGTYPE = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"


def test_push_pop_and_lengths(pair: Pair) -> None:
    pair.check_all([
        ("LPUSH", "l", "a", "b", "c"), ("RPUSH", "l", "x", "y"), ("LRANGE", "l", "0", "-1"),
        ("LLEN", "l"), ("LLEN", "nokey"),
        ("LPUSHX", "nokey", "a"), ("RPUSHX", "nokey", "a", "b"), ("EXISTS", "nokey"),
        ("LPUSHX", "l", "p", "q"), ("RPUSHX", "l", "r"), ("LRANGE", "l", "0", "-1"),
        ("LPOP", "l"), ("RPOP", "l"), ("LPOP", "l", "2"), ("RPOP", "l", "2"), ("LRANGE", "l", "0", "-1"),
        ("LPOP", "l", "0"), ("RPOP", "l", "100"), ("EXISTS", "l"),
        ("LPOP", "nokey"), ("LPOP", "nokey", "0"), ("LPOP", "nokey", "3"), ("RPOP", "nokey", "1"),
        ("LPOP", "l", "-1"), ("LPOP", "l", "x"), ("LPOP", "nokey", "-1"), ("LPOP", "l", "1", "2"),
        ("RPOP", "nokey", "1", "2"), ("LPOP", "l", "9223372036854775807"),
    ])


def test_pop_replies_resp3(pair3: Pair) -> None:
    pair3.check_all([
        ("LPOP", "nokey"), ("LPOP", "nokey", "2"), ("RPUSH", "l", "a"), ("LPOP", "l", "0"),
        ("RPOP", "l", "5"), ("LMPOP", "1", "nokey", "LEFT"), ("LPOS", "nokey", "a"),
        ("LPOS", "nokey", "a", "COUNT", "0"), ("LINDEX", "nokey", "0"), ("LMOVE", "nokey", "d", "LEFT", "LEFT"),
        ("BLPOP", "nokey", "0.01"), ("BLMOVE", "nokey", "d", "LEFT", "LEFT", "0.01"),
        ("BLMPOP", "0.01", "1", "nokey", "RIGHT"), ("BRPOPLPUSH", "nokey", "d", "0.01"),
    ])


def test_wrongtype_everywhere(pair: Pair) -> None:
    pair.check("SET", "s", "x")
    pair.check("RPUSH", "l", "a")
    for cmd in [("LPUSH", "s", "a"), ("RPUSH", "s", "a"), ("LPUSHX", "s", "a"), ("RPUSHX", "s", "a"),
                ("LPOP", "s"), ("RPOP", "s", "0"), ("LLEN", "s"), ("LINDEX", "s", "0"), ("LSET", "s", "0", "a"),
                ("LRANGE", "s", "0", "1"), ("LTRIM", "s", "0", "1"), ("LREM", "s", "0", "a"),
                ("LINSERT", "s", "BEFORE", "a", "b"), ("LPOS", "s", "a"), ("LMOVE", "s", "l", "LEFT", "LEFT"),
                ("LMOVE", "l", "s", "LEFT", "LEFT"), ("RPOPLPUSH", "s", "l"), ("RPOPLPUSH", "l", "s"),
                ("LMPOP", "2", "nokey", "s", "LEFT"), ("BLPOP", "s", "0"), ("BRPOP", "nokey", "s", "0"),
                ("BLMOVE", "s", "l", "LEFT", "LEFT", "0"), ("BLMOVE", "l", "s", "LEFT", "LEFT", "0"),
                ("BRPOPLPUSH", "s", "l", "0"), ("BLMPOP", "0", "1", "s", "LEFT")]:
        assert pair.check(*cmd) == WRONGTYPE, cmd
    pair.check_all([
        ("LRANGE", "l", "0", "-1"),
        # argument errors Redis reports before the type
        ("LPOP", "s", "-1"), ("LRANGE", "s", "x", "1"), ("LTRIM", "s", "0", "x"), ("LREM", "s", "x", "a"),
        ("LINSERT", "s", "MIDDLE", "a", "b"), ("LPOS", "s", "a", "RANK", "0"), ("LMOVE", "s", "l", "UP", "LEFT"),
        ("BLPOP", "s", "x"), ("LMPOP", "1", "s", "MIDDLE"),
        # and after it
        ("LINDEX", "s", "x"), ("LSET", "s", "x", "a"),
        # the first non-empty list wins before a later wrong type is seen
        ("LMPOP", "2", "l", "s", "LEFT"), ("RPUSH", "l", "a"), ("BLPOP", "l", "s", "0"),
    ])


@pytest.mark.parametrize("start,stop", [
    (0, -1), (0, 0), (1, 2), (-2, -1), (-100, 100), (5, 2), (3, 3), (10, 20), (-1, -2),
    (-3, 2), (0, -5), (-6, -5), (2, 9223372036854775807), ("-9223372036854775808", 1),
])
def test_lrange_and_ltrim_ranges(pair: Pair, start: int | str, stop: int | str) -> None:
    pair.check("RPUSH", "l", "a", "b", "c", "d", "e")
    pair.check("LRANGE", "l", start, stop)
    pair.check("LTRIM", "l", start, stop)
    pair.check("LRANGE", "l", "0", "-1")
    pair.check("EXISTS", "l")


def test_lrange_ltrim_errors_and_missing(pair: Pair) -> None:
    pair.check_all([
        ("LRANGE", "nokey", "0", "-1"), ("LRANGE", "nokey", "x", "1"), ("LRANGE", "nokey", "0", "9223372036854775808"),
        ("LTRIM", "nokey", "0", "1"), ("LTRIM", "nokey", "x", "1"), ("EXISTS", "nokey"),
    ])


def test_lindex_lset(pair: Pair) -> None:
    pair.check("RPUSH", "l", *[str(i) for i in range(300)])
    for index in ["0", "1", "-1", "-300", "-301", "299", "300", "150", "x", "9223372036854775807"]:
        pair.check("LINDEX", "l", index)
    pair.check_all([
        ("LINDEX", "nokey", "0"), ("LINDEX", "nokey", "x"),
        ("LSET", "l", "0", "first"), ("LSET", "l", "-1", "last"), ("LSET", "l", "150", "mid"),
        ("LSET", "l", "300", "x"), ("LSET", "l", "-301", "x"), ("LSET", "l", "x", "x"),
        ("LSET", "nokey", "0", "x"), ("LSET", "nokey", "x", "x"),
        ("LINDEX", "l", "0"), ("LINDEX", "l", "-1"), ("LINDEX", "l", "150"),
    ])


@pytest.mark.parametrize("count", ["0", "1", "2", "-1", "-2", "100", "-100"])
def test_lrem(pair: Pair, count: str) -> None:
    pair.check("RPUSH", "l", "a", "b", "a", "c", "a", "b", "a")
    pair.check("LREM", "l", count, "a")
    pair.check("LRANGE", "l", "0", "-1")
    pair.check("LREM", "l", "0", "b")
    pair.check("LREM", "l", "0", "c")
    pair.check("LRANGE", "l", "0", "-1")
    pair.check("EXISTS", "l")


def test_lrem_edge_cases(pair: Pair) -> None:
    pair.check_all([
        ("LREM", "nokey", "0", "a"), ("LREM", "nokey", "x", "a"), ("RPUSH", "l", "a"),
        ("LREM", "l", "1", "zz"), ("LREM", "l", "x", "a"), ("LREM", "l", "-1", "a"), ("EXISTS", "l"),
    ])


def test_linsert(pair: Pair) -> None:
    pair.check_all([
        ("LINSERT", "nokey", "BEFORE", "a", "x"), ("LINSERT", "nokey", "MIDDLE", "a", "x"), ("EXISTS", "nokey"),
        ("RPUSH", "l", "a", "b", "a"),
        ("LINSERT", "l", "BEFORE", "a", "x"), ("LINSERT", "l", "after", "a", "y"),
        ("LINSERT", "l", "AFTER", "b", "z"), ("LINSERT", "l", "before", "zz", "q"),
        ("LINSERT", "l", "MIDDLE", "a", "q"), ("LRANGE", "l", "0", "-1"),
    ])


def test_lpos(pair: Pair) -> None:
    pair.check("RPUSH", "l", "a", "b", "c", "a", "b", "c", "a")
    for args in [(), ("RANK", "1"), ("RANK", "2"), ("RANK", "-1"), ("RANK", "-3"), ("RANK", "4"),
                 ("COUNT", "0"), ("COUNT", "2"), ("RANK", "2", "COUNT", "0"), ("RANK", "-2", "COUNT", "2"),
                 ("MAXLEN", "1"), ("MAXLEN", "4"), ("RANK", "2", "MAXLEN", "4"), ("RANK", "-1", "MAXLEN", "1"),
                 ("COUNT", "0", "MAXLEN", "5"), ("RANK", "-9223372036854775807"), ("RANK", "-9223372036854775808"),
                 ("RANK", "9223372036854775807"), ("RANK", "-9223372036854775808", "COUNT", "2"),
                 ("RANK", "0"), ("RANK", "x"), ("COUNT", "-1"), ("COUNT", "x"), ("MAXLEN", "-1"),
                 ("MAXLEN", "x"), ("FOO",), ("RANK",), ("COUNT", "1", "RANK")]:
        pair.check("LPOS", "l", "a", *args)
    pair.check_all([
        ("LPOS", "l", "zz"), ("LPOS", "l", "zz", "COUNT", "3"),
        ("LPOS", "nokey", "a"), ("LPOS", "nokey", "a", "COUNT", "1"), ("LPOS", "nokey", "a", "RANK", "0"),
    ])


def test_lmove_and_rpoplpush(pair: Pair) -> None:
    pair.check_all([
        ("LMOVE", "nokey", "d", "LEFT", "LEFT"), ("EXISTS", "d"),
        ("RPUSH", "s", "a", "b", "c"),
        ("LMOVE", "s", "d", "LEFT", "RIGHT"), ("LMOVE", "s", "d", "right", "left"),
        ("LRANGE", "s", "0", "-1"), ("LRANGE", "d", "0", "-1"),
        ("RPOPLPUSH", "s", "d"), ("EXISTS", "s"), ("LRANGE", "d", "0", "-1"),
        ("LMOVE", "d", "d", "LEFT", "RIGHT"), ("LRANGE", "d", "0", "-1"),
        ("RPOPLPUSH", "d", "d"), ("LRANGE", "d", "0", "-1"),
        ("LMOVE", "d", "d", "UP", "LEFT"), ("LMOVE", "d", "d", "LEFT", "UP"),
        ("RPUSH", "one", "x"), ("LMOVE", "one", "one", "LEFT", "LEFT"), ("LRANGE", "one", "0", "-1"),
    ])


def test_lmpop(pair: Pair) -> None:
    pair.check_all([
        ("RPUSH", "a", "1", "2", "3"), ("RPUSH", "b", "x"),
        ("LMPOP", "2", "nokey", "a", "LEFT"), ("LMPOP", "2", "nokey", "a", "RIGHT", "COUNT", "5"),
        ("LMPOP", "2", "a", "b", "left", "count", "1"), ("LMPOP", "1", "nokey", "LEFT"),
        ("LMPOP", "0", "a", "LEFT"), ("LMPOP", "-1", "a", "LEFT"), ("LMPOP", "x", "a", "LEFT"),
        ("LMPOP", "1", "a"), ("LMPOP", "2", "a", "LEFT"), ("LMPOP", "3", "a", "LEFT"),
        ("LMPOP", "1", "a", "MIDDLE"), ("LMPOP", "1", "a", "LEFT", "COUNT"), ("LMPOP", "1", "a", "LEFT", "COUNT", "0"),
        ("LMPOP", "1", "a", "LEFT", "COUNT", "-1"), ("LMPOP", "1", "a", "LEFT", "COUNT", "x"),
        ("LMPOP", "1", "a", "LEFT", "COUNT", "1", "COUNT", "1"), ("LMPOP", "1", "a", "LEFT", "FOO"),
        ("LMPOP", "9223372036854775807", "a", "LEFT"), ("EXISTS", "a", "b"),
    ])


def test_blocking_forms_do_not_block_when_data_is_there(pair: Pair) -> None:
    pair.check_all([
        ("RPUSH", "a", "1", "2", "3"), ("RPUSH", "b", "x", "y"),
        ("BLPOP", "nokey", "a", "b", "0"), ("BRPOP", "b", "a", "0"), ("BLPOP", "a", "a", "0"),
        ("BLMPOP", "0", "2", "nokey", "a", "RIGHT", "COUNT", "9"), ("BRPOPLPUSH", "b", "c", "0"),
        ("BLMOVE", "c", "b", "LEFT", "RIGHT", "0"), ("LRANGE", "b", "0", "-1"), ("EXISTS", "a", "c"),
    ])


def test_blocking_argument_errors(pair: Pair) -> None:
    for timeout in ["x", "-1", "-0.002", "-0.0015", "1e16", "inf", "-inf", "nan", " 1", "1 ", "", "1e5000",
                    "snan", "+", "0x", "1e"]:
        pair.check("BLPOP", "nokey", timeout)
        pair.check("BRPOPLPUSH", "nokey", "d", timeout)
    pair.check_all([
        ("BLMPOP", "x", "1", "nokey", "LEFT"), ("BLMPOP", "-1", "1", "nokey", "LEFT"),
        ("BLMPOP", "0", "0", "nokey", "LEFT"), ("BLMPOP", "-1", "0", "nokey", "LEFT"),
        ("BLMPOP", "x", "0", "nokey", "LEFT"), ("BLMPOP", "x", "1", "nokey", "MIDDLE"),
        ("BLMPOP", "0", "1", "nokey", "LEFT", "COUNT", "0"), ("BLMPOP", "0", "1", "nokey"),
        ("BLMPOP", "0", "2", "nokey", "LEFT"),
        ("BLMOVE", "nokey", "d", "LEFT", "MIDDLE", "x"), ("BLMOVE", "nokey", "d", "MIDDLE", "LEFT", "x"),
        ("BLMOVE", "nokey", "d", "LEFT", "LEFT", "x"), ("BLPOP", "nokey"), ("BLMOVE", "a", "b", "LEFT", "LEFT"),
    ])


@pytest.mark.parametrize("timeout", ["0.01", "0.0001", "1e-400", "0x1p-6", ".02", "+0.01", "0.010"])
def test_blocking_timeouts_reply_null(pair: Pair, timeout: str) -> None:
    pair.check("BLPOP", "nokey", timeout)
    pair.check("BRPOP", "nokey", "other", timeout)
    pair.check("BLMOVE", "nokey", "d", "LEFT", "LEFT", timeout)
    pair.check("BRPOPLPUSH", "nokey", "d", timeout)
    pair.check("BLMPOP", timeout, "1", "nokey", "LEFT")
    pair.check("EXISTS", "d")


@pytest.mark.parametrize("resp", [2, 3])
def test_blocking_commands_inside_multi_do_not_block(pair: Pair, resp: int) -> None:
    if resp == 3:
        pair.both("HELLO", "3")  # client ids differ: not compared
    pair.check_all([
        ("MULTI",), ("BLPOP", "nokey", "0"), ("BRPOP", "nokey", "0"),
        ("BLMOVE", "nokey", "d", "LEFT", "LEFT", "0"), ("BRPOPLPUSH", "nokey", "d", "0"),
        ("BLMPOP", "0", "1", "nokey", "LEFT"), ("BLPOP", "nokey", "x"), ("EXEC",),
        ("RPUSH", "k", "v"), ("MULTI",), ("BLPOP", "k", "0"), ("BLMOVE", "nokey", "d", "LEFT", "LEFT", "0"),
        ("RPUSH", "k", "w"), ("BRPOPLPUSH", "k", "d", "0"), ("EXEC",), ("LRANGE", "d", "0", "-1"),
    ])


def test_type_and_encoding(pair: Pair) -> None:
    pair.check_all([
        ("RPUSH", "l", "a"), ("TYPE", "l"), ("OBJECT", "ENCODING", "l"),
        ("RPUSH", "big", *["x" * 100] * 200), ("OBJECT", "ENCODING", "big"),
    ])


def test_emptied_list_loses_its_ttl(pair: Pair) -> None:
    pair.check_all([
        ("RPUSH", "l", "a"), ("EXPIRE", "l", "100"), ("RPUSH", "l", "b"), ("TTL", "l"),
        ("LPOP", "l", "2"), ("RPUSH", "l", "c"), ("TTL", "l"),
    ])


@pytest.mark.parametrize("grow", [
    ("RPUSH", "l", *["v"] * 200), ("LPUSH", "l", *[str(i) for i in range(200)]),
])
def test_long_lists_keep_ttl_and_order(pair: Pair, grow: tuple) -> None:
    pair.check_all([
        ("RPUSH", "l", "a", "b"), ("EXPIRE", "l", "100"), grow, ("TTL", "l"), ("LLEN", "l"),
        ("LRANGE", "l", "0", "4"), ("LRANGE", "l", "-3", "-1"), ("LINDEX", "l", "100"),
        ("LPOP", "l", "150"), ("RPOP", "l", "3"), ("LRANGE", "l", "0", "-1"), ("TTL", "l"),
    ])


def test_lists_growing_past_the_short_form_through_every_command(pair: Pair) -> None:
    pair.check("RPUSH", "src", *[str(i) for i in range(130)])
    pair.check("RPUSH", "dst", *[str(i) for i in range(128)])
    pair.check("EXPIRE", "dst", "100")
    pair.check_all([
        ("LMOVE", "src", "dst", "LEFT", "LEFT"), ("TTL", "dst"), ("LLEN", "dst"), ("LINDEX", "dst", "0"),
        ("RPUSH", "ins", *["x"] * 128), ("LINSERT", "ins", "AFTER", "x", "y"), ("LRANGE", "ins", "0", "2"),
        ("LPOS", "ins", "y"), ("LREM", "ins", "-100", "x"), ("LLEN", "ins"), ("LTRIM", "ins", "1", "5"),
        ("LRANGE", "ins", "0", "-1"), ("LSET", "ins", "-1", "z"), ("LRANGE", "ins", "0", "-1"),
    ])


def test_client_unblock_arguments(pair: Pair) -> None:
    pair.check_all([
        ("CLIENT", "UNBLOCK", "999999"), ("CLIENT", "UNBLOCK", "999999", "TIMEOUT"),
        ("CLIENT", "UNBLOCK", "999999", "error"), ("CLIENT", "UNBLOCK", "1", "FOO"), ("CLIENT", "UNBLOCK", "x", "FOO"),
        ("CLIENT", "UNBLOCK", "x"), ("CLIENT", "UNBLOCK", "-1"), ("CLIENT", "UNBLOCK", "1", "error", "extra"),
        ("CLIENT", "unblock", "1", "error", "extra"), ("CLIENT", "UNBLOCK"),
    ])


def test_client_unblock_of_a_client_that_is_not_blocked(pair: Pair) -> None:
    for conn in (pair.ours, pair.theirs):
        own_id = conn.command("CLIENT", "ID")[1:-2]
        assert conn.command("CLIENT", "UNBLOCK", own_id) == b":0\r\n"


def test_resp3_nested_replies(pair3: Pair) -> None:
    pair3.check_all([
        ("RPUSH", "l", "a", "b", "c"), ("LMPOP", "1", "l", "LEFT", "COUNT", "2"), ("BLMPOP", "0", "1", "l", "RIGHT"),
        ("RPUSH", "l", "x"), ("BLPOP", "l", "0"), ("LPOS", "nokey", "a", "COUNT", "2"), ("LRANGE", "nokey", "0", "-1"),
    ])
