"""HyperLogLog registers, sparse opcodes and estimation in Redis's exact format."""
from __future__ import annotations

import random

from damselfly.types import hll


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
        buf, changed = hll.sparse_add(buf, index, value, 3000)
        assert changed == 1
    ops = bytes(buf[16:])
    assert ops == bytes([0x40 | (999 >> 8), 999 & 0xFF, 0x80 | (1 << 2), 18, 0x80 | (2 << 2) | 1,
                         0x40 | (15361 >> 8), 15361 & 0xFF])
    buf, changed = hll.sparse_add(buf, 1020, 2, 3000)
    assert changed == 0
    assert buf[15] & 0x80  # cache invalidated by the earlier changes


def test_sparse_promotes_on_big_value_and_on_size():
    buf, changed = hll.sparse_add(hll.new_sparse(), 5, 33, 3000)
    assert changed == 1 and buf[4] == hll.DENSE and len(buf) == hll.DENSE_SIZE
    assert hll.dense_get(buf, 5) == 33
    buf = hll.new_sparse()
    for index in range(0, 16384, 37):
        buf, _ = hll.sparse_add(buf, index, 1 + index % 30, 40)
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
        buf, _ = hll.add(buf, b"el%d" % i, 3000)
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
        buf, _ = hll.add(buf, b"item:%d" % i, 3000)
    estimate = hll.count(buf)
    assert estimate is not None and abs(estimate - 20000) < 20000 * 0.03


def test_cache_field():
    buf = hll.new_sparse()
    assert hll.cached(bytes(buf)) == 0
    hll.invalidate(buf)
    assert hll.cached(bytes(buf)) is None
    hll.set_cache(buf, 1234)
    assert hll.cached(bytes(buf)) == 1234
