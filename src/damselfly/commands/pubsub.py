"""Pub/Sub: (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PUBLISH, SPUBLISH, PUBSUB.

Subscription confirmations are replies of the command (pushes in RESP3, plain
arrays in RESP2, as the encoder downgrades :class:`Push`); a command naming
several channels answers one confirmation per channel, in argument order,
as a :class:`Replies` sequence. Delivery of published messages is the
control path's job (:mod:`damselfly.control.pubsub`).

Counts follow Redis 7.0: channel and pattern confirmations report
``len(channels) + len(patterns)``; shard confirmations report the shard
channels only.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import errors
from ..errors import CommandError
from ..protocol.reply import Push, Raw, Replies, Simple
from .registry import CommandGroup

if TYPE_CHECKING:  # pragma: no cover
    from ..client import Client
    from ..control.pubsub import PubSub

group = CommandGroup("pubsub")


def _registry(client: "Client") -> "PubSub":
    return client.server.extensions["pubsub"]


def _count(client: "Client") -> int:
    return len(client.channels) + len(client.patterns)


def _one_or_many(replies: list[Push]) -> Any:
    return replies[0] if len(replies) == 1 else Replies(replies)


@group.command("subscribe", -2, "pubsub noscript loading stale sentinel", acl="pubsub slow", since="2.0.0")
def subscribe(client: "Client", argv: list[bytes]) -> Any:
    """Listen for messages published to the given channels."""
    registry = _registry(client)
    replies = []
    for channel in argv[1:]:
        registry.subscribe(client, channel)
        replies.append(Push([b"subscribe", channel, _count(client)]))
    return _one_or_many(replies)


@group.command("psubscribe", -2, "pubsub noscript loading stale sentinel", acl="pubsub slow", since="2.0.0")
def psubscribe(client: "Client", argv: list[bytes]) -> Any:
    """Listen for messages published to channels matching the given patterns."""
    registry = _registry(client)
    replies = []
    for pattern in argv[1:]:
        registry.psubscribe(client, pattern)
        replies.append(Push([b"psubscribe", pattern, _count(client)]))
    return _one_or_many(replies)


@group.command("ssubscribe", -2, "pubsub noscript loading stale", keys=(1, -1, 1), acl="pubsub slow",
               since="7.0.0")
def ssubscribe(client: "Client", argv: list[bytes]) -> Any:
    """Listen for messages published to the given shard channels."""
    registry = _registry(client)
    replies = []
    for channel in argv[1:]:
        registry.ssubscribe(client, channel)
        replies.append(Push([b"ssubscribe", channel, len(client.shard_channels)]))
    return _one_or_many(replies)


def _unsubscribe(client: "Client", argv: list[bytes], kind: bytes, current: set[bytes],
                 remove: Any, count: Any) -> Any:
    """Shared shape of the three UNSUBSCRIBE commands.

    With no argument every subscription of the kind is dropped (one reply
    each, in the client's set order: Redis's order is its dict's, which no
    client may rely on); with nothing to drop the reply names a null channel.
    """
    names = argv[1:] if len(argv) > 1 else list(current)
    if not names:
        return Push([kind, None, count(client)])
    replies = []
    for name in names:
        remove(client, name)
        replies.append(Push([kind, name, count(client)]))
    return _one_or_many(replies)


@group.command("unsubscribe", -1, "pubsub noscript loading stale sentinel", acl="pubsub slow", since="2.0.0")
def unsubscribe(client: "Client", argv: list[bytes]) -> Any:
    """Stop listening for messages posted to the given channels."""
    return _unsubscribe(client, argv, b"unsubscribe", client.channels, _registry(client).unsubscribe, _count)


@group.command("punsubscribe", -1, "pubsub noscript loading stale sentinel", acl="pubsub slow", since="2.0.0")
def punsubscribe(client: "Client", argv: list[bytes]) -> Any:
    """Stop listening for messages posted to channels matching the given patterns."""
    return _unsubscribe(client, argv, b"punsubscribe", client.patterns, _registry(client).punsubscribe,
                        _count)


@group.command("sunsubscribe", -1, "pubsub noscript loading stale", keys=(1, -1, 1), acl="pubsub slow",
               since="7.0.0")
def sunsubscribe(client: "Client", argv: list[bytes]) -> Any:
    """Stop listening for messages posted to the given shard channels."""
    return _unsubscribe(client, argv, b"sunsubscribe", client.shard_channels, _registry(client).sunsubscribe,
                        lambda c: len(c.shard_channels))


# Receiver counts as ready frames (an integer is the same in RESP2 and RESP3):
# PUBLISH is the hot command of a fan-out, and this skips the encoder's
# dispatch and formatting (about 0.3 us a publish).
_COUNTS = [Raw(b":%d\r\n" % n) for n in range(1024)]


@group.command("publish", 3, "pubsub loading stale fast may_replicate sentinel", acl="pubsub fast", since="2.0.0")
def publish(client: "Client", argv: list[bytes]) -> Any:
    """Post a message to a channel; reply the number of receivers (channel + pattern)."""
    n = client.server.extensions["pubsub"].publish(argv[1], argv[2])
    return _COUNTS[n] if n < 1024 else n


@group.command("spublish", 3, "pubsub loading stale fast may_replicate", keys=(1, 1, 1), acl="pubsub fast", since="7.0.0")
def spublish(client: "Client", argv: list[bytes]) -> Any:
    """Post a message to a shard channel."""
    n = client.server.extensions["pubsub"].spublish(argv[1], argv[2])
    return _COUNTS[n] if n < 1024 else n


# -- PUBSUB introspection -------------------------------------------------------------

group.container("pubsub", -2, acl="slow", summary="A container for Pub/Sub commands", since="2.8.0")

_HELP = [
    "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels).",
    "SHARDCHANNELS [<pattern>]",
    "    Return the currently active shard level channels matching a <pattern> (default: '*').",
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Return the number of subscribers for the specified shard level channel(s)",
    "HELP",
    "    Prints this help.",
]


def _optional_pattern(argv: list[bytes]) -> bytes | None:
    if len(argv) > 3:
        raise CommandError(errors.subcommand_syntax(argv[1], argv[0]))
    return argv[2] if len(argv) == 3 else None


@group.subcommand("pubsub", "help", 2, "loading stale", acl="slow", since="6.2.0")
def pubsub_help(client: "Client", argv: list[bytes]) -> Any:
    """Show helpful text about the different subcommands."""
    return [Simple(line) for line in _HELP]


@group.subcommand("pubsub", "channels", -2, "pubsub loading stale", acl="pubsub slow", since="2.8.0")
def pubsub_channels(client: "Client", argv: list[bytes]) -> Any:
    """List active channels (those with at least one subscriber), optionally by glob."""
    registry = _registry(client)
    return registry.active(registry.channels, _optional_pattern(argv))


@group.subcommand("pubsub", "shardchannels", -2, "pubsub loading stale", acl="pubsub slow", since="7.0.0")
def pubsub_shardchannels(client: "Client", argv: list[bytes]) -> Any:
    """List active shard channels, optionally by glob."""
    registry = _registry(client)
    return registry.active(registry.shard_channels, _optional_pattern(argv))


@group.subcommand("pubsub", "numsub", -2, "pubsub loading stale", acl="pubsub slow", since="2.8.0")
def pubsub_numsub(client: "Client", argv: list[bytes]) -> Any:
    """Channel, subscriber count pairs (a flat array in both protocols, as Redis)."""
    registry = _registry(client)
    return list(registry.numsub(registry.channels, argv[2:]))


@group.subcommand("pubsub", "shardnumsub", -2, "pubsub loading stale", acl="pubsub slow", since="7.0.0")
def pubsub_shardnumsub(client: "Client", argv: list[bytes]) -> Any:
    """Shard channel, subscriber count pairs."""
    registry = _registry(client)
    return list(registry.numsub(registry.shard_channels, argv[2:]))


@group.subcommand("pubsub", "numpat", 2, "pubsub loading stale", acl="pubsub slow", since="2.8.0")
def pubsub_numpat(client: "Client", argv: list[bytes]) -> Any:
    """Number of distinct patterns subscribed to (Redis 7.0 semantics)."""
    return len(_registry(client).patterns)
