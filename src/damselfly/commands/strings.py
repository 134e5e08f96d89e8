"""String commands: GET, SET and its variants, counters, ranges, LCS.

Strings are stored as ``bytes`` (INCR stores its decimal text back as bytes),
so a type check is ``type(v) is bytes``. Each handler follows the order of
checks of its Redis counterpart in ``t_string.c`` (argument syntax, then the
key's type, then values), because that order decides which error a client
sees when several things are wrong.

GET, SET, INCR, MGET and MSET are redis-benchmark's hot paths: they take the
shortest route (plain SET skips option parsing entirely; lookups go straight
to ``Database`` methods) and bind module-level constants instead of reading
enum members per call.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import errors
from ..errors import CommandError
from ..keyspace import NotifyKind
from ..keyspace.encoding import created_encoding, force_encoding, mark_raw
from ..protocol.reply import OK
from .args import parse_int
from .longdouble import incr_by_float
from .registry import CommandGroup, reply_here

if TYPE_CHECKING:  # pragma: no cover
    from ..client import Client
    from ..keyspace import Database

group = CommandGroup("string")

_STRING = int(NotifyKind.STRING)
_GENERIC = int(NotifyKind.GENERIC)
_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1
_WRONGTYPE = errors.WRONGTYPE

# Option flags of SET and GETEX (Redis's OBJ_SET_* / OBJ_* bits).
_NX, _XX, _GET, _KEEPTTL, _PERSIST = 1, 2, 4, 8, 16
_EX, _PX, _EXAT, _PXAT = 32, 64, 128, 256
_ANY_EXPIRE = _EX | _PX | _EXAT | _PXAT
_SECONDS = _EX | _EXAT
_ABSOLUTE = _EXAT | _PXAT


def option_word(arg: bytes) -> bytes:
    """An option as Redis compares it: case-insensitive, and cut at a NUL (C strings)."""
    word = arg.lower()
    if b"\x00" in word:
        word = word[:word.index(b"\x00")]
    return word


# -- GET / SET -------------------------------------------------------------------

@group.command("get", 2, "readonly fast", keys=(1, 1, 1), acl="read string fast")
def get(client: "Client", argv: list[bytes]) -> Any:
    """Get the value of a key."""
    value = client.db.lookup_read(argv[1])
    if value is None or type(value) is bytes:
        return value
    raise CommandError(_WRONGTYPE)


@group.command("set", -3, "write denyoom", keys=(1, 1, 1), acl="write string slow")
def set_(client: "Client", argv: list[bytes]) -> Any:
    """Set the string value of a key."""
    if len(argv) == 3:
        db = client.db
        key = argv[1]
        db.set(key, argv[2])
        db.changed(key, "set", _STRING)
        return OK
    flags, expire = _parse_options(argv, 3, True)
    return _set_generic(client, "set", flags, argv[1], argv[2], expire, OK, None)


def _parse_options(argv: list[bytes], start: int, for_set: bool) -> tuple[int, bytes | None]:
    """Redis's ``parseExtendedStringArgumentsOrReply`` for SET (``for_set``) and GETEX.

    Mutually exclusive options are rejected with a syntax error by refusing
    the second one; repeating the same option is allowed (the last value wins).
    """
    flags = 0
    expire: bytes | None = None
    n = len(argv)
    j = start
    while j < n:
        opt = option_word(argv[j])
        has_next = j + 1 < n
        if opt == b"nx" and for_set and not flags & _XX:
            flags |= _NX
        elif opt == b"xx" and for_set and not flags & _NX:
            flags |= _XX
        elif opt == b"get" and for_set:
            flags |= _GET
        elif opt == b"keepttl" and for_set and not flags & (_PERSIST | _ANY_EXPIRE):
            flags |= _KEEPTTL
        elif opt == b"persist" and not for_set and not flags & (_ANY_EXPIRE | _KEEPTTL):
            flags |= _PERSIST
        elif opt == b"ex" and has_next and not flags & (_KEEPTTL | _PERSIST | _EXAT | _PX | _PXAT):
            flags |= _EX
            j += 1
            expire = argv[j]
        elif opt == b"px" and has_next and not flags & (_KEEPTTL | _PERSIST | _EX | _EXAT | _PXAT):
            flags |= _PX
            j += 1
            expire = argv[j]
        elif opt == b"exat" and has_next and not flags & (_KEEPTTL | _PERSIST | _EX | _PX | _PXAT):
            flags |= _EXAT
            j += 1
            expire = argv[j]
        elif opt == b"pxat" and has_next and not flags & (_KEEPTTL | _PERSIST | _EX | _EXAT | _PX):
            flags |= _PXAT
            j += 1
            expire = argv[j]
        else:
            raise CommandError(errors.SYNTAX)
        j += 1
    return flags, expire


def _deadline(db: "Database", raw: bytes, flags: int, command: str) -> int:
    """Redis's ``getExpireMillisecondsOrReply``: the absolute deadline in ms.

    The value must be positive; seconds must not overflow when multiplied;
    relative times must not overflow when the current time is added.
    """
    ms = parse_int(raw)
    seconds = flags & _SECONDS
    if ms <= 0 or (seconds and ms > _INT64_MAX // 1000):
        raise CommandError(errors.invalid_expire(command))
    if seconds:
        ms *= 1000
    if not flags & _ABSOLUTE:
        ms += db.keyspace.clock.now_ms()
        if ms > _INT64_MAX:
            raise CommandError(errors.invalid_expire(command))
    return ms


def _set_generic(client: "Client", command: str, flags: int, key: bytes, value: bytes,
                 expire: bytes | None, ok_reply: Any, abort_reply: Any) -> Any:
    """Redis's ``setGenericCommand``: expiry check, GET, NX/XX, store, notify."""
    db = client.db
    deadline = _deadline(db, expire, flags, command) if expire is not None else None
    old = None
    if flags & _GET:
        old = db.lookup_read(key)
        if old is not None and type(old) is not bytes:
            raise CommandError(_WRONGTYPE)
        reply_here(client)  # Redis replies with the old value here, before the set and expire events
    found = db.lookup(key) is not None
    if (flags & _NX and found) or (flags & _XX and not found):
        return old if flags & _GET else abort_reply
    db.set(key, value, keep_ttl=bool(flags & _KEEPTTL))
    db.changed(key, "set", _STRING)
    if deadline is not None:
        db.set_expire(key, deadline)
        db.changed(key, "expire", _GENERIC)
        db.keyspace.dirty -= 1  # Redis counts SET ... EX as one change, not two
    return old if flags & _GET else ok_reply


@group.command("setnx", 3, "write denyoom fast", keys=(1, 1, 1), acl="write string fast")
def setnx(client: "Client", argv: list[bytes]) -> Any:
    """Set the value of a key, only if the key does not exist."""
    return _set_generic(client, "setnx", _NX, argv[1], argv[2], None, 1, 0)


@group.command("setex", 4, "write denyoom", keys=(1, 1, 1), acl="write string slow", since="2.0.0")
def setex(client: "Client", argv: list[bytes]) -> Any:
    """Set the value and expiration of a key."""
    return _set_generic(client, "setex", _EX, argv[1], argv[3], argv[2], OK, None)


@group.command("psetex", 4, "write denyoom", keys=(1, 1, 1), acl="write string slow", since="2.6.0")
def psetex(client: "Client", argv: list[bytes]) -> Any:
    """Set the value and expiration in milliseconds of a key."""
    return _set_generic(client, "psetex", _PX, argv[1], argv[3], argv[2], OK, None)


def _get_string(db: "Database", key: bytes) -> bytes | None:
    """Redis's ``getGenericCommand`` lookup: a read, and WRONGTYPE for other types."""
    value = db.lookup_read(key)
    if value is None or type(value) is bytes:
        return value
    raise CommandError(_WRONGTYPE)


@group.command("getset", 3, "write denyoom fast", keys=(1, 1, 1), acl="write string fast", reply_first=True)
def getset(client: "Client", argv: list[bytes]) -> Any:
    """Set the string value of a key and return its old value."""
    db = client.db
    key = argv[1]
    old = _get_string(db, key)
    db.set(key, argv[2])
    db.changed(key, "set", _STRING)
    return old


@group.command("getdel", 2, "write fast", keys=(1, 1, 1), acl="write string fast", since="6.2.0", reply_first=True)
def getdel(client: "Client", argv: list[bytes]) -> Any:
    """Get the value of a key and delete the key."""
    db = client.db
    key = argv[1]
    value = _get_string(db, key)
    if value is not None and db.delete(key):
        db.changed(key, "del", _GENERIC)
    return value


@group.command("getex", -2, "write fast", keys=(1, 1, 1), acl="write string fast", since="6.2.0", reply_first=True)
def getex(client: "Client", argv: list[bytes]) -> Any:
    """Get the value of a key and optionally set its expiration."""
    flags, expire = _parse_options(argv, 2, False)
    db = client.db
    key = argv[1]
    value = _get_string(db, key)
    if value is None:
        return None
    if expire is not None:
        deadline = _deadline(db, expire, flags, "getex")
        if flags & _ABSOLUTE and deadline <= db.keyspace.clock.now_ms():
            db.delete(key)
            db.changed(key, "del", _GENERIC)
        else:
            db.set_expire(key, deadline)
            db.changed(key, "expire", _GENERIC)
    elif flags & _PERSIST and db.persist(key):
        db.changed(key, "persist", _GENERIC)
    return value


# -- multiple keys -------------------------------------------------------------------

@group.command("mget", -2, "readonly fast", keys=(1, -1, 1), acl="read string fast",
               tips="request_policy:multi_shard")
def mget(client: "Client", argv: list[bytes]) -> Any:
    """Get the values of all the given keys."""
    values = client.db.lookup_read_many(argv[1:])
    return [v if type(v) is bytes else None for v in values]


@group.command("mset", -3, "write denyoom", keys=(1, -1, 2), acl="write string slow", since="1.0.1",
               tips="request_policy:multi_shard response_policy:all_succeeded")
def mset(client: "Client", argv: list[bytes]) -> Any:
    """Set multiple keys to multiple values."""
    n = len(argv)
    if not n & 1:
        raise CommandError(errors.wrong_arity("mset"))
    db = client.db
    ks = db.keyspace
    if ks.listeners or ks.on_new is not None:  # Redis's order: each key's new/expired, then its set
        store, changed = db.set, db.changed
        for i in range(1, n, 2):
            store(argv[i], argv[i + 1])
            changed(argv[i], "set", _STRING)
    else:  # what set() and changed() would do for each key, in C-level loops
        db.set_pairs(argv)
        ks.dirty += n >> 1
    return OK


@group.command("msetnx", -3, "write denyoom", keys=(1, -1, 2), acl="write string slow", since="1.0.1",
               tips="request_policy:multi_shard response_policy:agg_min")
def msetnx(client: "Client", argv: list[bytes]) -> Any:
    """Set multiple keys to multiple values, only if none of the keys exist."""
    n = len(argv)
    if not n & 1:
        raise CommandError(errors.wrong_arity("msetnx"))
    db = client.db
    for i in range(1, n, 2):
        if db.lookup(argv[i]) is not None:
            return 0
    for i in range(1, n, 2):
        key = argv[i]
        db.set(key, argv[i + 1])
        db.changed(key, "set", _STRING)
    return 1


# -- counters ---------------------------------------------------------------------------

def _incr_by(client: "Client", key: bytes, delta: int) -> int:
    """Redis's ``incrDecrCommand``: the stored text must be a strict 64-bit integer."""
    db = client.db
    value = db.lookup(key)
    if value is None:
        current = 0
    elif type(value) is bytes:
        # Canonical non-negative counters (the common case) skip parse_int's checks.
        if 0 < len(value) < 19 and value.isdigit() and (value[0] != 48 or len(value) == 1):
            current = int(value)
        else:
            current = parse_int(value)
    else:
        raise CommandError(_WRONGTYPE)
    new = current + delta
    if new > _INT64_MAX or new < _INT64_MIN:
        raise CommandError(errors.OVERFLOW)
    if value is None:
        db.set(key, b"%d" % new)
    else:
        db.data[key] = b"%d" % new  # an overwrite keeps the TTL
        if db.str_encodings:
            db.str_encodings.pop(key, None)
    db.changed(key, "incrby", _STRING)
    return new


@group.command("incr", 2, "write denyoom fast", keys=(1, 1, 1), acl="write string fast")
def incr(client: "Client", argv: list[bytes]) -> Any:
    """Increment the integer value of a key by one."""
    return _incr_by(client, argv[1], 1)


@group.command("decr", 2, "write denyoom fast", keys=(1, 1, 1), acl="write string fast")
def decr(client: "Client", argv: list[bytes]) -> Any:
    """Decrement the integer value of a key by one."""
    return _incr_by(client, argv[1], -1)


@group.command("incrby", 3, "write denyoom fast", keys=(1, 1, 1), acl="write string fast")
def incrby(client: "Client", argv: list[bytes]) -> Any:
    """Increment the integer value of a key by the given amount."""
    return _incr_by(client, argv[1], parse_int(argv[2]))


@group.command("decrby", 3, "write denyoom fast", keys=(1, 1, 1), acl="write string fast")
def decrby(client: "Client", argv: list[bytes]) -> Any:
    """Decrement the integer value of a key by the given number."""
    delta = parse_int(argv[2])
    if delta == _INT64_MIN:  # negating it would overflow
        raise CommandError(errors.DECR_OVERFLOW)
    return _incr_by(client, argv[1], -delta)


@group.command("incrbyfloat", 3, "write denyoom fast", keys=(1, 1, 1), acl="write string fast",
               since="2.6.0")
def incrbyfloat(client: "Client", argv: list[bytes]) -> Any:
    """Increment the float value of a key by the given amount."""
    db = client.db
    key = argv[1]
    value = db.lookup(key)
    if value is not None and type(value) is not bytes:
        raise CommandError(_WRONGTYPE)
    new = incr_by_float(value, argv[2])
    if value is None:
        db.set(key, new)
    else:
        db.data[key] = new  # an overwrite keeps the TTL
    # createStringObjectFromLongDouble skips tryObjectEncoding: "3" is embstr, not int.
    force_encoding(db, key, new, created_encoding(new))
    db.changed(key, "incrbyfloat", _STRING)
    return new


# -- in-place edits and ranges ---------------------------------------------------------------

def _check_length(client: "Client", total: int) -> None:
    """Redis's ``checkStringLength``: results are capped at proto-max-bulk-len."""
    if total > client.server.config.proto_max_bulk_len:
        raise CommandError(errors.STRING_TOO_LONG)


@group.command("append", 3, "write denyoom fast", keys=(1, 1, 1), acl="write string fast",
               since="2.0.0")
def append(client: "Client", argv: list[bytes]) -> Any:
    """Append a value to a key.

    Copies the value (strings stay ``bytes``): a loop of appends is
    quadratic. Why there is no in-place ``bytearray``, with measurements:
    docs/design.md, Keyspace.
    """
    db = client.db
    key, tail = argv[1], argv[2]
    value = db.lookup(key)
    if value is None:
        db.set(key, tail)
        new = tail
    else:
        if type(value) is not bytes:
            raise CommandError(_WRONGTYPE)
        _check_length(client, len(value) + len(tail))
        new = value + tail
        db.data[key] = new
        mark_raw(db, key, new)
    db.changed(key, "append", _STRING)
    return len(new)


@group.command("strlen", 2, "readonly fast", keys=(1, 1, 1), acl="read string fast", since="2.2.0")
def strlen(client: "Client", argv: list[bytes]) -> Any:
    """Get the length of the value stored in a key."""
    value = _get_string(client.db, argv[1])
    return 0 if value is None else len(value)


@group.command("setrange", 4, "write denyoom", keys=(1, 1, 1), acl="write string slow", since="2.2.0")
def setrange(client: "Client", argv: list[bytes]) -> Any:
    """Overwrite part of a string at key starting at the specified offset."""
    offset = parse_int(argv[2])
    if offset < 0:
        raise CommandError(errors.OUT_OF_RANGE_OFFSET)
    db = client.db
    key, patch = argv[1], argv[3]
    value = db.lookup(key)
    if value is None:
        if not patch:
            return 0
        _check_length(client, offset + len(patch))
        new = bytes(offset) + patch
        db.set(key, new)
    else:
        if type(value) is not bytes:
            raise CommandError(_WRONGTYPE)
        if not patch:
            return len(value)
        _check_length(client, offset + len(patch))
        if offset > len(value):
            new = value + bytes(offset - len(value)) + patch
        else:
            new = value[:offset] + patch + value[offset + len(patch):]
        db.data[key] = new
    mark_raw(db, key, new)
    db.changed(key, "setrange", _STRING)
    return len(new)


def _getrange(client: "Client", argv: list[bytes]) -> bytes:
    """Redis's ``getrangeCommand``: inclusive range, negative indexes from the end."""
    start = parse_int(argv[2])
    end = parse_int(argv[3])
    value = _get_string(client.db, argv[1])
    if value is None:
        return b""
    n = len(value)
    if start < 0 and end < 0 and start > end:
        return b""
    if start < 0:
        start += n
    if end < 0:
        end += n
    if start < 0:
        start = 0
    if end < 0:
        end = 0
    if end >= n:
        end = n - 1
    if start > end or n == 0:
        return b""
    return value[start:end + 1]


@group.command("getrange", 4, "readonly", keys=(1, 1, 1), acl="read string slow", since="2.4.0")
def getrange(client: "Client", argv: list[bytes]) -> Any:
    """Get a substring of the string stored at a key."""
    return _getrange(client, argv)


@group.command("substr", 4, "readonly", keys=(1, 1, 1), acl="read string slow")
def substr(client: "Client", argv: list[bytes]) -> Any:
    """Get a substring of the string stored at a key."""
    return _getrange(client, argv)


# -- LCS -----------------------------------------------------------------------------------------

def lcs_rows(a: bytes, b: bytes) -> list[int]:
    """Bit-parallel LCS table: row ``i`` encodes LCS(a[:i], b[:j]) for every ``j``.

    Row ``i`` is a ``len(b)``-bit integer whose zero bits below ``j`` count
    LCS(a[:i], b[:j]) (Crochemore et al.'s ``V' = (V + U) | (V - U)``, with
    ``U = V & match(a[i])``). The classic DP Redis fills costs len(a)*len(b)
    Python steps; this costs len(a) big-integer operations.
    """
    blen = len(b)
    full = (1 << blen) - 1
    masks: dict[int, int] = {}
    for j, ch in enumerate(b):
        masks[ch] = masks.get(ch, 0) | (1 << j)
    v = full
    rows = [v]
    for ch in a:
        u = v & masks.get(ch, 0)
        v = ((v + u) | (v - u)) & full
        rows.append(v)
    return rows


def lcs_at(rows: list[int], i: int, j: int) -> int:
    """LCS(a[:i], b[:j]) from :func:`lcs_rows`."""
    return j - (rows[i] & ((1 << j) - 1)).bit_count()


@group.command("lcs", -3, "readonly", keys=(1, 2, 1), acl="read string slow", since="7.0.0")
def lcs(client: "Client", argv: list[bytes]) -> Any:
    """Find longest common substring."""
    db = client.db
    obja = db.lookup_read(argv[1])
    objb = db.lookup_read(argv[2])
    if (obja is not None and type(obja) is not bytes) or (objb is not None and type(objb) is not bytes):
        raise CommandError(errors.LCS_WRONGTYPE)
    a = obja or b""
    b = objb or b""
    getidx = getlen = withmatchlen = False
    minmatchlen = 0
    j = 3
    n = len(argv)
    while j < n:
        opt = option_word(argv[j])
        if opt == b"idx":
            getidx = True
        elif opt == b"len":
            getlen = True
        elif opt == b"withmatchlen":
            withmatchlen = True
        elif opt == b"minmatchlen" and j + 1 < n:
            minmatchlen = max(0, parse_int(argv[j + 1]))
            j += 1
        else:
            raise CommandError(errors.SYNTAX)
        j += 1
    if getidx and getlen:
        raise CommandError(errors.LCS_IDX_AND_LEN)
    alen, blen = len(a), len(b)
    if (alen + 1) * (blen + 1) * 4 > client.server.config.proto_max_bulk_len:
        raise CommandError(errors.LCS_TOO_BIG)
    rows = lcs_rows(a, b)
    total = lcs_at(rows, alen, blen)
    if getlen:
        return total
    return _lcs_walk(a, b, rows, total, getidx, withmatchlen, minmatchlen)


def _lcs_walk(a: bytes, b: bytes, rows: list[int], total: int, getidx: bool, withmatchlen: bool,
              minmatchlen: int) -> Any:
    """Redis's backtrack over the table: the LCS string, or the matching ranges (IDX)."""
    alen = len(a)
    result = bytearray(total)
    matches: list[Any] = []
    idx = total
    arange_start, arange_end, brange_start, brange_end = alen, 0, 0, 0  # alen: no range yet
    i, j = alen, len(b)
    while i > 0 and j > 0:
        emit = False
        if a[i - 1] == b[j - 1]:
            result[idx - 1] = a[i - 1]
            if arange_start == alen:
                arange_start = arange_end = i - 1
                brange_start = brange_end = j - 1
            elif arange_start == i and brange_start == j:
                arange_start -= 1
                brange_start -= 1
            else:
                emit = True
            if arange_start == 0 or brange_start == 0:
                emit = True
            idx -= 1
            i -= 1
            j -= 1
        else:
            if lcs_at(rows, i - 1, j) > lcs_at(rows, i, j - 1):
                i -= 1
            else:
                j -= 1
            if arange_start != alen:
                emit = True
        if emit:
            match_len = arange_end - arange_start + 1
            if getidx and (minmatchlen == 0 or match_len >= minmatchlen):
                entry: list[Any] = [[arange_start, arange_end], [brange_start, brange_end]]
                if withmatchlen:
                    entry.append(match_len)
                matches.append(entry)
            arange_start = alen
    if getidx:
        return {b"matches": matches, b"len": total}
    return bytes(result)
