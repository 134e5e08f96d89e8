"""String commands."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import errors
from ..errors import CommandError
from ..keyspace import NotifyKind
from ..protocol.reply import OK
from .registry import CommandGroup

if TYPE_CHECKING:  # pragma: no cover
    from ..client import Client

group = CommandGroup("string")


@group.command("get", 2, "readonly fast", keys=(1, 1, 1), acl="read string fast")
def get(client: "Client", argv: list[bytes]) -> Any:
    """Get the value of a key."""
    value = client.db.lookup_read(argv[1])
    if value is None or type(value) is bytes:
        return value
    raise CommandError(errors.WRONGTYPE)


@group.command("set", -3, "write denyoom", keys=(1, 1, 1), acl="write string slow")
def set_(client: "Client", argv: list[bytes]) -> Any:
    """Set the string value of a key."""
    if len(argv) != 3:
        raise CommandError(errors.SYNTAX)
    db = client.db
    db.set(argv[1], argv[2])
    db.changed(argv[1], "set", NotifyKind.STRING)
    return OK
