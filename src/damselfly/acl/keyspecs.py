"""Key specs of the implemented commands, as ACL sees them.

Derived from :mod:`damselfly.commands.keyspec_table` (generated from
redis-server 7.0.15's COMMAND INFO), so COMMAND INFO, COMMAND GETKEYS and
ACL read one table. Each command maps to its key specs in order, each as
``(perm, kind, a, b, c, d)``: ``perm`` is READ (1) and/or WRITE (2) from the
spec's access/insert/delete/update flags; ``kind`` "range" has (index,
lastkey, keystep, limit), "keynum" has (index, keynumidx, firstkey, keystep),
"unknown" (also any spec not found from an index) has no parameters.
``VARIABLE`` lists the commands whose flags depend on their arguments
(SET ... GET, BITFIELD with only GETs).
"""
from __future__ import annotations

from typing import Any

from ..commands.keyspec_table import KEY_SPECS
from .users import READ, WRITE


def _acl_view(flags: str, begin: tuple[Any, ...], find: tuple[Any, ...]) -> tuple[int, str, int, int, int, int]:
    words = set(flags.split())
    perm = (READ if "access" in words else 0) | (WRITE if words & {"insert", "delete", "update"} else 0)
    if begin[0] != "index" or find[0] == "unknown":
        return (perm, "unknown", 0, 0, 0, 0)
    return (perm, find[0], begin[1], find[1], find[2], find[3])


SPECS: dict[str, tuple[tuple[int, str, int, int, int, int], ...]] = {
    name: tuple(_acl_view(flags, begin, find) for flags, begin, find, _notes in specs)
    for name, specs in KEY_SPECS.items()
}

VARIABLE = frozenset(name for name, specs in KEY_SPECS.items()
                     if any("variable_flags" in spec[0].split() for spec in specs))
