"""The list value: a ``collections.deque`` of ``bytes``.

A deque gives O(1) pushes and pops at both ends (LPUSH, RPOP, BLPOP...) and
O(1) indexing near the ends (it is a doubly linked list of 64-slot blocks, so
LINDEX in the middle costs n/64 hops, like Redis's quicklist nodes). Redis
7.0 always reports a list as ``quicklist``; listpack-encoded lists arrived in
7.2.
"""
from __future__ import annotations

from collections import deque


class List(deque):
    __slots__ = ()

    @property
    def encoding(self) -> str:
        return "quicklist"

    def copy(self) -> "List":
        return List(self)

    def __repr__(self) -> str:
        return f"List({list(self)!r})"
