"""CLIENT PAUSE / UNPAUSE: hold clients' commands back until the pause ends.

Redis 7.0 checks the pause in ``processCommand`` after authentication and the
subscribed-mode rule but *before* MULTI queueing: while a ``WRITE`` pause is
on, a write (or ``may_replicate``) command is held even when it would only be
queued, and EXEC is held when its queue holds one; an ``ALL`` pause holds
every command, CLIENT UNPAUSE included (only the timeout ends it then).

The dispatcher calls :func:`must_postpone` only while ``state.pause_kind`` is
set (one attribute test per command otherwise). A held command parks its
client exactly like a blocking command: ``client.blocked`` holds a
:class:`Postponed`, the dispatcher returns ``BLOCKED``, and the connection
keeps the client's later pipelined commands behind it. When the pause ends
(timer or CLIENT UNPAUSE) the held commands run again from the start, in the
order they were held, on the next loop turn (Redis's ``unblockPostponedClients``
also resumes them from ``beforeSleep``, after the current command's reply):
each reply goes out through ``client.outbox.resume_blocked``.

A new pause never shortens the current one nor weakens it: the end time is
the later of the two and ``ALL`` wins over ``WRITE`` (Redis's ``pauseClients``).
"""
from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:  # pragma: no cover
    from .client import Client
    from .commands.registry import CommandSpec
    from .state import ServerState

_RANK = {"": 0, "write": 1, "all": 2}


class Postponed:
    """``client.blocked`` while the client's command waits for the pause to end."""

    __slots__ = ("argv",)

    def __init__(self, argv: list[bytes]) -> None:
        self.argv = argv

    def __repr__(self) -> str:
        return f"Postponed({self.argv[:1]!r})"


def _replicates(spec: "CommandSpec") -> bool:
    return spec.is_write or "may_replicate" in spec.flags


class ClientPause:
    """The server's pause: its kind and end, the held clients, the end timer."""

    def __init__(self, state: "ServerState") -> None:
        self.state = state
        self.parked: dict["Client", None] = {}  # held clients, in the order they were held
        self._timer: Any = None
        # injectable for tests that run without an event loop
        self.call_later: Callable[[float, Callable[[], None]], Any] | None = None
        self.call_soon: Callable[[Callable[[], None]], Any] | None = None

    # -- starting and ending -----------------------------------------------------
    def pause(self, kind: str, end: float) -> None:
        """Pause ``kind`` ("write" or "all") until ``end`` (``time.monotonic()`` seconds)."""
        state = self.state
        if _RANK[kind] > _RANK[state.pause_kind]:
            state.pause_kind = kind
        if end > state.paused_until:
            state.paused_until = end
            self._arm()

    def unpause(self) -> None:
        """End the pause now; held commands run again on the next loop turn."""
        state = self.state
        state.pause_kind = ""
        state.paused_until = 0.0
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.parked:
            held = list(self.parked)
            self.parked.clear()
            call_soon = self.call_soon or asyncio.get_running_loop().call_soon
            call_soon(lambda: self._resume(held))

    def _arm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        delay = max(0.0, self.state.paused_until - time.monotonic())
        call_later = self.call_later or asyncio.get_running_loop().call_later
        self._timer = call_later(delay, self._expired)

    def _expired(self) -> None:
        self._timer = None
        if self.state.pause_kind and time.monotonic() >= self.state.paused_until:
            self.unpause()
        elif self.state.pause_kind:
            self._arm()

    # -- holding clients ---------------------------------------------------------------
    def must_postpone(self, client: "Client", spec: "CommandSpec") -> bool:
        """Redis's test: replicas never wait; ALL holds everything, WRITE what may replicate."""
        kind = self.state.pause_kind
        if not kind or client.kind == "replica":
            return False
        if kind == "all":
            return True
        if _replicates(spec):
            return True
        if spec.name == "exec" and client.multi:
            return any(_replicates(queued) for queued, _ in client.multi)
        return False

    def park(self, client: "Client", argv: list[bytes]) -> None:
        client.blocked = Postponed(argv)
        self.parked[client] = None

    def forget(self, client: "Client") -> None:
        """Disconnect hook: a held client that goes away is simply dropped."""
        self.parked.pop(client, None)
        if isinstance(client.blocked, Postponed):
            client.blocked = None

    def _resume(self, held: list["Client"]) -> None:
        from .commands.dispatch import BLOCKED, execute
        for client in held:
            postponed = client.blocked
            outbox = client.outbox
            if not isinstance(postponed, Postponed) or outbox is None:
                continue
            client.blocked = None
            reply = execute(client, postponed.argv)
            if reply is BLOCKED:  # held again (a new pause) or blocked on keys
                continue
            outbox.resume_blocked(reply)


def install(state: "ServerState") -> ClientPause:
    """Create the pause registry as ``state.extensions["pause"]``."""
    registry = ClientPause(state)
    state.extensions["pause"] = registry
    state.disconnect_hooks.append(registry.forget)
    return registry
