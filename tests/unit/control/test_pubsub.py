"""The channel registry and the pub/sub commands, without sockets."""
from __future__ import annotations

from damselfly.control.messages import PubMessage
from damselfly.protocol.reply import Push, Replies, encode

from .conftest import disconnect, run


def test_publish_shares_one_message_per_kind_across_subscribers(state, new_client) -> None:
    subs = [new_client() for _ in range(3)]
    for c in subs:
        run(c, "SUBSCRIBE", "news")
    pat = new_client()
    run(pat, "PSUBSCRIBE", "n*")
    publisher = new_client()
    assert run(publisher, "PUBLISH", "news", "hello") == 4
    sent = [c.outbox.sent for c in subs]
    assert all(len(s) == 1 for s in sent)
    assert sent[0][0] is sent[1][0] is sent[2][0]  # one PubMessage, one frame, shared
    assert sent[0][0].frame2 == b"*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$5\r\nhello\r\n"
    assert pat.outbox.frames(3) == [b">4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$5\r\nhello\r\n"]


def test_channel_then_pattern_delivery_order_and_receiver_count(state, new_client) -> None:
    c = new_client()
    run(c, "SUBSCRIBE", "a")
    run(c, "PSUBSCRIBE", "a*", "*")
    assert run(new_client(), "PUBLISH", "a", "x") == 3
    kinds = [(pattern, channel) for pattern, channel, _ in c.outbox.messages()]
    assert kinds == [(None, b"a"), (b"a*", b"a"), (b"*", b"a")]


def test_subscribe_replies_one_confirmation_per_channel(state, new_client) -> None:
    c = new_client()
    reply = run(c, "SUBSCRIBE", "x", "y", "x")
    assert isinstance(reply, Replies)
    assert reply == [Push([b"subscribe", b"x", 1]), Push([b"subscribe", b"y", 2]),
                     Push([b"subscribe", b"x", 2])]
    assert encode(reply, 2).count(b"*3\r\n") == 3
    assert encode(reply, 3).count(b">3\r\n") == 3
    single = run(c, "PSUBSCRIBE", "p*")
    assert single == Push([b"psubscribe", b"p*", 3])  # counts channels + patterns


def test_unsubscribe_with_nothing_names_a_null_channel(state, new_client) -> None:
    c = new_client()
    assert encode(run(c, "UNSUBSCRIBE"), 2) == b"*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n"
    assert encode(run(c, "PUNSUBSCRIBE"), 3) == b">3\r\n$12\r\npunsubscribe\r\n_\r\n:0\r\n"
    run(c, "SSUBSCRIBE", "s")
    run(c, "SUBSCRIBE", "c")
    # shard confirmations count shard channels only; the others ignore shard channels
    assert run(c, "PUNSUBSCRIBE") == Push([b"punsubscribe", None, 1])
    assert run(c, "SUNSUBSCRIBE") == Push([b"sunsubscribe", b"s", 0])


def test_unsubscribe_stops_delivery_at_once(state, new_client) -> None:
    c = new_client()
    run(c, "SUBSCRIBE", "a", "b")
    run(c, "UNSUBSCRIBE", "a")
    pub = new_client()
    assert run(pub, "PUBLISH", "a", "x") == 0
    assert run(pub, "PUBLISH", "b", "x") == 1
    assert [channel for _, channel, _ in c.outbox.messages()] == [b"b"]


def test_shard_channels_are_separate(state, new_client) -> None:
    c = new_client()
    run(c, "SSUBSCRIBE", "s")
    pub = new_client()
    assert run(pub, "PUBLISH", "s", "x") == 0
    assert run(pub, "SPUBLISH", "s", "x") == 1
    assert c.outbox.frames() == [b"*3\r\n$8\r\nsmessage\r\n$1\r\ns\r\n$1\r\nx\r\n"]


def test_disconnect_removes_every_subscription(state, new_client) -> None:
    c = new_client()
    run(c, "SUBSCRIBE", "a")
    run(c, "PSUBSCRIBE", "p*")
    run(c, "SSUBSCRIBE", "s")
    registry = state.extensions["pubsub"]
    disconnect(state, c)
    assert not registry.channels and not registry.patterns and not registry.shard_channels
    assert registry._pattern_index == []
    assert run(new_client(), "PUBLISH", "pa", "x") == 0


def test_pubsub_introspection(state, new_client) -> None:
    a, b = new_client(), new_client()
    run(a, "SUBSCRIBE", "news", "notes")
    run(b, "SUBSCRIBE", "news")
    run(a, "PSUBSCRIBE", "x*")
    run(b, "PSUBSCRIBE", "x*", "y*")
    run(b, "SSUBSCRIBE", "s1")
    q = new_client()
    assert sorted(run(q, "PUBSUB", "CHANNELS")) == [b"news", b"notes"]
    assert run(q, "PUBSUB", "CHANNELS", "new?") == [b"news"]
    assert run(q, "PUBSUB", "NUMSUB", "news", "none") == [b"news", 2, b"none", 0]
    assert run(q, "PUBSUB", "NUMPAT") == 2  # distinct patterns (Redis 7.0)
    assert run(q, "PUBSUB", "SHARDCHANNELS") == [b"s1"]
    assert run(q, "PUBSUB", "SHARDNUMSUB", "s1") == [b"s1", 1]
    err = run(q, "PUBSUB", "channels", "a", "b")
    assert err.message == ("ERR unknown subcommand or wrong number of arguments for 'channels'. "
                           "Try PUBSUB HELP.")
    assert state.extensions["pubsub"].clients() == 2


def test_resp2_subscribed_mode_rule_names_the_subcommand(state, new_client) -> None:
    c = new_client()
    run(c, "SUBSCRIBE", "a")
    assert run(c, "CLIENT", "ID").message.startswith("ERR Can't execute 'client|id': only (P|S)SUBSCRIBE")
    assert run(c, "GET", "k").message.startswith("ERR Can't execute 'get'")
    assert run(c, "PING") == [b"pong", b""]
    c3 = new_client(resp=3)
    run(c3, "SUBSCRIBE", "a")
    assert run(c3, "GET", "k") is None  # RESP3: any command


def test_consecutive_publishes_share_one_run_per_subscriber(state, new_client) -> None:
    subs = [new_client() for _ in range(3)]
    for c in subs:
        run(c, "SUBSCRIBE", "ch")
    pub = new_client()
    for i in range(5):
        run(pub, "PUBLISH", "ch", str(i))
    for c in subs:
        assert len(c.outbox.sent) == 1  # queued once, grew with each publish
        assert [p for _, _, p in c.outbox.messages()] == [b"0", b"1", b"2", b"3", b"4"]
    assert subs[0].outbox.sent[0] is subs[1].outbox.sent[0]
    frame = subs[0].outbox.sent[0].frame2  # reading it closes the run...
    assert frame == b"".join(b"*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$1\r\n%d\r\n" % i for i in range(5))
    run(pub, "PUBLISH", "ch", "5")  # ...so the next publish starts another
    assert len(subs[0].outbox.sent) == 2


def test_subscription_changes_close_the_run(state, new_client) -> None:
    a = new_client()
    run(a, "SUBSCRIBE", "ch")
    pub = new_client()
    run(pub, "PUBLISH", "ch", "1")
    b = new_client()
    run(b, "SUBSCRIBE", "ch")  # b must not see "1", nor share a run that holds it
    run(pub, "PUBLISH", "ch", "2")
    assert [p for _, _, p in a.outbox.messages()] == [b"1", b"2"]
    assert [p for _, _, p in b.outbox.messages()] == [b"2"]
    run(a, "UNSUBSCRIBE", "ch")
    run(pub, "PUBLISH", "ch", "3")
    assert [p for _, _, p in a.outbox.messages()] == [b"1", b"2"]
    assert [p for _, _, p in b.outbox.messages()] == [b"2", b"3"]


def test_runs_are_capped_in_messages_and_bytes(state, new_client, monkeypatch) -> None:
    from damselfly.control import pubsub as pubsub_module
    monkeypatch.setattr(pubsub_module, "RUN_MESSAGES", 3)
    c = new_client()
    run(c, "SUBSCRIBE", "ch")
    pub = new_client()
    for i in range(7):
        run(pub, "PUBLISH", "ch", str(i))
    assert [m.count for m in c.outbox.sent] == [3, 3, 1]
    monkeypatch.setattr(pubsub_module, "RUN_MESSAGES", 1000)
    monkeypatch.setattr(pubsub_module, "RUN_BYTES", 250)
    run(c, "SUBSCRIBE", "big")
    for _ in range(5):
        run(pub, "PUBLISH", "big", "x" * 100)
    assert [m.count for m in c.outbox.sent[3:]] == [3, 2]
    assert c.outbox.sent[3].size >= 300


def test_message_sizes_cover_the_frame(state, new_client) -> None:
    msg = PubMessage(b"chan", b"x" * 100)
    assert msg.size >= len(msg.frame2) - 1
    assert msg.frame3[0:1] == b">"


def test_a_drained_run_is_not_kept_alive_by_the_registry(state, new_client) -> None:
    import gc
    import weakref
    c = new_client()
    run(c, "SUBSCRIBE", "ch")
    pub = new_client()
    run(pub, "PUBLISH", "ch", "x" * 1000)
    r = weakref.ref(c.outbox.sent[0])
    c.outbox.sent.clear()  # the subscriber wrote it
    gc.collect()
    assert r() is None
    run(pub, "PUBLISH", "ch", "y")  # and the next publish starts a new run
    assert c.outbox.messages() == [(None, b"ch", b"y")]
