"""Hostile arguments for the subscribe family (see test_hostile_table for the engine).

Any bytes name a channel or a pattern, so no value is refused here: what is
compared is how each reply echoes the name (empty, not UTF-8, with CRLF or
NUL inside) and the subscription count it carries, as the same connection
subscribes to every hostile name in turn, or unsubscribes from names it
never subscribed to. In RESP2 the connection then stays in subscribed mode,
so the engine's closing probes compare Redis's subscribed-context refusals;
the RESP3 run, where a subscriber may run anything, compares the data too.

These templates stay out of test_hostile_random's sequences: a subscribed
RESP2 connection would turn every later command of a sequence into the same
refusal.
"""
from __future__ import annotations

import pytest

from .conftest import Pair, encode_command
from .test_hostile_table import T, Template, check_group, params

pytestmark = [pytest.mark.differential, pytest.mark.timeout(120)]

TEMPLATES: list[Template] = [
    T("SUBSCRIBE", "c", "d"),
    T("UNSUBSCRIBE", "c"),
    T("PSUBSCRIBE", "c*", "d?"),
    T("PUNSUBSCRIBE", "c*"),
    T("SSUBSCRIBE", "c"),
    T("SUNSUBSCRIBE", "c", "d"),
]


@pytest.mark.parametrize("template,pos,values", params(TEMPLATES))
def test_hostile_pubsub(pair: Pair, template: Template, pos: int, values: list[str | bytes]) -> None:
    check_group(pair, template, pos, values)


@pytest.mark.parametrize("template,pos,values", params(TEMPLATES))
def test_hostile_pubsub_resp3(pair3: Pair, template: Template, pos: int, values: list[str | bytes]) -> None:
    check_group(pair3, template, pos, values)


def test_hostile_names_are_delivered_as_sent(pair3: Pair) -> None:
    """A message published to each hostile channel reaches the subscriber (here the publisher
    itself) with the name as sent, through the channel and any pattern that matches it."""
    names = ["", "a\r\nb", "1\x00", b"\xff\xfe", "*", "[", "c"]
    pair3.check("SUBSCRIBE", *names)
    pair3.check("PSUBSCRIBE", "[", "*\x00")
    for name in names:
        frames = []
        for conn in (pair3.ours, pair3.theirs):
            conn.send(encode_command("PUBLISH", name, "m"))
            seen = [conn.read_reply()]
            while not seen[-1].startswith(b":"):  # the pushes come first, then PUBLISH's count
                seen.append(conn.read_reply())
            frames.append(seen)
        assert frames[0] == frames[1], name
        assert len(frames[1]) >= 2  # delivered at least once
    pair3.check("PUBSUB", "NUMSUB", *names)
    pair3.check("UNSUBSCRIBE", *names)
    pair3.check("PUNSUBSCRIBE")
