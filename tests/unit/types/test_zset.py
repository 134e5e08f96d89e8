"""ZSet: both indexes agree, Redis's ordering, ranges, and the listpack/skiplist rules."""
from __future__ import annotations

import math
import random

from damselfly.types.zset import ZSet


def make(pairs, listpack=True, entries=128, value=64):
    zs = ZSet(listpack)
    for member, score in pairs:
        zs.insert(member, score, entries, value)
    return zs


def test_order_is_score_then_member_bytes():
    zs = make([(b"b", 1.0), (b"a", 1.0), (b"\xff", 0.5), (b"c", -math.inf), (b"", 1.0)])
    assert [m for _, m in zs.order] == [b"c", b"\xff", b"", b"a", b"b"]
    assert zs.rank(b"a") == 3
    assert zs.rank(b"zz") is None


def test_update_and_discard_keep_indexes_in_step():
    zs = make([(b"a", 1.0), (b"b", 2.0)])
    zs.update(b"a", 1.0, 3.0)
    assert list(zs.order) == [(2.0, b"b"), (3.0, b"a")]
    assert zs.scores == {b"a": 3.0, b"b": 2.0}
    assert zs.discard(b"b") and not zs.discard(b"b")
    assert list(zs.order) == [(3.0, b"a")] and len(zs) == 1 and b"a" in zs


def test_score_spans_inclusive_and_exclusive():
    zs = make([(b"a", 1.0), (b"b", 2.0), (b"c", 2.0), (b"d", 3.0), (b"e", math.inf)])
    assert zs.score_span(2.0, False, 2.0, False) == (1, 3)
    assert zs.score_span(2.0, True, 3.0, False) == (3, 4)
    assert zs.score_span(1.0, False, 3.0, True) == (0, 3)
    assert zs.score_span(-math.inf, False, math.inf, False) == (0, 5)
    assert zs.score_span(math.inf, True, math.inf, False) == (5, 5)
    start, stop = zs.score_span(3.0, False, 1.0, False)
    assert start >= stop


def test_delete_range_returns_removed():
    zs = make([(b"a", 1.0), (b"b", 2.0), (b"c", 3.0)])
    assert zs.delete_range(0, 2) == [(1.0, b"a"), (2.0, b"b")]
    assert zs.scores == {b"c": 3.0}


def test_listpack_to_skiplist_on_entries_and_value_length():
    zs = make([(b"m%d" % i, float(i)) for i in range(3)], entries=3)
    assert zs.listpack
    zs.insert(b"x", 9.0, 3, 64)
    assert not zs.listpack
    zs.delete_range(0, 3)
    assert not zs.listpack  # never converts back on removal
    long = make([(b"a", 1.0)])
    long.insert(b"x" * 65, 1.0, 128, 64)
    assert not long.listpack
    assert not make([(b"a", 1.0)], entries=0).listpack


def test_listpack_drops_the_sign_of_zero():
    zs = make([(b"a", -0.0)])
    assert math.copysign(1, zs.scores[b"a"]) == 1
    zs.update(b"a", 0.0, -0.0)
    assert math.copysign(1, zs.scores[b"a"]) == 1
    sk = make([(b"x" * 70, -0.0)])
    assert not sk.listpack and math.copysign(1, sk.scores[b"x" * 70]) == -1


def test_fit_listpack_converts_small_results_only():
    zs = make([(b"a", -0.0), (b"b", 1.0)], listpack=False)
    zs.fit_listpack(128, 64)
    assert zs.listpack and math.copysign(1, zs.scores[b"a"]) == 1
    assert list(zs.order) == [(0.0, b"a"), (1.0, b"b")]
    big = make([(b"m%d" % i, 1.0) for i in range(5)], listpack=False)
    big.fit_listpack(4, 64)
    assert not big.listpack
    wide = make([(b"y" * 70, 1.0)], listpack=False)
    wide.fit_listpack(128, 64)
    assert not wide.listpack


def test_copy_is_independent():
    zs = make([(b"a", 1.0)])
    other = zs.copy()
    other.insert(b"b", 2.0, 128, 64)
    assert len(zs) == 1 and len(other) == 2 and other.listpack == zs.listpack


def test_random_operations_match_a_model():
    rnd = random.Random(7)
    zs = ZSet()
    model: dict[bytes, float] = {}
    for _ in range(3000):
        member = b"m%d" % rnd.randrange(60)
        score = float(rnd.randrange(-5, 5))
        op = rnd.random()
        if op < 0.5:
            if member in model:
                zs.update(member, model[member], score)
            else:
                zs.insert(member, score, 10**9, 10**9)
            model[member] = score
        elif op < 0.8:
            assert zs.discard(member) == (member in model)
            model.pop(member, None)
        else:
            expected = sorted((s, m) for m, s in model.items())
            assert list(zs.order) == expected
            if member in model:
                assert zs.rank(member) == expected.index((model[member], member))
    assert zs.scores == model
