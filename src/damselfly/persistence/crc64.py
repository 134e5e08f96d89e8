"""CRC-64/Jones, reflected, as Redis's ``crc64.c`` (RDB files and DUMP payloads).

Polynomial 0xad93d23594c935a9, reflected input and output, initial value 0,
no final xor: ``crc64(0, b"123456789") == 0xe9c6d914c4b8d9ca``.

Because the initial value is 0 and there is no final xor, the CRC is linear:
``crc(A + B) == shift(crc(A), len(B)) ^ crc(B)``, where ``shift`` feeds zero
bytes. The fast path uses that: with numpy (when installed) the buffer is cut
into many lanes of equal length, every lane advances one byte per vectorised
step, and the lane CRCs are folded together with a precomputed "advance by one
lane" operator. A 20 MB dump takes about 0.1 s that way against about 3 s for
the byte-at-a-time loop, which remains the fallback and handles short inputs.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

_POLY = 0x95AC9329AC4BC9B5  # 0xad93d23594c935a9 bit-reversed
_MASK = (1 << 64) - 1


def _make_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ _POLY if crc & 1 else crc >> 1
        table.append(crc)
    return table


_TABLE = _make_table()
_FAST_MIN = 1 << 16  # below this the setup of the vectorised path costs more than it saves
_LANES = 4096

try:  # numpy is optional: only the speed of large checksums depends on it
    import numpy as _np
except ImportError:  # pragma: no cover - depends on the environment
    _np = None


def crc64_slow(crc: int, data: Any) -> int:
    """Byte-at-a-time CRC (the reference implementation)."""
    table = _TABLE
    for byte in bytes(data):
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc


def crc64(crc: int, data: Any) -> int:
    """Continue ``crc`` over ``data`` (bytes-like); start with 0."""
    n = len(data)
    if n < _FAST_MIN or _np is None:
        return crc64_slow(crc, data)
    return _crc64_lanes(crc, data, n)


# -- the vectorised path ------------------------------------------------------------

def _apply(matrix: list[int], value: int) -> int:
    """Multiply a 64x64 GF(2) matrix (list of column images) by a vector."""
    out = 0
    i = 0
    while value:
        if value & 1:
            out ^= matrix[i]
        value >>= 1
        i += 1
    return out


def _compose(a: list[int], b: list[int]) -> list[int]:
    """The matrix of ``a`` after ``b``."""
    return [_apply(a, col) for col in b]


@lru_cache(maxsize=8)
def _shift_tables(nbytes: int) -> tuple[tuple[int, ...], ...]:
    """Byte-sliced tables of the operator that feeds ``nbytes`` zero bytes."""
    one_bit = [(1 << i) for i in range(64)]
    # Feeding one zero bit: crc -> (crc >> 1) ^ (POLY if crc & 1).
    bit = [(_POLY if i == 0 else 0) ^ ((1 << i) >> 1) for i in range(64)]
    byte = one_bit
    for _ in range(8):
        byte = _compose(bit, byte)
    result = one_bit
    power = byte
    k = nbytes
    while k:
        if k & 1:
            result = _compose(power, result)
        k >>= 1
        if k:
            power = _compose(power, power)
    return tuple(tuple(_apply(result, b << (8 * s)) for b in range(256)) for s in range(8))


def _crc64_lanes(crc: int, data: Any, n: int) -> int:
    np = _np
    lanes = _LANES
    width = n // lanes
    body = lanes * width
    grid = np.frombuffer(data, dtype=np.uint8, count=body).reshape(lanes, width).T.copy()
    table = np.array(_TABLE, dtype=np.uint64)
    state = np.zeros(lanes, dtype=np.uint64)
    eight = np.uint64(8)
    for row in grid:
        state = table[(state ^ row) & 0xFF] ^ (state >> eight)
    tables = _shift_tables(width)
    t0, t1, t2, t3, t4, t5, t6, t7 = tables
    # Fold: the running crc (the caller's, then lanes so far) is advanced over
    # one lane of zero bytes and xored with the next lane's crc.
    r = crc
    for lane_crc in state.tolist():
        r = (t0[r & 0xFF] ^ t1[(r >> 8) & 0xFF] ^ t2[(r >> 16) & 0xFF] ^ t3[(r >> 24) & 0xFF]
             ^ t4[(r >> 32) & 0xFF] ^ t5[(r >> 40) & 0xFF] ^ t6[(r >> 48) & 0xFF] ^ t7[r >> 56]) ^ lane_crc
    return crc64_slow(r, memoryview(data)[body:]) if body < n else r
