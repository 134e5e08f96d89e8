"""Explicit wiring of the subsystems that hook into the server state.

Each subsystem registers its listeners (keyspace change hook, disconnect and
after-command hooks) here, once per server, so several servers in one process
stay independent.
"""
from __future__ import annotations

from .state import ServerState


def install(state: ServerState) -> None:
    """Register every subsystem on ``state``."""
    from .acl import registry as acl  # users, requirepass, ACL LOG, aclfile
    acl.install(state)
    from .commands import transactions
    transactions.install(state)
    from . import control  # pub/sub, MONITOR, client tracking, keyspace notifications
    control.install(state)
    from .commands import keys  # SCAN cursors, RANDOMKEY sampling, LFU switch
    keys.install(state)
    from .persistence import service as persistence  # SAVE/BGSAVE, save points, shutdown save
    persistence.install(state)
    from . import pause  # CLIENT PAUSE: held clients and the end timer
    pause.install(state)
    from . import blocking  # BLPOP & co: clients blocked on keys, served after each command
    blocking.install(state)
    from . import info  # INFO memory's startup baseline
    info.install(state)
    from .keyspace import eviction  # maxmemory: evictions before commands, the OOM refusal
    eviction.install(state)
    from . import latency  # the latency monitor (LATENCY) and the one-comparison recording threshold
    latency.install(state)
