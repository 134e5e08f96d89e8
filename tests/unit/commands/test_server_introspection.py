"""COMMAND and its subcommands from the table, without sockets."""
from __future__ import annotations

import pytest

from damselfly.commands import build_table
from damselfly.commands.introspection import categories, command_info, visible_flags
from damselfly.commands.registry import CommandSpec
from damselfly.protocol.reply import encode

from ._server_fixtures import Harness


@pytest.fixture
def h() -> Harness:
    return Harness()


def test_flags_are_ordered_and_hidden_flags_dropped() -> None:
    spec = CommandSpec("x", 1, ("fast", "sentinel", "may_replicate", "write", "noscript", "loading"))
    assert visible_flags(spec) == ["write", "noscript", "loading", "fast"]


def test_categories_add_the_implicit_ones() -> None:
    assert categories(CommandSpec("x", 1, ("write",), acl_categories=("string",))) == ["write", "string", "slow"]
    assert categories(CommandSpec("x", 1, ("readonly", "fast"))) == ["read", "fast"]
    assert categories(CommandSpec("x", 1, ("admin",))) == ["admin", "slow", "dangerous"]
    assert categories(CommandSpec("x", 1, ("write", "blocking"), acl_categories=("list",))) == [
        "write", "list", "slow", "blocking"]


def test_command_info_entry_bytes() -> None:
    table = build_table()
    entry = encode(command_info(table.get(b"client").subcommands[b"id"]), 3)
    assert entry == (b"*10\r\n$9\r\nclient|id\r\n:2\r\n~3\r\n+noscript\r\n+loading\r\n+stale\r\n:0\r\n:0\r\n:0\r\n"
                     b"~2\r\n+@slow\r\n+@connection\r\n~0\r\n~0\r\n~0\r\n")
    assert encode(command_info(table.get(b"client").subcommands[b"id"]), 2).startswith(b"*10\r\n$9\r\nclient|id")


def test_command_count_list_and_info(h: Harness) -> None:
    c = h.connect()
    assert h.call(c, "COMMAND", "COUNT") == len(h.state.table)
    names = h.call(c, "COMMAND", "LIST")
    assert b"get" in names and b"client|list" in names and b"client" in names
    assert len(h.call(c, "COMMAND")) == len(h.state.table)
    assert len(h.call(c, "COMMAND", "INFO")) == len(h.state.table)
    info = h.call(c, "COMMAND", "INFO", "GET", "nosuch", "client|LIST", "client|nosuch|x")
    assert info[0][0] == "get" and info[1] is None and info[2][0] == "client|list" and info[3] is None
    assert h.run(c, "COMMAND", "INFO", "nosuch") == b"*1\r\n$-1\r\n"
    assert h.run(c, "COMMAND", "INFO", "nosuch", resp=3) == b"*1\r\n_\r\n"
    assert h.run(c, "COMMAND", "FOO") == b"-ERR unknown subcommand 'FOO'. Try COMMAND HELP.\r\n"
    assert h.run(c, "COMMAND", "COUNT", "x") == b"-ERR wrong number of arguments for 'command|count' command\r\n"


def test_command_list_filters(h: Harness) -> None:
    c = h.connect()
    assert h.call(c, "COMMAND", "LIST", "FILTERBY", "MODULE", "x") == []
    assert set(h.call(c, "COMMAND", "LIST", "FILTERBY", "PATTERN", "CLIENT|I*")) == {b"client|id", b"client|info"}
    connection = h.call(c, "COMMAND", "LIST", "FILTERBY", "ACLCAT", "CONNECTION")
    assert b"ping" in connection and b"client|id" in connection and b"client" not in connection
    assert h.call(c, "COMMAND", "LIST", "FILTERBY", "ACLCAT", "nosuch") == []
    for bad in (("FILTERBY",), ("FILTERBY", "foo", "x"), ("foo",), ("FILTERBY", "module", "x", "y")):
        assert h.run(c, "COMMAND", "LIST", *bad) == b"-ERR syntax error\r\n", bad


def test_command_docs(h: Harness) -> None:
    c = h.connect()
    docs = h.call(c, "COMMAND", "DOCS", "echo", "nosuch", "client|id")
    assert set(docs) == {"echo", "client|id"}
    assert docs["echo"]["since"] == "1.0.0" and docs["echo"]["group"] == "connection"
    assert docs["client|id"]["group"] == "connection"
    client = h.call(c, "COMMAND", "DOCS", "client")["client"]
    assert "client|list" in client["subcommands"]
    assert h.run(c, "COMMAND", "DOCS", "nosuch") == b"*0\r\n"
    assert h.run(c, "COMMAND", "DOCS", "nosuch", resp=3) == b"%0\r\n"
    assert len(h.call(c, "COMMAND", "DOCS")) == len(h.state.table)


@pytest.mark.parametrize("args,expected", [
    (("get", "a"), b"*1\r\n$1\r\na\r\n"),
    (("set", "a", "b"), b"*1\r\n$1\r\na\r\n"),
    (("MSET", "a", "1", "b", "2"), b"*2\r\n$1\r\na\r\n$1\r\nb\r\n"),
    (("zunionstore", "d", "2", "a", "b"), b"*3\r\n$1\r\nd\r\n$1\r\na\r\n$1\r\nb\r\n"),
    (("zunion", "2", "a", "b"), b"*2\r\n$1\r\na\r\n$1\r\nb\r\n"),
    (("lmpop", "2", "a", "b", "LEFT"), b"*2\r\n$1\r\na\r\n$1\r\nb\r\n"),
    (("blmpop", "0", "1", "a", "LEFT"), b"*1\r\n$1\r\na\r\n"),
    (("memory", "usage", "k"), b"*1\r\n$1\r\nk\r\n"),
    (("nosuch", "a"), b"-ERR Invalid command specified\r\n"),
    (("ping", "x"), b"-ERR The command has no key arguments\r\n"),
    (("client", "list"), b"-ERR The command has no key arguments\r\n"),
    (("get", "a", "b"), b"-ERR Invalid number of arguments specified for command\r\n"),
    (("object", "encoding"), b"-ERR Invalid number of arguments specified for command\r\n"),
    (("zunionstore", "d", "0", "a"), b"-ERR Invalid arguments specified for command\r\n"),
    (("zunion", "5", "a", "b"), b"-ERR Invalid arguments specified for command\r\n"),
])
def test_command_getkeys(h: Harness, args: tuple[str, ...], expected: bytes) -> None:
    assert h.run(h.connect(), "COMMAND", "GETKEYS", *args) == expected


def test_command_help(h: Harness) -> None:
    reply = h.run(h.connect(), "COMMAND", "HELP")
    assert reply.startswith(b"*21\r\n+COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n")
