"""Hostile arguments for the server and connection commands (see test_hostile_table for the engine)."""
from __future__ import annotations

import pytest

from .conftest import Pair
from .test_hostile_table import I64_MAX, I64_MIN, T, Template, check_group, params

pytestmark = [pytest.mark.differential, pytest.mark.timeout(120)]

TEMPLATES: list[Template] = [
    T("SELECT", "0"),
    T("ECHO", "x"),
    T("PING", "x"),
    T("DBSIZE", positions=[]),
    T("SWAPDB", "0", "0"),
    T("SLOWLOG", "GET", "1", positions=[2], errors_only=True),  # entries depend on timing
    T("MEMORY", "USAGE", "missing", "SAMPLES", "5", positions=[4]),
    T("PFADD", "hll", "x"),
    T("PFCOUNT", "hll", "s"),
    T("PFMERGE", "d", "hll"),
    T("PUBLISH", "c", "m"),
    T("PUBSUB", "NUMSUB", "c"),
    T("CLIENT", "NO-EVICT", "on", positions=[2]),
    T("PFCOUNT", "hll", "hll", "missing"),
    T("PFADD", "s", "x"),
    T("OBJECT", "HELP", positions=[1]),
    T("COMMAND", "INFO", "get", positions=[2]),
    T("COMMAND", "GETKEYS", "SET", "k", "v"),
    T("ECHO", "x", "y"),
    T("PUBSUB", "CHANNELS", "c*"),
]

XFAIL: dict[tuple[str, int], str] = {}


@pytest.mark.parametrize("template,pos,values", params(TEMPLATES, XFAIL))
def test_hostile_server(pair: Pair, template: Template, pos: int, values: list[str | bytes]) -> None:
    check_group(pair, template, pos, values)


def test_select_checks_the_c_int_range_first(pair: Pair) -> None:
    """getIntFromObjectOrReply: outside a C int it is a range error, inside an index error."""
    for index in ("2147483648", "-2147483649", I64_MAX, "2147483647", "-1", "16"):
        pair.check("SELECT", index)
