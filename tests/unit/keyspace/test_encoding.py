"""TYPE / OBJECT ENCODING registry and Redis's string encoding rules."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from damselfly.keyspace import Keyspace
from damselfly.keyspace.clock import ManualClock
from damselfly.keyspace.encoding import (copy_value, created_encoding, encoding_of, force_encoding, is_int_text,
                                         key_encoding, mark_raw, register_type, string_encoding, type_name_of)


@pytest.mark.parametrize("text, expected", [
    (b"0", True), (b"1", True), (b"-1", True), (b"9223372036854775807", True),
    (b"-9223372036854775808", True), (b"9223372036854775808", False), (b"-9223372036854775809", False),
    (b"", False), (b"-", False), (b"-0", False), (b"01", False), (b"+1", False), (b" 1", False),
    (b"1 ", False), (b"1.0", False), (b"1e3", False), (b"\xd9\xa1", False), (b"00", False),
])
def test_is_int_text(text, expected):
    assert is_int_text(text) is expected


@given(st.integers(min_value=-(2**63), max_value=2**63 - 1))
def test_every_int64_text_is_int_encoded(n):
    assert string_encoding(b"%d" % n) == "int"


@pytest.mark.parametrize("value, expected", [
    (b"hello", "embstr"), (b"", "embstr"), (b"x" * 44, "embstr"), (b"x" * 45, "raw"),
    (b"123", "int"), (b"12345678901234567890", "embstr"), (b"007", "embstr"),
])
def test_string_encoding(value, expected):
    assert string_encoding(value) == expected
    assert encoding_of(value) == expected
    assert type_name_of(value) == "string"


def test_created_strings_are_never_int():
    assert created_encoding(b"3") == "embstr"
    assert created_encoding(b"3" * 45) == "raw"


def _db():
    return Keyspace(1, ManualClock()).dbs[0]


def test_forced_encoding_follows_the_exact_value_object():
    db = _db()
    value = b"abc" + b"d"
    db.set(b"k", value)
    mark_raw(db, b"k", value)
    assert key_encoding(db, b"k", value) == "raw"
    replacement = b"abc" + b"e"
    db.data[b"k"] = replacement  # a write that bypasses Database.set: the record goes stale
    assert key_encoding(db, b"k", replacement) == "embstr"


@pytest.mark.parametrize("clear", ["set", "delete", "flush", "expire"])
def test_forced_encoding_is_dropped_with_the_value(clear):
    db = _db()
    value = b"12"
    db.set(b"k", value)
    force_encoding(db, b"k", value, "raw")
    assert db.str_encodings
    if clear == "set":
        db.set(b"k", b"new")
    elif clear == "delete":
        db.delete(b"k")
    elif clear == "flush":
        db.flush()
    else:
        db.set_expire(b"k", db.keyspace.clock.now_ms() - 1)
        assert db.lookup(b"k") is None
    assert not db.str_encodings


def test_forcing_the_natural_encoding_records_nothing():
    db = _db()
    db.set(b"k", b"abc")
    force_encoding(db, b"k", db.data[b"k"], "embstr")
    assert not db.str_encodings


def test_swapdb_moves_the_records():
    ks = Keyspace(2, ManualClock())
    value = b"xyz"
    ks.dbs[0].set(b"k", value)
    mark_raw(ks.dbs[0], b"k", value)
    ks.swap(0, 1)
    assert key_encoding(ks.dbs[1], b"k", value) == "raw"
    assert not ks.dbs[0].str_encodings


class Thing:
    def __init__(self, items):
        self.items = list(items)


def test_registered_types():
    register_type(Thing, "thing", lambda v: "small" if len(v.items) < 3 else "big")
    assert type_name_of(Thing([1])) == "thing"
    assert encoding_of(Thing([1, 2, 3])) == "big"
    original = Thing([[1], [2]])
    duplicate = copy_value(original)
    assert duplicate.items == original.items and duplicate.items[0] is not original.items[0]


def test_registered_copy_function_is_used():
    class Other:
        pass

    marker = Other()
    register_type(Other, "other", lambda v: "x", lambda v: marker)
    assert copy_value(Other()) is marker


def test_unregistered_type_is_a_programming_error():
    class Unknown:
        pass

    with pytest.raises(LookupError, match="register_type"):
        type_name_of(Unknown())


def test_strings_copy_as_themselves():
    value = b"immutable"
    assert copy_value(value) is value
