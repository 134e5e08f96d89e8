"""Every implemented command's COMMAND INFO against redis-server's.

One test case per command and subcommand, named after it, so a wrong spec in
any family fails with the command's name: arity, flags (Redis's order,
hidden ones left out), legacy key positions, ACL categories, tips, and the
subcommands damselfly has must all exist in Redis. Commands without keys or
subcommands must match byte for byte in both protocols (their key specs are
empty on both sides).
"""
from __future__ import annotations

from typing import Any

import pytest

from damselfly.commands import build_table

from ..resp import parse_reply
from .conftest import Pair

_TABLE = build_table()
_SPECS = {spec.full_name: spec for spec in _TABLE.all_specs()}


def _entry(conn: Any, name: str) -> Any:
    reply = parse_reply(conn.command("COMMAND", "INFO", name))
    return reply[0]


@pytest.mark.parametrize("name", sorted(_SPECS))
def test_command_info_matches_redis(pair3: Pair, name: str) -> None:
    ours, theirs = _entry(pair3.ours, name), _entry(pair3.theirs, name)
    assert theirs is not None, f"{name}: redis-server 7.0 has no such command"
    assert ours is not None, f"{name}: missing from damselfly's COMMAND INFO"
    fields = ("name", "arity", "flags", "first key", "last key", "step", "ACL categories", "tips")
    for index, field in enumerate(fields):
        assert ours[index] == theirs[index], (
            f"{name}: {field} differs: damselfly {ours[index]!r}, redis {theirs[index]!r} "
            f"(fix the spec in the {_SPECS[name].group} family's declaration)")
    their_subs = {sub[0] for sub in theirs[9]}
    for sub in ours[9]:
        assert sub[0] in their_subs, f"{name}: subcommand {sub[0]!r} does not exist in redis-server"


_SIMPLE = sorted(n for n, s in _SPECS.items() if s.first_key == 0 and not s.subcommands
                 and "movablekeys" not in s.flags)


@pytest.mark.parametrize("name", _SIMPLE)
@pytest.mark.parametrize("protocol", [2, 3])
def test_keyless_command_info_is_byte_identical(pair: Pair, name: str, protocol: int) -> None:
    if protocol == 3:
        pair.both("HELLO", "3")
    pair.check("COMMAND", "INFO", name)


def test_command_count_and_list_cover_only_real_commands(pair: Pair) -> None:
    ours = set(parse_reply(pair.ours.command("COMMAND", "LIST")))
    theirs = set(parse_reply(pair.theirs.command("COMMAND", "LIST")))
    assert ours <= theirs, f"not in redis-server: {sorted(ours - theirs)}"
    assert parse_reply(pair.ours.command("COMMAND", "COUNT")) == len(_TABLE)


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
