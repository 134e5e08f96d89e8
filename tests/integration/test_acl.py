"""ACL over TCP with redis-py: AUTH and requirepass, a permission matrix, ACL LOG,
disconnections on revocation, the ACL file, secrets kept out of SLOWLOG and CLIENT LIST.

Each test starts its own server (ACL state is server-wide).
"""
from __future__ import annotations

import os
import time

import pytest
import redis

from ..resp import RawConnection

NOPERM_KEY = "this user has no permissions to access one of the keys used as arguments"
NOPERM_CHANNEL = "this user has no permissions to access one of the channels used as arguments"


def noperm_cmd(name: str) -> str:
    return f"this user has no permissions to run the '{name}' command"


@pytest.fixture
def srv(start_server):
    return start_server()


def admin(srv) -> redis.Redis:
    return redis.Redis(host=srv.host, port=srv.port)


def login(srv, user: str, password: str = "pw", protocol: int = 2) -> redis.Redis:
    return redis.Redis(host=srv.host, port=srv.port, username=user, password=password, protocol=protocol)


def wait_until(predicate, tries: int = 100) -> bool:
    for _ in range(tries):
        if predicate():
            return True
        time.sleep(0.02)
    return False


# -- AUTH, requirepass, HELLO -----------------------------------------------------------

def test_requirepass_gates_every_command_but_auth_hello_quit_reset(start_server) -> None:
    srv = start_server(requirepass="secret")
    conn = RawConnection(srv.host, srv.port)
    for cmd in (("PING",), ("GET", "k"), ("ACL", "WHOAMI"), ("CLIENT", "ID")):
        assert conn.command(*cmd) == b"-NOAUTH Authentication required.\r\n"
    assert conn.command("HELLO", "3").startswith(b"-NOAUTH HELLO must be called with the client already "
                                                 b"authenticated, otherwise the HELLO AUTH <user> <pass>")
    assert conn.command("RESET") == b"+RESET\r\n"
    assert conn.command("AUTH", "wrong") == (
        b"-WRONGPASS invalid username-password pair or user is disabled.\r\n")
    assert conn.command("AUTH", "secret") == b"+OK\r\n"
    assert conn.command("ACL", "WHOAMI") == b"$7\r\ndefault\r\n"
    assert conn.command("RESET") == b"+RESET\r\n"
    assert conn.command("PING") == b"-NOAUTH Authentication required.\r\n"
    assert conn.command("AUTH", "default", "secret") == b"+OK\r\n"
    assert conn.command("QUIT") == b"+OK\r\n"
    conn.close()
    client = redis.Redis(host=srv.host, port=srv.port, password="secret")
    assert client.ping()
    stats = client.info("errorstats")
    assert stats["errorstat_NOAUTH"]["count"] == 6
    assert stats["errorstat_WRONGPASS"]["count"] == 1


def test_hello_auth_and_setname(srv) -> None:
    admin(srv).acl_setuser("bob", enabled=True, passwords=["+pw"], commands=["+@all"], keys=["*"])
    conn = RawConnection(srv.host, srv.port)
    assert conn.command("HELLO", "3", "AUTH", "bob", "nope").startswith(b"-WRONGPASS")
    reply = conn.command("HELLO", "3", "AUTH", "bob", "pw", "SETNAME", "n1")
    assert reply.startswith(b"%7\r\n")
    assert conn.command("ACL", "WHOAMI") == b"$3\r\nbob\r\n"
    assert conn.command("CLIENT", "GETNAME") == b"$2\r\nn1\r\n"
    conn.close()


def test_config_set_requirepass_is_the_default_users_password(srv) -> None:
    client = admin(srv)
    with pytest.raises(redis.RedisError, match="without any password configured"):
        client.execute_command("AUTH", "x")
    client.config_set("requirepass", "s3cret")
    user = client.acl_getuser("default")
    assert "nopass" not in user["flags"] and len(user["passwords"]) == 1
    assert client.ping()  # already authenticated connections stay so
    with pytest.raises(redis.AuthenticationError):
        redis.Redis(host=srv.host, port=srv.port).ping()
    assert redis.Redis(host=srv.host, port=srv.port, password="s3cret").ping()
    client.config_set("requirepass", "")
    assert "nopass" in client.acl_getuser("default")["flags"]
    assert redis.Redis(host=srv.host, port=srv.port).ping()


def test_disabled_default_user_requires_auth(srv) -> None:
    client = admin(srv)
    client.acl_setuser("root", enabled=True, passwords=["+pw"], commands=["+@all"], keys=["*"], channels=["*"])
    client.execute_command("ACL", "SETUSER", "default", "off")
    conn = RawConnection(srv.host, srv.port)
    assert conn.command("GET", "k") == b"-NOAUTH Authentication required.\r\n"
    assert conn.command("AUTH", "default", "x").startswith(b"-WRONGPASS")
    assert conn.command("AUTH", "root", "pw") == b"+OK\r\n"
    conn.close()
    client.execute_command("ACL", "SETUSER", "default", "on")


# -- the permission matrix ----------------------------------------------------------------

MATRIX_USERS = {
    "cmdonly": ["on", ">pw", "~*", "&*", "+get", "+set", "+client|id"],
    "nocat": ["on", ">pw", "~*", "&*", "+@all", "-@hash", "-@dangerous"],
    "keys": ["on", ">pw", "+@all", "~app:*", "&*"],
    "rw": ["on", ">pw", "+@all", "%R~r:*", "%W~w:*", "&*"],
    "chans": ["on", ">pw", "+@all", "~*", "resetchannels", "&news.*"],
    "firstarg": ["on", ">pw", "~*", "-@all", "+select|0", "+ping"],
    "rwall": ["on", ">pw", "+@all", "%RW~b:*", "%R~r:*", "%W~w:*", "&*"],
    "readcat": ["on", ">pw", "~*", "&*", "-@all", "+@read"],
    "anykey": ["on", ">pw", "+@all", "allkeys", "resetchannels"],
    "anychan": ["on", ">pw", "+@all", "resetkeys", "allchannels"],
    "nocmds": ["on", ">pw", "allkeys", "allchannels", "nocommands"],
}

ALLOWED = [
    ("cmdonly", ("SET", "k", "v")), ("cmdonly", ("GET", "k")), ("cmdonly", ("CLIENT", "ID")),
    ("nocat", ("SET", "k", "v")), ("nocat", ("LPUSH", "l", "a")), ("nocat", ("CLIENT", "ID")),
    ("keys", ("SET", "app:1", "v")), ("keys", ("MGET", "app:1", "app:2")), ("keys", ("PING",)),
    ("rw", ("GET", "r:1")), ("rw", ("SET", "w:1", "v")), ("rw", ("COPY", "r:1", "w:2")),
    ("rw", ("LPUSH", "w:l", "x")),
    ("chans", ("PUBLISH", "news.eu", "m")), ("chans", ("SET", "any", "v")),
    ("firstarg", ("SELECT", "0")), ("firstarg", ("PING",)),
    # %RW~ is both; a key spec that only inserts (LMOVE's destination, APPEND) needs W alone,
    # one that reads no data (EXISTS) needs neither, as in Redis.
    ("rwall", ("SET", "b:1", "v")), ("rwall", ("GETDEL", "b:1")), ("rwall", ("COPY", "r:1", "b:2")),
    ("rwall", ("LMOVE", "b:l", "w:m", "LEFT", "RIGHT")), ("rwall", ("APPEND", "w:1", "x")),
    ("rwall", ("EXISTS", "w:1")), ("rwall", ("MGET", "b:1", "r:1")),
    ("readcat", ("GET", "k")), ("readcat", ("HGETALL", "h")), ("readcat", ("LRANGE", "l", "0", "-1")),
    ("readcat", ("DBSIZE",)),
    ("anykey", ("MSET", "a", "1", "zz", "2")), ("anykey", ("DEL", "a", "zz")), ("anykey", ("PING",)),
    ("anychan", ("PUBLISH", "any.channel", "m")), ("anychan", ("SPUBLISH", "other", "m")),
    ("anychan", ("DBSIZE",)),
    ("nocmds", ("AUTH", "nocmds", "pw")), ("nocmds", ("HELLO", "2")),  # run whatever the rules say
]

DENIED = [
    ("cmdonly", ("DEL", "k"), noperm_cmd("del")),
    ("cmdonly", ("CLIENT", "LIST"), noperm_cmd("client|list")),
    ("cmdonly", ("ACL", "WHOAMI"), noperm_cmd("acl|whoami")),
    ("nocat", ("HSET", "h", "f", "v"), noperm_cmd("hset")),
    ("nocat", ("FLUSHALL",), noperm_cmd("flushall")),
    ("nocat", ("KEYS", "*"), noperm_cmd("keys")),
    ("keys", ("SET", "other", "v"), NOPERM_KEY),
    ("keys", ("MGET", "app:1", "other"), NOPERM_KEY),
    ("keys", ("RENAME", "app:1", "other"), NOPERM_KEY),
    ("rw", ("GET", "w:1"), NOPERM_KEY),
    ("rw", ("SET", "r:1", "v"), NOPERM_KEY),
    ("rw", ("SET", "w:1", "v", "GET"), NOPERM_KEY),
    ("rw", ("COPY", "w:1", "r:2"), NOPERM_KEY),
    ("chans", ("PUBLISH", "sports", "m"), NOPERM_CHANNEL),
    ("chans", ("SUBSCRIBE", "news.eu", "sports"), NOPERM_CHANNEL),
    ("chans", ("PSUBSCRIBE", "news.eu*"), NOPERM_CHANNEL),
    ("firstarg", ("SELECT", "1"), noperm_cmd("select")),
    ("firstarg", ("GET", "k"), noperm_cmd("get")),
    ("rwall", ("GET", "w:1"), NOPERM_KEY),
    ("rwall", ("SET", "r:1", "v"), NOPERM_KEY),
    ("rwall", ("INCR", "w:n"), NOPERM_KEY),  # an update reads as well
    ("rwall", ("COPY", "w:1", "b:3"), NOPERM_KEY),
    ("rwall", ("LMOVE", "r:l", "b:m", "LEFT", "RIGHT"), NOPERM_KEY),
    ("rwall", ("DEL", "r:1"), NOPERM_KEY),
    ("readcat", ("SET", "k", "v"), noperm_cmd("set")),
    ("readcat", ("DEL", "k"), noperm_cmd("del")),
    ("readcat", ("PING",), noperm_cmd("ping")),
    ("readcat", ("PUBLISH", "c", "m"), noperm_cmd("publish")),
    ("readcat", ("CLIENT", "ID"), noperm_cmd("client|id")),
    ("anykey", ("PUBLISH", "ch", "m"), NOPERM_CHANNEL),
    ("anykey", ("SPUBLISH", "ch", "m"), NOPERM_CHANNEL),
    ("anychan", ("GET", "k"), NOPERM_KEY),
    ("anychan", ("SET", "k", "v"), NOPERM_KEY),
    ("anychan", ("DEL", "k"), NOPERM_KEY),
    ("nocmds", ("GET", "k"), noperm_cmd("get")),
    ("nocmds", ("PING",), noperm_cmd("ping")),
    ("nocmds", ("CLIENT", "ID"), noperm_cmd("client|id")),
    ("nocmds", ("ACL", "WHOAMI"), noperm_cmd("acl|whoami")),
]


@pytest.fixture
def matrix(srv):
    client = admin(srv)
    for name, rules in MATRIX_USERS.items():
        client.execute_command("ACL", "SETUSER", name, *rules)
    conns = {name: login(srv, name) for name in MATRIX_USERS}
    yield client, conns
    for conn in conns.values():
        conn.close()


@pytest.mark.parametrize("user, argv", ALLOWED, ids=[f"{u}-{' '.join(a)}" for u, a in ALLOWED])
def test_matrix_allowed(matrix, user: str, argv: tuple[str, ...]) -> None:
    _, conns = matrix
    conns[user].execute_command(*argv)


@pytest.mark.parametrize("user, argv, message", DENIED, ids=[f"{u}-{' '.join(a)}" for u, a, _ in DENIED])
def test_matrix_denied(matrix, user: str, argv: tuple[str, ...], message: str) -> None:
    client, conns = matrix
    with pytest.raises(redis.exceptions.NoPermissionError) as info:
        conns[user].execute_command(*argv)
    assert str(info.value) == message
    entry = client.acl_log(count=1)[0]
    assert entry["username"] == user
    assert entry["reason"] == _log_reason(message)
    assert entry["context"] == "toplevel"


def _log_reason(message: str) -> str:
    return {NOPERM_KEY: "key", NOPERM_CHANNEL: "channel"}.get(message, "command")


def test_matrix_matches_redis_server(srv, redis_server) -> None:
    """The same users and commands on redis-server 7.0.15, in the same order: the same
    commands succeed and each denial is the same NOPERM line (also the texts listed above)."""
    outcomes = []
    for host, port in ((srv.host, srv.port), (redis_server.host, redis_server.port)):
        admin_conn = RawConnection(host, port)
        admin_conn.command("FLUSHALL")  # the session redis-server keeps other tests' keys (a hash at 'h' is not one)
        for name, rules in MATRIX_USERS.items():
            assert admin_conn.command("ACL", "SETUSER", name, *rules) == b"+OK\r\n"
        conns = {name: RawConnection(host, port) for name in MATRIX_USERS}
        try:
            for name, conn in conns.items():
                assert conn.command("AUTH", name, "pw") == b"+OK\r\n"
            seen = [conns[user].command(*argv) for user, argv in ALLOWED]
            seen = [b"-" if reply.startswith(b"-") else b"ok" for reply in seen]
            seen += [conns[user].command(*argv) for user, argv, _ in DENIED]
            outcomes.append(seen)
        finally:
            for conn in conns.values():
                conn.close()
            for name in MATRIX_USERS:
                admin_conn.command("ACL", "DELUSER", name)
            admin_conn.command("FLUSHALL")
            admin_conn.close()
    ours, theirs = outcomes
    assert ours == theirs
    assert theirs == [b"ok"] * len(ALLOWED) + [f"-NOPERM {m}\r\n".encode() for _, _, m in DENIED]


def test_subscriber_receives_only_on_allowed_channels(srv) -> None:
    client = admin(srv)
    client.execute_command("ACL", "SETUSER", "listener", "on", ">pw", "+@all", "~*", "&news.*")
    pubsub = login(srv, "listener").pubsub()
    pubsub.psubscribe("news.*")
    assert pubsub.get_message(timeout=1)["type"] == "psubscribe"
    assert client.publish("news.eu", "hello") == 1
    assert wait_until(lambda: (m := pubsub.get_message(timeout=0.05)) is not None and m["data"] == b"hello")
    with pytest.raises(redis.exceptions.NoPermissionError):
        pubsub.subscribe("sports")
        pubsub.get_message(timeout=1)
    pubsub.close()


def test_resp3_denials_are_errors_too(srv) -> None:
    admin(srv).execute_command("ACL", "SETUSER", "r3", "on", ">pw", "+get", "~a")
    conn = login(srv, "r3", protocol=3)
    with pytest.raises(redis.exceptions.NoPermissionError, match="access one of the keys"):
        conn.get("b")
    assert conn.get("a") is None


def test_multi_checks_at_queue_time_and_aborts_exec(srv) -> None:
    client = admin(srv)
    client.execute_command("ACL", "SETUSER", "tx", "on", ">pw", "+multi", "+exec", "+get", "~ok*")
    conn = RawConnection(srv.host, srv.port)
    assert conn.command("AUTH", "tx", "pw") == b"+OK\r\n"
    assert conn.command("MULTI") == b"+OK\r\n"
    assert conn.command("GET", "no") == b"-NOPERM " + NOPERM_KEY.encode() + b"\r\n"
    assert conn.command("HGET", "ok", "f") == b"-NOPERM " + noperm_cmd("hget").encode() + b"\r\n"
    assert conn.command("GET", "ok") == b"+QUEUED\r\n"
    assert conn.command("EXEC") == b"-EXECABORT Transaction discarded because of previous errors.\r\n"
    conn.close()
    contexts = [(e["context"], e["object"]) for e in client.acl_log()]
    assert ("multi", "hget") in contexts and ("multi", "no") in contexts


# -- ACL LOG --------------------------------------------------------------------------------

def test_acl_log_entries_grouping_and_reset(srv) -> None:
    client = admin(srv)
    client.execute_command("ACL", "SETUSER", "lg", "on", ">pw", "+get", "~a")
    conn = RawConnection(srv.host, srv.port)
    conn.command("AUTH", "lg", "wrong")
    conn.command("AUTH", "lg", "pw")
    for _ in range(3):
        conn.command("GET", "b")
    conn.command("SET", "a", "1")
    log = client.acl_log()
    assert [(e["reason"], e["object"], e["count"]) for e in log] == [
        ("command", "set", 1), ("key", "b", 3), ("auth", "AUTH", 1)]
    assert log[2]["username"] == "lg"
    assert log[0]["client-info"]["cmd"] == "set" and log[0]["client-info"]["user"] == "lg"
    assert len(client.acl_log(count=1)) == 1
    raw = RawConnection(srv.host, srv.port)
    reply = raw.command("ACL", "LOG", "1")
    for field in (b"count", b"reason", b"context", b"object", b"username", b"age-seconds", b"client-info"):
        assert b"$%d\r\n%s\r\n" % (len(field), field) in reply
    assert b"entry-id" not in reply  # 7.2's fields are not in 7.0.15
    assert client.acl_log_reset()
    assert client.acl_log() == []
    client.config_set("acllog-max-len", "2")
    for key in ("x", "y", "z"):
        conn.command("GET", key)
    assert [e["object"] for e in client.acl_log()] == ["z", "y"]
    conn.close()
    raw.close()


# -- disconnections ---------------------------------------------------------------------------

def _users_of(client: redis.Redis) -> list[str]:
    return sorted(c["user"] for c in client.client_list())


def test_revoking_channels_disconnects_only_violating_subscribers(srv) -> None:
    client = admin(srv)
    client.execute_command("ACL", "SETUSER", "sub", "on", ">pw", "+@all", "~*", "&ch*", "&news")
    subscriber = RawConnection(srv.host, srv.port)
    subscriber.command("AUTH", "sub", "pw")
    subscriber.command("SUBSCRIBE", "ch1")
    plain = RawConnection(srv.host, srv.port)
    plain.command("AUTH", "sub", "pw")
    client.execute_command("ACL", "SETUSER", "sub", "&other")  # a superset: nobody killed
    client.execute_command("ACL", "SETUSER", "sub", "resetchannels", "&ch1")  # ch1 still allowed
    assert _users_of(client).count("sub") == 2
    client.execute_command("ACL", "SETUSER", "sub", "resetchannels", "&news")
    assert subscriber.is_closed()
    assert plain.command("PING") == b"+PONG\r\n"  # not subscribed: kept
    client.execute_command("ACL", "SETUSER", "sub", "off", "resetpass")
    assert plain.command("PING") == b"+PONG\r\n"  # off and resetpass do not disconnect in 7.0
    plain.close()


def test_deleting_a_user_closes_its_connections(srv) -> None:
    client = admin(srv)
    client.execute_command("ACL", "SETUSER", "gone", "on", ">pw", "+@all", "~*")
    conn = RawConnection(srv.host, srv.port)
    conn.command("AUTH", "gone", "pw")
    assert client.execute_command("ACL", "DELUSER", "gone", "never") == 1
    assert conn.is_closed()
    assert "gone" not in _users_of(client)


def test_client_kill_user(srv) -> None:
    client = admin(srv)
    client.execute_command("ACL", "SETUSER", "k1", "on", ">pw", "+@all", "~*")
    conns = [RawConnection(srv.host, srv.port) for _ in range(2)]
    for conn in conns:
        conn.command("AUTH", "k1", "pw")
    assert client.execute_command("CLIENT", "KILL", "USER", "k1") == 2
    assert all(conn.is_closed() for conn in conns)
    with pytest.raises(redis.ResponseError, match="No such user 'nobody'"):
        client.execute_command("CLIENT", "KILL", "USER", "nobody")


# -- acl-pubsub-default -------------------------------------------------------------------------

def test_acl_pubsub_default_allchannels(start_server) -> None:
    srv = start_server(acl_pubsub_default="allchannels")
    client = admin(srv)
    client.execute_command("ACL", "SETUSER", "p", "on", ">pw", "+@all", "~*")
    assert client.acl_getuser("p")["channels"] == ["&*"]
    assert login(srv, "p").publish("anything", "m") == 0
    client.config_set("acl-pubsub-default", "resetchannels")
    client.execute_command("ACL", "SETUSER", "q", "on", ">pw", "+@all", "~*")
    with pytest.raises(redis.exceptions.NoPermissionError):
        login(srv, "q").publish("anything", "m")


# -- the ACL file ---------------------------------------------------------------------------------

def test_aclfile_load_save_round_trip(start_server, tmp_path) -> None:
    path = tmp_path / "users.acl"
    path.write_text("user default on nopass ~* &* +@all\nuser bob on >pw ~k* +get\n")
    srv = start_server(aclfile=str(path))
    client = admin(srv)
    assert client.acl_users() == ["bob", "default"]
    assert login(srv, "bob").get("k1") is None
    client.execute_command("ACL", "SETUSER", "zed", "on", ">p", "%R~r*", "&c")
    assert client.execute_command("ACL", "SAVE") == b"OK"
    lines = path.read_text().splitlines()
    assert lines[0].startswith("user bob on #") and lines[0].endswith(" ~k* resetchannels -@all +get")
    assert lines[2].startswith("user zed on #") and lines[2].endswith(" %R~r* resetchannels &c -@all")
    bob = RawConnection(srv.host, srv.port)
    bob.command("AUTH", "bob", "pw")
    path.write_text("user default on nopass ~* &* +@all\nuser bob on >pw ~k* +nosuch bogus\nfoo bar\n")
    with pytest.raises(redis.ResponseError) as info:
        client.execute_command("ACL", "LOAD")
    text = str(info.value)
    assert f"{path}:2: Error in applying operation '+nosuch': Unknown command or category name in ACL." in text
    assert f"{path}:2: Syntax error." in text
    assert f"{path}:3 should start with user keyword followed by the username." in text
    assert text.endswith("WARNING: ACL errors detected, no change to the previously active ACL rules was performed")
    assert client.acl_users() == ["bob", "default", "zed"]
    assert bob.command("GET", "k1") == b"$-1\r\n"
    path.write_text("user default on nopass ~* &* +@all\nuser carol on >pw +@all ~*\n")
    assert client.execute_command("ACL", "LOAD") == b"OK"
    assert client.acl_users() == ["carol", "default"]
    assert bob.is_closed()  # users of the replaced set are disconnected
    os.unlink(path)
    with pytest.raises(redis.ResponseError, match="Error loading ACLs, opening file"):
        client.execute_command("ACL", "LOAD")
    bob.close()


def test_a_failing_acl_save_is_logged_and_keeps_the_old_file(start_server, tmp_path, caplog) -> None:
    path = tmp_path / "users.acl"
    path.write_text("user default on nopass ~* &* +@all\n")
    srv = start_server(aclfile=str(path))
    client = admin(srv)
    blocker = tmp_path / f"users.acl.tmp-{os.getpid()}"  # the embedded server's temporary file name
    blocker.mkdir()  # so it cannot be opened for writing, whoever runs the test
    with caplog.at_level("WARNING", logger="damselfly"):
        with pytest.raises(redis.ResponseError, match="Please check the server logs"):
            client.execute_command("ACL", "SAVE")
    assert any(r.getMessage().startswith("Opening temp ACL file for ACL SAVE: ") for r in caplog.records)
    assert path.read_text() == "user default on nopass ~* &* +@all\n"


def test_load_and_save_need_an_aclfile(srv) -> None:
    with pytest.raises(redis.ResponseError, match="not configured to use an ACL file"):
        admin(srv).execute_command("ACL", "SAVE")


# -- secrets ------------------------------------------------------------------------------------------

def test_passwords_stay_out_of_slowlog_and_client_list(srv) -> None:
    client = admin(srv)
    client.config_set("slowlog-log-slower-than", "0")
    client.execute_command("ACL", "SETUSER", "sec", "on", ">hunter2", "+@all", "~*")
    other = redis.Redis(host=srv.host, port=srv.port)
    other.execute_command("AUTH", "sec", "hunter2")
    other.execute_command("HELLO", "2", "AUTH", "sec", "hunter2")
    client.config_set("slowlog-log-slower-than", "10000")
    raw = RawConnection(srv.host, srv.port)
    slowlog = raw.command("SLOWLOG", "GET", "20")
    assert b"hunter2" not in slowlog
    redacted = b"$10\r\n(redacted)\r\n"
    # ACL SETUSER: every argument after the subcommand, as Redis 7.0 does
    assert b"$3\r\nACL\r\n$7\r\nSETUSER\r\n" + redacted * 5 in slowlog
    assert b"$4\r\nAUTH\r\n" + redacted * 2 in slowlog
    assert b"$4\r\nAUTH\r\n" + redacted * 2 in slowlog
    assert b"hunter2" not in raw.command("CLIENT", "LIST")
    raw.close()


def test_exec_checks_again_when_rules_changed_after_queueing(srv) -> None:
    client = admin(srv)
    client.execute_command("ACL", "SETUSER", "ex", "on", ">pw", "+@all", "~*", "&*")
    conn = RawConnection(srv.host, srv.port)
    conn.command("AUTH", "ex", "pw")
    for argv in (("MULTI",), ("GET", "k"), ("SET", "k", "v"), ("PUBLISH", "c", "m"), ("PING",)):
        conn.command(*argv)
    client.execute_command("ACL", "SETUSER", "ex", "resetkeys", "-set", "resetchannels")
    prefix = (b"-NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC "
              b"call. This command is no longer allowed for the following reason: ")
    assert conn.command("EXEC") == (
        b"*4\r\n" + prefix + b"no permission to touch the specified keys\r\n"
        + prefix + b"no permission to execute the command or subcommand\r\n"
        + prefix + b"no permission to access one of the channels used as arguments\r\n+PONG\r\n")
    assert [(e["reason"], e["context"], e["object"]) for e in client.acl_log()] == [
        ("channel", "multi", "c"), ("command", "multi", "set"), ("key", "multi", "k")]
    assert client.get("k") is None
    conn.close()


def test_selectors_grant_access_and_clearing_them_revokes_channels(srv) -> None:
    client = admin(srv)
    client.execute_command("ACL", "SETUSER", "sl", "on", ">pw", "+get", "~a*", "(+@all ~b* &news)")
    conn = login(srv, "sl")
    conn.set("b1", "v")
    assert conn.get("a1") is None
    with pytest.raises(redis.exceptions.NoPermissionError, match="access one of the keys"):
        conn.set("a1", "v")
    subscriber = RawConnection(srv.host, srv.port)
    subscriber.command("AUTH", "sl", "pw")
    assert subscriber.command("SUBSCRIBE", "news").startswith(b"*3\r\n$9\r\nsubscribe")
    raw = RawConnection(srv.host, srv.port)
    assert raw.command("ACL", "GETUSER", "sl").endswith(
        b"$9\r\nselectors\r\n*1\r\n*6\r\n$8\r\ncommands\r\n$5\r\n+@all\r\n$4\r\nkeys\r\n$3\r\n~b*\r\n"
        b"$8\r\nchannels\r\n$5\r\n&news\r\n")
    raw.close()
    client.execute_command("ACL", "SETUSER", "sl", "clearselectors")
    assert subscriber.is_closed()
    with pytest.raises(redis.exceptions.NoPermissionError):
        conn.set("b1", "v")


# -- users in the config file ------------------------------------------------------------------------

def _free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_config_file_user_lines(tmp_path) -> None:
    import subprocess
    import sys
    port = _free_port()
    conf = tmp_path / "d.conf"
    conf.write_text(f'port {port}\nsave ""\ndir {tmp_path}\nuser bob on >pw ~k* +get\n'
                    "user default on >pw ~* &* +@all\n")
    proc = subprocess.Popen([sys.executable, "-m", "damselfly", str(conf)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        client = redis.Redis(port=port, password="pw")
        assert wait_until(lambda: _pings(client), tries=250)
        assert client.execute_command("ACL", "LIST") == [
            b"user bob on #" + hashlib_hex(b"pw") + b" ~k* resetchannels -@all +get",
            b"user default on sanitize-payload #" + hashlib_hex(b"pw") + b" ~* &* +@all"]
        with pytest.raises(redis.AuthenticationError):
            redis.Redis(port=port).ping()
        client.shutdown(nosave=True)
    finally:
        proc.wait(timeout=10)
    for text, message in [
        ("user bob on >pw ~k* +nosuch\n",
         "Error loading ACL rule '+nosuch' for the user named 'bob': Unknown command or category name in ACL"),
    ]:  # the other startup errors: tests/unit/acl/test_registry.py
        conf.write_text(f"port {port}\n" + text)
        done = subprocess.run([sys.executable, "-m", "damselfly", str(conf)], capture_output=True, text=True,
                              timeout=30)
        assert done.returncode == 1
        assert message in done.stderr


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


def hashlib_hex(password: bytes) -> bytes:
    import hashlib
    return hashlib.sha256(password).hexdigest().encode()


def test_noauth_and_noperm_count_as_rejected_calls(start_server) -> None:
    srv = start_server(requirepass="pw")
    client = redis.Redis(host=srv.host, port=srv.port, password="pw")
    client.execute_command("ACL", "SETUSER", "rj", "on", ">pw", "+set", "~*")
    conn = RawConnection(srv.host, srv.port)
    assert conn.command("GET", "x").startswith(b"-NOAUTH")
    conn.command("AUTH", "rj", "pw")
    assert conn.command("GET", "x").startswith(b"-NOPERM")
    stats = client.info("commandstats")["cmdstat_get"]
    assert (stats["calls"], stats["rejected_calls"], stats["failed_calls"]) == (0, 2, 0)
    conn.close()


def test_monitor_hides_credentials_and_acl_setuser(srv) -> None:
    monitor = RawConnection(srv.host, srv.port)
    assert monitor.command("MONITOR") == b"+OK\r\n"
    other = redis.Redis(host=srv.host, port=srv.port)
    other.execute_command("ACL", "SETUSER", "mon", "on", ">hunter2", "+@all", "~*")
    other.execute_command("AUTH", "mon", "hunter2")
    other.execute_command("HELLO", "2", "AUTH", "mon", "hunter2")
    other.execute_command("ECHO", "done")
    seen = b""
    for _ in range(50):
        seen += monitor.read_all(wait=0.05)
        if b'"done"' in seen:
            break
    seen = seen.lower()  # MONITOR shows names as typed
    assert b'"auth" "(redacted)" "(redacted)"' in seen
    assert b'"hello" "2" "auth" "(redacted)" "(redacted)"' in seen
    assert b"hunter2" not in seen and b"setuser" not in seen.lower()
    monitor.close()
