"""LATENCY: the latency monitor's commands (Redis 7.0), over :mod:`damselfly.latency`.

LATENCY HISTOGRAM is not here: it reads per-command latency histograms
(Redis's ``latency-tracking``), which would cost every command a histogram
update, so it answers what Redis answers for an unknown subcommand. HELP
still lists it, because HELP's text is Redis 7.0.15's, line for line.

Event names come from the client as C strings in Redis (a NUL ends them,
for the lookup and for the error text alike); :func:`_event` does the same.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import errors, latency_report
from ..errors import CommandError
from ..latency import LatencyMonitor
from ..protocol.reply import Verbatim
from .help_text import help_reply
from .registry import CommandGroup

if TYPE_CHECKING:  # pragma: no cover
    from ..client import Client

group = CommandGroup("server")

_ADMIN = "admin noscript loading stale"
_ACL = "admin slow dangerous"
_REPORT_TIPS = "nondeterministic_output request_policy:all_nodes response_policy:special"

group.container("latency", -2, "", acl="slow", since="2.8.13",
                summary="A container for latency diagnostics commands")

_HELP = [
    "DOCTOR",
    "    Return a human readable latency analysis report.",
    "GRAPH <event>",
    "    Return an ASCII latency graph for the <event> class.",
    "HISTORY <event>",
    "    Return time-latency samples for the <event> class.",
    "LATEST",
    "    Return the latest latency samples for all events.",
    "RESET [<event> ...]",
    "    Reset latency data of one or more <event> classes.",
    "    (default: reset all data for all event classes)",
    "HISTOGRAM [COMMAND ...]",
    "    Return a cumulative distribution of latencies in the format of a histogram for the specified "
    "command names.",
    "    If no commands are specified then all histograms are replied.",
]


def _monitor(client: "Client") -> LatencyMonitor:
    return client.server.extensions["latency"]


def _event(arg: bytes) -> bytes:
    """The event name as Redis reads the argument: up to the first NUL."""
    return arg.split(b"\x00", 1)[0]


@group.subcommand("latency", "help", 2, "loading stale", acl="slow", since="2.8.13")
def latency_help(client: "Client", argv: list[bytes]) -> Any:
    """Show helpful text about the different subcommands."""
    return help_reply("latency", _HELP)


@group.subcommand("latency", "latest", 2, _ADMIN, acl=_ACL, since="2.8.13", tips=_REPORT_TIPS)
def latency_latest(client: "Client", argv: list[bytes]) -> Any:
    """Return the latest latency samples for all events."""
    return _monitor(client).latest()


@group.subcommand("latency", "history", 3, _ADMIN, acl=_ACL, since="2.8.13", tips=_REPORT_TIPS)
def latency_history(client: "Client", argv: list[bytes]) -> Any:
    """Return timestamp-latency samples for the event."""
    return _monitor(client).history(_event(argv[2]))


@group.subcommand("latency", "reset", -2, _ADMIN, acl=_ACL, since="2.8.13",
                  tips="request_policy:all_nodes response_policy:all_succeeded")
def latency_reset(client: "Client", argv: list[bytes]) -> Any:
    """Reset latency data for one or more events."""
    monitor = _monitor(client)
    if len(argv) == 2:
        return monitor.reset()
    return sum(monitor.reset(_event(arg)) for arg in argv[2:])


@group.subcommand("latency", "graph", 3, _ADMIN, acl=_ACL, since="2.8.13", tips=_REPORT_TIPS)
def latency_graph(client: "Client", argv: list[bytes]) -> Any:
    """Return a latency graph for the event."""
    monitor = _monitor(client)
    event = _event(argv[2])
    series = monitor.events.get(event)
    if series is None:
        raise CommandError(errors.no_latency_samples(argv[2]))
    text = latency_report.graph(event, series, monitor.now())
    return Verbatim(text.encode("utf-8", "surrogateescape"))


@group.subcommand("latency", "doctor", 2, _ADMIN, acl=_ACL, since="2.8.13", tips=_REPORT_TIPS)
def latency_doctor(client: "Client", argv: list[bytes]) -> Any:
    """Return a human readable latency analysis report."""
    monitor = _monitor(client)
    report = latency_report.doctor(monitor.events, client.server.config, monitor.now(),
                                   latency_report.anon_huge_pages())
    return Verbatim(report.encode("utf-8", "surrogateescape"))
