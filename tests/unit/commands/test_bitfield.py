"""BITFIELD arithmetic: field access across byte boundaries and the overflow policies."""
from __future__ import annotations

import pytest

from damselfly.commands.bitmaps import (SAT, WRAP, get_field, parse_bitfield_type, set_field, signed_overflow,
                                        unsigned_overflow)
from damselfly.errors import CommandError


def test_get_field_msb_first_and_zero_padded():
    data = bytes([0b10110000, 0xFF])
    assert get_field(data, 0, 4, False) == 0b1011
    assert get_field(data, 0, 4, True) == 0b1011 - 16
    assert get_field(data, 4, 8, False) == 0b00001111
    assert get_field(data, 12, 8, False) == 0b11110000  # past the end reads zeros
    assert get_field(b"", 100, 64, True) == 0


def test_set_field_roundtrip_at_every_alignment():
    for bits in (1, 3, 8, 13, 63, 64):
        for offset in range(0, 9):
            buf = bytearray(12)
            value = (1 << bits) - 2 if bits > 1 else 1
            set_field(buf, offset, bits, value)
            assert get_field(buf, offset, bits, False) == value
            assert bin(int.from_bytes(buf, "big")).count("1") == bin(value).count("1")


def test_signed_overflow():
    assert signed_overflow(100, 27, 8, WRAP) == (False, 127)
    assert signed_overflow(100, 28, 8, WRAP) == (True, -128)
    assert signed_overflow(100, 28, 8, SAT) == (True, 127)
    assert signed_overflow(-100, -29, 8, SAT) == (True, -128)
    assert signed_overflow(-100, -29, 8, WRAP) == (True, 127)
    assert signed_overflow(2**63 - 1, 1, 64, WRAP) == (True, -(2**63))
    assert signed_overflow(200, 0, 8, WRAP) == (True, -56)


def test_unsigned_overflow():
    assert unsigned_overflow(250, 5, 8, WRAP) == (False, 255)
    assert unsigned_overflow(250, 6, 8, WRAP) == (True, 0)
    assert unsigned_overflow(250, 6, 8, SAT) == (True, 255)
    assert unsigned_overflow(3, -4, 8, SAT) == (True, 0)
    assert unsigned_overflow(3, -4, 8, WRAP) == (True, 255)
    # SET casts a negative value to uint64, so it saturates high, as Redis does
    assert unsigned_overflow((-1) & (2**64 - 1), 0, 8, SAT) == (True, 255)
    assert unsigned_overflow((-1) & (2**64 - 1), 0, 8, WRAP) == (True, 255)


def test_types():
    assert parse_bitfield_type(b"i64") == (True, 64)
    assert parse_bitfield_type(b"u63") == (False, 63)
    for bad in (b"u64", b"i65", b"i0", b"I8", b"x8", b"i", b"i08", b"i-1"):
        with pytest.raises(CommandError):
            parse_bitfield_type(bad)
