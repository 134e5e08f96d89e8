"""CRC-64, LZF and the RDB length/string encodings, byte for byte."""
from __future__ import annotations

import os

import pytest
from hypothesis import given, settings, strategies as st

from damselfly.persistence import crc64 as crc_mod
from damselfly.persistence import format as F
from damselfly.persistence import lzf
from damselfly.persistence.crc64 import crc64, crc64_slow
from damselfly.persistence.rdb_reader import Cursor


def test_crc64_check_value_of_redis_crc64_c() -> None:
    assert crc64(0, b"123456789") == 0xE9C6D914C4B8D9CA
    assert crc64(0, b"") == 0


def test_crc64_fast_path_equals_byte_loop() -> None:
    data = os.urandom(200_003)  # above the vectorised threshold, with a ragged tail
    assert crc64(0, data) == crc64_slow(0, data)
    assert crc64(123456789, data) == crc64_slow(123456789, data)


def test_crc64_is_incremental() -> None:
    data = os.urandom(150_000)
    assert crc64(crc64(0, data[:70_001]), data[70_001:]) == crc64(0, data)


def test_crc64_without_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    data = os.urandom(70_000)
    expected = crc64(0, data)
    monkeypatch.setattr(crc_mod, "_np", None)
    assert crc_mod.crc64(0, data) == expected


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=3000) | st.text(alphabet="ab ", max_size=3000).map(str.encode))
def test_lzf_round_trip(data: bytes) -> None:
    packed = lzf.compress(data)
    assert packed is not None
    assert lzf.decompress(packed, len(data)) == data
    fallback = lzf._compress(data)  # the pure-Python pair, used where python-lzf is missing
    assert fallback is not None
    assert lzf._decompress(fallback, len(data)) == data
    assert lzf.decompress(fallback, len(data)) == data and lzf._decompress(packed, len(data)) == data


@pytest.mark.parametrize("stream, length", [
    (b"\x05ab", 6), (b"\x00a\xe0", 10), (b"\x00a\x20", 10), (b"\x20\x00", 3), (b"\x01ab", 5),
])
def test_lzf_fallback_rejects_corrupt_streams(stream: bytes, length: int) -> None:
    with pytest.raises(lzf.LZFError):
        lzf._decompress(stream, length)


def test_lzf_compresses_repetition_and_respects_the_limit() -> None:
    data = b"abcdefgh" * 100
    packed = lzf.compress(data, len(data) - 4)
    assert packed is not None and len(packed) < 40
    assert lzf.compress(os.urandom(100), 96) is None


def test_lzf_long_matches_use_the_extra_length_byte() -> None:
    data = b"x" * 5000
    assert lzf.decompress(lzf.compress(data), 5000) == data


@pytest.mark.parametrize("stream, length", [
    (b"\x05ab", 6),            # literal run past the end
    (b"\x00a\xe0", 10),        # truncated match length
    (b"\x00a\x20", 10),        # truncated match offset
    (b"\x20\x00", 3),          # back reference before the start
    (b"\x01ab", 5),            # wrong final length
])
def test_lzf_rejects_corrupt_streams(stream: bytes, length: int) -> None:
    with pytest.raises(lzf.LZFError):
        lzf.decompress(stream, length)


@pytest.mark.parametrize("n, encoded", [
    (0, b"\x00"), (63, b"\x3f"), (64, b"\x40\x40"), (16383, b"\x7f\xff"),
    (16384, b"\x80\x00\x00\x40\x00"), (2**32 - 1, b"\x80\xff\xff\xff\xff"),
    (2**32, b"\x81\x00\x00\x00\x01\x00\x00\x00\x00"),
])
def test_lengths(n: int, encoded: bytes) -> None:
    assert F.encode_length(n) == encoded
    assert Cursor(encoded).length() == n


@pytest.mark.parametrize("text, encoded", [
    (b"0", b"\xc0\x00"), (b"-1", b"\xc0\xff"), (b"127", b"\xc0\x7f"), (b"128", b"\xc1\x80\x00"),
    (b"-32768", b"\xc1\x00\x80"), (b"32768", b"\xc2\x00\x80\x00\x00"),
    (b"2147483647", b"\xc2\xff\xff\xff\x7f"),
    (b"2147483648", b"\x0a2147483648"),      # beyond int32: plain
    (b"007", b"\x03007"), (b"-0", b"\x02-0"), (b"+1", b"\x02+1"), (b"", b"\x00"),
    (b"hello", b"\x05hello"),
])
def test_string_encodings_match_redis(text: bytes, encoded: bytes) -> None:
    assert F.encode_string(text) == encoded
    assert Cursor(encoded).string() == text


def test_long_strings_are_lzf_compressed_only_when_it_pays() -> None:
    data = b"abc" * 30
    enc = F.encode_string(data)
    assert enc[0] == 0xC3 and len(enc) < len(data)
    assert Cursor(enc).string() == data
    assert F.encode_string(data, compress=False) == b"\x40\x5a" + data
    noise = os.urandom(80)
    assert F.encode_string(noise) == b"\x40\x50" + noise
    short = b"aaaaaaaaaaaaaaaaaaaa"  # 20 bytes: never compressed
    assert F.encode_string(short) == b"\x14" + short


@given(st.binary(max_size=400))
@settings(max_examples=200, deadline=None)
def test_any_string_round_trips(data: bytes) -> None:
    assert Cursor(F.encode_string(data)).string() == data
