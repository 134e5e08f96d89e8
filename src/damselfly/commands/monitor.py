"""MONITOR: stream every executed command to this client.

The feed itself lives in :mod:`damselfly.control.monitor` (called by the
dispatcher after each command, admin commands excepted). A monitor is a
replica to Redis, so the dispatcher refuses it commands that touch the
keyspace.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..control import monitor as feed
from ..errors import CommandError
from ..protocol.reply import OK, Raw
from .registry import CommandGroup

if TYPE_CHECKING:  # pragma: no cover
    from ..client import Client

group = CommandGroup("server")

NO_REPLY = Raw(b"")


@group.command("monitor", 1, "admin noscript loading stale", acl="admin slow dangerous", since="1.0.0")
def monitor(client: "Client", argv: list[bytes]) -> Any:
    """Listen for all requests received by the server in real time."""
    if client.in_exec:  # Redis's CLIENT_DENY_BLOCKING: EXEC expects one reply per command
        raise CommandError("ERR MONITOR isn't allowed for DENY BLOCKING client")
    if not feed.start(client):
        return NO_REPLY  # already monitoring: Redis ignores the command, without a reply
    return OK
