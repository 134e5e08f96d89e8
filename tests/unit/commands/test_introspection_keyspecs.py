"""Key specs in COMMAND INFO, and COMMAND GETKEYS/GETKEYSANDFLAGS, without sockets.

Expected values are redis-server 7.0.15's replies (the differential suite
compares the whole table); the synthetic specs below copy the shapes of
commands damselfly does not implement (XREAD's keyword + limited range,
MIGRATE's incomplete keyword spec), with the keys Redis finds for them.
"""
from __future__ import annotations

import pytest

from damselfly.commands import build_table, getkeys
from damselfly.commands.getkeys import (ACCESS, DELETE, INCOMPLETE, NOT_KEY, OW, RO, RW, UPDATE, KeySpec,
                                        find_keys, flag_names, has_keys, key_positions, key_specs_of)
from damselfly.commands.introspection import command_info, key_specs
from damselfly.commands.keyspec_table import KEY_SPECS
from damselfly.commands.registry import CommandSpec
from damselfly.protocol.reply import encode

from ._server_fixtures import Harness

_TABLE = build_table()
_BY_NAME = {spec.full_name: spec for spec in _TABLE.all_specs()}


@pytest.fixture
def h() -> Harness:
    return Harness()


def _words(line: str) -> list[bytes]:
    return [w.encode() for w in line.split()]


def test_every_table_entry_names_an_implemented_command_and_known_flags() -> None:
    for name, rows in KEY_SPECS.items():
        assert name in _BY_NAME, name
        for flags, _begin, _find, _notes in rows:
            assert set(flags.split()) <= set(getkeys.KEY_FLAG_NAMES), (name, flags)
    assert len(key_specs_of(_BY_NAME["sort"])) == 3 and key_specs_of(_BY_NAME["ping"]) == ()


def test_flag_names_follow_redis_order() -> None:
    assert flag_names(UPDATE | RW | ACCESS | getkeys.VARIABLE_FLAGS) == ["RW", "access", "update", "variable_flags"]
    assert flag_names(0) == []


def test_entry_bytes_match_redis_in_both_protocols() -> None:
    getdel = _BY_NAME["getdel"]
    assert encode(command_info(getdel), 2) == (
        b"*10\r\n$6\r\ngetdel\r\n:2\r\n*2\r\n+write\r\n+fast\r\n:1\r\n:1\r\n:1\r\n*3\r\n+@write\r\n+@string\r\n"
        b"+@fast\r\n*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n*3\r\n+RW\r\n+access\r\n+delete\r\n$12\r\nbegin_search\r\n"
        b"*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n"
        b"$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n"
        b"$5\r\nlimit\r\n:0\r\n*0\r\n")
    assert encode(command_info(getdel), 3) == (
        b"*10\r\n$6\r\ngetdel\r\n:2\r\n~2\r\n+write\r\n+fast\r\n:1\r\n:1\r\n:1\r\n~3\r\n+@write\r\n+@string\r\n"
        b"+@fast\r\n~0\r\n~1\r\n%3\r\n$5\r\nflags\r\n~3\r\n+RW\r\n+access\r\n+delete\r\n$12\r\nbegin_search\r\n"
        b"%2\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n%1\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n%2\r\n"
        b"$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n%3\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n"
        b"$5\r\nlimit\r\n:0\r\n~0\r\n")


def test_notes_come_first_and_unknown_specs_are_empty_maps() -> None:
    specs = key_specs(_BY_NAME["sort"])
    assert [list(s) for s in specs] == [["flags", "begin_search", "find_keys"],
                                        ["notes", "flags", "begin_search", "find_keys"],
                                        ["notes", "flags", "begin_search", "find_keys"]]
    assert specs[2]["notes"].startswith("For the optional STORE keyword")
    assert list(specs[2]["flags"]) == ["OW", "update"]
    assert specs[2]["begin_search"] == {"type": "unknown", "spec": {}}
    assert specs[2]["find_keys"] == {"type": "unknown", "spec": {}}
    zunionstore = key_specs(_BY_NAME["zunionstore"])
    assert zunionstore[1]["find_keys"] == {"type": "keynum", "spec": {"keynumidx": 0, "firstkey": 1, "keystep": 1}}


def test_not_key_specs_mean_no_keys() -> None:
    assert key_specs_of(_BY_NAME["spublish"])[0].flags == NOT_KEY
    assert not has_keys(_BY_NAME["spublish"]) and not has_keys(_BY_NAME["ssubscribe"])
    assert has_keys(_BY_NAME["get"]) and has_keys(_BY_NAME["zunion"]) and not has_keys(_BY_NAME["ping"])


def test_every_movable_key_command_has_its_own_finder() -> None:
    for spec in _TABLE.all_specs():
        assert "movablekeys" not in spec.flags or spec.full_name in getkeys._NATIVE, spec.full_name


@pytest.mark.parametrize("line,expected", [
    ("get k", [(1, RO | ACCESS)]),
    ("del a b", [(1, getkeys.RM | DELETE), (2, getkeys.RM | DELETE)]),
    ("mset a 1 b 2", [(1, OW | UPDATE), (3, OW | UPDATE)]),
    # the specs: destination first, with their flags
    ("zunionstore d 2 a b", [(1, OW | UPDATE), (3, RO | ACCESS), (4, RO | ACCESS)]),
    # (int)4294967298 is 2 in C
    ("zunionstore d 4294967298 a b", [(1, OW | UPDATE), (3, RO | ACCESS), (4, RO | ACCESS)]),
    # string2ll refuses these: the own finder's atoi takes them, without flags, destination last
    ("zunionstore d 2abc a b", [(3, 0), (4, 0), (1, 0)]),
    ("zunionstore d 01 a b", [(3, 0), (1, 0)]),
    ("zunionstore d 0 a", []),
    ("zunionstore d 99999999999999999999 a b", []),  # LONG_MAX cut to int is -1
    ("lmpop 2x a b left", [(2, 0), (3, 0)]),
    ("blmpop 0 2 a b left", [(3, RW | ACCESS | DELETE), (4, RW | ACCESS | DELETE)]),
    # SET and BITFIELD have variable flags: their own finders answer
    ("set k v", [(1, OW | UPDATE)]),
    ("set k v GeT", [(1, RW | ACCESS | UPDATE)]),
    ("set k get v", [(1, OW | UPDATE)]),
    ("bitfield k", [(1, RO | ACCESS)]),
    ("bitfield k overflow wrap get u8 0", [(1, RO | ACCESS)]),
    ("bitfield k get u8", [(1, RW | ACCESS | UPDATE)]),
    ("bitfield k get u8 0 set u8 0 1", [(1, RW | ACCESS | UPDATE)]),
    # SORT's unknown specs: its own finder; the word after STORE is scanned again
    ("sort k by x get y store d limit 0 1", [(1, RO | ACCESS), (7, OW | UPDATE)]),
    ("sort k store limit 0 1 store x", [(1, RO | ACCESS), (7, OW | UPDATE)]),
    ("sort k store", [(1, RO | ACCESS)]),
    ("sort k store store x", [(1, RO | ACCESS), (4, OW | UPDATE)]),
    ("sort_ro k by x store d", [(1, RO | ACCESS)]),
])
def test_find_keys(line: str, expected: list[tuple[int, int]]) -> None:
    words = _words(line)
    assert find_keys(_BY_NAME[words[0].decode()], words) == expected


def test_set_get_is_compared_as_a_c_string() -> None:
    assert find_keys(_BY_NAME["set"], [b"set", b"k", b"v", b"get\0x"]) == [(1, RW | ACCESS | UPDATE)]
    assert find_keys(_BY_NAME["zunion"], [b"zunion", b" +2", b"a", b"b"]) == [(2, 0), (3, 0)]
    assert find_keys(_BY_NAME["zunion"], [b"zunion", b"1" * 5000, b"a"]) == []  # saturates, then -1 as an int
    assert find_keys(_BY_NAME["zunion"], [b"zunion", b"-" + b"9" * 30, b"a"]) == []


_XREAD = (KeySpec(RO | ACCESS, ("keyword", "STREAMS", 1), ("range", -1, 1, 2), None),)
_MIGRATE = (KeySpec(RW | ACCESS | DELETE, ("index", 3), ("range", 0, 1, 0), None),
            KeySpec(RW | ACCESS | DELETE | INCOMPLETE, ("keyword", "KEYS", -2), ("range", -1, 1, 0), None))


@pytest.mark.parametrize("specs,line,expected", [
    (_XREAD, "xread streams a b 1 2", [2, 3]),
    (_XREAD, "xread count 2 streams a 1", [4]),
    (_XREAD, "xread streams a b 1", [2]),
    (_XREAD, "xread streams streams a 1 2", [2, 3]),
    (_XREAD, "xread streams a b c d e", [2, 3]),
    (_XREAD, "xread count streams a", []),  # the range ends before it begins
    (_XREAD, "xread count 2 a b", []),  # no keyword: no keys
    (_MIGRATE, "migrate h p k 0 5", [3]),  # KEYS absent: its spec is skipped
    (_MIGRATE, "migrate h p x 0 5 keys a b", []),  # an incomplete spec found keys: the specs give up
])
def test_keyword_and_incomplete_specs(monkeypatch: pytest.MonkeyPatch, specs: tuple[KeySpec, ...], line: str,
                                      expected: list[int]) -> None:
    """Keyword searches and limited ranges as Redis evaluates them (expected: redis-server's XREAD)."""
    words = _words(line)
    name = words[0].decode()
    monkeypatch.setitem(getkeys.SPECS, name, specs)
    assert [pos for pos, _flags in find_keys(CommandSpec(name, -1), words)] == expected


def test_negative_startfrom_searches_backwards(monkeypatch: pytest.MonkeyPatch) -> None:
    complete = (KeySpec(RW, ("keyword", "KEYS", -2), ("range", -1, 1, 0), None),)
    monkeypatch.setitem(getkeys.SPECS, "x", complete)
    spec = CommandSpec("x", -1)
    assert find_keys(spec, _words("x keys a keys b c")) == [(4, RW), (5, RW)]  # the last KEYS found first
    assert find_keys(spec, _words("x a keys")) == []  # the search stops short of the end: no keyword


def test_key_positions_use_the_own_finder_or_the_legacy_triple() -> None:
    assert key_positions(_BY_NAME["zunionstore"], _words("zunionstore d 2 a b")) == [3, 4, 1]
    assert key_positions(_BY_NAME["mset"], _words("mset a 1 b 2")) == [1, 3]
    with pytest.raises(getkeys.KeysError):
        key_positions(_BY_NAME["zunion"], _words("zunion 0 a"))


def test_getkeysandflags_replies(h: Harness) -> None:
    c = h.connect()
    assert h.run(c, "COMMAND", "GETKEYSANDFLAGS", "sort", "k", "store", "d", resp=3) == (
        b"*2\r\n*2\r\n$1\r\nk\r\n~2\r\n+RO\r\n+access\r\n*2\r\n$1\r\nd\r\n~2\r\n+OW\r\n+update\r\n")
    assert h.run(c, "COMMAND", "GETKEYSANDFLAGS", "zunion", "2x", "a", "b") == (
        b"*2\r\n*2\r\n$1\r\na\r\n*0\r\n*2\r\n$1\r\nb\r\n*0\r\n")
    assert h.run(c, "COMMAND", "GETKEYS", "spublish", "ch", "m") == b"-ERR The command has no key arguments\r\n"
    assert h.run(c, "COMMAND", "GETKEYS", "zunion", "0", "a") == b"-ERR Invalid arguments specified for command\r\n"
