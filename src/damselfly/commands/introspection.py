"""COMMAND and its subcommands, generated from the command table.

COMMAND INFO follows Redis 7.0's reply: name, arity, flags, first key, last
key, step, ACL categories, tips, key specs, subcommands. Flags and categories
are sets of status replies in Redis's canonical order, whatever order a
family declared them in; flags Redis hides (``may_replicate``, ``sentinel``,
``only_sentinel``, ``protected``) are not shown, and the categories Redis
implies from flags (``setImplicitACLCategories``: write, read, admin and
dangerous, pubsub, fast or else slow, blocking) are added.

Key specs are redis-server 7.0.15's own (:mod:`.keyspec_table`, read through
:mod:`.getkeys`): notes, flags, begin_search and find_keys, in Redis's field
order; COMMAND GETKEYS and GETKEYSANDFLAGS find keys the way Redis does from
the same specs. COMMAND DOCS reports what the specs hold: summary, since,
group (and subcommands); damselfly keeps no complexity or argument
documentation.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

from .. import errors
from ..errors import CommandError
from ..glob import glob_match
from ..protocol.reply import Simple, SetReply
from .getkeys import KeySpec, find_keys, flag_names, has_keys, key_specs_of
from .help_text import help_reply
from .registry import CommandGroup, CommandSpec

if TYPE_CHECKING:  # pragma: no cover
    from ..client import Client
    from .registry import CommandTable

group = CommandGroup("server")

FLAG_ORDER = ("write", "readonly", "denyoom", "module", "admin", "pubsub", "noscript", "blocking",
              "loading", "stale", "skip_monitor", "skip_slowlog", "asking", "fast", "no_auth",
              "no_mandatory_keys", "no_async_loading", "no_multi", "movablekeys", "allow_busy")
HIDDEN_FLAGS = frozenset({"may_replicate", "sentinel", "only_sentinel", "protected"})
CATEGORY_ORDER = ("keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap",
                  "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking",
                  "dangerous", "connection", "transaction", "scripting")


def visible_flags(spec: CommandSpec) -> list[str]:
    """The flags COMMAND INFO shows, in Redis's order; unknown flags follow in declared order."""
    flags = set(spec.flags)
    shown = [f for f in FLAG_ORDER if f in flags]
    shown.extend(f for f in spec.flags if f not in FLAG_ORDER and f not in HIDDEN_FLAGS)
    return shown


def categories(spec: CommandSpec) -> list[str]:
    """Declared ACL categories plus the ones Redis implies from the flags, in Redis's order."""
    cats = set(spec.acl_categories)
    flags = set(spec.flags)
    if "write" in flags:
        cats.add("write")
    if "readonly" in flags and "scripting" not in cats:
        cats.add("read")
    if "admin" in flags:
        cats.update(("admin", "dangerous"))
    if "pubsub" in flags:
        cats.add("pubsub")
    if "fast" in flags:
        cats.add("fast")
    if "blocking" in flags:
        cats.add("blocking")
    if "fast" not in cats:
        cats.add("slow")
    ordered = [c for c in CATEGORY_ORDER if c in cats]
    ordered.extend(sorted(c for c in cats if c not in CATEGORY_ORDER))
    return ordered


def _begin_search(begin: tuple[str | int, ...]) -> dict[str, Any]:
    kind = begin[0]
    if kind == "index":
        return {"type": "index", "spec": {"index": begin[1]}}
    if kind == "keyword":
        return {"type": "keyword", "spec": {"keyword": begin[1], "startfrom": begin[2]}}
    return {"type": "unknown", "spec": {}}


def _find_keys(find: tuple[str | int, ...]) -> dict[str, Any]:
    kind = find[0]
    if kind == "range":
        return {"type": "range", "spec": {"lastkey": find[1], "keystep": find[2], "limit": find[3]}}
    if kind == "keynum":
        return {"type": "keynum", "spec": {"keynumidx": find[1], "firstkey": find[2], "keystep": find[3]}}
    return {"type": "unknown", "spec": {}}


def key_flags_reply(flags: int) -> SetReply:
    """Key-spec flags as Redis replies them: a set of status strings in Redis's order."""
    return SetReply([Simple(name) for name in flag_names(flags)])


def _key_spec_reply(ks: KeySpec) -> dict[str, Any]:
    reply: dict[str, Any] = {"notes": ks.notes} if ks.notes is not None else {}
    reply["flags"] = key_flags_reply(ks.flags)
    reply["begin_search"] = _begin_search(ks.begin)
    reply["find_keys"] = _find_keys(ks.find)
    return reply


def key_specs(spec: CommandSpec) -> list[dict[str, Any]]:
    """COMMAND INFO's key specifications: one map per spec, ``notes`` first when Redis has one."""
    return [_key_spec_reply(ks) for ks in key_specs_of(spec)]


def command_info(spec: CommandSpec) -> list[Any]:
    """One COMMAND INFO entry (subcommands nested)."""
    subs = list(spec.subcommands.values())
    return [
        spec.full_name,
        spec.arity,
        SetReply([Simple(f) for f in visible_flags(spec)]),
        spec.first_key,
        spec.last_key,
        spec.step,
        SetReply([Simple("@" + c) for c in categories(spec)]),
        SetReply(list(spec.tips)),
        SetReply(key_specs(spec)),
        [command_info(sub) for sub in subs] if subs else SetReply([]),
    ]


def command_docs(spec: CommandSpec) -> dict[str, Any]:
    doc: dict[str, Any] = {"summary": spec.summary, "since": spec.since, "group": spec.group}
    if spec.subcommands:
        doc["subcommands"] = {sub.full_name: command_docs(sub) for sub in spec.subcommands.values()}
    return doc


def _table(client: "Client") -> "CommandTable":
    table = client.server.table
    assert table is not None
    return table


def lookup(table: "CommandTable", words: list[bytes]) -> CommandSpec | None:
    """Redis's ``lookupCommand`` for a name plus maybe a subcommand."""
    spec = table.get(words[0])
    if spec is None or len(words) < 2 or not spec.subcommands:
        return spec
    return spec.subcommands.get(words[1].lower())


def lookup_name(table: "CommandTable", name: bytes) -> CommandSpec | None:
    """A command by ``name`` or ``container|sub`` (COMMAND INFO / DOCS arguments)."""
    if b"|" in name:
        parent, _, sub = name.partition(b"|")
        spec = table.get(parent)
        if spec is None or not spec.subcommands or b"|" in sub:
            return None
        return spec.subcommands.get(sub.lower())
    return table.get(name)


# -- the COMMAND container ------------------------------------------------------------------

_container = group.container("command", -1, "loading stale", acl="slow connection", since="2.8.13",
                             summary="Get array of Redis command details")
_container.tips = ("nondeterministic_output_order",)


def command(client: "Client", argv: list[bytes]) -> Any:
    """COMMAND alone: every command's COMMAND INFO entry."""
    return [command_info(spec) for spec in _table(client)]


_container.handler = command

_COMMAND_HELP = [
    "(no subcommand)",
    "    Return details about all Redis commands.",
    "COUNT",
    "    Return the total number of commands in this Redis server.",
    "LIST",
    "    Return a list of all commands in this Redis server.",
    "INFO [<command-name> ...]",
    "    Return details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "DOCS [<command-name> ...]",
    "    Return documentation details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "GETKEYS <full-command>",
    "    Return the keys from a full Redis command.",
    "GETKEYSANDFLAGS <full-command>",
    "    Return the keys and the access flags from a full Redis command.",
]


@group.subcommand("command", "help", 2, "loading stale", acl="slow connection", since="5.0.0")
def command_help(client: "Client", argv: list[bytes]) -> Any:
    """Show helpful text about the different subcommands."""
    return help_reply("command", _COMMAND_HELP)


@group.subcommand("command", "count", 2, "loading stale", acl="slow connection", since="2.8.13")
def command_count(client: "Client", argv: list[bytes]) -> Any:
    """Get the total number of commands (subcommands not counted)."""
    return len(_table(client))


@group.subcommand("command", "info", -2, "loading stale", acl="slow connection", since="2.8.13",
                  tips="nondeterministic_output_order")
def command_info_cmd(client: "Client", argv: list[bytes]) -> Any:
    """Get details about commands (all of them when none is named); unknown names answer null."""
    table = _table(client)
    if len(argv) == 2:
        return [command_info(spec) for spec in table]
    out: list[Any] = []
    for name in argv[2:]:
        spec = lookup_name(table, name)
        out.append(command_info(spec) if spec is not None else None)
    return out


@group.subcommand("command", "docs", -2, "loading stale", acl="slow connection", since="7.0.0",
                  tips="nondeterministic_output_order")
def command_docs_cmd(client: "Client", argv: list[bytes]) -> Any:
    """Get documentation of commands (all of them when none is named); unknown names are left out."""
    table = _table(client)
    specs: Iterable[CommandSpec | None]
    if len(argv) == 2:
        specs = table
    else:
        specs = (lookup_name(table, name) for name in argv[2:])
    return {spec.full_name: command_docs(spec) for spec in specs if spec is not None}


def _all_names(table: "CommandTable") -> Iterable[CommandSpec]:
    for spec in table:
        yield spec
        yield from spec.subcommands.values()


@group.subcommand("command", "list", -2, "loading stale", acl="slow connection", since="7.0.0",
                  tips="nondeterministic_output_order")
def command_list(client: "Client", argv: list[bytes]) -> Any:
    """List command names (subcommands as ``parent|sub``), optionally filtered."""
    table = _table(client)
    if len(argv) == 2:
        return [spec.full_name.encode() for spec in _all_names(table)]
    if len(argv) != 5 or argv[2].lower() != b"filterby":
        raise CommandError(errors.SYNTAX)
    kind, value = argv[3].lower(), argv[4]
    if kind == b"module":
        return []
    if kind == b"aclcat":
        cat = value.decode("utf-8", "replace").lower()
        return [s.full_name.encode() for s in _all_names(table) if cat in categories(s)]
    if kind == b"pattern":
        return [s.full_name.encode() for s in _all_names(table)
                if glob_match(value, s.full_name.encode(), nocase=True)]
    raise CommandError(errors.SYNTAX)


def _getkeys(client: "Client", argv: list[bytes], with_flags: bool) -> Any:
    words = argv[2:]
    spec = lookup(_table(client), words)
    if spec is None:
        raise CommandError("ERR Invalid command specified")
    if not has_keys(spec):
        raise CommandError("ERR The command has no key arguments")
    n = len(words)
    if (spec.arity > 0 and spec.arity != n) or n < -spec.arity:
        raise CommandError("ERR Invalid number of arguments specified for command")
    keys = find_keys(spec, words)
    if not keys:
        if "no_mandatory_keys" in spec.flags:
            return []
        raise CommandError("ERR Invalid arguments specified for command")
    if not with_flags:
        return [words[pos] for pos, _flags in keys]
    return [[words[pos], key_flags_reply(flags)] for pos, flags in keys]


@group.subcommand("command", "getkeys", -4, "loading stale", acl="slow connection", since="2.8.13")
def command_getkeys(client: "Client", argv: list[bytes]) -> Any:
    """Extract the keys of a full command line."""
    return _getkeys(client, argv, False)


@group.subcommand("command", "getkeysandflags", -4, "loading stale", acl="slow connection", since="7.0.0")
def command_getkeysandflags(client: "Client", argv: list[bytes]) -> Any:
    """Extract the keys of a full command line with their key-spec flags."""
    return _getkeys(client, argv, True)
