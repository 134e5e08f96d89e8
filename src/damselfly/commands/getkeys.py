"""Key positions of a full command line, movable-key commands included.

The legacy (first, last, step) triple of a spec covers most commands. The
``movablekeys`` ones find their keys from a ``numkeys`` argument or a
keyword, as Redis's ``getkeys_proc`` functions do; their rules are listed in
:data:`_MOVABLE` by command name. COMMAND GETKEYS reads this module, and so
can any subsystem that needs the keys of an arbitrary command (tracking,
ACL key patterns).
"""
from __future__ import annotations

from typing import Callable

from .registry import CommandSpec


class KeysError(ValueError):
    """The arguments do not let the keys be found (Redis: "Invalid arguments specified")."""


def _numkeys(numkeys_at: int, first_key: int, leading: tuple[int, ...] = ()) -> Callable[[list[bytes]], list[int]]:
    """Keys are ``leading`` positions, then ``numkeys`` keys from ``first_key`` on."""
    def find(argv: list[bytes]) -> list[int]:
        if numkeys_at >= len(argv):
            raise KeysError
        try:
            n = int(argv[numkeys_at])
        except ValueError:
            raise KeysError from None
        if n <= 0 or first_key + n > len(argv):
            raise KeysError
        return list(leading) + list(range(first_key, first_key + n))
    return find


def _sort_keys(argv: list[bytes]) -> list[int]:
    """SORT key ... [STORE dest]: Redis's ``sortGetKeys`` (skips LIMIT's and GET/BY's argument)."""
    keys = [1]
    skip = {b"limit": 2, b"get": 1, b"by": 1}
    i = 2
    while i < len(argv):
        word = argv[i].lower()
        if word in skip:
            i += skip[word]
        elif word == b"store" and i + 1 < len(argv):
            keys = [1, i + 1]  # the last STORE wins, as in Redis
            i += 1
        i += 1
    return keys


_MOVABLE: dict[str, Callable[[list[bytes]], list[int]]] = {
    "zunion": _numkeys(1, 2),
    "zinter": _numkeys(1, 2),
    "zdiff": _numkeys(1, 2),
    "zintercard": _numkeys(1, 2),
    "sintercard": _numkeys(1, 2),
    "lmpop": _numkeys(1, 2),
    "zmpop": _numkeys(1, 2),
    "blmpop": _numkeys(2, 3),
    "bzmpop": _numkeys(2, 3),
    "zunionstore": _numkeys(2, 3, (1,)),
    "zinterstore": _numkeys(2, 3, (1,)),
    "zdiffstore": _numkeys(2, 3, (1,)),
    "eval": _numkeys(2, 3),
    "evalsha": _numkeys(2, 3),
    "eval_ro": _numkeys(2, 3),
    "evalsha_ro": _numkeys(2, 3),
    "fcall": _numkeys(2, 3),
    "fcall_ro": _numkeys(2, 3),
    "sort": _sort_keys,
    "sort_ro": _sort_keys,
}

# Commands whose keys may all be absent (EVAL with numkeys 0): an empty answer, not an error.
_NO_MANDATORY = frozenset({"eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro"})


def has_keys(spec: CommandSpec) -> bool:
    """Redis's ``doesCommandHaveKeys``."""
    return spec.first_key > 0 or "movablekeys" in spec.flags or spec.full_name in _MOVABLE


def can_find(spec: CommandSpec) -> bool:
    """Whether damselfly knows how to find this command's keys."""
    return "movablekeys" not in spec.flags or spec.full_name in _MOVABLE


def key_positions(spec: CommandSpec, argv: list[bytes]) -> list[int]:
    """Positions of the keys in ``argv`` (``argv[0]`` is the command name)."""
    finder = _MOVABLE.get(spec.full_name)
    if finder is None:
        if "movablekeys" in spec.flags:
            raise KeysError
        return spec.key_indexes(argv)
    try:
        return finder(argv)
    except KeysError:
        if spec.full_name in _NO_MANDATORY or "no_mandatory_keys" in spec.flags:
            return []
        raise
