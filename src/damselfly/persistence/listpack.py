"""Listpacks: the compact blob Redis 7 uses for small hashes, zsets and list nodes.

Layout: total bytes (u32 LE), element count (u16 LE, 65535 = unknown), the
entries, and a 0xFF terminator. Each entry is an encoding byte (with the
value or a string length), the data, and a "backlen" (1-5 bytes, the entry's
size so far) that lets Redis walk backwards. Integers take the smallest of
7-bit unsigned, 13-bit, 16, 24, 32 and 64-bit signed forms; strings carry a
6, 12 or 32-bit length.
"""
from __future__ import annotations

import struct

from .format import RdbFormatError, canonical_int

_u16 = struct.Struct("<H")
_u32 = struct.Struct("<I")
_i16 = struct.Struct("<h")
_i32 = struct.Struct("<i")
_i64 = struct.Struct("<q")


def _backlen_size(n: int) -> int:
    if n < 128:
        return 1
    if n < 16384:
        return 2
    if n < 2097152:
        return 3
    if n < 268435456:
        return 4
    return 5


def decode(blob: bytes) -> list[bytes]:
    """Every element, integers rendered in decimal as Redis returns them."""
    n = len(blob)
    if n < 7:
        raise RdbFormatError("listpack too short")
    total = _u32.unpack_from(blob, 0)[0]
    if total != n:
        raise RdbFormatError(f"listpack header says {total} bytes, blob has {n}")
    count = _u16.unpack_from(blob, 4)[0]
    out: list[bytes] = []
    i = 6
    end = n - 1
    try:
        while i < end:
            b = blob[i]
            if b < 0x80:
                out.append(b"%d" % b)
                size = 1
            elif b < 0xC0:
                ln = b & 0x3F
                out.append(blob[i + 1:i + 1 + ln])
                size = 1 + ln
            elif b < 0xE0:
                v = ((b & 0x1F) << 8) | blob[i + 1]
                out.append(b"%d" % (v - 8192 if v >= 4096 else v))
                size = 2
            elif b < 0xF0:
                ln = ((b & 0x0F) << 8) | blob[i + 1]
                out.append(blob[i + 2:i + 2 + ln])
                size = 2 + ln
            elif b == 0xF0:
                ln = _u32.unpack_from(blob, i + 1)[0]
                out.append(blob[i + 5:i + 5 + ln])
                size = 5 + ln
            elif b == 0xF1:
                out.append(b"%d" % _i16.unpack_from(blob, i + 1)[0])
                size = 3
            elif b == 0xF2:
                v = blob[i + 1] | (blob[i + 2] << 8) | (blob[i + 3] << 16)
                out.append(b"%d" % (v - (1 << 24) if v >= (1 << 23) else v))
                size = 4
            elif b == 0xF3:
                out.append(b"%d" % _i32.unpack_from(blob, i + 1)[0])
                size = 5
            elif b == 0xF4:
                out.append(b"%d" % _i64.unpack_from(blob, i + 1)[0])
                size = 9
            else:
                raise RdbFormatError(f"listpack entry with invalid encoding byte 0x{b:02x}")
            i += size + _backlen_size(size)
    except struct.error:
        raise RdbFormatError("listpack entry runs past the end") from None
    if i != end or blob[end] != 0xFF:
        raise RdbFormatError("listpack entries run past the end or miss the terminator")
    if count != 65535 and count != len(out):
        raise RdbFormatError(f"listpack header says {count} elements, found {len(out)}")
    return out


def _backlen(n: int) -> bytes:
    if n < 128:
        return bytes((n,))
    if n < 16384:
        return bytes((n >> 7, (n & 127) | 128))
    if n < 2097152:
        return bytes((n >> 14, ((n >> 7) & 127) | 128, (n & 127) | 128))
    if n < 268435456:
        return bytes((n >> 21, ((n >> 14) & 127) | 128, ((n >> 7) & 127) | 128, (n & 127) | 128))
    return bytes((n >> 28, ((n >> 21) & 127) | 128, ((n >> 14) & 127) | 128,
                  ((n >> 7) & 127) | 128, (n & 127) | 128))


def encode_entry(s: bytes) -> bytes:
    """One entry with its backlen; canonical integers are stored as integers (``lpStringToInt64``)."""
    v = canonical_int(s) if len(s) <= 20 else None
    if v is not None and -(1 << 63) <= v < (1 << 63):
        if 0 <= v <= 127:
            e = bytes((v,))
        elif -4096 <= v <= 4095:
            u = v & 0x1FFF
            e = bytes((0xC0 | (u >> 8), u & 0xFF))
        elif -(1 << 15) <= v < (1 << 15):
            e = b"\xf1" + _i16.pack(v)
        elif -(1 << 23) <= v < (1 << 23):
            e = b"\xf2" + (v & 0xFFFFFF).to_bytes(3, "little")
        elif -(1 << 31) <= v < (1 << 31):
            e = b"\xf3" + _i32.pack(v)
        else:
            e = b"\xf4" + _i64.pack(v)
    else:
        n = len(s)
        if n < 64:
            e = bytes((0x80 | n,)) + s
        elif n < 4096:
            e = bytes((0xE0 | (n >> 8), n & 0xFF)) + s
        else:
            e = b"\xf0" + _u32.pack(n) + s
    return e + _backlen(len(e))


def pack(entries: list[bytes], body_size: int) -> bytes:
    """A listpack of already encoded entries (``encode_entry``) whose lengths sum to ``body_size``."""
    n = len(entries)
    return _u32.pack(body_size + 7) + _u16.pack(n if n < 65535 else 65535) + b"".join(entries) + b"\xff"


def encode(items: list[bytes]) -> bytes:
    body = b"".join([encode_entry(s) for s in items])
    total = 6 + len(body) + 1
    count = len(items) if len(items) < 65535 else 65535
    return _u32.pack(total) + _u16.pack(count) + body + b"\xff"
