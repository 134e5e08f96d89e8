"""Hash commands (HSET, HGET, HINCRBYFLOAT, HRANDFIELD, HSCAN...), as Redis 7.0.

Values are :class:`~damselfly.types.Hash` dicts. Argument checks happen in
Redis's order (some before the key lookup, some after), because clients see
which error wins. A hash emptied by HDEL is deleted, with a ``del`` event
after the ``hdel`` one.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import errors
from ..errors import CommandError
from ..keyspace import NotifyKind
from ..protocol.reply import OK, Pairs
from ..types import Hash
from ..types.sampling import distinct, pick, picks
from ..types.scan import parse_cursor, parse_scan_options, scan_step
from ..types.set import is_int_member
from .args import parse_int
from .longdouble import add_ld, format_ld, is_finite, parse_ld
from .registry import CommandGroup

if TYPE_CHECKING:  # pragma: no cover
    from ..client import Client
    from ..keyspace import Database

group = CommandGroup("hash")

_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1
_LONG_MAX = _INT64_MAX
# Largest |count| served for HRANDFIELD with repetitions: Redis would stream
# that many replies; building them in memory beyond this would exhaust it.
_MAX_REPEATED = 1 << 27


def _read(client: "Client", key: bytes) -> Hash | None:
    value = client.db.lookup_read(key)
    if value is None or type(value) is Hash:
        return value
    raise CommandError(errors.WRONGTYPE)


def _write(db: "Database", key: bytes) -> Hash | None:
    value = db.lookup(key)
    if value is None or type(value) is Hash:
        return value
    raise CommandError(errors.WRONGTYPE)


def _write_or_create(client: "Client", key: bytes) -> Hash:
    """Redis's ``hashTypeLookupWriteOrCreate``: the hash, stored empty if it was missing.

    Callers always add a field before returning, so no empty hash survives.
    """
    db = client.db
    value = _write(db, key)
    if value is None:
        value = Hash()
        db.set(key, value)
    return value


def _limits(client: "Client") -> tuple[int, int]:
    config = client.server.config
    return config.hash_max_listpack_entries, config.hash_max_listpack_value


@group.command("hset", -4, "write denyoom fast", keys=(1, 1, 1), acl="write hash fast", since="2.0.0", reply_first=True)
def hset(client: "Client", argv: list[bytes]) -> Any:
    """Set the string value of a hash field."""
    return _hset(client, argv) if len(argv) % 2 == 0 else _arity(argv)


@group.command("hmset", -4, "write denyoom fast", keys=(1, 1, 1), acl="write hash fast", since="2.0.0",
               reply_first=True)
def hmset(client: "Client", argv: list[bytes]) -> Any:
    """Set multiple hash fields to multiple values."""
    if len(argv) % 2:
        _arity(argv)
    _hset(client, argv)
    return OK


def _arity(argv: list[bytes]) -> Any:
    raise CommandError(errors.wrong_arity(argv[0].decode("utf-8", "replace").lower()))


def _hset(client: "Client", argv: list[bytes]) -> int:
    key = argv[1]
    h = _write_or_create(client, key)
    max_entries, max_value = _limits(client)
    put = h.put
    created = 0
    for i in range(2, len(argv), 2):
        created += put(argv[i], argv[i + 1], max_entries, max_value)
    client.db.changed(key, "hset", NotifyKind.HASH, (len(argv) - 2) >> 1)  # Redis: one change per pair
    return created


@group.command("hsetnx", 4, "write denyoom fast", keys=(1, 1, 1), acl="write hash fast", since="2.0.0",
               reply_first=True)
def hsetnx(client: "Client", argv: list[bytes]) -> Any:
    """Set the value of a hash field, only if the field does not exist."""
    key = argv[1]
    h = _write_or_create(client, key)
    if argv[2] in h:
        return 0
    h.put(argv[2], argv[3], *_limits(client))
    client.db.changed(key, "hset", NotifyKind.HASH)
    return 1


@group.command("hget", 3, "readonly fast", keys=(1, 1, 1), acl="read hash fast", since="2.0.0")
def hget(client: "Client", argv: list[bytes]) -> Any:
    """Get the value of a hash field."""
    h = _read(client, argv[1])
    return None if h is None else h.get(argv[2])


@group.command("hmget", -3, "readonly fast", keys=(1, 1, 1), acl="read hash fast", since="2.0.0")
def hmget(client: "Client", argv: list[bytes]) -> Any:
    """Get the values of all the given hash fields."""
    h = _read(client, argv[1])
    if h is None:
        return [None] * (len(argv) - 2)
    get = h.get
    return [get(f) for f in argv[2:]]


@group.command("hdel", -3, "write fast", keys=(1, 1, 1), acl="write hash fast", since="2.0.0")
def hdel(client: "Client", argv: list[bytes]) -> Any:
    """Delete one or more hash fields."""
    db = client.db
    key = argv[1]
    h = _write(db, key)
    if h is None:
        return 0
    remove = h.remove
    deleted = 0
    for f in argv[2:]:
        if remove(f):
            deleted += 1
            if not h:
                break
    if deleted:
        db.changed(key, "hdel", NotifyKind.HASH, deleted)
        if not h:
            db.delete(key)
            db.changed(key, "del", NotifyKind.GENERIC, 0)
    return deleted


@group.command("hlen", 2, "readonly fast", keys=(1, 1, 1), acl="read hash fast", since="2.0.0")
def hlen(client: "Client", argv: list[bytes]) -> Any:
    """Get the number of fields in a hash."""
    h = _read(client, argv[1])
    return 0 if h is None else len(h)


@group.command("hstrlen", 3, "readonly fast", keys=(1, 1, 1), acl="read hash fast", since="3.2.0")
def hstrlen(client: "Client", argv: list[bytes]) -> Any:
    """Get the length of the value of a hash field."""
    h = _read(client, argv[1])
    if h is None:
        return 0
    value = h.get(argv[2])
    return 0 if value is None else len(value)


@group.command("hexists", 3, "readonly fast", keys=(1, 1, 1), acl="read hash fast", since="2.0.0")
def hexists(client: "Client", argv: list[bytes]) -> Any:
    """Determine if a hash field exists."""
    h = _read(client, argv[1])
    return 1 if h is not None and argv[2] in h else 0


@group.command("hkeys", 2, "readonly", keys=(1, 1, 1), acl="read hash slow", since="2.0.0",
               tips="nondeterministic_output_order")
def hkeys(client: "Client", argv: list[bytes]) -> Any:
    """Get all the fields in a hash."""
    h = _read(client, argv[1])
    return [] if h is None else list(h)


@group.command("hvals", 2, "readonly", keys=(1, 1, 1), acl="read hash slow", since="2.0.0",
               tips="nondeterministic_output_order")
def hvals(client: "Client", argv: list[bytes]) -> Any:
    """Get all the values in a hash."""
    h = _read(client, argv[1])
    return [] if h is None else list(h.values())


@group.command("hgetall", 2, "readonly", keys=(1, 1, 1), acl="read hash slow", since="2.0.0",
               tips="nondeterministic_output_order")
def hgetall(client: "Client", argv: list[bytes]) -> Any:
    """Get all the fields and values in a hash."""
    h = _read(client, argv[1])
    return {} if h is None else dict(h)


@group.command("hincrby", 4, "write denyoom fast", keys=(1, 1, 1), acl="write hash fast", since="2.0.0",
               reply_first=True)
def hincrby(client: "Client", argv: list[bytes]) -> Any:
    """Increment the integer value of a hash field by the given number."""
    incr = parse_int(argv[3])
    key, field = argv[1], argv[2]
    h = _write_or_create(client, key)
    current = h.get(field)
    if current is None:
        value = 0
    elif is_int_member(current):
        value = int(current)
    else:
        raise CommandError(errors.HASH_NOT_INTEGER)
    value += incr
    if not _INT64_MIN <= value <= _INT64_MAX:
        raise CommandError(errors.OVERFLOW)
    h.put(field, b"%d" % value, *_limits(client))
    client.db.changed(key, "hincrby", NotifyKind.HASH)
    return value


@group.command("hincrbyfloat", 4, "write denyoom fast", keys=(1, 1, 1), acl="write hash fast", since="2.6.0",
               reply_first=True)
def hincrbyfloat(client: "Client", argv: list[bytes]) -> Any:
    """Increment the float value of a hash field by the given amount (long double, as Redis)."""
    incr = parse_ld(argv[3])
    if incr is None:
        raise CommandError(errors.NOT_FLOAT)
    if not is_finite(incr):
        raise CommandError(errors.NAN_OR_INFINITY)
    key, field = argv[1], argv[2]
    h = _write_or_create(client, key)
    current = h.get(field)
    if current is None:
        value = incr
    else:
        base = parse_ld(current)
        if base is None:
            raise CommandError(errors.HASH_NOT_FLOAT)
        value = add_ld(base, incr)
    if not is_finite(value):
        raise CommandError(errors.INCR_NAN_INF)
    text = format_ld(value)
    h.put(field, text, *_limits(client))
    client.db.changed(key, "hincrbyfloat", NotifyKind.HASH)
    return text


def _parse_count(raw: bytes) -> int:
    """``getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX)``."""
    count = parse_int(raw)
    if count < -_LONG_MAX:
        raise CommandError(errors.value_range(-_LONG_MAX, _LONG_MAX))
    return count


@group.command("hrandfield", -2, "readonly", keys=(1, 1, 1), acl="read hash slow", since="6.2.0",
               tips="nondeterministic_output")
def hrandfield(client: "Client", argv: list[bytes]) -> Any:
    """Get one or multiple random fields from a hash."""
    if len(argv) == 2:
        h = _read(client, argv[1])
        if h is None:
            return None
        return pick(h)
    count = _parse_count(argv[2])
    withvalues = False
    if len(argv) > 4 or (len(argv) == 4 and argv[3].lower() != b"withvalues"):
        raise CommandError(errors.SYNTAX)
    if len(argv) == 4:
        withvalues = True
        if not -(_LONG_MAX // 2) <= count <= _LONG_MAX // 2:
            raise CommandError(errors.OUT_OF_RANGE)
    h = _read(client, argv[1])
    if h is None or count == 0:
        return []
    if count < 0 or count == 1:
        n = -count if count < 0 else 1
        if n > _MAX_REPEATED:
            raise CommandError(errors.OUT_OF_RANGE)
        fields = picks(h, n)
    elif count >= len(h):
        fields = list(h)
    else:
        fields = distinct(h, count)
    if withvalues:
        return Pairs([(f, h[f]) for f in fields])
    return fields


@group.command("hscan", -3, "readonly", keys=(1, 1, 1), acl="read hash slow", since="2.8.0",
               tips="nondeterministic_output")
def hscan(client: "Client", argv: list[bytes]) -> Any:
    """Incrementally iterate hash fields and associated values."""
    cursor = parse_cursor(argv[2])
    h = _read(client, argv[1])
    if h is None:
        return [b"0", []]
    count, match = parse_scan_options(argv, 3)
    if h.hashtable:
        cursor, fields = scan_step(h, cursor, count)
    else:
        cursor, fields = 0, list(h)
    out: list[bytes] = []
    for f in fields:
        if match is None or match(f):
            out.append(f)
            out.append(h[f])
    return [b"%d" % cursor, out]
