"""Generic key commands against redis-server: identical raw replies, errors included.

Replies whose order Redis leaves undefined (KEYS, a SCAN reply) are compared
sorted; full SCAN iterations are compared as sets, since cursors are each
server's own. Expiry is checked with absolute deadlines in the far future
or TTLs of hundreds of seconds, never with short sleeps.
"""
from __future__ import annotations

import pytest

from .test_strings import FAR, FAR_MS, I64_MAX, I64_MIN, check

CASES: dict[str, list[list[str]]] = {
    "del_unlink_exists": [
        ["MSET", "a", "1", "b", "2", "c", "3"], ["EXISTS", "a"], ["EXISTS", "a", "a", "b", "nope", "a"],
        ["DEL", "a", "a", "nope"], ["EXISTS", "a"], ["UNLINK", "b", "c", "b"], ["EXISTS", "b", "c"],
        ["DEL", "nope"], ["UNLINK", "nope"], ["LPUSH", "l", "x"], ["HSET", "h", "f", "v"],
        ["EXISTS", "l", "h"], ["DEL", "l", "h"], ["DBSIZE"],
    ],
    "type": [
        ["SET", "s", "v"], ["LPUSH", "l", "a"], ["HSET", "h", "f", "v"], ["SADD", "st", "m"],
        ["ZADD", "z", "1", "m"], ["TYPE", "s"], ["TYPE", "l"], ["TYPE", "h"], ["TYPE", "st"], ["TYPE", "z"],
        ["TYPE", "nope"], ["TYPE", ""],
    ],
    "rename": [
        ["RENAME", "nope", "x"], ["RENAMENX", "nope", "x"], ["RENAME", "nope", "nope"],
        ["SET", "k", "v"], ["RENAME", "k", "k"], ["RENAMENX", "k", "k"], ["RENAME", "k", "k2"],
        ["EXISTS", "k"], ["GET", "k2"], ["SET", "k3", "v3"], ["RENAMENX", "k2", "k3"],
        ["RENAME", "k2", "k3"], ["GET", "k3"], ["EXISTS", "k2"], ["PEXPIREAT", "k3", FAR_MS],
        ["RENAME", "k3", "k4"], ["PEXPIRETIME", "k4"], ["SET", "k5", "v"], ["RENAMENX", "k4", "k6"],
        ["PEXPIRETIME", "k6"], ["LPUSH", "l", "a"], ["RENAME", "l", "k5"], ["TYPE", "k5"],
        ["LRANGE", "k5", "0", "-1"], ["RENAME", "k5", ""], ["TYPE", ""],
    ],
    "move": [
        ["SET", "k", "v"], ["MOVE", "k", "0"], ["MOVE", "k", "16"], ["MOVE", "k", "-1"],
        ["MOVE", "k", "abc"], ["MOVE", "k", "99999999999"], ["MOVE", "nope", "1"], ["MOVE", "nope", "0"],
        ["PEXPIREAT", "k", FAR_MS], ["MOVE", "k", "1"], ["EXISTS", "k"], ["SELECT", "1"], ["GET", "k"],
        ["PEXPIRETIME", "k"], ["SET", "k2", "other"], ["SELECT", "0"], ["SET", "k2", "mine"],
        ["MOVE", "k2", "1"], ["GET", "k2"], ["SELECT", "1"], ["GET", "k2"], ["MOVE", "k", "0"],
        ["SELECT", "0"], ["GET", "k"], ["PEXPIRETIME", "k"],
    ],
    "copy": [
        ["SET", "k", "v"], ["COPY", "k", "k"], ["COPY", "nope", "x"], ["COPY", "k", "k2"], ["GET", "k2"],
        ["COPY", "k", "k2"], ["SET", "k", "w"], ["COPY", "k", "k2", "REPLACE"], ["GET", "k2"],
        ["COPY", "k", "k2", "DB", "1"], ["COPY", "k", "k2", "DB", "1"], ["COPY", "k", "k2", "db", "1", "replace"],
        ["COPY", "k", "k", "DB", "0"], ["COPY", "k", "k", "DB", "1", "REPLACE"], ["COPY", "k", "k2", "DB", "99"],
        ["COPY", "k", "k2", "DB", "-1"], ["COPY", "k", "k2", "DB", "abc"], ["COPY", "k", "k2", "DB", "99999999999"],
        ["COPY", "k", "k2", "DB"], ["COPY", "k", "k2", "foo"], ["COPY", "k", "k2", "DB", "0", "foo"],
        ["COPY", "k", "k2", "DB", "99", "foo"], ["COPY", "k", "k2", "replace\x00x"],
        ["PEXPIREAT", "k", FAR_MS], ["COPY", "k", "k3"], ["PEXPIRETIME", "k3"],
        ["LPUSH", "l", "a", "b"], ["COPY", "l", "l2"], ["LPUSH", "l2", "c"], ["LRANGE", "l", "0", "-1"],
        ["LRANGE", "l2", "0", "-1"], ["HSET", "h", "f", "v"], ["COPY", "h", "h2"], ["HSET", "h2", "g", "w"],
        ["HLEN", "h"], ["HLEN", "h2"], ["COPY", "l", "k", "REPLACE"], ["TYPE", "k"], ["SELECT", "1"],
        ["GET", "k2"], ["GET", "k"],
    ],
    "touch_dbsize_randomkey": [
        ["DBSIZE"], ["RANDOMKEY"], ["TOUCH", "a"], ["SET", "a", "1"], ["RANDOMKEY"], ["TOUCH", "a", "a", "b"],
        ["DBSIZE"], ["MSET", "b", "2", "c", "3"], ["DBSIZE"], ["DEL", "a", "b", "c"], ["RANDOMKEY"],
        ["RANDOMKEY", "x"], ["DBSIZE", "x"],
    ],
    "swapdb": [
        ["SET", "a", "db0"], ["SELECT", "1"], ["SET", "b", "db1"], ["SELECT", "0"], ["SWAPDB", "0", "1"],
        ["GET", "a"], ["GET", "b"], ["DBSIZE"], ["SWAPDB", "0", "abc"], ["SWAPDB", "abc", "0"],
        ["SWAPDB", "0", "16"], ["SWAPDB", "-1", "0"], ["SWAPDB", "99999999999", "0"],
        ["SWAPDB", "0", "-99999999999"], ["SWAPDB", "0", "0"], ["SWAPDB", "1", "0"], ["GET", "a"],
        ["SWAPDB", "0"],
    ],
    "flush": [
        ["SET", "a", "1"], ["SELECT", "1"], ["SET", "b", "1"], ["FLUSHDB"], ["DBSIZE"], ["SELECT", "0"],
        ["DBSIZE"], ["FLUSHDB", "foo"], ["FLUSHDB", "ASYNC"], ["SET", "a", "1"], ["FLUSHALL", "SYNC"],
        ["DBSIZE"], ["FLUSHALL", "sync", "x"], ["FLUSHDB", "async", "x"], ["FLUSHDB", "sync\x00x"],
        ["FLUSHALL", "lazy"],
    ],
    "expire_options": [
        ["SET", "k", "v"], ["EXPIRE", "k", "100", "NX", "XX"], ["EXPIRE", "k", "100", "GT", "LT"],
        ["EXPIRE", "k", "100", "NX", "GT"], ["EXPIRE", "k", "100", "nx", "lt"], ["EXPIRE", "k", "100", "foo"],
        ["EXPIRE", "k", "abc", "foo"], ["EXPIRE", "k", "abc"], ["EXPIRE", "k", "100", "xx", "foo\x00bar"],
        ["EXPIRE", "nope", "100", "NX", "XX"], ["EXPIRE", "nope", "100"], ["EXPIRE", "k", "100", "XX"],
        ["EXPIRE", "k", "100", "GT"], ["EXPIRE", "k", "100", "LT"], ["TTL", "k"], ["EXPIRE", "k", "300", "NX"],
        ["TTL", "k"], ["EXPIRE", "k", "400", "NX"], ["EXPIRE", "k", "500", "XX"], ["TTL", "k"],
        ["EXPIRE", "k", "200", "GT"], ["EXPIRE", "k", "600", "GT"], ["TTL", "k"], ["EXPIRE", "k", "700", "LT"],
        ["EXPIRE", "k", "300", "LT"], ["TTL", "k"], ["EXPIRE", "k", "250", "XX", "GT"], ["EXPIRE", "k", "400", "xx", "gt"],
        ["TTL", "k"], ["PERSIST", "k"], ["EXPIRE", "k", "100", "LT"], ["TTL", "k"], ["PERSIST", "k"],
        ["EXPIRE", "k", "100", "nx\x00x"], ["TTL", "k"],
    ],
    "expire_values": [
        ["SET", "k", "v"], ["EXPIRE", "k", "9223372036854776"], ["EXPIRE", "k", "-9223372036854776"],
        ["EXPIRE", "k", "9223372036854775"], ["PEXPIRE", "k", I64_MAX], ["PEXPIRE", "k", "9223372036854775808"],
        ["EXPIREAT", "k", "9223372036854775807"], ["EXPIREAT", "k", "9223372036854775"],
        ["PEXPIREAT", "k", I64_MAX], ["PEXPIRETIME", "k"], ["EXPIRETIME", "k"], ["TTL", "k"],
        ["EXPIREAT", "k", FAR], ["EXPIRETIME", "k"], ["PEXPIRETIME", "k"], ["PEXPIREAT", "k", FAR_MS],
        ["EXPIRETIME", "k"], ["PEXPIRETIME", "k"], ["PEXPIREAT", "k", "4102444800499"], ["EXPIRETIME", "k"],
        ["PEXPIREAT", "k", "4102444800500"], ["EXPIRETIME", "k"], ["EXPIRE", "k", "1000"], ["TTL", "k"],
        ["PEXPIRE", "k", "1000000"], ["TTL", "k"], ["EXPIRE", "k", "-9223372036854775"], ["EXISTS", "k"],
        ["SET", "k", "v"], ["EXPIRE", "k", "0"], ["EXISTS", "k"], ["SET", "k", "v"], ["PEXPIRE", "k", "-1"],
        ["EXISTS", "k"], ["SET", "k", "v"], ["EXPIREAT", "k", "1"], ["GET", "k"], ["SET", "k", "v"],
        ["PEXPIREAT", "k", I64_MIN], ["EXISTS", "k"], ["SET", "k", "v"], ["EXPIREAT", "k", "-1", "LT"],
        ["EXISTS", "k"], ["SET", "k", "v"], ["EXPIRE", "k", "100"], ["EXPIRE", "k", "-1", "GT"], ["TTL", "k"],
        ["EXPIRE", "k", "-1", "LT"], ["EXISTS", "k"],
    ],
    "ttl_persist": [
        ["TTL", "nope"], ["PTTL", "nope"], ["EXPIRETIME", "nope"], ["PEXPIRETIME", "nope"], ["PERSIST", "nope"],
        ["SET", "k", "v"], ["TTL", "k"], ["PTTL", "k"], ["EXPIRETIME", "k"], ["PEXPIRETIME", "k"],
        ["PERSIST", "k"], ["EXPIRE", "k", "500"], ["TTL", "k"], ["PERSIST", "k"], ["TTL", "k"],
        ["PERSIST", "k"], ["LPUSH", "l", "a"], ["PEXPIREAT", "l", FAR_MS], ["PEXPIRETIME", "l"],
        ["TTL", "l", "x"], ["PERSIST"],
    ],
    "object": [
        ["OBJECT", "ENCODING", "nope"], ["OBJECT", "REFCOUNT", "nope"], ["OBJECT", "IDLETIME", "nope"],
        ["OBJECT", "FREQ", "nope"], ["SET", "k", "v"], ["OBJECT", "IDLETIME", "k"], ["OBJECT", "FREQ", "k"],
        ["OBJECT", "ENCODING"], ["OBJECT", "ENCODING", "k", "x"], ["OBJECT"], ["OBJECT", "foo"],
        ["OBJECT", "foo", "k"], ["OBJECT", "help"], ["OBJECT", "HELP", "x"], ["LPUSH", "l", "a"],
        ["OBJECT", "ENCODING", "l"], ["OBJECT", "REFCOUNT", "l"], ["HSET", "h", "f", "v"],
        ["OBJECT", "ENCODING", "h"], ["SADD", "s", "1"], ["OBJECT", "ENCODING", "s"], ["ZADD", "z", "1", "m"],
        ["OBJECT", "ENCODING", "z"],
    ],
    "keys_patterns": [
        ["KEYS", "*"], ["MSET", "a", "1", "b", "2", "ab", "3", "abc", "4", "b[", "5", "x\\y", "6", "", "7",
                        "A", "8", "h\xe9", "9"],
        ["KEYS", "a*"], ["KEYS", "?"], ["KEYS", "[ab]"], ["KEYS", "[^a]*"], ["KEYS", "*c"], ["KEYS", "b\\["],
        ["KEYS", "nope"], ["KEYS", "x\\\\y"], ["KEYS", "[a-b]*"], ["KEYS", "[b-a]"], ["KEYS", "*"], ["KEYS", ""],
        ["KEYS", "**"], ["KEYS", "?*"], ["KEYS", "[A]"], ["KEYS", "h?"], ["KEYS", "h\xe9"], ["KEYS", "["],
        ["KEYS", "[a"], ["KEYS", "a[]"], ["KEYS", "\\"], ["KEYS", "*\\"],
    ],
    "scan_errors": [
        ["SCAN", "abc"], ["SCAN", " 1"], ["SCAN", "1.5"], ["SCAN", "18446744073709551616"],
        ["SCAN", "0", "COUNT", "0"], ["SCAN", "0", "COUNT", "-1"], ["SCAN", "0", "COUNT", "abc"],
        ["SCAN", "0", "MATCH"], ["SCAN", "0", "COUNT"], ["SCAN", "0", "TYPE"], ["SCAN", "0", "foo", "bar"],
        ["SCAN", "0", "COUNT", "1", "foo"], ["SCAN"], ["SCAN", ""], ["SCAN", "0", "count\x00", "5"],
    ],
    "key_arity": [
        ["DEL"], ["UNLINK"], ["EXISTS"], ["TYPE"], ["TYPE", "a", "b"], ["RENAME", "a"], ["RENAMENX", "a"],
        ["MOVE", "a"], ["COPY", "a"], ["TOUCH"], ["KEYS"], ["KEYS", "a", "b"], ["DBSIZE", "a"], ["SWAPDB", "0"],
        ["EXPIRE", "a"], ["PEXPIRE", "a"], ["EXPIREAT", "a"], ["PEXPIREAT", "a"], ["TTL"], ["PTTL"],
        ["EXPIRETIME"], ["PEXPIRETIME"], ["PERSIST"], ["RANDOMKEY", "a"],
    ],
}

UNORDERED = {"KEYS"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_key_case(pair, name):
    for cmd in CASES[name]:
        check(pair, *cmd, unordered=cmd[0] in UNORDERED)


@pytest.mark.parametrize("name", ["object", "ttl_persist", "touch_dbsize_randomkey"])
def test_key_case_resp3(pair3, name):
    for cmd in CASES[name]:
        check(pair3, *cmd, unordered=cmd[0] in UNORDERED)


def _decode_scan(frame: bytes) -> tuple[bytes, list[bytes]]:
    lines = frame.split(b"\r\n")
    assert lines[0] == b"*2"
    cursor = lines[2]
    count = int(lines[3][1:])
    keys = [lines[5 + 2 * i] for i in range(count)]
    return cursor, keys


def _scan_all(conn, *options: str) -> list[bytes]:
    cursor, seen = b"0", []
    while True:
        cursor, keys = _decode_scan(conn.command("SCAN", cursor, *options))
        seen.extend(keys)
        if cursor == b"0":
            return seen


@pytest.mark.parametrize("options", [(), ("COUNT", "3"), ("MATCH", "k:1*"), ("MATCH", "k:1*", "COUNT", "1000"),
                                     ("TYPE", "list"), ("TYPE", "STRING", "COUNT", "7"), ("TYPE", "nosuchtype"),
                                     ("MATCH", "*", "COUNT", "2")])
def test_scan_full_iteration_matches(pair, options):
    """A full iteration returns the same set of keys on both servers (no key twice here)."""
    pair.check("MSET", *[f"k:{i}" if j == 0 else str(i) for i in range(120) for j in range(2)])
    pair.check("RPUSH", "list:a", "x")
    pair.check("RPUSH", "list:b", "x")
    pair.check("HSET", "hash:a", "f", "v")
    ours = _scan_all(pair.ours, *options)
    theirs = _scan_all(pair.theirs, *options)
    assert sorted(ours) == sorted(theirs)
    assert len(ours) == len(set(ours))


def _check_scan(pair, *args: str) -> None:
    """Same cursor and the same keys in any order (the reply nests the key array)."""
    ours, theirs = pair.both("SCAN", *args)
    if ours.startswith(b"-") or theirs.startswith(b"-"):
        assert ours == theirs
        return
    cursor_ours, keys_ours = _decode_scan(ours)
    cursor_theirs, keys_theirs = _decode_scan(theirs)
    assert (cursor_ours, sorted(keys_ours)) == (cursor_theirs, sorted(keys_theirs)), args


def test_scan_single_call_when_everything_fits(pair):
    """With fewer keys than COUNT both servers finish in one call: cursor 0 and every key."""
    pair.check("MSET", "a", "1", "b", "2", "c", "3")
    pair.check("RPUSH", "l", "x")
    _check_scan(pair, "0")
    _check_scan(pair, "0", "COUNT", "100")
    _check_scan(pair, "0", "MATCH", "[ab]")
    _check_scan(pair, "0", "TYPE", "list")
    _check_scan(pair, "0", "TYPE", "String", "MATCH", "c")
    _check_scan(pair, "0", "MATCH", "nothing")


def test_scan_skips_expired_keys(pair):
    pair.check("MSET", "a", "1", "b", "2")
    pair.check("SET", "gone", "v", "PXAT", "1")
    _check_scan(pair, "0")
    pair.check("KEYS", "*", unordered=True)
    pair.check("DBSIZE")


def _read_events(conn) -> list[bytes]:
    """The pub/sub frames received so far, split into messages."""
    data = conn.read_all(0.3)
    return [part for part in data.split(b"*4\r\n") if part]


def test_keyspace_events_match(pair):
    """Every write announces Redis's event names in Redis's order (keyevent notifications)."""
    for conn in (pair.ours, pair.theirs):
        reply = conn.command("CONFIG", "SET", "notify-keyspace-events", "KEA")
        if reply != b"+OK\r\n":
            pytest.skip("keyspace notifications not available")
    from ..resp import RawConnection
    subs = []
    for conn in (pair.ours, pair.theirs):
        host, port = conn.sock.getpeername()[:2]
        sub = RawConnection(host, port)
        sub.command("PSUBSCRIBE", "__keyevent@*__:*")
        subs.append(sub)
    try:
        commands = [
            ["SET", "k", "v"], ["SET", "k", "v", "EX", "100"], ["SETEX", "s", "100", "v"], ["SETNX", "n", "v"],
            ["GETSET", "k", "w"], ["APPEND", "k", "x"], ["SETRANGE", "k", "0", "y"], ["INCR", "c"],
            ["DECRBY", "c", "5"], ["INCRBYFLOAT", "c", "1.5"], ["MSET", "a", "1", "b", "2"], ["MSETNX", "x", "1"],
            ["GETEX", "a", "EX", "100"], ["GETEX", "a", "PERSIST"], ["GETEX", "a", "EXAT", "1"], ["GETDEL", "b"],
            ["EXPIRE", "k", "100"], ["PERSIST", "k"], ["EXPIRE", "k", "0"], ["RENAME", "s", "s2"],
            ["RENAMENX", "s2", "s3"], ["MOVE", "s3", "1"], ["COPY", "c", "c2"], ["COPY", "c", "c9", "DB", "2"],
            ["DEL", "c", "c2", "nope"], ["UNLINK", "n"], ["SET", "e", "v", "PXAT", "1"], ["GET", "e"],
            ["SETRANGE", "empty", "0", ""], ["APPEND", "x", ""], ["SWAPDB", "0", "1"], ["FLUSHDB"], ["FLUSHALL"],
        ]
        for cmd in commands:
            pair.check(*cmd)
        ours, theirs = (_read_events(sub) for sub in subs)
        assert len(theirs) > 30
        assert ours == theirs
    finally:
        for sub in subs:
            sub.close()


def test_lfu_policy_object_freq(pair):
    """Under an LFU policy: a new key counts 5, the first access always adds one, IDLETIME refuses."""
    for conn in (pair.ours, pair.theirs):
        if conn.command("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu") != b"+OK\r\n":
            pytest.skip("CONFIG SET not available")
    try:
        for cmd in (["SET", "k", "v"], ["OBJECT", "FREQ", "k"], ["GET", "k"], ["OBJECT", "FREQ", "k"],
                    ["SET", "k2", "v"], ["SET", "k2", "w"], ["OBJECT", "FREQ", "k2"],
                    ["RPUSH", "l", "a"], ["OBJECT", "FREQ", "l"], ["OBJECT", "IDLETIME", "k"],
                    ["OBJECT", "FREQ", "nope"], ["OBJECT", "IDLETIME", "nope"]):
            pair.check(*cmd)
    finally:
        for conn in (pair.ours, pair.theirs):
            conn.command("CONFIG", "SET", "maxmemory-policy", "noeviction")
    pair.check("OBJECT", "FREQ", "k")  # back under LRU: FREQ refuses again


DIRTY_CASES = [
    ([], ["SET", "k", "v", "EX", "100"]), ([], ["SETEX", "k", "100", "v"]), ([], ["MSET", "a", "1", "b", "2"]),
    ([["SET", "k", "v"]], ["RENAME", "k", "k2"]), ([["SET", "k", "v"]], ["MOVE", "k", "1"]),
    ([["SET", "k", "v"]], ["COPY", "k", "k2"]), ([], ["SWAPDB", "0", "1"]), ([], ["SWAPDB", "0", "0"]),
    ([["MSET", "a", "1", "b", "2"]], ["DEL", "a", "b", "c"]), ([["SET", "k", "v"]], ["EXPIRE", "k", "100"]),
    ([["SET", "k", "v"]], ["EXPIRE", "k", "-1"]), ([["SET", "k", "v"]], ["SETRANGE", "k", "0", ""]),
    ([["SET", "k", "v"]], ["SET", "k", "w", "NX"]), ([["SET", "k", "v"]], ["GETEX", "k", "EX", "100"]),
    ([["SET", "k", "v"]], ["GETEX", "k", "EXAT", "1"]), ([["SET", "k", "v", "EX", "100"]], ["PERSIST", "k"]),
    ([["SET", "k", "1"]], ["INCRBYFLOAT", "k", "1.5"]), ([["SET", "k", "v"]], ["GETDEL", "k"]),
    ([["MSET", "a", "1", "b", "2"]], ["FLUSHALL"]), ([["MSET", "a", "1", "b", "2"]], ["FLUSHDB"]), ([], ["FLUSHALL"]),
    ([], ["MSETNX", "a", "1", "b", "2"]), ([], ["APPEND", "k", "x"]), ([["SET", "k", "v"]], ["GETSET", "k", "w"]),
    ([["SET", "k", "v"]], ["RENAMENX", "k", "z"]), ([["SET", "k", "v", "PXAT", "1"]], ["GET", "k"]),
]


def _dirty(conn) -> int:
    info = conn.command("INFO", "persistence")
    marker = b"rdb_changes_since_last_save:"
    if marker not in info:
        pytest.skip("INFO persistence not available")
    return int(info.split(marker)[1].split(b"\r\n")[0])


@pytest.mark.parametrize("setup, command", DIRTY_CASES, ids=[" ".join(c[1]) for c in DIRTY_CASES])
def test_changes_counted_like_redis(pair, setup, command):
    """rdb_changes_since_last_save (save points) moves by the same amount on both servers."""
    for cmd in setup:
        pair.check(*cmd)
    before = [_dirty(conn) for conn in (pair.ours, pair.theirs)]
    pair.check(*command)
    after = [_dirty(conn) for conn in (pair.ours, pair.theirs)]
    assert after[0] - before[0] == after[1] - before[1]


def _every_type(pair) -> dict[str, list[str]]:
    """Keys of each type in each of Redis 7.0's encodings for it, plus filler strings; name by TYPE."""
    pair.check("MSET", *[f"filler:{i}" if j == 0 else "v" for i in range(30) for j in range(2)])
    pair.check("MSET", "str:int", "12345", "str:embstr", "short", "str:raw", "r" * 100)
    pair.check("PFADD", "str:hll", "a", "b")
    pair.check("RPUSH", "list:short", "a", "b")
    pair.check("RPUSH", "list:long", *[f"e{i}" for i in range(200)])
    pair.check("SADD", "set:intset", "1", "2", "3")
    pair.check("SADD", "set:hashtable", "a", "b")
    pair.check("ZADD", "zset:listpack", "1", "a", "2", "b")
    pair.check("ZADD", "zset:skiplist", *[x for i in range(200) for x in (str(i), f"m{i}")])
    pair.check("HSET", "hash:listpack", "f", "v")
    pair.check("HSET", "hash:hashtable", *[x for i in range(200) for x in (f"f{i}", "v")])
    names: dict[str, list[str]] = {}
    for key in pair.check("KEYS", "*", unordered=True).split(b"\r\n")[2::2]:
        kind = pair.check("TYPE", key)[1:-2].decode()
        names.setdefault(kind, []).append(key.decode())
    assert sorted(names) == ["hash", "list", "set", "string", "zset"]
    return names


@pytest.mark.parametrize("type_name", ["string", "list", "set", "zset", "hash", "ZSET", "Hash", "stream"])
def test_scan_type_filter_for_every_type(pair, type_name):
    """SCAN ... TYPE keeps exactly the keys of that type, whatever their encoding, on both servers."""
    names = _every_type(pair)
    expected = sorted(k.encode() for k in names.get(type_name.lower(), []))
    for options in (("TYPE", type_name), ("TYPE", type_name, "COUNT", "3"), ("MATCH", "*:*", "TYPE", type_name)):
        ours, theirs = _scan_all(pair.ours, *options), _scan_all(pair.theirs, *options)
        assert sorted(ours) == sorted(theirs) == expected, options
    _check_scan(pair, "0", "COUNT", "1000", "TYPE", type_name)
