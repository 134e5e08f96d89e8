"""COMMAND INFO, COUNT, LIST, GETKEYS and GETKEYSANDFLAGS against redis-server's.

Every implemented command and subcommand's COMMAND INFO entry must equal
redis-server's byte for byte, all ten elements (name, arity, flags, legacy
key positions, ACL categories, tips, key specs, subcommands), in RESP2 and in
RESP3. Two exemptions, both in the subcommands element only:

* order: redis-server lists a container's subcommands in the order of a dict
  whose hash is seeded at random when the server starts (two redis-server
  processes disagree), so the subcommand entries are compared as a sorted
  list, each entry byte for byte;
* :data:`_NOT_IMPLEMENTED` subcommands are left out of redis-server's list:
  damselfly's containers list only the subcommands it runs.

COMMAND and COMMAND LIST are in the same hash order, so they are compared as
sets, restricted to the commands damselfly implements, and everything else
redis-server lists must be unknown to damselfly. The last test runs the key
spec generator in check mode, so the generated table cannot drift from the
reference server or from the command table.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from damselfly.commands import build_table

from ..resp import parse_reply
from .conftest import Pair, _element_end

_TABLE = build_table()
_SPECS = {spec.full_name: spec for spec in _TABLE.all_specs()}
_FIELDS = ("name", "arity", "flags", "first key", "last key", "step", "ACL categories", "tips", "key specs",
           "subcommands")

# Subcommands redis-server has and damselfly does not run (their container's entry lacks them).
_NOT_IMPLEMENTED = frozenset({
    "latency|histogram",  # damselfly keeps no per-command latency histograms
})

_ROOT = Path(__file__).resolve().parents[2]
_NULLS = (b"_\r\n", b"$-1\r\n")  # an unknown name's entry (RESP3, RESP2)


def _elements(frame: bytes) -> tuple[bytes, list[bytes]]:
    """An aggregate frame's header line and the frames of its elements (a map's keys and values in turn)."""
    head_end = frame.index(b"\r\n") + 2
    items, pos = [], head_end
    while pos < len(frame):
        end = _element_end(frame, pos)
        items.append(frame[pos:end])
        pos = end
    return frame[:head_end], items


def _name(entry: bytes) -> str:
    return parse_reply(_elements(entry)[1][0]).decode()


def _fields(entry: bytes) -> list[bytes]:
    """An entry's ten elements; the subcommands element normalised as the module doc says."""
    head, fields = _elements(entry)
    assert head == b"*10\r\n", entry[:40]
    sub_head, subs = _elements(fields[9])
    kept = sorted(sub for sub in subs if _name(sub) not in _NOT_IMPLEMENTED)
    fields[9] = sub_head[:1] + str(len(kept)).encode() + b"\r\n" + b"".join(kept)
    return fields


def _assert_same_entry(ours: bytes, theirs: bytes) -> None:
    mine, ref = _fields(ours), _fields(theirs)
    name = _name(theirs)
    for field, a, b in zip(_FIELDS, mine, ref):
        assert a == b, f"{name}: {field} differs: damselfly {a!r}, redis {b!r}"


def _entries(reply: bytes) -> list[bytes]:
    head, entries = _elements(reply)
    assert head[:1] == b"*", head
    return entries


def test_exemptions_name_only_unimplemented_subcommands() -> None:
    for name in _NOT_IMPLEMENTED:
        assert name not in _SPECS, f"{name} is implemented now: drop it from _NOT_IMPLEMENTED"


@pytest.mark.parametrize("name", sorted(_SPECS))
@pytest.mark.parametrize("protocol", [2, 3])
def test_command_info_entry_is_identical(pair: Pair, name: str, protocol: int) -> None:
    if protocol == 3:
        pair.both("HELLO", "3")
    ours, theirs = pair.both("COMMAND", "INFO", name)
    their_entries = _entries(theirs)
    assert len(their_entries) == 1 and their_entries[0] not in _NULLS, f"{name}: redis-server has no such command"
    our_entries = _entries(ours)
    assert len(our_entries) == 1 and our_entries[0] not in _NULLS, f"{name}: missing from damselfly"
    _assert_same_entry(our_entries[0], their_entries[0])


@pytest.mark.parametrize("protocol", [2, 3])
def test_command_info_of_several_names(pair: Pair, protocol: int) -> None:
    if protocol == 3:
        pair.both("HELLO", "3")
    # entries without subcommands, unknown names and a subcommand: the whole reply, byte for byte
    pair.check("COMMAND", "INFO", "get", "ZUNIONSTORE", "nosuch", "memory|usage", "client|id", "sort", "set",
               "client|nosuch", "get")
    # containers' subcommands come in redis-server's hash order: entry by entry
    ours, theirs = pair.both("COMMAND", "INFO", "object", "bitfield", "config", "nosuch")
    our_entries, their_entries = _entries(ours), _entries(theirs)
    assert len(our_entries) == len(their_entries) == 4
    for a, b in zip(our_entries, their_entries):
        if b in _NULLS:
            assert a == b
        else:
            _assert_same_entry(a, b)


@pytest.mark.parametrize("words", [("COMMAND",), ("COMMAND", "INFO")], ids=["command", "info"])
def test_every_entry_of_the_whole_table(pair3: Pair, words: tuple[str, ...]) -> None:
    ours, theirs = pair3.both(*words)
    mine = {_name(e): e for e in _entries(ours)}
    ref = {_name(e): e for e in _entries(theirs)}
    assert len(mine) == len(_TABLE)
    assert set(mine) <= set(ref), f"not in redis-server: {sorted(set(mine) - set(ref))}"
    for name, entry in mine.items():
        _assert_same_entry(entry, ref[name])
    _assert_unknown_to_damselfly(pair3, set(ref) - set(mine))


def _assert_unknown_to_damselfly(pair: Pair, names: set[str]) -> None:
    """Everything redis-server lists and damselfly does not is unknown to damselfly, not half there."""
    if not names:
        return
    ordered = sorted(names)
    reply = parse_reply(pair.ours.command("COMMAND", "INFO", *ordered))
    assert reply == [None] * len(ordered), [n for n, e in zip(ordered, reply) if e is not None]
    for name in ordered:
        if "|" not in name:
            assert pair.ours.command(name).startswith(b"-ERR unknown command"), name


def test_command_count(pair: Pair) -> None:
    ours = parse_reply(pair.ours.command("COMMAND", "COUNT"))
    theirs = parse_reply(pair.theirs.command("COMMAND", "COUNT"))
    assert ours == len(_TABLE)
    their_names = {n.decode() for n in parse_reply(pair.theirs.command("COMMAND", "LIST")) if b"|" not in n}
    assert theirs == len(their_names)
    assert {spec.name for spec in _TABLE} <= their_names
    missing = their_names - {spec.name for spec in _TABLE}
    assert theirs - ours == len(missing)
    _assert_unknown_to_damselfly(pair, missing)


@pytest.mark.parametrize("filters", [
    (), ("FILTERBY", "ACLCAT", "string"), ("FILTERBY", "ACLCAT", "dangerous"), ("FILTERBY", "ACLCAT", "Connection"),
    ("FILTERBY", "ACLCAT", "nosuch"), ("FILTERBY", "PATTERN", "*range*"), ("FILTERBY", "PATTERN", "CLIENT|*"),
    ("FILTERBY", "PATTERN", "z?n*"), ("FILTERBY", "MODULE", "x"),
], ids=lambda f: " ".join(f) or "all")
def test_command_list(pair: Pair, filters: tuple[str, ...]) -> None:
    ours = parse_reply(pair.ours.command("COMMAND", "LIST", *filters))
    theirs = parse_reply(pair.theirs.command("COMMAND", "LIST", *filters))
    assert len(ours) == len(set(ours))
    assert set(ours) == set(theirs) & {n.encode() for n in _SPECS}, "damselfly's filter disagrees with redis-server's"
    _assert_unknown_to_damselfly(pair, {n.decode() for n in set(theirs) - set(ours)})


_GETKEYS_LINES: list[tuple[Any, ...]] = [
    # fixed key positions
    ("get", "k"), ("mset", "a", "1", "b", "2"), ("del", "a", "b", "c"), ("rename", "a", "b"),
    ("copy", "a", "b", "db", "1"), ("lcs", "a", "b"), ("blpop", "a", "b", "0"), ("pfmerge", "d", "a", "b"),
    ("pfcount", "a", "b"), ("exists", "a", "b"), ("getex", "k", "persist"), ("bitop", "and", "d", "a", "b"),
    ("memory", "usage", "k"), ("object", "encoding", "k"), ("watch", "a"), ("hset", "h", "f", "v"),
    ("bitfield_ro", "k", "get", "u8", "0"),
    # variable flags: the command's own finder
    ("set", "k", "v"), ("set", "k", "v", "get"), ("set", "k", "v", "GeT"), ("set", "k", "get", "v"),
    ("set", "k", "v", "px", "10", "get"), ("set", "k", "v", b"get\0x"),
    ("bitfield", "k"), ("bitfield", "k", "get", "u8", "0"), ("bitfield", "k", "get", "u8"),
    ("bitfield", "k", "get", "u8", "0", "set", "u8", "0", "1"), ("bitfield", "k", "overflow", "wrap", "get", "u8", "0"),
    ("bitfield", "k", "get", "u8", "0", "overflow"), ("bitfield", "k", "incrby", "u8", "0", "1"),
    # movable keys: SORT's unknown specs
    ("sort", "k"), ("sort", "k", "store", "d"), ("sort", "k", "by", "x", "get", "y", "store", "d", "limit", "0", "1"),
    ("sort", "k", "store", "limit", "0", "1", "store", "x"), ("sort", "k", "store"),
    ("sort", "k", "STORE", "a", "store", "b"),
    ("sort", "k", "store", "store", "x"), ("sort", "k", "store", "by", "x"),
    ("sort_ro", "k", "by", "x", "get", "y"),
    # movable keys: numkeys specs, and the own finders when string2ll refuses numkeys
    ("zunionstore", "d", "2", "a", "b"), ("zunionstore", "d", "2abc", "a", "b"), ("zunionstore", "d", "0", "a"),
    ("zunionstore", "d", "-1", "a", "b"), ("zunionstore", "d", "01", "a", "b"), ("zunionstore", "d", " 2", "a", "b"),
    ("zunionstore", "d", "+2", "a", "b"), ("zunionstore", "d", "4294967298", "a", "b"),
    ("zunionstore", "d", "99999999999999999999", "a", "b"), ("zunionstore", "d", "3", "a", "b"),
    ("zinterstore", "d", "1", "a", "weights", "2"), ("zdiffstore", "d", "1", "a"), ("zdiffstore", "d", "1x", "a"),
    ("zunion", "2", "a", "b", "weights", "1", "2"), ("zunion", "4294967297x", "a"), ("zunion", "1" * 5000, "a"),
    ("zinter", "1", "a"), ("zdiff", "2x", "a", "b"),
    ("zintercard", "2", "a", "b", "limit", "1"), ("zintercard", "2abc", "a", "b"),
    ("sintercard", "2", "a", "b"), ("sintercard", "2abc", "a", "b"), ("sintercard", "5", "a", "b"),
    ("lmpop", "2", "a", "b", "left"), ("lmpop", "2x", "a", "b", "left"), ("lmpop", "0", "a", "left"),
    ("blmpop", "0", "2", "a", "b", "left"), ("blmpop", "0", "1x", "a", "left"),
    ("zmpop", "1", "a", "min"), ("zmpop", "1a", "a", "min"), ("bzmpop", "0", "1", "a", "min"),
    # no keys, errors
    ("spublish", "ch", "m"), ("ssubscribe", "a", "b"), ("sunsubscribe", "a"), ("ping", "x"), ("client", "list"),
    ("nosuch", "a"), ("get",), ("get", "a", "b"), ("zunionstore", "d"), ("memory",), ("memory", "nosuch", "k"),
    ("object", "encoding"), ("Memory", "USAGE", "k"),
]


@pytest.mark.parametrize("sub", ["GETKEYS", "GETKEYSANDFLAGS"])
@pytest.mark.parametrize("protocol", [2, 3])
def test_getkeys_and_flags(pair: Pair, sub: str, protocol: int) -> None:
    if protocol == 3:
        pair.both("HELLO", "3")
    for line in _GETKEYS_LINES:
        pair.check("COMMAND", sub, *line)


def test_generated_key_spec_table_is_in_sync(redis_server: Any) -> None:
    """commands/keyspec_table.py and acl/redis_commands.py are what the generator writes today."""
    done = subprocess.run([sys.executable, str(_ROOT / "scripts" / "gen_acl_keyspecs.py"), str(redis_server.port),
                           "--check"], cwd=_ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, (
        "generated tables are stale; run scripts/gen_acl_keyspecs.py PORT against redis-server 7.0.15:\n"
        + done.stdout[-4000:] + done.stderr[-2000:])


def test_command_docs_since_and_group_match(pair3: Pair) -> None:
    ours = parse_reply(pair3.ours.command("COMMAND", "DOCS"))
    theirs = parse_reply(pair3.theirs.command("COMMAND", "DOCS"))
    wrong = []
    for name, doc in ours.items():
        ref = theirs.get(name)
        assert ref is not None, name
        for key in (b"since", b"group"):
            if doc[key] != ref[key]:
                wrong.append(f"{name.decode()} {key.decode()}: damselfly {doc[key]!r}, redis {ref[key]!r}")
        for sub, sub_doc in doc.get(b"subcommands", {}).items():
            sub_ref = ref[b"subcommands"][sub]
            for key in (b"since", b"group"):
                if sub_doc[key] != sub_ref[key]:
                    wrong.append(f"{sub.decode()} {key.decode()}: damselfly {sub_doc[key]!r}, redis {sub_ref[key]!r}")
    assert not wrong, "\n".join(wrong)
