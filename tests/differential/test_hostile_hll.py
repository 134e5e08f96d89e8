"""Corrupted HyperLogLog strings: byte flips, truncations, junk tails, header damage.

A client can SET any bytes that start with ``HYLL``, so every PF command
must treat the string as hostile input. Valid sparse and dense HLLs are
mutated (hypothesis, bounded examples), stored with SET on both servers, and
the read paths (PFCOUNT of one key and of several, PFMERGE then PFCOUNT) and
PFADD's reply must match redis-server byte for byte.

Not compared: the bytes PFADD leaves in a *corrupted* sparse string. Redis
edits the sparse opcodes in place and can leave a partly rewritten corrupt
string behind; damselfly rebuilds the opcode list and writes it back
normalized. Both still refuse the result with the same INVALIDOBJ error.
"""
from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from .conftest import Pair

EXAMPLES = int(os.environ.get("DAMSELFLY_FUZZ_EXAMPLES", "100"))

pytestmark = [pytest.mark.differential, pytest.mark.timeout(300 + EXAMPLES // 5)]


def _bulk(frame: bytes) -> bytes:
    head = frame.index(b"\r\n")
    return frame[head + 2:head + 2 + int(frame[1:head])]


@pytest.fixture
def hlls(pair: Pair) -> dict[str, bytes]:
    """A sparse and a dense HLL, built on redis-server and copied to both."""
    pair.check("PFADD", "sparse", *[str(i) for i in range(50)])
    pair.check("PFADD", "dense", *[str(i) for i in range(3000)])
    return {k: _bulk(pair.theirs.command("GET", k)) for k in ("sparse", "dense")}


@st.composite
def mutation(draw: st.DrawFn) -> tuple[str, list[tuple[str, int, int]]]:
    base = draw(st.sampled_from(["sparse", "dense"]))
    steps = draw(st.lists(st.tuples(st.sampled_from(["flip", "truncate", "header", "tail", "opcode"]),
                                    st.integers(min_value=0, max_value=20000),
                                    st.integers(min_value=1, max_value=255)), min_size=1, max_size=4))
    return base, steps


def apply(value: bytes, steps: list[tuple[str, int, int]]) -> bytes:
    v = bytearray(value)
    for kind, at, byte in steps:
        if kind == "flip" and len(v) > 16:
            v[16 + at % (len(v) - 16)] ^= byte
        elif kind == "truncate":
            del v[max(at % (len(v) + 1), 4):]
        elif kind == "header" and len(v) >= 16:
            v[4 + at % 12] = byte
        elif kind == "tail":
            v += bytes([byte]) * (1 + at % 7)
        elif kind == "opcode" and len(v) > 16:  # an XZERO or VAL opcode written over the body
            i = 16 + at % (len(v) - 16)
            v[i:i + 2] = bytes([0x40 | byte & 0x3F, byte]) if byte & 1 else bytes([0x80 | byte])
    return bytes(v)


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(mutation())
def test_corrupted_hll_strings(pair: Pair, hlls: dict[str, bytes],
                               case: tuple[str, list[tuple[str, int, int]]]) -> None:
    base, steps = case
    value = apply(hlls[base], steps)
    for key in ("h", "g"):
        pair.check("SET", key, value)
    pair.check("PFCOUNT", "h", "sparse")
    pair.check("PFCOUNT", "dense", "h")
    pair.check("PFMERGE", "m", "g", "sparse")
    pair.check("PFCOUNT", "m")
    pair.check("PFCOUNT", "h")
    pair.check("PFADD", "h", "x", "y", "z")
    pair.check("PFADD", "g")


@pytest.mark.parametrize("tail", [b"\xba", b"\x80", b"\x83\x83", b"\x00", b"\x7f\xff", b"\x40"])
def test_opcodes_past_the_last_register(pair: Pair, hlls: dict[str, bytes], tail: bytes) -> None:
    """A run past register 16383 makes the string invalid for every reader (CVE-2025-32023 fix)."""
    pair.check("SET", "h", hlls["sparse"] + tail)
    pair.check("PFCOUNT", "h", "sparse")
    pair.check("PFMERGE", "m", "h")
    pair.check("PFCOUNT", "h")
    pair.check("PFADD", "h", "x")
