"""Cursor iteration over a hash or set (HSCAN, SSCAN; ZSCAN can reuse it).

Redis's guarantee: an element present for the whole iteration is returned at
least once, whatever happens in between. Redis walks hash buckets with a
reverse-binary cursor; a Python dict or set exposes no buckets, and a
position in iteration order shifts when earlier members are deleted. So the
cursor here is a hash value (Python's 64-bit ``hash``, shifted by 2**63 to be
unsigned): each call returns members in increasing order of ``hash(member)``
starting at the cursor, and the next cursor is the last returned hash plus
one. A member's hash never changes, so every member
present throughout is returned exactly once.

Members sorted by hash are cached on the container (the ``scan`` slot) and
kept while the container only shrinks (dead entries are skipped); an
addition drops the cache and the next call re-sorts, O(n log n). A full
iteration of a container that is not growing costs O(n log n) once (about
0.2 s per 300,000 members, ``sorted(key=hash)``) plus O(COUNT + log n) per
call (about 1 ms per 1,000 members returned).

Small containers (Redis's listpack and intset encodings) are returned whole
with cursor 0, as Redis does.
"""
from __future__ import annotations

from array import array
from bisect import bisect_left
from typing import Any, Callable, Collection

from .. import errors
from ..errors import CommandError
from ..glob import compile_glob

_MASK = (1 << 64) - 1
_SHIFT = 1 << 63
_SPACE = b" \t\n\r\x0b\x0c"


def parse_cursor(raw: bytes) -> int:
    """``strtoul`` base 10 with Redis's checks: sign allowed (and wraps), no spaces.

    ``strtoul`` reads a C string, so a NUL ends the cursor (``1\\x00x`` is 1).
    """
    nul = raw.find(b"\x00")
    if nul >= 0:
        raw = raw[:nul]
    if not raw:
        return 0
    if raw[0] in _SPACE:
        raise CommandError(errors.INVALID_CURSOR)
    body = raw[1:] if raw[0] in b"+-" else raw
    if not body.isdigit():
        raise CommandError(errors.INVALID_CURSOR)
    value = int(body)
    if value > _MASK:
        raise CommandError(errors.INVALID_CURSOR)
    return (-value) & _MASK if raw[0] == 45 else value


def parse_scan_options(argv: list[bytes], start: int) -> tuple[int, Callable[[bytes], bool] | None]:
    """COUNT and MATCH after the cursor (the last of each wins); TYPE is SCAN's only."""
    from ..commands.args import parse_int
    count = 10
    pattern: bytes | None = None
    i = start
    n = len(argv)
    while i < n:
        opt = argv[i].lower()
        if opt == b"count" and n - i >= 2:
            count = parse_int(argv[i + 1])
            if count < 1:
                raise CommandError(errors.SYNTAX)
        elif opt == b"match" and n - i >= 2:
            pattern = argv[i + 1]
        else:
            raise CommandError(errors.SYNTAX)
        i += 2
    if pattern is None or pattern == b"*":
        return count, None
    return count, compile_glob(pattern)


def _sorted_by_hash(members: Collection[bytes]) -> tuple[array, tuple]:
    ordered = tuple(sorted(members, key=hash))
    return array("q", map(hash, ordered)), ordered


def scan_step(container: Any, cursor: int, count: int) -> tuple[int, list[bytes]]:
    """Up to ``count`` live members from ``cursor`` on, and the next cursor (0 = done).

    ``container`` is a :class:`~damselfly.types.Hash` or :class:`~damselfly.types.Set`
    (anything with a ``scan`` slot holding the cache, dropped on additions).
    """
    cache = container.scan
    if cache is None or len(cache[1]) > 2 * len(container) + 16:
        cache = container.scan = _sorted_by_hash(container)
    hashes, members = cache
    n = len(members)
    # cursors are unsigned; hashes are signed: shifting by 2**63 keeps the order
    i = bisect_left(hashes, cursor - _SHIFT)
    out: list[bytes] = []
    end = min(n, i + count)
    while i < end:
        m = members[i]
        if m in container:
            out.append(m)
        i += 1
    # never split members with equal hashes across two calls
    while i < n and hashes[i] == hashes[i - 1]:
        m = members[i]
        if m in container:
            out.append(m)
        i += 1
    if i >= n:
        return 0, out
    return hashes[i - 1] + 1 + _SHIFT, out
