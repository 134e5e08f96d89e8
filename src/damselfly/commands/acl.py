"""The ACL command family: SETUSER, GETUSER, DELUSER, LIST, USERS, WHOAMI, CAT,
GENPASS, DRYRUN, LOG, LOAD, SAVE, HELP.

The users, the rule language and the checks live in :mod:`damselfly.acl`;
these handlers parse arguments and shape Redis 7.0.15's replies (GETUSER of
a missing user is a null there, not the error 7.2 answers; LOG entries have
seven fields, without 7.2's entry-id and timestamps).
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ..acl.checker import DENIED_CMD, DENIED_KEY, OK as ACL_OK, evaluate
from ..acl.registry import NO_ACLFILE, Acl, AclFileError
from ..acl.users import AclRuleError, has_spaces, merge_selector_args
from .. import errors
from ..errors import CommandError, c_string
from ..protocol.reply import OK, SetReply
from .args import parse_int
from .help_text import help_reply, subcommand_syntax
from .introspection import CATEGORY_ORDER
from .registry import CommandGroup

if TYPE_CHECKING:  # pragma: no cover
    from ..client import Client

group = CommandGroup("server")

_ADMIN = "admin noscript loading stale"
_ADMIN_ACL = "admin slow dangerous"

group.container("acl", -2, "", acl="slow", since="6.0.0",
                summary="A container for Access List Control commands")

_HELP = [
    "CAT [<category>]",
    "    List all commands that belong to <category>, or all command categories",
    "    when no category is specified.",
    "DELUSER <username> [<username> ...]",
    "    Delete a list of users.",
    "DRYRUN <username> <command> [<arg> ...]",
    "    Returns whether the user can execute the given command without executing the command.",
    "GETUSER <username>",
    "    Get the user's details.",
    "GENPASS [<bits>]",
    "    Generate a secure 256-bit user password. The optional `bits` argument can",
    "    be used to specify a different size.",
    "LIST",
    "    Show users details in config file format.",
    "LOAD",
    "    Reload users from the ACL file.",
    "LOG [<count> | RESET]",
    "    Show the ACL log entries.",
    "SAVE",
    "    Save the current config to the ACL file.",
    "SETUSER <username> <attribute> [<attribute> ...]",
    "    Create or modify a user with the specified attributes.",
    "USERS",
    "    List all the registered usernames.",
    "WHOAMI",
    "    Return the current connection username.",
]


def _acl(client: "Client") -> Acl:
    return client.server.extensions["acl"]


def _text(raw: bytes) -> str:
    """An argument echoed in an error as Redis's ``%s`` does: raw bytes, up to the first NUL."""
    return c_string(raw)


def _raw(text: str) -> bytes:
    """Descriptions hold patterns and names as given, possibly not UTF-8 (kept by surrogateescape)."""
    return text.encode("utf-8", "surrogateescape")


@group.subcommand("acl", "help", 2, "loading stale", acl="slow", since="6.0.0")
def acl_help(client: "Client", argv: list[bytes]) -> Any:
    """Show helpful text about the different subcommands."""
    return help_reply("acl", _HELP)


@group.subcommand("acl", "setuser", -3, _ADMIN, acl=_ADMIN_ACL, since="6.0.0")
def acl_setuser(client: "Client", argv: list[bytes]) -> Any:
    """Modify or create the rules for a specific ACL user."""
    name = argv[2]
    if has_spaces(name):
        raise CommandError("ERR Usernames can't contain spaces or null characters")
    rules = merge_selector_args(argv[3:])
    if isinstance(rules, int):
        raise CommandError(f"ERR Unmatched parenthesis in acl selector starting at '{_text(argv[3 + rules])}'.")
    try:
        _acl(client).set_user(client, name, rules)
    except AclRuleError as err:
        rule, message = err.args
        raise CommandError(f"ERR Error in ACL SETUSER modifier '{_text(rule)}': {message}") from None
    return OK


@group.subcommand("acl", "getuser", 3, _ADMIN, acl=_ADMIN_ACL, since="6.0.0")
def acl_getuser(client: "Client", argv: list[bytes]) -> Any:
    """Get the rules for a specific ACL user (null when there is no such user, as in 7.0)."""
    acl = _acl(client)
    user = acl.get_user(argv[2])
    if user is None:
        return None
    return {
        "flags": SetReply(user.flags()),
        "passwords": [p.encode() for p in user.passwords],
        "commands": _raw(user.describe_commands(acl.index)),
        "keys": _raw(user.keys_description()),
        "channels": _raw(user.channels_description()),
        "selectors": [{k: _raw(v) for k, v in sel.selector_reply(acl.index).items()} for sel in user.selectors],
    }


@group.subcommand("acl", "deluser", -3, _ADMIN, acl=_ADMIN_ACL, since="6.0.0")
def acl_deluser(client: "Client", argv: list[bytes]) -> Any:
    """Remove the specified ACL users; their connections are closed."""
    if any(name == b"default" for name in argv[2:]):
        raise CommandError("ERR The 'default' user cannot be removed")
    acl = _acl(client)
    return sum(1 for name in argv[2:] if acl.delete_user(client, name))


@group.subcommand("acl", "list", 2, _ADMIN, acl=_ADMIN_ACL, since="6.0.0")
def acl_list(client: "Client", argv: list[bytes]) -> Any:
    """List the current ACL rules in ACL config file format."""
    acl = _acl(client)
    index = acl.index
    return [_raw(f"user {acl.users[name].name} {acl.users[name].describe(index)}") for name in sorted(acl.users)]


@group.subcommand("acl", "users", 2, _ADMIN, acl=_ADMIN_ACL, since="6.0.0")
def acl_users(client: "Client", argv: list[bytes]) -> Any:
    """List the username of all the configured ACL rules."""
    return sorted(_acl(client).users)


@group.subcommand("acl", "whoami", 2, "noscript loading stale", acl="slow", since="6.0.0")
def acl_whoami(client: "Client", argv: list[bytes]) -> Any:
    """Return the name of the user associated to the current connection."""
    name = getattr(client.acl_user, "name_bytes", None)  # no ACL subsystem: the client's user name
    return name if name is not None else client.user.encode()


@group.subcommand("acl", "cat", -2, "noscript loading stale", acl="slow", since="6.0.0")
def acl_cat(client: "Client", argv: list[bytes]) -> Any:
    """List the ACL categories or the commands inside a category."""
    if len(argv) == 2:
        return list(CATEGORY_ORDER)
    if len(argv) != 3:
        raise CommandError(subcommand_syntax(argv[1], argv[0]))
    index = _acl(client).index
    cat = index.category(argv[2])
    if cat is None:
        raise CommandError(f"ERR Unknown category '{_text(argv[2][:128])}'")
    members = index.members[cat] & index.implemented
    return [spec.full_name for spec in index.ordered if spec in members]


@group.subcommand("acl", "genpass", -2, "noscript loading stale", acl="slow", since="6.0.0")
def acl_genpass(client: "Client", argv: list[bytes]) -> Any:
    """Generate a pseudorandom secure password to use for ACL users."""
    if len(argv) > 3:
        raise CommandError(subcommand_syntax(argv[1], argv[0]))
    bits = parse_int(argv[2]) if len(argv) == 3 else 256
    if bits <= 0 or bits > 4096:
        raise CommandError("ERR ACL GENPASS argument must be the number of bits for the output password, "
                           "a positive number up to 4096")
    chars = (bits + 3) // 4
    return os.urandom((chars + 1) // 2).hex()[:chars].encode()


@group.subcommand("acl", "log", -2, _ADMIN, acl=_ADMIN_ACL, since="6.0.0")
def acl_log(client: "Client", argv: list[bytes]) -> Any:
    """List latest events denied because of ACLs in place, or RESET the log."""
    if len(argv) > 3:
        raise CommandError(subcommand_syntax(argv[1], argv[0]))
    log = _acl(client).log
    count = 10
    if len(argv) == 3:
        if argv[2].lower() == b"reset":
            log.reset()
            return OK
        count = max(parse_int(argv[2]), 0)
    now = log.now_ms()
    return [entry.reply(now) for entry in log.newest(count)]


@group.subcommand("acl", "dryrun", -4, _ADMIN, acl=_ADMIN_ACL, since="7.0.0")
def acl_dryrun(client: "Client", argv: list[bytes]) -> Any:
    """Return whether the user can execute the given command without executing it."""
    acl = _acl(client)
    user = acl.get_user(argv[2])
    if user is None:
        raise CommandError(f"ERR User '{_text(argv[2])}' not found")
    table = client.server.table
    spec = table.get(argv[3]) if table is not None else None
    if spec is not None and spec.subcommands and len(argv) > 4:
        spec = spec.subcommands.get(argv[4].lower())
    if spec is None:
        raise CommandError(f"ERR Command '{_text(argv[3])}' not found")
    target = argv[3:]
    if (spec.arity > 0 and len(target) != spec.arity) or len(target) < -spec.arity:
        raise CommandError(errors.wrong_arity(spec.full_name))
    reason, pos = evaluate(user, spec, target)
    if reason == ACL_OK:
        return OK
    if reason == DENIED_CMD:
        return f"This user has no permissions to run the '{spec.full_name}' command".encode()
    what = "key" if reason == DENIED_KEY else "channel"
    return b"This user has no permissions to access the '" + target[pos] + f"' {what}".encode()


@group.subcommand("acl", "load", 2, _ADMIN, acl=_ADMIN_ACL, since="6.0.0")
def acl_load(client: "Client", argv: list[bytes]) -> Any:
    """Reload the ACLs from the configured ACL file."""
    if not client.server.config.aclfile:
        raise CommandError(NO_ACLFILE)
    try:
        _acl(client).load_file(client)
    except AclFileError as err:
        raise CommandError(f"ERR {err}") from None
    return OK


@group.subcommand("acl", "save", 2, _ADMIN, acl=_ADMIN_ACL, since="6.0.0")
def acl_save(client: "Client", argv: list[bytes]) -> Any:
    """Save the current ACL rules in the configured ACL file."""
    if not client.server.config.aclfile:
        raise CommandError(NO_ACLFILE)
    if not _acl(client).save_file():
        raise CommandError("ERR There was an error trying to save the ACLs. Please check the server logs "
                           "for more information")
    return OK
