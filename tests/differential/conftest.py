"""Differential harness: the same commands to damselfly and redis-server, raw replies compared."""
from __future__ import annotations

from typing import Iterator, Sequence

import pytest

from ..resp import RawConnection, encode_command


class Pair:
    """Two raw connections, one per server, driven in lockstep."""

    def __init__(self, ours: RawConnection, theirs: RawConnection) -> None:
        self.ours = ours
        self.theirs = theirs

    def both(self, *args: bytes | str | int) -> tuple[bytes, bytes]:
        return self.ours.command(*args), self.theirs.command(*args)

    def check(self, *args: bytes | str | int, unordered: bool | int = False) -> bytes:
        """Send one command to both; assert identical raw replies; return ours.

        ``unordered`` sorts the reply's elements first (see :func:`_sorted_frame`);
        an int > 1 sorts that many levels of nested aggregates.
        """
        ours, theirs = self.both(*args)
        if unordered:
            depth = int(unordered)
            ours, theirs = _sorted_frame(ours, depth), _sorted_frame(theirs, depth)
        assert ours == theirs, f"{args!r}: damselfly {ours!r} != redis {theirs!r}"
        return ours

    def check_all(self, commands: Sequence[Sequence[bytes | str | int]]) -> None:
        for cmd in commands:
            self.check(*cmd)

    def raw_both(self, data: bytes) -> tuple[bytes, bytes]:
        self.ours.send(data)
        self.theirs.send(data)
        return self.ours.read_reply(), self.theirs.read_reply()


def _element_end(frame: bytes, pos: int) -> int:
    """Where the RESP2/RESP3 element starting at ``pos`` ends (aggregates included)."""
    end = frame.index(b"\r\n", pos)
    kind = frame[pos:pos + 1]
    nxt = end + 2
    if kind in (b"$", b"=", b"!"):
        n = int(frame[pos + 1:end])
        return nxt if n < 0 else nxt + n + 2
    if kind in (b"*", b">", b"~", b"%", b"|"):
        n = int(frame[pos + 1:end])
        if n < 0:
            return nxt
        for _ in range(n * 2 if kind in (b"%", b"|") else n):
            nxt = _element_end(frame, nxt)
    return nxt


def _sorted_frame(frame: bytes, depth: int = 1) -> bytes:
    """Sort the elements of an array, set or map reply (for commands with undefined order).

    Elements may be aggregates themselves (RESP3 arrays of pairs such as
    HRANDFIELD ... WITHVALUES, ZRANDMEMBER ... WITHSCORES): each is kept whole
    and compared by its bytes. A map's entries are sorted as (key, value)
    pairs. ``depth`` > 1 also sorts the elements of nested aggregates (sets
    of sets, say) that many levels down.
    """
    kind = frame[:1]
    if kind not in (b"*", b"~", b"%"):
        return frame
    head_end = frame.index(b"\r\n") + 2
    if int(frame[1:head_end - 2]) <= 0:
        return frame
    items, pos = [], head_end
    while pos < len(frame):
        end = _element_end(frame, pos)
        items.append(frame[pos:end])
        pos = end
    if depth > 1:
        items = [_sorted_frame(item, depth - 1) for item in items]
    if kind == b"%":
        pairs = sorted(items[i] + items[i + 1] for i in range(0, len(items), 2))
        return frame[:head_end] + b"".join(pairs)
    return frame[:head_end] + b"".join(sorted(items))


@pytest.fixture
def pair(server, redis_server) -> Iterator[Pair]:
    ours = RawConnection(server.host, server.port)
    theirs = RawConnection(redis_server.host, redis_server.port)
    for conn in (ours, theirs):
        conn.command("FLUSHALL")
    p = Pair(ours, theirs)
    yield p
    ours.close()
    theirs.close()


@pytest.fixture
def pair3(pair: Pair) -> Pair:
    """Both connections switched to RESP3 with HELLO 3."""
    pair.ours.command("HELLO", "3")
    pair.theirs.command("HELLO", "3")
    return pair


__all__ = ["Pair", "encode_command"]
