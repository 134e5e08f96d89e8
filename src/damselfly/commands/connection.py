"""Connection commands: PING, ECHO, QUIT, SELECT, HELLO, AUTH, RESET, CLIENT ..."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import errors
from ..errors import CommandError
from ..protocol.reply import OK, PONG, Simple
from .args import parse_int
from .registry import CommandGroup

if TYPE_CHECKING:  # pragma: no cover
    from ..client import Client

group = CommandGroup("connection")


@group.command("ping", -1, "fast sentinel", acl="fast connection")
def ping(client: "Client", argv: list[bytes]) -> Any:
    """Ping the server."""
    if len(argv) > 2:
        raise CommandError(errors.wrong_arity("ping"))
    if client.resp == 2 and client.subscriptions:
        return [b"pong", argv[1] if len(argv) == 2 else b""]
    return argv[1] if len(argv) == 2 else PONG


@group.command("echo", 2, "fast", acl="fast connection")
def echo(client: "Client", argv: list[bytes]) -> Any:
    """Echo the given string."""
    return argv[1]


@group.command("quit", -1, "noscript loading stale fast no_auth allow_busy", acl="fast connection")
def quit_(client: "Client", argv: list[bytes]) -> Any:
    """Close the connection."""
    client.close_after_reply = True
    return OK


@group.command("select", 2, "loading stale fast", acl="fast connection")
def select(client: "Client", argv: list[bytes]) -> Any:
    """Change the selected database for the current connection."""
    index = parse_int(argv[1])
    if not 0 <= index < len(client.server.keyspace.dbs):
        raise CommandError(errors.INVALID_DB)
    client.select(index)
    return OK


def check_password(client: "Client", username: bytes, password: bytes) -> bool:
    """Authenticate the default user against requirepass (ACL users come later)."""
    server = client.server
    required = server.config.requirepass
    if username != b"default":
        return False
    if not required:
        return True
    return password == required.encode()


@group.command("auth", -2, "noscript loading stale fast no_auth sentinel allow_busy", acl="fast connection", since="1.0.0")
def auth(client: "Client", argv: list[bytes]) -> Any:
    """Authenticate to the server."""
    if len(argv) > 3:
        raise CommandError(errors.SYNTAX)
    if len(argv) == 2:
        if not client.server.config.requirepass:
            raise CommandError(errors.AUTH_NOT_CONFIGURED)
        username, password = b"default", argv[1]
    else:
        username, password = argv[1], argv[2]
    if not check_password(client, username, password):
        client.server.stats.errorstats.setdefault("auth_failures", 0)
        client.server.auth_failures = getattr(client.server, "auth_failures", 0) + 1
        raise CommandError(errors.WRONGPASS)
    client.authenticated = True
    client.user = username.decode("utf-8", "replace")
    return OK


@group.command("hello", -1, "noscript loading stale fast no_auth sentinel allow_busy", acl="fast connection", since="6.0.0")
def hello(client: "Client", argv: list[bytes]) -> Any:
    """Handshake with the server: protocol version, optional AUTH and SETNAME."""
    from .. import REDIS_COMPAT_VERSION
    version = client.resp
    i = 1
    if len(argv) > 1:
        try:
            version = parse_int(argv[1])
        except CommandError:
            raise CommandError("ERR Protocol version is not an integer or out of range") from None
        if version < 2 or version > 3:
            raise CommandError(errors.NOPROTO)
        i = 2
    name = None
    creds = None
    while i < len(argv):
        opt = argv[i].lower()
        more = len(argv) - i - 1
        if opt == b"auth" and more >= 2:
            creds = (argv[i + 1], argv[i + 2])
            i += 3
        elif opt == b"setname" and more >= 1:
            name = argv[i + 1]
            i += 2
        else:
            raise CommandError(f"ERR Syntax error in HELLO option '{argv[i].decode('utf-8', 'replace')}'")
    if creds is not None:
        if not check_password(client, *creds):
            raise CommandError(errors.WRONGPASS)
        client.authenticated = True
        client.user = creds[0].decode("utf-8", "replace")
    elif not client.authenticated:
        raise CommandError("NOAUTH HELLO must be called with the client already authenticated, "
                           "otherwise the HELLO <proto> AUTH <user> <pass> option can be used to "
                           "authenticate the client and select the RESP protocol version at the same time")
    if name is not None:
        from .client_names import validate_name
        validate_name(name)
        client.name = name
    client.resp = version
    return {
        "server": "redis",
        "version": REDIS_COMPAT_VERSION,
        "proto": version,
        "id": client.id,
        "mode": "standalone",
        "role": "master",
        "modules": [],
    }
