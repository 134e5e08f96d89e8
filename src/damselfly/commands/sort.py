"""SORT and SORT_RO over lists, sets and sorted sets, following Redis 7.0's ``sort.c``.

The steps and their quirks are Redis's:

* options are parsed first (the last ASC/DESC wins; LIMIT's numbers must be
  integers), then the key is looked up (a missing key sorts as an empty list);
* ``BY`` a pattern without ``*`` means "don't sort": lists and sorted sets
  keep their own order (DESC reverses it, LIMIT slices it); a set keeps its
  iteration order, except with STORE, where Redis forces an ALPHA sort so
  replicas agree;
* numeric sorting reads each weight with ``strtod`` (the whole string, no
  overflow, no NaN; a missing weight is 0) and breaks ties by comparing the
  elements as binary strings; one bad weight fails the command with
  ``One or more scores can't be converted into double``, after the sort;
* ALPHA sorting compares bytes (Redis uses ``strcoll``, which is byte order
  in the C and UTF-8 locales); with BY, a missing weight sorts first;
* DESC negates the comparison, so equal elements keep their input order
  (Python's ``sort(reverse=True)`` is stable in the same way);
* patterns: ``#`` is the element itself; otherwise the first ``*`` is
  replaced by the element, and ``key->field`` reads a hash field. A GET
  whose key is missing or of the wrong type gives a null (an empty string
  with STORE);
* STORE writes a list (event ``sortstore``) or deletes the destination when
  the result is empty, and answers the number of elements stored.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from .. import errors
from ..acl.checker import full_key_access
from ..errors import CommandError
from ..keyspace import NotifyKind
from ..types import LIST_TYPES, Hash, List, Set
from ..types.zset import ZSet
from .args import parse_int
from .registry import CommandGroup
from .zsets import strtod

if TYPE_CHECKING:  # pragma: no cover
    from ..client import Client
    from ..keyspace import Database

group = CommandGroup("generic")

_DBL_MIN = 2.2250738585072014e-308


def lookup_pattern(db: "Database", pattern: bytes, element: bytes) -> bytes | None:
    """``lookupKeyByPattern``: the string (or hash field) a GET/BY pattern names."""
    if pattern == b"#":
        return element
    pat = pattern.split(b"\x00", 1)[0]  # Redis works on C strings here
    star = pat.find(b"*")
    if star < 0:
        return None
    arrow = pat.find(b"->", star + 1)
    field = None
    if arrow >= 0 and arrow + 2 < len(pat):
        field = pattern[arrow + 2:]
        key = pat[:star] + element + pattern[star + 1:arrow]
    else:
        key = pat[:star] + element + pattern[star + 1:]
    value = db.lookup_read(key)
    if value is None:
        return None
    if field is None:
        return value if type(value) is bytes else None
    if type(value) is not Hash:
        return None
    return value.get(field)


def _weight(raw: bytes) -> tuple[float, bool]:
    """``strtod`` as SORT applies it: (value, ok)."""
    value, used, erange = strtod(raw)
    if used != len(raw) and raw[used] != 0:
        return value, False
    if value != value or erange or (value != 0.0 and abs(value) < _DBL_MIN and not math.isinf(value)):
        return value, False
    return value, True


def _sort(client: "Client", argv: list[bytes], readonly: bool) -> Any:
    desc = alpha = dontsort = False
    start_opt, count_opt = 0, -1
    store: bytes | None = None
    by: bytes | None = None
    gets: list[bytes] = []
    n = len(argv)
    j = 2
    while j < n:
        opt = argv[j].lower()
        left = n - j - 1
        if opt == b"asc":
            desc = False
        elif opt == b"desc":
            desc = True
        elif opt == b"alpha":
            alpha = True
        elif opt == b"limit" and left >= 2:
            start_opt = parse_int(argv[j + 1])
            count_opt = parse_int(argv[j + 2])
            j += 2
        elif not readonly and opt == b"store" and left >= 1:
            store = argv[j + 1]
            j += 1
        elif opt == b"by" and left >= 1:
            by = argv[j + 1]
            dontsort = b"*" not in by.split(b"\x00", 1)[0]
            if not dontsort and not full_key_access(client):  # BY reads keys ACL cannot foresee
                raise CommandError("ERR BY option of SORT denied due to insufficient ACL permissions.")
            j += 1
        elif opt == b"get" and left >= 1:
            if not full_key_access(client):
                raise CommandError("ERR GET option of SORT denied due to insufficient ACL permissions.")
            gets.append(argv[j + 1])
            j += 1
        else:
            raise CommandError(errors.SYNTAX)
        j += 1
    db = client.db
    value = db.lookup_read(argv[1])
    kind = type(value)
    if value is not None and kind is not Set and kind is not ZSet and kind not in LIST_TYPES:
        raise CommandError(errors.WRONGTYPE)
    if dontsort and kind is Set and store is not None:
        dontsort, alpha, by = False, True, None
    total = len(value) if value is not None else 0
    start = max(start_opt, 0)
    end = total - 1 if count_opt < 0 else start + count_opt - 1
    if start >= total:
        start, end = total - 1, total - 2
    if end >= total:
        end = total - 1
    elements: list[bytes]
    if value is None:
        elements = []
    elif dontsort and kind is not Set:
        if end >= start:
            if kind is ZSet:
                ordered = [m for _, m in value.order]
            else:
                ordered = list(value)
            if desc:
                ordered.reverse()
            elements = ordered[start:end + 1]
        else:
            elements = []
        end -= start
        start = 0
    elif kind is ZSet:
        elements = list(value.scores)
    elif kind is Set:
        elements = value.ordered()
    else:
        elements = list(value)
    if not dontsort:
        conversion_error = False
        if alpha:
            if by is not None:
                keyed = [(lookup_pattern(db, by, e), e) for e in elements]
                # a missing weight (None) sorts before every present one
                keyed.sort(key=lambda we: (we[0] is not None, we[0] or b""), reverse=desc)
                elements = [e for _, e in keyed]
            else:
                elements.sort(reverse=desc)
        else:
            scored = []
            for e in elements:
                raw = lookup_pattern(db, by, e) if by is not None else e
                score = 0.0
                if raw is not None:
                    score, ok = _weight(raw)
                    if not ok:
                        conversion_error = True
                scored.append((score, e))
            scored.sort(reverse=desc)
            elements = [e for _, e in scored]
        if conversion_error:
            raise CommandError(errors.SORT_NOT_DOUBLE)
    selected = elements[start:end + 1] if end >= start else []
    if store is None:
        if not gets:
            return selected
        out: list[bytes | None] = []
        for e in selected:
            for pattern in gets:
                out.append(lookup_pattern(db, pattern, e))
        return out
    if gets:
        items = [lookup_pattern(db, p, e) or b"" for e in selected for p in gets]
    else:
        items = selected
    if items:
        db.set(store, List(items))
        db.changed(store, "sortstore", NotifyKind.LIST, len(items))  # Redis: one change per element stored
    elif db.delete(store):
        db.changed(store, "del", NotifyKind.GENERIC)
    return len(items)


@group.command("sort", -2, "write denyoom movablekeys", keys=(1, 1, 1), acl="write set sortedset list slow dangerous")
def sort(client: "Client", argv: list[bytes]) -> Any:
    """Sort the elements in a list, set or sorted set"""
    return _sort(client, argv, False)


@group.command("sort_ro", -2, "readonly movablekeys", keys=(1, 1, 1), acl="read set sortedset list slow dangerous",
               since="7.0.0")
def sort_ro(client: "Client", argv: list[bytes]) -> Any:
    """Sort the elements in a list, set or sorted set. Read-only variant of SORT."""
    return _sort(client, argv, True)
