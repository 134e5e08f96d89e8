"""The hash value: a ``dict`` of field -> value (both ``bytes``).

A ``dict`` subclass so lookups and iteration run at C speed; the two extra
slots record what Redis would report about the same hash:

* ``hashtable``: Redis keeps a small hash as a *listpack* until it holds more
  than ``hash-max-listpack-entries`` fields or a field or value longer than
  ``hash-max-listpack-value`` bytes, then converts it to a *hashtable* for
  good (it never converts back). OBJECT ENCODING and HSCAN (a listpack is
  returned whole, with cursor 0) depend on it, so the flag is sticky here too.
* ``pool``: see :mod:`damselfly.types.sampling` (HRANDFIELD); ``scan``: see
  :mod:`damselfly.types.scan` (HSCAN).

Mutate through :meth:`put` and :meth:`remove` (or call :meth:`invalidate`
after changing the dict directly) so the pool and scan caches stay supersets of the fields.
"""
from __future__ import annotations

from typing import Iterable, Mapping


class Hash(dict):
    __slots__ = ("hashtable", "pool", "scan")

    def __init__(self, items: Mapping[bytes, bytes] | Iterable[tuple[bytes, bytes]] = (),
                 max_entries: int = 512, max_value: int = 64) -> None:
        super().__init__(items)
        self.pool: tuple | None = None
        self.scan: tuple | None = None
        self.hashtable = False
        if self:
            self.hashtable = len(self) > max_entries or any(
                len(f) > max_value or len(v) > max_value for f, v in self.items())

    def put(self, field: bytes, value: bytes, max_entries: int, max_value: int) -> bool:
        """Set ``field``; True if it is new. Applies Redis's listpack -> hashtable rule."""
        new = field not in self
        self[field] = value
        if new:
            self.pool = self.scan = None
        if not self.hashtable and (len(value) > max_value or len(field) > max_value
                                   or len(self) > max_entries):
            self.hashtable = True
        return new

    def remove(self, field: bytes) -> bool:
        """Delete ``field``; True if it was present (the pool stays valid)."""
        try:
            del self[field]
        except KeyError:
            return False
        return True

    def invalidate(self) -> None:
        self.pool = self.scan = None

    def copy(self) -> "Hash":  # type: ignore[override]
        """A hash with the same fields and encoding (COPY, RESTORE)."""
        dup = Hash(self)
        dup.hashtable = self.hashtable
        return dup

    @property
    def encoding(self) -> str:
        return "hashtable" if self.hashtable else "listpack"

    def __repr__(self) -> str:
        return f"Hash({dict.__repr__(self)})"
