"""Socket-free control-path fixtures: a server state and clients whose outbox records messages."""
from __future__ import annotations

from typing import Any, Callable

import pytest

from damselfly.app import build_state
from damselfly.client import Client
from damselfly.config import Config
from damselfly.protocol.reply import Raw
from damselfly.state import ServerState


class RecordingOutbox:
    """Implements the Outbox protocol by remembering what it was given."""

    def __init__(self) -> None:
        self.sent: list[Any] = []        # send_async
        self.after: list[Any] = []       # send_after_reply
        self.closed = False

    def send_async(self, msg: Any) -> None:
        self.sent.append(msg)

    def send_after_reply(self, msg: Any) -> None:
        self.after.append(msg)

    def close(self, reason: str = "") -> None:
        self.closed = True

    def output_bytes(self) -> int:
        return 0

    def queued_bytes(self) -> int:
        return 0

    def input_bytes(self) -> int:
        return 0

    def resume_blocked(self, reply: Any) -> None:
        pass

    def frames(self, resp: int = 2) -> list[bytes]:
        return [m.encode(resp) for m in self.sent]

    def messages(self) -> list[tuple[bytes | None, bytes, bytes]]:
        """(pattern, channel, payload) of every pub/sub message handed over, runs expanded."""
        out = []
        for m in self.sent:
            out.extend(m.messages())
        return out


@pytest.fixture
def state() -> ServerState:
    config = Config()
    config.set("save", "")
    return build_state(config)


@pytest.fixture
def new_client(state: ServerState) -> Callable[..., Client]:
    """Make a connected client (registered in ``state.clients``) with a RecordingOutbox."""

    def make(resp: int = 2) -> Client:
        client = Client(state.next_client_id(), state, RecordingOutbox(), "127.0.0.1:1", "127.0.0.1:2")
        client.resp = resp
        state.clients[client.id] = client
        return client

    return make


def run(client: Client, *args: bytes | str) -> Any:
    """Execute one command through the dispatcher, as the connection would.

    Integer replies some handlers return pre-encoded (``Raw(b":4\\r\\n")``) come back as ints.
    """
    from damselfly.commands.dispatch import execute
    argv = [a.encode() if isinstance(a, str) else a for a in args]
    reply = execute(client, argv)
    if isinstance(reply, Raw) and reply[:1] == b":":
        return int(reply[1:-2])
    return reply


def disconnect(state: ServerState, client: Client) -> None:
    state.clients.pop(client.id, None)
    for hook in state.disconnect_hooks:
        hook(client)
    client.outbox = None
