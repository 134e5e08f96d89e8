"""Hostile arguments for the list family (see test_hostile_table for the engine)."""
from __future__ import annotations

import pytest

from .conftest import Pair
from .test_hostile_table import I64_MAX, I64_MIN, T, Template, check_group, params

pytestmark = [pytest.mark.differential, pytest.mark.timeout(120)]

# Counts that would make Redis itself reply with billions of elements are not sent to
# populated lists (the table only keeps values both servers answer at once).
TEMPLATES: list[Template] = [
    T("LRANGE", "l", "0", "-1"),
    T("LRANGE", "l", I64_MIN, I64_MAX, positions=[1]),
    T("LINDEX", "l", "1"),
    T("LSET", "l", "1", "x"),
    T("LTRIM", "l", "1", "-2"),
    T("LPOS", "l", "b", "RANK", "1", "COUNT", "0", "MAXLEN", "0"),
    T("LPOS", "l", "b", "RANK", I64_MIN, positions=[4]),
    T("LINSERT", "l", "BEFORE", "b", "x"),
    T("LINSERT", "l", "AFTER", "e", "x", positions=[2]),
    T("LPUSHX", "l", "x", "y"),
    T("RPOP", "l1", "0"),
    T("LREM", "l", "1", "b"),
    T("LPOP", "l", "2"),
    T("RPOP", "l", "2"),
    T("LPUSH", "l", "x"),
    T("RPUSH", "l", "x", "y"),
    T("RPUSHX", "l", "x"),
    T("LLEN", "l"),
    T("LMOVE", "l", "l2", "LEFT", "RIGHT"),
    T("RPOPLPUSH", "l", "l2"),
    T("LMPOP", "1", "l", "LEFT", "COUNT", "2"),
    T("LMPOP", "2", "missing", "l", "RIGHT"),
    # Blocking forms read a non-empty list (rebuilt before each case), so a valid timeout
    # returns at once; 0.01 s keeps missing-key cases short.
    T("BLPOP", "l", "0.01", fresh=True),
    T("BRPOP", "missing", "l", "0.01", fresh=True),
    T("BLMOVE", "l", "l2", "LEFT", "RIGHT", "0.01", fresh=True),
    T("BRPOPLPUSH", "l", "l2", "0.01", fresh=True),
    T("BLMPOP", "0.01", "1", "l", "LEFT", "COUNT", "2", fresh=True),
]

XFAIL: dict[tuple[str, int], str] = {}


@pytest.mark.parametrize("template,pos,values", params(TEMPLATES, XFAIL))
def test_hostile_lists(pair: Pair, template: Template, pos: int, values: list[str | bytes]) -> None:
    check_group(pair, template, pos, values)
