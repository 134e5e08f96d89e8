"""The sorted-set value: a dict ``member -> score`` plus a SortedList of ``(score, member)``.

Redis keeps a dict plus a skiplist; the dict answers ZSCORE in O(1) and the
ordered structure answers ranks and ranges in O(log n). ``sortedcontainers``'
:class:`SortedList` gives the same bounds (its positional index makes
``bisect``, ``rank`` and ``list[i]`` O(log n)) with C-speed ``bisect`` inside
its sublists. ``(score, member)`` tuples order exactly as Redis's
``zslInsert`` does: by score, then by ``memcmp`` of the members (Python's
``bytes`` comparison), and ``-0.0 == 0.0`` ties fall through to the member.

Measured with ``python bench/complexity.py --structures -n 1000000`` (10^6
random members of ~14 bytes, each layout in a fresh process; Python 3.11 on
the shared 2-core machine at load average ~7, so rates are noisy):

=====================================  ==========  ==========  ==============
layout                                 ZADD /s     rank /s     bytes/member
=====================================  ==========  ==========  ==============
SortedList[(score, member)] + dict     95,600      102,000     175
SortedKeyList[member], key=dict        52,200      37,900      184
SortedList[packed bytes key] + dict    74,700      50,300      175
=====================================  ==========  ==========  ==============

The tuple layout is the fastest and no larger: a packed ``bytes`` key costs
as much as the tuple it replaces, and a key function pays a Python call per
comparison. Whole server (``python -m bench.complexity --memory``, a fresh
server per type, docs/benchmarks.md): a 10^6-member zset costs 227 resident
bytes per member here against 117 for Redis 7.0.15. Pipelined ZADD stays flat
from 10^3 to 10^6 members; ZRANK grows 2.75x there (a log factor is 2.0),
less than Redis's own 4.15x (cache misses on both).

Encoding, as Redis 7.0 decides it (``listpack`` flag, reported by OBJECT
ENCODING): a zset is created *listpack* unless ``zset-max-listpack-entries``
is 0 or its first member is longer than ``zset-max-listpack-value``; adding a
new member that would make it exceed either limit converts it to *skiplist*
for good (removals never convert back). Store commands (ZUNIONSTORE...)
build the result and then convert it to listpack if it fits. A listpack keeps
scores as text written by ``d2string``, which prints ``-0.0`` as an integer
0, so a listpack loses the sign of a negative zero; :meth:`ZSet.insert`
reproduces that (ZSCORE then answers ``0``, not ``-0``, exactly like Redis).

``scan`` is the cursor cache of :mod:`damselfly.types.scan` (ZSCAN).
"""
from __future__ import annotations

import math
from typing import Iterator

from sortedcontainers import SortedList

ScoredMember = tuple[float, bytes]


class _Top:
    """Greater than every member: ``(s, TOP)`` sorts after every ``(s, member)``."""

    __slots__ = ()

    def __lt__(self, other: object) -> bool:
        return False

    def __gt__(self, other: object) -> bool:
        return True

    def __le__(self, other: object) -> bool:
        return other is self

    def __ge__(self, other: object) -> bool:
        return True

    def __eq__(self, other: object) -> bool:
        return other is self

    def __hash__(self) -> int:
        return 0


TOP = _Top()


class ZSet:
    """A sorted set. Mutate only through the methods so both indexes agree."""

    __slots__ = ("scores", "order", "listpack", "scan")

    def __init__(self, listpack: bool = True) -> None:
        self.scores: dict[bytes, float] = {}
        self.order: SortedList = SortedList()
        self.listpack = listpack
        self.scan: tuple | None = None

    # -- container protocol (also what types.scan.scan_step needs) --------
    def __len__(self) -> int:
        return len(self.scores)

    def __contains__(self, member: object) -> bool:
        return member in self.scores

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.scores)

    def __repr__(self) -> str:
        return f"ZSet({list(self.order)!r}, listpack={self.listpack})"

    # -- writes ----------------------------------------------------------
    def insert(self, member: bytes, score: float, max_entries: int, max_value: int) -> None:
        """Add a member known to be absent, applying the listpack -> skiplist rule."""
        if self.listpack:
            if len(self.scores) >= max_entries or len(member) > max_value:
                self.listpack = False
            elif score == 0.0:
                score = 0.0  # a listpack stores -0 as the integer 0
        self.scores[member] = score
        self.order.add((score, member))
        self.scan = None

    def update(self, member: bytes, old: float, score: float) -> None:
        """Change the score of a present member from ``old`` to ``score``."""
        if self.listpack and score == 0.0:
            score = 0.0
        order = self.order
        order.remove((old, member))
        order.add((score, member))
        self.scores[member] = score

    def discard(self, member: bytes) -> bool:
        score = self.scores.pop(member, None)
        if score is None:
            return False
        self.order.remove((score, member))
        return True

    def delete_range(self, start: int, stop: int) -> list[ScoredMember]:
        """Remove positions ``start..stop-1``; return the removed ``(score, member)``."""
        order = self.order
        removed = order[start:stop]
        del order[start:stop]
        scores = self.scores
        for _, member in removed:
            del scores[member]
        return removed

    def fit_listpack(self, max_entries: int, max_value: int) -> None:
        """``zsetConvertToListpackIfNeeded``: store commands shrink small results."""
        if self.listpack or len(self.scores) > max_entries:
            return
        if any(len(m) > max_value for m in self.scores):
            return
        self.listpack = True
        if any(s == 0.0 for s in self.scores.values()):
            zeros = [(s, m) for s, m in self.order if s == 0.0]
            for s, m in zeros:
                self.update(m, s, 0.0)

    def copy(self) -> "ZSet":
        other = ZSet(self.listpack)
        other.scores = dict(self.scores)
        other.order = SortedList(self.order)
        return other

    # -- reads -----------------------------------------------------------
    def rank(self, member: bytes) -> int | None:
        score = self.scores.get(member)
        if score is None:
            return None
        return self.order.bisect_left((score, member))

    def first_at_least(self, score: float, exclusive: bool) -> int:
        """Index of the first entry with score >= ``score`` (> when ``exclusive``)."""
        if exclusive:
            return self.order.bisect_right((score, TOP))
        return self.order.bisect_left((score,))

    def end_at_most(self, score: float, exclusive: bool) -> int:
        """Index just past the last entry with score <= ``score`` (< when ``exclusive``)."""
        if exclusive:
            return self.order.bisect_left((score,))
        return self.order.bisect_right((score, TOP))

    def score_span(self, lo: float, lo_ex: bool, hi: float, hi_ex: bool) -> tuple[int, int]:
        """``[start, stop)`` positions of the entries inside a score range."""
        start = self.first_at_least(lo, lo_ex)
        stop = self.end_at_most(hi, hi_ex)
        return start, max(start, stop)


def d2string(value: float) -> bytes:
    """Redis 7.0's ``d2string``: how a listpack stores a score (ZSCAN shows it; RDB and DUMP
    write it). A listpack never holds -0.0 (:meth:`ZSet.insert` stores 0), so its ``-0``
    text never reaches one."""
    if value != value:
        return b"nan"
    if math.isinf(value):
        return b"inf" if value > 0 else b"-inf"
    if value == 0.0:
        return b"-0" if math.copysign(1.0, value) < 0 else b"0"
    if -4611686018427387904.0 <= value <= 4611686018427387904.0 and value == int(value):
        return b"%d" % int(value)
    return b"%.17g" % value
