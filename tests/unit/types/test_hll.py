"""HyperLogLog registers, sparse opcodes and estimation in Redis's exact format."""
from __future__ import annotations

import random

import pytest

from damselfly.types import hll


# -- Redis's byte-level hllSparseSet, transcribed as the oracle for hll.Sparse ----------

def ref_sparse_add(buf: bytearray, index: int, count: int, max_bytes: int) -> tuple[bytearray, int]:
    """``hllSparseSet``: (the HLL, now possibly dense; 1 changed, 0 not, -1 corrupt)."""
    if count > hll.VAL_MAX_VALUE:
        return _ref_promote(buf, index, count)
    end = len(buf)
    p = hll.HDR_SIZE
    first = 0
    prev = -1
    span = 0
    oplen = 1
    while p < end:
        op = buf[p]
        oplen = 1
        if op & 0xC0 == 0:
            span = (op & 0x3F) + 1
        elif op & 0x80:
            span = (op & 3) + 1
        else:
            span = ((op & 0x3F) << 8 | (buf[p + 1] if p + 1 < end else 0)) + 1
            oplen = 2
        if index <= first + span - 1:
            break
        prev = p
        p += oplen
        first += span
    if span == 0 or p >= end:
        return buf, -1
    op = buf[p]
    is_zero = op & 0xC0 == 0
    is_xzero = op & 0xC0 == 0x40
    is_val = bool(op & 0x80)
    runlen = span
    if is_val:
        old = ((op >> 2) & 0x1F) + 1
        if old >= count:
            return buf, 0
        if runlen == 1:
            buf[p] = hll._val(count, 1)
            return _ref_merge(buf, prev), 1
    if is_zero and runlen == 1:
        buf[p] = hll._val(count, 1)
        return _ref_merge(buf, prev), 1
    last = first + span - 1
    seq = bytearray()
    if is_zero or is_xzero:
        if index != first:
            seq += hll._zero_run(index - first)
        seq.append(hll._val(count, 1))
        if index != last:
            seq += hll._zero_run(last - index)
    else:
        current = ((op >> 2) & 0x1F) + 1
        if index != first:
            seq.append(hll._val(current, index - first))
        seq.append(hll._val(count, 1))
        if index != last:
            seq.append(hll._val(current, last - index))
    oldlen = 2 if is_xzero else 1
    if len(seq) - oldlen > 0 and len(buf) + len(seq) - oldlen > max_bytes:
        return _ref_promote(buf, index, count)
    buf[p:p + oldlen] = seq
    return _ref_merge(buf, prev), 1


def _ref_merge(buf: bytearray, prev: int) -> bytearray:
    """Step 4 of ``hllSparseSet``: merge adjacent equal VAL opcodes near the change."""
    p = prev if prev >= 0 else hll.HDR_SIZE
    end = len(buf)
    scanlen = 5
    while p < end and scanlen:
        scanlen -= 1
        op = buf[p]
        if op & 0xC0 == 0x40:
            p += 2
            continue
        if op & 0xC0 == 0:
            p += 1
            continue
        if p + 1 < end and buf[p + 1] & 0x80:
            nxt = buf[p + 1]
            v1 = ((op >> 2) & 0x1F) + 1
            v2 = ((nxt >> 2) & 0x1F) + 1
            if v1 == v2:
                length = (op & 3) + 1 + (nxt & 3) + 1
                if length <= hll.VAL_MAX_LEN:
                    buf[p + 1] = hll._val(v1, length)
                    del buf[p]
                    end -= 1
                    continue
        p += 1
    hll.invalidate(buf)
    return buf


def _ref_promote(buf: bytearray, index: int, count: int) -> tuple[bytearray, int]:
    dense = hll.sparse_to_dense(buf)
    if dense is None:
        return buf, -1
    hll.dense_add(dense, index, count)
    return dense, 1


def sparse_add(buf, index, count, max_bytes):
    """hll.Sparse.set with the byte-level calling convention of the oracle."""
    model = hll.Sparse(buf)
    result = model.set(index, count, max_bytes)
    if result == hll.PROMOTE:
        return model.to_dense(index, count), 1
    return bytearray(model.encode()), result


def add(buf, element, max_bytes):
    index, count = hll.pattern(element)
    if buf[4] == hll.DENSE:
        return buf, hll.dense_add(buf, index, count)
    return sparse_add(buf, index, count, max_bytes)


def test_murmurhash64a_known_values():
    # from the C function compiled with native uint64 arithmetic (seed 0xadc83b19)
    known = {b"": 0xD8DFEA6585BC9732, b"a": 0x53D2470A9B43B1A7, b"hello": 0x0F656F01EECFE400,
             b"abcdefgh": 0xF3A65DF559914567, b"abcdefghX": 0xBF73136D073AF438,
             b"The quick brown fox jumps over the lazy dog": 0x51606C5C5B561ACE}
    for data, expected in known.items():
        assert hll.murmurhash64a(data) == expected


def test_pattern_counts_trailing_zeros_above_the_index_bits():
    for element in (b"x", b"hello", b"12345678901"):
        index, count = hll.pattern(element)
        h = hll.murmurhash64a(element)
        assert index == h & 16383
        rest = h >> 14
        expected = 1
        while not rest & 1 and expected <= 50:
            expected += 1
            rest >>= 1
        assert count == min(expected, 51)


def test_empty_sparse_layout():
    buf = hll.new_sparse()
    assert bytes(buf) == b"HYLL\x01\x00\x00\x00" + b"\x00" * 8 + b"\x7f\xff"
    assert hll.is_hll(bytes(buf))
    assert hll.count(buf) == 0


def test_sparse_example_from_redis_docs():
    # registers 1000, 1020, 1021 set to 2, 3, 3:
    # XZERO:1000 VAL:2,1 ZERO:19 VAL:3,2 XZERO:15362
    buf = hll.new_sparse()
    for index, value in ((1000, 2), (1020, 3), (1021, 3)):
        buf, changed = sparse_add(buf, index, value, 3000)
        assert changed == 1
    ops = bytes(buf[16:])
    assert ops == bytes([0x40 | (999 >> 8), 999 & 0xFF, 0x80 | (1 << 2), 18, 0x80 | (2 << 2) | 1,
                         0x40 | (15361 >> 8), 15361 & 0xFF])
    buf, changed = sparse_add(buf, 1020, 2, 3000)
    assert changed == 0
    assert buf[15] & 0x80  # cache invalidated by the earlier changes


def test_sparse_promotes_on_big_value_and_on_size():
    buf, changed = sparse_add(hll.new_sparse(), 5, 33, 3000)
    assert changed == 1 and buf[4] == hll.DENSE and len(buf) == hll.DENSE_SIZE
    assert hll.dense_get(buf, 5) == 33
    buf = hll.new_sparse()
    for index in range(0, 16384, 37):
        buf, _ = sparse_add(buf, index, 1 + index % 30, 40)
        if buf[4] == hll.DENSE:
            break
    assert buf[4] == hll.DENSE


def test_dense_pack_roundtrip_and_register_access():
    rnd = random.Random(1)
    regs = bytearray(rnd.randrange(64) for _ in range(hll.REGISTERS))
    packed = hll.pack_dense(regs)
    buf = bytearray(b"HYLL\x00" + bytes(11)) + packed
    assert hll.dense_registers(buf) == regs
    for index in (0, 1, 2, 3, 4, 16382, 16383):
        assert hll.dense_get(buf, index) == regs[index]
        hll.dense_set(buf, index, 63 - regs[index])
        assert hll.dense_get(buf, index) == 63 - regs[index]


def test_sparse_to_dense_matches_registers():
    buf = hll.new_sparse()
    for i in range(300):
        buf, _ = add(buf, b"el%d" % i, 3000)
    assert buf[4] == hll.SPARSE
    dense = hll.sparse_to_dense(buf)
    assert dense is not None
    assert hll.dense_registers(dense) == hll.registers(buf)
    assert hll.count(dense) == hll.count(buf)


def test_corrupt_sparse_is_detected():
    bad = bytearray(b"HYLL\x01" + bytes(11) + b"\x7f\xfe")  # covers 16383 registers
    assert hll.count(bad) is None
    assert hll.registers(bad) is None
    assert hll.sparse_to_dense(bad) is None


def test_is_hll_rejects_other_strings():
    assert not hll.is_hll(b"hello")
    assert not hll.is_hll(b"HYLL\x02" + bytes(11))
    assert not hll.is_hll(b"HYLL\x00" + bytes(11))  # dense with the wrong size
    assert hll.is_hll(b"HYLL\x00" + bytes(hll.DENSE_SIZE - 5))


def test_estimates_are_close():
    buf = hll.new_sparse()
    for i in range(20000):
        buf, _ = add(buf, b"item:%d" % i, 3000)
    estimate = hll.count(buf)
    assert estimate is not None and abs(estimate - 20000) < 20000 * 0.03


def test_cache_field():
    buf = hll.new_sparse()
    assert hll.cached(bytes(buf)) == 0
    hll.invalidate(buf)
    assert hll.cached(bytes(buf)) is None
    hll.set_cache(buf, 1234)
    assert hll.cached(bytes(buf)) == 1234


@pytest.mark.parametrize("seed", range(6))
def test_model_matches_the_byte_level_algorithm(seed):
    """Random register updates: the token model gives the bytes Redis's algorithm gives."""
    rnd = random.Random(seed)
    max_bytes = rnd.choice([60, 300, 3000])
    ref = hll.new_sparse()
    model = hll.Sparse(bytes(ref))
    for _ in range(1500):
        index = rnd.choice([rnd.randrange(16384), rnd.randrange(40), 16383, 0])
        count = rnd.choice([1, 1, 2, 3, rnd.randrange(1, 34)])
        ref, expected = ref_sparse_add(ref, index, count, max_bytes)
        got = model.set(index, count, max_bytes)
        if got == hll.PROMOTE:
            dense = model.to_dense(index, count)
            assert expected == 1 and ref[4] == hll.DENSE and dense == ref
            return
        assert got == expected
        assert model.encode() == bytes(ref)
    assert ref[4] == hll.SPARSE


def test_model_cache_follows_the_stored_value():
    value = bytes(hll.new_sparse())
    model = hll.model_of(value)
    model.set(10, 3, 3000)
    stored = model.encode()
    hll.remember(stored, model)
    assert hll.model_of(stored) is model
    assert hll.model_of(value) is not model
    hll.forget()
    assert hll.model_of(stored) is not model
