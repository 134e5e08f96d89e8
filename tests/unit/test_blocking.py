"""The blocking registry without sockets: commands run through the dispatcher on fake clients."""
from __future__ import annotations

from typing import Any

import pytest

from damselfly.app import build_state
from damselfly.blocking import BlockState, parse_timeout
from damselfly.client import Client
from damselfly.commands.dispatch import BLOCKED, execute
from damselfly.config import Config
from damselfly.errors import CommandError
from damselfly.protocol.reply import NULL_ARRAY


class FakeOutbox:
    """What a connection offers, recording resumed replies."""

    def __init__(self) -> None:
        self.client: Client | None = None
        self.replies: list[Any] = []
        self.closing = False

    def resume_blocked(self, reply: Any) -> None:
        assert self.client is not None
        self.client.blocked = None
        self.replies.append(reply)

    def send_async(self, msg: Any) -> None: ...
    def send_after_reply(self, msg: Any) -> None: ...
    def close(self, reason: str = "") -> None: ...
    def output_bytes(self) -> int: return 0
    def queued_bytes(self) -> int: return 0
    def input_bytes(self) -> int: return 0


class FakeTimers:
    """``call_later`` whose callbacks run when the test says so."""

    def __init__(self) -> None:
        self.pending: list[tuple[float, Any, Any, "FakeHandle"]] = []

    def call_later(self, delay: float, fn: Any, *args: Any) -> "FakeHandle":
        handle = FakeHandle()
        self.pending.append((delay, fn, args, handle))
        return handle

    def fire_all(self) -> None:
        for _, fn, args, handle in list(self.pending):
            if not handle.cancelled:
                fn(*args)
        self.pending.clear()


class FakeHandle:
    def __init__(self) -> None:
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


@pytest.fixture
def world() -> Any:
    state = build_state(Config())
    timers = FakeTimers()
    registry = state.extensions["blocking"]
    registry.call_later = timers.call_later

    def new_client() -> tuple[Client, FakeOutbox]:
        outbox = FakeOutbox()
        client = Client(state.next_client_id(), state, outbox)
        outbox.client = client
        state.clients[client.id] = client
        return client, outbox

    class World:
        pass

    w = World()
    w.state, w.timers, w.registry, w.new_client = state, timers, registry, new_client
    w.run = lambda client, *args: execute(client, [a if isinstance(a, bytes) else str(a).encode() for a in args])
    return w


def test_block_then_serve_fifo(world: Any) -> None:
    a, out_a = world.new_client()
    b, out_b = world.new_client()
    pusher, _ = world.new_client()
    assert world.run(a, "BLPOP", "k", 0) is BLOCKED
    assert world.run(b, "BLPOP", "k", 0) is BLOCKED
    assert isinstance(a.blocked, BlockState) and world.registry.blocked_clients == 2
    assert world.run(pusher, "RPUSH", "k", "x") == 1
    assert out_a.replies == [[b"k", b"x"]] and out_b.replies == []
    assert a.blocked is None and b.blocked is not None
    assert world.run(pusher, "RPUSH", "k", "y", "z") == 2
    assert out_b.replies == [[b"k", b"y"]]
    assert world.run(pusher, "LRANGE", "k", 0, -1) == [b"z"]
    assert world.registry.blocked_clients == 0 and not world.registry.waiting


def test_one_push_serves_several_clients_until_the_list_is_empty(world: Any) -> None:
    clients = [world.new_client() for _ in range(3)]
    pusher, _ = world.new_client()
    for c, _ in clients:
        world.run(c, "BRPOP", "k", 0)
    world.run(pusher, "RPUSH", "k", "1", "2")
    assert [o.replies for _, o in clients] == [[[b"k", b"2"]], [[b"k", b"1"]], []]
    assert world.run(pusher, "EXISTS", "k") == 0


def test_served_from_the_key_that_became_ready(world: Any) -> None:
    c, out = world.new_client()
    pusher, _ = world.new_client()
    world.run(c, "BLPOP", "a", "b", 0)
    world.run(pusher, "MULTI")
    world.run(pusher, "RPUSH", "b", "from-b")
    world.run(pusher, "RPUSH", "a", "from-a")
    assert out.replies == []  # nothing is served before EXEC completes
    world.run(pusher, "EXEC")
    assert out.replies == [[b"b", b"from-b"]]


def test_transaction_that_empties_the_key_serves_nobody(world: Any) -> None:
    c, out = world.new_client()
    pusher, _ = world.new_client()
    world.run(c, "BLPOP", "k", 0)
    for cmd in (("MULTI",), ("RPUSH", "k", "x"), ("LPOP", "k"), ("EXEC",)):
        world.run(pusher, *cmd)
    assert out.replies == [] and c.blocked is not None


def test_timeout_and_cancelled_timer(world: Any) -> None:
    a, out_a = world.new_client()
    b, out_b = world.new_client()
    pusher, _ = world.new_client()
    world.run(a, "BLPOP", "k", "1.5")
    world.run(b, "BLMOVE", "k", "d", "LEFT", "LEFT", "2")
    assert world.registry.clients_in_timeout_table == 2
    assert [p[0] for p in world.timers.pending] == [1.5, 2.0]
    world.run(pusher, "RPUSH", "k", "x")
    world.timers.fire_all()
    assert out_a.replies == [[b"k", b"x"]]
    assert out_b.replies == [NULL_ARRAY]
    assert world.registry.clients_in_timeout_table == 0 and world.registry.blocked_clients == 0


def test_zero_timeout_arms_no_timer(world: Any) -> None:
    a, _ = world.new_client()
    world.run(a, "BLPOP", "k", 0)
    assert world.timers.pending == [] and world.registry.clients_in_timeout_table == 0


def test_disconnect_leaves_no_state_and_detaches_hooks(world: Any) -> None:
    a, out = world.new_client()
    pusher, _ = world.new_client()
    world.run(a, "BLPOP", "k", 5)
    assert world.registry.on_change in world.state.keyspace.listeners
    for hook in world.state.disconnect_hooks:
        hook(a)
    assert a.blocked is None and not world.registry.waiting and world.registry.blocked_clients == 0
    assert world.registry.on_change not in world.state.keyspace.listeners
    assert world.registry.after_command not in world.state.after_command_hooks
    assert world.timers.pending[0][3].cancelled
    world.run(pusher, "RPUSH", "k", "x")
    assert out.replies == [] and world.run(pusher, "LLEN", "k") == 1


def test_blmove_chain_serves_the_next_waiter(world: Any) -> None:
    mover, out_m = world.new_client()
    waiter, out_w = world.new_client()
    pusher, _ = world.new_client()
    world.run(mover, "BLMOVE", "src", "dst", "RIGHT", "LEFT", 0)
    world.run(waiter, "BLPOP", "dst", 0)
    world.run(pusher, "RPUSH", "src", "v")
    assert out_m.replies == [b"v"] and out_w.replies == [[b"dst", b"v"]]
    assert world.run(pusher, "EXISTS", "src", "dst") == 0


def test_blmove_to_a_wrong_type_destination_errors_when_served(world: Any) -> None:
    mover, out = world.new_client()
    pusher, _ = world.new_client()
    world.run(mover, "BRPOPLPUSH", "src", "dst", 0)
    world.run(pusher, "SET", "dst", "string")
    world.run(pusher, "RPUSH", "src", "v")
    assert len(out.replies) == 1 and isinstance(out.replies[0], CommandError)
    assert out.replies[0].message.startswith("WRONGTYPE")
    assert world.run(pusher, "LLEN", "src") == 1


def test_wrong_type_key_keeps_the_client_blocked(world: Any) -> None:
    a, out = world.new_client()
    pusher, _ = world.new_client()
    world.run(a, "BLPOP", "k", 0)
    world.run(pusher, "SET", "k", "v")
    assert out.replies == [] and a.blocked is not None
    world.run(pusher, "DEL", "k")
    world.run(pusher, "LPUSH", "k", "x")
    assert out.replies == [[b"k", b"x"]]


def test_blmpop_served_with_count(world: Any) -> None:
    a, out = world.new_client()
    pusher, _ = world.new_client()
    world.run(a, "BLMPOP", 0, 2, "x", "y", "RIGHT", "COUNT", 2)
    world.run(pusher, "RPUSH", "y", "1", "2", "3")
    assert out.replies == [[b"y", [b"3", b"2"]]]


def test_client_unblock(world: Any) -> None:
    a, out_a = world.new_client()
    b, out_b = world.new_client()
    admin, _ = world.new_client()
    world.run(a, "BLPOP", "k", 0)
    world.run(b, "BLMOVE", "k", "d", "LEFT", "LEFT", 0)
    if world.state.table.get(b"client") is None:
        pytest.skip("CLIENT is not available")
    assert world.run(admin, "CLIENT", "UNBLOCK", a.id) == 1
    assert out_a.replies == [NULL_ARRAY]
    assert world.run(admin, "CLIENT", "UNBLOCK", b.id, "ERROR") == 1
    assert out_b.replies[0].message == "UNBLOCKED client unblocked via CLIENT UNBLOCK"
    assert world.run(admin, "CLIENT", "UNBLOCK", a.id) == 0
    assert world.run(admin, "CLIENT", "UNBLOCK", 999) == 0
    assert world.state.stats.errorstats.get("UNBLOCKED") == 1


def test_blocking_inside_exec_answers_at_once(world: Any) -> None:
    a, _ = world.new_client()
    world.run(a, "MULTI")
    world.run(a, "BLPOP", "k", 0)
    world.run(a, "BLMOVE", "k", "d", "LEFT", "LEFT", 0)
    assert world.run(a, "EXEC") == [NULL_ARRAY, None]
    assert a.blocked is None and world.registry.blocked_clients == 0


def test_swapdb_style_whole_db_change_serves(world: Any) -> None:
    a, out = world.new_client()
    world.run(a, "BLPOP", "k", 0)
    db0 = world.state.keyspace.dbs[0]
    from damselfly.types import List
    db0.data[b"k"] = List([b"v"])
    db0.changed(None, "swapdb", 0)
    world.registry.after_command(a)
    assert out.replies == [[b"k", b"v"]]


@pytest.mark.parametrize("raw,seconds", [
    (b"0", 0.0), (b"1", 1.0), (b"0.5", 0.5), (b"0.0001", 0.001), (b"-0.0009", 0.0), (b"-0.001", 0.0),
    (b"0x1p-2", 0.25), (b"1e-400", 0.001), (b"1.", 1.0), (b".5", 0.5), (b"+2", 2.0), (b"-0", 0.0),
])
def test_parse_timeout(raw: bytes, seconds: float) -> None:
    assert parse_timeout(raw) == seconds


@pytest.mark.parametrize("raw,message", [
    (b"x", "ERR timeout is not a float or out of range"), (b"nan", "ERR timeout is not a float or out of range"),
    (b" 1", "ERR timeout is not a float or out of range"), (b"", "ERR timeout is not a float or out of range"),
    (b"1e5000", "ERR timeout is not a float or out of range"),
    (b"-1", "ERR timeout is negative"), (b"-0.0015", "ERR timeout is negative"), (b"inf", "ERR timeout is negative"),
    (b"1e16", "ERR timeout is negative"), (b"9223372036854775808", "ERR timeout is negative"),
])
def test_parse_timeout_errors(raw: bytes, message: str) -> None:
    with pytest.raises(CommandError) as info:
        parse_timeout(raw)
    assert info.value.message == message


def test_timeout_on_a_closing_connection_then_disconnect_counts_once(world: Any) -> None:
    a, out = world.new_client()
    world.run(a, "BLPOP", "k", 1)
    out.closing = True
    out.resume_blocked = lambda reply: None  # a closing connection drops the reply
    world.timers.fire_all()
    assert a.blocked is None and world.registry.blocked_clients == 0
    for hook in world.state.disconnect_hooks:
        hook(a)
    assert world.registry.blocked_clients == 0 and world.registry.clients_in_timeout_table == 0


def test_closing_client_is_not_served(world: Any) -> None:
    a, out_a = world.new_client()
    b, out_b = world.new_client()
    pusher, _ = world.new_client()
    world.run(a, "BLPOP", "k", 0)
    world.run(b, "BLPOP", "k", 0)
    out_a.closing = True  # CLIENT KILL in progress: the element must go to b
    world.run(pusher, "RPUSH", "k", "v")
    assert out_a.replies == [] and out_b.replies == [[b"k", b"v"]]
