"""The writer's compact RDB types: chosen from the value's encoding, built as Redis 7.0.15 builds them."""
from __future__ import annotations

from damselfly.persistence import format as F
from damselfly.persistence import intset, listpack
from damselfly.persistence.rdb_reader import Cursor, read_value
from damselfly.persistence.rdb_writer import quicklist_nodes, serialize_value
from damselfly.types.zset import d2string as score_text
from damselfly.types import Hash, List, Set
from damselfly.types.zset import ZSet


def _zset(pairs: dict[bytes, float], listpack_: bool) -> ZSet:
    z = ZSet(listpack=listpack_)
    for member, score in pairs.items():
        z.insert(member, score, 128, 64)
    return z


def test_score_text_follows_double2ll_then_17_digits() -> None:
    assert score_text(1.0) == b"1"
    assert score_text(-3.0) == b"-3"
    assert score_text(0.0) == b"0"
    assert score_text(2.5) == b"2.5"
    assert score_text(0.1) == b"0.10000000000000001"
    assert score_text(float(2**62)) == b"4611686018427387904"
    assert score_text(5e18) == b"5e+18"  # beyond LLONG_MAX/2: text, not an integer
    assert score_text(float("inf")) == b"inf"
    assert score_text(float("-inf")) == b"-inf"


def test_types_follow_object_encoding() -> None:
    small = Hash({b"f": b"v"})
    big = Hash({b"f": b"v" * 100}, 128, 64)
    assert serialize_value(small)[0] == F.TYPE_HASH_LISTPACK
    assert serialize_value(big)[0] == F.TYPE_HASH
    assert serialize_value(Set([b"1", b"-2"]))[0] == F.TYPE_SET_INTSET
    assert serialize_value(Set([b"1", b"a"]))[0] == F.TYPE_SET
    assert serialize_value(_zset({b"a": 1.0}, True))[0] == F.TYPE_ZSET_LISTPACK
    assert serialize_value(_zset({b"a": 1.0}, False))[0] == F.TYPE_ZSET_2
    assert serialize_value(List([b"a"]))[0] == F.TYPE_LIST_QUICKLIST_2


def test_compact_bodies_are_the_blobs() -> None:
    rtype, body = serialize_value(Hash({b"a": b"1", b"b": b"x"}), compress=False)
    assert body == F.encode_string(listpack.encode([b"a", b"1", b"b", b"x"]), False)
    rtype, body = serialize_value(Set([b"70000", b"1"]), compress=False)
    assert body == F.encode_string(intset.encode([1, 70000]), False)
    rtype, body = serialize_value(_zset({b"b": 2.5, b"a": 1.0}, True), compress=False)
    assert body == F.encode_string(listpack.encode([b"a", b"1", b"b", b"2.5"]), False)


def test_round_trip_through_the_reader() -> None:
    items = [b"%d" % i for i in range(3000)] + [b"y" * 5000, b"z"]
    for value, kind, expected in (
        (List(items), "list", items),
        (Set([b"5", b"-7", b"1099511627776"]), "set", None),
        (Hash({b"f": b"1", b"g": b"text"}), "hash", [(b"f", b"1"), (b"g", b"text")]),
        (_zset({b"a": 0.5, b"b": -2.0}, True), "zset", [(b"b", -2.0), (b"a", 0.5)]),
    ):
        rtype, body = serialize_value(value)
        got_kind, payload = read_value(Cursor(body), rtype)
        assert got_kind == kind
        if expected is None:
            assert sorted(payload) == sorted(value)
        else:
            assert list(payload) == expected


def test_quicklist_node_limits() -> None:
    # fill > 0: a count per node
    nodes = quicklist_nodes([b"a"] * 5, fill=2)
    assert [len(listpack.decode(b)) for _, b in nodes] == [2, 2, 1]
    assert {c for c, _ in nodes} == {F.QUICKLIST_NODE_PACKED}
    # fill -1: 4096 bytes; an element joins while node bytes + its length + 8 stay within
    nodes = quicklist_nodes([b"x" * 100] * 100, fill=-1)
    sizes = [len(b) for _, b in nodes]
    assert all(s <= 4096 for s in sizes)
    first = len(listpack.decode(nodes[0][1]))
    assert sizes[0] + 100 + 8 > 4096 and sizes[0] - 102 + 100 + 8 <= 4096, (first, sizes)
    # an element bigger than the limit still sits in a packed node of its own
    nodes = quicklist_nodes([b"a", b"b" * 10000, b"c"], fill=-2)
    assert [listpack.decode(b) for _, b in nodes] == [[b"a"], [b"b" * 10000], [b"c"]]
