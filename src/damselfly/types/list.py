"""The list value: a Python ``list`` while short, a ``collections.deque`` once long.

A deque gives O(1) pushes and pops at both ends (LPUSH, RPOP, BLPOP...) and
O(1) indexing near the ends (it is a doubly linked list of 64-slot blocks, so
LINDEX in the middle costs n/64 hops, like Redis's quicklist nodes). But an
empty deque already holds one 64-slot block: 760 bytes for a two-element
list, against 72 for a Python ``list``. Most lists in real keyspaces are
short, so a list starts as :class:`List` (a ``list`` with deque's method
names, whose left-end operations shift at most :data:`SHORT_MAX` pointers)
and the command that grows it past :data:`SHORT_MAX` elements replaces it by
a :class:`LongList` (a ``deque``) under the same key. It never shrinks back,
as Redis's quicklist never turns back into a listpack.

Both report ``list`` / ``quicklist`` (Redis 7.0 always says quicklist;
listpack lists arrived in 7.2). Test with ``type(v) in LIST_TYPES``.
``List(items)`` returns a :class:`LongList` when ``items`` is already long, so
loaders can always call ``List``.
"""
from __future__ import annotations

from collections import deque
from typing import Any, Iterable

SHORT_MAX = 128  # longest list kept as a Python list (measured: insert(0) of 128 pointers ~40 ns)


class List(list):
    """A short list (at most about :data:`SHORT_MAX` elements)."""

    __slots__ = ()

    def __new__(cls, items: Iterable[bytes] = ()) -> Any:
        if hasattr(items, "__len__"):
            if len(items) > SHORT_MAX:  # type: ignore[arg-type]
                return LongList(items)
            return super().__new__(cls)  # filled by __init__
        materialized = list(items)  # an iterator: consumed here, so filled here
        if len(materialized) > SHORT_MAX:
            return LongList(materialized)
        self = super().__new__(cls)
        list.extend(self, materialized)
        return self

    def __init__(self, items: Iterable[bytes] = ()) -> None:
        if hasattr(items, "__len__"):
            super().__init__(items)

    def popleft(self) -> bytes:
        return self.pop(0)

    def appendleft(self, item: bytes) -> None:
        self.insert(0, item)

    def extendleft(self, items: Iterable[bytes]) -> None:
        """Like ``deque.extendleft``: each item goes to the front in turn (so reversed)."""
        self[0:0] = list(items)[::-1]

    @property
    def encoding(self) -> str:
        return "quicklist"

    def copy(self) -> "List":
        return List(self)

    def __repr__(self) -> str:
        return f"List({list.__repr__(self)})"


class LongList(deque):
    """A long list: O(1) at both ends whatever its length."""

    __slots__ = ()

    @property
    def encoding(self) -> str:
        return "quicklist"

    def copy(self) -> "LongList":
        return LongList(self)

    def __repr__(self) -> str:
        return f"LongList(<{len(self)} elements>)"


LIST_TYPES = (List, LongList)


def grown(lst: Any) -> Any:
    """``lst`` itself, or a :class:`LongList` copy if a short list got too long.

    Commands that add elements store the result back under the key when it
    is not ``lst`` (keeping the key's TTL).
    """
    if type(lst) is List and len(lst) > SHORT_MAX:
        return LongList(lst)
    return lst
