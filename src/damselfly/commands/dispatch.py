"""Running one command: lookup, checks, execution, statistics.

The order of checks follows Redis's ``processCommand``: unknown command,
arity, authentication, subscribed-mode restrictions (RESP2), transaction
queueing, write pauses; then ``call()``: execute, time it, feed SLOWLOG and
MONITOR, then run the after-command hooks (blocked clients woken by the
command, pending tracking invalidations).

:func:`execute` returns the reply value for the connection to encode, or
:data:`BLOCKED` when the command suspended the client.

The connection runs the commonest case without :func:`execute`: a *plain*
command (a data command, see :func:`plain_commands`) for a client in the
state :func:`plain_ok` describes, where every check of :func:`execute` and
every optional step of :func:`call` is known to be a no-op. A new check here
must add its condition to :func:`plain_ok`.
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from .. import errors
from ..acl.checker import check_command
from ..errors import CommandError
from ..keyspace.eviction import oom_check
from ..protocol.reply import QUEUED
from .registry import CommandSpec, CommandTable

if TYPE_CHECKING:  # pragma: no cover
    from ..client import Client


class _Blocked:
    __slots__ = ()

    def __repr__(self) -> str:
        return "BLOCKED"


BLOCKED = _Blocked()

# Commands allowed while a RESP2 client is subscribed (Redis's list).
_SUBSCRIBED_OK = frozenset({b"subscribe", b"ssubscribe", b"psubscribe", b"unsubscribe",
                            b"sunsubscribe", b"punsubscribe", b"ping", b"quit", b"reset"})
# Commands executed immediately even inside MULTI.
_MULTI_IMMEDIATE = frozenset({"exec", "discard", "multi", "watch", "quit", "reset"})

_perf = time.perf_counter


def resolve(client: "Client", argv: list[bytes]) -> CommandSpec:
    """Find the spec for ``argv`` (subcommand included) or raise the Redis error."""
    server = client.server
    spec = server.table.get(argv[0])  # type: ignore[union-attr]
    if spec is None:
        client.last_cmd = "NULL"  # CLIENT LIST cmd=: Redis's lastcmd is set by the lookup itself
        raise CommandError(errors.unknown_command(argv[0], argv[1:]))
    client.last_cmd = spec.name
    arity = spec.arity
    n = len(argv)
    if (arity > 0 and n != arity) or n < -arity:
        spec.rejected_calls += 1
        raise CommandError(errors.wrong_arity(spec.name))
    if spec.subcommands and n > 1:  # COMMAND alone runs the container's own handler
        sub = spec.subcommands.get(argv[1].lower())
        if sub is None:
            client.last_cmd = "NULL"
            raise CommandError(errors.unknown_subcommand(argv[1], spec.name))
        client.last_cmd = sub.full_name
        arity = sub.arity
        if (arity > 0 and n != arity) or n < -arity:
            sub.rejected_calls += 1
            raise CommandError(errors.wrong_arity(sub.full_name))
        spec = sub
    return spec


def count_error(client: "Client", err: CommandError) -> None:
    """An error reply: INFO ``total_error_replies`` and errorstats."""
    stats = client.server.stats
    stats.total_error_replies += 1
    code = err.code
    stats.errorstats[code] = stats.errorstats.get(code, 0) + 1


_count_error = count_error


def execute(client: "Client", argv: list[bytes]) -> Any:
    """Run one command for ``client``; return its reply value."""
    try:
        spec = client.server.table.get(argv[0])  # type: ignore[union-attr]
        # Fast path: a known command without subcommands and with the right arity.
        if spec is None or spec.subcommands or not (
                len(argv) == spec.arity or (spec.arity < 0 and len(argv) >= -spec.arity)):
            spec = resolve(client, argv)
        else:
            client.last_cmd = spec.name
        if not client.authenticated and not spec.no_auth:
            spec.rejected_calls += 1  # Redis's rejectCommand counts it in INFO commandstats
            raise CommandError(errors.NOAUTH)
        if not client.acl_user.unrestricted:  # one test for the default user (acl/checker.py)
            check_command(client, spec, argv)
        if client.server.config.maxmemory:  # performEvictions, then the OOM refusal (keyspace/eviction.py)
            oom_check(client, spec, argv)
        if client.server.write_error is not None and (spec.is_write or spec.name == "ping"):
            raise CommandError(client.server.write_error)  # MISCONF: snapshots are failing
        if client.resp == 2 and (client.channels or client.patterns or client.shard_channels):
            root = spec.parent.name if spec.parent else spec.name
            if root.encode() not in _SUBSCRIBED_OK:
                raise CommandError(errors.subscribed_context(spec.full_name))
        if client.monitor and (spec.is_write or "readonly" in spec.flags or "may_replicate" in spec.flags):
            raise CommandError(errors.REPLICA_KEYSPACE)  # monitors are replicas to Redis
        if client.server.pause_kind:  # CLIENT PAUSE: held before MULTI queueing, as Redis does
            pause = client.server.extensions["pause"]
            if pause.must_postpone(client, spec):
                pause.park(client, argv)
                return BLOCKED
        if client.multi is not None:
            root = spec.parent.name if spec.parent else spec.name
            if root not in _MULTI_IMMEDIATE:
                if spec.no_multi:
                    raise CommandError(errors.not_allowed_in_multi(root))
                client.multi.append((spec, argv))
                return QUEUED
    except CommandError as err:
        if spec is not None and spec.name == "exec" and err.code != "EXECABORT":
            err = _abort_exec(client, argv, err)
        if client.multi is not None:
            client.multi_error = True
        _count_error(client, err)
        return err
    return call(client, spec, argv)


def _abort_exec(client: "Client", argv: list[bytes], err: CommandError) -> CommandError:
    """EXEC refused before it runs (arity, NOAUTH, NOPERM, subscribed context): Redis's
    ``rejectCommand`` calls ``execCommandAbort``, which discards the transaction and the
    watched keys (in MULTI or not), shows the EXEC to MONITOR, and answers EXECABORT with
    the refusal's text (an ``ERR`` prefix dropped, any other code kept)."""
    client.multi = None
    client.multi_error = False
    if client.watched:
        client.server.extensions["watch"].unwatch_all(client)
    if client.server.monitors:
        client.server.feed_monitors(client, argv)
    reason = err.message[4:] if err.message.startswith("ERR ") else err.message
    return CommandError(errors.exec_abort(reason))


def call(client: "Client", spec: CommandSpec, argv: list[bytes]) -> Any:
    """Execute an already-resolved command (also used by EXEC for queued ones)."""
    server = client.server
    server.current_client = client  # tracking: NOLOOP and own-write invalidations after the reply
    t0 = _perf()
    try:
        reply = spec.handler(client, argv)  # type: ignore[misc]
    except CommandError as err:
        spec.failed_calls += 1
        _count_error(client, err)
        reply = err
    finally:
        server.current_client = None
    usec = (_perf() - t0) * 1e6
    spec.calls += 1
    spec.usec += usec
    server.stats.total_commands_processed += 1
    if usec >= server.record_usec:  # one comparison: SLOWLOG and the latency monitor (latency.py)
        record_duration(client, spec, argv, usec, reply)
    if server.monitors and not ("admin" in spec.flags or "skip_monitor" in spec.flags):
        server.feed_monitors(client, argv)
    if server.after_command_hooks:
        client.cmd = spec  # set after the handler, so EXEC's hooks see EXEC, not its last command
        client.argv = argv
        for hook in server.after_command_hooks:
            hook(client)
    return reply


def record_duration(client: "Client", spec: CommandSpec, argv: list[bytes], usec: float, reply: Any) -> None:
    """SLOWLOG and the latency monitor for a command that took at least ``server.record_usec``.

    Kept out of :func:`call` and the connection's plain branch, which only
    compare ``usec`` with ``record_usec`` (the lower of the two thresholds):
    here each threshold is checked on its own. SLOWLOG skips ``skip_slowlog``
    commands (EXEC: its commands are logged); the monitor records every
    command as Redis's ``call()`` does, ``fast-command`` for ``fast`` ones,
    ``command`` for the others, in whole milliseconds, except a command that
    blocked the client (Redis times those when they are served).
    """
    server = client.server
    slowlog = server.config.slowlog_log_slower_than
    if 0 <= slowlog <= usec and "skip_slowlog" not in spec.flags:
        server.slowlog_add(client, argv, int(usec))
    latency = server.config.latency_monitor_threshold
    if latency and usec >= latency * 1000 and reply is not BLOCKED:
        monitor = server.extensions.get("latency")
        if monitor is not None:
            monitor.add_sample(b"fast-command" if "fast" in spec.flags else b"command", int(usec) // 1000)


# -- the plain path ----------------------------------------------------------------
# Families whose commands only read and write keys (and PUBLISH, which only
# queues to other connections): none of them changes a condition of
# plain_ok(), so a connection may run a run of them without re-checking.
PLAIN_GROUPS = frozenset({"string", "generic", "hash", "list", "set", "sorted-set", "bitmap", "hyperloglog"})
PLAIN_NAMES = frozenset({"publish", "spublish", "ping", "echo"})


def plain_commands(table: CommandTable) -> dict[bytes, CommandSpec]:
    """Name (as sent: lower or upper case) -> spec of the commands the plain path may run.

    A plain command is a top-level command with a handler, no subcommands,
    not ``blocking``, from :data:`PLAIN_GROUPS` or :data:`PLAIN_NAMES`. A
    name in mixed case misses here and takes :func:`execute`, which is
    equivalent, only slower.
    """
    plain = table.plain
    if plain is None:
        plain = table.plain = {
            name: spec for name, spec in table.names()
            if spec.handler is not None and not spec.subcommands and spec.parent is None
            and "blocking" not in spec.flags and (spec.group in PLAIN_GROUPS or spec.name in PLAIN_NAMES)}
    return plain


def plain_ok(client: "Client") -> bool:
    """Whether :func:`execute` would, for a plain command, only look it up, check its arity and :func:`call` it.

    This is every early exit of :func:`execute` and every optional step of
    :func:`call`, negated: authenticated (no NOAUTH), an unrestricted ACL
    user or none (no permission check), no maxmemory (no eviction, no OOM
    refusal), no failing snapshot (no MISCONF), not subscribed in RESP2,
    not a MONITOR client, no CLIENT PAUSE, not in MULTI; no MONITOR feed
    and no after-command hook (client tracking) in :func:`call`. A check
    added to :func:`execute` or :func:`call` must add its condition here.

    A plain command changes none of these (no AUTH, ACL, CONFIG, SUBSCRIBE,
    MONITOR, CLIENT, MULTI, HELLO among them), so the connection checks
    once per read, and again after any command that is not plain
    (``Connection._run``).
    """
    server = client.server
    user = client.acl_user
    return (client.authenticated and (user is None or user.unrestricted) and not server.config.maxmemory
            and server.write_error is None and client.multi is None and not client.monitor
            and not server.pause_kind and not server.monitors and not server.after_command_hooks
            and (client.resp == 3 or not (client.channels or client.patterns or client.shard_channels)))
