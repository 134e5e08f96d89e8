"""Set commands (SADD, SPOP, SINTERCARD, SUNIONSTORE, SSCAN...), as Redis 7.0.

Values are :class:`~damselfly.types.Set`. Reply types follow Redis 7.0 in
RESP3: SMEMBERS, SINTER, SUNION, SDIFF and SPOP with a count are sets;
SRANDMEMBER with a count is an array. Where Redis's order is defined (an
intset iterates in numeric order, and SUNION/SDIFF/SPOP-all reply from a
freshly built set that is an intset when it can be) the same order is used.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import errors
from ..errors import CommandError
from ..keyspace import NotifyKind
from ..protocol.reply import SetReply
from ..types import Set
from ..types.sampling import distinct, pick, picks
from ..types.scan import parse_cursor, parse_scan_options, scan_step
from .args import parse_int
from .registry import CommandGroup, reply_here

if TYPE_CHECKING:  # pragma: no cover
    from ..client import Client
    from ..keyspace import Database

group = CommandGroup("set")

_LONG_MAX = 2**63 - 1
# Largest |count| served for SRANDMEMBER with repetitions (see hashes.py).
_MAX_REPEATED = 1 << 27


def _read(client: "Client", key: bytes) -> Set | None:
    value = client.db.lookup_read(key)
    if value is None or type(value) is Set:
        return value
    raise CommandError(errors.WRONGTYPE)


def _write(db: "Database", key: bytes) -> Set | None:
    value = db.lookup(key)
    if value is None or type(value) is Set:
        return value
    raise CommandError(errors.WRONGTYPE)


def _max_intset(client: "Client") -> int:
    return client.server.config.set_max_intset_entries


def _drop_if_empty(db: "Database", key: bytes, s: Set) -> None:
    """Delete a set its members' removal emptied (no change of its own for ``dirty``, as in Redis)."""
    if not s:
        db.delete(key)
        db.changed(key, "del", NotifyKind.GENERIC, 0)


@group.command("sadd", -3, "write denyoom fast", keys=(1, 1, 1), acl="write set fast", since="1.0.0")
def sadd(client: "Client", argv: list[bytes]) -> Any:
    """Add one or more members to a set."""
    db = client.db
    key = argv[1]
    s = _write(db, key)
    if s is None:
        s = Set()
        db.set(key, s)
    added = s.add_members(argv[2:], _max_intset(client))
    if added:
        db.changed(key, "sadd", NotifyKind.SET, added)
    return added


@group.command("srem", -3, "write fast", keys=(1, 1, 1), acl="write set fast", since="1.0.0")
def srem(client: "Client", argv: list[bytes]) -> Any:
    """Remove one or more members from a set."""
    db = client.db
    key = argv[1]
    s = _write(db, key)
    if s is None:
        return 0
    removed = s.remove_members(argv[2:])
    if removed:
        db.changed(key, "srem", NotifyKind.SET, removed)
        _drop_if_empty(db, key, s)
    return removed


@group.command("scard", 2, "readonly fast", keys=(1, 1, 1), acl="read set fast", since="1.0.0")
def scard(client: "Client", argv: list[bytes]) -> Any:
    """Get the number of members in a set."""
    s = _read(client, argv[1])
    return 0 if s is None else len(s)


@group.command("sismember", 3, "readonly fast", keys=(1, 1, 1), acl="read set fast", since="1.0.0")
def sismember(client: "Client", argv: list[bytes]) -> Any:
    """Determine if a given value is a member of a set."""
    s = _read(client, argv[1])
    return 1 if s is not None and argv[2] in s else 0


@group.command("smismember", -3, "readonly fast", keys=(1, 1, 1), acl="read set fast", since="6.2.0")
def smismember(client: "Client", argv: list[bytes]) -> Any:
    """Returns the membership associated with the given elements for a set."""
    s = _read(client, argv[1])
    if s is None:
        return [0] * (len(argv) - 2)
    return [1 if m in s else 0 for m in argv[2:]]


@group.command("smembers", 2, "readonly", keys=(1, 1, 1), acl="read set slow", since="1.0.0",
               tips="nondeterministic_output_order")
def smembers(client: "Client", argv: list[bytes]) -> Any:
    """Get all the members in a set."""
    s = _read(client, argv[1])
    return SetReply() if s is None else SetReply(s.ordered())


def _positive(raw: bytes) -> int:
    """``getPositiveLongFromObjectOrReply``: one message for text and negatives."""
    try:
        value = parse_int(raw)
    except CommandError:
        raise CommandError(errors.COUNT_NEGATIVE) from None
    if value < 0:
        raise CommandError(errors.COUNT_NEGATIVE)
    return value


def _parse_range_count(raw: bytes) -> int:
    count = parse_int(raw)
    if count < -_LONG_MAX:
        raise CommandError(errors.value_range(-_LONG_MAX, _LONG_MAX))
    return count


@group.command("srandmember", -2, "readonly", keys=(1, 1, 1), acl="read set slow", since="1.0.0",
               tips="nondeterministic_output")
def srandmember(client: "Client", argv: list[bytes]) -> Any:
    """Get one or multiple random members from a set."""
    if len(argv) > 3:
        raise CommandError(errors.SYNTAX)
    if len(argv) == 2:
        s = _read(client, argv[1])
        if s is None:
            return None
        return pick(s)
    count = _parse_range_count(argv[2])
    s = _read(client, argv[1])
    if s is None or count == 0:
        return []
    if count < 0 or count == 1:
        n = -count if count < 0 else 1
        if n > _MAX_REPEATED:
            raise CommandError(errors.OUT_OF_RANGE)
        return picks(s, n)
    if count >= len(s):
        return s.ordered()
    return distinct(s, count)


@group.command("spop", -2, "write fast", keys=(1, 1, 1), acl="write set fast", since="1.0.0",
               tips="nondeterministic_output")
def spop(client: "Client", argv: list[bytes]) -> Any:
    """Remove and return one or multiple random members from a set."""
    if len(argv) > 3:
        raise CommandError(errors.SYNTAX)
    db = client.db
    key = argv[1]
    if len(argv) == 2:
        s = _write(db, key)
        if s is None:
            return None
        member = pick(s)
        s.discard(member)
        db.changed(key, "spop", NotifyKind.SET)
        reply_here(client)  # Redis replies between the spop and the del of an emptied set
        _drop_if_empty(db, key, s)
        return member
    count = _positive(argv[2])
    s = _write(db, key)
    if s is None or count == 0:
        return SetReply()
    db.changed(key, "spop", NotifyKind.SET, min(count, len(s)))
    reply_here(client)  # as without a count: the del of an emptied set follows the reply
    if count >= len(s):
        result = Set(s, _max_intset(client))
        db.delete(key)
        db.changed(key, "del", NotifyKind.GENERIC, 0)
        return SetReply(result.ordered())
    remaining = len(s) - count
    if remaining * 5 > count:
        popped = []
        for _ in range(count):
            member = pick(s)
            s.discard(member)
            popped.append(member)
        return SetReply(popped)
    # Redis keeps a few random members in a new set and returns the rest: the
    # set left behind is re-encoded from what it holds (it may be an intset again).
    kept = distinct(s, remaining)
    s.difference_update(kept)
    popped = s.ordered()  # the old set's order: numeric for an intset
    s.clear()
    s.pool = s.scan = None
    s.intset = True
    s.add_members(kept, _max_intset(client))
    return SetReply(popped)


@group.command("smove", 4, "write fast", keys=(1, 2, 1), acl="write set fast", since="1.0.0")
def smove(client: "Client", argv: list[bytes]) -> Any:
    """Move a member from one set to another."""
    db = client.db
    src_key, dst_key, member = argv[1], argv[2], argv[3]
    src = db.lookup(src_key)
    dst = db.lookup(dst_key)
    if src is None:
        return 0
    if type(src) is not Set or (dst is not None and type(dst) is not Set):
        raise CommandError(errors.WRONGTYPE)
    if src is dst:
        return 1 if member in src else 0
    if not src.remove_members((member,)):
        return 0
    db.changed(src_key, "srem", NotifyKind.SET)
    _drop_if_empty(db, src_key, src)
    if dst is None:
        dst = Set()
        db.set(dst_key, dst)
    if dst.add_members((member,), _max_intset(client)):
        db.changed(dst_key, "sadd", NotifyKind.SET)
    return 1


# -- algebra ---------------------------------------------------------------------------
def _sources(client: "Client", keys: list[bytes]) -> list[Set | None]:
    """Every key's set (None if missing); WRONGTYPE if any key holds another type."""
    return [_read(client, k) for k in keys]


def _intersection(sets: list[Set | None], limit: int = 0) -> list[bytes]:
    """Members of all ``sets``, in the smallest set's order; stop at ``limit`` if set."""
    if not sets or any(s is None for s in sets):
        return []
    ordered = sorted(sets, key=len)  # type: ignore[arg-type]
    smallest, others = ordered[0], ordered[1:]
    out: list[bytes] = []
    for m in smallest.ordered():  # type: ignore[union-attr]
        for other in others:
            if m not in other:  # type: ignore[operator]
                break
        else:
            out.append(m)
            if limit and len(out) >= limit:
                break
    return out


def _union(sets: list[Set | None], max_intset: int) -> Set:
    result = Set()
    for s in sets:
        if s is not None:
            result.add_members(s, max_intset)
    return result


def _difference(sets: list[Set | None], max_intset: int) -> Set:
    first = sets[0]
    if first is None:
        return Set()
    rest = [s for s in sets[1:] if s]
    return Set((m for m in first if not any(m in s for s in rest)), max_intset)


def _store(client: "Client", dst: bytes, result: Set, event: str) -> int:
    """Redis's STORE epilogue: replace ``dst`` (dropping its TTL), or delete it if empty."""
    db = client.db
    if result:
        db.set(dst, result)
        db.changed(dst, event, NotifyKind.SET)
        return len(result)
    if db.delete(dst):
        db.changed(dst, "del", NotifyKind.GENERIC)
    return 0


@group.command("sinter", -2, "readonly", keys=(1, -1, 1), acl="read set slow", since="1.0.0",
               tips="nondeterministic_output_order")
def sinter(client: "Client", argv: list[bytes]) -> Any:
    """Intersect multiple sets."""
    return SetReply(_intersection(_sources(client, argv[1:])))


@group.command("sintercard", -3, "readonly movablekeys", acl="read set slow", since="7.0.0")
def sintercard(client: "Client", argv: list[bytes]) -> Any:
    """Intersect multiple sets and return the cardinality of the result."""
    try:
        numkeys = parse_int(argv[1])
    except CommandError:
        raise CommandError(errors.NUMKEYS_NOT_POSITIVE) from None
    if numkeys < 1:
        raise CommandError(errors.NUMKEYS_NOT_POSITIVE)
    if numkeys > len(argv) - 2:
        raise CommandError(errors.NUMKEYS_TOO_MANY)
    limit = 0
    i = 2 + numkeys
    n = len(argv)
    while i < n:
        if argv[i].lower() == b"limit" and n - 1 - i:
            i += 1
            try:
                limit = parse_int(argv[i])
            except CommandError:
                raise CommandError(errors.LIMIT_NEGATIVE) from None
            if limit < 0:
                raise CommandError(errors.LIMIT_NEGATIVE)
        else:
            raise CommandError(errors.SYNTAX)
        i += 1
    return len(_intersection(_sources(client, argv[2:2 + numkeys]), limit))


@group.command("sinterstore", -3, "write denyoom", keys=(1, -1, 1), acl="write set slow", since="1.0.0")
def sinterstore(client: "Client", argv: list[bytes]) -> Any:
    """Intersect multiple sets and store the resulting set in a key."""
    sets = _sources(client, argv[2:])
    if None not in sets:  # Redis replies before its event, except on its way out for a missing source
        reply_here(client)
    return _store(client, argv[1], Set(_intersection(sets), _max_intset(client)), "sinterstore")


@group.command("sunion", -2, "readonly", keys=(1, -1, 1), acl="read set slow", since="1.0.0",
               tips="nondeterministic_output_order")
def sunion(client: "Client", argv: list[bytes]) -> Any:
    """Add multiple sets."""
    return SetReply(_union(_sources(client, argv[1:]), _max_intset(client)).ordered())


@group.command("sunionstore", -3, "write denyoom", keys=(1, -1, 1), acl="write set slow", since="1.0.0",
               reply_first=True)
def sunionstore(client: "Client", argv: list[bytes]) -> Any:
    """Add multiple sets and store the resulting set in a key."""
    result = _union(_sources(client, argv[2:]), _max_intset(client))
    return _store(client, argv[1], result, "sunionstore")


@group.command("sdiff", -2, "readonly", keys=(1, -1, 1), acl="read set slow", since="1.0.0",
               tips="nondeterministic_output_order")
def sdiff(client: "Client", argv: list[bytes]) -> Any:
    """Subtract multiple sets."""
    return SetReply(_difference(_sources(client, argv[1:]), _max_intset(client)).ordered())


@group.command("sdiffstore", -3, "write denyoom", keys=(1, -1, 1), acl="write set slow", since="1.0.0",
               reply_first=True)
def sdiffstore(client: "Client", argv: list[bytes]) -> Any:
    """Subtract multiple sets and store the resulting set in a key."""
    result = _difference(_sources(client, argv[2:]), _max_intset(client))
    return _store(client, argv[1], result, "sdiffstore")


@group.command("sscan", -3, "readonly", keys=(1, 1, 1), acl="read set slow", since="2.8.0",
               tips="nondeterministic_output")
def sscan(client: "Client", argv: list[bytes]) -> Any:
    """Incrementally iterate Set elements."""
    cursor = parse_cursor(argv[2])
    s = _read(client, argv[1])
    if s is None:
        return [b"0", []]
    count, match = parse_scan_options(argv, 3)
    if s.intset:
        cursor, members = 0, s.ordered()
    else:
        cursor, members = scan_step(s, cursor, count)
    if match is not None:
        members = [m for m in members if match(m)]
    return [b"%d" % cursor, members]
