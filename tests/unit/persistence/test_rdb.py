"""Whole RDB images: writer -> reader round trips, damaged files, DUMP payloads."""
from __future__ import annotations

import io
import math
import random
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

from damselfly.config import Config
from damselfly.keyspace import Keyspace
from damselfly.keyspace.clock import ManualClock
from damselfly.persistence import format as F
from damselfly.persistence.crc64 import crc64
from damselfly.persistence.loader import load_image
from damselfly.persistence.rdb_reader import RdbFile, RdbLoadError, read_payload, verify_payload
from damselfly.persistence.rdb_writer import dump_payload, serialize_value, write_keyspace
from damselfly.types import Hash, List, Set
from damselfly.types.zset import ZSet

NOW = 1_700_000_000_000


def _zset(pairs: dict[bytes, float]) -> ZSet:
    """A sorted set built as ZADD builds it, with the default listpack limits (128 entries, 64 bytes)."""
    z = ZSet()
    for member, score in pairs.items():
        z.insert(member, score, 128, 64)
    return z


def _plain(value: Any) -> Any:
    """A comparable form of a stored value: ZSet has no ``==``, and ``repr`` keeps -0.0 apart from 0.0."""
    if type(value) is ZSet:
        assert value.scores == {m: s for s, m in value.order}  # both indexes agree
        return "zset", [(repr(s), m) for s, m in value.order], value.listpack
    return value


def _plain_db(data: dict) -> dict:
    return {k: _plain(v) for k, v in data.items()}


def _image(ks: Keyspace, **kw) -> bytes:
    buf = io.BytesIO()
    write_keyspace(ks, buf, now_ms=ks.clock.now_ms(), aux={b"redis-ver": b"7.0.15"}, **kw)
    return buf.getvalue()


def _fresh() -> Keyspace:
    return Keyspace(16, ManualClock(NOW))


def _sample() -> Keyspace:
    ks = _fresh()
    db = ks.dbs[0]
    db.data[b"s"] = b"hello"
    db.data[b"n"] = b"-123456"
    db.data[b"big"] = b"ab" * 500
    db.data[b"l"] = List([b"a", b"1", b"x" * 100])
    db.data[b"st"] = Set([b"1", b"2", b"300000"])
    db.data[b"sh"] = Set([b"a", b"b"])
    db.data[b"h"] = Hash({b"f": b"v", b"n": b"7"})
    db.data[b"z"] = _zset({b"lo": -math.inf, b"hi": math.inf, b"i": 3.0, b"f": 0.1, b"n": -2.5, b"e": 1e300})
    db.data[b"zs"] = _zset({b"m" * 70: 1.0, b"neg0": -0.0, b"int": -(2.0 ** 53)})  # a long member: skiplist
    db.data[b"ttl"] = b"v"
    db.set_expire(b"ttl", NOW + 5000)
    db.data[b"gone"] = b"v"
    db.set_expire(b"gone", NOW - 1)
    ks.dbs[9].data[b"nine"] = b"9"
    return ks


def test_round_trip_of_every_type_and_expiry() -> None:
    ks = _sample()
    data = _image(ks)
    assert data.startswith(b"REDIS0010")
    out = _fresh()
    stats = load_image(data, out, Config())
    assert stats.keys_loaded == 11 and stats.aux[b"redis-ver"] == b"7.0.15"
    src = dict(ks.dbs[0].data)
    del src[b"gone"]  # already expired when saved: left out
    assert _plain_db(out.dbs[0].data) == _plain_db(src)
    assert out.dbs[0].data[b"z"].listpack and not out.dbs[0].data[b"zs"].listpack
    assert repr(out.dbs[0].data[b"zs"].scores[b"neg0"]) == "-0.0"
    assert type(out.dbs[0].data[b"l"]) is List and type(out.dbs[0].data[b"h"]) is Hash
    assert out.dbs[0].expires == {b"ttl": NOW + 5000}
    assert out.dbs[9].data == {b"nine": b"9"}
    assert out.dbs[0].data[b"st"].intset and not out.dbs[0].data[b"sh"].intset
    assert out.dirty == 0


def test_keys_expired_while_on_disk_are_skipped_at_load() -> None:
    data = _image(_sample())
    later = Keyspace(16, ManualClock(NOW + 10_000))
    stats = load_image(data, later, Config())
    assert stats.keys_expired == 1 and b"ttl" not in later.dbs[0].data


def test_checksum_trailer_and_rdbchecksum_no() -> None:
    ks = _sample()
    data = _image(ks)
    assert int.from_bytes(data[-8:], "little") == crc64(0, data[:-8])
    unchecked = _image(ks, checksum=False)
    assert unchecked[-8:] == b"\0" * 8
    rdb = RdbFile(unchecked)
    list(rdb.records())
    assert rdb.checksum_skipped


def test_every_truncation_is_an_error_with_an_offset() -> None:
    data = _image(_sample())
    for cut in range(0, len(data) - 1):
        with pytest.raises(RdbLoadError) as info:
            list(RdbFile(data[:cut]).records())
        assert 0 <= info.value.offset <= cut


def test_bit_flips_are_refused() -> None:
    data = bytearray(_image(_sample()))
    rng = random.Random(7)
    for _ in range(200):
        pos = rng.randrange(9, len(data))
        flipped = bytearray(data)
        flipped[pos] ^= 1 << rng.randrange(8)
        with pytest.raises(RdbLoadError):
            load_image(bytes(flipped), _fresh(), Config())


def test_a_flip_loads_when_checksums_are_off_only_if_still_decodable() -> None:
    data = bytearray(_image(_sample()))
    at = data.index(b"hello")
    data[at] = ord("j")
    with pytest.raises(RdbLoadError, match="checksum"):
        load_image(bytes(data), _fresh(), Config())
    out = _fresh()
    load_image(bytes(data), out, Config(), verify_checksum=False)
    assert out.dbs[0].data[b"s"] == b"jello"


@pytest.mark.parametrize("header, message", [
    (b"RUBIS0010", "signature"), (b"REDIS0011", "version 11"), (b"REDIS00x1", "signature"),
])
def test_bad_headers(header: bytes, message: str) -> None:
    with pytest.raises(RdbLoadError, match=message):
        RdbFile(header + b"\xff" + b"\0" * 8)


def test_duplicate_keys_and_too_many_databases_are_refused() -> None:
    body = b"REDIS0010\xfe\x00\x00\x01k\x01v\x00\x01k\x01w\xff"
    with pytest.raises(RdbLoadError, match="duplicated key 'k'"):
        load_image(body + crc64(0, body).to_bytes(8, "little"), _fresh(), Config())
    body = b"REDIS0010\xfe\x20\x00\x01k\x01v\xff"
    with pytest.raises(RdbLoadError, match="databases"):
        load_image(body + crc64(0, body).to_bytes(8, "little"), _fresh(), Config())


@pytest.mark.parametrize("record, message", [
    (b"\x0f\x01k", "stream"), (b"\x07\x01k", "module"), (b"\xf5", "FUNCTION2"), (b"\xf7", "MODULE_AUX"),
    (b"\x08\x01k", "unknown value type 8"),
])
def test_unsupported_records_are_refused_clearly(record: bytes, message: str) -> None:
    body = b"REDIS0010\xfe\x00" + record + b"\x00" * 20
    with pytest.raises(RdbLoadError, match=message) as info:
        list(RdbFile(body).records())
    assert info.value.offset == 11


def test_old_formats_expiry_in_seconds_and_empty_keys() -> None:
    # RDB 3 (no checksum): EXPIRETIME in seconds, a plain ZSET-less list, an empty set skipped.
    body = (b"REDIS0003\xfe\x00" + b"\xfd" + (NOW // 1000 + 60).to_bytes(4, "little")
            + b"\x00\x01k\x01v" + b"\x02\x01e\x00" + b"\x01\x01l\x02\x01a\xc0\x05" + b"\xff")
    out = _fresh()
    stats = load_image(body, out, Config())
    assert out.dbs[0].data == {b"k": b"v", b"l": List([b"a", b"5"])}
    assert out.dbs[0].expires[b"k"] == NOW + 60_000
    assert stats.empty_keys_skipped == 1


keys = st.binary(min_size=0, max_size=24)
# Sorted-set scores: integers (exact up to 2^53), any other double but NaN (infinities,
# -0.0, subnormals included), and the infinities often.
scores = st.one_of(st.integers(-(2**53), 2**53).map(float), st.floats(allow_nan=False),
                   st.sampled_from([math.inf, -math.inf, -0.0, 0.5]))
strings = st.one_of(st.binary(max_size=60), st.integers(-(2**63), 2**63 - 1).map(lambda i: b"%d" % i),
                    st.binary(min_size=60, max_size=300).map(lambda b: b[:8] * 20))
values = st.one_of(
    strings,
    st.lists(strings, min_size=1, max_size=8).map(List),
    st.sets(strings, min_size=1, max_size=8).map(Set),
    st.dictionaries(strings, strings, min_size=1, max_size=8).map(Hash),
    st.dictionaries(strings, scores, min_size=1, max_size=8).map(_zset),
)
keyspaces = st.dictionaries(st.tuples(st.integers(0, 15), keys),
                            st.tuples(values, st.one_of(st.none(), st.integers(1, 10**9))), max_size=25)


@settings(max_examples=80, deadline=None)
@given(keyspaces, st.booleans())
def test_generated_keyspaces_round_trip(spec: dict, compress: bool) -> None:
    ks = _fresh()
    for (dbi, key), (value, ttl) in spec.items():
        ks.dbs[dbi].data[key] = value
        if ttl is not None:
            ks.dbs[dbi].set_expire(key, NOW + ttl)
    out = _fresh()
    load_image(_image(ks, compress=compress), out, Config())
    for a, b in zip(ks.dbs, out.dbs):
        assert _plain_db(a.data) == _plain_db(b.data)
        assert a.expires == b.expires


@settings(max_examples=80, deadline=None)
@given(values)
def test_dump_payload_round_trip(value) -> None:
    payload = dump_payload(value)
    assert verify_payload(payload)
    kind, neutral = read_payload(payload)
    rtype, _ = serialize_value(value)
    assert payload[0] == rtype
    if kind == "string":
        assert neutral == value
    elif kind == "set":
        assert set(neutral) == set(value)
    elif kind == "hash":
        assert dict(neutral) == dict(value)
    elif kind == "zset":
        assert sorted((s, m) for m, s in neutral) == list(value.order)
        assert {m: repr(s) for m, s in neutral} == {m: repr(s) for m, s in value.scores.items()}
    else:
        assert neutral == list(value)


def test_dump_payload_layout_matches_redis() -> None:
    # Redis 7.0.15: DUMP of "v" is \x00\x01v, version 10 (LE), then the CRC-64.
    assert dump_payload(b"v") == b"\x00\x01v\n\x00\x91\x08\xce\xb2\x198\x8a\xce"


def test_payload_verification() -> None:
    payload = dump_payload(b"hello")
    assert not verify_payload(payload[:-1] + bytes((payload[-1] ^ 1,)))
    assert not verify_payload(b"short")
    newer = payload[:-10] + (F.RDB_VERSION + 1).to_bytes(2, "little")
    assert not verify_payload(newer + crc64(0, newer).to_bytes(8, "little"))
    empty_set = b"\x02\x00\n\x00"
    with pytest.raises(RdbLoadError):
        read_payload(empty_set + crc64(0, empty_set).to_bytes(8, "little"))
