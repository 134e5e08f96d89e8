"""Zipmaps: the compact hash blob of Redis before 2.6 (read-only, for very old files).

Layout: a count byte (254 or more means "count them"), then entries
``<len>key<len><free>value<free bytes>``, and 0xFF. A length is one byte
below 254, or 254 followed by a u32 (little-endian).
"""
from __future__ import annotations

import struct

from .format import RdbFormatError

_u32 = struct.Struct("<I")


def _length(blob: bytes, i: int) -> tuple[int, int]:
    b = blob[i]
    if b < 254:
        return b, i + 1
    if b == 254:
        return _u32.unpack_from(blob, i + 1)[0], i + 5
    raise RdbFormatError("zipmap length byte 255 inside an entry")


def decode(blob: bytes) -> list[bytes]:
    """Alternating fields and values."""
    out: list[bytes] = []
    try:
        i = 1
        while blob[i] != 0xFF:
            klen, i = _length(blob, i)
            out.append(blob[i:i + klen])
            i += klen
            vlen, i = _length(blob, i)
            free = blob[i]
            i += 1
            out.append(blob[i:i + vlen])
            i += vlen + free
        if i != len(blob) - 1:
            raise RdbFormatError("zipmap has bytes after its terminator")
    except (IndexError, struct.error):
        raise RdbFormatError("zipmap entry runs past the end") from None
    return out
