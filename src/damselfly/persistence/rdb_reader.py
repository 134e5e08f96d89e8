"""Decoding RDB files and DUMP payloads into plain Python values.

Everything Redis 7.0 writes is understood: RDB versions 1 to 10; strings
plain, integer-encoded or LZF-compressed; lists as linked lists, ziplists,
quicklists (of ziplists) and quicklist 2 (listpack or plain nodes); sets plain
or intset; sorted sets with text or binary scores, ziplist or listpack; hashes
plain, zipmap, ziplist or listpack; expiry in seconds or milliseconds; IDLE and
FREQ; SELECTDB, RESIZEDB and AUX records; the CRC-64 trailer. Streams, module
values, module AUX data and functions are refused with a clear error: damselfly
has no such data, and dropping it silently would lose the user's data.

Values come out as *neutral* pairs ``(kind, payload)``: ``("string", bytes)``,
``("list", [bytes])``, ``("set", [bytes])``, ``("hash", [(field, value)])``,
``("zset", [(member, float)])``. :mod:`.values` turns them into stored values.
Errors are :class:`RdbLoadError` carrying the offset where decoding failed.
"""
from __future__ import annotations

import math
import struct
from typing import Any, Iterator

from . import format as F
from . import intset, listpack, lzf, ziplist, zipmap
from .crc64 import crc64
from .format import RdbFormatError

_u32be = struct.Struct(">I").unpack_from
_u64be = struct.Struct(">Q").unpack_from
_i16 = struct.Struct("<h").unpack_from
_i32 = struct.Struct("<i").unpack_from
_u32le = struct.Struct("<I").unpack_from
_i64le = struct.Struct("<q").unpack_from
_u64le = struct.Struct("<Q").unpack_from
_double = struct.Struct("<d").unpack_from


class RdbLoadError(Exception):
    """A file or payload that cannot be loaded; ``offset`` is where decoding stopped."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(f"{message} at offset {offset}")
        self.reason = message
        self.offset = offset


class _Truncated(Exception):
    pass


class Cursor:
    """A position in an in-memory buffer, with the RDB primitives."""

    __slots__ = ("buf", "pos", "end")

    def __init__(self, buf: bytes, pos: int = 0, end: int | None = None) -> None:
        self.buf = buf
        self.pos = pos
        self.end = len(buf) if end is None else end

    def take(self, n: int) -> bytes:
        pos = self.pos
        stop = pos + n
        if stop > self.end:
            raise _Truncated()
        self.pos = stop
        return self.buf[pos:stop]

    def byte(self) -> int:
        pos = self.pos
        if pos >= self.end:
            raise _Truncated()
        self.pos = pos + 1
        return self.buf[pos]

    def length(self) -> int:
        """A length; a special string encoding here is an error."""
        n, special = self.length_or_encoding()
        if special:
            raise RdbFormatError("unexpected string encoding where a length was expected")
        return n

    def length_or_encoding(self) -> tuple[int, bool]:
        b = self.byte()
        kind = b >> 6
        if kind == 0:
            return b & 0x3F, False
        if kind == 1:
            return ((b & 0x3F) << 8) | self.byte(), False
        if kind == 3:
            return b & 0x3F, True
        if b == 0x80:
            return _u32be(self.take(4))[0], False
        if b == 0x81:
            return _u64be(self.take(8))[0], False
        raise RdbFormatError(f"invalid length encoding byte 0x{b:02x}")

    def string(self) -> bytes:
        buf = self.buf
        pos = self.pos
        if pos < self.end:
            b = buf[pos]
            if b < 64:  # the common case: a short plain string
                stop = pos + 1 + b
                if stop <= self.end:
                    self.pos = stop
                    return buf[pos + 1:stop]
        n, special = self.length_or_encoding()
        if not special:
            return self.take(n)
        if n == F.ENC_INT8:
            v = self.byte()
            return b"%d" % (v - 256 if v > 127 else v)
        if n == F.ENC_INT16:
            return b"%d" % _i16(self.take(2))[0]
        if n == F.ENC_INT32:
            return b"%d" % _i32(self.take(4))[0]
        if n == F.ENC_LZF:
            clen = self.length()
            ulen = self.length()
            data = self.take(clen)
            try:
                return lzf.decompress(data, ulen)
            except lzf.LZFError as exc:
                raise RdbFormatError(f"invalid LZF-compressed string: {exc}") from None
        raise RdbFormatError(f"unknown string encoding {n}")

    def double_text(self) -> float:
        """The old text-encoded double (RDB_TYPE_ZSET scores)."""
        n = self.byte()
        if n == 253:
            return math.nan
        if n == 254:
            return math.inf
        if n == 255:
            return -math.inf
        text = self.take(n)
        try:
            return float(text)
        except ValueError:
            raise RdbFormatError(f"invalid double {text!r}") from None

    def double_binary(self) -> float:
        return _double(self.take(8))[0]


def _pairs(items: list[bytes], what: str) -> list[tuple[bytes, bytes]]:
    if len(items) % 2:
        raise RdbFormatError(f"{what} with an odd number of entries")
    return list(zip(items[0::2], items[1::2]))


def _score(text: bytes) -> float:
    try:
        v = float(text)
    except ValueError:
        raise RdbFormatError(f"invalid sorted set score {text!r}") from None
    if math.isnan(v):
        raise RdbFormatError("sorted set score is NaN")
    return v


def _zset_from_flat(items: list[bytes], what: str) -> list[tuple[bytes, float]]:
    pairs = [(m, _score(s)) for m, s in _pairs(items, what)]
    _no_duplicates([m for m, _ in pairs], what)
    return pairs


def _no_duplicates(items: list[bytes], what: str) -> None:
    if len(set(items)) != len(items):
        raise RdbFormatError(f"duplicate members in a {what}")


Value = tuple[str, Any]


def read_value(cur: Cursor, rtype: int) -> Value:
    """One value of RDB type ``rtype`` (the type byte already consumed)."""
    if rtype == F.TYPE_STRING:
        return "string", cur.string()
    if rtype == F.TYPE_LIST:
        n = cur.length()
        return "list", [cur.string() for _ in range(n)]
    if rtype == F.TYPE_SET:
        n = cur.length()
        members = [cur.string() for _ in range(n)]
        _no_duplicates(members, "set")
        return "set", members
    if rtype == F.TYPE_ZSET or rtype == F.TYPE_ZSET_2:
        n = cur.length()
        read_score = cur.double_binary if rtype == F.TYPE_ZSET_2 else cur.double_text
        pairs = []
        for _ in range(n):
            member = cur.string()
            score = read_score()
            if math.isnan(score):
                raise RdbFormatError("sorted set score is NaN")
            pairs.append((member, score))
        _no_duplicates([m for m, _ in pairs], "sorted set")
        return "zset", pairs
    if rtype == F.TYPE_HASH:
        n = cur.length()
        pairs = []
        for _ in range(n):
            field = cur.string()
            pairs.append((field, cur.string()))
        _no_duplicates([f for f, _ in pairs], "hash")
        return "hash", pairs
    if rtype == F.TYPE_LIST_QUICKLIST_2:
        n = cur.length()
        items: list[bytes] = []
        for _ in range(n):
            container = cur.length()
            blob = cur.string()
            if container == F.QUICKLIST_NODE_PLAIN:
                items.append(blob)
            elif container == F.QUICKLIST_NODE_PACKED:
                node = listpack.decode(blob)
                if not node:
                    raise RdbFormatError("empty listpack node in a quicklist")
                items.extend(node)
            else:
                raise RdbFormatError(f"unknown quicklist node container {container}")
        return "list", items
    if rtype == F.TYPE_LIST_QUICKLIST:
        n = cur.length()
        items = []
        for _ in range(n):
            items.extend(ziplist.decode(cur.string()))
        return "list", items
    if rtype == F.TYPE_LIST_ZIPLIST:
        return "list", ziplist.decode(cur.string())
    if rtype == F.TYPE_SET_INTSET:
        return "set", intset.decode(cur.string())
    if rtype == F.TYPE_HASH_LISTPACK:
        pairs = _pairs(listpack.decode(cur.string()), "hash listpack")
        _no_duplicates([f for f, _ in pairs], "hash")
        return "hash", pairs
    if rtype == F.TYPE_HASH_ZIPLIST:
        pairs = _pairs(ziplist.decode(cur.string()), "hash ziplist")
        _no_duplicates([f for f, _ in pairs], "hash")
        return "hash", pairs
    if rtype == F.TYPE_HASH_ZIPMAP:
        pairs = _pairs(zipmap.decode(cur.string()), "hash zipmap")
        _no_duplicates([f for f, _ in pairs], "hash")
        return "hash", pairs
    if rtype == F.TYPE_ZSET_LISTPACK:
        return "zset", _zset_from_flat(listpack.decode(cur.string()), "sorted set listpack")
    if rtype == F.TYPE_ZSET_ZIPLIST:
        return "zset", _zset_from_flat(ziplist.decode(cur.string()), "sorted set ziplist")
    if rtype in (F.TYPE_STREAM_LISTPACKS, F.TYPE_STREAM_LISTPACKS_2):
        raise RdbFormatError("stream values are not supported by damselfly")
    if rtype in (F.TYPE_MODULE_PRE_GA, F.TYPE_MODULE_2):
        raise RdbFormatError("module values are not supported by damselfly")
    raise RdbFormatError(f"unknown value type {rtype}")


class Record:
    """One key as read from a file."""

    __slots__ = ("db", "key", "kind", "payload", "expire_ms", "idle", "freq", "offset")

    def __init__(self, db: int, key: bytes, kind: str, payload: Any, expire_ms: int | None,
                 idle: int | None, freq: int | None, offset: int = 0) -> None:
        self.db = db
        self.key = key
        self.kind = kind
        self.payload = payload
        self.expire_ms = expire_ms
        self.idle = idle
        self.freq = freq
        self.offset = offset


def _empty(kind: str, payload: Any) -> bool:
    return kind != "string" and not payload


class RdbFile:
    """A whole RDB image: header checks, then :meth:`records` in file order.

    ``aux`` fills with the AUX fields as they are met; ``resize`` with the
    RESIZEDB hints per database; ``empty_keys_skipped`` counts empty
    containers (Redis skips them too).
    """

    def __init__(self, data: bytes, verify_checksum: bool = True) -> None:
        self.data = data
        self.verify_checksum = verify_checksum
        self.aux: dict[bytes, bytes] = {}
        self.resize: dict[int, tuple[int, int]] = {}
        self.empty_keys_skipped = 0
        self.checksum_skipped = False
        if len(data) < 9 or data[:5] != F.MAGIC:
            raise RdbLoadError("wrong signature trying to load DB from file", 0)
        try:
            self.version = int(data[5:9])
        except ValueError:
            raise RdbLoadError("wrong signature trying to load DB from file", 5) from None
        if not 1 <= self.version <= F.RDB_VERSION:
            raise RdbLoadError(f"can't handle RDB format version {self.version}", 5)

    def records(self) -> Iterator[Record]:
        cur = Cursor(self.data, 9)
        dbid = 0
        expire: int | None = None
        idle: int | None = None
        freq: int | None = None
        start = 9
        try:
            while True:
                start = cur.pos
                rtype = cur.byte()
                if rtype == F.OPCODE_EXPIRETIME_MS:
                    expire = _i64le(cur.take(8))[0]
                    continue
                if rtype == F.OPCODE_EXPIRETIME:
                    expire = _i32(cur.take(4))[0] * 1000
                    continue
                if rtype == F.OPCODE_SELECTDB:
                    dbid = cur.length()
                    continue
                if rtype == F.OPCODE_RESIZEDB:
                    self.resize[dbid] = (cur.length(), cur.length())
                    continue
                if rtype == F.OPCODE_AUX:
                    key = cur.string()
                    self.aux[key] = cur.string()
                    continue
                if rtype == F.OPCODE_IDLE:
                    idle = cur.length()
                    continue
                if rtype == F.OPCODE_FREQ:
                    freq = cur.byte()
                    continue
                if rtype == F.OPCODE_EOF:
                    break
                if rtype == F.OPCODE_MODULE_AUX:
                    raise RdbFormatError("module data (MODULE_AUX) is not supported by damselfly")
                if rtype in (F.OPCODE_FUNCTION2, F.OPCODE_FUNCTION_PRE_GA):
                    raise RdbFormatError("functions (FUNCTION2) are not supported by damselfly")
                key = cur.string()
                kind, payload = read_value(cur, rtype)
                if _empty(kind, payload):
                    self.empty_keys_skipped += 1
                else:
                    yield Record(dbid, key, kind, payload, expire, idle, freq, start)
                expire = idle = freq = None
            start = cur.pos
            self._check_trailer(cur)
        except _Truncated:
            raise RdbLoadError("unexpected end of file (truncated RDB)", start) from None
        except RdbFormatError as exc:
            raise RdbLoadError(str(exc), start) from None

    def _check_trailer(self, cur: Cursor) -> None:
        if self.version < 5:
            return
        body_end = cur.pos
        stored = _u64le(cur.take(8))[0]
        if not self.verify_checksum:
            return
        if stored == 0:
            self.checksum_skipped = True
            return
        if crc64(0, memoryview(self.data)[:body_end]) != stored:
            raise RdbFormatError("wrong RDB checksum")


# -- DUMP payloads ---------------------------------------------------------------

def verify_payload(payload: bytes) -> bool:
    """Redis's ``verifyDumpPayload``: version not newer than ours, CRC-64 matches."""
    if len(payload) < 10:
        return False
    version = payload[-10] | (payload[-9] << 8)
    if version > F.RDB_VERSION:
        return False
    return crc64(0, payload[:-8]) == _u64le(payload, len(payload) - 8)[0]


def read_payload(payload: bytes) -> Value:
    """The value inside a verified DUMP payload; RdbLoadError when malformed.

    As in Redis, the value may run into the footer bytes (they are read from
    the same buffer), and bytes left after it are ignored.
    """
    cur = Cursor(payload, 0, len(payload))
    try:
        rtype = cur.byte()
        value = read_value(cur, rtype)
    except _Truncated:
        raise RdbLoadError("payload ends early", cur.pos) from None
    except RdbFormatError as exc:
        raise RdbLoadError(str(exc), cur.pos) from None
    if _empty(*value):
        raise RdbLoadError("empty value", cur.pos)
    return value


__all__ = ["Cursor", "RdbFile", "RdbLoadError", "Record", "read_payload", "read_value", "verify_payload"]
