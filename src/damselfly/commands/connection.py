"""Connection commands: PING, ECHO, QUIT, SELECT, AUTH, HELLO, RESET and CLIENT.

CLIENT is a container; the subcommands about one's own connection and about
other clients live here (ID, SETNAME, GETNAME, LIST, INFO, KILL, REPLY,
NO-EVICT, PAUSE, UNPAUSE, HELP). Client-side caching (TRACKING, CACHING,
GETREDIR, TRACKINGINFO) and UNBLOCK are declared by their own families and
attached to this container when the table is built.

Redis 7.0.15 has no CLIENT SETINFO nor CLIENT NO-TOUCH (both came in 7.2), so
they stay unknown subcommands here, as on the reference server.
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from .. import errors
from ..errors import CommandError
from ..protocol.reply import OK, PONG, Raw, Simple, Verbatim
from .args import parse_int
from .client_list import TYPE_BY_NAME, client_type, info_line, is_gone, live_clients
from .client_names import validate_name
from .help_text import help_reply, subcommand_syntax
from .registry import CommandGroup

if TYPE_CHECKING:  # pragma: no cover
    from ..client import Client
    from ..pause import ClientPause

group = CommandGroup("connection")

NO_REPLY = Raw(b"")


@group.command("ping", -1, "fast sentinel", acl="fast connection",
               tips="request_policy:all_shards response_policy:all_succeeded")
def ping(client: "Client", argv: list[bytes]) -> Any:
    """Ping the server."""
    if len(argv) > 2:
        raise CommandError(errors.wrong_arity("ping"))
    if client.resp == 2 and client.subscriptions:
        return [b"pong", argv[1] if len(argv) == 2 else b""]
    return argv[1] if len(argv) == 2 else PONG


@group.command("echo", 2, "loading stale fast", acl="fast connection")
def echo(client: "Client", argv: list[bytes]) -> Any:
    """Echo the given string."""
    return argv[1]


@group.command("quit", -1, "noscript loading stale fast no_auth allow_busy", acl="fast connection")
def quit_(client: "Client", argv: list[bytes]) -> Any:
    """Close the connection after replying OK."""
    client.close_after_reply = True
    return OK


@group.command("select", 2, "loading stale fast", acl="fast connection")
def select(client: "Client", argv: list[bytes]) -> Any:
    """Change the selected database for the current connection."""
    index = parse_int(argv[1])
    if not -2**31 <= index < 2**31:  # getIntFromObjectOrReply: a C int first
        raise CommandError(errors.value_range(-2**31, 2**31 - 1))
    if not 0 <= index < len(client.server.keyspace.dbs):
        raise CommandError(errors.INVALID_DB)
    client.select(index)
    return OK


def _authenticate(client: "Client", username: bytes, password: bytes, command: bytes) -> None:
    """Log in as an ACL user (acl/registry.py), or raise WRONGPASS after logging it in ACL LOG."""
    if not client.server.extensions["acl"].authenticate(client, username, password, command):
        raise CommandError(errors.WRONGPASS)


@group.command("auth", -2, "noscript loading stale fast no_auth sentinel allow_busy",
               acl="fast connection")
def auth(client: "Client", argv: list[bytes]) -> Any:
    """Authenticate to the server."""
    if len(argv) > 3:
        raise CommandError(errors.SYNTAX)
    if len(argv) == 2:
        if client.server.extensions["acl"].default.nopass:
            raise CommandError(errors.AUTH_NOT_CONFIGURED)
        username, password = b"default", argv[1]
    else:
        username, password = argv[1], argv[2]
    _authenticate(client, username, password, argv[0])
    return OK


_HELLO_NOAUTH = ("NOAUTH HELLO must be called with the client already authenticated, otherwise the "
                 "HELLO AUTH <user> <pass> option can be used to authenticate the client and "
                 "select the RESP protocol version at the same time")


@group.command("hello", -1, "noscript loading stale fast no_auth sentinel allow_busy",
               acl="fast connection", since="6.0.0")
def hello(client: "Client", argv: list[bytes]) -> Any:
    """Handshake: choose the protocol version, optionally authenticate and name the connection."""
    from .. import REDIS_COMPAT_VERSION
    version = 0
    i = 1
    if len(argv) > 1:
        version = parse_int(argv[1], "ERR Protocol version is not an integer or out of range")
        if version < 2 or version > 3:
            raise CommandError(errors.NOPROTO)
        i = 2
    # Options act as they are read, as in Redis 7.0.15's helloCommand: AUTH logs in
    # and SETNAME names the connection at once, even if a later option is wrong
    # or the client turns out not to be authenticated.
    while i < len(argv):
        opt = argv[i].lower()
        more = len(argv) - i - 1
        if opt == b"auth" and more >= 2:
            _authenticate(client, argv[i + 1], argv[i + 2], argv[0])
            i += 3
        elif opt == b"setname" and more >= 1:
            validate_name(argv[i + 1])
            client.name = argv[i + 1]
            i += 2
        else:
            raise CommandError(f"ERR Syntax error in HELLO option '{errors.c_string(argv[i])}'")
    if not client.authenticated:
        raise CommandError(_HELLO_NOAUTH)
    if version:
        client.resp = version
    return {
        "server": "redis",
        "version": REDIS_COMPAT_VERSION,
        "proto": client.resp,
        "id": client.id,
        "mode": "standalone",
        "role": "master",
        "modules": [],
    }


@group.command("reset", 1, "noscript loading stale fast no_auth allow_busy", acl="fast connection",
               since="6.2.0")
def reset(client: "Client", argv: list[bytes]) -> Any:
    """Reset the connection to its state right after connecting.

    Redis's ``clearClientConnectionState``: leave MONITOR, turn tracking off,
    discard MULTI and WATCH, drop every subscription without notifications
    (all through the disconnect hooks), select db 0, RESP2, the default user
    (authenticated only when it needs no password), no name, replies on. The
    NO-EVICT flag survives, as in Redis; a pending CLIENT REPLY SKIP still
    swallows this reply.
    """
    if client.kind in ("replica", "master"):
        raise CommandError("ERR can only reset normal client connections")
    for hook in client.server.disconnect_hooks:
        hook(client)
    client.multi = None
    client.multi_error = False
    client.dirty_cas = False
    client.select(0)
    client.resp = 2
    client.user = "default"
    acl = client.server.extensions.get("acl")
    if acl is not None:
        client.acl_user = acl.default
    client.authenticated = not client.server.auth_required()
    client.name = b""
    client.reply_mode = "on"
    return Simple("RESET")


# -- CLIENT -------------------------------------------------------------------------------

group.container("client", -2, "", acl="slow", since="2.4.0",
                summary="A container for client connection commands")

_CLIENT_HELP = [
    "CACHING (YES|NO)",
    "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
    "GETREDIR",
    "    Return the client ID we are redirecting to when tracking is enabled.",
    "GETNAME",
    "    Return the name of the current connection.",
    "ID",
    "    Return the ID of the current connection.",
    "INFO",
    "    Return information about the current client connection.",
    "KILL <ip:port>",
    "    Kill connection made from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Kill connections. Options are:",
    "    * ADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made from the specified address",
    "    * LADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made to specified local address",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Kill connections by type.",
    "    * USER <username>",
    "      Kill connections authenticated by <username>.",
    "    * SKIPME (YES|NO)",
    "      Skip killing current connection (default: yes).",
    "LIST [options ...]",
    "    Return information about client connections. Options:",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Return clients of specified type.",
    "UNPAUSE",
    "    Stop the current client pause, resuming traffic.",
    "PAUSE <timeout> [WRITE|ALL]",
    "    Suspend all, or just write, clients for <timeout> milliseconds.",
    "REPLY (ON|OFF|SKIP)",
    "    Control the replies sent to the current connection.",
    "SETNAME <name>",
    "    Assign the name <name> to the current connection.",
    "UNBLOCK <clientid> [TIMEOUT|ERROR]",
    "    Unblock the specified blocked client.",
    "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
    "         [OPTIN] [OPTOUT] [NOLOOP]",
    "    Control server assisted client side caching.",
    "TRACKINGINFO",
    "    Report tracking status for the current connection.",
    "NO-EVICT (ON|OFF)",
    "    Protect current client connection from eviction.",
]


@group.subcommand("client", "help", 2, "loading stale", acl="slow connection", since="5.0.0")
def client_help(client: "Client", argv: list[bytes]) -> Any:
    """Show helpful text about the different subcommands."""
    return help_reply("client", _CLIENT_HELP)


@group.subcommand("client", "id", 2, "noscript loading stale", acl="slow connection", since="5.0.0")
def client_id(client: "Client", argv: list[bytes]) -> Any:
    """Return the client ID for the current connection."""
    return client.id


@group.subcommand("client", "setname", 3, "noscript loading stale", acl="slow connection", since="2.6.9")
def client_setname(client: "Client", argv: list[bytes]) -> Any:
    """Set the current connection name (an empty name removes it)."""
    validate_name(argv[2])
    client.name = argv[2]
    return OK


@group.subcommand("client", "getname", 2, "noscript loading stale", acl="slow connection", since="2.6.9")
def client_getname(client: "Client", argv: list[bytes]) -> Any:
    """Get the current connection name."""
    return client.name or None


def _type_by_name(raw: bytes) -> str:
    kind = TYPE_BY_NAME.get(raw.lower())
    if kind is None:
        raise CommandError(f"ERR Unknown client type '{errors.c_string(raw)}'")
    return kind


@group.subcommand("client", "list", -2, "admin noscript loading stale", acl="admin slow dangerous connection",
                  since="2.4.0", tips="nondeterministic_output")
def client_list(client: "Client", argv: list[bytes]) -> Any:
    """List client connections, all of them, of one TYPE, or by ID."""
    server = client.server
    chosen: list["Client"]
    if len(argv) == 4 and argv[2].lower() == b"type":
        kind = _type_by_name(argv[3])
        chosen = [c for c in live_clients(server) if client_type(c) == kind]
    elif len(argv) > 3 and argv[2].lower() == b"id":
        ids = [parse_int(raw, "ERR Invalid client ID") for raw in argv[3:]]
        chosen = []
        for cid in ids:
            other = server.clients.get(cid)
            if other is not None and not is_gone(other):
                chosen.append(other)
    elif len(argv) != 2:
        raise CommandError(errors.SYNTAX)
    else:
        chosen = list(live_clients(server))
    text = "".join(info_line(c, client, argv) + "\n" for c in chosen)
    return Verbatim(text.encode())


@group.subcommand("client", "info", 2, "noscript loading stale", acl="slow connection", since="6.2.0",
                  tips="nondeterministic_output")
def client_info(client: "Client", argv: list[bytes]) -> Any:
    """Return information about the current client connection."""
    return Verbatim((info_line(client, client, argv) + "\n").encode())


def _user_exists(client: "Client", name: bytes) -> bool:
    """Only the default user exists until an ACL subsystem registers others."""
    acl = client.server.extensions.get("acl")
    if acl is not None and hasattr(acl, "get_user"):
        return acl.get_user(name) is not None
    return name == b"default"


@group.subcommand("client", "kill", -3, "admin noscript loading stale", acl="admin slow dangerous connection",
                  since="2.4.0")
def client_kill(client: "Client", argv: list[bytes]) -> Any:
    """Kill connections by address (old form) or by ID, TYPE, ADDR, LADDR, USER, SKIPME."""
    addr = laddr = user = None
    kind = None
    cid = 0
    skipme = True
    if len(argv) == 3:  # CLIENT KILL addr:port, which may kill the caller itself
        addr = argv[2].decode("utf-8", "replace")
        skipme = False
    else:
        i = 2
        while i < len(argv):
            opt = argv[i].lower()
            if i + 1 >= len(argv):
                raise CommandError(errors.SYNTAX)
            value = argv[i + 1]
            if opt == b"id":
                cid = parse_int(value, "ERR client-id should be greater than 0")
                if cid < 1:
                    raise CommandError("ERR client-id should be greater than 0")
            elif opt == b"type":
                kind = _type_by_name(value)
            elif opt == b"addr":
                addr = value.decode("utf-8", "replace")
            elif opt == b"laddr":
                laddr = value.decode("utf-8", "replace")
            elif opt == b"user":
                if not _user_exists(client, value):
                    raise CommandError(f"ERR No such user '{errors.c_string(value)}'")
                user = value.decode("utf-8", "replace")
            elif opt == b"skipme":
                low = value.lower()
                if low == b"yes":
                    skipme = True
                elif low == b"no":
                    skipme = False
                else:
                    raise CommandError(errors.SYNTAX)
            else:
                raise CommandError(errors.SYNTAX)
            i += 2
    killed = 0
    for other in list(live_clients(client.server)):
        if addr is not None and other.addr != addr:
            continue
        if laddr is not None and other.laddr != laddr:
            continue
        if kind is not None and client_type(other) != kind:
            continue
        if cid and other.id != cid:
            continue
        if user is not None and other.user != user:
            continue
        if other is client:
            if skipme:
                continue
            client.close_after_reply = True  # after this reply, as Redis does
        elif other.outbox is not None:
            other.outbox.close("killed")
        killed += 1
    if len(argv) == 3:
        if not killed:
            raise CommandError("ERR No such client")
        return OK
    return killed


@group.subcommand("client", "reply", 3, "noscript loading stale", acl="slow connection", since="3.2.0")
def client_reply(client: "Client", argv: list[bytes]) -> Any:
    """Turn replies to this connection on, off, or off for the next command only.

    OFF and SKIP answer nothing. SKIP suppresses its own (empty) reply and the
    next command's, hence two; it does nothing while replies are OFF.
    """
    mode = argv[2].lower()
    if mode == b"on":
        client.reply_mode = "on"
        client.skip_replies = 0
        return OK
    if mode == b"off":
        client.reply_mode = "off"
        return NO_REPLY
    if mode == b"skip":
        if client.reply_mode == "on":
            client.skip_replies = 2
        return NO_REPLY
    raise CommandError(errors.SYNTAX)


@group.subcommand("client", "no-evict", 3, "admin noscript loading stale", acl="admin slow dangerous connection",
                  since="7.0.0")
def client_no_evict(client: "Client", argv: list[bytes]) -> Any:
    """Protect this connection from client eviction (maxmemory-clients)."""
    mode = argv[2].lower()
    if mode == b"on":
        client.no_evict = True
    elif mode == b"off":
        client.no_evict = False
    else:
        raise CommandError(errors.SYNTAX)
    return OK


def _pause(client: "Client") -> "ClientPause":
    return client.server.extensions["pause"]


@group.subcommand("client", "pause", -3, "admin noscript loading stale", acl="admin slow dangerous connection",
                  since="2.9.50")
def client_pause(client: "Client", argv: list[bytes]) -> Any:
    """Hold clients' commands (all of them, or only writes) for a number of milliseconds."""
    if len(argv) > 4:
        raise CommandError(subcommand_syntax(argv[1], argv[0]))
    kind = "all"
    if len(argv) == 4:
        mode = argv[3].lower()
        if mode not in (b"write", b"all"):
            raise CommandError("ERR CLIENT PAUSE mode must be WRITE or ALL")
        kind = mode.decode()
    timeout_ms = parse_int(argv[2], "ERR timeout is not an integer or out of range")
    if timeout_ms < 0:
        raise CommandError("ERR timeout is negative")
    _pause(client).pause(kind, time.monotonic() + timeout_ms / 1000.0)
    return OK


@group.subcommand("client", "unpause", 2, "admin noscript loading stale", acl="admin slow dangerous connection",
                  since="6.2.0")
def client_unpause(client: "Client", argv: list[bytes]) -> Any:
    """End a CLIENT PAUSE now; the held commands run."""
    _pause(client).unpause()
    return OK
