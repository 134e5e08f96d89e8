"""Client-side caching: the tracking table, modes and invalidation frames, without sockets."""
from __future__ import annotations

import pytest

from damselfly.control.messages import InvalidationMessage, RawPush
from damselfly.protocol.reply import OK, SetReply

from .conftest import disconnect, run

INV = b">2\r\n$10\r\ninvalidate\r\n"


def inv3(*keys: bytes) -> bytes:
    return INV + b"*%d\r\n" % len(keys) + b"".join(b"$%d\r\n%s\r\n" % (len(k), k) for k in keys)


def test_default_mode_invalidates_once_and_forgets(state, new_client) -> None:
    c = new_client(resp=3)
    writer = new_client()
    assert run(c, "CLIENT", "TRACKING", "on") == OK
    run(c, "MGET", "a", "b")
    tracking = state.extensions["tracking"]
    assert (tracking.total_keys, tracking.total_items, tracking.clients_count) == (2, 2, 1)
    run(writer, "SET", "a", "1")
    run(writer, "SET", "a", "2")  # forgotten after the first invalidation
    assert c.outbox.frames(3) == [inv3(b"a")]
    assert tracking.total_keys == 1


def test_own_write_is_invalidated_after_the_reply_and_noloop_suppresses_it(state, new_client) -> None:
    c = new_client(resp=3)
    run(c, "CLIENT", "TRACKING", "on")
    run(c, "GET", "k")
    run(c, "SET", "k", "v")
    assert c.outbox.sent == [] and [m.encode(3) for m in c.outbox.after] == [inv3(b"k")]
    n = new_client(resp=3)
    run(n, "CLIENT", "TRACKING", "on", "NOLOOP")
    run(n, "GET", "k")
    run(n, "SET", "k", "w")
    assert n.outbox.sent == [] and n.outbox.after == []


def test_keys_are_names_across_databases(state, new_client) -> None:
    c = new_client(resp=3)
    run(c, "CLIENT", "TRACKING", "on")
    run(c, "GET", "k")
    w = new_client()
    run(w, "SELECT", "5")
    run(w, "SET", "k", "x")
    assert c.outbox.frames(3) == [inv3(b"k")]


def test_only_readonly_commands_are_remembered(state, new_client) -> None:
    c = new_client(resp=3)
    run(c, "CLIENT", "TRACKING", "on")
    run(c, "SET", "w", "1")
    assert state.extensions["tracking"].total_keys == 0


def test_optin_and_optout_follow_client_caching(state, new_client) -> None:
    c = new_client(resp=3)
    run(c, "CLIENT", "TRACKING", "on", "OPTIN")
    run(c, "GET", "o1")
    run(c, "CLIENT", "CACHING", "yes")
    run(c, "GET", "o2")
    run(c, "GET", "o3")  # the flag lasted one command
    run(c, "CLIENT", "CACHING", "yes")
    run(c, "CLIENT", "ID")  # CLIENT subcommands keep it (Redis checks prevcmd == clientCommand)
    run(c, "GET", "o4")
    run(c, "CLIENT", "CACHING", "yes")
    run(c, "MULTI")
    run(c, "GET", "o5")
    run(c, "GET", "o6")
    run(c, "EXEC")
    run(c, "GET", "o7")  # EXEC ended it
    assert sorted(state.extensions["tracking"].table) == [b"o2", b"o4", b"o5", b"o6"]
    o = new_client(resp=3)
    run(o, "CLIENT", "TRACKING", "on", "OPTOUT")
    run(o, "GET", "p1")
    run(o, "CLIENT", "CACHING", "no")
    run(o, "GET", "p2")
    assert b"p1" in state.extensions["tracking"].table and b"p2" not in state.extensions["tracking"].table


def test_flushall_sends_one_null_per_client_and_empties_the_table(state, new_client) -> None:
    c3 = new_client(resp=3)
    run(c3, "CLIENT", "TRACKING", "on")
    run(c3, "GET", "a")
    other = new_client()
    run(other, "FLUSHALL")
    assert c3.outbox.frames(3) == [INV + b"_\r\n"]
    assert state.extensions["tracking"].total_keys == 0
    run(c3, "FLUSHALL")  # its own flush: after the reply
    assert [m.encode(3) for m in c3.outbox.after] == [INV + b"_\r\n"]
    run(other, "FLUSHDB")
    assert len(c3.outbox.sent) == 2


def test_redirect_to_resp2_subscriber_and_null_in_the_trackers_protocol(state, new_client) -> None:
    target = new_client()
    run(target, "SUBSCRIBE", "__redis__:invalidate")
    c = new_client()
    run(c, "CLIENT", "TRACKING", "on", "REDIRECT", str(target.id))
    assert run(c, "CLIENT", "GETREDIR") == target.id
    run(c, "GET", "k")
    run(new_client(), "SET", "k", "v")
    run(new_client(), "FLUSHALL")
    assert target.outbox.frames(2) == [
        b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*1\r\n$1\r\nk\r\n",
        b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n$-1\r\n",
    ]


def test_resp2_target_not_in_pubsub_mode_gets_nothing(state, new_client) -> None:
    target = new_client()
    c = new_client()
    run(c, "CLIENT", "TRACKING", "on", "REDIRECT", str(target.id))
    run(c, "GET", "k")
    run(new_client(), "SET", "k", "v")
    assert target.outbox.sent == [] and c.outbox.sent == []


def test_broken_redirect_is_reported_to_resp3_trackers(state, new_client) -> None:
    target = new_client()
    c = new_client(resp=3)
    run(c, "CLIENT", "TRACKING", "on", "REDIRECT", str(target.id))
    run(c, "GET", "k")
    disconnect(state, target)
    run(new_client(), "SET", "k", "v")
    assert c.outbox.frames(3) == [b">2\r\n$21\r\ntracking-redir-broken\r\n:%d\r\n" % target.id]
    info = run(c, "CLIENT", "TRACKINGINFO")
    assert info[b"flags"] == SetReply([b"on", b"broken_redirect"])


def test_bcast_broadcast_groups_a_turn_and_honours_noloop(state, new_client, monkeypatch) -> None:
    from damselfly.control import tracking as tracking_module
    pending = []
    monkeypatch.setattr(tracking_module, "_call_soon", pending.append)
    c = new_client(resp=3)
    run(c, "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "a:", "PREFIX", "b:")
    n = new_client(resp=3)
    run(n, "CLIENT", "TRACKING", "on", "BCAST", "NOLOOP")
    w = new_client()
    run(w, "MSET", "b:2", "1", "a:1", "2", "a:0", "x")
    run(n, "SET", "a:9", "own")
    for fn in pending:
        fn()
    assert c.outbox.frames(3) == [inv3(b"a:0", b"a:1", b"a:9"), inv3(b"b:2")]
    assert n.outbox.frames(3) == [inv3(b"a:0", b"a:1", b"b:2")]  # minus its own a:9
    tracking = state.extensions["tracking"]
    assert tracking.total_prefixes == 3 and tracking.total_keys == 0  # "a:", "b:" and ""


def test_tracking_table_max_keys_evicts_oldest(state, new_client) -> None:
    state.config.set("tracking-table-max-keys", "2")
    c = new_client(resp=3)
    run(c, "CLIENT", "TRACKING", "on")
    run(c, "GET", "k1")
    run(c, "GET", "k2")
    run(c, "GET", "k3")
    tracking = state.extensions["tracking"]
    assert tracking.total_keys == 2 and b"k1" not in tracking.table
    assert c.outbox.sent == [] and [m.encode(3) for m in c.outbox.after] == [inv3(b"k1")]


@pytest.mark.parametrize("args,error", [
    (("on", "PREFIX", "x"), "ERR PREFIX option requires BCAST mode to be enabled"),
    (("on", "BCAST", "OPTIN"), "ERR OPTIN and OPTOUT are not compatible with BCAST"),
    (("on", "OPTIN", "OPTOUT"), "ERR You can't specify both OPTIN mode and OPTOUT mode"),
    (("on", "REDIRECT", "99999"), "ERR The client ID you want redirect to does not exist"),
    (("on", "REDIRECT", "abc"), "ERR value is not an integer or out of range"),
    (("on", "FOO"), "ERR syntax error"),
    (("maybe",), "ERR syntax error"),
    (("on", "REDIRECT"), "ERR syntax error"),
    (("on", "BCAST", "PREFIX", "c", "PREFIX", "cd"),
     "ERR Prefix 'c' overlaps with another provided prefix 'cd'. Prefixes for a single client must not overlap."),
    (("on", "BCAST", "PREFIX", "d", "PREFIX", "e", "PREFIX", "ef"),
     "ERR Prefix 'e' overlaps with another provided prefix 'ef'. Prefixes for a single client must not overlap."),
])
def test_tracking_errors(state, new_client, args, error) -> None:
    c = new_client(resp=3)
    assert run(c, "CLIENT", "TRACKING", *args).message == error
    assert c.tracking is None  # nothing was enabled, not even after the third prefix


def test_mode_switch_errors_and_trackinginfo(state, new_client) -> None:
    c = new_client(resp=3)
    assert run(c, "CLIENT", "TRACKINGINFO") == {b"flags": SetReply([b"off"]), b"redirect": -1, b"prefixes": []}
    run(c, "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "a:")
    assert run(c, "CLIENT", "TRACKING", "on").message.startswith("ERR You can't switch BCAST mode")
    assert run(c, "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "a:x").message == (
        "ERR Prefix 'a:x' overlaps with an existing prefix 'a:'. Prefixes for a single client must not overlap.")
    run(c, "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "b:")  # adds a prefix
    assert run(c, "CLIENT", "TRACKINGINFO")[b"prefixes"] == [b"a:", b"b:"]
    run(c, "CLIENT", "TRACKING", "off")
    assert state.extensions["tracking"].total_prefixes == 0
    run(c, "CLIENT", "TRACKING", "on", "OPTIN")
    assert run(c, "CLIENT", "TRACKING", "on", "OPTOUT").message.startswith("ERR You can't switch OPTIN/OPTOUT")
    assert run(c, "CLIENT", "CACHING", "no").message == (
        "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.")
    run(c, "CLIENT", "CACHING", "yes")
    assert run(c, "CLIENT", "TRACKINGINFO")[b"flags"] == SetReply([b"on", b"optin", b"caching-yes"])
    assert run(c, "CLIENT", "GETREDIR") == 0


def test_disconnect_disables_tracking_and_unhooks(state, new_client) -> None:
    c = new_client(resp=3)
    run(c, "CLIENT", "TRACKING", "on", "BCAST")
    tracking = state.extensions["tracking"]
    assert tracking.after_command in state.after_command_hooks
    disconnect(state, c)
    assert tracking.clients_count == 0 and tracking.total_prefixes == 0
    assert tracking.after_command not in state.after_command_hooks
    assert tracking.on_change not in state.keyspace.listeners


def test_invalidation_frames() -> None:
    msg = InvalidationMessage([b"a", b"bc"])
    assert msg.frame3 == inv3(b"a", b"bc")
    assert msg.frame2 == b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*2\r\n$1\r\na\r\n$2\r\nbc\r\n"
    assert InvalidationMessage(None, 2).frame3 == INV + b"$-1\r\n"
    assert RawPush([b"x", 1]).frame2 == b"*2\r\n$1\r\nx\r\n:1\r\n"


def test_tracking_table_max_keys_spares_a_key_read_again(state, new_client) -> None:
    """The victim is the least recently read key: a hot key read over and over stays."""
    state.config.set("tracking-table-max-keys", "2")
    c = new_client(resp=3)
    run(c, "CLIENT", "TRACKING", "on")
    run(c, "GET", "hot")
    run(c, "GET", "k1")
    run(c, "GET", "hot")
    run(c, "GET", "k2")
    tracking = state.extensions["tracking"]
    assert set(tracking.table) == {b"hot", b"k2"} and tracking.total_items == 2
    assert [m.encode(3) for m in c.outbox.after] == [inv3(b"k1")]


def test_movable_and_failed_reads_are_remembered(state, new_client) -> None:
    c = new_client(resp=3)
    run(c, "CLIENT", "TRACKING", "on")
    run(c, "ZUNION", "2", "a", "b", "WITHSCORES")
    run(c, "SORT_RO", "l", "BY", "nosort")
    run(c, "SINTERCARD", "1", "s")
    run(c, "ZUNION", "5", "x")  # numkeys past the end: no key can be found
    assert set(state.extensions["tracking"].table) == {b"a", b"b", b"l", b"s"}
