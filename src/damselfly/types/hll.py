"""HyperLogLog in Redis's own string format, so values are interchangeable with Redis.

A HyperLogLog is a plain string (``bytes`` in the keyspace) laid out as in
Redis's ``hyperloglog.c``: a 16-byte header (``HYLL``, encoding byte, three
unused bytes, the cached cardinality as 64-bit little endian whose top bit
means "stale"), then either the *dense* registers (16384 six-bit counters
packed LSB first, 12288 bytes) or the *sparse* run-length opcodes (ZERO
``00xxxxxx``, XZERO ``01xxxxxx yyyyyyyy``, VAL ``1vvvvvxx``). Elements are
hashed with MurmurHash64A (seed ``0xadc83b19``); the low 14 bits pick the
register and the run of zeros above them (plus one) is the candidate value.
The estimator is Ertl's improved raw estimator that Redis 5+ uses.

Every step that shapes the bytes follows Redis: where a sparse opcode is
split, which adjacent VAL opcodes merge, when the sparse form is promoted to
dense (a value above 32, or growing past ``hll-sparse-max-bytes``), and when
the cached cardinality is invalidated. So GET, DUMP and PFCOUNT answer the
same bytes and numbers as Redis after the same commands.

Functions work on ``bytearray`` copies; the commands store ``bytes`` back.
Dense registers are unpacked in bulk with ``bytes.translate`` and big-integer
ORs (the six-bit fields never carry across the OR), about 0.3 ms for all
16384 registers, instead of a Python loop per register (about 6 ms).
"""
from __future__ import annotations

import math
import re
import struct
from bisect import bisect_right
from itertools import accumulate

P = 14
REGISTERS = 1 << P
P_MASK = REGISTERS - 1
Q = 64 - P
HDR_SIZE = 16
DENSE_SIZE = HDR_SIZE + (REGISTERS * 6 + 7) // 8
DENSE = 0
SPARSE = 1
MAGIC = b"HYLL"
SEED = 0xADC83B19
VAL_MAX_VALUE = 32
VAL_MAX_LEN = 4
ZERO_MAX_LEN = 64
XZERO_MAX_LEN = 16384
ALPHA_INF = 0.721347520444481703680  # 0.5 / ln(2)

_M64 = (1 << 64) - 1
_MUL = 0xC6A4A7935BD1E995


def murmurhash64a(data: bytes, seed: int = SEED) -> int:
    """MurmurHash2, 64-bit version, endian-neutral as Redis modified it."""
    n = len(data)
    h = (seed ^ (n * _MUL)) & _M64
    blocks = n >> 3
    if blocks:
        for k in struct.unpack_from("<%dQ" % blocks, data):
            k = (k * _MUL) & _M64
            k ^= k >> 47
            k = (k * _MUL) & _M64
            h ^= k
            h = (h * _MUL) & _M64
    tail = n & 7
    if tail:
        h ^= int.from_bytes(data[n - tail:], "little")
        h = (h * _MUL) & _M64
    h ^= h >> 47
    h = (h * _MUL) & _M64
    h ^= h >> 47
    return h


def pattern(element: bytes) -> tuple[int, int]:
    """``hllPatLen``: (register index, length of the 000..1 run)."""
    h = murmurhash64a(element)
    rest = (h >> P) | (1 << Q)
    return h & P_MASK, (rest & -rest).bit_length()


# -- header -----------------------------------------------------------------------

def new_sparse() -> bytearray:
    """``createHLLObject``: an empty sparse HLL (one XZERO opcode covering everything)."""
    buf = bytearray(HDR_SIZE)
    buf[0:4] = MAGIC
    buf[4] = SPARSE
    aux = REGISTERS
    while aux:
        run = min(XZERO_MAX_LEN, aux)
        buf += bytes(((run - 1) >> 8 | 0x40, (run - 1) & 0xFF))
        aux -= run
    return buf


def is_hll(value: bytes) -> bool:
    """``isHLLObjectOrReply``'s structural checks (the type check is the caller's)."""
    if len(value) < HDR_SIZE or value[:4] != MAGIC or value[4] > SPARSE:
        return False
    return not (value[4] == DENSE and len(value) != DENSE_SIZE)


def invalidate(buf: bytearray) -> None:
    buf[15] |= 0x80


def cached(value: bytes) -> int | None:
    """The cached cardinality, or None when it is stale."""
    if value[15] & 0x80:
        return None
    return int.from_bytes(value[8:16], "little")


def set_cache(buf: bytearray, card: int) -> None:
    buf[8:16] = card.to_bytes(8, "little")


# -- dense registers ------------------------------------------------------------------

def dense_get(buf: bytes | bytearray, index: int) -> int:
    pos = index * 6
    byte = HDR_SIZE + (pos >> 3)
    fb = pos & 7
    b0 = buf[byte]
    b1 = buf[byte + 1] if byte + 1 < len(buf) else 0
    return ((b0 >> fb) | (b1 << (8 - fb))) & 63


def dense_set(buf: bytearray, index: int, value: int) -> None:
    pos = index * 6
    byte = HDR_SIZE + (pos >> 3)
    fb = pos & 7
    buf[byte] = (buf[byte] & ~(63 << fb) & 0xFF) | ((value << fb) & 0xFF)
    if byte + 1 < len(buf):
        fb8 = 8 - fb
        buf[byte + 1] = (buf[byte + 1] & ~(63 >> fb8) & 0xFF) | (value >> fb8)


def dense_add(buf: bytearray, index: int, count: int) -> int:
    """``hllDenseSet``: 1 if the register grew."""
    if count > dense_get(buf, index):
        dense_set(buf, index, count)
        return 1
    return 0


def _table(fn) -> bytes:  # type: ignore[no-untyped-def]
    return bytes(fn(b) & 0xFF for b in range(256))


_AND63 = _table(lambda b: b & 63)
_SHR6 = _table(lambda b: b >> 6)
_LOW4_SHL2 = _table(lambda b: (b & 15) << 2)
_SHR4 = _table(lambda b: b >> 4)
_LOW2_SHL4 = _table(lambda b: (b & 3) << 4)
_SHR2 = _table(lambda b: b >> 2)
_SHL6 = _table(lambda b: b << 6)
_SHL4 = _table(lambda b: b << 4)
_SHL2 = _table(lambda b: b << 2)


def _or(a: bytes, b: bytes) -> bytes:
    """Bytewise OR of equal-length strings (one big-integer OR, no carries)."""
    n = len(a)
    return (int.from_bytes(a, "big") | int.from_bytes(b, "big")).to_bytes(n, "big")


def dense_registers(buf: bytes | bytearray) -> bytearray:
    """All 16384 register values, one byte each, in register order."""
    data = bytes(buf[HDR_SIZE:DENSE_SIZE])
    b0, b1, b2 = data[0::3], data[1::3], data[2::3]
    out = bytearray(REGISTERS)
    out[0::4] = b0.translate(_AND63)
    out[1::4] = _or(b0.translate(_SHR6), b1.translate(_LOW4_SHL2))
    out[2::4] = _or(b1.translate(_SHR4), b2.translate(_LOW2_SHL4))
    out[3::4] = b2.translate(_SHR2)
    return out


def pack_dense(registers: bytes | bytearray) -> bytes:
    """Inverse of :func:`dense_registers`: the 12288 packed register bytes."""
    regs = bytes(registers)
    r0, r1, r2, r3 = regs[0::4], regs[1::4], regs[2::4], regs[3::4]
    out = bytearray(DENSE_SIZE - HDR_SIZE)
    out[0::3] = _or(r0, r1.translate(_SHL6))
    out[1::3] = _or(r1.translate(_SHR2), r2.translate(_SHL4))
    out[2::3] = _or(r2.translate(_SHR4), r3.translate(_SHL2))
    return bytes(out)


# -- sparse representation -------------------------------------------------------------

def _val(value: int, length: int) -> int:
    return ((value - 1) << 2 | (length - 1)) | 0x80


def _zero_run(length: int) -> bytes:
    if length > ZERO_MAX_LEN:
        return bytes(((length - 1) >> 8 | 0x40, (length - 1) & 0xFF))
    return bytes((length - 1,))


def sparse_to_dense(buf: bytes | bytearray) -> bytearray | None:
    """``hllSparseToDense``; None if the opcodes do not cover exactly 16384 registers."""
    if buf[4] == DENSE:
        return bytearray(buf)
    regs = bytearray(REGISTERS)
    idx = 0
    p = HDR_SIZE
    end = len(buf)
    while p < end:
        op = buf[p]
        if op & 0xC0 == 0:
            idx += (op & 0x3F) + 1
            p += 1
        elif op & 0x80 == 0:
            idx += ((op & 0x3F) << 8 | (buf[p + 1] if p + 1 < end else 0)) + 1
            p += 2
        else:
            run = (op & 3) + 1
            if idx + run > REGISTERS:
                return None  # overflow: invalid, as Redis since the CVE-2025-32023 fix
            value = ((op >> 2) & 0x1F) + 1
            regs[idx:idx + run] = bytes((value,)) * run
            idx += run
            p += 1
    if idx != REGISTERS:
        return None
    dense = bytearray(buf[:HDR_SIZE])
    dense[4] = DENSE
    dense += pack_dense(regs)
    return dense


# Opcode tokens: an XZERO is two bytes, ZERO and VAL one (Redis classifies by the first byte).
_TOKEN = re.compile(rb"[\x40-\x7f][\x00-\xff]?|[\x00-\x3f\x80-\xff]")
_SPAN: dict[bytes, int] = {}
for _b in range(256):
    if _b & 0xC0 == 0:
        _SPAN[bytes((_b,))] = (_b & 0x3F) + 1
    elif _b & 0x80:
        _SPAN[bytes((_b,))] = (_b & 3) + 1
    else:
        _SPAN[bytes((_b,))] = ((_b & 0x3F) << 8) + 1  # an XZERO cut short reads a 0 byte
        for _c in range(256):
            _SPAN[bytes((_b, _c))] = ((_b & 0x3F) << 8 | _c) + 1
PROMOTE = 2


def _val_token(value: int, length: int) -> bytes:
    return bytes((_val(value, length),))


class Sparse:
    """A sparse HLL as a list of opcode tokens, edited exactly as ``hllSparseSet`` edits bytes.

    Redis walks the opcodes from the start for every element it adds: fine
    in C, about 0.4 us per opcode in Python (670 us per PFADD element on a
    2 KB sparse HLL). Here the opcodes are tokens in a list with the first
    register each covers beside them, so the covering opcode is found by
    bisection; a split replaces one token by up to three covering the same
    registers and a merge joins two, so the other tokens' first registers
    never change. The resulting bytes are identical to Redis's (the unit
    tests replay Redis's byte-level algorithm against it).

    :func:`model_of` keeps the model of the last value it produced, so a run
    of PFADDs on one key decodes the opcodes once.
    """

    __slots__ = ("header", "ops", "firsts", "size")

    def __init__(self, buf: bytes | bytearray) -> None:
        self.header = bytearray(buf[:HDR_SIZE])
        self.ops: list[bytes] = _TOKEN.findall(buf, HDR_SIZE)
        self.firsts = [0, *accumulate(map(_SPAN.__getitem__, self.ops))]
        self.firsts.pop()
        self.size = len(buf)

    def encode(self) -> bytes:
        return bytes(self.header) + b"".join(self.ops)

    def set(self, index: int, count: int, max_bytes: int) -> int:
        """``hllSparseSet``: 1 changed, 0 unchanged, -1 corrupt, :data:`PROMOTE` to go dense."""
        if count > VAL_MAX_VALUE:
            return PROMOTE
        ops, firsts = self.ops, self.firsts
        i = bisect_right(firsts, index) - 1
        if i < 0 or not ops:
            return -1
        token = ops[i]
        first = firsts[i]
        span = _SPAN[token]
        if index > first + span - 1:
            return -1
        op = token[0]
        if op & 0x80:
            current = ((op >> 2) & 0x1F) + 1
            if current >= count:
                return 0
            if span == 1:
                ops[i] = _val_token(count, 1)
                self._merge(i - 1)
                return 1
        elif op & 0xC0 == 0 and span == 1:
            ops[i] = _val_token(count, 1)
            self._merge(i - 1)
            return 1
        last = first + span - 1
        seq: list[bytes] = []
        starts: list[int] = []
        if op & 0x80:
            if index != first:
                seq.append(_val_token(current, index - first))
                starts.append(first)
            seq.append(_val_token(count, 1))
            starts.append(index)
            if index != last:
                seq.append(_val_token(current, last - index))
                starts.append(index + 1)
        else:
            if index != first:
                seq.append(_zero_run(index - first))
                starts.append(first)
            seq.append(_val_token(count, 1))
            starts.append(index)
            if index != last:
                seq.append(_zero_run(last - index))
                starts.append(index + 1)
        delta = sum(map(len, seq)) - len(token)
        if delta > 0 and self.size + delta > max_bytes:
            return PROMOTE
        ops[i:i + 1] = seq
        firsts[i:i + 1] = starts
        self.size += delta
        self._merge(i - 1)
        return 1

    def _merge(self, prev: int) -> None:
        """Step 4 of ``hllSparseSet``: merge adjacent equal VALs, up to 5 opcodes from ``prev``."""
        ops = self.ops
        j = prev if prev >= 0 else 0
        scan = 5
        while j < len(ops) and scan:
            scan -= 1
            op = ops[j][0]
            if not op & 0x80:
                j += 1
                continue
            if j + 1 < len(ops):
                nxt = ops[j + 1][0]
                if nxt & 0x80 and (op >> 2) & 0x1F == (nxt >> 2) & 0x1F:
                    length = (op & 3) + (nxt & 3) + 2
                    if length <= VAL_MAX_LEN:
                        ops[j] = _val_token(((op >> 2) & 0x1F) + 1, length)
                        del ops[j + 1]
                        del self.firsts[j + 1]
                        self.size -= 1
                        continue
            j += 1
        self.header[15] |= 0x80

    def to_dense(self, index: int, count: int) -> bytearray | None:
        """The promotion of ``hllSparseSet``: densify, then set the register."""
        dense = sparse_to_dense(self.encode())
        if dense is not None:
            dense_add(dense, index, count)
        return dense


_last_model: tuple[bytes, Sparse] | None = None


def model_of(value: bytes) -> Sparse:
    """The :class:`Sparse` model of ``value``: the cached one if ``value`` is what it last encoded."""
    if _last_model is not None and _last_model[0] is value:
        return _last_model[1]
    return Sparse(value)


def remember(value: bytes, model: Sparse) -> None:
    """Record that ``model`` is the decoded form of ``value`` (the bytes just stored)."""
    global _last_model
    _last_model = (value, model)


def forget() -> None:
    global _last_model
    _last_model = None


def registers(buf: bytes | bytearray) -> bytearray | None:
    """Every register (one byte each); None for a corrupt sparse HLL (``hllMerge``)."""
    if buf[4] == DENSE:
        return dense_registers(buf)
    regs = bytearray(REGISTERS)
    idx = 0
    p = HDR_SIZE
    end = len(buf)
    while p < end:
        op = buf[p]
        if op & 0xC0 == 0:
            idx += (op & 0x3F) + 1
            p += 1
        elif op & 0x80 == 0:
            idx += ((op & 0x3F) << 8 | (buf[p + 1] if p + 1 < end else 0)) + 1
            p += 2
        else:
            run = (op & 3) + 1
            if idx + run > REGISTERS:
                return None  # overflow: invalid, as Redis since the CVE-2025-32023 fix
            regs[idx:idx + run] = bytes((((op >> 2) & 0x1F) + 1,)) * run
            idx += run
            p += 1
    if idx != REGISTERS:
        return None
    return regs


def merge_max(into: bytearray, other: bytes | bytearray) -> bytearray:
    """Register-wise maximum of two register arrays."""
    return bytearray(map(max, into, other))


# -- estimation ------------------------------------------------------------------------

def histogram_of_registers(regs: bytes | bytearray) -> list[int]:
    data = bytes(regs)
    return [data.count(v) for v in range(64)]


def sparse_histogram(buf: bytes | bytearray) -> list[int] | None:
    """``hllSparseRegHisto``; None when the runs do not add up to 16384 registers."""
    histo = [0] * 64
    idx = 0
    p = HDR_SIZE
    end = len(buf)
    while p < end:
        op = buf[p]
        if op & 0xC0 == 0:
            run = (op & 0x3F) + 1
            histo[0] += run
            p += 1
        elif op & 0x80 == 0:
            run = ((op & 0x3F) << 8 | (buf[p + 1] if p + 1 < end else 0)) + 1
            histo[0] += run
            p += 2
        else:
            run = (op & 3) + 1
            histo[((op >> 2) & 0x1F) + 1] += run
            p += 1
        idx += run
    return histo if idx == REGISTERS else None


def _sigma(x: float) -> float:
    if x == 1.0:
        return math.inf
    y = 1.0
    z = x
    while True:
        x *= x
        z_prime = z
        z += x * y
        y += y
        if z_prime == z:
            return z


def _tau(x: float) -> float:
    if x == 0.0 or x == 1.0:
        return 0.0
    y = 1.0
    z = 1 - x
    while True:
        x = math.sqrt(x)
        z_prime = z
        y *= 0.5
        z -= math.pow(1 - x, 2) * y
        if z_prime == z:
            return z / 3


def estimate(histo: list[int]) -> int:
    """``hllCount`` from a register histogram (Ertl's estimator), rounded like ``llroundl``."""
    m = float(REGISTERS)
    z = m * _tau((m - histo[Q + 1]) / m)
    for j in range(Q, 0, -1):
        z += histo[j]
        z *= 0.5
    z += m * _sigma(histo[0] / m)
    e = ALPHA_INF * m * m / z
    floor = math.floor(e)
    return int(floor + 1 if e - floor >= 0.5 else floor)


def count(buf: bytes | bytearray) -> int | None:
    """Cardinality of one HLL (ignoring its cache); None when a sparse HLL is corrupt."""
    if buf[4] == DENSE:
        return estimate(histogram_of_registers(dense_registers(buf)))
    histo = sparse_histogram(buf)
    return None if histo is None else estimate(histo)
