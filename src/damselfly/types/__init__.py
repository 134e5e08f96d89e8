"""Value classes of the container types (everything but strings, which are ``bytes``).

============  ======  ======================================================
class         TYPE    OBJECT ENCODING (Redis 7.0's rules)
============  ======  ======================================================
``Hash``      hash    ``listpack`` until too big or too long, ``hashtable``
``List``      list    ``quicklist`` (7.0 has no listpack lists); a Python
                      list up to 128 elements
``LongList``  list    ``quicklist``; a deque, once a list grew past 128
``Set``       set     ``intset`` while all-integer and small, ``hashtable``
============  ======  ======================================================

A handler tells types apart with ``type(value) is Hash`` (one pointer
comparison; ``type(value) in LIST_TYPES`` for lists). An emptied container
is deleted from the keyspace by the command that emptied it; none of these
is ever stored empty.
"""
from __future__ import annotations

from ..keyspace.encoding import register_type
from .hash import Hash
from .list import LIST_TYPES, List, LongList
from .set import Set

register_type(Hash, "hash", lambda v: v.encoding, Hash.copy)
register_type(List, "list", lambda v: v.encoding, List.copy)
register_type(LongList, "list", lambda v: v.encoding, LongList.copy)
register_type(Set, "set", lambda v: v.encoding, Set.copy)

__all__ = ["Hash", "LIST_TYPES", "List", "LongList", "Set"]
