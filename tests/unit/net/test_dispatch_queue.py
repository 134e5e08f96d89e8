"""The control path's dispatch queue (DESIGN section 3, rules 1-8), with no sockets.

A fake transport counts write calls (each is one syscall on a real socket)
and a fake loop runs ``call_soon`` callbacks one turn at a time, so every
rule is checked by what reaches the "socket" and when.
"""
from __future__ import annotations

from typing import Any

import pytest

from damselfly.control.messages import Checkpoint, ControlMessage, MonitorMessage, PubMessage
from damselfly.net import connection as connection_module
from damselfly.net.connection import Connection, _count_replying

from .fakes import FakeLoop, FakeTransport, make_connection


def make(**options: str) -> tuple[Connection, FakeTransport, FakeLoop]:
    transport = FakeTransport()
    conn, loop = make_connection(transport, **options)
    return conn, transport, loop


def messages(n: int) -> list[PubMessage]:
    return [PubMessage(b"ch", b"m%d" % i) for i in range(n)]


class Spy(ControlMessage):
    """A replying message that records the connection's batch mode when its frame is read."""

    __slots__ = ("conn", "seen", "size")

    def __init__(self, conn: Connection, seen: list[bool]) -> None:
        self.conn = conn
        self.seen = seen
        self.size = 10

    @property
    def frame2(self) -> bytes:  # type: ignore[override]
        self.seen.append(self.conn.batch_mode)
        return b"+spy\r\n"

    frame3 = frame2


class Boom(ControlMessage):
    """A replying message whose encoding fails."""

    __slots__ = ()
    size = 10

    @property
    def frame2(self) -> bytes:  # type: ignore[override]
        raise RuntimeError("encoding failed")

    frame3 = frame2


# -- rule 1: batch only when two or more replies wait ----------------------------------

def test_count_replying_ignores_checkpoints_and_stops_at_two() -> None:
    from collections import deque
    cp = Checkpoint(lambda c: None)
    assert _count_replying(deque([cp, PubMessage(b"c", b"x")])) == 1
    assert _count_replying(deque([cp, cp, cp])) == 0
    assert _count_replying(deque(messages(50))) == 2
    assert _count_replying(deque([cp, *messages(3)]), quota=2) == 1  # only what this drain takes


def test_hundred_messages_take_at_most_two_writes() -> None:
    conn, transport, loop = make()
    for msg in messages(100):
        conn.send_async(msg)
    assert transport.writes == []  # producers never write: the drain is scheduled
    loop.run()
    assert 1 <= len(transport.writes) <= 2
    assert transport.data == b"".join(m.frame2 for m in messages(100))
    assert conn.state.stats.control_batches == 1


def test_one_message_is_written_in_the_same_drain_unbatched() -> None:
    conn, transport, loop = make()
    seen: list[bool] = []
    conn.send_async(Spy(conn, seen))
    assert loop.turn() == 1
    assert transport.writes == [b"+spy\r\n"]
    assert seen == [False]
    assert conn.state.stats.control_batches == 0
    assert loop.ready == []  # nothing left over for a later turn


def test_checkpoint_and_one_message_are_not_batched() -> None:
    conn, transport, loop = make()
    during: list[bool] = []
    seen: list[bool] = []
    conn.send_async(Checkpoint(lambda client: during.append(conn.batch_mode)))
    conn.send_async(Spy(conn, seen))
    loop.turn()
    assert during == [False] and seen == [False]
    assert transport.writes == [b"+spy\r\n"]
    assert conn.state.stats.control_batches == 0


def test_two_messages_are_batched() -> None:
    conn, transport, loop = make()
    seen: list[bool] = []
    conn.send_async(Spy(conn, seen))
    conn.send_async(Spy(conn, seen))
    loop.turn()
    assert seen == [True, True]
    assert transport.writes == [b"+spy\r\n+spy\r\n"]


def test_checkpoint_runs_after_earlier_messages_are_written() -> None:
    conn, transport, loop = make()
    written_before: list[bytes] = []
    m1, m2 = messages(2)
    conn.send_async(m1)
    conn.send_async(Checkpoint(lambda client: written_before.append(transport.data)))
    conn.send_async(m2)
    loop.turn()
    assert written_before == [m1.frame2]
    assert transport.data == m1.frame2 + m2.frame2


# -- rules 2-3: quota, flush before yielding -------------------------------------------

def test_quota_flushes_each_drain_and_yields_to_the_clients_own_commands() -> None:
    conn, transport, loop = make(async_dispatch_quota="4")
    flood = messages(100)
    for msg in flood:
        conn.send_async(msg)
    loop.turn()
    # the quota stopped the drain after 4: those 4 are on the wire, not left in the sink
    assert transport.writes == [b"".join(m.frame2 for m in flood[:4])]
    assert len(conn.queue) == 96 and len(loop.ready) == 1  # the rest waits for the next turn
    loop.turn()
    assert len(transport.writes) == 2 and transport.writes[1] == b"".join(m.frame2 for m in flood[4:8])
    # the client's PING is answered now, not after 23 more turns, and after what was queued before it
    conn.data_received(b"PING\r\n")
    assert transport.writes[-1].endswith(b"+PONG\r\n")
    assert not conn.queue
    loop.run()
    assert transport.data == b"".join(m.frame2 for m in flood) + b"+PONG\r\n"


def test_quota_zero_means_no_limit() -> None:
    conn, transport, loop = make(async_dispatch_quota="0")
    for msg in messages(500):
        conn.send_async(msg)
    assert loop.run() == 1
    assert len(transport.writes) == 1


# -- rule 4: batch mode restored on every exit path ----------------------------------------

def test_batch_mode_off_after_batched_quota_and_failing_drains() -> None:
    conn, transport, loop = make(async_dispatch_quota="3")
    seen: list[bool] = []
    for _ in range(5):
        conn.send_async(Spy(conn, seen))
    loop.turn()
    assert seen == [True, True, True] and conn.batch_mode is False
    loop.run()
    assert conn.batch_mode is False

    conn.send_async(Spy(conn, seen))
    conn.send_async(Boom())
    conn.send_async(Spy(conn, seen))
    with pytest.raises(RuntimeError):
        loop.turn()
    assert conn.batch_mode is False


def test_failing_message_does_not_strand_the_rest() -> None:
    conn, transport, loop = make()
    good = messages(2)

    def fail(client: Any) -> None:
        raise RuntimeError("callback failed")

    conn.send_async(good[0])
    conn.send_async(Checkpoint(fail))
    conn.send_async(good[1])
    with pytest.raises(RuntimeError):
        loop.turn()
    assert conn.batch_mode is False
    assert transport.data == good[0].frame2  # written before the barrier ran
    loop.run()  # the drain was rescheduled: the message after the failure still arrives
    assert transport.data == good[0].frame2 + good[1].frame2
    assert conn.state.stats.dispatch_queue_bytes == 0


@pytest.mark.parametrize("quota", ["0", "2"])  # the whole queue, and a slice of it
def test_a_message_that_cannot_be_encoded_does_not_strand_a_batch(quota: str) -> None:
    """The batched drain reads every frame in one pass; one that raises is dropped like any other failure."""
    conn, transport, loop = make(async_dispatch_quota=quota)
    good = messages(3)
    conn.send_async(good[0])
    conn.send_async(Boom())
    conn.send_async(good[1])
    conn.send_async(good[2])
    with pytest.raises(RuntimeError):
        loop.turn()
    assert conn.batch_mode is False
    assert transport.data == good[0].frame2  # what came before the failure is written
    loop.run()  # the failing message is gone: the rest arrives, in order
    assert transport.data == b"".join(m.frame2 for m in good)
    assert not conn.queue and conn.queued_bytes() == 0
    stats = conn.state.stats
    assert stats.dispatch_queue_bytes == 0 and stats.dispatch_queue_peak_bytes == sum(m.size for m in good) + Boom.size
    conn.send_async(MonitorMessage(b"later"))  # and the connection keeps delivering
    loop.run()
    assert transport.data.endswith(b"+later\r\n")


# -- rule 5: control-batching no -----------------------------------------------------------

def test_control_batching_no_writes_each_message() -> None:
    conn, transport, loop = make(control_batching="no")
    flood = messages(10)
    for msg in flood:
        conn.send_async(msg)
    loop.run()
    assert transport.writes == [m.frame2 for m in flood]
    assert conn.state.stats.control_batches == 0


def test_config_set_control_batching_applies_to_an_open_connection() -> None:
    """Read per drain, not kept from the connection's start: CONFIG SET changes the next drain."""
    sub, sub_t, pub, pub_t, loop = make_pair()
    sub.data_received(b"SUBSCRIBE a\r\n")
    feed = [MonitorMessage(b"x%d" % i) for i in range(3)]

    def writes_for(publishes_and_feed: int) -> int:
        sub_t.writes.clear()
        pub.data_received(publishes(*[("a", str(i)) for i in range(publishes_and_feed)]))  # one run
        loop.run()
        for msg in feed:  # three messages of their own
            sub.send_async(msg)
        loop.run()
        assert payloads(sub_t.data) == [str(i).encode() for i in range(publishes_and_feed)]
        assert sub_t.data.endswith(b"+x0\r\n+x1\r\n+x2\r\n")
        return len(sub_t.writes)

    assert writes_for(5) == 2
    pub.data_received(b"CONFIG SET control-batching no\r\n")
    assert writes_for(5) == 5 + 3
    pub.data_received(b"CONFIG SET control-batching yes\r\n")
    assert writes_for(5) == 2


# -- rule 6: ordering against the client's own replies ----------------------------------------

def test_messages_queued_before_a_command_precede_its_reply_in_one_write() -> None:
    conn, transport, loop = make()
    flood = messages(3)
    for msg in flood:
        conn.send_async(msg)
    conn.data_received(b"PING\r\n")
    assert transport.writes == [b"".join(m.frame2 for m in flood) + b"+PONG\r\n"]
    loop.run()  # the scheduled drain finds nothing left
    assert len(transport.writes) == 1


def test_messages_queued_before_hello_keep_the_old_protocol() -> None:
    """They were due before HELLO ran (Redis had them in the output buffer already)."""
    conn, transport, loop = make()
    msg = PubMessage(b"ch", b"hi")
    conn.send_async(msg)
    conn.data_received(b"HELLO 3\r\n")
    assert transport.writes[0].startswith(msg.frame2 + b"%7\r\n")


def test_resp3_frames_for_resp3_clients() -> None:
    conn, transport, loop = make()
    conn.data_received(b"HELLO 3\r\n")
    transport.writes.clear()
    msg = PubMessage(b"ch", b"hi")
    conn.send_async(msg)
    loop.run()
    assert transport.data == b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n"


# -- rule 7: slow consumers ---------------------------------------------------------------

def test_hard_limit_drops_the_queue_and_counts_the_disconnection() -> None:
    conn, transport, loop = make(client_output_buffer_limit="normal 1000 0 0")
    for msg in messages(5):
        conn.send_async(msg)
    loop.run()
    assert not transport.aborted
    transport.buffered = 900  # the peer stopped reading: what we wrote stays in the transport
    for msg in messages(4):
        conn.send_async(msg)
    assert not transport.aborted
    loop.run()
    for msg in messages(5):
        conn.send_async(msg)
    assert transport.aborted and conn.closing
    assert not conn.queue and conn.queued_bytes() == 0
    stats = conn.state.stats
    assert stats.client_output_buffer_limit_disconnections == 1
    assert stats.dispatch_queue_bytes == 0
    conn.send_async(MonitorMessage(b"late"))  # producers never fail or wait afterwards
    assert not conn.queue


def test_limit_is_noticed_after_a_drain_moved_bytes_to_the_transport() -> None:
    conn, transport, loop = make(client_output_buffer_limit="normal 1000 0 0")
    conn.send_async(MonitorMessage(b"a"))
    transport.buffered = 999
    loop.run()  # the drain refreshes what the transport holds
    conn.send_async(MonitorMessage(b"b"))
    assert transport.aborted


def test_soft_limit_needs_to_last_longer_than_its_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(connection_module.time, "monotonic", lambda: now[0])
    conn, transport, loop = make(client_output_buffer_limit="normal 0 100 10")
    transport.buffered = 200
    conn.send_async(MonitorMessage(b"a"))
    now[0] += 10
    conn.send_async(MonitorMessage(b"b"))
    assert not transport.aborted  # exactly 10 s: Redis waits for more than soft_seconds
    now[0] += 1
    conn.send_async(MonitorMessage(b"c"))
    assert transport.aborted
    assert conn.state.stats.client_output_buffer_limit_disconnections == 1


def test_soft_limit_timer_restarts_below_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(connection_module.time, "monotonic", lambda: now[0])
    conn, transport, loop = make(client_output_buffer_limit="normal 0 100 10")
    transport.buffered = 200
    conn.send_async(MonitorMessage(b"a"))
    transport.buffered = 0  # the peer caught up
    loop.run()
    now[0] += 30
    transport.buffered = 200  # and fell behind again
    conn.send_async(MonitorMessage(b"b"))
    loop.run()
    conn.send_async(MonitorMessage(b"c"))
    assert not transport.aborted  # a new episode: its timer started now, not 30 s ago
    now[0] += 11
    conn.send_async(MonitorMessage(b"d"))
    assert transport.aborted


@pytest.mark.parametrize("buffered, written", [(30000, False), (20000, True)])
def test_a_lone_large_message_is_checked_before_it_is_written(buffered: int, written: bool) -> None:
    """Past the 16 KiB a client's static buffer holds, a write counts against the limit before it is made."""
    conn, transport, loop = make(client_output_buffer_limit="pubsub 40000 0 0")
    conn.data_received(b"SUBSCRIBE ch\r\n")
    transport.writes.clear()
    big = PubMessage(b"ch", b"x" * 30000)
    conn.send_async(big)  # queued: 30040 bytes, under the limit
    transport.buffered = buffered  # by its drain the peer has fallen behind: 13656 more would pass 40000 or not
    loop.run()
    stats = conn.state.stats
    assert transport.writes == ([big.frame2] if written else [])
    assert transport.aborted is not written
    assert stats.client_output_buffer_limit_disconnections == (0 if written else 1)
    assert stats.total_writes_processed == (2 if written else 1)  # the SUBSCRIBE reply, then the message
    assert stats.dispatch_queue_bytes == 0 and conn.queued_bytes() == 0


def test_pubsub_class_applies_to_subscribers_only() -> None:
    conn, transport, loop = make(client_output_buffer_limit="pubsub 1000 0 0")
    transport.buffered = 5000
    conn.send_async(MonitorMessage(b"x"))
    loop.run()
    conn.send_async(MonitorMessage(b"x"))
    assert not transport.aborted  # not subscribed: the normal class (no limit)
    conn.data_received(b"SUBSCRIBE ch\r\n")
    conn.send_async(MonitorMessage(b"y"))
    loop.run()  # the class is re-read at the latest by the next drain
    conn.send_async(MonitorMessage(b"z"))
    assert transport.aborted


# -- INFO counters ----------------------------------------------------------------------------

def test_queue_byte_counters_follow_the_queue() -> None:
    conn, transport, loop = make()
    flood = messages(10)
    for msg in flood:
        conn.send_async(msg)
    assert conn.queued_bytes() == sum(m.size for m in flood)
    loop.run()
    stats = conn.state.stats
    assert conn.queued_bytes() == 0 and stats.dispatch_queue_bytes == 0
    assert stats.dispatch_queue_peak_bytes == sum(m.size for m in flood)
    assert stats.control_messages == 10


# -- PUBLISH runs through real connections ---------------------------------------------------

def make_pair(**options: str) -> tuple[Connection, FakeTransport, Connection, FakeTransport, FakeLoop]:
    """A subscriber and a publisher connection on one server state."""
    sub, sub_t, loop = make(**options)
    pub = Connection(sub.state, loop)  # type: ignore[arg-type]
    pub_t = FakeTransport()
    pub.connection_made(pub_t)  # type: ignore[arg-type]
    return sub, sub_t, pub, pub_t, loop


def publishes(*pairs: tuple[str, str]) -> bytes:
    return b"".join(b"PUBLISH %s %s\r\n" % (c.encode(), p.encode()) for c, p in pairs)


def payloads(data: bytes) -> list[bytes]:
    parts = data.split(b"\r\n")
    return [parts[i + 4] for i, x in enumerate(parts) if x == b"message"]


def test_a_pipeline_of_publishes_reaches_a_subscriber_in_order_across_channels() -> None:
    sub, sub_t, pub, pub_t, loop = make_pair()
    sub.data_received(b"SUBSCRIBE a b\r\n")
    sub_t.writes.clear()
    pub.data_received(publishes(("a", "1"), ("a", "2"), ("b", "3"), ("a", "4"), ("a", "5")))
    assert pub_t.data == b":1\r\n" * 5
    assert len(sub.queue) == 3  # a:[1,2], b:[3], a:[4,5]: a run ends when anything follows it
    loop.run()
    assert payloads(sub_t.data) == [b"1", b"2", b"3", b"4", b"5"]
    assert len(sub_t.writes) == 1


def test_the_quota_counts_entries_and_a_run_is_one() -> None:
    sub, sub_t, pub, pub_t, loop = make_pair(async_dispatch_quota="2")
    sub.data_received(b"SUBSCRIBE a b\r\n")
    sub_t.writes.clear()
    pub.data_received(publishes(*[("a", str(i)) for i in range(10)], ("b", "10"), ("a", "11")))
    assert [m.count for m in sub.queue] == [10, 1, 1]
    loop.turn()  # two entries: eleven messages, one write
    assert payloads(sub_t.data) == [str(i).encode() for i in range(11)] and len(sub_t.writes) == 1
    sub.data_received(b"PING\r\n")  # what is left goes first (rule 6), then PONG
    assert sub_t.writes[-1].endswith(b"*2\r\n$4\r\npong\r\n$0\r\n\r\n")
    assert payloads(sub_t.data) == [str(i).encode() for i in range(12)]


def test_runs_are_written_message_by_message_without_batching() -> None:
    sub, sub_t, pub, pub_t, loop = make_pair(control_batching="no")
    sub.data_received(b"SUBSCRIBE a\r\n")
    sub_t.writes.clear()
    pub.data_received(publishes(*[("a", str(i)) for i in range(5)]))
    loop.run()
    assert len(sub_t.writes) == 5
    assert payloads(sub_t.data) == [str(i).encode() for i in range(5)]


def test_a_run_closes_before_an_unsubscribe_confirmation() -> None:
    sub, sub_t, pub, pub_t, loop = make_pair()
    sub.data_received(b"SUBSCRIBE a\r\n")
    sub_t.writes.clear()
    pub.data_received(publishes(("a", "before")))
    sub.data_received(b"UNSUBSCRIBE a\r\n")
    pub.data_received(publishes(("a", "after")))
    loop.run()
    assert pub_t.data == b":1\r\n:0\r\n"
    assert sub_t.data.endswith(b"*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:0\r\n")
    assert payloads(sub_t.data) == [b"before"]


def test_hundred_published_messages_take_at_most_two_writes() -> None:
    sub, sub_t, pub, pub_t, loop = make_pair()
    sub.data_received(b"SUBSCRIBE a\r\n")
    sub_t.writes.clear()
    pub.data_received(publishes(*[("a", str(i)) for i in range(100)]))
    assert len(sub.queue) == 1  # one run: queued once, grown by 99 publishes
    loop.run()
    assert 1 <= len(sub_t.writes) <= 2
    assert payloads(sub_t.data) == [str(i).encode() for i in range(100)]


def test_a_lone_run_is_one_batched_write_and_counted_as_such() -> None:
    sub, sub_t, pub, pub_t, loop = make_pair()
    sub.data_received(b"SUBSCRIBE a\r\n")
    sub_t.writes.clear()
    stats = sub.state.stats
    before = stats.control_messages
    pub.data_received(publishes(*[("a", str(i)) for i in range(10)]))
    assert [m.count for m in sub.queue] == [10]
    loop.run()
    assert len(sub_t.writes) == 1 and payloads(sub_t.data) == [str(i).encode() for i in range(10)]
    assert stats.control_batches == 1 and stats.control_messages == before + 10
    assert stats.dispatch_queue_bytes == 0 and not sub.queue
    pub.data_received(publishes(("a", "late")))  # the drained run is closed: a new one starts
    assert [m.count for m in sub.queue] == [1]
    loop.run()
    assert sub_t.writes[-1].endswith(b"$4\r\nlate\r\n") and stats.control_batches == 1


def test_a_run_is_one_entry_of_the_quota() -> None:
    sub, sub_t, pub, pub_t, loop = make_pair(async_dispatch_quota="2")
    sub.data_received(b"SUBSCRIBE a\r\n")
    sub_t.writes.clear()
    sub.send_async(MonitorMessage(b"first"))
    pub.data_received(publishes(*[("a", str(i)) for i in range(4)]))
    sub.send_async(MonitorMessage(b"last"))
    assert [m.count for m in sub.queue] == [1, 4, 1]
    loop.turn()
    assert sub_t.writes[0].startswith(b"+first\r\n") and payloads(sub_t.writes[0]) == [b"0", b"1", b"2", b"3"]
    assert not sub_t.writes[0].endswith(b"+last\r\n")
    loop.turn()
    assert sub_t.writes[1] == b"+last\r\n"


def test_queued_bytes_follow_a_growing_run() -> None:
    sub, sub_t, pub, pub_t, loop = make_pair()
    sub.data_received(b"SUBSCRIBE a\r\n")
    pub.data_received(publishes(("a", "x" * 100)))
    one = sub.queued_bytes()
    pub.data_received(publishes(*[("a", "x" * 100)] * 9))
    sub.send_async(MonitorMessage(b"after"))  # the run stops being the tail: its growth is counted
    assert sub.queued_bytes() >= 10 * one
    run = sub.queue[0]
    assert sub.queued_bytes() == run.size + sub.queue[1].size
    loop.run()
    assert sub.queued_bytes() == 0 and sub.state.stats.dispatch_queue_bytes == 0
