"""Encoding the keyspace as an RDB file, and single values as DUMP payloads.

Choices (all loaded by Redis 7.0.15, checked by the tests with
``redis-check-rdb`` and a real ``redis-server``):

* RDB version 10 (Redis 7.0's), header ``REDIS0010``; AUX fields
  ``redis-ver``, ``redis-bits``, ``ctime``, ``used-mem``, ``aof-base`` and
  ``damselfly-ver``; per non-empty database SELECTDB and RESIZEDB; EOF and the
  CRC-64 of everything before it (eight zero bytes with ``rdbchecksum no``,
  which Redis also reads as "not checksummed").
* Each value in the RDB type Redis 7.0.15 picks from its in-memory encoding,
  which damselfly's OBJECT ENCODING mirrors, so DUMP payloads are Redis's
  bytes: strings as ``RDB_TYPE_STRING`` (int8/16/32 for canonical integers,
  LZF above 20 bytes with ``rdbcompression yes`` when it saves 4 bytes or
  more); listpack hashes as ``RDB_TYPE_HASH_LISTPACK`` (fields in insertion
  order) and listpack zsets as ``RDB_TYPE_ZSET_LISTPACK`` (by score, integral
  scores within +-2^62 as listpack integers, others as ``%.17g`` text);
  intset sets as ``RDB_TYPE_SET_INTSET`` (narrowest width for the values);
  lists as ``RDB_TYPE_LIST_QUICKLIST_2`` with the packed nodes RPUSH would
  have built under ``list-max-listpack-size``. Hashtable hashes and sets go
  out as ``RDB_TYPE_HASH`` / ``RDB_TYPE_SET``, skiplist zsets as
  ``RDB_TYPE_ZSET_2`` (binary doubles). Payloads still differ from Redis's
  where its layout depends on history damselfly does not keep (lists built by
  LPUSH or LINSERT have other node boundaries, an intset never narrows after
  SREM, hashtable iteration order), or, without python-lzf, where lzf.py's
  fallback compressor picks other matches than liblzf; every variant loads
  in Redis.
* Keys whose deadline has passed are left out; deadlines use
  ``EXPIRETIME_MS``. IDLE (LRU policies) and FREQ (LFU policies) are written
  as Redis does when ``maxmemory-policy`` uses them.

Output goes to the file in chunks of about 1 MiB, the checksum advancing over
each chunk, so memory stays flat however large the keyspace.
"""
from __future__ import annotations

import struct
import time
from typing import Any, BinaryIO, Callable, Iterable

from . import format as F
from . import intset, listpack
from .crc64 import crc64
from .format import encode_length, encode_string, pack_double
from ..types.zset import d2string
from .values import UnsupportedValue, kind_of, zset_items

_CHUNK = 1 << 20
_pack_i64 = struct.Struct("<q").pack
_pack_u64 = struct.Struct("<Q").pack


def _seq(items: Iterable[bytes], n: int, compress: bool) -> bytes:
    return encode_length(n) + b"".join([encode_string(x, compress) for x in items])


# quicklist.c: a node's listpack may grow to 4/8/16/32/64 KiB for fill -1..-5;
# with a count limit (fill > 0) it still stops at 8 KiB; an element's entry is
# estimated at its length plus 8 (``SIZE_ESTIMATE_OVERHEAD``, checked against
# 7.0.15's node boundaries); elements of 1 GiB or more (``packed_threshold``)
# sit alone in PLAIN nodes.
_FILL_BYTES = (4096, 8192, 16384, 32768, 65536)
_SAFETY_LIMIT = 8192
_ENTRY_OVERHEAD = 8
_PACKED_THRESHOLD = 1 << 30


def quicklist_nodes(items: Iterable[bytes], fill: int = -2) -> list[tuple[int, bytes]]:
    """(container, blob) of each node of the quicklist RPUSH would build from ``items``.

    Follows ``_quicklistNodeAllowInsert``: an element joins the tail node while
    the node's bytes plus the element's length plus its entry overhead stay
    within the fill's size (or under the safety limit and the count), so a
    list built by appending gets the same nodes, and the same DUMP, as in Redis.
    """
    fill = -5 if fill < -5 else (32767 if fill > 32767 else fill)
    limit = _FILL_BYTES[-fill - 1] if fill < 0 else 0
    nodes: list[tuple[int, bytes]] = []
    entries: list[bytes] = []
    body = 0
    entry = listpack.encode_entry
    for item in items:
        sz = len(item)
        if sz >= _PACKED_THRESHOLD:
            if entries:
                nodes.append((F.QUICKLIST_NODE_PACKED, listpack.pack(entries, body)))
                entries, body = [], 0
            nodes.append((F.QUICKLIST_NODE_PLAIN, item))
            continue
        if entries:
            new_sz = body + 7 + sz + _ENTRY_OVERHEAD
            if not (new_sz <= limit or (new_sz <= _SAFETY_LIMIT and len(entries) < fill)):
                nodes.append((F.QUICKLIST_NODE_PACKED, listpack.pack(entries, body)))
                entries, body = [], 0
        e = entry(item)
        entries.append(e)
        body += len(e)
    if entries:
        nodes.append((F.QUICKLIST_NODE_PACKED, listpack.pack(entries, body)))
    return nodes


def _quicklist(value: Any, compress: bool, fill: int) -> bytes:
    nodes = quicklist_nodes(value, fill)
    parts = [encode_length(len(nodes))]
    for container, blob in nodes:
        parts.append(encode_length(container))
        parts.append(encode_string(blob, compress))
    return b"".join(parts)


def serialize_value(value: Any, compress: bool = True, list_fill: int = -2) -> tuple[int, bytes]:
    """(RDB type, encoded body) of one stored value.

    The compact RDB types follow the value's OBJECT ENCODING, as Redis picks
    them from its own: listpack hashes and zsets, intset sets, quicklist lists
    (``list_fill`` is ``list-max-listpack-size``); hashtable and skiplist
    values go out in the plain types.
    """
    if type(value) is bytes:
        return F.TYPE_STRING, encode_string(value, compress)
    kind = kind_of(value)
    if kind == "list":
        return F.TYPE_LIST_QUICKLIST_2, _quicklist(value, compress, list_fill)
    if kind == "set":
        if getattr(value, "intset", False):
            return F.TYPE_SET_INTSET, encode_string(intset.encode([int(m) for m in value]), compress)
        return F.TYPE_SET, _seq(value, len(value), compress)
    if kind == "hash":
        if getattr(value, "hashtable", True) is False:
            flat = [x for pair in value.items() for x in pair]
            return F.TYPE_HASH_LISTPACK, encode_string(listpack.encode(flat), compress)
        parts = [encode_length(len(value))]
        for field, val in value.items():
            parts.append(encode_string(field, compress))
            parts.append(encode_string(val, compress))
        return F.TYPE_HASH, b"".join(parts)
    if kind == "zset":
        items = list(zset_items(value))
        if getattr(value, "listpack", False):
            flat = []
            for member, score in items:
                flat.append(member)
                flat.append(d2string(score))
            return F.TYPE_ZSET_LISTPACK, encode_string(listpack.encode(flat), compress)
        parts = [encode_length(len(items))]
        # Highest score first, as Redis walks its skiplist from the tail, so a
        # loader inserting at the head builds the list in order.
        for member, score in reversed(items):
            parts.append(encode_string(member, compress))
            parts.append(pack_double(score))
        return F.TYPE_ZSET_2, b"".join(parts)
    raise UnsupportedValue(f"cannot serialise a {kind} value")


def dump_payload(value: Any, compress: bool = True, list_fill: int = -2) -> bytes:
    """DUMP's reply: type, value, RDB version (u16 LE), CRC-64 (u64 LE) of all before it."""
    rtype, body = serialize_value(value, compress, list_fill)
    data = bytes((rtype,)) + body + F.RDB_VERSION.to_bytes(2, "little")
    return data + _pack_u64(crc64(0, data))


class RdbWriter:
    """Buffers output, writes it to ``fh`` in chunks, and checksums it as it goes."""

    def __init__(self, fh: BinaryIO, checksum: bool = True) -> None:
        self.fh = fh
        self.checksum = checksum
        self.crc = 0
        self.parts: list[bytes] = []
        self.pending = 0
        self.written = 0

    def write(self, data: bytes) -> None:
        self.parts.append(data)
        self.pending += len(data)
        if self.pending >= _CHUNK:
            self.flush()

    def flush(self) -> None:
        if not self.parts:
            return
        data = b"".join(self.parts)
        self.parts = []
        self.pending = 0
        if self.checksum:
            self.crc = crc64(self.crc, data)
        self.fh.write(data)
        self.written += len(data)

    def aux(self, key: bytes, value: bytes) -> None:
        self.write(bytes((F.OPCODE_AUX,)) + encode_string(key, False) + encode_string(value, False))

    def finish(self) -> None:
        """EOF opcode and the checksum trailer."""
        self.write(bytes((F.OPCODE_EOF,)))
        self.flush()
        self.fh.write(_pack_u64(self.crc if self.checksum else 0))
        self.written += 8


AccessInfo = Callable[[Any, bytes], bytes]


def write_keyspace(keyspace: Any, fh: BinaryIO, *, compress: bool = True, checksum: bool = True,
                   now_ms: int, aux: dict[bytes, bytes] | None = None,
                   access: AccessInfo | None = None,
                   progress: Callable[[int], None] | None = None, key_delay_us: int = 0,
                   list_fill: int = -2) -> int:
    """Write every live key of ``keyspace`` as an RDB image; returns the number of keys.

    ``access(db, key)`` returns the IDLE/FREQ record to put before a key (or
    b""), when the eviction policy wants one. ``key_delay_us`` sleeps after
    each key (Redis's ``rdb-key-save-delay``, so tests can catch a save midway).
    """
    out = RdbWriter(fh, checksum)
    out.write(F.MAGIC + b"%04d" % F.RDB_VERSION)
    for key, value in (aux or {}).items():
        out.aux(key, value)
    total = 0
    write = out.write
    enc = encode_string
    for db in keyspace.dbs:
        data = db.data
        if not data:
            continue
        expires = db.expires
        write(bytes((F.OPCODE_SELECTDB,)) + encode_length(db.index))
        write(bytes((F.OPCODE_RESIZEDB,)) + encode_length(len(data)) + encode_length(len(expires)))
        for key, value in list(data.items()):
            prefix = b""
            if expires:
                deadline = expires.get(key)
                if deadline is not None:
                    if deadline <= now_ms:
                        continue
                    prefix = b"\xfc" + _pack_i64(deadline)
            if access is not None:
                prefix += access(db, key)
            if type(value) is bytes:
                write(prefix + b"\x00" + enc(key, compress) + enc(value, compress))
            else:
                rtype, body = serialize_value(value, compress, list_fill)
                write(prefix + bytes((rtype,)) + enc(key, compress) + body)
            total += 1
            if key_delay_us > 0:
                out.flush()
                time.sleep(key_delay_us / 1e6)
            if progress is not None and not total & 0x3FFF:
                progress(total)
    out.finish()
    return total
