"""Change counting (INFO persistence rdb_changes_since_last_save) per write command, against redis-server.

Redis adds one change per element for many commands (LPUSH of three values is
three changes, SREM counts the members removed, ZADD added plus updated,
PFADD the registers raised...) and none for deleting a key a pop emptied.
Save points fire on this count, so it has to agree.
"""
from __future__ import annotations

import re

import pytest

from .conftest import Pair

pytestmark = pytest.mark.differential

CASES: list[tuple[list[tuple], tuple]] = [
    ([], ("SET", "k", "v")),
    ([("SET", "k", "v")], ("SETNX", "k", "v")),
    ([], ("SETEX", "k", "10", "v")),
    ([], ("PSETEX", "k", "10000", "v")),
    ([], ("SET", "k", "v", "EX", "10")),
    ([("SET", "k", "v")], ("GETSET", "k", "w")),
    ([("SET", "k", "v")], ("GETDEL", "k")),
    ([("SET", "k", "v")], ("GETEX", "k", "EX", "10")),
    ([("SET", "k", "v")], ("GETEX", "k", "PERSIST")),
    ([("SET", "k", "v")], ("APPEND", "k", "xyz")),
    ([("SET", "k", "v")], ("SETRANGE", "k", "3", "xyz")),
    ([], ("INCR", "n")), ([], ("INCRBY", "n", "5")), ([], ("INCRBYFLOAT", "n", "1.5")),
    ([], ("DECR", "n")), ([], ("DECRBY", "n", "5")),
    ([], ("MSET", "a", "1", "b", "2", "c", "3")),
    ([], ("MSETNX", "a", "1", "b", "2", "c", "3")),
    ([], ("SETBIT", "bm", "7", "1")),
    ([("SETBIT", "bm", "7", "1")], ("SETBIT", "bm", "7", "1")),
    ([], ("BITFIELD", "bf", "SET", "u8", "0", "1", "SET", "u8", "8", "2", "INCRBY", "u8", "0", "1")),
    ([("SET", "x", "a"), ("SET", "y", "b")], ("BITOP", "OR", "d", "x", "y")),
    ([("MSET", "a", "1", "b", "2", "c", "3")], ("DEL", "a", "b", "c", "z")),
    ([("MSET", "a", "1", "b", "2", "c", "3")], ("UNLINK", "a", "b", "z")),
    ([("SET", "k", "v")], ("EXPIRE", "k", "100")),
    ([("SET", "k", "v")], ("PEXPIRE", "k", "100000")),
    ([("SET", "k", "v"), ("EXPIRE", "k", "100")], ("PERSIST", "k")),
    ([("SET", "k", "v")], ("RENAME", "k", "k2")),
    ([("SET", "k", "v")], ("RENAMENX", "k", "k2")),
    ([("SET", "k", "v")], ("COPY", "k", "k2")),
    ([("SET", "k", "v")], ("MOVE", "k", "1")),
    ([("MSET", "a", "1", "b", "2")], ("FLUSHDB",)),
    ([], ("LPUSH", "l", "a", "b", "c")), ([], ("RPUSH", "l", "a", "b", "c")),
    ([("RPUSH", "l", "a")], ("LPUSHX", "l", "a", "b")), ([("RPUSH", "l", "a")], ("RPUSHX", "l", "a", "b")),
    ([("RPUSH", "l", "a", "b", "c")], ("LPOP", "l")),
    ([("RPUSH", "l", "a", "b", "c")], ("LPOP", "l", "2")),
    ([("RPUSH", "l", "a", "b", "c")], ("RPOP", "l", "5")),
    ([("RPUSH", "l", "a", "b", "c")], ("LSET", "l", "0", "x")),
    ([("RPUSH", "l", "a", "b", "c")], ("LINSERT", "l", "BEFORE", "b", "x")),
    ([("RPUSH", "l", "a", "b", "a", "a")], ("LREM", "l", "0", "a")),
    ([("RPUSH", "l", "a", "b", "c", "d")], ("LTRIM", "l", "1", "1")),
    ([("RPUSH", "l", "a", "b", "c")], ("RPOPLPUSH", "l", "l2")),
    ([("RPUSH", "l", "a", "b", "c")], ("LMOVE", "l", "l2", "LEFT", "RIGHT")),
    ([("RPUSH", "l", "a", "b", "c")], ("LMPOP", "1", "l", "LEFT", "COUNT", "2")),
    ([("HSET", "h", "f", "1")], ("HSET", "h", "f", "2", "g", "3", "i", "4")),
    ([], ("HSETNX", "h", "f", "1")),
    ([("HSET", "h", "f", "1")], ("HMSET", "h", "f", "2", "g", "3")),
    ([("HSET", "h", "f", "1", "g", "2", "i", "3")], ("HDEL", "h", "f", "g", "z")),
    ([], ("HINCRBY", "h", "f", "2")), ([], ("HINCRBYFLOAT", "h", "f", "2.5")),
    ([("SADD", "s", "a")], ("SADD", "s", "a", "b", "c")),
    ([("SADD", "s", "a", "b", "c")], ("SREM", "s", "a", "b", "z")),
    ([("SADD", "s", "a", "b", "c")], ("SPOP", "s")),
    ([("SADD", "s", "a", "b", "c")], ("SPOP", "s", "2")),
    ([("SADD", "s", "a", "b", "c")], ("SPOP", "s", "5")),
    ([("SADD", "s", "a", "b", "c")], ("SMOVE", "s", "t", "a")),
    ([("SADD", "s", "a", "b"), ("SADD", "t", "b", "c")], ("SINTERSTORE", "d", "s", "t")),
    ([("SADD", "s", "a", "b"), ("SADD", "t", "b", "c")], ("SUNIONSTORE", "d", "s", "t")),
    ([("SADD", "s", "a", "b"), ("SADD", "t", "b", "c")], ("SDIFFSTORE", "d", "s", "t")),
    ([("ZADD", "z", "1", "a", "2", "b")], ("ZADD", "z", "1", "a", "3", "b", "4", "c", "5", "d")),
    ([("ZADD", "z", "1", "a")], ("ZADD", "z", "INCR", "2", "a")),
    ([("ZADD", "z", "1", "a")], ("ZADD", "z", "CH", "1", "a", "2", "b")),
    ([("ZADD", "z", "1", "a")], ("ZADD", "z", "NX", "1", "a", "2", "b")),
    ([("ZADD", "z", "1", "a")], ("ZINCRBY", "z", "2", "a")),
    ([("ZADD", "z", "1", "a", "2", "b", "3", "c")], ("ZREM", "z", "a", "b", "q")),
    ([("ZADD", "z", "1", "a", "2", "b", "3", "c")], ("ZPOPMIN", "z", "2")),
    ([("ZADD", "z", "1", "a", "2", "b", "3", "c")], ("ZPOPMAX", "z")),
    ([("ZADD", "z", "1", "a", "2", "b", "3", "c")], ("ZREMRANGEBYSCORE", "z", "1", "2")),
    ([("ZADD", "z", "1", "a", "2", "b", "3", "c")], ("ZREMRANGEBYRANK", "z", "0", "1")),
    ([("ZADD", "z", "0", "a", "0", "b", "0", "c")], ("ZREMRANGEBYLEX", "z", "[a", "[b")),
    ([("ZADD", "z", "1", "a", "2", "b")], ("ZUNIONSTORE", "d", "1", "z")),
    ([("ZADD", "z", "1", "a", "2", "b")], ("ZINTERSTORE", "d", "1", "z")),
    ([("ZADD", "z", "1", "a", "2", "b")], ("ZDIFFSTORE", "d", "1", "z")),
    ([("ZADD", "z", "1", "a", "2", "b")], ("ZRANGESTORE", "d", "z", "0", "-1")),
    ([("ZADD", "z", "1", "a", "2", "b", "3", "c")], ("ZMPOP", "1", "z", "MIN", "COUNT", "2")),
    ([], ("PFADD", "p", "a", "b", "c")),
    ([("PFADD", "p", "a")], ("PFADD", "p", "a")),
    ([("PFADD", "p", "a"), ("PFADD", "q", "b")], ("PFMERGE", "d", "p", "q")),
    ([("RPUSH", "l", "3", "1", "2")], ("SORT", "l", "STORE", "d")),
    ([("SET", "k", "v")], ("EXPIRE", "k", "0")),
    ([("SET", "k", "v")], ("DEL", "k")),
    ([("SET", "k", "v")], ("SWAPDB", "0", "1")),
    # no-ops, emptied keys, replaced destinations
    ([("SET", "bf", "a")], ("BITFIELD", "bf", "SET", "u8", "0", "97", "SET", "u8", "8", "1")),
    ([("SET", "bf", "a")], ("BITFIELD", "bf", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "200", "INCRBY", "u8", "0", "1")),
    ([("RPUSH", "l", "a", "b")], ("LTRIM", "l", "0", "-1")),
    ([("RPUSH", "l", "a", "b")], ("LTRIM", "l", "5", "6")),
    ([], ("SORT", "nol", "STORE", "d")),
    ([("SET", "d", "x")], ("SORT", "nol", "STORE", "d")),
    ([], ("PFADD", "p")),
    ([("PFADD", "p", "a")], ("PFADD", "p", "b", "c")),
    ([("RPUSH", "l", "a")], ("RPOPLPUSH", "l", "l2")),
    ([("RPUSH", "l", "a")], ("RPOPLPUSH", "l", "l")),
    ([("RPUSH", "l", "a", "b")], ("LMOVE", "l", "l", "LEFT", "RIGHT")),
    ([("RPUSH", "l", "a")], ("LPOP", "l")),
    ([("HSET", "h", "f", "1")], ("HDEL", "h", "f")),
    ([("SADD", "s", "a")], ("SMOVE", "s", "t", "a")),
    ([("SADD", "s", "a"), ("SADD", "t", "a")], ("SMOVE", "s", "t", "a")),
    ([("SADD", "s", "a")], ("SPOP", "s", "0")),
    ([("SADD", "s", "a")], ("SREM", "s", "a")),
    ([("ZADD", "z", "1", "a")], ("ZREM", "z", "a")),
    ([("ZADD", "z", "1", "a")], ("ZADD", "z", "XX", "1", "a")),
    ([("ZADD", "z", "1", "a")], ("ZADD", "z", "GT", "CH", "0", "a", "5", "b")),
    ([("ZADD", "z", "1", "a")], ("ZPOPMIN", "z", "5")),
    ([("ZADD", "z", "1", "a")], ("ZUNIONSTORE", "d", "1", "nosuch")),
    ([("ZADD", "d", "1", "a")], ("ZUNIONSTORE", "d", "1", "nosuch")),
    ([("SADD", "d", "a")], ("SINTERSTORE", "d", "nosuch")),
    ([("HSET", "h", "f", "1")], ("HSET", "h", "f", "1")),
    ([("SET", "k", "abc")], ("SETRANGE", "k", "0", "abc")),
    ([("SET", "k", "abc")], ("APPEND", "k", "")),
    ([("SET", "k", "abc")], ("SETRANGE", "k", "0", "")),
    ([], ("SETRANGE", "k", "0", "")),
    ([("SET", "k", "5")], ("INCRBY", "k", "0")),
    ([("RPUSH", "l", "a")], ("LSET", "l", "0", "a")),
    ([("RPUSH", "l", "a", "b")], ("LREM", "l", "0", "z")),
    ([("SET", "k", "v")], ("RESTORE", "k2", "0", b"\x00\x01v\n\x00\xe6\x9e\x1a\xa2\x88\xdd\x9c\x98", "REPLACE")),
]


def _dirty(conn) -> int:
    info = conn.command("INFO", "persistence").decode()
    return int(re.search(r"rdb_changes_since_last_save:(\d+)", info).group(1))


def _delta(conn, setup: list[tuple], cmd: tuple) -> int:
    conn.command("FLUSHALL")
    for args in setup:
        conn.command(*args)
    before = _dirty(conn)
    conn.command(*cmd)
    return _dirty(conn) - before


def test_changes_per_write_command_agree(pair: Pair) -> None:
    mismatches = []
    for setup, cmd in CASES:
        ours, theirs = _delta(pair.ours, setup, cmd), _delta(pair.theirs, setup, cmd)
        if ours != theirs:
            mismatches.append((cmd, ours, theirs))
    pair.ours.command("FLUSHALL")
    pair.theirs.command("FLUSHALL")
    assert mismatches == [], "(command, damselfly, redis)"
