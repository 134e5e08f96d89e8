"""ACL LOG grouping rules without sockets."""
from __future__ import annotations

from damselfly.acl.log import AclLog, LogEntry


def entry(obj: bytes = b"k", reason: str = "key", ctime: int = 1_000_000, user: bytes = b"u") -> LogEntry:
    return LogEntry(reason, "toplevel", obj, user, f"id={ctime}", ctime)


def test_similar_events_are_grouped_and_move_to_the_head() -> None:
    log = AclLog()
    log.add(entry(b"a"), 128)
    log.add(entry(b"b"), 128)
    log.add(entry(b"a", ctime=1_000_500), 128)
    assert [(e.object, e.count) for e in log.entries] == [(b"a", 2), (b"b", 1)]
    assert log.entries[0].client_info == "id=1000500"


def test_events_more_than_a_minute_apart_are_separate() -> None:
    log = AclLog()
    log.add(entry(), 128)
    log.add(entry(ctime=1_000_000 + 60_001), 128)
    assert [e.count for e in log.entries] == [1, 1]


def test_different_reason_user_or_object_are_separate() -> None:
    log = AclLog()
    log.add(entry(), 128)
    log.add(entry(reason="channel"), 128)
    log.add(entry(user=b"v"), 128)
    log.add(entry(obj=b"x"), 128)
    assert len(log.entries) == 4


def test_only_the_ten_newest_are_searched_and_length_is_capped() -> None:
    log = AclLog()
    log.add(entry(b"old"), 128)
    for i in range(10):
        log.add(entry(b"n%d" % i), 128)
    log.add(entry(b"old"), 128)
    assert len(log.entries) == 12
    for i in range(20):
        log.add(entry(b"m%d" % i), 5)
    assert len(log.entries) == 5
    assert log.newest(2)[0].object == b"m19"
    assert log.newest(-1) == []


def test_reply_fields_are_redis_7_0s_seven() -> None:
    reply = entry().reply(1_001_500)
    assert list(reply) == ["count", "reason", "context", "object", "username", "age-seconds", "client-info"]
    assert reply["age-seconds"] == 1.5
