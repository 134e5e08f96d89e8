"""Active expiry: the deadline index and the time-budgeted cycle, on a manual clock and a fake timer.

The cycle's budget is read from ``Keyspace.timer``; :class:`StepTimer` moves
by a fixed step each time it is read, so the number of batches a cycle runs
is exact and no test depends on the machine's speed. The step is a power of
two (3.90625 ms) so that elapsed times are exact in binary floating point.
"""
from __future__ import annotations

from typing import Any

from damselfly.app import build_state
from damselfly.config import Config
from damselfly.keyspace import Keyspace
from damselfly.keyspace.clock import ManualClock
from damselfly.keyspace.database import EXPIRE_BATCH
from damselfly.net.server import Listener


STEP = 2.0 ** -8  # seconds a StepTimer read costs


class StepTimer:
    """A timer that advances ``step`` seconds each time it is read."""

    def __init__(self, step: float = 0.0) -> None:
        self.step = step
        self.now = 0.0
        self.reads = 0

    def __call__(self) -> float:
        value = self.now
        self.now += self.step
        self.reads += 1
        return value


def _keyspace(step: float = 0.0, count: int = 16) -> tuple[Keyspace, StepTimer]:
    timer = StepTimer(step)
    return Keyspace(count, ManualClock(), timer), timer


def _fill(ks: Keyspace, n: int, ttl_ms: int, db: int = 0, prefix: bytes = b"k", spread: int = 1) -> None:
    d = ks.dbs[db]
    now = ks.clock.now_ms()
    for i in range(n):
        key = b"%s:%d" % (prefix, i)
        d.set(key, b"v")
        d.set_expire(key, now + ttl_ms + i % spread)


def test_a_cycle_reclaims_every_due_key_within_its_budget() -> None:
    """200,000 keys due at once go in one cycle when time allows (the old cycle took 2,000 a tick)."""
    ks, _ = _keyspace()
    _fill(ks, 200_000, 100, spread=1000)
    _fill(ks, 10, 10_000, prefix=b"later")
    ks.clock.advance(100 + 1000)
    assert ks.active_expire_cycle() == 200_000
    assert len(ks.dbs[0]) == 10 and ks.expired_keys == 200_000
    assert ks.expired_time_cap_reached_count == 0


def test_the_budget_is_25_percent_of_a_tick_at_effort_1() -> None:
    """hz 10: 25 ms. The timer is read at the start and after each batch: 7 batches reach 27.3 ms."""
    ks, timer = _keyspace(step=STEP)
    _fill(ks, 3000, 10)
    ks.clock.advance(10)
    assert ks.active_expire_cycle(effort=1, hz=10) == 7 * EXPIRE_BATCH
    assert ks.expired_time_cap_reached_count == 1 and timer.reads == 8
    assert ks.active_expire_cycle(effort=1, hz=10) == 3000 - 7 * EXPIRE_BATCH  # the rest, within budget
    assert ks.expired_time_cap_reached_count == 1
    assert len(ks.dbs[0]) == 0


def test_effort_and_hz_scale_the_budget() -> None:
    for effort, hz, batches in [(10, 10, 12),  # 43 ms: 11 steps are 42.97 ms, 12 are over
                                (5, 10, 9),    # 33 ms
                                (1, 100, 1),   # 2.5 ms: the first batch is over it
                                (1, 3, 22)]:   # 83.3 ms
        ks, _ = _keyspace(step=STEP)
        _fill(ks, 100 * EXPIRE_BATCH, 10)
        ks.clock.advance(10)
        assert ks.active_expire_cycle(effort=effort, hz=hz) == batches * EXPIRE_BATCH, (effort, hz)
        assert ks.expired_time_cap_reached_count == 1


def test_keys_not_due_and_stale_entries_stay() -> None:
    ks, _ = _keyspace()
    db = ks.dbs[0]
    now = ks.clock.now_ms()
    for key in (b"due", b"persisted", b"extended", b"deleted", b"later"):
        db.set(key, b"v")
        db.set_expire(key, now + 10)
    db.persist(b"persisted")
    db.set_expire(b"extended", now + 1000)
    db.delete(b"deleted")
    db.set_expire(b"later", now + 11)
    ks.clock.advance(10)
    assert ks.active_expire_cycle() == 1
    assert sorted(db.data) == [b"extended", b"later", b"persisted"]
    ks.clock.advance(1)
    assert ks.active_expire_cycle() == 1
    ks.clock.advance(1000)
    assert ks.active_expire_cycle() == 1
    assert sorted(db.data) == [b"persisted"] and ks.expired_keys == 3


def test_a_bucket_is_taken_in_parts_and_finished_later() -> None:
    ks, _ = _keyspace()
    db = ks.dbs[0]
    _fill(ks, 1000, 10)  # one deadline
    ks.clock.advance(10)
    now = ks.clock.now_ms()
    assert db.expire_due(now, 300) == 300 and db.has_due(now)
    assert db.expire_due(now, 300) == 300
    assert db.expire_due(now, 1000) == 400 and not db.has_due(now)
    assert len(db) == 0 and not db.expires


def test_re_expiring_a_key_keeps_the_index_bounded() -> None:
    ks, _ = _keyspace()
    db = ks.dbs[0]
    db.set(b"k", b"v")
    now = ks.clock.now_ms()
    for i in range(10_000):
        db.set_expire(b"k", now + 100_000 + i)
    assert db._entries <= 2 * len(db.expires) + 1024 + 1
    ks.clock.advance(100_000 + 9_998)
    assert ks.active_expire_cycle() == 0  # every entry so far is stale
    ks.clock.advance(1)
    assert ks.active_expire_cycle() == 1 and not db.data


def test_the_next_cycle_starts_after_the_database_that_used_the_time() -> None:
    """Redis's current_db: a capped cycle in db 0 does not keep db 1 waiting behind it."""
    ks, _ = _keyspace(step=STEP)
    _fill(ks, 100 * EXPIRE_BATCH, 10, db=0)
    _fill(ks, 10, 10, db=1)
    ks.clock.advance(10)
    assert ks.active_expire_cycle() == 7 * EXPIRE_BATCH  # db 0 only
    assert len(ks.dbs[1]) == 10
    assert ks.active_expire_cycle() == 10 + 6 * EXPIRE_BATCH  # db 1 first, then db 0 again
    assert len(ks.dbs[1]) == 0


def test_expired_stale_perc_is_redis_running_average() -> None:
    ks, _ = _keyspace()
    _fill(ks, 50, 10, prefix=b"soon")
    _fill(ks, 50, 10_000, prefix=b"late")
    ks.clock.advance(10)
    ks.active_expire_cycle()
    assert ks.expired_stale_perc == 100.0 * 50 / 100 * 0.05  # 2.5 (INFO prints a percentage)
    ks.active_expire_cycle()
    assert ks.expired_stale_perc == 2.5 * 0.95
    ks.dbs[0].flush()
    ks.active_expire_cycle()  # nothing with a TTL: Redis feeds the average 0 (current_perc = 0)
    assert ks.expired_stale_perc == 2.5 * 0.95 * 0.95


def test_listeners_hear_each_expiry_and_dirty_does_not_move() -> None:
    ks, _ = _keyspace()
    heard: list[tuple[int, bytes, str]] = []
    ks.add_listener(lambda db, key, event, kind: heard.append((db.index, key, event)))
    _fill(ks, 3, 10, db=2)
    dirty = ks.dirty
    ks.clock.advance(10)
    assert ks.active_expire_cycle() == 3
    assert sorted(heard) == [(2, b"k:0", "expired"), (2, b"k:1", "expired"), (2, b"k:2", "expired")]
    assert ks.dirty == dirty and ks.expired_keys == 3


def test_swapdb_carries_the_index() -> None:
    ks, _ = _keyspace()
    _fill(ks, 5, 10, db=0)
    ks.swap(0, 1)
    ks.clock.advance(10)
    assert ks.active_expire_cycle() == 5
    assert len(ks.dbs[0]) == 0 and len(ks.dbs[1]) == 0


class _CronLoop:
    """Just enough of an event loop for Listener._cron: it reschedules itself."""

    def __init__(self) -> None:
        self.scheduled: list[Any] = []

    def call_later(self, delay: float, fn: Any) -> Any:
        self.scheduled.append((delay, fn))
        return None


def test_the_cron_passes_effort_and_hz_and_pauses_expiry_with_clients() -> None:
    """Redis expires nothing while CLIENT PAUSE holds clients; the access clock still moves."""
    config = Config()
    config.set("save", "")
    clock = ManualClock()
    state = build_state(config, clock)
    ks = state.keyspace
    ks.timer = StepTimer(STEP)
    listener = Listener(state, _CronLoop())  # type: ignore[arg-type]
    _fill(ks, 100 * EXPIRE_BATCH, 10)
    clock.advance(10_000)
    state.pause_kind = "write"
    listener._cron()
    assert len(ks.dbs[0]) == 100 * EXPIRE_BATCH
    assert ks.lru_clock == clock.now_ms() // 1000
    state.pause_kind = ""
    config.set("active-expire-effort", "10")
    listener._cron()
    assert len(ks.dbs[0]) == (100 - 12) * EXPIRE_BATCH  # 43 ms
    config.set("hz", "100")
    listener._cron()
    assert len(ks.dbs[0]) == (100 - 12 - 2) * EXPIRE_BATCH  # 4.3 ms: two steps
