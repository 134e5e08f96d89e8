"""The permission check the dispatcher runs before a command (Redis's ``ACLCheckAllPerm``).

The dispatcher calls :func:`check_command` only when the client's user is
not ``unrestricted`` (every command, ``~*`` and ``&*``), so the default user
costs one attribute test per command. The order follows Redis: the command
(or its allowed first argument), then each key with the permission its key
spec needs, then the channels of PUBLISH/SPUBLISH/(S)SUBSCRIBE (glob match)
and PSUBSCRIBE (patterns compared literally). A denial is logged in ACL LOG.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import CommandError
from ..commands.getkeys import has_keys
from ..glob import compile_glob, glob_match
from .keys import keys_with_perms

if TYPE_CHECKING:  # pragma: no cover
    from ..client import Client
    from ..commands.registry import CommandSpec
    from .users import User

OK = ""
DENIED_CMD = "command"
DENIED_KEY = "key"
DENIED_CHANNEL = "channel"

NOPERM_KEY = "NOPERM this user has no permissions to access one of the keys used as arguments"
NOPERM_CHANNEL = "NOPERM this user has no permissions to access one of the channels used as arguments"

# Commands whose arguments are channels: (first channel position or -1 for "all from 1", literal?)
_CHANNEL_COMMANDS = {
    "publish": (True, False), "spublish": (True, False),
    "subscribe": (False, False), "ssubscribe": (False, False),
    "psubscribe": (False, True),
}


def noperm_command(spec: "CommandSpec") -> str:
    return f"NOPERM this user has no permissions to run the '{spec.full_name}' command"


def _key_allowed(user: "User", key: bytes, perm: int) -> bool:
    if not key:  # the compiled matcher never matches an empty text; stringmatch may ("*")
        return any(allowed & perm == perm and glob_match(pattern, key) for pattern, allowed in user.keys)
    for pattern, allowed in user.keys:
        if allowed & perm == perm and compile_glob(pattern)(key):
            return True
    return False


def channel_allowed(patterns: list[bytes], channel: bytes, literal: bool) -> bool:
    """Redis's ``ACLCheckChannelAgainstList``."""
    for pattern in patterns:
        if (pattern == channel) if literal else glob_match(pattern, channel):
            return True
    return False


_RANK = {DENIED_CMD: 1, DENIED_KEY: 2, DENIED_CHANNEL: 4}  # Redis's ACL_DENIED_* values


def evaluate(user: "User", spec: "CommandSpec", argv: list[bytes]) -> tuple[str, int]:
    """``(reason, argument position)``: reason is OK or what was denied.

    With selectors, any selector allowing the command is enough; otherwise
    the error reported is Redis's pick (``ACLCheckAllUserCommandPerm``): the
    highest-ranked reason, then the furthest argument.
    """
    result = _evaluate_selector(user, spec, argv)
    if result[0] == OK or not user.selectors:
        return result
    for selector in user.selectors:
        reason, pos = _evaluate_selector(selector, spec, argv)
        if reason == OK:
            return OK, 0
        if _RANK[reason] > _RANK[result[0]] or (reason == result[0] and pos > result[1]):
            result = (reason, pos)
    return result


def _evaluate_selector(user: "User", spec: "CommandSpec", argv: list[bytes]) -> tuple[str, int]:
    if user.allkeys and user.allchannels and (user.allcommands or spec in user.allowed):
        return OK, 0  # the common restricted user: only some commands removed
    if not user.allcommands and not spec.no_auth and spec not in user.allowed:
        allowed = user.firstargs.get(spec)
        idx = 2 if spec.parent is not None else 1
        if not allowed or len(argv) <= idx:
            return DENIED_CMD, 0
        arg = argv[idx].lower()
        if not any(a.lower() == arg for a in allowed):
            return DENIED_CMD, 0
    if not user.allkeys and has_keys(spec):
        for pos, perm in keys_with_perms(spec, argv):
            if not _key_allowed(user, argv[pos], perm):
                return DENIED_KEY, pos
    if not user.allchannels:
        kind = _CHANNEL_COMMANDS.get(spec.full_name)
        if kind is not None:
            single, literal = kind
            positions = [1] if single else range(1, len(argv))
            for pos in positions:
                if pos < len(argv) and not channel_allowed(user.channels, argv[pos], literal):
                    return DENIED_CHANNEL, pos
    return OK, 0


def check_command(client: "Client", spec: "CommandSpec", argv: list[bytes]) -> None:
    """Raise the NOPERM error (and log it) when the client's user may not run this."""
    user = client.acl_user
    reason, pos = evaluate(user, spec, argv)
    if reason == OK:
        return
    acl = client.server.extensions["acl"]
    spec.rejected_calls += 1  # INFO commandstats, as Redis's rejectCommand
    if reason == DENIED_CMD:
        obj = spec.full_name.encode()
        text = noperm_command(spec)
    elif reason == DENIED_KEY:
        obj = argv[pos]
        text = NOPERM_KEY
    else:
        obj = argv[pos]
        text = NOPERM_CHANNEL
    acl.log_denial(client, reason, obj, user.name_bytes)
    raise CommandError(text)


_EXEC_REASONS = {
    DENIED_CMD: "no permission to execute the command or subcommand",
    DENIED_KEY: "no permission to touch the specified keys",
    DENIED_CHANNEL: "no permission to access one of the channels used as arguments",
}


def exec_denial(client: "Client", spec: "CommandSpec", argv: list[bytes]) -> CommandError | None:
    """EXEC checks each queued command again, since rules may have changed after MULTI.

    Returns the error reply that takes the command's place (logged in ACL LOG
    with the multi context and counted in errorstats), or None to run it.
    """
    user = client.acl_user
    reason, pos = evaluate(user, spec, argv)
    if reason == OK:
        return None
    obj = spec.full_name.encode() if reason == DENIED_CMD else argv[pos]
    client.server.extensions["acl"].log_denial(client, reason, obj, user.name_bytes)
    err = CommandError("NOPERM ACLs rules changed between the moment the transaction was accumulated and the "
                       "EXEC call. This command is no longer allowed for the following reason: "
                       + _EXEC_REASONS[reason])
    stats = client.server.stats
    stats.total_error_replies += 1
    stats.errorstats["NOPERM"] = stats.errorstats.get("NOPERM", 0) + 1
    return err


def full_key_access(client: "Client") -> bool:
    """Whether the client's user may touch any key (SORT's BY and GET need it, as in Redis).

    Redis's ``ACLUserCheckKeyPerm(user, "*", 0)``: ``allkeys``, or a pattern
    matching the literal key ``*``. redis-server 7.0.15 looks at the root
    permissions only: a selector with ``~*`` does not count.
    """
    user = client.acl_user
    return user.unrestricted or user.allkeys or _key_allowed(user, b"*", 0)
