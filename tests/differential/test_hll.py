"""HyperLogLog against redis-server: same replies and byte-identical values."""
from __future__ import annotations

import random

import pytest


def _both_get(pair, key):
    ours, theirs = pair.both("GET", key)
    assert ours == theirs, f"GET {key}: representations differ"


def test_pfadd_sparse_bytes_and_counts(pair):
    for cmd in (["PFADD", "h"], ["GET", "h"], ["PFADD", "h", "a", "b", "c"], ["PFADD", "h", "a"], ["GET", "h"],
                ["PFCOUNT", "h"], ["GET", "h"], ["PFCOUNT", "h"], ["PFCOUNT", "nokey"], ["PFCOUNT", "h", "nokey"],
                ["OBJECT", "ENCODING", "h"], ["TYPE", "h"]):
        pair.check(*cmd)


@pytest.mark.parametrize("n", [10, 200, 1000, 3000, 20000])
def test_many_elements(pair, n):
    rnd = random.Random(n)
    elements = [f"e{rnd.getrandbits(40)}:{i}" for i in range(n)]
    for start in range(0, n, 500):
        pair.check("PFADD", "h", *elements[start:start + 500])
        _both_get(pair, "h")
    pair.check("PFCOUNT", "h")
    _both_get(pair, "h")
    pair.check("PFADD", "g", *elements[: n // 2], "extra1", "extra2")
    pair.check("PFCOUNT", "h", "g")
    pair.check("PFMERGE", "m", "g", "h")
    _both_get(pair, "m")
    pair.check("PFCOUNT", "m")
    pair.check("PFMERGE", "g", "h")
    _both_get(pair, "g")


def test_sparse_max_bytes(pair):
    for conn in (pair.ours, pair.theirs):
        conn.command("CONFIG", "SET", "hll-sparse-max-bytes", "200")
    try:
        for i in range(0, 400, 20):
            pair.check("PFADD", "h", *[f"x{j}" for j in range(i, i + 20)])
            _both_get(pair, "h")
    finally:
        for conn in (pair.ours, pair.theirs):
            conn.command("CONFIG", "SET", "hll-sparse-max-bytes", "3000")


def test_merge_variants(pair):
    pair.check("PFADD", "a", *[f"a{i}" for i in range(50)])
    pair.check("PFADD", "b", *[f"b{i}" for i in range(5000)])
    for cmd in (["PFMERGE", "new", "a"], ["GET", "new"], ["PFMERGE", "new2", "a", "b"], ["GET", "new2"],
                ["PFMERGE", "a", "b"], ["GET", "a"], ["PFMERGE", "empty"], ["GET", "empty"],
                ["PFMERGE", "empty2", "nokey"], ["PFCOUNT", "empty2"], ["PFCOUNT", "a", "b", "nokey"],
                ["PFMERGE", "b"], ["PFCOUNT", "b"]):
        pair.check(*cmd)


def test_errors(pair):
    for cmd in (["SET", "s", "hello"], ["PFADD", "s", "x"], ["PFCOUNT", "s"], ["PFCOUNT", "s", "nokey"],
                ["PFMERGE", "s", "nokey"], ["PFMERGE", "d", "s"], ["LPUSH", "l", "x"], ["PFADD", "l", "x"],
                ["PFCOUNT", "l"], ["PFCOUNT", "nokey", "l"], ["PFMERGE", "d2", "l"], ["PFADD"], ["PFCOUNT"],
                ["SET", "n", "123"], ["PFADD", "n", "x"], ["SET", "fake", "HYLL\x00"], ["PFCOUNT", "fake"],
                ["SET", "fake2", "HYLL\x02" + "\x00" * 20], ["PFCOUNT", "fake2"],
                ["SET", "fakedense", "HYLL\x00" + "\x00" * 30], ["PFADD", "fakedense", "x"],
                ["SET", "badsparse", "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xfe"],
                ["PFCOUNT", "badsparse"], ["PFADD", "badsparse", "x"], ["PFCOUNT", "badsparse", "nokey"],
                ["EXISTS", "d", "d2"]):
        pair.check(*cmd)


def test_cached_cardinality_from_set(pair):
    pair.check("PFADD", "h", "a", "b")
    pair.check("PFCOUNT", "h")
    ours = pair.ours.command("GET", "h")
    raw = ours.split(b"\r\n", 1)[1][:-2]
    forged = raw[:8] + (12345).to_bytes(8, "little") + raw[16:]
    pair.check("SET", "forged", forged)
    pair.check("PFCOUNT", "forged")
