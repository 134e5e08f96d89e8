"""A server state on a manual clock, with clients that run commands through the dispatcher, no socket."""
from __future__ import annotations

from typing import Any

from damselfly.app import build_state
from damselfly.client import Client
from damselfly.commands.dispatch import execute
from damselfly.config import Config
from damselfly.keyspace.clock import ManualClock


class Harness:
    """A server state on a manual clock, and clients that run commands without a socket."""

    def __init__(self, **options: str) -> None:
        config = Config()
        for name, value in options.items():
            config.set(name.replace("_", "-"), value)
        self.clock = ManualClock()
        self.state = build_state(config, self.clock)

    def connect(self) -> Client:
        client = Client(self.state.next_client_id(), self.state, None)
        self.state.clients[client.id] = client
        return client

    def call(self, client: Client, *args: str | bytes) -> Any:
        """The reply value (a CommandError instance for an error reply)."""
        return execute(client, [a.encode() if isinstance(a, str) else a for a in args])
