"""Key specs, and the keys of a full command line, as Redis 7.0 finds them.

The key specs are redis-server's own (:mod:`.keyspec_table`, generated from
its COMMAND INFO); this module gives them their meaning. Redis has two ways
to find keys, and both are here:

* :func:`find_keys` is ``getKeysFromCommandWithSpecs`` (COMMAND GETKEYS and
  GETKEYSANDFLAGS): the key specs when they can be evaluated and their flags
  are fixed, else the command's own finder (Redis's ``getkeys_proc``, listed
  in :data:`_NATIVE`), which SET and BITFIELD need for their argument-dependent
  flags, SORT for its STORE keyword, and the numkeys commands when the spec
  rejects their numkeys argument.
* :func:`key_positions` is ``getKeysFromCommand`` (client tracking, ACL key
  positions): the command's own finder when it has one, else the legacy
  (first, last, step) triple.

The command's own finders behave as Redis's do, quirks included: the numkeys
ones read numkeys with C's ``atoi`` (``2abc`` is 2), report no flags, and put
the destination key last; SORT rescans the argument after STORE.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .keyspec_table import KEY_SPECS
from .registry import CommandSpec

# Redis's key-spec flags, in the order COMMAND INFO lists them (bit i is name i).
KEY_FLAG_NAMES = ("RO", "RW", "OW", "RM", "access", "update", "insert", "delete", "not_key", "incomplete",
                  "variable_flags")
_BITS = {name: 1 << i for i, name in enumerate(KEY_FLAG_NAMES)}
RO, RW, OW, RM = _BITS["RO"], _BITS["RW"], _BITS["OW"], _BITS["RM"]
ACCESS, UPDATE, INSERT, DELETE = _BITS["access"], _BITS["update"], _BITS["insert"], _BITS["delete"]
NOT_KEY, INCOMPLETE, VARIABLE_FLAGS = _BITS["not_key"], _BITS["incomplete"], _BITS["variable_flags"]


def flag_names(flags: int) -> list[str]:
    """The names of the bits set in ``flags``, in Redis's order."""
    return [name for i, name in enumerate(KEY_FLAG_NAMES) if flags >> i & 1]


@dataclass(frozen=True, slots=True)
class KeySpec:
    """One key spec: where the search for keys begins and how the keys are found from there.

    ``begin`` is ``("index", index)``, ``("keyword", keyword, startfrom)`` or
    ``("unknown",)``; ``find`` is ``("range", lastkey, keystep, limit)``,
    ``("keynum", keynumidx, firstkey, keystep)`` or ``("unknown",)``.
    """

    flags: int
    begin: tuple[str | int, ...]
    find: tuple[str | int, ...]
    notes: str | None


def _compile(flags: str, begin: tuple[str | int, ...], find: tuple[str | int, ...], notes: str | None) -> KeySpec:
    bits = 0
    for name in flags.split():
        bits |= _BITS[name]
    return KeySpec(bits, begin, find, notes)


SPECS: dict[str, tuple[KeySpec, ...]] = {
    name: tuple(_compile(*row) for row in rows) for name, rows in KEY_SPECS.items()
}


def key_specs_of(spec: CommandSpec) -> tuple[KeySpec, ...]:
    """The command's key specs (empty for commands without keys)."""
    return SPECS.get(spec.full_name, ())


class KeysError(ValueError):
    """The arguments do not let the keys be found (Redis: "Invalid arguments specified")."""


# -- C string helpers: Redis compares and converts arguments as NUL-terminated strings ----------

def _cword(arg: bytes) -> bytes:
    """``arg`` as ``strcasecmp`` sees it: up to its first NUL byte, lowercased."""
    return arg.split(b"\0", 1)[0].lower()


def _atoi(arg: bytes) -> int:
    """glibc's ``atoi``: leading blanks, a sign, the digits that follow; saturated, then cut to 32 bits."""
    text = arg.split(b"\0", 1)[0].lstrip(b" \t\n\v\f\r")
    sign = 1
    if text[:1] in (b"+", b"-"):
        sign = -1 if text[:1] == b"-" else 1
        text = text[1:]
    digits = 0
    while digits < len(text) and 48 <= text[digits] <= 57:
        digits += 1
    if digits > 19:  # past 64 bits whatever the digits (and int() refuses very long strings)
        value = sign << 63
    else:
        value = sign * int(text[:digits]) if digits else 0
    value = max(-(1 << 63), min((1 << 63) - 1, value))  # strtol saturates at LONG_MIN/LONG_MAX
    return (value + (1 << 31)) % (1 << 32) - (1 << 31)


def _string2ll(arg: bytes) -> int | None:
    """Redis's strict ``string2ll``: optional ``-``, no leading zeros or blanks, within 64 bits."""
    body = arg[1:] if arg[:1] == b"-" else arg
    if not body or len(body) > 19 or not body.isdigit() or (body[:1] == b"0" and arg != b"0"):
        return None
    value = int(arg)
    return value if -(1 << 63) <= value < (1 << 63) else None


def _int32(value: int) -> int:
    return (value + (1 << 31)) % (1 << 32) - (1 << 31)


def _cdiv(a: int, b: int) -> int:
    """C's integer division (truncates toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


# -- key specs (getKeysUsingKeySpecs) ----------------------------------------------------------

def _keyword_start(argv: list[bytes], keyword: str, startfrom: int) -> int:
    """Where the keys after ``keyword`` begin (0: keyword absent); the search excludes its far end."""
    argc = len(argv)
    word = keyword.lower().encode()
    start = startfrom if startfrom > 0 else argc + startfrom
    end = argc - 1 if startfrom > 0 else 1
    step = 1 if start <= end else -1
    i = start
    while i != end:
        if i >= argc or i < 1:
            break
        if _cword(argv[i]) == word:
            return i + 1
        i += step
    return 0


def _keys_from_specs(specs: tuple[KeySpec, ...], argv: list[bytes]) -> list[tuple[int, int]] | None:
    """``(position, flags)`` of every key the specs find; None when a spec cannot be evaluated."""
    argc = len(argv)
    keys: list[tuple[int, int]] = []
    for ks in specs:
        if ks.flags & NOT_KEY:
            continue
        begin, find = ks.begin, ks.find
        if begin[0] == "index":
            first = int(begin[1])
        elif begin[0] == "keyword":
            first = _keyword_start(argv, str(begin[1]), int(begin[2]))
            if not first:
                continue
        else:
            return None
        if find[0] == "range":
            lastkey, step, limit = int(find[1]), int(find[2]), int(find[3])
            if lastkey >= 0:
                last = first + lastkey
            elif not limit:
                last = argc + lastkey
            else:
                last = first + (_cdiv(argc - first, limit) + lastkey)
        elif find[0] == "keynum":
            keynumidx, firstkey, step = int(find[1]), int(find[2]), int(find[3])
            if keynumidx >= argc or first + keynumidx >= argc:
                return None
            numkeys = _string2ll(argv[first + keynumidx])
            if numkeys is None or numkeys < 0:
                return None
            first += firstkey
            last = _int32(first + _int32(numkeys) - 1)
        else:
            return None
        if last >= argc or last < first or first >= argc:
            return None
        keys.extend((i, ks.flags) for i in range(first, last + 1, max(step, 1)))
        if ks.flags & INCOMPLETE:
            return None
    return keys


# -- the commands' own finders (getkeys_proc) --------------------------------------------------

Finder = Callable[[list[bytes]], list[tuple[int, int]]]


def _numkeys(store_at: int, count_at: int, first: int, step: int = 1) -> Finder:
    """Redis's ``genericGetKeys``: numkeys keys from ``first``, then the destination; no flags."""
    def find(argv: list[bytes]) -> list[tuple[int, int]]:
        if count_at >= len(argv):
            return []
        num = _atoi(argv[count_at])
        if num < 1 or num > _cdiv(len(argv) - first, step):
            return []
        keys = [(first + i * step, 0) for i in range(num)]
        if store_at:
            keys.append((store_at, 0))
        return keys
    return find


_SORT_SKIP = {b"limit": 2, b"get": 1, b"by": 1}


def _sort(argv: list[bytes]) -> list[tuple[int, int]]:
    """SORT key ... [STORE dest]: the last STORE wins; the word after STORE is scanned too."""
    keys = [(1, RO | ACCESS)]
    store: tuple[int, int] | None = None
    i = 2
    while i < len(argv):
        word = _cword(argv[i])
        if word in _SORT_SKIP:
            i += _SORT_SKIP[word]
        elif word == b"store" and i + 1 < len(argv):
            store = (i + 1, OW | UPDATE)
        i += 1
    return keys + [store] if store else keys


def _sort_ro(argv: list[bytes]) -> list[tuple[int, int]]:
    return [(1, RO | ACCESS)]


def _set(argv: list[bytes]) -> list[tuple[int, int]]:
    """SET key value ... GET reads the key as well as overwriting it."""
    if any(_cword(arg) == b"get" for arg in argv[3:]):
        return [(1, RW | ACCESS | UPDATE)]
    return [(1, OW | UPDATE)]


def _bitfield(argv: list[bytes]) -> list[tuple[int, int]]:
    """BITFIELD of only complete GETs (and OVERFLOWs) reads; anything else may write."""
    i = 2
    while i < len(argv):
        word, remaining = _cword(argv[i]), len(argv) - i - 1
        if word == b"get" and remaining >= 2:
            i += 3
        elif word == b"overflow" and remaining >= 1:
            i += 2
        else:
            return [(1, RW | ACCESS | UPDATE)]
    return [(1, RO | ACCESS)]


_NATIVE: dict[str, Finder] = {
    "zunionstore": _numkeys(1, 2, 3),
    "zinterstore": _numkeys(1, 2, 3),
    "zdiffstore": _numkeys(1, 2, 3),
    "zunion": _numkeys(0, 1, 2),
    "zinter": _numkeys(0, 1, 2),
    "zdiff": _numkeys(0, 1, 2),
    "zintercard": _numkeys(0, 1, 2),
    "sintercard": _numkeys(0, 1, 2),
    "lmpop": _numkeys(0, 1, 2),
    "zmpop": _numkeys(0, 1, 2),
    "blmpop": _numkeys(0, 2, 3),
    "bzmpop": _numkeys(0, 2, 3),
    "sort": _sort,
    "sort_ro": _sort_ro,
    "set": _set,
    "bitfield": _bitfield,
}


# -- the two entry points ----------------------------------------------------------------------

def has_keys(spec: CommandSpec) -> bool:
    """Redis's ``doesCommandHaveKeys``: an own finder, or a key spec not marked ``not_key``."""
    return spec.full_name in _NATIVE or any(not ks.flags & NOT_KEY for ks in key_specs_of(spec))


def find_keys(spec: CommandSpec, argv: list[bytes]) -> list[tuple[int, int]]:
    """``(position, key-spec flags)`` of each key in ``argv`` (Redis's ``getKeysFromCommandWithSpecs``).

    Empty when the keys cannot be found (COMMAND GETKEYS: "Invalid arguments").
    """
    specs = key_specs_of(spec)
    if any(not ks.flags & NOT_KEY for ks in specs) and not any(ks.flags & VARIABLE_FLAGS for ks in specs):
        found = _keys_from_specs(specs, argv)
        if found is not None:
            return found
    native = _NATIVE.get(spec.full_name)
    return native(argv) if native is not None else []


def key_positions(spec: CommandSpec, argv: list[bytes]) -> list[int]:
    """Positions of the keys in ``argv`` (``argv[0]`` is the command name); Redis's ``getKeysFromCommand``.

    Raises :class:`KeysError` when a movable-key command's arguments do not
    let its keys be found, unless its keys are optional (``no_mandatory_keys``).
    """
    native = _NATIVE.get(spec.full_name)
    if native is None:
        if "movablekeys" in spec.flags:
            raise KeysError
        return spec.key_indexes(argv)
    positions = [pos for pos, _flags in native(argv)]
    if not positions and "no_mandatory_keys" not in spec.flags:
        raise KeysError
    return positions
