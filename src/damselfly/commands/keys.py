"""Generic key commands: DEL, EXISTS, TYPE, RENAME, MOVE, COPY, KEYS, SCAN, expiry, OBJECT...

These work on values of every type: TYPE and OBJECT ENCODING ask the registry
in ``keyspace/encoding.py``, COPY duplicates through it. Lookups follow
Redis's flags: commands that only inspect a key (TYPE, EXISTS, TTL, OBJECT)
use ``Database.peek``/``peek_read`` so they do not count as an access for
OBJECT IDLETIME, as Redis's LOOKUP_NOTOUCH; the others record the access.

A key moved into place (RENAME, MOVE, COPY) keeps its TTL and, for RENAME and
MOVE (the same object in Redis), its access time and per-key string encoding.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import errors
from ..errors import CommandError
from ..glob import compile_glob
from ..keyspace import NotifyKind
from ..keyspace.encoding import copy_value, key_encoding, type_name_of
from ..keyspace.lfu import frequency
from ..keyspace.scan import iteration, parse_cursor
from ..protocol.reply import OK, Simple
from .args import parse_int
from .registry import CommandGroup, reply_here
from .strings import option_word

if TYPE_CHECKING:  # pragma: no cover
    from ..client import Client
    from ..keyspace import Database
    from ..state import ServerState

group = CommandGroup("generic")

_GENERIC = int(NotifyKind.GENERIC)
_INT64_MAX = 2**63 - 1
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1
# C's LLONG_MIN / 1000 truncates toward zero.
_MIN_SECONDS = -(2**63 // 1000)
_MAX_SECONDS = _INT64_MAX // 1000
_SHARED_INTEGERS = 10000  # OBJ_SHARED_INTEGERS
_SHARED_REFCOUNT = 2**31 - 1  # OBJ_SHARED_REFCOUNT, what OBJECT REFCOUNT shows for them


def install(state: "ServerState") -> None:
    """Keyspace iteration state, and the LFU switch that follows maxmemory-policy."""
    from ..keyspace import scan
    scan.install(state)
    config = state.config
    keyspace = state.keyspace

    def apply(name: str, value: Any) -> None:
        if name == "maxmemory-policy":
            keyspace.lfu = value.endswith("-lfu")
        elif name == "lfu-log-factor":
            keyspace.lfu_log_factor = value
        elif name == "lfu-decay-time":
            keyspace.lfu_decay_time = value

    for name in ("maxmemory-policy", "lfu-log-factor", "lfu-decay-time"):
        if name in config.values:
            apply(name, config.values[name])
    config.listeners.append(apply)


def _db_index(client: "Client", raw: bytes, message: str | None = None) -> int:
    """Redis's ``getIntFromObjectOrReply`` for a database number (not yet range-checked)."""
    value = parse_int(raw, message or errors.NOT_INTEGER)
    if value < _INT32_MIN or value > _INT32_MAX:
        raise CommandError(message or errors.value_range(_INT32_MIN, _INT32_MAX))
    return value


def _other_db(client: "Client", raw: bytes) -> "Database":
    index = _db_index(client, raw)
    dbs = client.server.keyspace.dbs
    if not 0 <= index < len(dbs):
        raise CommandError(errors.INVALID_DB)
    return dbs[index]


# -- existence and deletion -------------------------------------------------------------

def _delete(client: "Client", argv: list[bytes]) -> int:
    db = client.db
    deleted = 0
    for key in argv[1:]:
        if db.delete(key):
            db.changed(key, "del", _GENERIC)
            deleted += 1
    return deleted


@group.command("del", -2, "write", keys=(1, -1, 1), acl="keyspace write slow",
               tips="request_policy:multi_shard response_policy:agg_sum")
def del_(client: "Client", argv: list[bytes]) -> Any:
    """Delete a key."""
    return _delete(client, argv)


@group.command("unlink", -2, "write fast", keys=(1, -1, 1), acl="keyspace write fast", since="4.0.0",
               tips="request_policy:multi_shard response_policy:agg_sum")
def unlink(client: "Client", argv: list[bytes]) -> Any:
    """Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking."""
    return _delete(client, argv)


@group.command("exists", -2, "readonly fast", keys=(1, -1, 1), acl="keyspace read fast",
               tips="request_policy:multi_shard response_policy:agg_sum")
def exists(client: "Client", argv: list[bytes]) -> Any:
    """Determine if a key exists."""
    peek = client.db.peek_read
    return sum(1 for key in argv[1:] if peek(key) is not None)


@group.command("touch", -2, "readonly fast", keys=(1, -1, 1), acl="keyspace read fast", since="3.2.1",
               tips="request_policy:multi_shard response_policy:agg_sum")
def touch(client: "Client", argv: list[bytes]) -> Any:
    """Alters the last access time of a key(s). Returns the number of existing keys specified."""
    lookup = client.db.lookup_read
    return sum(1 for key in argv[1:] if lookup(key) is not None)


@group.command("type", 2, "readonly fast", keys=(1, 1, 1), acl="keyspace read fast")
def type_(client: "Client", argv: list[bytes]) -> Any:
    """Determine the type stored at key."""
    value = client.db.peek_read(argv[1])
    return Simple("none" if value is None else type_name_of(value))


# -- moving keys ---------------------------------------------------------------------------

def _transplant(src: "Database", key: bytes, dst: "Database", new_key: bytes, value: Any) -> None:
    """Move ``value`` from ``src[key]`` to ``dst[new_key]`` with its TTL, access time and encoding."""
    deadline = src.expires.get(key)
    access = src.lru.get(key)
    forced = src.str_encodings.get(key) if src.str_encodings else None
    src.delete(key)
    dst.set(new_key, value)
    if access is not None:
        dst.lru[new_key] = access
    if deadline is not None:
        dst.set_expire(new_key, deadline)
    if forced is not None and forced[0] is value:
        dst.str_encodings[new_key] = forced


def _rename(client: "Client", argv: list[bytes], nx: bool) -> Any:
    db = client.db
    src, dst = argv[1], argv[2]
    value = db.lookup(src)
    if value is None:
        raise CommandError(errors.NO_SUCH_KEY)
    if src == dst:
        return 0 if nx else OK
    if db.lookup(dst) is not None:
        if nx:
            return 0
        db.delete(dst)
    _transplant(db, src, db, dst, value)
    db.changed(src, "rename_from", _GENERIC)
    db.changed(dst, "rename_to", _GENERIC)
    db.keyspace.dirty -= 1  # one change for Redis (INFO rdb_changes_since_last_save, save points)
    return 1 if nx else OK


@group.command("rename", 3, "write", keys=(1, 2, 1), acl="keyspace write slow")
def rename(client: "Client", argv: list[bytes]) -> Any:
    """Rename a key."""
    return _rename(client, argv, False)


@group.command("renamenx", 3, "write fast", keys=(1, 2, 1), acl="keyspace write fast")
def renamenx(client: "Client", argv: list[bytes]) -> Any:
    """Rename a key, only if the new key does not exist."""
    return _rename(client, argv, True)


@group.command("move", 3, "write fast", keys=(1, 1, 1), acl="keyspace write fast")
def move(client: "Client", argv: list[bytes]) -> Any:
    """Move a key to another database."""
    src = client.db
    dst = _other_db(client, argv[2])
    if dst is src:
        raise CommandError(errors.SAME_OBJECT)
    key = argv[1]
    value = src.lookup(key)
    if value is None or dst.lookup(key) is not None:
        return 0
    _transplant(src, key, dst, key, value)
    src.changed(key, "move_from", _GENERIC)
    dst.changed(key, "move_to", _GENERIC)
    src.keyspace.dirty -= 1  # one change for Redis
    return 1


@group.command("copy", -3, "write denyoom", keys=(1, 2, 1), acl="keyspace write slow", since="6.2.0")
def copy(client: "Client", argv: list[bytes]) -> Any:
    """Copy a key."""
    src = dst = client.db
    replace = False
    j = 3
    n = len(argv)
    while j < n:
        opt = option_word(argv[j])
        if opt == b"replace":
            replace = True
        elif opt == b"db" and j + 1 < n:
            dst = _other_db(client, argv[j + 1])
            j += 1
        else:
            raise CommandError(errors.SYNTAX)
        j += 1
    key, new_key = argv[1], argv[2]
    if src is dst and key == new_key:
        raise CommandError(errors.SAME_OBJECT)
    value = src.lookup_read(key)
    if value is None:
        return 0
    if dst.lookup(new_key) is not None:
        if not replace:
            return 0
        dst.delete(new_key)
    deadline = src.expires.get(key)
    duplicate = copy_value(value)
    dst.set(new_key, duplicate)
    if deadline is not None:
        dst.set_expire(new_key, deadline)
    forced = src.str_encodings.get(key) if src.str_encodings else None
    if forced is not None and forced[0] is value:
        dst.str_encodings[new_key] = (duplicate, forced[1])
    dst.changed(new_key, "copy_to", _GENERIC)
    return 1


# -- the whole keyspace --------------------------------------------------------------------------

@group.command("randomkey", 1, "readonly", acl="keyspace read slow",
               tips="request_policy:all_shards nondeterministic_output")
def randomkey(client: "Client", argv: list[bytes]) -> Any:
    """Return a random key from the keyspace."""
    return iteration(client.server).sampler.random_key(client.db)


@group.command("keys", 2, "readonly", acl="keyspace read slow dangerous",
               tips="request_policy:all_shards nondeterministic_output_order")
def keys(client: "Client", argv: list[bytes]) -> Any:
    """Find all keys matching the given pattern."""
    db = client.db
    live = list(db.data) if not db.expires else list(db.keys())
    pattern = argv[1]
    if pattern == b"*":
        return live
    match = compile_glob(pattern)
    return [key for key in live if match(key)]


@group.command("scan", -2, "readonly", acl="keyspace read slow", since="2.8.0",
               tips="nondeterministic_output request_policy:special")
def scan(client: "Client", argv: list[bytes]) -> Any:
    """Incrementally iterate the keys space."""
    cursor = parse_cursor(argv[1])
    if cursor is None:
        raise CommandError(errors.INVALID_CURSOR)
    count = 10
    pattern: bytes | None = None
    type_name: bytes | None = None
    i = 2
    n = len(argv)
    while i < n:
        opt = option_word(argv[i])
        if opt == b"count" and i + 1 < n:
            count = parse_int(argv[i + 1])
            if count < 1:
                raise CommandError(errors.SYNTAX)
        elif opt == b"match" and i + 1 < n:
            pattern = argv[i + 1]
        elif opt == b"type" and i + 1 < n:
            type_name = option_word(argv[i + 1])
        else:
            raise CommandError(errors.SYNTAX)
        i += 2
    db = client.db
    next_cursor, batch = iteration(client.server).cache.step(db.index, cursor, count, lambda: list(db.data))
    match = compile_glob(pattern) if pattern is not None and pattern != b"*" else None
    found = []
    if type_name is None:
        peek = db.peek
        for key in batch:
            if (match is None or match(key)) and peek(key) is not None:
                found.append(key)
    else:
        # Redis's order: MATCH, then TYPE through a read lookup (counted in
        # keyspace_hits/misses, expiring the key), then the expiry check, which a
        # key deleted by that lookup passes: "TYPE none" returns expired keys.
        wanted = type_name.decode("latin-1")
        data = db.data
        for key in batch:
            if match is not None and not match(key):
                continue
            present = key in data
            value = db.peek_read(key)
            if value is None:
                if wanted == "none" and present:
                    found.append(key)
            elif type_name_of(value) == wanted:
                found.append(key)
    return [b"%d" % next_cursor, found]


@group.command("dbsize", 1, "readonly fast", acl="keyspace read fast", group="server",
               tips="request_policy:all_shards response_policy:agg_sum")
def dbsize(client: "Client", argv: list[bytes]) -> Any:
    """Return the number of keys in the selected database."""
    return len(client.db.data)


@group.command("swapdb", 3, "write fast", acl="keyspace write fast dangerous", group="server",
               since="4.0.0")
def swapdb(client: "Client", argv: list[bytes]) -> Any:
    """Swaps two Redis databases."""
    a = _db_index(client, argv[1], errors.SWAPDB_FIRST)
    b = _db_index(client, argv[2], errors.SWAPDB_SECOND)
    keyspace = client.server.keyspace
    count = len(keyspace.dbs)
    if not (0 <= a < count and 0 <= b < count):
        raise CommandError(errors.INVALID_DB)
    dirty = keyspace.dirty + 1  # one change for Redis, even when a == b
    if a != b:
        keyspace.swap(a, b)
        keyspace.dbs[a].changed(None, "swapdb", 0)  # type: ignore[arg-type]
        keyspace.dbs[b].changed(None, "swapdb", 0)  # type: ignore[arg-type]
    keyspace.dirty = dirty
    return OK


def _flush_mode(argv: list[bytes]) -> None:
    """Redis's ``getFlushCommandFlags``: nothing, ASYNC or SYNC (freeing is immediate here either way)."""
    if len(argv) > 2 or (len(argv) == 2 and option_word(argv[1]) not in (b"async", b"sync")):
        raise CommandError(errors.SYNTAX)


@group.command("flushdb", -1, "write", acl="keyspace write slow dangerous", group="server",
               tips="request_policy:all_shards response_policy:all_succeeded")
def flushdb(client: "Client", argv: list[bytes]) -> Any:
    """Remove all keys from the current database."""
    _flush_mode(argv)
    db = client.db
    keyspace = db.keyspace
    dirty = keyspace.dirty + len(db.data)  # Redis counts one change per key removed
    db.flush()
    db.changed(None, "flushdb", 0)  # type: ignore[arg-type]
    keyspace.dirty = dirty
    return OK


@group.command("flushall", -1, "write", acl="keyspace write slow dangerous", group="server",
               tips="request_policy:all_shards response_policy:all_succeeded")
def flushall(client: "Client", argv: list[bytes]) -> Any:
    """Remove all keys from all databases."""
    _flush_mode(argv)
    keyspace = client.server.keyspace
    dirty = keyspace.dirty + sum(len(db.data) for db in keyspace.dbs)  # 7.0.15 adds nothing more
    for db in keyspace.dbs:
        db.flush()
        db.changed(None, "flushall", 0)  # type: ignore[arg-type]
    keyspace.dirty = dirty
    from ..persistence.service import on_flushall
    on_flushall(client.server)  # kill a running BGSAVE; save the empty dataset if save points exist
    return OK


# -- expiry --------------------------------------------------------------------------------------

_E_NX, _E_XX, _E_GT, _E_LT = 1, 2, 4, 8
_EXPIRE_FLAGS = {b"nx": _E_NX, b"xx": _E_XX, b"gt": _E_GT, b"lt": _E_LT}


def _expire_flags(argv: list[bytes]) -> int:
    """Redis's ``parseExtendedExpireArgumentsOrReply``."""
    flags = 0
    for arg in argv[3:]:
        bit = _EXPIRE_FLAGS.get(option_word(arg))
        if bit is None:
            raise CommandError(errors.unsupported_option(arg))
        flags |= bit
    if flags & _E_NX and flags & (_E_XX | _E_GT | _E_LT):
        raise CommandError(errors.EXPIRE_NX_CONFLICT)
    if flags & _E_GT and flags & _E_LT:
        raise CommandError(errors.EXPIRE_GT_LT_CONFLICT)
    return flags


def _expire(client: "Client", argv: list[bytes], name: str, seconds: bool, relative: bool) -> int:
    """Redis's ``expireGenericCommand``: a deadline in the past deletes the key ("del")."""
    flags = _expire_flags(argv)
    when = parse_int(argv[2])
    db = client.db
    now = db.keyspace.clock.now_ms()
    if seconds:
        if when > _MAX_SECONDS or when < _MIN_SECONDS:
            raise CommandError(errors.invalid_expire(name))
        when *= 1000
    base = now if relative else 0
    if when > _INT64_MAX - base:
        raise CommandError(errors.invalid_expire(name))
    when += base
    key = argv[1]
    if db.lookup(key) is None:
        return 0
    if flags:
        current = db.expires.get(key)
        if flags & _E_NX and current is not None:
            return 0
        if flags & _E_XX and current is None:
            return 0
        if flags & _E_GT and (current is None or when <= current):
            return 0
        if flags & _E_LT and current is not None and when >= current:
            return 0
    if when <= now:
        db.delete(key)
        db.changed(key, "del", _GENERIC)
    else:
        reply_here(client)  # Redis replies before the expire event (after a del: after it)
        db.set_expire(key, when)
        db.changed(key, "expire", _GENERIC)
    return 1


@group.command("expire", -3, "write fast", keys=(1, 1, 1), acl="keyspace write fast")
def expire(client: "Client", argv: list[bytes]) -> Any:
    """Set a key's time to live in seconds."""
    return _expire(client, argv, "expire", True, True)


@group.command("pexpire", -3, "write fast", keys=(1, 1, 1), acl="keyspace write fast", since="2.6.0")
def pexpire(client: "Client", argv: list[bytes]) -> Any:
    """Set a key's time to live in milliseconds."""
    return _expire(client, argv, "pexpire", False, True)


@group.command("expireat", -3, "write fast", keys=(1, 1, 1), acl="keyspace write fast", since="1.2.0")
def expireat(client: "Client", argv: list[bytes]) -> Any:
    """Set the expiration for a key as a UNIX timestamp."""
    return _expire(client, argv, "expireat", True, False)


@group.command("pexpireat", -3, "write fast", keys=(1, 1, 1), acl="keyspace write fast", since="2.6.0")
def pexpireat(client: "Client", argv: list[bytes]) -> Any:
    """Set the expiration for a key as a UNIX timestamp specified in milliseconds."""
    return _expire(client, argv, "pexpireat", False, False)


def _ttl(client: "Client", key: bytes, ms: bool, absolute: bool) -> int:
    """Redis's ``ttlGenericCommand``: -2 no key, -1 no expiry; seconds are rounded."""
    db = client.db
    if db.peek_read(key) is None:
        return -2
    deadline = db.expires.get(key)
    if deadline is None:
        return -1
    ttl = deadline if absolute else deadline - db.keyspace.clock.now_ms()
    if ttl < 0:
        ttl = 0
    return ttl if ms else (ttl + 500) // 1000


@group.command("ttl", 2, "readonly fast", keys=(1, 1, 1), acl="keyspace read fast",
               tips="nondeterministic_output")
def ttl(client: "Client", argv: list[bytes]) -> Any:
    """Get the time to live for a key in seconds."""
    return _ttl(client, argv[1], False, False)


@group.command("pttl", 2, "readonly fast", keys=(1, 1, 1), acl="keyspace read fast", since="2.6.0",
               tips="nondeterministic_output")
def pttl(client: "Client", argv: list[bytes]) -> Any:
    """Get the time to live for a key in milliseconds."""
    return _ttl(client, argv[1], True, False)


@group.command("expiretime", 2, "readonly fast", keys=(1, 1, 1), acl="keyspace read fast", since="7.0.0")
def expiretime(client: "Client", argv: list[bytes]) -> Any:
    """Get the expiration Unix timestamp for a key."""
    return _ttl(client, argv[1], False, True)


@group.command("pexpiretime", 2, "readonly fast", keys=(1, 1, 1), acl="keyspace read fast", since="7.0.0")
def pexpiretime(client: "Client", argv: list[bytes]) -> Any:
    """Get the expiration Unix timestamp for a key in milliseconds."""
    return _ttl(client, argv[1], True, True)


@group.command("persist", 2, "write fast", keys=(1, 1, 1), acl="keyspace write fast", since="2.2.0")
def persist(client: "Client", argv: list[bytes]) -> Any:
    """Remove the expiration from a key."""
    db = client.db
    key = argv[1]
    if db.lookup(key) is None or not db.persist(key):
        return 0
    db.changed(key, "persist", _GENERIC)
    return 1


# -- OBJECT ----------------------------------------------------------------------------------------

group.container("object", -2, "", acl="slow", since="2.2.3",
                summary="A container for object introspection commands")

_OBJECT_HELP = [
    "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
    "HELP",
    "    Prints this help.",
]


def _inspect(client: "Client", key: bytes) -> Any:
    """Redis's ``objectCommandLookup``: no access recorded, no keymiss event."""
    return client.db.peek_read(key, notify=False)


@group.subcommand("object", "encoding", 3, "readonly", keys=(2, 2, 1), acl="keyspace read slow",
                  since="2.2.3", tips="nondeterministic_output")
def object_encoding(client: "Client", argv: list[bytes]) -> Any:
    """Inspect the internal encoding of a Redis object."""
    value = _inspect(client, argv[2])
    if value is None:
        return None
    return key_encoding(client.db, argv[2], value).encode()


def _shared_integer(client: "Client", key: bytes, value: Any) -> bool:
    """Whether Redis would hold this value as one of its shared integers 0..9999."""
    if type(value) is not bytes or key_encoding(client.db, key, value) != "int":
        return False
    config = client.server.config
    if config.maxmemory and ("-lru" in config.maxmemory_policy or "-lfu" in config.maxmemory_policy):
        return False  # MAXMEMORY_FLAG_NO_SHARED_INTEGERS
    return 0 <= int(value) < _SHARED_INTEGERS


@group.subcommand("object", "refcount", 3, "readonly", keys=(2, 2, 1), acl="keyspace read slow",
                  since="2.2.3", tips="nondeterministic_output")
def object_refcount(client: "Client", argv: list[bytes]) -> Any:
    """Get the number of references to the value of the key."""
    value = _inspect(client, argv[2])
    if value is None:
        return None
    return _SHARED_REFCOUNT if _shared_integer(client, argv[2], value) else 1


@group.subcommand("object", "idletime", 3, "readonly", keys=(2, 2, 1), acl="keyspace read slow",
                  since="2.2.3", tips="nondeterministic_output")
def object_idletime(client: "Client", argv: list[bytes]) -> Any:
    """Get the time since a Redis object was last accessed."""
    key = argv[2]
    value = _inspect(client, key)
    if value is None:
        return None
    keyspace = client.server.keyspace
    if keyspace.lfu:
        raise CommandError(errors.LFU_SELECTED)
    now = keyspace.lru_clock
    return max(0, now - client.db.lru.get(key, now))


@group.subcommand("object", "freq", 3, "readonly", keys=(2, 2, 1), acl="keyspace read slow",
                  since="4.0.0", tips="nondeterministic_output")
def object_freq(client: "Client", argv: list[bytes]) -> Any:
    """Get the logarithmic access frequency counter of a Redis object."""
    key = argv[2]
    value = _inspect(client, key)
    if value is None:
        return None
    if not client.server.keyspace.lfu:
        raise CommandError(errors.LFU_NOT_SELECTED)
    return frequency(client.db, key)


@group.subcommand("object", "help", 2, "loading stale", acl="keyspace slow", since="6.2.0")
def object_help(client: "Client", argv: list[bytes]) -> Any:
    """Show helpful text about the different subcommands."""
    return [Simple(line) for line in _OBJECT_HELP]
