"""Ziplists: the compact blob of Redis before 7.0 (lists, hashes, zsets; quicklist nodes).

Read-only: Redis 7.0 still loads them from old files, damselfly never writes
them. Layout: total bytes (u32 LE), offset of the tail (u32 LE), entry count
(u16 LE), entries, 0xFF. An entry is the previous entry's length (1 byte, or
0xFE and a u32), an encoding (string lengths of 6, 14 or 32 bits, or integers
of 8/16/24/32/64 bits, or 0..12 in the encoding byte itself), then the data.
"""
from __future__ import annotations

import struct

from .format import RdbFormatError

_u16 = struct.Struct("<H")
_u32 = struct.Struct("<I")
_u32be = struct.Struct(">I")
_i16 = struct.Struct("<h")
_i32 = struct.Struct("<i")
_i64 = struct.Struct("<q")


def decode(blob: bytes) -> list[bytes]:
    n = len(blob)
    if n < 11:
        raise RdbFormatError("ziplist too short")
    if _u32.unpack_from(blob, 0)[0] != n:
        raise RdbFormatError("ziplist header length does not match its blob")
    count = _u16.unpack_from(blob, 8)[0]
    out: list[bytes] = []
    i = 10
    end = n - 1
    try:
        while i < end:
            i += 5 if blob[i] == 0xFE else 1
            b = blob[i]
            kind = b >> 6
            if kind == 0:
                ln = b & 0x3F
                out.append(blob[i + 1:i + 1 + ln])
                i += 1 + ln
            elif kind == 1:
                ln = ((b & 0x3F) << 8) | blob[i + 1]
                out.append(blob[i + 2:i + 2 + ln])
                i += 2 + ln
            elif kind == 2:
                ln = _u32be.unpack_from(blob, i + 1)[0]
                out.append(blob[i + 5:i + 5 + ln])
                i += 5 + ln
            elif b == 0xC0:
                out.append(b"%d" % _i16.unpack_from(blob, i + 1)[0])
                i += 3
            elif b == 0xD0:
                out.append(b"%d" % _i32.unpack_from(blob, i + 1)[0])
                i += 5
            elif b == 0xE0:
                out.append(b"%d" % _i64.unpack_from(blob, i + 1)[0])
                i += 9
            elif b == 0xF0:
                v = blob[i + 1] | (blob[i + 2] << 8) | (blob[i + 3] << 16)
                out.append(b"%d" % (v - (1 << 24) if v >= (1 << 23) else v))
                i += 4
            elif b == 0xFE:
                v = blob[i + 1]
                out.append(b"%d" % (v - 256 if v >= 128 else v))
                i += 2
            elif 0xF1 <= b <= 0xFD:
                out.append(b"%d" % ((b & 0x0F) - 1))
                i += 1
            else:
                raise RdbFormatError(f"ziplist entry with invalid encoding byte 0x{b:02x}")
    except (struct.error, IndexError):
        raise RdbFormatError("ziplist entry runs past the end") from None
    if i != end or blob[end] != 0xFF:
        raise RdbFormatError("ziplist entries run past the end or miss the terminator")
    if count != 65535 and count != len(out):
        raise RdbFormatError(f"ziplist header says {count} entries, found {len(out)}")
    return out
