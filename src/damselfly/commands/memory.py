"""MEMORY: HELP, USAGE, STATS, DOCTOR, MALLOC-STATS and PURGE, as Redis 7.0.15.

The figures come from the memory model INFO memory reports
(:mod:`damselfly.memory`); STATS and DOCTOR read its breakdown from
:mod:`damselfly.memory_report`, whose docstring says what each field means
here. damselfly runs on glibc malloc (under pymalloc), not jemalloc, so
MALLOC-STATS gives Redis's answer for a build without jemalloc, and PURGE
asks glibc to return free pages (``malloc_trim``) where Redis asks jemalloc
to purge dirty ones.
"""
from __future__ import annotations

import gc
from typing import TYPE_CHECKING, Any

from .. import errors
from ..errors import CommandError
from ..malloc_tuning import trim_malloc
from ..memory import value_usage
from ..memory_report import doctor_report, overhead, stats_reply
from ..protocol.reply import OK, Verbatim
from .args import parse_int
from .help_text import help_reply
from .registry import CommandGroup

if TYPE_CHECKING:  # pragma: no cover
    from ..client import Client

group = CommandGroup("server")

group.container("memory", -2, "", acl="slow", since="4.0.0", summary="A container for memory diagnostics commands")

_HELP = [
    "DOCTOR",
    "    Return memory problems reports.",
    "MALLOC-STATS",
    "    Return internal statistics report from the memory allocator.",
    "PURGE",
    "    Attempt to purge dirty pages for reclamation by the allocator.",
    "STATS",
    "    Return information about the memory usage of the server.",
    "USAGE <key> [SAMPLES <count>]",
    "    Return memory in bytes used by <key> and its value. Nested values are",
    "    sampled up to <count> times (default: 5, 0 means sample all).",
]

_REPORT_TIPS = "nondeterministic_output request_policy:all_shards response_policy:special"
NO_MALLOC_STATS = b"Stats not supported for the current allocator"


@group.subcommand("memory", "help", 2, "loading stale", acl="slow", since="4.0.0")
def memory_help(client: "Client", argv: list[bytes]) -> Any:
    """Show helpful text about the different subcommands."""
    return help_reply("memory", _HELP)


@group.subcommand("memory", "usage", -3, "readonly", keys=(2, 2, 1), acl="read slow", since="4.0.0")
def memory_usage(client: "Client", argv: list[bytes]) -> Any:
    """Estimate the memory used by a key and its value (see damselfly.memory for the method)."""
    samples = 5
    i = 3
    while i < len(argv):
        if argv[i].lower() == b"samples" and i + 1 < len(argv):
            samples = parse_int(argv[i + 1])
            if samples < 0:
                raise CommandError(errors.SYNTAX)
            i += 2
        else:
            raise CommandError(errors.SYNTAX)
    value = client.db.data.get(argv[2])
    if value is None:
        return None
    return value_usage(argv[2], value, samples)


@group.subcommand("memory", "stats", 2, "", acl="slow", since="4.0.0", tips=_REPORT_TIPS)
def memory_stats(client: "Client", argv: list[bytes]) -> Any:
    """Show memory usage details (the model's breakdown: see damselfly.memory_report)."""
    return stats_reply(overhead(client.server))


@group.subcommand("memory", "doctor", 2, "", acl="slow", since="4.0.0", tips=_REPORT_TIPS)
def memory_doctor(client: "Client", argv: list[bytes]) -> Any:
    """Outputs memory problems report (Redis's rules and texts over the model's figures)."""
    server = client.server
    report = doctor_report(overhead(server), clients=len(server.clients))
    return Verbatim(report.encode())


@group.subcommand("memory", "malloc-stats", 2, "", acl="slow", since="4.0.0", tips=_REPORT_TIPS)
def memory_malloc_stats(client: "Client", argv: list[bytes]) -> Any:
    """Show allocator internal stats: none, as Redis built without jemalloc (a bulk string)."""
    return NO_MALLOC_STATS


@group.subcommand("memory", "purge", 2, "", acl="slow", since="4.0.0",
                  tips="request_policy:all_shards response_policy:all_succeeded")
def memory_purge(client: "Client", argv: list[bytes]) -> Any:
    """Collect garbage cycles, then ask glibc to return free pages to the system (malloc_trim).

    Like Redis's jemalloc purge it blocks for as long as the work takes; where
    there is no ``malloc_trim`` it still replies OK, as Redis does with an
    allocator that cannot purge.
    """
    gc.collect()
    trim_malloc()
    return OK
