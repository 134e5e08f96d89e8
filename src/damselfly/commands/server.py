"""Server commands: INFO, CONFIG, TIME, SHUTDOWN, DEBUG, SLOWLOG.

LASTSAVE, SAVE and BGSAVE belong to the persistence family, DBSIZE,
FLUSHDB, FLUSHALL and SWAPDB to the keys family, MONITOR to its own module,
COMMAND to :mod:`.introspection`, MEMORY to :mod:`.memory`. LATENCY is not
implemented (damselfly keeps no latency samples), so it stays an unknown command.
"""
from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from .. import errors
from ..config import ALIASES, OPTIONS, ConfigError, canonical
from ..errors import CommandError
from ..glob import glob_match
from ..protocol.reply import OK, Raw, Simple, Verbatim
from .args import parse_int
from .help_text import help_reply, subcommand_syntax
from .registry import CommandGroup

if TYPE_CHECKING:  # pragma: no cover
    from ..client import Client

group = CommandGroup("server")
log = logging.getLogger("damselfly")

NO_REPLY = Raw(b"")


def is_local(client: "Client") -> bool:
    """Redis's ``islocalClient``: a unix socket or a loopback peer."""
    addr = client.addr
    return addr.startswith("unix:") or addr.startswith("127.0.0.1:") or addr.startswith("[::1]:")


def _allowed(setting: str, client: "Client") -> bool:
    """Redis's ``allowProtectedAction`` for enable-debug-command / enable-protected-configs."""
    return setting == "yes" or (setting == "local" and is_local(client))


# -- INFO -------------------------------------------------------------------------------

@group.command("info", -1, "loading stale", acl="slow dangerous", since="1.0.0",
               tips="nondeterministic_output request_policy:all_shards response_policy:special")
def info(client: "Client", argv: list[bytes]) -> Any:
    """Get information and statistics about the server."""
    from ..info import render
    return Verbatim(render(client.server, argv[1:]).encode())


# -- CONFIG -----------------------------------------------------------------------------

group.container("config", -2, "", acl="slow", since="2.0.0",
                summary="A container for server configuration commands")

# CONFIG SET on these rebinds the listener (Redis's texts when it cannot).
_TLS_UPDATE_ERROR = "Unable to update TLS configuration. Check server logs."
_REBIND_ERRORS = {"port": "Unable to listen on this port. Check server logs.",
                  "bind": "Failed to bind to specified addresses."}
# Redis 7.0's PROTECTED_CONFIG options: settable only with enable-protected-configs.
_PROTECTED = frozenset({"dir", "dbfilename"})
# Redis 7.0's HIDDEN_CONFIG options: CONFIG GET answers them by exact name only, never for a glob.
_HIDDEN = frozenset({"rdb-key-save-delay", "key-load-delay"})

_CONFIG_HELP = [
    "GET <pattern>",
    "    Return parameters matching the glob-like <pattern> and their values.",
    "SET <directive> <value>",
    "    Set the configuration <directive> to <value>.",
    "RESETSTAT",
    "    Reset statistics reported by the INFO command.",
    "REWRITE",
    "    Rewrite the configuration file.",
]


@group.subcommand("config", "help", 2, "loading stale", acl="slow", since="5.0.0")
def config_help(client: "Client", argv: list[bytes]) -> Any:
    """Show helpful text about the different subcommands."""
    return help_reply("config", _CONFIG_HELP)


def _config_names() -> list[str]:
    return list(OPTIONS) + list(ALIASES)


@group.subcommand("config", "get", -3, "admin noscript loading stale", acl="admin slow dangerous", since="2.0.0")
def config_get(client: "Client", argv: list[bytes]) -> Any:
    """Get the values of configuration parameters matching one or more glob patterns.

    An exact name answers under the spelling given (aliases included); a glob
    answers every option and alias it matches, each once, case-insensitively.
    """
    config = client.server.config
    matches: dict[str, str] = {}  # lower-cased reply name -> option
    names: dict[str, str] = {}    # lower-cased reply name -> name as replied
    for raw in argv[2:]:
        pattern = raw.decode("utf-8", "replace")
        if not any(ch in pattern for ch in "[*?"):
            low = pattern.lower()
            option = canonical(low)
            if low not in matches and option in OPTIONS:
                matches[low] = option
                names[low] = pattern
            continue
        for name in _config_names():
            if name not in matches and name not in _HIDDEN and glob_match(raw, name.encode(), nocase=True):
                matches[name] = canonical(name)
                names[name] = name
    return {names[low].encode(): config.format(option).encode() for low, option in matches.items()}


def _set_error(name: str, reason: str) -> CommandError:
    return CommandError(f"ERR CONFIG SET failed (possibly related to argument '{name}') - {reason}")


@group.subcommand("config", "set", -4, "admin noscript loading stale", acl="admin slow dangerous", since="2.0.0",
                  tips="request_policy:all_nodes response_policy:all_succeeded")
def config_set(client: "Client", argv: list[bytes]) -> Any:
    """Set configuration parameters, all or none (Redis 7.0's multi-pair CONFIG SET).

    Checks run in argument order and the first problem is the one reported:
    unknown name, immutable or protected option, a name given twice; then
    every value is parsed before any is stored, and a failure while storing
    restores the values already changed.
    """
    if len(argv) % 2:
        raise CommandError(errors.SYNTAX)
    config = client.server.config
    pairs: list[tuple[str, str, str]] = []  # (option, name as given, value)
    seen: set[str] = set()
    for i in range(2, len(argv), 2):
        given = argv[i].decode("utf-8", "replace")
        option = canonical(given)
        if option not in OPTIONS:
            raise CommandError("ERR Unknown option or number of arguments for CONFIG SET - "
                               f"'{errors.c_string(argv[i])}'")
        if not OPTIONS[option].mutable:
            raise _set_error(given, "can't set immutable config")
        if option in _PROTECTED and not _allowed(_protected_setting(client), client):
            raise _set_error(given, "can't set protected config")
        if given.lower() in seen:
            raise _set_error(given, "duplicate parameter")
        seen.add(given.lower())
        pairs.append((option, given, argv[i + 1].decode("utf-8", "replace")))
    for option, _, text in pairs:
        try:
            OPTIONS[option].parse(text)
        except ConfigError as exc:
            raise _set_error(option, str(exc)) from None
    old = {option: config.format(option) for option, _, _ in pairs}
    done: list[str] = []
    try:
        for option, _, text in pairs:
            config.set(option, text)
            done.append(option)
    except ConfigError as exc:
        # Config.set stores before its listeners run, so a listener's refusal leaves the
        # failing option stored too: it goes back with the ones already done
        for restored in (*done, option):
            config.set(restored, old[restored])
        raise _set_error(option, str(exc)) from None
    # TLS first: its listeners are bound at once, while the plain ones start on a later loop
    # turn and cannot be taken back within this call; a plain failure then reverts TLS.
    changed = [option for option in done if config.format(option) != old[option]]
    failed, reason = _apply_tls(client, changed)
    tls_applied = not failed
    if not failed:
        failed = _apply_listen_addresses(client, changed)
        reason = _REBIND_ERRORS.get(failed, "")
    if failed:
        for option in done:
            config.set(option, old[option])
        if tls_applied:
            _apply_tls(client, changed)
        raise _set_error(failed, reason)
    return OK


def _apply_tls(client: "Client", changed: list[str]) -> tuple[str, str]:
    """Redis's applyTLSPort / applyTlsCfg: rebuild the TLS context and listeners; (option, reason) on failure.

    Only while TLS is on (tls-port set), as in Redis: with it off, the tls-*
    values are stored unchecked. A failure changes nothing (the old context
    keeps serving); the blame goes to the first TLS option set other than
    tls-port, as Redis names the option whose apply function failed.
    """
    listener = client.server.extensions.get("listener")
    tls = getattr(listener, "tls", None)
    touched = [option for option in changed if option.startswith("tls-") or option == "bind"]
    if tls is None or not touched:
        return "", ""
    problem = tls.reconfigure(client.server.config)
    if not problem:
        return "", ""
    if problem == "listen":
        if "bind" in touched and "tls-port" not in touched:
            return "bind", _REBIND_ERRORS["bind"]
        return "tls-port", _REBIND_ERRORS["port"]
    return next((o for o in touched if o not in ("tls-port", "bind")), touched[0]), _TLS_UPDATE_ERROR


def _apply_listen_addresses(client: "Client", changed: list[str]) -> str:
    """Rebind the listener when ``port`` or ``bind`` changed; the option that failed, or ''.

    Without a listener (a state driven without sockets) the values are only stored.
    """
    listener = client.server.extensions.get("listener")
    touched = [option for option in changed if option in _REBIND_ERRORS]
    if listener is None or not touched:
        return ""
    config = client.server.config
    port = config.port if "port" in touched else listener.port  # port 0 at start-up: keep the one picked
    if listener.rebind(port, config.bind):
        return ""
    return "port" if "port" in touched else "bind"


def _protected_setting(client: "Client") -> str:
    return client.server.config.values.get("enable-protected-configs", "no")


@group.subcommand("config", "resetstat", 2, "admin noscript loading stale", acl="admin slow dangerous",
                  since="2.0.0")
def config_resetstat(client: "Client", argv: list[bytes]) -> Any:
    """Reset the statistics INFO reports (commandstats and errorstats included; not SLOWLOG)."""
    reset_stats(client)
    return OK


def reset_stats(client: "Client") -> None:
    server = client.server
    stats = server.stats
    stats.reset()
    ks = server.keyspace
    ks.keyspace_hits = ks.keyspace_misses = ks.expired_keys = ks.expired_time_cap_reached_count = 0
    ks.expired_stale_perc = 0.0  # Redis's resetServerStats clears all three expiry stats
    if server.table is not None:
        for spec in server.table.all_specs():
            spec.calls = spec.rejected_calls = spec.failed_calls = 0
            spec.usec = 0.0
    mem = server.extensions.get("memory")
    if mem is not None:
        mem.peak = mem.used()


@group.subcommand("config", "rewrite", 2, "admin noscript loading stale", acl="admin slow dangerous",
                  since="2.8.0")
def config_rewrite(client: "Client", argv: list[bytes]) -> Any:
    """Rewrite the configuration file the server was started with."""
    from ..config_rewrite import rewrite
    path = getattr(client.server.config, "file", "") or client.server.config_file
    if not path:
        raise CommandError("ERR The server is running without a config file")
    try:
        rewrite(client.server.config, path)
    except OSError as exc:
        log.warning("CONFIG REWRITE failed: %s", exc.strerror or exc)
        raise CommandError(f"ERR Rewriting config file: {exc.strerror or exc}") from None
    log.info("CONFIG REWRITE executed with success.")
    return OK


# -- TIME -------------------------------------------------------------------------------

@group.command("time", 1, "loading stale fast", acl="fast", since="2.6.0", tips="nondeterministic_output")
def time_(client: "Client", argv: list[bytes]) -> Any:
    """Return the server's time: UNIX seconds and microseconds."""
    now = time.time_ns() // 1000
    return [b"%d" % (now // 1_000_000), b"%d" % (now % 1_000_000)]


# -- SHUTDOWN ---------------------------------------------------------------------------

@group.command("shutdown", -1, "admin noscript loading stale no_multi sentinel allow_busy",
               acl="admin slow dangerous", since="1.0.0")
def shutdown(client: "Client", argv: list[bytes]) -> Any:
    """Save (as configured or asked) and stop the server; the caller gets no reply.

    The shutdown hooks (``state.extensions["shutdown_hooks"]``) are called with
    SAVE -> True, NOSAVE -> False, neither -> None, before anything stops; if
    one fails without FORCE the server keeps running and the caller gets
    Redis's error. NOW and FORCE are accepted: with no replicas to wait for,
    NOW changes nothing.
    """
    save: bool | None = None
    force = abort = False
    flags = 0
    for raw in argv[1:]:
        word = raw.lower()
        if word == b"nosave":
            if save is True:
                raise CommandError(errors.SYNTAX)
            save = False
        elif word == b"save":
            if save is False:
                raise CommandError(errors.SYNTAX)
            save = True
        elif word == b"now":
            pass
        elif word == b"force":
            force = True
        elif word == b"abort":
            abort = True
            continue
        else:
            raise CommandError(errors.SYNTAX)
        flags += 1
    if abort:
        if flags:
            raise CommandError(errors.SYNTAX)
        raise CommandError("ERR No shutdown in progress.")
    server = client.server
    log.info("User requested shutdown...")
    for hook in list(server.extensions.get("shutdown_hooks", [])):
        try:
            hook(save)
        except Exception:
            if not force:
                log.warning("Errors trying to shut down the server. Check the logs for more information.")
                raise CommandError("ERR Errors trying to SHUTDOWN. Check logs.") from None
            log.exception("shutdown hook failed (FORCE given: exiting anyway)")
    listener = server.extensions.get("listener")
    if listener is not None:
        listener.request_stop()
    client.close_after_reply = True
    return NO_REPLY


# -- DEBUG ------------------------------------------------------------------------------

_DEBUG_DENIED = ('ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", '
                 'you can run it from a local connection, otherwise you need to set this option in the '
                 'configuration file, and then restart the server.')

_DEBUG_HELP = [
    "LOG <message>",
    "    Write <message> to the server log.",
    "OBJECT <key>",
    "    Show low level info about `key` and associated value.",
    "RELOAD [option ...]",
    "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
    "    * MERGE: conflicting keys will be loaded from RDB.",
    "    * NOFLUSH: the existing database will not be removed before load.",
    "    * NOSAVE: the database will be loaded from an existing RDB file.",
    "SLEEP <seconds>",
    "    Stop the server for <seconds>. Decimals allowed.",
]


@group.command("debug", -2, "admin noscript loading stale", acl="admin slow dangerous", since="1.0.0")
def debug(client: "Client", argv: list[bytes]) -> Any:
    """A container for debugging commands (HELP, LOG, OBJECT, RELOAD, SLEEP)."""
    if not _allowed(client.server.config.enable_debug_command, client):
        raise CommandError(_DEBUG_DENIED)
    sub = argv[1].lower()
    n = len(argv)
    if sub == b"help" and n == 2:
        return help_reply("debug", _DEBUG_HELP)
    if sub == b"sleep" and n == 3:
        time.sleep(max(0.0, _strtod(argv[2])))  # blocks the whole server, as Redis's does
        return OK
    if sub == b"log" and n == 3:
        log.warning("DEBUG LOG: %s", argv[2].decode("utf-8", "replace"))
        return OK
    if sub == b"object" and n == 3:
        return _debug_object(client, argv[2])
    if sub == b"reload":
        return _debug_reload(client, argv[2:])
    raise CommandError(subcommand_syntax(argv[1], argv[0]))


def _strtod(raw: bytes) -> float:
    """C's ``strtod`` on a prefix: the longest leading number, 0 when there is none."""
    text = raw.decode("ascii", "replace").strip()
    for end in range(len(text), 0, -1):
        try:
            return float(text[:end])
        except ValueError:
            continue
    return 0.0


def _debug_object(client: "Client", key: bytes) -> Any:
    from ..keyspace.encoding import key_encoding
    from ..persistence.rdb_writer import serialize_value
    from . import keys
    db = client.db
    value = db.data.get(key)
    if value is None:
        raise CommandError(errors.NO_SUCH_KEY)
    shared = getattr(keys, "_shared_integer", None)
    refcount = 2147483647 if shared is not None and shared(client, key, value) else 1
    lru_clock = client.server.keyspace.lru_clock
    lru = db.lru.get(key, lru_clock)
    cfg = client.server.config
    size = len(serialize_value(value, cfg.rdbcompression, cfg.list_max_listpack_size)[1])
    return Simple(f"Value at:{hex(id(value))} refcount:{refcount} "
                  f"encoding:{key_encoding(db, key, value)} "
                  f"serializedlength:{size} "
                  f"lru:{lru & ((1 << 24) - 1)} lru_seconds_idle:{max(0, lru_clock - lru)}")


def _debug_reload(client: "Client", options: list[bytes]) -> Any:
    save = flush = True
    for raw in options:
        word = raw.lower()
        if word == b"merge":
            continue
        if word == b"noflush":
            flush = False
        elif word == b"nosave":
            save = False
        else:
            raise CommandError("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.")
    persistence = client.server.extensions.get("persistence")
    if persistence is None:
        raise CommandError(subcommand_syntax(b"reload", b"debug"))
    from ..persistence.rdb_reader import RdbLoadError
    from ..persistence.service import SaveError
    try:
        persistence.reload(save=save, flush=flush)
    except SaveError:
        raise CommandError("ERR") from None
    except RdbLoadError:
        raise CommandError("ERR Error trying to load the RDB dump") from None
    log.warning("DB reloaded by DEBUG RELOAD")
    return OK


# -- SLOWLOG ----------------------------------------------------------------------------

group.container("slowlog", -2, "", acl="slow", since="2.2.12", summary="A container for slow log commands")

_SLOWLOG_HELP = [
    "GET [<count>]",
    "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
    "    Entries are made of:",
    "    id, timestamp, time in microseconds, arguments array, client IP and port,",
    "    client name",
    "LEN",
    "    Return the length of the slowlog.",
    "RESET",
    "    Reset the slowlog.",
]


@group.subcommand("slowlog", "help", 2, "loading stale", acl="slow", since="6.2.0")
def slowlog_help(client: "Client", argv: list[bytes]) -> Any:
    """Show helpful text about the different subcommands."""
    return help_reply("slowlog", _SLOWLOG_HELP)


@group.subcommand("slowlog", "get", -2, "admin loading stale", acl="admin slow dangerous", since="2.2.12",
                  tips="request_policy:all_nodes nondeterministic_output")
def slowlog_get(client: "Client", argv: list[bytes]) -> Any:
    """Get the newest slow log entries (10 by default, -1 for all)."""
    if len(argv) > 3:
        raise CommandError(subcommand_syntax(argv[1], argv[0]))
    entries = client.server.slowlog
    count = 10
    if len(argv) == 3:
        message = "ERR count should be greater than or equal to -1"
        count = parse_int(argv[2], message)
        if count < -1:
            raise CommandError(message)
        if count == -1:
            count = len(entries)
    out = []
    for entry in list(entries)[:count]:
        out.append([entry.id, entry.timestamp, entry.duration_us, list(entry.argv),
                    entry.addr.encode(), entry.name])
    return out


@group.subcommand("slowlog", "len", 2, "admin loading stale", acl="admin slow dangerous", since="2.2.12",
                  tips="request_policy:all_nodes response_policy:agg_sum nondeterministic_output")
def slowlog_len(client: "Client", argv: list[bytes]) -> Any:
    """Get the number of entries in the slow log."""
    return len(client.server.slowlog)


@group.subcommand("slowlog", "reset", 2, "admin loading stale", acl="admin slow dangerous", since="2.2.12",
                  tips="request_policy:all_nodes response_policy:all_succeeded")
def slowlog_reset(client: "Client", argv: list[bytes]) -> Any:
    """Clear the slow log (entry ids keep counting)."""
    client.server.slowlog.clear()
    return OK
