"""A connected client's state, without its socket.

Command handlers receive the :class:`Client` as their context: the current
database, protocol version, transaction and subscription state live here. The
network connection that owns it implements :class:`Outbox`, the only way
handlers and the control layer reach a peer (queue a push, close it), so no
handler ever touches a transport.
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # pragma: no cover
    from .control.messages import ControlMessage
    from .keyspace import Database
    from .state import ServerState


class Outbox(Protocol):
    """What the network layer offers to everything above it."""

    def send_async(self, msg: "ControlMessage") -> None: ...
    def close(self, reason: str = "") -> None: ...
    def output_bytes(self) -> int: ...
    def queued_bytes(self) -> int: ...
    def input_bytes(self) -> int: ...
    def send_after_reply(self, msg: "ControlMessage") -> None: ...
    def resume_blocked(self, reply: Any) -> None: ...


class _NoAcl:
    """The ACL user of a client on a server without the ACL subsystem (bare unit-test states)."""

    __slots__ = ()
    unrestricted = True
    name = "default"


NO_ACL: Any = _NoAcl()


class Client:
    """Per-connection state shared by the dispatcher, handlers and control layer."""

    __slots__ = (
        "id", "server", "db", "resp", "name", "lib_name", "lib_ver", "addr", "laddr", "fd",
        "created", "last_interaction", "authenticated", "user", "multi", "multi_error",
        "watched", "dirty_cas", "channels", "patterns", "shard_channels", "monitor",
        "tracking", "reply_mode", "last_cmd", "outbox", "close_after_reply", "blocked",
        "no_evict", "no_touch", "kind", "flags_extra", "in_exec", "skip_replies", "__weakref__",
        "cmd", "argv", "acl_user",
    )

    def __init__(self, client_id: int, server: "ServerState", outbox: Outbox | None,
                 addr: str = "", laddr: str = "", fd: int = -1) -> None:
        self.id = client_id
        self.server = server
        self.db: "Database" = server.keyspace.dbs[0]
        self.resp = 2
        self.name = b""
        self.lib_name = b""
        self.lib_ver = b""
        self.addr = addr
        self.laddr = laddr
        self.fd = fd
        self.created = time.monotonic()
        self.last_interaction = self.created
        self.authenticated = not server.auth_required()
        self.user = "default"
        acl = server.extensions.get("acl")  # the ACL user object (acl/users.py); None without ACLs
        self.acl_user: Any = acl.default if acl is not None else NO_ACL
        self.multi: list[tuple[Any, list[bytes]]] | None = None  # queued (spec, argv)
        self.multi_error = False
        self.watched: set[tuple[int, bytes]] = set()
        self.dirty_cas = False
        self.channels: set[bytes] = set()
        self.patterns: set[bytes] = set()
        self.shard_channels: set[bytes] = set()
        self.monitor = False
        self.tracking: Any = None  # control.tracking state when CLIENT TRACKING is on
        self.reply_mode = "on"  # on | off (CLIENT REPLY)
        self.skip_replies = 0  # CLIENT REPLY SKIP: replies still to suppress
        self.last_cmd = "NULL"
        self.outbox = outbox
        self.close_after_reply = False
        self.blocked: Any = None  # blocking-command state while blocked
        self.no_evict = False
        self.no_touch = False
        self.kind = "normal"
        self.flags_extra = ""
        self.in_exec = False
        self.cmd: Any = None  # spec of the command that just ran, for after-command hooks
        self.argv: list[bytes] = []  # and its arguments (tracking reads key positions from both)

    @property
    def subscriptions(self) -> int:
        return len(self.channels) + len(self.patterns) + len(self.shard_channels)

    def select(self, index: int) -> None:
        self.db = self.server.keyspace.dbs[index]
