"""Generic key commands: DEL, EXISTS, EXPIRE..., SCAN, RENAME, FLUSHDB..."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import errors
from ..errors import CommandError
from ..protocol.reply import OK
from .registry import CommandGroup

if TYPE_CHECKING:  # pragma: no cover
    from ..client import Client

group = CommandGroup("generic")


def _flush_mode(argv: list[bytes], name: str) -> None:
    if len(argv) > 2:
        raise CommandError(errors.SYNTAX)
    if len(argv) == 2 and argv[1].lower() not in (b"async", b"sync"):
        raise CommandError(errors.SYNTAX)


@group.command("flushdb", -1, "write", acl="keyspace write slow dangerous", group="server", tips="request_policy:all_shards response_policy:all_succeeded")
def flushdb(client: "Client", argv: list[bytes]) -> Any:
    """Remove all keys from the current database."""
    _flush_mode(argv, "flushdb")
    db = client.db
    db.flush()
    db.changed(None, "flushdb", 0)  # type: ignore[arg-type]
    return OK


@group.command("flushall", -1, "write", acl="keyspace write slow dangerous", group="server", tips="request_policy:all_shards response_policy:all_succeeded")
def flushall(client: "Client", argv: list[bytes]) -> Any:
    """Remove all keys from all databases."""
    _flush_mode(argv, "flushall")
    for db in client.server.keyspace.dbs:
        db.flush()
        db.changed(None, "flushall", 0)  # type: ignore[arg-type]
    return OK
