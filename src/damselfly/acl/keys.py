"""Which keys a command line touches, and whether it reads or writes each one.

Positions come from :mod:`damselfly.commands.getkeys` (the same code as
COMMAND GETKEYS). The permission each key needs comes from Redis's key specs
(:mod:`.keyspecs`, generated from redis-server): READ for specs flagged
``access``, WRITE for ``insert``/``delete``/``update``, nothing for specs with
neither (EXISTS, TYPE: any key pattern allows them, as in Redis). A key that
several specs cover needs each spec's permission, checked separately.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..commands.getkeys import ACCESS, DELETE, INSERT, UPDATE, KeysError, find_keys, key_positions
from .keyspecs import SPECS, VARIABLE
from .users import ALL_PERMS, READ, WRITE

if TYPE_CHECKING:  # pragma: no cover
    from ..commands.registry import CommandSpec


def _spec_positions(kind: str, a: int, b: int, c: int, d: int, argc: int) -> list[int]:
    """Redis's ``getKeysUsingKeySpecs`` for one index + range spec."""
    first = a
    if first >= argc:
        return []
    if kind == "range":
        lastkey, step, limit = b, c, d
        if lastkey >= 0:
            last = first + lastkey
        elif limit <= 1:
            last = argc + lastkey
        else:
            last = first + ((argc - first) // limit + lastkey)
        return list(range(first, min(last, argc - 1) + 1, step or 1))
    return []


def _keynum_positions(argv: list[bytes], a: int, keynumidx: int, firstkey: int, step: int) -> list[int]:
    at = a + keynumidx
    try:
        n = int(argv[at])
    except (IndexError, ValueError):
        return []
    start = a + firstkey
    return [p for p in range(start, start + n * (step or 1), step or 1) if p < len(argv)]


def _variable_perm(spec: "CommandSpec", argv: list[bytes]) -> int:
    """The permission of a variable-flag command (SET ... GET, BITFIELD), from the flags Redis's
    own key finder gives this argument list (``getkeys.find_keys``): ``access`` reads,
    ``insert``/``delete``/``update`` write. BITFIELD of complete GETs only reads; anything else,
    a malformed GET included, may write."""
    perm = 0
    for _, flags in find_keys(spec, argv):
        perm |= (READ if flags & ACCESS else 0) | (WRITE if flags & (INSERT | DELETE | UPDATE) else 0)
    return perm


def keys_with_perms(spec: "CommandSpec", argv: list[bytes]) -> list[tuple[int, int]]:
    """``(position, perm)`` for every key ``argv`` names (a key may appear more than once)."""
    if spec.first_key > 0 and "movablekeys" not in spec.flags:
        positions = spec.key_indexes(argv)  # the common case, without getkeys' table lookups
    else:
        try:
            positions = key_positions(spec, argv)
        except KeysError:
            return []
    if not positions:
        return []
    specs = SPECS.get(spec.full_name)
    if not specs:
        return [(p, ALL_PERMS) for p in positions]
    if spec.full_name in VARIABLE:
        perm = _variable_perm(spec, argv)
        return [(p, perm) for p in positions]
    if len(specs) == 1:
        perm = specs[0][0]
        return [(p, perm) for p in positions]
    out: list[tuple[int, int]] = []
    covered: set[int] = set()
    unknown_perm = None
    argc = len(argv)
    for perm, kind, a, b, c, d in specs:
        if kind == "range":
            found = _spec_positions(kind, a, b, c, d, argc)
        elif kind == "keynum":
            found = _keynum_positions(argv, a, b, c, d)
        else:
            unknown_perm = perm  # the last unknown spec: SORT's STORE
            continue
        for p in found:
            if p in positions:
                out.append((p, perm))
                covered.add(p)
    rest = [p for p in positions if p not in covered]
    if rest:
        fallback = unknown_perm if unknown_perm is not None else ALL_PERMS
        out.extend((p, fallback) for p in rest)
    return out
