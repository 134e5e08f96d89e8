"""Keyspace notifications against redis-server (strings and generic keys), message for message."""
from __future__ import annotations

import pytest

from .test_pubsub import duo  # noqa: F401  (fixture)

pytestmark = pytest.mark.differential


@pytest.fixture
def notify(duo):  # noqa: F811
    made = []

    def make(n: int):
        d = duo(n)
        made.append(d)
        return d

    yield make
    for d in made:  # both servers are shared: switch notifications off again
        for side in (d.ours, d.theirs):
            side.conns[-1].command("CONFIG", "SET", "notify-keyspace-events", "")


def test_classes_keyspace_keyevent_and_config(notify) -> None:
    d = notify(2)
    d.run([
        (1, "CONFIG", "SET", "notify-keyspace-events", "KEA"), (1, "CONFIG", "GET", "notify-keyspace-events"),
        (0, "PSUBSCRIBE", "__key*__:*"), (1, "SET", "a", "1"), (1, "DEL", "a"), (1, "DEL", "zz"),
        (1, "SET", "b", "1"), (1, "EXPIRE", "b", "100"), (1, "PERSIST", "b"), (1, "RENAME", "b", "c"),
        (1, "SELECT", "3"), (1, "SET", "c", "x"), (1, "APPEND", "c", "y"), (1, "INCR", "n"), (1, "INCRBY", "n", "2"),
        (1, "SETRANGE", "c", "1", "zz"), (1, "FLUSHALL"), (1, "SELECT", "0"),
        (1, "CONFIG", "SET", "notify-keyspace-events", "Km"), (1, "GET", "nokey"),
        (1, "CONFIG", "SET", "notify-keyspace-events", "E$"), (1, "SET", "q", "1"), (1, "INCR", "q"),
        (1, "CONFIG", "SET", "notify-keyspace-events", "Eg"), (1, "SET", "q", "1"), (1, "PEXPIRE", "q", "1"),
        ("sleep", 0.2), (1, "GET", "q"),
        (1, "CONFIG", "SET", "notify-keyspace-events", "Ex"), (1, "SET", "q", "1"), (1, "PEXPIRE", "q", "1"),
        ("sleep", 0.2), (1, "GET", "q"),
        (1, "CONFIG", "SET", "notify-keyspace-events", "nm$"), (1, "CONFIG", "GET", "notify-keyspace-events"),
        (1, "CONFIG", "SET", "notify-keyspace-events", "An"), (1, "CONFIG", "GET", "notify-keyspace-events"),
        (1, "CONFIG", "SET", "notify-keyspace-events", "q"),
        (1, "CONFIG", "SET", "notify-keyspace-events", ""),
    ], fence=[0])


def test_resp3_subscriber_gets_its_own_events_before_its_reply(notify) -> None:
    d = notify(1)
    d.run([(0, "CONFIG", "SET", "notify-keyspace-events", "KE$g"), (0, "HELLO", "3"),
           (0, "SUBSCRIBE", "__keyspace@0__:mine", "__keyevent@0__:del"), (0, "SET", "mine", "1"),
           (0, "DEL", "mine"), (0, "CONFIG", "SET", "notify-keyspace-events", "")], fence=[0])
