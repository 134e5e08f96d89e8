"""The permission check and key permissions without sockets."""
from __future__ import annotations

import pytest

from damselfly.acl.checker import DENIED_CHANNEL, DENIED_CMD, DENIED_KEY, OK, evaluate
from damselfly.acl.keys import keys_with_perms
from damselfly.acl.users import ALL_PERMS, READ, WRITE, CommandIndex, User
from damselfly.commands import build_table

INDEX = CommandIndex(build_table())


def make(*rules: str) -> User:
    user = User("u")
    user.apply_all([r.encode() for r in ("on",) + rules], INDEX, False)
    return user


def check(user: User, *argv: str) -> tuple[str, int]:
    args = [a.encode() for a in argv]
    table = INDEX.table
    spec = table.get(args[0])
    if spec.subcommands and len(args) > 1:
        spec = spec.subcommands[args[1].lower()]
    return evaluate(user, spec, args)


def perms(*argv: str) -> list[tuple[int, int]]:
    args = [a.encode() for a in argv]
    spec = INDEX.table.get(args[0])
    return keys_with_perms(spec, args)


@pytest.mark.parametrize("argv, expected", [
    (("get", "k"), [(1, READ)]),
    (("set", "k", "v"), [(1, WRITE)]),
    (("set", "k", "v", "GET"), [(1, ALL_PERMS)]),
    (("exists", "a", "b"), [(1, 0), (2, 0)]),
    (("rpoplpush", "s", "d"), [(1, ALL_PERMS), (2, WRITE)]),
    (("copy", "s", "d"), [(1, READ), (2, WRITE)]),
    (("zunionstore", "d", "2", "a", "b"), [(1, WRITE), (3, READ), (4, READ)]),
    (("sort", "k", "STORE", "d"), [(1, READ), (3, WRITE)]),
    (("bitfield", "k", "GET", "u8", "0"), [(1, READ)]),
    (("bitfield", "k", "SET", "u8", "0", "1"), [(1, ALL_PERMS)]),
    (("mset", "a", "1", "b", "2"), [(1, WRITE), (3, WRITE)]),
])
def test_key_permissions_follow_redis_key_specs(argv: tuple[str, ...], expected: list) -> None:
    assert sorted(perms(*argv)) == expected


def test_command_denied_before_keys() -> None:
    user = make("+get", "~a*")
    assert check(user, "get", "a1") == (OK, 0)
    assert check(user, "get", "b") == (DENIED_KEY, 1)
    assert check(user, "set", "a1", "v") == (DENIED_CMD, 0)


def test_read_and_write_patterns() -> None:
    user = make("+@all", "%R~r*", "%W~w*")
    assert check(user, "get", "r1")[0] == OK
    assert check(user, "get", "w1")[0] == DENIED_KEY
    assert check(user, "set", "w1", "v")[0] == OK
    assert check(user, "set", "r1", "v")[0] == DENIED_KEY
    assert check(user, "set", "w1", "v", "get")[0] == DENIED_KEY  # GET needs read too
    assert check(user, "copy", "r1", "w1")[0] == OK
    assert check(user, "copy", "w1", "r1") == (DENIED_KEY, 1)
    assert check(user, "exists", "zzz")[0] == DENIED_KEY  # no pattern at all matches zzz
    assert check(user, "exists", "w1")[0] == OK  # EXISTS needs neither permission


def test_first_arg_allows_only_that_argument() -> None:
    user = make("+select|0")
    assert check(user, "select", "0")[0] == OK
    assert check(user, "select", "1")[0] == DENIED_CMD
    user = make("+@all", "-client", "+client|id")
    assert check(user, "client", "id")[0] == OK
    assert check(user, "client", "list")[0] == DENIED_CMD


def test_channels_glob_for_publish_literal_for_psubscribe() -> None:
    user = make("+@all", "~*", "&news.*")
    assert check(user, "publish", "news.1", "m")[0] == OK
    assert check(user, "publish", "other", "m") == (DENIED_CHANNEL, 1)
    assert check(user, "subscribe", "news.a", "other") == (DENIED_CHANNEL, 2)
    assert check(user, "psubscribe", "news.*")[0] == OK
    assert check(user, "psubscribe", "news.1")[0] == DENIED_CHANNEL  # patterns compare literally
    assert check(user, "unsubscribe", "other")[0] == OK  # never checked
    assert check(make("+@all", "~*", "allchannels"), "publish", "x", "m")[0] == OK


def test_no_auth_commands_always_pass_the_command_check() -> None:
    user = make()
    assert check(user, "auth", "a", "b")[0] == OK
    assert check(user, "get", "k")[0] == DENIED_CMD


def test_any_selector_may_allow_and_the_worst_denial_is_reported() -> None:
    user = make("+get", "~a*", "(+set ~b* &c*)", "(+hget %R~h*)")
    assert check(user, "set", "b1", "x")[0] == OK
    assert check(user, "hget", "h1", "f")[0] == OK
    assert check(user, "set", "a1", "x") == (DENIED_KEY, 1)  # a key denial outranks the root's command one
    assert check(user, "get", "b1") == (DENIED_KEY, 1)
    assert check(user, "hset", "h1", "f", "v") == (DENIED_CMD, 0)
