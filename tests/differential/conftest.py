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

    def check(self, *args: bytes | str | int, unordered: bool = False) -> bytes:
        """Send one command to both; assert identical raw replies; return ours."""
        ours, theirs = self.both(*args)
        if unordered:
            ours, theirs = _sorted_frame(ours), _sorted_frame(theirs)
        assert ours == theirs, f"{args!r}: damselfly {ours!r} != redis {theirs!r}"
        return ours

    def check_all(self, commands: Sequence[Sequence[bytes | str | int]]) -> None:
        for cmd in commands:
            self.check(*cmd)

    def raw_both(self, data: bytes) -> tuple[bytes, bytes]:
        self.ours.send(data)
        self.theirs.send(data)
        return self.ours.read_reply(), self.theirs.read_reply()


def _sorted_frame(frame: bytes) -> bytes:
    """Sort the elements of a flat array reply (for commands with undefined order)."""
    lines = frame.split(b"\r\n")
    if not lines[0][:1] in (b"*", b"~"):
        return frame
    items = [lines[i] + b"\r\n" + lines[i + 1] for i in range(1, len(lines) - 1, 2)]
    return lines[0] + b"\r\n" + b"\r\n".join(sorted(items)) + b"\r\n"


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
