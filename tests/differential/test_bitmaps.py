"""Bitmap commands against redis-server: identical raw replies, errors included."""
from __future__ import annotations

import random

import pytest


def test_setbit_getbit(pair):
    for cmd in (["SETBIT", "b", "7", "1"], ["SETBIT", "b", "7", "1"], ["SETBIT", "b", "7", "0"], ["GET", "b"],
                ["SETBIT", "b", "100", "1"], ["GET", "b"], ["STRLEN", "b"], ["GETBIT", "b", "100"],
                ["GETBIT", "b", "99"], ["GETBIT", "b", "100000"], ["GETBIT", "nokey", "3"],
                ["SETBIT", "b", "x", "1"], ["SETBIT", "b", "-1", "1"], ["SETBIT", "b", "1", "2"],
                ["SETBIT", "b", "1", "-1"], ["SETBIT", "b", "1", "x"], ["SETBIT", "b", "4294967296", "1"],
                ["SETBIT", "b", "+1", "1"], ["SETBIT", "b", "01", "1"], ["GETBIT", "b", "x"],
                ["GETBIT", "b", "-1"], ["GETBIT", "b", "4294967296"], ["SETBIT", "new", "0", "0"], ["GET", "new"],
                ["OBJECT", "ENCODING", "b"], ["OBJECT", "ENCODING", "new"], ["SET", "n", "12"],
                ["GETBIT", "n", "2"], ["SETBIT", "n", "7", "0"], ["GET", "n"], ["OBJECT", "ENCODING", "n"],
                ["LPUSH", "l", "x"], ["SETBIT", "l", "1", "1"], ["GETBIT", "l", "1"]):
        pair.check(*cmd)


def test_setbit_keeps_ttl(pair):
    pair.check("SET", "b", "abc", "EX", "100")
    pair.check("SETBIT", "b", "3", "1")
    ours, theirs = pair.both("TTL", "b")
    assert ours == theirs == b":100\r\n"


def test_bitcount(pair):
    pair.check("SET", "s", "foobar\x00\xff\x81")
    for args in ([], ["0", "-1"], ["1", "1"], ["-2", "-1"], ["5", "30"], ["-100", "100"], ["-1", "-2"], ["3", "1"],
                 ["0", "0", "BIT"], ["1", "5", "bit"], ["5", "1", "BIT"], ["-5", "-1", "BIT"], ["0", "100", "BIT"],
                 ["7", "9", "BIT"], ["0", "-1", "BYTE"], ["0", "1", "FOO"], ["0"], ["0", "1", "BIT", "x"],
                 ["x", "1"], ["0", "x"], ["-3", "-5", "BIT"], ["8", "15", "BIT"], ["9", "9", "BIT"]):
        pair.check("BITCOUNT", "s", *args)
        pair.check("BITCOUNT", "nokey", *args)
    pair.check("SET", "empty", "")
    pair.check("BITCOUNT", "empty")
    pair.check("BITCOUNT", "empty", "0", "-1", "BIT")
    pair.check("HSET", "h", "f", "v")
    pair.check("BITCOUNT", "h")


def test_bitpos(pair):
    pair.check("SET", "s", "\x00\xff\xf0\x00\x0f")
    pair.check("SET", "ones", "\xff\xff\xff")
    pair.check("SET", "zeros", "\x00\x00")
    for key in ("s", "ones", "zeros", "nokey"):
        for bit in ("0", "1"):
            for args in ([], ["0"], ["1"], ["-1"], ["2", "3"], ["0", "-1"], ["3", "1"], ["100"], ["0", "0", "BIT"],
                         ["3", "20", "BIT"], ["9", "10", "bit"], ["-5", "-1", "BIT"], ["4", "4", "BIT"],
                         ["0", "100", "BIT"], ["1", "2", "BYTE"], ["12", "23", "BIT"], ["5", "6", "BIT"]):
                pair.check("BITPOS", key, bit, *args)
    for cmd in (["BITPOS", "s", "2"], ["BITPOS", "s", "x"], ["BITPOS", "s", "1", "x"], ["BITPOS", "s", "1", "0", "x"],
                ["BITPOS", "s", "1", "0", "1", "FOO"], ["BITPOS", "s", "1", "0", "1", "BIT", "x"],
                ["BITPOS", "nokey", "1", "x"], ["BITPOS", "nokey", "3"]):
        pair.check(*cmd)


def test_bitop(pair):
    pair.check("SET", "a", "\x01\x02\xff")
    pair.check("SET", "b", "\xf0")
    pair.check("SET", "c", "")
    for op in ("AND", "OR", "XOR", "and"):
        for keys in (["a"], ["a", "b"], ["a", "b", "nokey"], ["b", "a", "c"], ["nokey"], ["c"]):
            pair.check("BITOP", op, "dst", *keys)
            pair.check("GET", "dst")
            pair.check("EXISTS", "dst")
    for cmd in (["BITOP", "NOT", "dst", "a"], ["GET", "dst"], ["BITOP", "NOT", "dst", "nokey"], ["EXISTS", "dst"],
                ["BITOP", "NOT", "dst", "a", "b"], ["BITOP", "FOO", "dst", "a"], ["BITOP", "AND", "dst"],
                ["HSET", "h", "f", "v"], ["BITOP", "AND", "dst", "a", "h"], ["BITOP", "AND", "h", "a"], ["TYPE", "h"],
                ["OBJECT", "ENCODING", "h"]):
        pair.check(*cmd)


BITFIELD_CASES = [
    ["GET", "i8", "0"], ["GET", "u8", "0"], ["GET", "i64", "3"], ["GET", "u63", "5"], ["GET", "i1", "0"],
    ["SET", "i8", "0", "-100"], ["GET", "u8", "0"], ["SET", "u4", "#1", "15"], ["GET", "u16", "0"],
    ["INCRBY", "i5", "100", "1"], ["INCRBY", "i5", "100", "100"], ["OVERFLOW", "SAT", "INCRBY", "i5", "100", "100"],
    ["OVERFLOW", "SAT", "INCRBY", "i5", "100", "-1000"], ["OVERFLOW", "FAIL", "INCRBY", "i5", "100", "100"],
    ["OVERFLOW", "WRAP", "INCRBY", "u2", "102", "1", "INCRBY", "u2", "102", "1", "INCRBY", "u2", "102", "1"],
    ["OVERFLOW", "SAT", "INCRBY", "u2", "102", "-10"], ["OVERFLOW", "FAIL", "INCRBY", "u2", "102", "-10"],
    ["SET", "i64", "0", "-9223372036854775808"], ["INCRBY", "i64", "0", "-1"], ["GET", "i64", "0"],
    ["OVERFLOW", "SAT", "INCRBY", "i64", "0", "-9223372036854775808"],
    ["SET", "u63", "0", "-1"], ["OVERFLOW", "SAT", "SET", "u8", "0", "-1"], ["OVERFLOW", "FAIL", "SET", "u8", "0", "256"],
    ["OVERFLOW", "SAT", "SET", "i8", "0", "200"], ["SET", "i8", "0", "200"], ["GET", "i8", "0"],
    ["SET", "u8", "#3", "1", "GET", "u8", "#3", "INCRBY", "u8", "#3", "255"],
    ["GET", "i8", "1000"], ["SET", "i3", "1001", "3", "GET", "u32", "998"],
    ["GET", "I8", "0"], ["GET", "i65", "0"], ["GET", "u64", "0"], ["GET", "i0", "0"], ["GET", "u", "0"],
    ["GET", "i8", "x"], ["GET", "i8", "-1"], ["GET", "i8", "#"], ["GET", "i8", "#-1"], ["GET", "i8", "4294967296"],
    ["GET", "i8", "#536870912"], ["SET", "i8", "0", "x"], ["OVERFLOW", "foo"], ["FOO"], ["GET", "i8"],
    ["SET", "i8", "0"], ["INCRBY", "i8", "0"], ["OVERFLOW"], [],
]


def test_bitfield(pair):
    pair.check("SET", "k", "\x85\x10abc")
    for args in BITFIELD_CASES:
        pair.check("BITFIELD", "k", *args)
        pair.check("GET", "k")
    for args in BITFIELD_CASES[:6]:
        pair.check("BITFIELD", "nokey", *args)
        pair.check("BITFIELD_RO", "k", *args)
        pair.check("BITFIELD_RO", "nokey2", *args)
    for cmd in (["EXISTS", "nokey2"], ["BITFIELD", "nokey3"], ["EXISTS", "nokey3"],
                ["BITFIELD_RO", "nokey3", "GET", "i8", "x"], ["BITFIELD_RO", "k", "INCRBY", "i8", "0", "1"],
                ["BITFIELD", "fail", "OVERFLOW", "FAIL", "SET", "u8", "80", "999"], ["GET", "fail"],
                ["OBJECT", "ENCODING", "k"], ["HSET", "h", "f", "v"], ["BITFIELD", "h", "GET", "i8", "0"],
                ["BITFIELD_RO", "h", "GET", "i8", "0"], ["BITFIELD", "h", "GET", "i8", "x"]):
        pair.check(*cmd)


@pytest.mark.parametrize("seed", range(3))
def test_bitfield_random(pair, seed):
    rnd = random.Random(seed)
    for _ in range(300):
        signed = rnd.random() < 0.5
        bits = rnd.randint(1, 64 if signed else 63)
        kind = rnd.choice(["GET", "SET", "INCRBY"])
        args = ["OVERFLOW", rnd.choice(["WRAP", "SAT", "FAIL"]), kind, ("i" if signed else "u") + str(bits),
                str(rnd.randint(0, 200))]
        if kind != "GET":
            args.append(str(rnd.choice([rnd.randint(-2**63, 2**63 - 1), rnd.randint(-300, 300)])))
        pair.check("BITFIELD", "r", *args)
    pair.check("GET", "r")
