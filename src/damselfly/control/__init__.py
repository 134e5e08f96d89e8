"""Control-path state: channel registry, MONITOR feed, tracking, notifications.

Producers here never write to sockets: they hand messages to a client's
outbox (``client.outbox.send_async``), whose dispatch queue the network layer
drains with batching and a quota (see docs/design.md).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from ..state import ServerState


def install(state: "ServerState") -> None:
    """Wire the control-path subsystems on ``state`` (pub/sub first: the others publish)."""
    from . import monitor, notifications, pubsub, tracking
    pubsub.install(state)
    monitor.install(state)
    tracking.install(state)
    notifications.install(state)
