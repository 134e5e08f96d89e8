"""Client-side caching commands: CLIENT TRACKING, CACHING, GETREDIR, TRACKINGINFO.

These are subcommands of the CLIENT container (declared by the connection
family); they are attached when the command table is built. The table and
the invalidation messages live in :mod:`damselfly.control.tracking`.

One deliberate difference from Redis 7.0.15: when the second or a later
PREFIX overlaps another given prefix, Redis 7.0 replies the error *and then*
``+OK`` (its ``checkPrefixCollisionsOrReply`` returns the index instead of 0),
leaving the client with two replies for one command and tracking enabled.
damselfly replies the error only and changes nothing, as Redis intended.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import errors
from ..errors import CommandError
from ..protocol.reply import OK, SetReply
from .args import parse_int
from .registry import CommandGroup

if TYPE_CHECKING:  # pragma: no cover
    from ..client import Client
    from ..control.tracking import Tracking

group = CommandGroup("connection")


def _tracking(client: "Client") -> "Tracking":
    return client.server.extensions["tracking"]


@group.subcommand("client", "tracking", -3, "noscript loading stale", acl="slow connection", since="6.0.0")
def client_tracking(client: "Client", argv: list[bytes]) -> Any:
    """Enable or disable server assisted client side caching support."""
    redirect = 0
    bcast = optin = optout = noloop = False
    prefixes: list[bytes] = []
    j = 3
    n = len(argv)
    while j < n:
        opt = argv[j].lower()
        more = n - 1 - j
        if opt == b"redirect" and more:
            j += 1
            if redirect:
                raise CommandError("ERR A client can only redirect to a single other client")
            redirect = parse_int(argv[j])
            if redirect not in client.server.clients:
                raise CommandError("ERR The client ID you want redirect to does not exist")
        elif opt == b"bcast":
            bcast = True
        elif opt == b"optin":
            optin = True
        elif opt == b"optout":
            optout = True
        elif opt == b"noloop":
            noloop = True
        elif opt == b"prefix" and more:
            j += 1
            prefixes.append(argv[j])
        else:
            raise CommandError(errors.SYNTAX)
        j += 1

    tracking = _tracking(client)
    mode = argv[2].lower()
    if mode == b"on":
        t = client.tracking
        if not bcast and prefixes:
            raise CommandError("ERR PREFIX option requires BCAST mode to be enabled")
        if t is not None and t.bcast != bcast:
            raise CommandError("ERR You can't switch BCAST mode on/off before disabling tracking "
                               "for this client, and then re-enabling it with a different mode.")
        if bcast and (optin or optout):
            raise CommandError("ERR OPTIN and OPTOUT are not compatible with BCAST")
        if optin and optout:
            raise CommandError("ERR You can't specify both OPTIN mode and OPTOUT mode")
        if t is not None and ((optin and t.optout) or (optout and t.optin)):
            raise CommandError("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking "
                               "for this client, and then re-enabling it with a different mode.")
        if bcast:
            collision = tracking.prefix_collision(client, prefixes)
            if collision is not None:
                raise CommandError(collision)
        tracking.enable(client, redirect, bcast, optin, optout, noloop, prefixes)
    elif mode == b"off":
        tracking.disable(client)
    else:
        raise CommandError(errors.SYNTAX)
    return OK


@group.subcommand("client", "caching", 3, "noscript loading stale", acl="slow connection", since="6.0.0")
def client_caching(client: "Client", argv: list[bytes]) -> Any:
    """Instruct the server about tracking or not keys in the next request."""
    t = client.tracking
    if t is None:
        raise CommandError("ERR CLIENT CACHING can be called only when the client is in tracking "
                           "mode with OPTIN or OPTOUT mode enabled")
    opt = argv[2].lower()
    if opt == b"yes":
        if not t.optin:
            raise CommandError("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.")
    elif opt == b"no":
        if not t.optout:
            raise CommandError("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.")
    else:
        raise CommandError(errors.SYNTAX)
    t.caching = True
    return OK


@group.subcommand("client", "getredir", 2, "noscript loading stale", acl="slow connection", since="6.0.0")
def client_getredir(client: "Client", argv: list[bytes]) -> Any:
    """Get tracking notifications redirection client ID if any."""
    t = client.tracking
    return t.redirect if t is not None else -1


@group.subcommand("client", "trackinginfo", 2, "noscript loading stale", acl="slow connection", since="6.2.0")
def client_trackinginfo(client: "Client", argv: list[bytes]) -> Any:
    """Return information about server assisted client side caching for the current connection."""
    t = client.tracking
    if t is None:
        return {b"flags": SetReply([b"off"]), b"redirect": -1, b"prefixes": []}
    flags = [b"on"]
    if t.bcast:
        flags.append(b"bcast")
    if t.optin:
        flags.append(b"optin")
        if t.caching:
            flags.append(b"caching-yes")
    if t.optout:
        flags.append(b"optout")
        if t.caching:
            flags.append(b"caching-no")
    if t.noloop:
        flags.append(b"noloop")
    if t.broken_redirect:
        flags.append(b"broken_redirect")
    return {b"flags": SetReply(flags), b"redirect": t.redirect, b"prefixes": sorted(t.prefixes)}
