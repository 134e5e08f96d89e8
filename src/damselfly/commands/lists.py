"""List commands, blocking pops included (BLPOP, BLMOVE, BLMPOP...), as Redis 7.0.

Values are :class:`~damselfly.types.List` (a Python list while short) or
:class:`~damselfly.types.LongList` (a deque): pushes and pops at either end
are O(1). A list emptied by a pop, LREM or LTRIM is deleted, with a
``del`` event after the command's own event.

The blocking commands first behave like their non-blocking form; with
nothing to pop they park the client through :mod:`damselfly.blocking`, with a
``serve`` callback that pops from the key that became ready (Redis 7.0's
``serveClientBlockedOnList``). Inside MULTI they answer at once. CLIENT
UNBLOCK lives here too, as the blocking family's subcommand of CLIENT.
"""
from __future__ import annotations

from itertools import islice
from typing import TYPE_CHECKING, Any, Callable

from .. import blocking, errors
from ..errors import CommandError
from ..keyspace import NotifyKind
from ..protocol.reply import NULL_ARRAY, OK
from ..types.list import LIST_TYPES, List, grown
from .args import parse_int
from .registry import CommandGroup, reply_here

if TYPE_CHECKING:  # pragma: no cover
    from ..client import Client
    from ..keyspace import Database

group = CommandGroup("list")

_LONG_MAX = 2**63 - 1
_LEFT, _RIGHT = 0, 1
_POP_EVENT = ("lpop", "rpop")
_PUSH_EVENT = ("lpush", "rpush")


def _read(client: "Client", key: bytes) -> Any:
    """The list at ``key`` (a List or LongList) or None; WRONGTYPE for other types."""
    value = client.db.lookup_read(key)
    if value is None or type(value) in LIST_TYPES:
        return value
    raise CommandError(errors.WRONGTYPE)


def _write(db: "Database", key: bytes) -> Any:
    value = db.lookup(key)
    if value is None or type(value) in LIST_TYPES:
        return value
    raise CommandError(errors.WRONGTYPE)


def _keep(db: "Database", key: bytes, lst: Any) -> Any:
    """After an addition: store the long form if a short list outgrew it (TTL kept)."""
    big = grown(lst)
    if big is not lst:
        db.data[key] = big
    return big


def _where(raw: bytes) -> int:
    """LEFT or RIGHT (``getListPositionFromObjectOrReply``)."""
    word = raw.lower()
    if word == b"left":
        return _LEFT
    if word == b"right":
        return _RIGHT
    raise CommandError(errors.SYNTAX)


def _positive(raw: bytes, message: str) -> int:
    """``getPositiveLongFromObjectOrReply`` with a message used for both failures."""
    try:
        value = parse_int(raw)
    except CommandError:
        raise CommandError(message) from None
    if value < 0:
        raise CommandError(message)
    return value


def _removed(db: "Database", key: bytes, lst: Any, where: int, changes: int = 1) -> None:
    """Redis's ``listElementsRemoved``: the pop event, then ``del`` if emptied.

    ``changes``: the elements popped (dirty); deleting the emptied key adds none.
    """
    db.changed(key, _POP_EVENT[where], NotifyKind.LIST, changes)
    if not lst:
        db.delete(key)
        db.changed(key, "del", NotifyKind.GENERIC, 0)


def _pop_range(db: "Database", key: bytes, lst: Any, where: int, count: int) -> list[bytes]:
    """Pop up to ``count`` elements from one end, in pop order."""
    pop = lst.popleft if where == _LEFT else lst.pop
    out = [pop() for _ in range(min(count, len(lst)))]
    _removed(db, key, lst, where, len(out))
    return out


# -- pushes ----------------------------------------------------------------------
def _push(client: "Client", argv: list[bytes], where: int, only_existing: bool) -> int:
    db = client.db
    key = argv[1]
    lst = _write(db, key)
    if lst is None:
        if only_existing:
            return 0
        lst = List()
        db.set(key, lst)
    if where == _LEFT:
        lst.extendleft(argv[2:])
    else:
        lst.extend(argv[2:])
    _keep(db, key, lst)
    db.changed(key, _PUSH_EVENT[where], NotifyKind.LIST, len(argv) - 2)  # one change per element
    return len(lst)


@group.command("lpush", -3, "write denyoom fast", keys=(1, 1, 1), acl="write list fast", since="1.0.0",
               reply_first=True)
def lpush(client: "Client", argv: list[bytes]) -> Any:
    """Prepend one or multiple elements to a list."""
    return _push(client, argv, _LEFT, False)


@group.command("rpush", -3, "write denyoom fast", keys=(1, 1, 1), acl="write list fast", since="1.0.0",
               reply_first=True)
def rpush(client: "Client", argv: list[bytes]) -> Any:
    """Append one or multiple elements to a list."""
    return _push(client, argv, _RIGHT, False)


@group.command("lpushx", -3, "write denyoom fast", keys=(1, 1, 1), acl="write list fast", since="2.2.0",
               reply_first=True)
def lpushx(client: "Client", argv: list[bytes]) -> Any:
    """Prepend an element to a list, only if the list exists."""
    return _push(client, argv, _LEFT, True)


@group.command("rpushx", -3, "write denyoom fast", keys=(1, 1, 1), acl="write list fast", since="2.2.0",
               reply_first=True)
def rpushx(client: "Client", argv: list[bytes]) -> Any:
    """Append an element to a list, only if the list exists."""
    return _push(client, argv, _RIGHT, True)


# -- pops ------------------------------------------------------------------------
def _pop(client: "Client", argv: list[bytes], where: int) -> Any:
    if len(argv) > 3:
        raise CommandError(errors.wrong_arity(argv[0].decode("utf-8", "replace").lower()))
    has_count = len(argv) == 3
    count = _positive(argv[2], errors.COUNT_NEGATIVE) if has_count else 0
    db = client.db
    key = argv[1]
    lst = _write(db, key)
    if lst is None:
        return NULL_ARRAY if has_count else None
    if has_count:
        if not count:
            return []
        return _pop_range(db, key, lst, where, count)
    value = lst.popleft() if where == _LEFT else lst.pop()
    _removed(db, key, lst, where)
    return value


@group.command("lpop", -2, "write fast", keys=(1, 1, 1), acl="write list fast", since="1.0.0", reply_first=True)
def lpop(client: "Client", argv: list[bytes]) -> Any:
    """Remove and get the first elements in a list."""
    return _pop(client, argv, _LEFT)


@group.command("rpop", -2, "write fast", keys=(1, 1, 1), acl="write list fast", since="1.0.0", reply_first=True)
def rpop(client: "Client", argv: list[bytes]) -> Any:
    """Remove and get the last elements in a list."""
    return _pop(client, argv, _RIGHT)


# -- reads and edits ---------------------------------------------------------------
@group.command("llen", 2, "readonly fast", keys=(1, 1, 1), acl="read list fast", since="1.0.0")
def llen(client: "Client", argv: list[bytes]) -> Any:
    """Get the length of a list."""
    lst = _read(client, argv[1])
    return 0 if lst is None else len(lst)


@group.command("lindex", 3, "readonly", keys=(1, 1, 1), acl="read list slow", since="1.0.0")
def lindex(client: "Client", argv: list[bytes]) -> Any:
    """Get an element from a list by its index."""
    lst = _read(client, argv[1])
    if lst is None:
        return None
    index = parse_int(argv[2])
    n = len(lst)
    if index < 0:
        index += n
    if 0 <= index < n:
        return lst[index]  # a deque walks from the nearer end
    return None


@group.command("lset", 4, "write denyoom", keys=(1, 1, 1), acl="write list slow", since="1.0.0", reply_first=True)
def lset(client: "Client", argv: list[bytes]) -> Any:
    """Set the value of an element in a list by its index."""
    db = client.db
    key = argv[1]
    lst = _write(db, key)
    if lst is None:
        raise CommandError(errors.NO_SUCH_KEY)
    index = parse_int(argv[2])
    n = len(lst)
    if index < 0:
        index += n
    if not 0 <= index < n:
        raise CommandError(errors.INDEX_OUT_OF_RANGE)
    lst[index] = argv[3]
    db.changed(key, "lset", NotifyKind.LIST)
    return OK


def _clamp(start: int, end: int, n: int) -> tuple[int, int] | None:
    """Redis's LRANGE/LTRIM index rules: the inclusive range, or None if empty."""
    if start < 0:
        start += n
    if end < 0:
        end += n
    if start < 0:
        start = 0
    if start > end or start >= n:
        return None
    if end >= n:
        end = n - 1
    return start, end


def _slice(lst: Any, start: int, end: int) -> list[bytes]:
    """Elements ``start..end`` (inclusive), walking from the nearer end of the deque."""
    n = len(lst)
    if start <= n - 1 - end:
        return list(islice(lst, start, end + 1))
    out = list(islice(reversed(lst), n - 1 - end, n - start))
    out.reverse()
    return out


@group.command("lrange", 4, "readonly", keys=(1, 1, 1), acl="read list slow", since="1.0.0")
def lrange(client: "Client", argv: list[bytes]) -> Any:
    """Get a range of elements from a list."""
    start = parse_int(argv[2])
    end = parse_int(argv[3])
    lst = _read(client, argv[1])
    if lst is None:
        return []
    span = _clamp(start, end, len(lst))
    return [] if span is None else _slice(lst, *span)


@group.command("ltrim", 4, "write", keys=(1, 1, 1), acl="write list slow", since="1.0.0")
def ltrim(client: "Client", argv: list[bytes]) -> Any:
    """Trim a list to the specified range."""
    start = parse_int(argv[2])
    end = parse_int(argv[3])
    db = client.db
    key = argv[1]
    lst = _write(db, key)
    if lst is None:
        return OK
    n = len(lst)
    span = _clamp(start, end, n)
    if span is None:
        lst.clear()
    else:
        start, end = span
        kept = end - start + 1
        if kept < n - kept:
            items = _slice(lst, start, end)
            lst.clear()
            lst.extend(items)
        else:
            for _ in range(start):
                lst.popleft()
            for _ in range(n - 1 - end):
                lst.pop()
    db.changed(key, "ltrim", NotifyKind.LIST, n - len(lst))  # Redis: one change per element removed
    if not lst:
        db.delete(key)
        db.changed(key, "del", NotifyKind.GENERIC, 0)
    return OK


@group.command("lrem", 4, "write", keys=(1, 1, 1), acl="write list slow", since="1.0.0")
def lrem(client: "Client", argv: list[bytes]) -> Any:
    """Remove elements from a list."""
    count = parse_int(argv[2])
    db = client.db
    key = argv[1]
    lst = _write(db, key)
    if lst is None:
        return 0
    element = argv[3]
    if element not in lst:
        return 0
    if count == 1:
        lst.remove(element)
        removed = 1
    else:
        budget = abs(count) if count else -1
        source = reversed(lst) if count < 0 else iter(lst)
        kept: list[bytes] = []
        removed = 0
        for item in source:
            if budget and item == element:
                removed += 1
                budget -= 1
            else:
                kept.append(item)
        if count < 0:
            kept.reverse()
        lst.clear()
        lst.extend(kept)
    db.changed(key, "lrem", NotifyKind.LIST, removed)
    if not lst:
        db.delete(key)
        db.changed(key, "del", NotifyKind.GENERIC, 0)
    return removed


@group.command("linsert", 5, "write denyoom", keys=(1, 1, 1), acl="write list slow", since="2.2.0")
def linsert(client: "Client", argv: list[bytes]) -> Any:
    """Insert an element before or after another element in a list."""
    side = argv[2].lower()
    if side == b"after":
        after = True
    elif side == b"before":
        after = False
    else:
        raise CommandError(errors.SYNTAX)
    db = client.db
    key = argv[1]
    lst = _write(db, key)
    if lst is None:
        return 0
    try:
        index = lst.index(argv[3])
    except ValueError:
        return -1
    lst.insert(index + 1 if after else index, argv[4])
    _keep(db, key, lst)
    db.changed(key, "linsert", NotifyKind.LIST)
    return len(lst)


def _wrap64(v: int) -> int:
    return (v + 2**63) % 2**64 - 2**63


@group.command("lpos", -3, "readonly", keys=(1, 1, 1), acl="read list slow", since="6.0.6")
def lpos(client: "Client", argv: list[bytes]) -> Any:
    """Return the index of matching elements on a list."""
    rank, count, maxlen = 1, -1, 0
    i = 3
    n = len(argv)
    while i < n:
        opt = argv[i].lower()
        more = n - 1 - i
        if opt == b"rank" and more:
            i += 1
            rank = parse_int(argv[i])  # Redis 7.0 lets -2**63 through
            if rank == 0:
                raise CommandError(errors.LPOS_RANK_ZERO)
        elif opt == b"count" and more:
            i += 1
            count = _positive(argv[i], errors.LPOS_COUNT_NEGATIVE)
        elif opt == b"maxlen" and more:
            i += 1
            maxlen = _positive(argv[i], errors.LPOS_MAXLEN_NEGATIVE)
        else:
            raise CommandError(errors.SYNTAX)
        i += 1
    from_tail = rank < 0
    if from_tail:
        rank = _wrap64(-rank)  # -LONG_MIN stays negative, as in C
    lst = _read(client, argv[1])
    if lst is None:
        return [] if count != -1 else None
    element = argv[2]
    size = len(lst)
    source = reversed(lst) if from_tail else iter(lst)
    if maxlen:
        source = islice(source, maxlen)
    matches = 0
    found: list[int] = []
    for index, item in enumerate(source):
        if item == element:
            matches += 1
            if matches >= rank:
                position = size - index - 1 if from_tail else index
                if count == -1:
                    return position
                found.append(position)
                if count and _wrap64(matches - rank + 1) >= count:
                    break
    return found if count != -1 else None


# -- moves -------------------------------------------------------------------------
def _move(client: "Client", src: bytes, lst: Any, dst: bytes, target: Any,
          wherefrom: int, whereto: int) -> bytes:
    """Redis's ``lmoveGenericCommand`` once both keys are known to be lists (or missing).

    Redis replies between the push event and the pop event (``lmoveHandlePush``
    replies; the pop is notified after it), also to a blocked client it serves.
    """
    db = client.db
    value = lst.popleft() if wherefrom == _LEFT else lst.pop()
    if target is None:
        target = List()
        db.set(dst, target)
    if whereto == _LEFT:
        target.appendleft(value)
    else:
        target.append(value)
    _keep(db, dst, target)
    db.changed(dst, _PUSH_EVENT[whereto], NotifyKind.LIST)  # the move is one change for Redis
    reply_here(client)
    db.changed(src, _POP_EVENT[wherefrom], NotifyKind.LIST, 0)
    if not lst:
        db.delete(src)
        db.changed(src, "del", NotifyKind.GENERIC, 0)
    return value


def _lmove(client: "Client", src: bytes, dst: bytes, wherefrom: int, whereto: int) -> Any:
    db = client.db
    lst = _write(db, src)
    if lst is None:
        return None
    target = _write(db, dst)
    return _move(client, src, lst, dst, target, wherefrom, whereto)


@group.command("lmove", 5, "write denyoom", keys=(1, 2, 1), acl="write list slow", since="6.2.0")
def lmove(client: "Client", argv: list[bytes]) -> Any:
    """Pop an element from a list, push it to another list and return it."""
    wherefrom = _where(argv[3])
    whereto = _where(argv[4])
    return _lmove(client, argv[1], argv[2], wherefrom, whereto)


@group.command("rpoplpush", 3, "write denyoom", keys=(1, 2, 1), acl="write list slow", since="1.2.0")
def rpoplpush(client: "Client", argv: list[bytes]) -> Any:
    """Remove the last element in a list, prepend it to another list and return it."""
    return _lmove(client, argv[1], argv[2], _RIGHT, _LEFT)


# -- LMPOP and the blocking family -----------------------------------------------------
def _parse_mpop(argv: list[bytes], numkeys_at: int) -> tuple[list[bytes], int, int]:
    """``numkeys key... LEFT|RIGHT [COUNT n]`` -> (keys, where, count)."""
    try:
        numkeys = parse_int(argv[numkeys_at])
    except CommandError:
        raise CommandError(errors.NUMKEYS_NOT_POSITIVE) from None
    if numkeys < 1:
        raise CommandError(errors.NUMKEYS_NOT_POSITIVE)
    where_at = numkeys_at + numkeys + 1
    if where_at >= len(argv):
        raise CommandError(errors.SYNTAX)
    where = _where(argv[where_at])
    count = -1
    i = where_at + 1
    n = len(argv)
    while i < n:
        if count == -1 and argv[i].lower() == b"count" and n - 1 - i:
            i += 1
            try:
                count = parse_int(argv[i])
            except CommandError:
                raise CommandError(errors.COUNT_NOT_POSITIVE) from None
            if count < 1:
                raise CommandError(errors.COUNT_NOT_POSITIVE)
        else:
            raise CommandError(errors.SYNTAX)
        i += 1
    return argv[numkeys_at + 1:where_at], where, 1 if count == -1 else count


def _first_nonempty(db: "Database", keys: list[bytes]) -> tuple[bytes, Any] | None:
    """The first key holding a list; WRONGTYPE stops the scan where Redis stops it."""
    for key in keys:
        lst = _write(db, key)
        if lst:
            return key, lst
    return None


@group.command("lmpop", -4, "write movablekeys", acl="write list slow", since="7.0.0", reply_first=True)
def lmpop(client: "Client", argv: list[bytes]) -> Any:
    """Pop elements from a list."""
    keys, where, count = _parse_mpop(argv, 1)
    db = client.db
    found = _first_nonempty(db, keys)
    if found is None:
        return NULL_ARRAY
    key, lst = found
    return [key, _pop_range(db, key, lst, where, count)]


def _serve_pop(where: int, count: int | None) -> Callable[["Client"], Any]:
    """A blocked BLPOP/BRPOP (``count`` None) or BLMPOP client, served from the ready key.

    Redis replies before the pop event, as these commands do when they do not
    block (``reply_first``): the mark keeps the pushes already queued for the
    client (the write that woke it) ahead of the reply.
    """
    def serve(client: "Client") -> Any:
        key = client.blocked.key
        db = client.db
        lst = db.lookup(key)
        if type(lst) not in LIST_TYPES or not lst:
            return None
        reply_here(client)
        if count is None:
            value = lst.popleft() if where == _LEFT else lst.pop()
            _removed(db, key, lst, where)
            return [key, value]
        return [key, _pop_range(db, key, lst, where, count)]
    return serve


def _blocking_pop(client: "Client", keys: list[bytes], timeout: float, where: int,
                  count: int | None) -> Any:
    """Redis's ``blockingPopGenericCommand``."""
    db = client.db
    found = _first_nonempty(db, keys)
    if found is not None:
        key, lst = found
        if count is None:
            value = lst.popleft() if where == _LEFT else lst.pop()
            _removed(db, key, lst, where)
            return [key, value]
        return [key, _pop_range(db, key, lst, where, count)]
    return blocking.block(client, keys, timeout, _serve_pop(where, count), NULL_ARRAY)


@group.command("blpop", -3, "write noscript blocking", keys=(1, -2, 1), acl="write list slow blocking",
               since="2.0.0", reply_first=True)
def blpop(client: "Client", argv: list[bytes]) -> Any:
    """Remove and get the first element in a list, or block until one is available."""
    timeout = blocking.parse_timeout(argv[-1])
    return _blocking_pop(client, argv[1:-1], timeout, _LEFT, None)


@group.command("brpop", -3, "write noscript blocking", keys=(1, -2, 1), acl="write list slow blocking",
               since="2.0.0", reply_first=True)
def brpop(client: "Client", argv: list[bytes]) -> Any:
    """Remove and get the last element in a list, or block until one is available."""
    timeout = blocking.parse_timeout(argv[-1])
    return _blocking_pop(client, argv[1:-1], timeout, _RIGHT, None)


@group.command("blmpop", -5, "write blocking movablekeys", acl="write list slow blocking", since="7.0.0",
               reply_first=True)
def blmpop(client: "Client", argv: list[bytes]) -> Any:
    """Pop elements from a list, or block until one is available."""
    keys, where, count = _parse_mpop(argv, 2)
    timeout = blocking.parse_timeout(argv[1])
    return _blocking_pop(client, keys, timeout, where, count)


def _serve_move(dst: bytes, wherefrom: int, whereto: int) -> Callable[["Client"], Any]:
    """A blocked BLMOVE/BRPOPLPUSH client: WRONGTYPE if the destination turned bad."""
    def serve(client: "Client") -> Any:
        src = client.blocked.key
        db = client.db
        lst = db.lookup(src)
        if type(lst) not in LIST_TYPES or not lst:
            return None
        target = db.lookup(dst)
        if target is not None and type(target) not in LIST_TYPES:
            return CommandError(errors.WRONGTYPE)
        return _move(client, src, lst, dst, target, wherefrom, whereto)
    return serve


def _blmove(client: "Client", src: bytes, dst: bytes, wherefrom: int, whereto: int, timeout: float) -> Any:
    db = client.db
    lst = _write(db, src)
    if lst:
        return _move(client, src, lst, dst, _write(db, dst), wherefrom, whereto)
    if not blocking.may_block(client):
        return None
    return blocking.block(client, [src], timeout, _serve_move(dst, wherefrom, whereto), NULL_ARRAY)


@group.command("blmove", 6, "write denyoom noscript blocking", keys=(1, 2, 1), acl="write list slow blocking",
               since="6.2.0")
def blmove(client: "Client", argv: list[bytes]) -> Any:
    """Pop an element from a list, push it to another list and return it; or block until one is available."""
    wherefrom = _where(argv[3])
    whereto = _where(argv[4])
    timeout = blocking.parse_timeout(argv[5])
    return _blmove(client, argv[1], argv[2], wherefrom, whereto, timeout)


@group.command("brpoplpush", 4, "write denyoom noscript blocking", keys=(1, 2, 1),
               acl="write list slow blocking", since="2.2.0")
def brpoplpush(client: "Client", argv: list[bytes]) -> Any:
    """Pop an element from a list, push it to another list and return it; or block until one is available."""
    timeout = blocking.parse_timeout(argv[3])
    return _blmove(client, argv[1], argv[2], _RIGHT, _LEFT, timeout)


@group.subcommand("client", "unblock", -3, "admin noscript loading stale",
                  acl="admin slow dangerous connection", since="5.0.0")
def client_unblock(client: "Client", argv: list[bytes]) -> Any:
    """Unblock a client blocked in a blocking command from a different connection."""
    if len(argv) > 4:
        raise CommandError(errors.subcommand_syntax(argv[1], argv[0]))
    with_error = False
    if len(argv) == 4:
        reason = argv[3].lower()
        if reason == b"error":
            with_error = True
        elif reason != b"timeout":
            raise CommandError(errors.UNBLOCK_REASON)
    target_id = parse_int(argv[2])
    server = client.server
    target = server.clients.get(target_id)
    if target is None or not isinstance(target.blocked, blocking.BlockState):
        return 0
    if with_error:
        reply: Any = CommandError(errors.UNBLOCKED)
        stats = server.stats
        stats.total_error_replies += 1
        stats.errorstats["UNBLOCKED"] = stats.errorstats.get("UNBLOCKED", 0) + 1
    else:
        reply = target.blocked.timeout_reply
    return 1 if blocking.registry(client).unblock(target, reply) else 0
