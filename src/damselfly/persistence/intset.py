"""Intsets: sorted arrays of 16, 32 or 64-bit integers (small all-integer sets).

Layout: element width in bytes (u32 LE: 2, 4 or 8), count (u32 LE), then the
values in ascending order, little-endian.
"""
from __future__ import annotations

import struct

from .format import RdbFormatError

_header = struct.Struct("<II")
_FORMATS = {2: "h", 4: "i", 8: "q"}


def decode(blob: bytes) -> list[bytes]:
    if len(blob) < 8:
        raise RdbFormatError("intset too short")
    width, count = _header.unpack_from(blob, 0)
    code = _FORMATS.get(width)
    if code is None:
        raise RdbFormatError(f"intset with invalid element width {width}")
    if len(blob) != 8 + width * count:
        raise RdbFormatError("intset length does not match its element count")
    values = struct.unpack_from(f"<{count}{code}", blob, 8)
    for a, b in zip(values, values[1:]):
        if a >= b:
            raise RdbFormatError("intset values are not sorted and unique")
    return [b"%d" % v for v in values]


def encode(values: list[int]) -> bytes:
    values = sorted(values)
    lo, hi = (values[0], values[-1]) if values else (0, 0)
    if -(1 << 15) <= lo and hi < (1 << 15):
        width = 2
    elif -(1 << 31) <= lo and hi < (1 << 31):
        width = 4
    else:
        width = 8
    return _header.pack(width, len(values)) + struct.pack(f"<{len(values)}{_FORMATS[width]}", *values)
