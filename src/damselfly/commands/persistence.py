"""Persistence commands: SAVE, BGSAVE, LASTSAVE, DUMP, RESTORE.

The work is done by :mod:`damselfly.persistence` (``state.extensions["persistence"]``);
these handlers parse arguments and choose Redis's replies.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import errors
from ..errors import CommandError
from ..keyspace import NotifyKind
from ..persistence.rdb_reader import RdbLoadError, read_payload, verify_payload
from ..persistence.rdb_writer import dump_payload
from ..persistence.service import Persistence, SaveError
from ..persistence.values import UnsupportedValue, build
from ..protocol.reply import OK, Simple
from .args import parse_int
from .registry import CommandGroup

if TYPE_CHECKING:  # pragma: no cover
    from ..client import Client

group = CommandGroup("server")

BGSAVE_IN_PROGRESS = "ERR Background save already in progress"
BAD_PAYLOAD = "ERR DUMP payload version or checksum are wrong"
BAD_DATA = "ERR Bad data format"
INVALID_TTL = "ERR Invalid TTL value, must be >= 0"
INVALID_IDLETIME = "ERR Invalid IDLETIME value, must be >= 0"
INVALID_FREQ = "ERR Invalid FREQ value, must be >= 0 and <= 255"


def _persistence(client: "Client") -> Persistence:
    p: Persistence = client.server.extensions["persistence"]
    p.attach()
    return p


@group.command("save", 1, "admin noscript no_async_loading no_multi", acl="admin slow dangerous")
def save(client: "Client", argv: list[bytes]) -> Any:
    """Synchronously save the dataset to disk."""
    p = _persistence(client)
    p.poll_child()
    if p.child_pid:
        raise CommandError(BGSAVE_IN_PROGRESS)
    try:
        p.save()
    except SaveError:
        raise CommandError("ERR") from None
    return OK


@group.command("bgsave", -1, "admin noscript no_async_loading", acl="admin slow dangerous", since="1.0.0")
def bgsave(client: "Client", argv: list[bytes]) -> Any:
    """Asynchronously save the dataset to disk (a forked child writes it)."""
    if len(argv) > 1 and not (len(argv) == 2 and argv[1].lower() == b"schedule"):
        raise CommandError(errors.SYNTAX)
    p = _persistence(client)
    p.poll_child()
    if p.child_pid:
        raise CommandError(BGSAVE_IN_PROGRESS)
    if getattr(client, "in_exec", False):
        # Redis never forks inside EXEC: the cron starts it right after.
        p.bgsave_scheduled = True
        return Simple("Background saving scheduled")
    try:
        p.bgsave()
    except SaveError:
        raise CommandError("ERR") from None
    return Simple("Background saving started")


@group.command("lastsave", 1, "loading stale fast", acl="admin fast dangerous",
               tips="nondeterministic_output")
def lastsave(client: "Client", argv: list[bytes]) -> Any:
    """Unix time of the last successful save."""
    return client.server.lastsave


@group.command("dump", 2, "readonly", keys=(1, 1, 1), acl="keyspace read slow", since="2.6.0",
               tips="nondeterministic_output", group="generic")
def dump(client: "Client", argv: list[bytes]) -> Any:
    """The value at a key serialised in Redis's RDB format (RESTORE reads it back)."""
    value = client.db.lookup_read(argv[1])
    if value is None:
        return None
    try:
        config = client.server.config
        return dump_payload(value, config.rdbcompression, config.list_max_listpack_size)
    except UnsupportedValue as exc:
        raise CommandError(f"ERR {exc}") from None


@group.command("restore", -4, "write denyoom", keys=(1, 1, 1), acl="keyspace write slow dangerous",
               since="2.6.0", group="generic")
def restore(client: "Client", argv: list[bytes]) -> Any:
    """Create a key from a DUMP payload."""
    replace = absttl = False
    idle: int | None = None
    freq: int | None = None
    j = 4
    n = len(argv)
    while j < n:
        opt = argv[j].lower()
        more = n - j - 1
        if opt == b"replace":
            replace = True
        elif opt == b"absttl":
            absttl = True
        elif opt == b"idletime" and more >= 1 and freq is None:
            idle = parse_int(argv[j + 1])
            if idle < 0:
                raise CommandError(INVALID_IDLETIME)
            j += 1
        elif opt == b"freq" and more >= 1 and idle is None:
            freq = parse_int(argv[j + 1])
            if not 0 <= freq <= 255:
                raise CommandError(INVALID_FREQ)
            j += 1
        else:
            raise CommandError(errors.SYNTAX)
        j += 1
    db = client.db
    key = argv[1]
    if not replace and db.lookup(key) is not None:
        raise CommandError(errors.BUSYKEY)
    ttl = parse_int(argv[2])
    if ttl < 0:
        raise CommandError(INVALID_TTL)
    payload = argv[3]
    if not verify_payload(payload):
        raise CommandError(BAD_PAYLOAD)
    try:
        kind, neutral = read_payload(payload)
        value = build(kind, neutral, client.server.config)
    except (RdbLoadError, UnsupportedValue):
        raise CommandError(BAD_DATA) from None
    deleted = replace and db.delete(key)
    ks = db.keyspace
    now = ks.clock.now_ms()
    if ttl and not absttl:
        ttl += now
    if ttl and ttl <= now:  # already expired: the key is not created
        if deleted:
            db.changed(key, "del", NotifyKind.GENERIC)
        return OK
    db.set(key, value)
    if ttl:
        db.set_expire(key, ttl)
    _set_access(db, key, idle, freq)
    db.changed(key, "restore", NotifyKind.GENERIC)
    return OK


def _set_access(db: Any, key: bytes, idle: int | None, freq: int | None) -> None:
    """RESTORE's IDLETIME (LRU policies) or FREQ (LFU policies), as ``objectSetLRUOrLFU``."""
    ks = db.keyspace
    if getattr(ks, "lfu", False):
        if freq is not None:
            from ..keyspace.lfu import minutes
            db.lru[key] = (minutes(ks.lru_clock) << 8) | freq
    elif idle is not None:
        db.lru[key] = getattr(ks, "lru_clock", ks.clock.now_ms() // 1000) - idle
