"""Socket-free harness for connection and server command tests: a state, clients, fake outboxes."""
from __future__ import annotations

from typing import Any

from damselfly.app import build_state
from damselfly.client import Client
from damselfly.commands.dispatch import execute
from damselfly.config import Config
from damselfly.keyspace.clock import ManualClock
from damselfly.protocol.reply import encode
from damselfly.state import ServerState


class FakeOutbox:
    """Records what the network layer would have been asked to do."""

    def __init__(self) -> None:
        self.sent: list[Any] = []
        self.after: list[Any] = []
        self.resumed: list[Any] = []
        self.closing = False
        self.close_reasons: list[str] = []
        self.output = 0
        self.queued = 0
        self.input = 0

    def send_async(self, msg: Any) -> None:
        self.sent.append(msg)

    def send_after_reply(self, msg: Any) -> None:
        self.after.append(msg)

    def close(self, reason: str = "") -> None:
        self.closing = True
        self.close_reasons.append(reason)

    def output_bytes(self) -> int:
        return self.output

    def queued_bytes(self) -> int:
        return self.queued

    def input_bytes(self) -> int:
        return self.input

    def resume_blocked(self, reply: Any) -> None:
        self.resumed.append(reply)


class Harness:
    """One server state plus helpers to connect clients and run commands as bytes."""

    def __init__(self, **options: str) -> None:
        config = Config()
        for name, value in options.items():
            config.set(name.replace("_", "-"), value)
        self.clock = ManualClock()
        self.state: ServerState = build_state(config, self.clock)
        self.soon: list[Any] = []
        self.later: list[tuple[float, Any]] = []
        pause = self.state.extensions["pause"]
        pause.call_soon = self.soon.append
        pause.call_later = lambda delay, fn: self.later.append((delay, fn)) or _Handle()

    def connect(self, addr: str = "127.0.0.1:40000", laddr: str = "127.0.0.1:6379") -> Client:
        outbox = FakeOutbox()
        client = Client(self.state.next_client_id(), self.state, outbox, addr, laddr, 7)
        self.state.clients[client.id] = client
        return client

    def disconnect(self, client: Client) -> None:
        """What the connection does when the peer goes away."""
        if self.state.clients.pop(client.id, None) is not None:
            for hook in self.state.disconnect_hooks:
                hook(client)
        client.outbox = None

    def run(self, client: Client, *args: str | bytes, resp: int | None = None) -> bytes:
        """Execute one command; the reply encoded for the client's protocol."""
        argv = [a.encode() if isinstance(a, str) else a for a in args]
        reply = execute(client, argv)
        return encode(reply, resp or client.resp)

    def call(self, client: Client, *args: str | bytes) -> Any:
        argv = [a.encode() if isinstance(a, str) else a for a in args]
        return execute(client, argv)

    def run_soon(self) -> None:
        while self.soon:
            self.soon.pop(0)()


class _Handle:
    def cancel(self) -> None:
        pass
