"""Listpacks, ziplists, intsets, zipmaps: decoding what Redis writes, rejecting damage.

Ziplists and zipmaps are only read (Redis 7.0 no longer writes them); the
builders here follow ziplist.c / zipmap.c independently of the decoder.
"""
from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings, strategies as st

from damselfly.persistence import intset, listpack, ziplist, zipmap
from damselfly.persistence.format import RdbFormatError

elements = st.lists(st.one_of(
    st.binary(max_size=70),
    st.binary(min_size=4090, max_size=4100),
    st.integers(-(2**63), 2**63 - 1).map(lambda i: b"%d" % i),
    st.sampled_from([b"0", b"-0", b"007", b"127", b"128", b"-4096", b"4095", b"4096", b"-4097"]),
), max_size=30)


@settings(max_examples=150, deadline=None)
@given(elements)
def test_listpack_round_trip(items: list[bytes]) -> None:
    assert listpack.decode(listpack.encode(items)) == items


def test_listpack_bytes_for_small_values() -> None:
    # Redis 7.0.15's DUMP of HSET hh a 1 holds this listpack (a 1-byte string, a 7-bit uint)
    blob = listpack.encode([b"a", b"1"])
    assert blob == b"\x0c\x00\x00\x00\x02\x00\x81a\x02\x01\x01\xff"


def test_listpack_rejects_damage() -> None:
    blob = listpack.encode([b"hello", b"world"])
    with pytest.raises(RdbFormatError):
        listpack.decode(blob[:-1])
    with pytest.raises(RdbFormatError):
        listpack.decode(blob[:6] + b"\xf9" + blob[7:])  # invalid encoding byte
    with pytest.raises(RdbFormatError):
        listpack.decode(blob[:4] + b"\x05\x00" + blob[6:])  # wrong count


def _zl_entry(prev: int, item: bytes | int) -> bytes:
    head = bytes((prev,)) if prev < 254 else b"\xfe" + struct.pack("<I", prev)
    if isinstance(item, int):
        if 0 <= item <= 12:
            return head + bytes((0xF1 + item,))
        if -128 <= item < 128:
            return head + b"\xfe" + struct.pack("<b", item)
        if -(2**15) <= item < 2**15:
            return head + b"\xc0" + struct.pack("<h", item)
        if -(2**23) <= item < 2**23:
            return head + b"\xf0" + (item & 0xFFFFFF).to_bytes(3, "little")
        if -(2**31) <= item < 2**31:
            return head + b"\xd0" + struct.pack("<i", item)
        return head + b"\xe0" + struct.pack("<q", item)
    n = len(item)
    if n < 64:
        return head + bytes((n,)) + item
    if n < 16384:
        return head + bytes((0x40 | (n >> 8), n & 0xFF)) + item
    return head + b"\x80" + struct.pack(">I", n) + item


def build_ziplist(items: list[bytes | int]) -> bytes:
    body = b""
    prev = 0
    for item in items:
        entry = _zl_entry(prev, item)
        body += entry
        prev = len(entry)
    total = 10 + len(body) + 1
    return struct.pack("<IIH", total, 10, len(items)) + body + b"\xff"


def test_ziplist_every_encoding() -> None:
    items: list[bytes | int] = [b"a", 0, 12, 13, -1, 300, -40000, 2**22, 2**30, -(2**40),
                                b"x" * 100, b"y" * 20000, b"" ]
    blob = build_ziplist(items)
    expected = [i if isinstance(i, bytes) else b"%d" % i for i in items]
    assert ziplist.decode(blob) == expected


def test_ziplist_rejects_damage() -> None:
    blob = build_ziplist([b"abc", 5])
    with pytest.raises(RdbFormatError):
        ziplist.decode(blob[:-2] + b"\xff")
    with pytest.raises(RdbFormatError):
        ziplist.decode(blob[:8] + b"\x09\x00" + blob[10:])


def test_intset_round_trip_and_widths() -> None:
    for values, width in (([1, -5, 300], 2), ([70000, 1], 4), ([2**40, -3], 8)):
        blob = intset.encode(values)
        assert struct.unpack_from("<I", blob)[0] == width
        assert intset.decode(blob) == [b"%d" % v for v in sorted(values)]


def test_intset_rejects_unsorted_or_bad_width() -> None:
    with pytest.raises(RdbFormatError):
        intset.decode(struct.pack("<II2h", 2, 2, 5, 1))
    with pytest.raises(RdbFormatError):
        intset.decode(struct.pack("<IIh", 3, 1, 5))
    with pytest.raises(RdbFormatError):
        intset.decode(struct.pack("<II2h", 2, 3, 1, 2))


def test_zipmap_with_free_bytes_and_long_values() -> None:
    big = b"v" * 300
    blob = (b"\x02" + b"\x01a" + b"\x02\x03xy" + b"fre" + b"\x02bb" + b"\xfe" + struct.pack("<I", 300)
            + b"\x00" + big + b"\xff")
    assert zipmap.decode(blob) == [b"a", b"xy", b"bb", big]
    with pytest.raises(RdbFormatError):
        zipmap.decode(blob[:-1])
