"""RDB format constants and the two primitive encodings every record uses.

Lengths: the top two bits of the first byte select 6 bits (``00``), 14 bits
big-endian (``01``), a 32-bit (``0x80``) or 64-bit (``0x81``) big-endian
length, or ``11`` for a specially encoded string (an int8/16/32 stored
little-endian, or LZF). Strings: a length and the bytes, or one of those
special encodings. Redis stores a string that is the canonical decimal form of
a 32-bit integer as that integer, and compresses strings longer than 20 bytes
with LZF when ``rdbcompression`` is on and the result saves at least 4 bytes.
"""
from __future__ import annotations

import struct

from . import lzf

MAGIC = b"REDIS"
# What damselfly writes. Redis 7.0 writes and reads RDB version 10 (it refuses
# newer files); 10 is also the version in the footer of DUMP payloads.
RDB_VERSION = 10

# Value types (Redis's RDB_TYPE_*).
TYPE_STRING = 0
TYPE_LIST = 1
TYPE_SET = 2
TYPE_ZSET = 3
TYPE_HASH = 4
TYPE_ZSET_2 = 5
TYPE_MODULE_PRE_GA = 6
TYPE_MODULE_2 = 7
TYPE_HASH_ZIPMAP = 9
TYPE_LIST_ZIPLIST = 10
TYPE_SET_INTSET = 11
TYPE_ZSET_ZIPLIST = 12
TYPE_HASH_ZIPLIST = 13
TYPE_LIST_QUICKLIST = 14
TYPE_STREAM_LISTPACKS = 15
TYPE_HASH_LISTPACK = 16
TYPE_ZSET_LISTPACK = 17
TYPE_LIST_QUICKLIST_2 = 18
TYPE_STREAM_LISTPACKS_2 = 19

# Opcodes.
OPCODE_FUNCTION2 = 245
OPCODE_FUNCTION_PRE_GA = 246
OPCODE_MODULE_AUX = 247
OPCODE_IDLE = 248
OPCODE_FREQ = 249
OPCODE_AUX = 250
OPCODE_RESIZEDB = 251
OPCODE_EXPIRETIME_MS = 252
OPCODE_EXPIRETIME = 253
OPCODE_SELECTDB = 254
OPCODE_EOF = 255

# Quicklist 2 node containers.
QUICKLIST_NODE_PLAIN = 1
QUICKLIST_NODE_PACKED = 2

ENC_INT8 = 0
ENC_INT16 = 1
ENC_INT32 = 2
ENC_LZF = 3

_LEN6 = [bytes((n,)) for n in range(64)]
_pack_i16 = struct.Struct("<h").pack
_pack_i32 = struct.Struct("<i").pack
_pack_u32be = struct.Struct(">I").pack
_pack_u64be = struct.Struct(">Q").pack
pack_double = struct.Struct("<d").pack
unpack_double = struct.Struct("<d").unpack_from


def encode_length(n: int) -> bytes:
    if n < 64:
        return _LEN6[n]
    if n < 16384:
        return bytes((0x40 | (n >> 8), n & 0xFF))
    if n <= 0xFFFFFFFF:
        return b"\x80" + _pack_u32be(n)
    return b"\x81" + _pack_u64be(n)


def canonical_int(s: bytes) -> int | None:
    """The integer ``s`` spells in canonical form (no sign on 0, no leading zeros), else None."""
    n = len(s)
    if not 0 < n <= 20:
        return None
    if s.isdigit():
        if s[0] == 48 and n > 1:
            return None
        return int(s)
    if s[0] == 45 and n > 1 and s[1] != 48 and s[1:].isdigit():
        return int(s)
    return None


def encode_int_string(value: int) -> bytes | None:
    """Redis's ``rdbEncodeInteger``: the special int8/16/32 encodings, or None."""
    if -(1 << 7) <= value < (1 << 7):
        return bytes((0xC0 | ENC_INT8, value & 0xFF))
    if -(1 << 15) <= value < (1 << 15):
        return b"\xc1" + _pack_i16(value)
    if -(1 << 31) <= value < (1 << 31):
        return b"\xc2" + _pack_i32(value)
    return None


def encode_string(s: bytes, compress: bool = True) -> bytes:
    """One RDB string: integer-encoded, LZF-compressed or plain, as ``rdbSaveRawString``."""
    n = len(s)
    if n <= 11 and n:
        value = canonical_int(s)
        if value is not None:
            enc = encode_int_string(value)
            if enc is not None:
                return enc
    if compress and n > 20:
        packed = lzf.compress(s, n - 4)
        if packed is not None:
            return b"\xc3" + encode_length(len(packed)) + encode_length(n) + packed
    if n < 64:
        return _LEN6[n] + s
    return encode_length(n) + s


class RdbFormatError(ValueError):
    """Bytes that are not a valid RDB record; the reader adds the file offset."""
