"""ACL LOG: the security log of denied commands, keys, channels and failed AUTHs.

Redis groups a new event with a recent similar one instead of adding an
entry: among the 10 newest entries, one with the same reason, context,
object and username, last updated at most 60 s apart, gets its count bumped,
its time and client info refreshed, and moves to the head. The log keeps at
most ``acllog-max-len`` entries, newest first.
"""
from __future__ import annotations

import time
from collections import deque
from typing import Any

GROUPING_MS = 60000
_SCAN = 10


class LogEntry:
    __slots__ = ("count", "reason", "context", "object", "username", "ctime_ms", "client_info")

    def __init__(self, reason: str, context: str, obj: bytes, username: bytes, client_info: str,
                 ctime_ms: int) -> None:
        self.count = 1
        self.reason = reason
        self.context = context
        self.object = obj
        self.username = username
        self.ctime_ms = ctime_ms
        self.client_info = client_info

    def matches(self, other: "LogEntry") -> bool:
        return (self.reason == other.reason and self.context == other.context
                and abs(self.ctime_ms - other.ctime_ms) <= GROUPING_MS
                and self.object == other.object and self.username == other.username)

    def reply(self, now_ms: int) -> dict[str, Any]:
        """One ACL LOG entry: Redis 7.0.15's seven fields (no entry-id/timestamps, added in 7.2)."""
        return {
            "count": self.count,
            "reason": self.reason,
            "context": self.context,
            "object": self.object,
            "username": self.username,
            "age-seconds": (now_ms - self.ctime_ms) / 1000,
            "client-info": self.client_info.encode(),
        }


class AclLog:
    """Newest-first entries with Redis's grouping of similar events."""

    def __init__(self) -> None:
        self.entries: deque[LogEntry] = deque()

    @staticmethod
    def now_ms() -> int:
        return int(time.time() * 1000)

    def add(self, entry: LogEntry, max_len: int) -> None:
        for i, current in enumerate(self.entries):
            if i >= _SCAN:
                break
            if current.matches(entry):
                del self.entries[i]
                current.count += 1
                current.ctime_ms = entry.ctime_ms
                current.client_info = entry.client_info
                self.entries.appendleft(current)
                return
        self.entries.appendleft(entry)
        while len(self.entries) > max_len:
            self.entries.pop()

    def reset(self) -> None:
        self.entries.clear()

    def newest(self, count: int) -> list[LogEntry]:
        return list(self.entries)[:max(count, 0)]
