"""Command families. Each module declares a ``group``; the table is built here, explicitly."""
from __future__ import annotations

from . import (acl, bitmaps, connection, hashes, hyperloglog, introspection, keys, lists, memory, monitor,
               persistence, pubsub, server, sets, sort, strings, tracking, transactions, zsets)
from . import latency
from .registry import CommandGroup, CommandSpec, CommandTable

FAMILIES: tuple[CommandGroup, ...] = (
    connection.group, server.group, memory.group, strings.group, keys.group, transactions.group,
    pubsub.group, monitor.group, tracking.group, hashes.group, lists.group, sets.group, zsets.group,
    bitmaps.group, hyperloglog.group, sort.group, persistence.group, introspection.group,
    acl.group, latency.group,
)


def build_table() -> CommandTable:
    """The server's command table, from every family above."""
    return CommandTable(FAMILIES)


__all__ = ["CommandSpec", "CommandTable", "FAMILIES", "build_table"]
