"""Connection commands without sockets: replies, client state, CLIENT LIST lines, KILL, REPLY."""
from __future__ import annotations

import re

import pytest

from damselfly.commands.client_list import client_type, flags, info_line
from damselfly.protocol.reply import Raw

from ._server_fixtures import Harness

FIELDS = ("id addr laddr fd name age idle flags db sub psub ssub multi qbuf qbuf-free argv-mem "
          "multi-mem rbs rbp obl oll omem tot-mem events cmd user redir resp").split()


@pytest.fixture
def h() -> Harness:
    return Harness()


def test_ping_echo_select(h: Harness) -> None:
    c = h.connect()
    assert h.run(c, "PING") == b"+PONG\r\n"
    assert h.run(c, "PING", "hi") == b"$2\r\nhi\r\n"
    assert h.run(c, "PING", "a", "b") == b"-ERR wrong number of arguments for 'ping' command\r\n"
    assert h.run(c, "ECHO", "x") == b"$1\r\nx\r\n"
    assert h.run(c, "SELECT", "3") == b"+OK\r\n"
    assert c.db.index == 3
    assert h.run(c, "SELECT", "16") == b"-ERR DB index is out of range\r\n"
    assert h.run(c, "SELECT", "x") == b"-ERR value is not an integer or out of range\r\n"


def test_quit_closes_after_reply(h: Harness) -> None:
    c = h.connect()
    assert h.run(c, "QUIT") == b"+OK\r\n"
    assert c.close_after_reply


def test_auth_without_password_and_with_one() -> None:
    h = Harness(requirepass="s3cret")
    c = h.connect()
    c.authenticated = False
    assert h.run(c, "PING") == b"-NOAUTH Authentication required.\r\n"
    assert h.run(c, "AUTH", "bad") == b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    assert h.run(c, "AUTH", "nobody", "s3cret").startswith(b"-WRONGPASS")
    assert h.run(c, "AUTH", "a", "b", "c") == b"-ERR syntax error\r\n"
    assert h.run(c, "AUTH", "s3cret") == b"+OK\r\n"
    assert c.authenticated and c.user == "default"
    assert "auth_failures" not in h.state.stats.errorstats  # only real error codes are counted
    open_server = Harness()
    d = open_server.connect()
    assert open_server.run(d, "AUTH", "x").startswith(b"-ERR AUTH <password> called without any password")
    assert open_server.run(d, "AUTH", "default", "anything") == b"+OK\r\n"


def test_hello_reply_switches_protocol_and_names(h: Harness) -> None:
    c = h.connect()
    reply = h.run(c, "HELLO", "3", "SETNAME", "conn1")
    assert reply.startswith(b"%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n")
    assert b"$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:%d\r\n" % c.id in reply
    assert c.resp == 3 and c.name == b"conn1"
    assert h.run(c, "HELLO").startswith(b"%7\r\n")  # no version: keeps RESP3
    assert h.run(c, "HELLO", "2").startswith(b"*14\r\n")
    assert h.run(c, "HELLO", "4") == b"-NOPROTO unsupported protocol version\r\n"
    assert h.run(c, "HELLO", "x") == b"-ERR Protocol version is not an integer or out of range\r\n"
    assert h.run(c, "HELLO", "3", "SETNAME") == b"-ERR Syntax error in HELLO option 'SETNAME'\r\n"
    assert h.run(c, "HELLO", "3", "AUTH", "u") == b"-ERR Syntax error in HELLO option 'AUTH'\r\n"
    assert h.run(c, "HELLO", "3", "SETNAME", "a b").startswith(b"-ERR Client names cannot contain")
    assert c.resp == 2  # failed HELLOs changed nothing


def test_hello_needs_authentication() -> None:
    h = Harness(requirepass="pw")
    c = h.connect()
    c.authenticated = False
    assert h.run(c, "HELLO", "3").startswith(b"-NOAUTH HELLO must be called with the client already authenticated")
    assert c.resp == 2
    assert h.run(c, "HELLO", "3", "AUTH", "default", "nope").startswith(b"-WRONGPASS")
    assert h.run(c, "HELLO", "3", "AUTH", "default", "pw").startswith(b"%7\r\n")
    assert c.authenticated and c.resp == 3


def test_reset_restores_connection_state(h: Harness) -> None:
    c = h.connect()
    other = h.connect()
    h.run(c, "HELLO", "3", "SETNAME", "me")
    h.run(c, "SELECT", "5")
    h.run(c, "SUBSCRIBE", "chan")
    h.run(c, "WATCH", "k")
    h.run(c, "CLIENT", "TRACKING", "on")
    h.run(c, "CLIENT", "NO-EVICT", "on")
    h.run(c, "MULTI")
    assert h.run(c, "RESET") == b"+RESET\r\n"
    assert (c.resp, c.db.index, c.name, c.multi, c.tracking) == (2, 0, b"", None, None)
    assert not c.channels and not c.watched
    assert c.no_evict  # NO-EVICT survives RESET, as in Redis
    assert h.state.extensions["pubsub"].channels == {}
    assert h.run(other, "PUBLISH", "chan", "x") == b":0\r\n"


def test_reset_deauthenticates_when_a_password_is_needed() -> None:
    h = Harness(requirepass="pw")
    c = h.connect()
    h.run(c, "AUTH", "pw")
    assert h.run(c, "RESET") == b"+RESET\r\n"
    assert not c.authenticated
    assert h.run(c, "PING") == b"-NOAUTH Authentication required.\r\n"


def test_client_setname_getname_id(h: Harness) -> None:
    c = h.connect()
    assert h.run(c, "CLIENT", "ID") == b":%d\r\n" % c.id
    assert h.run(c, "CLIENT", "GETNAME") == b"$-1\r\n"
    assert h.run(c, "CLIENT", "SETNAME", "web-1") == b"+OK\r\n"
    assert h.run(c, "CLIENT", "GETNAME") == b"$5\r\nweb-1\r\n"
    for bad in ("a b", "x\ny", "caf\xe9", "\x7f"):
        assert h.run(c, "CLIENT", "SETNAME", bad.encode("latin-1")) == (
            b"-ERR Client names cannot contain spaces, newlines or special characters.\r\n")
    assert h.run(c, "CLIENT", "SETNAME", "") == b"+OK\r\n"
    assert h.run(c, "CLIENT", "GETNAME") == b"$-1\r\n"
    assert h.run(c, "CLIENT", "ID", "x") == b"-ERR wrong number of arguments for 'client|id' command\r\n"
    assert h.run(c, "CLIENT", "NOPE") == b"-ERR unknown subcommand 'NOPE'. Try CLIENT HELP.\r\n"


def test_client_setinfo_and_no_touch_are_unknown_as_in_7_0(h: Harness) -> None:
    c = h.connect()
    assert h.run(c, "CLIENT", "SETINFO", "LIB-NAME", "x") == (
        b"-ERR unknown subcommand 'SETINFO'. Try CLIENT HELP.\r\n")
    assert h.run(c, "CLIENT", "NO-TOUCH", "on") == b"-ERR unknown subcommand 'NO-TOUCH'. Try CLIENT HELP.\r\n"


def test_client_list_line_has_redis_7_0_fields_in_order(h: Harness) -> None:
    c = h.connect(addr="127.0.0.1:5000", laddr="127.0.0.1:6379")
    c.outbox.input = 3
    c.outbox.output = 10
    c.outbox.queued = 5
    h.run(c, "CLIENT", "SETNAME", "n1")
    h.run(c, "SELECT", "2")
    line = info_line(c, c, [b"client", b"list"])
    pairs = [field.split("=", 1) for field in line.split(" ")]
    assert [k for k, _ in pairs] == FIELDS
    values = dict(pairs)
    assert values["id"] == str(c.id)
    assert (values["addr"], values["laddr"], values["fd"]) == ("127.0.0.1:5000", "127.0.0.1:6379", "7")
    assert (values["name"], values["db"], values["flags"]) == ("n1", "2", "N")
    assert (values["qbuf"], values["argv-mem"], values["omem"]) == ("3", "10", "15")
    assert values["events"] == "rw"  # replies waiting for the socket
    assert (values["cmd"], values["user"], values["redir"], values["resp"]) == ("select", "default", "-1", "2")
    assert int(values["tot-mem"]) >= 3 + 10 + 15


def test_client_list_flags_follow_state(h: Harness) -> None:
    c = h.connect()
    assert flags(c) == "N"
    h.run(c, "MULTI")
    assert flags(c) == "x"
    h.run(c, "DISCARD")
    h.run(c, "SUBSCRIBE", "ch")
    assert flags(c) == "P" and client_type(c) == "pubsub"
    h.run(c, "UNSUBSCRIBE")
    h.run(c, "CLIENT", "NO-EVICT", "on")
    assert flags(c) == "e"
    h.run(c, "CLIENT", "TRACKING", "on", "BCAST")
    assert flags(c) == "tBe"
    m = h.connect()
    h.run(m, "MONITOR")
    assert flags(m) == "O" and client_type(m) == "normal"  # a monitor is listed as a normal client
    w = h.connect()
    h.run(w, "WATCH", "k")
    h.run(c, "SET", "k", "v")
    assert flags(w) == "d"


def test_client_list_multi_counts_and_multi_mem(h: Harness) -> None:
    c = h.connect()
    h.run(c, "MULTI")
    h.run(c, "SET", "a", "bb")
    h.run(c, "CLIENT", "ID")
    values = dict(f.split("=", 1) for f in info_line(c).split(" "))
    assert values["multi"] == "2"
    assert values["multi-mem"] == str((3 + 1 + 2 + 8 * 3) + (6 + 2 + 8 * 2))  # bytes + 8 per argument


def test_client_list_filters_and_errors(h: Harness) -> None:
    a = h.connect()
    b = h.connect()
    h.run(b, "SUBSCRIBE", "x")
    listed = h.call(a, "CLIENT", "LIST").text.decode()
    assert [int(m) for m in re.findall(r"^id=(\d+)", listed, re.M)] == [a.id, b.id]
    assert listed.endswith("\n")
    only_pubsub = h.call(a, "CLIENT", "LIST", "TYPE", "pubsub").text.decode()
    assert re.findall(r"^id=(\d+)", only_pubsub, re.M) == [str(b.id)]
    assert h.call(a, "CLIENT", "LIST", "TYPE", "Normal").text.decode().startswith(f"id={a.id} ")
    assert h.call(a, "CLIENT", "LIST", "TYPE", "replica").text == b""
    by_id = h.call(a, "CLIENT", "LIST", "ID", str(b.id), "999", str(a.id), str(b.id)).text.decode()
    assert re.findall(r"^id=(\d+)", by_id, re.M) == [str(b.id), str(a.id), str(b.id)]
    assert h.run(a, "CLIENT", "LIST", "TYPE", "bogus") == b"-ERR Unknown client type 'bogus'\r\n"
    assert h.run(a, "CLIENT", "LIST", "ID", "1", "x") == b"-ERR Invalid client ID\r\n"
    assert h.run(a, "CLIENT", "LIST", "ID") == b"-ERR syntax error\r\n"
    assert h.run(a, "CLIENT", "LIST", "TYPE", "normal", "ID", "1") == b"-ERR syntax error\r\n"
    assert h.run(a, "CLIENT", "INFO").startswith(b"$")
    assert h.run(a, "CLIENT", "INFO", resp=3).startswith(b"=")
    assert h.call(a, "CLIENT", "INFO").text.decode().startswith(f"id={a.id} ")


def test_client_list_leaves_out_clients_being_closed(h: Harness) -> None:
    a = h.connect()
    b = h.connect()
    b.outbox.closing = True
    assert f"id={b.id} " not in h.call(a, "CLIENT", "LIST").text.decode()


def test_client_kill_old_form(h: Harness) -> None:
    a = h.connect(addr="127.0.0.1:1111")
    b = h.connect(addr="127.0.0.1:2222")
    assert h.run(a, "CLIENT", "KILL", "127.0.0.1:9") == b"-ERR No such client\r\n"
    assert h.run(a, "CLIENT", "KILL", "127.0.0.1:2222") == b"+OK\r\n"
    assert b.outbox.closing and not a.outbox.closing
    assert h.run(a, "CLIENT", "KILL", "127.0.0.1:2222") == b"-ERR No such client\r\n"  # already going
    assert h.run(a, "CLIENT", "KILL", "127.0.0.1:1111") == b"+OK\r\n"  # the old form may kill oneself
    assert a.close_after_reply and not a.outbox.closing


def test_client_kill_filters(h: Harness) -> None:
    a = h.connect(addr="127.0.0.1:1", laddr="127.0.0.1:6379")
    b = h.connect(addr="127.0.0.1:2", laddr="127.0.0.1:6380")
    c = h.connect(addr="127.0.0.1:3", laddr="127.0.0.1:6379")
    h.run(c, "SUBSCRIBE", "x")
    assert h.run(a, "CLIENT", "KILL", "ID", "999") == b":0\r\n"
    assert h.run(a, "CLIENT", "KILL", "LADDR", "127.0.0.1:6379") == b":1\r\n"  # c; a skips itself
    assert c.outbox.closing and not b.outbox.closing
    assert h.run(a, "CLIENT", "KILL", "TYPE", "normal", "SKIPME", "no") == b":2\r\n"
    assert a.close_after_reply and b.outbox.closing


def test_client_kill_errors(h: Harness) -> None:
    a = h.connect()
    cases = {
        ("ID", "abc"): b"-ERR client-id should be greater than 0\r\n",
        ("ID", "0"): b"-ERR client-id should be greater than 0\r\n",
        ("ID", "1", "SKIPME"): b"-ERR syntax error\r\n",
        ("FOO", "bar"): b"-ERR syntax error\r\n",
        ("SKIPME", "maybe"): b"-ERR syntax error\r\n",
        ("MAXAGE", "10"): b"-ERR syntax error\r\n",  # not in 7.0
        ("TYPE", "foo"): b"-ERR Unknown client type 'foo'\r\n",
        ("USER", "nobody"): b"-ERR No such user 'nobody'\r\n",
        ("ID",): b"-ERR No such client\r\n",  # three words: the old addr form
    }
    for args, expected in cases.items():
        assert h.run(a, "CLIENT", "KILL", *args) == expected, args
    assert h.run(a, "CLIENT", "KILL", "USER", "default", "SKIPME", "yes") == b":0\r\n"


def test_client_reply_modes(h: Harness) -> None:
    c = h.connect()
    assert h.call(c, "CLIENT", "REPLY", "OFF") == Raw(b"")
    assert c.reply_mode == "off"
    assert h.call(c, "CLIENT", "REPLY", "SKIP") == Raw(b"")
    assert c.skip_replies == 0  # SKIP does nothing while replies are off
    assert h.run(c, "CLIENT", "REPLY", "ON") == b"+OK\r\n"
    assert c.reply_mode == "on"
    assert h.call(c, "CLIENT", "REPLY", "SKIP") == Raw(b"")
    assert c.skip_replies == 2  # its own empty reply and the next one
    assert h.run(c, "CLIENT", "REPLY", "maybe") == b"-ERR syntax error\r\n"
    assert h.run(c, "CLIENT", "REPLY") == b"-ERR wrong number of arguments for 'client|reply' command\r\n"


def test_client_no_evict(h: Harness) -> None:
    c = h.connect()
    assert h.run(c, "CLIENT", "NO-EVICT", "ON") == b"+OK\r\n" and c.no_evict
    assert h.run(c, "CLIENT", "NO-EVICT", "off") == b"+OK\r\n" and not c.no_evict
    assert h.run(c, "CLIENT", "NO-EVICT", "x") == b"-ERR syntax error\r\n"


def test_client_help_is_redis_text(h: Harness) -> None:
    c = h.connect()
    reply = h.run(c, "CLIENT", "HELP")
    assert reply.startswith(b"*48\r\n+CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n")
    assert reply.endswith(b"+HELP\r\n+    Prints this help.\r\n")
