"""Pub/Sub against redis-server: the same multi-connection scripts, every frame compared.

A script is a list of steps ``(connection index, *command)``. After each
step every connection that may have pushes pending is fenced with a PING
(both servers deliver what was published before the PING ahead of its
reply), so the comparison never depends on timing: each step records the
command's reply plus, per connection, everything that arrived before the
fence. Client ids differ between the servers and are replaced by a token.

:class:`Duo` is reused by the MONITOR, tracking and notification suites.
"""
from __future__ import annotations

import random
import re
import time
from typing import Any, Callable, Sequence

import pytest

from ..resp import RawConnection, encode_command

pytestmark = pytest.mark.differential

Step = Sequence[Any]


# Where an id appears: a whole integer reply (CLIENT ID, GETREDIR), HELLO's id field,
# TRACKINGINFO's redirect field, the tracking-redir-broken push.
_ID_PLACES = [re.compile(p) for p in (rb"^(:)(\d+)(?=\r\n$)", rb"(\$2\r\nid\r\n:)(\d+)",
                                          rb"(\$8\r\nredirect\r\n:)(\d+)", rb"(tracking-redir-broken\r\n:)(\d+)")]


class Side:
    """N raw connections to one server and what they saw."""

    def __init__(self, host: str, port: int, n: int) -> None:
        self.conns = [RawConnection(host, port) for _ in range(n)]
        self.ids = [int(c.command("CLIENT", "ID")[1:-2]) for c in self.conns]
        self.in_multi = [False] * n

    def fence(self, i: int) -> list[bytes]:
        """Frames that reached connection ``i`` before the reply to a PING sent now."""
        conn = self.conns[i]
        conn.send(b"*2\r\n$4\r\nPING\r\n$5\r\nfence\r\n")
        frames = []
        while True:
            frame = conn.read_reply()
            if frame in (b"$5\r\nfence\r\n", b"*2\r\n$4\r\npong\r\n$5\r\nfence\r\n"):
                return frames
            frames.append(frame)

    def close(self) -> None:
        for c in self.conns:
            c.close()


class Duo:
    """Runs one script on damselfly and on redis-server and compares every frame."""

    def __init__(self, server: Any, redis_server: Any, n: int, normalize: Callable[[bytes], bytes] | None = None):
        self.ours = Side(server.host, server.port, n)
        self.theirs = Side(redis_server.host, redis_server.port, n)
        self.n = n
        self.normalize = normalize or (lambda b: b)
        self.ours.conns[0].command("FLUSHALL")
        self.theirs.conns[0].command("FLUSHALL")

    def _token(self, side: Side, data: bytes, returns_id: bool = False) -> bytes:
        """Client ids differ between servers: name them by connection where a reply carries one."""
        def name(match: re.Match[bytes]) -> bytes:
            cid = int(match.group(2))
            return match.group(1) + (b"<id%d>" % side.ids.index(cid) if cid in side.ids else match.group(2))
        for pattern in _ID_PLACES[0 if returns_id else 1:]:
            data = pattern.sub(name, data)
        return self.normalize(data)

    def _args(self, side: Side, args: Sequence[Any]) -> list[Any]:
        out = []
        for a in args:
            if isinstance(a, str) and a.startswith("<id") and a.endswith(">"):
                out.append(str(side.ids[int(a[3:-1])]))
            else:
                out.append(a)
        return out

    def _run_side(self, side: Side, step: Step, replies: int, fence: Sequence[int]) -> list[bytes]:
        i, args = step[0], self._args(side, step[1:])
        conn = side.conns[i]
        conn.send(encode_command(*args))
        seen = [conn.read_reply() for _ in range(replies)]
        name = str(args[0]).upper()
        if name == "MULTI" and seen[0] == b"+OK\r\n":
            side.in_multi[i] = True
        elif name in ("EXEC", "DISCARD", "RESET"):
            side.in_multi[i] = False
        returns_id = name == "CLIENT" and str(args[1]).upper() in ("ID", "GETREDIR")
        out: list[Any] = [self._token(side, s, returns_id) for s in seen]
        for j in fence:
            if not side.in_multi[j]:  # a PING would only be queued
                out.append((j, [self._token(side, f) for f in side.fence(j)]))
        return out

    def run(self, script: Sequence[Step], fence: Sequence[int] | None = None,
            unordered: Callable[[Step], bool] | None = None) -> None:
        """Each step is ``(conn, *args)`` or ``(conn, n_replies, *args)`` when a command answers several times."""
        fence = list(range(self.n)) if fence is None else list(fence)
        for step in script:
            if step[0] == "sleep":
                time.sleep(step[1])
                continue
            replies = 1
            if len(step) > 1 and isinstance(step[1], int):
                replies = step[1]
                step = (step[0], *step[2:])
            ours = self._run_side(self.ours, step, replies, fence)
            theirs = self._run_side(self.theirs, step, replies, fence)
            if unordered is not None and unordered(step):  # Redis's order is its dicts' here
                ours = [(x[0], sorted(x[1])) if isinstance(x, tuple) else x for x in ours]
                theirs = [(x[0], sorted(x[1])) if isinstance(x, tuple) else x for x in theirs]
            assert ours == theirs, f"step {step!r}:\n damselfly {ours!r}\n redis     {theirs!r}"

    def close(self) -> None:
        self.ours.close()
        self.theirs.close()


@pytest.fixture
def duo(server, redis_server):
    made: list[Duo] = []

    def make(n: int, normalize: Callable[[bytes], bytes] | None = None) -> Duo:
        d = Duo(server, redis_server, n, normalize)
        made.append(d)
        return d

    yield make
    for d in made:
        d.close()


# Channel names carry a prefix of their own: both servers are shared with other suites,
# so introspection is asked only about names (or patterns) no other test uses.
def test_subscribe_publish_unsubscribe_resp2(duo) -> None:
    d = duo(3)
    d.run([
        (0, 3, "SUBSCRIBE", "dps.x", "dps.y", "dps.x"), (0, "GET", "k"), (0, "PING"), (0, "PING", "hi"),
        (0, "CLIENT", "ID"), (0, "MULTI"), (0, 2, "UNSUBSCRIBE", "dps.x", "dps.y"), (0, "UNSUBSCRIBE"),
        (0, "PUNSUBSCRIBE"), (0, "SUNSUBSCRIBE"), (0, "UNSUBSCRIBE", "dps.zz"), (0, "PSUBSCRIBE", "dps.h*"),
        (1, "PUBLISH", "dps.hello", "w"), (1, "PUBLISH", "dps.h", "w2"), (1, "PUBLISH", "dps.other", "w3"),
        (0, "SSUBSCRIBE", "dps.s1"), (1, "SPUBLISH", "dps.s1", "m"), (1, "PUBLISH", "dps.s1", "not-shard"),
        (2, "PUBSUB", "NUMSUB", "dps.s1", "dps.h*", "dps.hello"), (2, "PUBSUB", "SHARDNUMSUB", "dps.s1", "dps.no"),
        (2, "PUBSUB", "SHARDCHANNELS", "dps.*"), (2, "PUBSUB", "SHARDCHANNELS", "dps.s?"),
        (2, "PUBSUB", "CHANNELS", "dps.*"), (0, "PUNSUBSCRIBE", "dps.h*"), (0, "SUNSUBSCRIBE", "dps.s1"),
        (0, "GET", "k"), (2, "PUBSUB", "SHARDCHANNELS", "dps.*"),
    ], fence=[0])


def test_subscribe_publish_resp3(duo) -> None:
    d = duo(2)
    d.run([
        (0, "HELLO", "3"), (0, 2, "SUBSCRIBE", "dps.a", "dps.b"), (0, "GET", "k"), (0, "PUBLISH", "dps.a", "m1"),
        (0, "PSUBSCRIBE", "dps.a*"), (0, "PUBLISH", "dps.a", "m2"), (1, "PUBLISH", "dps.ab", "m3"),
        (0, "UNSUBSCRIBE", "dps.a"), (1, "PUBLISH", "dps.a", "m4"), (0, "PUNSUBSCRIBE"), (0, "UNSUBSCRIBE"),
        (0, "PING"), (0, "SSUBSCRIBE", "dps.s"), (0, "SPUBLISH", "dps.s", "hi"),
        (0, "PUBSUB", "SHARDNUMSUB", "dps.s", "dps.t"), (0, "MULTI"), (0, "SUBSCRIBE", "dps.q", "dps.r"),
        (0, "EXEC"), (0, "PUBLISH", "dps.q", "x"), (0, "RESET"), (0, "PUBSUB", "NUMSUB", "dps.q"),
    ], fence=[0])


def test_subscriptions_in_multi_resp2(duo) -> None:
    d = duo(2)
    d.run([
        (0, "MULTI"), (0, "SUBSCRIBE", "dps.q", "dps.r"), (0, "PSUBSCRIBE", "dps.z*"), (0, "EXEC"),
        (1, "PUBLISH", "dps.zq", "1"), (1, "PUBLISH", "dps.q", "2"), (0, "RESET"), (1, "PUBLISH", "dps.q", "3"),
    ], fence=[0])


def test_errors(duo) -> None:
    d = duo(1)
    d.run([
        (0, "SUBSCRIBE"), (0, "PSUBSCRIBE"), (0, "SSUBSCRIBE"), (0, "PUBLISH", "x"), (0, "SPUBLISH", "x"),
        (0, "PUBSUB"), (0, "PUBSUB", "FOO"), (0, "PUBSUB", "CHANNELS", "a", "b"),
        (0, "PUBSUB", "channels", "a", "b"), (0, "PUBSUB", "SHARDCHANNELS", "a", "b"),
        (0, "PUBSUB", "NUMPAT", "x"), (0, "PUBSUB", "HELP"), (0, "PUBSUB", "HELP", "x"),
        (0, "PUBSUB", "NUMSUB"), (0, "PUBSUB", "SHARDNUMSUB"),
    ], fence=[])


def test_publish_counts_exact_and_pattern_receivers(duo) -> None:
    d = duo(4)
    d.run([
        (0, "SUBSCRIBE", "dps.news"), (1, "SUBSCRIBE", "dps.news"), (1, "PSUBSCRIBE", "dps.n*"),
        (2, "PSUBSCRIBE", "dps.n*"), (3, "PUBLISH", "dps.news", "1"), (3, "PUBLISH", "dps.nope", "2"),
        (3, "PUBLISH", "dps.x", "3"), (2, "PSUBSCRIBE", "*s"), (3, "PUBLISH", "dps.news", "4"),
    ], fence=[0, 1, 2], unordered=lambda step: step[1:2] == ("PUBLISH",))


def test_binary_and_large_payloads(duo) -> None:
    d = duo(2)
    d.run([(0, "SUBSCRIBE", "dps.b\x00in\r\n"), (1, "PUBLISH", "dps.b\x00in\r\n", "\x00\xff\r\n" * 3),
           (1, "PUBLISH", "dps.b\x00in\r\n", "z" * 70000)], fence=[0])


def test_empty_channel_never_matches_star(duo) -> None:
    d = duo(2)
    d.run([(0, "PSUBSCRIBE", "*"), (1, "PUBLISH", "", "nobody: '*' needs one byte"),
           (0, "PUNSUBSCRIBE", "*")], fence=[0])


_GLOB_ALPHABET = ["a", "b", "c", "*", "?", "[", "]", "^", "-", "\\", "A"]
_CHANNELS = ["a", "b", "ab", "abc", "ba", "aa", "cab", "a-b", "a]", "[a", "A", "a*", "a?c", "\\", "^a", "a\\b", "-"]


def test_glob_patterns_match_like_redis(server, redis_server) -> None:
    """PUBSUB CHANNELS <pattern> over a fixed set of channels, for many random patterns."""
    ours_sub, theirs_sub = RawConnection(server.host, server.port), RawConnection(redis_server.host, redis_server.port)
    ours, theirs = RawConnection(server.host, server.port), RawConnection(redis_server.host, redis_server.port)
    prefix = "glob-case-"
    for conn in (ours_sub, theirs_sub):
        for ch in _CHANNELS:
            conn.command("SUBSCRIBE", ch)
    rng = random.Random(7015)
    patterns = ["*", "a*", "?", "[ab]", "[^a]*", "[a-c]b", "[c-a]", "\\*", "a\\", "[]", "[a-]", "[abc", "[\\]]",
                "*[", "[^"]
    patterns += ["".join(rng.choice(_GLOB_ALPHABET) for _ in range(rng.randint(1, 6))) for _ in range(300)]
    for pattern in patterns:
        a = ours.command("PUBSUB", "CHANNELS", pattern)
        b = theirs.command("PUBSUB", "CHANNELS", pattern)
        # our other suites may have subscribers on the shared server: compare our channels only
        mine = sorted(x for x in a.split(b"\r\n")[2::2] if x.decode("latin1") in _CHANNELS)
        ref = sorted(x for x in b.split(b"\r\n")[2::2] if x.decode("latin1") in _CHANNELS)
        assert mine == ref, f"pattern {pattern!r} ({prefix})"
    for c in (ours_sub, theirs_sub, ours, theirs):
        c.close()
