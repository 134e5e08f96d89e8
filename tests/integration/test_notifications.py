"""Keyspace notifications over real TCP (strings and generic key commands; other families add theirs)."""
from __future__ import annotations

import time

import pytest
import redis

from tests.resp import RawConnection


def drain(conn: RawConnection, expected: int = 0, wait: float = 0.2) -> list[list[bytes]]:
    """pmessage frames as [kind, pattern, channel, payload]: ``expected`` of them, then ``wait`` for strays."""
    frames = []
    for _ in range(expected):
        parts = conn.read_reply().split(b"\r\n")
        frames.append([parts[i] for i in (2, 4, 6, 8)])
    data = conn.read_all(wait)
    conn.sock.settimeout(5)
    for chunk in data.split(b"*4\r\n")[1:]:
        parts = chunk.split(b"\r\n")
        frames.append([parts[i] for i in (1, 3, 5, 7)])
    return frames


@pytest.fixture
def srv(start_server):
    return start_server(notify_keyspace_events="KEA")


def test_set_del_expire_events(srv) -> None:
    sub = RawConnection(srv.host, srv.port)
    sub.command("PSUBSCRIBE", "__key*@0__:*")
    r = redis.Redis(host=srv.host, port=srv.port)
    r.set("a", "1")
    r.expire("a", 100)
    r.delete("a", "missing")
    frames = drain(sub, 6)
    assert [(f[2], f[3]) for f in frames] == [
        (b"__keyspace@0__:a", b"set"), (b"__keyevent@0__:set", b"a"),
        (b"__keyspace@0__:a", b"expire"), (b"__keyevent@0__:expire", b"a"),
        (b"__keyspace@0__:a", b"del"), (b"__keyevent@0__:del", b"a"),
    ]
    r.close()
    sub.close()


def test_expired_event_from_lazy_and_active_expiry(srv) -> None:
    sub = RawConnection(srv.host, srv.port)
    sub.command("SUBSCRIBE", "__keyevent@0__:expired")
    r = redis.Redis(host=srv.host, port=srv.port)
    r.set("gone", "1", px=20)
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        data = sub.read_all(0.1)
        sub.sock.settimeout(5)
        if data:
            assert data == b"*3\r\n$7\r\nmessage\r\n$22\r\n__keyevent@0__:expired\r\n$4\r\ngone\r\n"
            break
    else:
        raise AssertionError("no expired event")
    r.close()
    sub.close()


def test_config_set_switches_classes_and_reads_back_canonical(srv) -> None:
    r = redis.Redis(host=srv.host, port=srv.port)
    assert r.config_get("notify-keyspace-events") == {"notify-keyspace-events": "AKE"}
    r.config_set("notify-keyspace-events", "Eg")
    sub = RawConnection(srv.host, srv.port)
    sub.command("PSUBSCRIBE", "*")
    r.set("s", "1")       # a string event: off
    r.delete("s")         # generic: on
    assert [f[2:] for f in drain(sub, 1)] == [[b"__keyevent@0__:del", b"s"]]
    r.config_set("notify-keyspace-events", "")
    r.set("s", "1")
    r.delete("s")
    assert drain(sub) == []
    with pytest.raises(redis.ResponseError, match="Invalid event class character"):
        r.config_set("notify-keyspace-events", "q")
    r.close()
    sub.close()


def test_resp3_subscriber_receives_its_own_events_before_the_reply(srv) -> None:
    c = RawConnection(srv.host, srv.port)
    c.command("HELLO", "3")
    c.command("SUBSCRIBE", "__keyspace@0__:mine")
    assert c.command("SET", "mine", "1") == b">3\r\n$7\r\nmessage\r\n$19\r\n__keyspace@0__:mine\r\n$3\r\nset\r\n"
    assert c.read_reply() == b"+OK\r\n"
    c.close()


def test_keymiss_event(start_server) -> None:
    srv = start_server(notify_keyspace_events="Em")
    sub = RawConnection(srv.host, srv.port)
    sub.command("SUBSCRIBE", "__keyevent@0__:keymiss")
    redis.Redis(host=srv.host, port=srv.port).get("nothing")
    assert sub.read_reply() == b"*3\r\n$7\r\nmessage\r\n$22\r\n__keyevent@0__:keymiss\r\n$7\r\nnothing\r\n"
    sub.close()
