"""A randomized slice of the hostile tables: several positions replaced at once, RESP2 and RESP3.

Hypothesis picks short sequences of templates from every family table and
replaces one to three argument positions with hostile values, small numbers,
float texts or arbitrary bytes; both servers must answer each command with
the same bytes, in RESP2 or RESP3. The values a position may take are the
table's, minus the template's ``skip`` (so nothing makes Redis build billions
of replies); blocking templates get a single replacement, so a valid timeout
never meets an empty source.

``DAMSELFLY_FUZZ_EXAMPLES`` raises the example count (default bounded for ``make test``).
"""
from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from . import (test_hostile_bitmaps, test_hostile_hashes, test_hostile_keys, test_hostile_lists,
               test_hostile_server, test_hostile_sets, test_hostile_strings, test_hostile_zsets)
from .conftest import Pair
from .test_hostile_table import HOSTILE, Template, reset, sorted_frame

EXAMPLES = int(os.environ.get("DAMSELFLY_FUZZ_EXAMPLES", "150"))

pytestmark = [pytest.mark.differential, pytest.mark.timeout(300 + EXAMPLES // 5)]

#: Templates whose argument is a glob over the server's own inventory (options, commands):
#: the table sends them no pattern character, but a random one would list what damselfly
#: implements, a subset of Redis's.
INVENTORY_GLOBS = frozenset({("CONFIG", "GET"), ("COMMAND", "LIST")})

TEMPLATES: list[Template] = [
    t for module in (test_hostile_strings, test_hostile_lists, test_hostile_hashes, test_hostile_sets,
                     test_hostile_zsets, test_hostile_bitmaps, test_hostile_keys, test_hostile_server)
    for t in module.TEMPLATES if len(t.argv) > 1 and tuple(t.argv[:2]) not in INVENTORY_GLOBS
]

_extra = st.one_of(
    st.integers(min_value=-100, max_value=100).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.binary(max_size=6),
    st.sampled_from(["(1", "[a", "-", "+", "(inf", "#3", "u8", "i64", "WITHSCORES", "LIMIT", "REV"]),
)


@st.composite
def hostile_command(draw: st.DrawFn) -> tuple[Template, list[str | bytes]]:
    template = draw(st.sampled_from(TEMPLATES))
    argv: list[str | bytes] = list(template.argv)
    positions = list(template.positions or range(1, len(argv)))
    count = 1 if template.fresh else draw(st.integers(min_value=1, max_value=min(3, len(positions))))
    for pos in draw(st.permutations(positions))[:count]:
        banned = template.skip.get(pos, frozenset())
        choices = [v for v in HOSTILE if v not in banned]
        value = draw(st.one_of(st.sampled_from(choices), _extra))
        if value in banned:  # an _extra value the template excludes at this position
            value = choices[0]
        argv[pos] = value
    return template, argv


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(resp=st.sampled_from(["2", "3"]),
       commands=st.lists(hostile_command(), min_size=1, max_size=3).map(
           lambda cs: [c for c in cs if not c[0].timed] + [c for c in cs if c[0].timed][:1]))
def test_random_hostile_sequences(pair: Pair, resp: str,
                                  commands: list[tuple[Template, list[str | bytes]]]) -> None:
    """A command that may set a millisecond TTL comes last: nothing after it reads the key."""
    reset(pair)
    pair.both("HELLO", resp)  # the greeting differs (ids, versions); not compared
    try:
        for template, argv in commands:
            if template.fresh:
                reset(pair)
            ours, theirs = pair.both(*argv)
            if template.errors_only and ours[:1] != b"-" and theirs[:1] != b"-":
                ours, theirs = ours[:1], theirs[:1]
            if template.unordered:
                ours, theirs = sorted_frame(ours), sorted_frame(theirs)
            assert ours == theirs, f"RESP{resp} {argv!r}: damselfly {ours[:300]!r} != redis {theirs[:300]!r}"
    finally:
        pair.both("HELLO", "2")
