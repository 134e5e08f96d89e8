"""Loading an RDB image into the keyspace (start-up, DEBUG RELOAD).

Keys already past their deadline are skipped (and counted), as a Redis master
does; empty containers are skipped; a key met twice in one database, or a
database index beyond ``databases``, makes the file invalid. Loading writes
the dicts directly: it is not a change clients could WATCH or be notified of,
and it leaves ``dirty`` at 0.
"""
from __future__ import annotations

from typing import Any

from .rdb_reader import RdbFile, RdbLoadError
from .values import UnsupportedValue, build


class LoadStats:
    __slots__ = ("keys_loaded", "keys_expired", "empty_keys_skipped", "aux", "version", "checksum_skipped")

    def __init__(self) -> None:
        self.keys_loaded = 0
        self.keys_expired = 0
        self.empty_keys_skipped = 0
        self.aux: dict[bytes, bytes] = {}
        self.version = 0
        self.checksum_skipped = False


def load_image(data: bytes, keyspace: Any, config: Any, verify_checksum: bool = True) -> LoadStats:
    """Add every key of the RDB image ``data`` to ``keyspace``; RdbLoadError on a bad image."""
    stats = LoadStats()
    rdb = RdbFile(data, verify_checksum)
    stats.version = rdb.version
    dbs = keyspace.dbs
    now = keyspace.clock.now_ms()
    for rec in rdb.records():
        if rec.db >= len(dbs):
            raise RdbLoadError(f"the file uses database {rec.db} but this server has "
                               f"{len(dbs)} databases (see the 'databases' option)", rec.offset)
        db = dbs[rec.db]
        if rec.expire_ms is not None and rec.expire_ms < now:
            stats.keys_expired += 1
            continue
        if rec.key in db.data:
            raise RdbLoadError(f"duplicated key '{rec.key.decode('utf-8', 'replace')}' in DB {rec.db}", rec.offset)
        try:
            db.data[rec.key] = build(rec.kind, rec.payload, config)
        except UnsupportedValue as exc:
            raise RdbLoadError(str(exc), rec.offset) from None
        if rec.expire_ms is not None:
            db.set_expire(rec.key, rec.expire_ms)
        lfu = getattr(keyspace, "lfu", False)
        clock = getattr(keyspace, "lru_clock", now // 1000)
        if rec.idle is not None and not lfu:
            db.lru[rec.key] = clock - rec.idle
        elif rec.freq is not None and lfu:
            from ..keyspace.lfu import minutes
            db.lru[rec.key] = (minutes(clock) << 8) | rec.freq
        stats.keys_loaded += 1
    stats.aux = rdb.aux
    stats.empty_keys_skipped = rdb.empty_keys_skipped
    stats.checksum_skipped = rdb.checksum_skipped
    return stats
