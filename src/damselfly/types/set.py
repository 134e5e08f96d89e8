"""The set value: a Python ``set`` of ``bytes`` members.

The ``intset`` slot mirrors Redis 7.0's encoding (7.0 has no listpack sets):
a set starts as an *intset* while every member is the canonical decimal text
of a 64-bit integer and it holds at most ``set-max-intset-entries`` members;
the first other member, or one member too many, converts it to a
*hashtable* for good. Clients can see it: OBJECT ENCODING, and intsets
iterate in ascending numeric order (SMEMBERS, SSCAN, SPOP/SRANDMEMBER with a
count covering the whole set), which :meth:`Set.ordered` reproduces.

``pool`` serves SRANDMEMBER/SPOP (see :mod:`damselfly.types.sampling`) and
``scan`` serves SSCAN (see :mod:`damselfly.types.scan`).
Mutate through :meth:`add_members` / :meth:`remove_members` (or call
:meth:`invalidate` after changing the set directly).
"""
from __future__ import annotations

from typing import Iterable

_INT64_MAX = 2**63 - 1
_INT64_MIN = -(2**63)


def is_int_member(m: bytes) -> bool:
    """True if ``m`` would be stored in an intset (Redis's ``string2ll`` round trip)."""
    n = len(m)
    if not n or n > 20:
        return False
    if m.isdigit():
        if m[0] == 48:
            return n == 1
        return n < 19 or int(m) <= _INT64_MAX
    if m[0] == 45 and n > 1 and m[1] != 48 and m[1:].isdigit():
        return n < 20 or int(m) >= _INT64_MIN
    return False


class Set(set):
    __slots__ = ("intset", "pool", "scan")

    def __init__(self, members: Iterable[bytes] = (), max_intset: int = 512) -> None:
        super().__init__(members)
        self.pool: tuple | None = None
        self.scan: tuple | None = None
        self.intset = len(self) <= max_intset and all(map(is_int_member, self))

    def add_members(self, members: Iterable[bytes], max_intset: int) -> int:
        """Add ``members``; the count of new ones. Applies the intset -> hashtable rule."""
        before = len(self)
        if self.intset:
            rest = iter(members)
            for m in rest:
                if m not in self:
                    self.add(m)
                    if not is_int_member(m) or len(self) > max_intset:
                        self.intset = False
                        self.update(rest)  # the remainder at C speed
                        break
        else:
            self.update(members)
        added = len(self) - before
        if added:
            self.pool = self.scan = None
        return added

    def remove_members(self, members: Iterable[bytes]) -> int:
        """Remove ``members``; the count removed (the pool stays valid)."""
        before = len(self)
        self.difference_update(members)
        return before - len(self)

    def invalidate(self) -> None:
        self.pool = self.scan = None

    def ordered(self) -> list[bytes]:
        """Members in Redis's iteration order where it is defined (intset: numeric)."""
        if self.intset:
            return sorted(self, key=int)
        return list(self)

    def copy(self) -> "Set":  # type: ignore[override]
        dup = Set()
        dup.update(self)
        dup.intset = self.intset
        return dup

    @property
    def encoding(self) -> str:
        return "intset" if self.intset else "hashtable"

    def __repr__(self) -> str:
        return f"Set({set.__repr__(self)})"
