"""PFADD, PFCOUNT, PFMERGE over Redis-format HyperLogLog strings (see :mod:`damselfly.types.hll`).

The value stays a ``bytes`` string, exactly the bytes Redis would hold, so
GET/SET/DUMP/RESTORE move HyperLogLogs between damselfly and Redis. Like
Redis, PFCOUNT on one key refreshes the cached cardinality inside the string
(a write: WATCH and client tracking see it, keyspace notifications do not,
hence ``db.changed(..., 0)``), and strings these commands write are
``raw``-encoded.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import errors
from ..errors import CommandError
from ..keyspace import NotifyKind
from ..keyspace.encoding import mark_raw
from ..protocol.reply import OK
from ..types import hll
from .registry import CommandGroup

if TYPE_CHECKING:  # pragma: no cover
    from ..client import Client
    from ..keyspace import Database

group = CommandGroup("hyperloglog")

_STRING = NotifyKind.STRING


def _check(value: Any) -> bytes:
    """``isHLLObjectOrReply``: WRONGTYPE for other types and for strings that are not HLLs."""
    if type(value) is not bytes:
        raise CommandError(errors.WRONGTYPE)
    if not hll.is_hll(value):
        raise CommandError(errors.HLL_WRONGTYPE)
    return value


def _store(db: "Database", key: bytes, buf: bytearray, existed: bool) -> None:
    value = bytes(buf)
    db.set(key, value, keep_ttl=existed)
    mark_raw(db, key, value)


@group.command("pfadd", -2, "write denyoom fast", keys=(1, 1, 1), acl="write hyperloglog fast", since="2.8.9")
def pfadd(client: "Client", argv: list[bytes]) -> Any:
    """Adds the specified elements to the specified HyperLogLog."""
    db = client.db
    key = argv[1]
    value = db.lookup(key)
    updated = 0
    if value is None:
        value = bytes(hll.new_sparse())
        updated = 1
    _check(value)
    existed = updated == 0
    max_bytes = client.server.config.hll_sparse_max_bytes
    model = hll.model_of(value) if value[4] == hll.SPARSE else None
    dense = None if model is not None else bytearray(value)
    for element in argv[2:]:
        index, count = hll.pattern(element)
        if model is not None:
            result = model.set(index, count, max_bytes)
            if result == hll.PROMOTE:
                hll.forget()  # the cached model may hold this command's earlier changes
                dense = model.to_dense(index, count)
                if dense is None:
                    raise CommandError(errors.HLL_INVALID)
                model = None
                result = 1
            elif result < 0:
                hll.forget()
                raise CommandError(errors.HLL_INVALID)
        else:
            result = hll.dense_add(dense, index, count)  # type: ignore[arg-type]
        updated += result
    if updated:
        if model is not None:
            model.header[15] |= 0x80
            stored = model.encode()
            hll.remember(stored, model)
        else:
            hll.invalidate(dense)  # type: ignore[arg-type]
            stored = bytes(dense)  # type: ignore[arg-type]
        db.set(key, stored, keep_ttl=existed)
        mark_raw(db, key, stored)
        db.changed(key, "pfadd", _STRING, updated)  # Redis: the creation plus each register raised
    return 1 if updated else 0


@group.command("pfcount", -2, "readonly", keys=(1, -1, 1), acl="read hyperloglog slow", since="2.8.9")
def pfcount(client: "Client", argv: list[bytes]) -> Any:
    """Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s)."""
    db = client.db
    if len(argv) > 2:
        union = bytearray(hll.REGISTERS)
        for key in argv[1:]:
            value = db.lookup_read(key)
            if value is None:
                continue
            regs = hll.registers(_check(value))
            if regs is None:
                raise CommandError(errors.HLL_INVALID)
            union = hll.merge_max(union, regs)
        return hll.estimate(hll.histogram_of_registers(union))
    key = argv[1]
    value = db.lookup_read(key)
    if value is None:
        return 0
    _check(value)
    card = hll.cached(value)
    if card is not None:
        return card
    card = hll.count(value)
    if card is None:
        raise CommandError(errors.HLL_INVALID)
    buf = bytearray(value)
    hll.set_cache(buf, card)
    _store(db, key, buf, True)
    db.changed(key, "pfcount", 0)  # signalModifiedKey only: no keyspace event
    return card


@group.command("pfmerge", -2, "write denyoom", keys=(1, -1, 1), acl="write hyperloglog slow", since="2.8.9")
def pfmerge(client: "Client", argv: list[bytes]) -> Any:
    """Merge N different HyperLogLogs into a single one."""
    db = client.db
    union = bytearray(hll.REGISTERS)
    use_dense = False
    for key in argv[1:]:
        value = db.lookup_read(key)
        if value is None:
            continue
        value = _check(value)
        if value[4] == hll.DENSE:
            use_dense = True
        regs = hll.registers(value)
        if regs is None:
            raise CommandError(errors.HLL_INVALID)
        union = hll.merge_max(union, regs)
    dest = argv[1]
    current = db.lookup(dest)
    buf = hll.new_sparse() if current is None else bytearray(current)
    if use_dense:
        dense = hll.sparse_to_dense(buf)
        if dense is None:
            raise CommandError(errors.HLL_INVALID)
        buf = dense
    if buf[4] == hll.DENSE:
        header = buf[:hll.HDR_SIZE]
        buf = header + hll.pack_dense(union)
    else:
        max_bytes = client.server.config.hll_sparse_max_bytes
        model: hll.Sparse | None = hll.Sparse(buf)
        for index, count in enumerate(union):
            if not count:
                continue
            if model is not None:
                if model.set(index, count, max_bytes) == hll.PROMOTE:
                    dense = model.to_dense(index, count)
                    if dense is None:
                        raise CommandError(errors.HLL_INVALID)
                    buf, model = dense, None
            else:
                hll.dense_add(buf, index, count)
        if model is not None:
            buf = bytearray(model.encode())
    hll.invalidate(buf)
    _store(db, dest, buf, current is not None)
    db.changed(dest, "pfadd", _STRING)
    return OK
