"""AUTH and ACL replies and errors against redis-server 7.0.15, byte for byte.

The servers are shared by the whole session, so every test here runs with
the ``acl_pair`` fixture, which deletes the ``dt_*`` users it created and
restores the default user (``on nopass ~* &* +@all``), ``requirepass``,
``acllog-max-len`` and an empty ACL LOG on both servers afterwards. It also
resets both servers' statistics before each test, so the INFO errorstats
compared here count only the test's own errors.

Redis describes a user's single-command rules in the order of its command
hash table, which changes from one process to the next; the users compared
here differ from a category or from +@all/-@all by one command at most, so
the descriptions are deterministic on both sides.
"""
from __future__ import annotations

from typing import Iterator

import hiredis
import pytest

from damselfly.commands import build_table

from ..resp import RawConnection, parse_reply
from .conftest import Pair

_TABLE = build_table()
_IMPLEMENTED = {spec.full_name.encode() for spec in _TABLE.all_specs()}
CATEGORIES = ["keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap",
              "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking",
              "dangerous", "connection", "transaction", "scripting"]


def _restore(conn: RawConnection) -> None:
    conn.command("AUTH", "default", "dt-secret")  # only needed when a test set requirepass
    conn.command("CONFIG", "SET", "requirepass", "")
    users = hiredis.Reader()
    users.feed(conn.command("ACL", "USERS"))
    for name in users.gets():
        if name.startswith(b"dt_"):
            conn.command("ACL", "DELUSER", name)
    conn.command("ACL", "SETUSER", "default", "on", "nopass", "~*", "&*", "+@all")
    conn.command("CONFIG", "SET", "acllog-max-len", "128")
    conn.command("CONFIG", "SET", "acl-pubsub-default", "resetchannels")
    conn.command("ACL", "LOG", "RESET")


@pytest.fixture
def acl_pair(pair: Pair, server, redis_server) -> Iterator[Pair]:
    pair.both("ACL", "LOG", "RESET")
    # Some tests compare INFO errorstats, which count every error the session
    # servers ever answered: earlier tests elsewhere may have made errors on one
    # of them alone, so the counters start from zero on both here.
    pair.both("CONFIG", "RESETSTAT")
    pair.servers = (server, redis_server)  # type: ignore[attr-defined]
    yield pair
    for srv in (server, redis_server):
        conn = RawConnection(srv.host, srv.port)
        _restore(conn)
        conn.close()


def login(pair: Pair, user: str, password: str = "pw") -> Pair:
    """A second pair of connections, authenticated as ``user`` on both servers."""
    ours, theirs = (RawConnection(s.host, s.port) for s in pair.servers)  # type: ignore[attr-defined]
    other = Pair(ours, theirs)
    other.check("AUTH", user, password)
    return other


# -- AUTH -----------------------------------------------------------------------------------

def test_auth_errors(acl_pair: Pair) -> None:
    acl_pair.check("AUTH", "nopass-configured")
    acl_pair.check("AUTH", "a", "b", "c")
    acl_pair.check("AUTH", "nosuchuser", "pw")
    acl_pair.check("AUTH", "default", "anything")  # nopass: any password
    acl_pair.check("HELLO", "3", "AUTH", "nosuchuser", "pw")
    acl_pair.check("HELLO", "2", "AUTH", "default")
    acl_pair.check("INFO", "errorstats")


def test_auth_as_user_and_wrong_password(acl_pair: Pair) -> None:
    acl_pair.check("ACL", "SETUSER", "dt_u", "on", ">pw", "+@all", "~*")
    acl_pair.check("AUTH", "dt_u", "wrong")
    acl_pair.check("AUTH", "dt_u", "pw")
    acl_pair.check("ACL", "WHOAMI")
    acl_pair.check("ACL", "SETUSER", "dt_u", "off")
    acl_pair.check("AUTH", "dt_u", "pw")
    acl_pair.check("ACL", "WHOAMI")  # still dt_u: a failed AUTH keeps the current user
    acl_pair.check("RESET")
    acl_pair.check("ACL", "WHOAMI")


def test_requirepass_noauth_flow(acl_pair: Pair) -> None:
    acl_pair.check("CONFIG", "SET", "requirepass", "dt-secret")
    fresh = login_unauthenticated(acl_pair)
    for cmd in (("PING",), ("GET", "k"), ("ACL", "WHOAMI"), ("HELLO",), ("HELLO", "3"), ("CLIENT", "ID"),
                ("AUTH", "wrong"), ("AUTH", "default", "wrong"), ("AUTH", "dt-secret"), ("PING",),
                ("RESET",), ("GET", "k")):
        fresh.check(*cmd)
    ours, theirs = fresh.both("HELLO", "2", "AUTH", "default", "dt-secret")
    assert ours[:5] == theirs[:5] == b"*14\r\n"  # the map differs only by client id
    fresh.check("PING")
    acl_pair.check("ACL", "GETUSER", "default")
    acl_pair.check("ACL", "SETUSER", "default", ">second")
    fresh.check("AUTH", "second")
    fresh.check("AUTH", "dt-secret")
    acl_pair.check("CONFIG", "SET", "requirepass", "")
    acl_pair.check("ACL", "GETUSER", "default")


def login_unauthenticated(pair: Pair) -> Pair:
    ours, theirs = (RawConnection(s.host, s.port) for s in pair.servers)  # type: ignore[attr-defined]
    return Pair(ours, theirs)


# -- ACL SETUSER / GETUSER / LIST ------------------------------------------------------------------

@pytest.mark.parametrize("rules", [
    ("#abc",), ("<nopw",), ("+nocmd",), ("+@nocat",), ("-@nocat",), ("bogus",), ("~*", "~a"), ("&*", "&a"),
    ("+select|0", "+client|nosuch"), ("+client|id|x",), ("%X~a",), ("-client|id|x",), ("+get|",),
    ("%~a",), ("%RR~a",), ("~a b",), ("(+get",), ("!" + "A" * 64,), ("(on)",), ("(+nosuch)",), ("(~*", "~a)"),
    ("(+get", "x"),
])
def test_setuser_errors(acl_pair: Pair, rules: tuple[str, ...]) -> None:
    acl_pair.check("ACL", "SETUSER", "dt_err", *rules)
    acl_pair.check("ACL", "GETUSER", "dt_err")  # nothing was created


def test_setuser_username_with_spaces(acl_pair: Pair) -> None:
    acl_pair.check("ACL", "SETUSER", "dt bad", "on")


@pytest.mark.parametrize("rules", [
    (),
    ("on", ">pw", "+get", "~foo*", "&ch*"),
    ("on", "nopass", "+@all", "~*", "&*"),
    ("on", ">pw", "#" + "a" * 64, "+@all", "-@hash", "%R~r*", "%W~w*", "%RW~b*"),
    ("+@read", "+@write"),
    ("+@all", "-@dangerous", "-get"),
    ("+@all", "-client", "+client|id"),
    ("-@all", "+client"),
    ("+select|0", "+select|1"),
    ("reset",),
    ("on", "skip-sanitize-payload", "resetchannels", "&a", "&b", "&a", "~x", "%R~x", "%W~y"),
    ("allkeys", "allchannels", "allcommands", "nopass", "on"),
    ("allcommands", "nocommands", "resetkeys", "resetchannels", "resetpass"),
    ("%RW", "~", "&"),
    ("+@all", "-@all", "+@keyspace"),
    ("on", "+get", "~a*", "(+set ~b* &c*)", "(", "+hget", "%R~h*", ")"),
    ("()", "(allkeys allchannels +@all)"),
    ("(+get ~x)", "clearselectors"),
])
@pytest.mark.parametrize("protocol", [2, 3])
def test_getuser_and_list(acl_pair: Pair, rules: tuple[str, ...], protocol: int) -> None:
    if protocol == 3:
        acl_pair.both("HELLO", "3")
    acl_pair.check("ACL", "SETUSER", "dt_g", *rules)
    acl_pair.check("ACL", "GETUSER", "dt_g")
    acl_pair.check("ACL", "LIST")
    acl_pair.check("ACL", "USERS")


def test_setuser_is_all_or_nothing_and_changes_existing_users(acl_pair: Pair) -> None:
    acl_pair.check("ACL", "SETUSER", "dt_a", "on", ">pw", "+get", "~k")
    acl_pair.check("ACL", "SETUSER", "dt_a", "+set", "~j", "+nosuch")
    acl_pair.check("ACL", "GETUSER", "dt_a")
    acl_pair.check("ACL", "SETUSER", "dt_a", "<pw", ">other", "~j")
    acl_pair.check("ACL", "GETUSER", "dt_a")


def test_deluser_getuser_whoami_users(acl_pair: Pair) -> None:
    acl_pair.check("ACL", "SETUSER", "dt_1")
    acl_pair.check("ACL", "SETUSER", "dt_2")
    acl_pair.check("ACL", "DELUSER", "dt_1", "default")
    acl_pair.check("ACL", "DELUSER", "dt_1", "dt_2", "dt_none")
    acl_pair.check("ACL", "GETUSER", "dt_1")
    acl_pair.check("ACL", "WHOAMI")
    acl_pair.check("ACL", "WHOAMI", "extra")
    acl_pair.check("ACL", "USERS")


# -- small subcommands ------------------------------------------------------------------------------

@pytest.mark.parametrize("args", [
    ("HELP",), ("HELP", "x"), ("CAT",), ("CAT", "nosuch"), ("CAT", "a", "b"), ("GENPASS", "0"),
    ("GENPASS", "4097"), ("GENPASS", "x"), ("GENPASS", "1", "2"), ("LOG", "x"), ("LOG", "-1"), ("LOG", "1", "2"),
    ("LOAD",), ("SAVE",), ("NOSUCH",), ("DRYRUN", "default"), ("DRYRUN", "nouser", "get", "k"),
    ("DRYRUN", "default", "nocmd"), ("DRYRUN", "default", "get"), ("DRYRUN", "default", "client"),
    ("DRYRUN", "default", "client", "nosub"), ("DRYRUN", "default", "get", "k"), ("SETUSER",), ("GETUSER",),
    ("DELUSER",), ("LIST", "x"), ("USERS", "x"),
])
def test_acl_subcommand_replies(acl_pair: Pair, args: tuple[str, ...]) -> None:
    acl_pair.check("ACL", *args)


def test_genpass_lengths(acl_pair: Pair) -> None:
    for bits in (None, "1", "5", "8", "255", "4096"):
        args = ("ACL", "GENPASS") if bits is None else ("ACL", "GENPASS", bits)
        ours, theirs = (parse_reply(f) for f in acl_pair.both(*args))
        assert len(ours) == len(theirs)
        int(ours, 16)


@pytest.mark.parametrize("category", CATEGORIES)
def test_acl_cat_matches_redis_for_implemented_commands(acl_pair: Pair, category: str) -> None:
    ours = set(parse_reply(acl_pair.ours.command("ACL", "CAT", category)))
    theirs = set(parse_reply(acl_pair.theirs.command("ACL", "CAT", category)))
    assert ours == theirs & _IMPLEMENTED, (
        f"@{category}: missing {sorted(theirs & _IMPLEMENTED - ours)}, extra {sorted(ours - theirs)}")


# -- DRYRUN and the real checks ----------------------------------------------------------------------

DRYRUNS = [
    ("get", "foo1"), ("get", "bar"), ("hget", "foo", "x"), ("set", "foo1", "x"), ("set", "w1", "x"),
    ("set", "w1", "x", "get"), ("get", "r1"), ("get", "w1"), ("exists", "w1"), ("exists", "zz"),
    ("rpoplpush", "r1", "w1"), ("rpoplpush", "b1", "w1"), ("copy", "r1", "w1"), ("copy", "w1", "r1"),
    ("zunionstore", "w1", "2", "r1", "w2"), ("zunionstore", "w1", "2", "r1", "r2"),
    ("sort", "r1", "store", "w1"), ("sort", "r1", "store", "r2"), ("mset", "w1", "a", "r1", "b"),
    ("publish", "ch1", "x"), ("publish", "other", "x"), ("subscribe", "ch1", "other"), ("psubscribe", "ch*"),
    ("psubscribe", "ch1"), ("client", "list"), ("client", "id"), ("select", "0"), ("select", "1"),
    ("bitfield", "r1", "get", "u8", "0"), ("bitfield", "r1", "set", "u8", "0", "1"),
    ("auth", "a", "b"), ("lmove", "b1", "w1", "left", "right"), ("set", "b1", "x"), ("set", "a1", "x"),
    ("get", "b1"), ("hget", "h1", "f"), ("publish", "c1", "x"), ("hset", "h1", "f", "v"),
    # variable flags as Redis's own key finders give them: a malformed GET may write, a trailing word
    # after a complete GET is not read as a subcommand, SET's GET compared as a C string
    ("bitfield", "r1", "get", "u8"), ("bitfield", "w1", "get", "u8"), ("bitfield", "r1", "get", "u8", "set"),
    ("bitfield", "r1", "overflow", "sat", "get", "u8", "0"), ("bitfield", "w1", "incrby", "u8", "0", "1"),
    ("set", "r1", "x", "get\x00"), ("set", "w1", "x", "GET"),
]


@pytest.mark.parametrize("user", ["dt_cmd", "dt_rw", "dt_sel"])
def test_dryrun(acl_pair: Pair, user: str) -> None:
    acl_pair.check("ACL", "SETUSER", "dt_sel", "on", "+get", "~a*", "(+set ~b* &c*)", "(+hget %R~h* +publish)",
                   "(+@all ~r* &ch*)")
    acl_pair.check("ACL", "SETUSER", "dt_cmd", "on", ">pw", "+get", "+set", "~foo*", "&ch*", "+client|id",
                   "+select|0", "+publish", "+psubscribe")
    acl_pair.check("ACL", "SETUSER", "dt_rw", "on", ">pw", "+@all", "%R~r*", "%W~w*", "%RW~b*", "&ch*")
    for argv in DRYRUNS:
        acl_pair.check("ACL", "DRYRUN", user, *argv)


def test_noperm_replies_and_acl_log(acl_pair: Pair) -> None:
    acl_pair.check("ACL", "SETUSER", "dt_np", "on", ">pw", "+get", "+set", "+subscribe", "+publish",
                   "+psubscribe", "+multi", "+exec", "+client|id", "~foo*", "&ch*")
    user = login(acl_pair, "dt_np")
    for argv in (("GET", "foo1"), ("GET", "bar"), ("SET", "bar", "x"), ("HGET", "foo", "x"),
                 ("CLIENT", "LIST"), ("ACL", "WHOAMI"), ("PUBLISH", "ch1", "x"), ("PUBLISH", "other", "x"),
                 ("SUBSCRIBE", "ch1", "other"), ("PSUBSCRIBE", "ch*", "x"), ("MULTI",), ("GET", "bar"),
                 ("HGET", "a", "b"), ("GET", "foo"), ("EXEC",), ("AUTH", "dt_np", "wrong")):
        user.check(*argv)
    log_ours = parse_reply(acl_pair.ours.command("ACL", "LOG"))
    log_theirs = parse_reply(acl_pair.theirs.command("ACL", "LOG"))

    def fields(log):
        out = []
        for entry in log:
            d = dict(zip(entry[::2], entry[1::2]))
            out.append((d[b"count"], d[b"reason"], d[b"context"], d[b"object"], d[b"username"]))
        return out
    assert fields(log_ours) == fields(log_theirs)
    acl_pair.check("ACL", "LOG", "RESET")
    acl_pair.check("ACL", "LOG")
    acl_pair.check("INFO", "errorstats")


@pytest.mark.parametrize("args", [
    ("GET", "acl*"), ("SET", "aclfile", "/tmp/x"), ("SET", "acl-pubsub-default", "allchannels"),
    ("GET", "acl-pubsub-default"), ("SET", "acl-pubsub-default", "bogus"), ("SET", "acllog-max-len", "-1"),
    ("SET", "acllog-max-len", "5"), ("GET", "acllog-max-len"), ("GET", "requirepass"),
])
def test_acl_config_options(acl_pair: Pair, args: tuple[str, ...]) -> None:
    acl_pair.check("CONFIG", *args, unordered=args[:2] == ("GET", "acl*"))  # CONFIG GET order is Redis's dict's


def test_acl_pubsub_default_applies_to_new_users(acl_pair: Pair) -> None:
    acl_pair.check("CONFIG", "SET", "acl-pubsub-default", "allchannels")
    acl_pair.check("ACL", "SETUSER", "dt_ps", "on", "+@all")
    acl_pair.check("ACL", "SETUSER", "dt_ps2", "reset")
    acl_pair.check("ACL", "GETUSER", "dt_ps")
    acl_pair.check("ACL", "GETUSER", "dt_ps2")
    acl_pair.check("CONFIG", "SET", "acl-pubsub-default", "resetchannels")
    acl_pair.check("ACL", "SETUSER", "dt_ps", "reset")
    acl_pair.check("ACL", "GETUSER", "dt_ps")


def test_names_and_patterns_that_are_not_utf8(acl_pair: Pair) -> None:
    name = b"dt_\xff1"
    acl_pair.check("ACL", "SETUSER", name, "on", "nopass", "+@all", b"~\xfea", b"&\xfd", b"(~\xfc)")
    acl_pair.check("ACL", "GETUSER", name)
    acl_pair.check("ACL", "LIST")
    acl_pair.check("AUTH", name, "x")
    acl_pair.check("ACL", "WHOAMI")
    acl_pair.check("GET", "zz")
    acl_pair.check("ACL", "DRYRUN", name, "get", b"\xfea")


def test_errors_echo_arguments_as_c_strings(acl_pair: Pair) -> None:
    """Redis formats echoed names with %s (%.128s for a category): raw bytes, cut at a NUL."""
    for argv in (("ACL", "CAT", b"a\x00b"), ("ACL", "CAT", b"\xff\xfe"), ("ACL", "CAT", b"\xc3" * 100),
                 ("ACL", "DRYRUN", b"u\x00v", "get"), ("ACL", "DRYRUN", b"\xffu", "get"),
                 ("ACL", "DRYRUN", "default", b"g\x00et"), ("ACL", "DRYRUN", "default", b"\xff"),
                 ("ACL", "SETUSER", "dt_c", b"bo\x00gus"), ("ACL", "SETUSER", "dt_c", b"\xffbogus"),
                 ("ACL", "SETUSER", "dt_c", b"(\xff"), ("ACL", "SETUSER", "dt_c", b"(a\x00b")):
        acl_pair.check(*argv)


def test_sort_by_and_get_need_full_key_access(acl_pair: Pair) -> None:
    acl_pair.check("RPUSH", "dt_l", "3", "1", "2")
    acl_pair.check("ACL", "SETUSER", "dt_s", "on", ">pw", "+@all", "~dt_l*", "~w*", "(~*)")
    user = login(acl_pair, "dt_s")
    for argv in (("SORT", "dt_l", "BY", "w_*", "GET", "#"), ("SORT", "dt_l", "BY", "nosort"),
                 ("SORT", "dt_l", "GET", "#"), ("SORT", "dt_l", "BY", "w_*->f"), ("SORT_RO", "dt_l", "BY", "w_*"),
                 ("SORT", "dt_l", "LIMIT", "0", "1", "GET", "#"), ("SORT", "dt_l")):
        user.check(*argv)
    acl_pair.check("ACL", "SETUSER", "dt_s", "%R~*")
    user.check("SORT", "dt_l", "BY", "w_*", "GET", "#")


def test_hello_checks_setname_before_auth(acl_pair: Pair) -> None:
    acl_pair.check("HELLO", "2", "SETNAME", "a b", "AUTH", "nouser", "pw")
    acl_pair.check("HELLO", "2", "AUTH", "nouser", "pw", "SETNAME", "a b")
    acl_pair.check("HELLO", "2", "AUTH", "nouser", "pw", "SETNAME", "ok")


def test_hello_options_act_as_they_are_read(acl_pair: Pair) -> None:
    acl_pair.check("ACL", "SETUSER", "dt_h", "on", ">pw", "+@all")
    acl_pair.check("HELLO", "2", "SETNAME", "ok", "bogus")
    acl_pair.check("CLIENT", "GETNAME")
    acl_pair.check("HELLO", "2", "AUTH", "dt_h", "pw", "bogus")
    acl_pair.check("ACL", "WHOAMI")
    acl_pair.check("CONFIG", "SET", "requirepass", "dt-secret")
    acl_pair.check("RESET")
    acl_pair.check("HELLO", "2", "SETNAME", "nn")
    acl_pair.check("AUTH", "dt-secret")
    acl_pair.check("CLIENT", "GETNAME")


_RULES = ["on", "off", "nopass", "resetpass", ">a", ">b", "<a", "#" + "c" * 64, "!" + "c" * 64, "~k*", "%R~r*",
          "%W~w*", "%RW~b*", "allkeys", "resetkeys", "&ch*", "&x", "allchannels", "resetchannels", "+@all", "-@all",
          "+@read", "-@read", "+@write", "-@write", "+@hash", "-@hash", "+@string", "-@string", "+@keyspace",
          "-@keyspace", "+@dangerous", "-@dangerous", "+@admin", "-@admin", "+@fast", "-@fast", "+@slow", "-@slow",
          "+@connection", "-@connection", "+@pubsub", "-@pubsub", "+get", "-get", "+client", "-client",
          "+client|list", "-client|list", "+config|get", "+select|0", "+eval", "-eval", "+@scripting", "-@scripting",
          "reset", "+@stream", "-@stream", "+@list", "-@list", "+@set", "+@sortedset", "-@sortedset",
          "+@transaction", "-@blocking", "(+get ~x)", "clearselectors", "nocommands", "allcommands",
          "skip-sanitize-payload", "sanitize-payload"]


def _normalized(frame: bytes):
    """GETUSER with the single-command rules as a set: Redis prints them in hash-table order."""
    reply = parse_reply(frame)
    if not isinstance(reply, list):
        return reply
    fields = dict(zip(reply[::2], reply[1::2]))
    words = fields[b"commands"].split()
    fields[b"commands"] = ([w for w in words if b"@" in w], sorted(w for w in words if b"@" not in w))
    return fields


@pytest.mark.parametrize("seed", range(4))
def test_random_rule_sequences(acl_pair: Pair, seed: int) -> None:
    """Random SETUSER sequences on one user: same replies, same user (categories chosen as Redis)."""
    import random
    rng = random.Random(seed)
    for _ in range(60):
        rules = [rng.choice(_RULES) for _ in range(rng.randint(1, 6))]
        acl_pair.check("ACL", "SETUSER", "dt_fz", *rules)
        ours, theirs = acl_pair.both("ACL", "GETUSER", "dt_fz")
        assert _normalized(ours) == _normalized(theirs), rules
        if rng.random() < 0.2:
            acl_pair.check("ACL", "DELUSER", "dt_fz")


_KEY_RULES = ["~a*", "%R~a*", "%W~a*", "~b*", "%R~b*", "%W~b*", "%R~*", "%W~*", "~*", "resetkeys", "&c*",
              "allchannels", "resetchannels", "+@all", "-@write", "-@read", "+@read", "-get", "+get", "-@hash",
              "(~c* +@all)", "(%R~d* +@read)", "clearselectors"]
_KEY_COMMANDS = [
    ("get", 1), ("set", 1, "v"), ("set", 1, "v", "get"), ("mget", 1, 1, 1), ("mset", 1, "1", 1, "2"),
    ("rpoplpush", 1, 1), ("lmove", 1, 1, "left", "right"), ("copy", 1, 1), ("rename", 1, 1), ("exists", 1, 1),
    ("del", 1, 1), ("zunionstore", 1, "2", 1, 1), ("zinterstore", 1, "2", 1, 1, "weights", "1", "2"),
    ("sinterstore", 1, 1, 1), ("smove", 1, 1, "m"), ("bitop", "and", 1, 1, 1), ("sort", 1, "store", 1),
    ("sort", 1), ("bitfield", 1, "get", "u8", "0"), ("bitfield", 1, "incrby", "u8", "0", "1"),
    ("lmpop", "2", 1, 1, "left"), ("blmpop", "0", "2", 1, 1, "left"), ("zdiffstore", 1, "2", 1, 1),
    ("pfmerge", 1, 1, 1), ("pfcount", 1, 1), ("getex", 1), ("getdel", 1), ("append", 1, "x"), ("type", 1),
    ("touch", 1, 1), ("hset", 1, "f", "v"), ("hget", 1, "f"), ("publish", "c1", "m"), ("publish", "x", "m"),
    ("subscribe", "c1", "c2"), ("psubscribe", "c*"), ("watch", 1), ("object", "encoding", 1), ("expire", 1, "10"),
    ("zrangestore", 1, 1, "0", "-1"), ("lpos", 1, "x"), ("zmpop", "1", 1, "min"), ("sintercard", "2", 1, 1),
    ("blpop", 1, 1, "0"), ("brpoplpush", 1, 1, "0"), ("getrange", 1, "0", "1"), ("msetnx", 1, "1", 1, "2"),
]


@pytest.mark.parametrize("seed", range(3))
def test_random_users_dryrun(acl_pair: Pair, seed: int) -> None:
    """Random key/channel/command rules (selectors included), then DRYRUN of key-heavy commands.

    ``1`` in a command template is a key drawn at random, so reads, writes and
    both land on keys each pattern kind does or does not cover.
    """
    import random
    rng = random.Random(seed)
    for _ in range(40):
        rules = [rng.choice(_KEY_RULES) for _ in range(rng.randint(1, 5))]
        acl_pair.check("ACL", "SETUSER", "dt_dr", "on", *rules)
        for _ in range(5):
            template = rng.choice(_KEY_COMMANDS)
            argv = [rng.choice(("a1", "b1", "c1", "d1", "e1")) if part == 1 else part for part in template]
            acl_pair.check("ACL", "DRYRUN", "dt_dr", *argv)
