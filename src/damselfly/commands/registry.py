"""Declarative command specs and the command table.

Each family module owns a :class:`CommandGroup` and declares its commands
with :meth:`CommandGroup.command` (name, arity, flags, key positions, ACL
categories). :func:`build_table` assembles the groups it is given, explicitly,
so there is no import-time global registry. COMMAND, COMMAND INFO and the
README's command table are all generated from these specs.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Callable, Iterable

from ..control.messages import Checkpoint

if TYPE_CHECKING:  # pragma: no cover
    from ..client import Client

Handler = Callable[["Client", list[bytes]], Any]


@dataclass(slots=True, eq=False)
class CommandSpec:
    """Everything the server knows about one command (or subcommand).

    ``arity`` follows Redis: positive means exactly that many words including
    the name, negative means at least ``-arity``. ``first_key``, ``last_key``
    and ``step`` are Redis's legacy key positions (``last_key`` -1 means the
    last argument). Flags and ACL categories use Redis's names, without the
    ``@`` on categories.

    ``reply_first``: Redis adds this command's reply before it notifies its
    writes, so a RESP3 client subscribed to its own keyspace events gets the
    reply first and the events after it (the connection reads this only when
    the command queued something). Commands whose reply sits between their
    events call :func:`reply_here` instead.
    """

    name: str
    arity: int
    flags: tuple[str, ...] = ()
    first_key: int = 0
    last_key: int = 0
    step: int = 0
    acl_categories: tuple[str, ...] = ()
    handler: Handler | None = None
    group: str = "generic"
    summary: str = ""
    since: str = "1.0.0"
    tips: tuple[str, ...] = ()
    reply_first: bool = False
    subcommands: dict[bytes, "CommandSpec"] = field(default_factory=dict)
    parent: "CommandSpec | None" = None
    # statistics (INFO commandstats); usec is microseconds (a float: fast commands
    # take a few of them, so whole ones per call would lose most of the total)
    calls: int = 0
    usec: float = 0.0
    rejected_calls: int = 0
    failed_calls: int = 0
    # hot-path booleans derived from flags
    is_write: bool = False
    no_auth: bool = False
    allowed_in_subscribed: bool = False
    no_multi: bool = False
    denyoom: bool = False

    def __post_init__(self) -> None:
        self.is_write = "write" in self.flags
        self.no_auth = "no_auth" in self.flags
        self.no_multi = "no_multi" in self.flags
        self.denyoom = "denyoom" in self.flags

    @property
    def full_name(self) -> str:
        """``client|list`` for subcommands, as Redis names them in errors and stats."""
        return f"{self.parent.name}|{self.name}" if self.parent else self.name

    def key_indexes(self, argv: list[bytes]) -> list[int]:
        """Argument positions that are keys (legacy first/last/step triple)."""
        if self.first_key <= 0:
            return []
        last = self.last_key
        if last < 0:
            last = len(argv) + last
        return list(range(self.first_key, min(last, len(argv) - 1) + 1, self.step or 1))

    def keys(self, argv: list[bytes]) -> list[bytes]:
        return [argv[i] for i in self.key_indexes(argv)]


def _no_action(client: "Client") -> None:
    """What :data:`REPLY_MARK` does as a barrier: nothing (the connection takes it out itself)."""


#: Queued by :func:`reply_here`: where the reply goes among a command's own events.
REPLY_MARK = Checkpoint(_no_action)


def reply_here(client: "Client") -> None:
    """Say that Redis adds the running command's reply at this point of its notifications.

    The client's own keyspace events queued before this call precede the
    reply, those queued after it follow (``Connection._run`` and
    ``resume_blocked`` take the mark out of the queue). For a reply between
    two events (SPOP: spop, reply, del), one that depends on the arguments
    (SET ... GET), and a blocked client being served (its reply goes through
    ``resume_blocked``, which has no spec to read ``reply_first`` from).
    Only a subscribed client can get its own events: anyone else pays the
    call and two attribute reads. Inside EXEC nothing is marked, on purpose: the events
    of a transaction all precede EXEC's reply, where Redis writes them into
    EXEC's array, because a push never goes inside another reply (DESIGN
    section 3, rule 6).
    """
    if (client.patterns or client.channels) and not client.in_exec:
        outbox = client.outbox
        if outbox is not None:
            outbox.send_async(REPLY_MARK)


def _words(text: str | Iterable[str]) -> tuple[str, ...]:
    if isinstance(text, str):
        return tuple(text.split())
    return tuple(text)


class CommandGroup:
    """The commands of one family (strings, keys, ...), declared with decorators."""

    def __init__(self, group: str) -> None:
        self.group = group
        self.specs: list[CommandSpec] = []
        self._containers: dict[str, CommandSpec] = {}
        # subcommands of a container declared by another family (CLIENT TRACKING...)
        self.foreign: list[tuple[str, CommandSpec]] = []

    def command(self, name: str, arity: int, flags: str = "", keys: tuple[int, int, int] = (0, 0, 0),
                acl: str = "", summary: str = "", since: str = "1.0.0", tips: str = "",
                group: str | None = None, reply_first: bool = False) -> Callable[[Handler], Handler]:
        """Declare a top-level command whose handler is the decorated function."""
        def deco(fn: Handler) -> Handler:
            spec = CommandSpec(name.lower(), arity, _words(flags), *keys, acl_categories=_words(acl),
                               handler=fn, group=group or self.group, summary=summary or (fn.__doc__ or "").strip().split("\n")[0],
                               since=since, tips=_words(tips), reply_first=reply_first)
            self.specs.append(spec)
            return fn
        return deco

    def container(self, name: str, arity: int = -2, flags: str = "", acl: str = "", summary: str = "",
                  since: str = "1.0.0") -> CommandSpec:
        """Declare a command made of subcommands (CLIENT, CONFIG, OBJECT...)."""
        spec = CommandSpec(name.lower(), arity, _words(flags), acl_categories=_words(acl),
                           group=self.group, summary=summary, since=since)
        self.specs.append(spec)
        self._containers[spec.name] = spec
        return spec

    def subcommand(self, parent: str, name: str, arity: int, flags: str = "",
                   keys: tuple[int, int, int] = (0, 0, 0), acl: str = "", summary: str = "",
                   since: str = "1.0.0", tips: str = "") -> Callable[[Handler], Handler]:
        """Declare ``PARENT NAME``; ``arity`` counts the parent's word too, as Redis does."""
        container = self._containers.get(parent.lower())

        def deco(fn: Handler) -> Handler:
            spec = CommandSpec(name.lower(), arity, _words(flags), *keys, acl_categories=_words(acl),
                               handler=fn, group=self.group,
                               summary=summary or (fn.__doc__ or "").strip().split("\n")[0],
                               since=since, tips=_words(tips), parent=container)
            if container is None:
                self.foreign.append((parent.lower(), spec))
            else:
                container.subcommands[name.lower().encode()] = spec
            return fn
        return deco


def _own_copy(spec: CommandSpec, parent: CommandSpec | None) -> CommandSpec:
    """A per-table copy of a declared spec (and of its subcommands), statistics at zero.

    The declared specs live in module-level groups, so several servers in one
    process (embedded servers, tests) would otherwise share INFO commandstats.
    """
    copy = replace(spec, subcommands={}, parent=parent, calls=0, usec=0.0, rejected_calls=0, failed_calls=0)
    for name, sub in spec.subcommands.items():
        copy.subcommands[name] = _own_copy(sub, copy)
    return copy


class CommandTable:
    """Name -> spec lookups (exact-case fast path), plus iteration for COMMAND.

    The table holds its own copies of the groups' specs (see :func:`_own_copy`):
    per-command statistics belong to one server.
    """

    def __init__(self, groups: Iterable[CommandGroup]) -> None:
        self.by_name: dict[bytes, CommandSpec] = {}
        groups = list(groups)
        for group in groups:
            for spec in group.specs:
                key = spec.name.encode()
                if key in self.by_name:
                    raise ValueError(f"command {spec.name} declared twice")
                self.by_name[key] = _own_copy(spec, None)
        for group in groups:
            for parent, declared in group.foreign:
                container = self.by_name.get(parent.encode())
                if container is None:  # the owning family is not in this table: stay unknown
                    continue
                spec = _own_copy(declared, container)
                spec.group = container.group  # COMMAND DOCS: a subcommand is in its container's group
                container.subcommands[spec.name.encode()] = spec
        # Clients send upper case (redis-py, redis-benchmark) or lower case:
        # both are direct hits; mixed case falls back to bytes.lower().
        self._lookup = dict(self.by_name)
        for key, spec in self.by_name.items():
            self._lookup[key.upper()] = spec
        # The commands the connection's plain branch may run, same keys as _lookup;
        # built on first use by commands.dispatch.plain_commands (it owns the rule).
        self.plain: dict[bytes, CommandSpec] | None = None

    def names(self) -> Iterable[tuple[bytes, CommandSpec]]:
        """(name, spec) of the top-level commands, each name in lower and in upper case."""
        return self._lookup.items()

    def get(self, name: bytes) -> CommandSpec | None:
        spec = self._lookup.get(name)
        if spec is None:
            spec = self._lookup.get(name.lower())
        return spec

    def __iter__(self):
        return iter(self.by_name.values())

    def __len__(self) -> int:
        return len(self.by_name)

    def all_specs(self) -> Iterable[CommandSpec]:
        """Every command and subcommand (INFO commandstats)."""
        for spec in self.by_name.values():
            yield spec
            yield from spec.subcommands.values()
