"""Hostile arguments for the string family (see test_hostile_table for the engine)."""
from __future__ import annotations

import pytest

from .conftest import Pair
from .test_hostile_table import T, Template, check_group, params

pytestmark = [pytest.mark.differential, pytest.mark.timeout(120)]

TEMPLATES: list[Template] = [
    T("GET", "s"),
    T("SET", "k", "v", "EX", "10", timed=True),
    T("SET", "k", "v", "PX", "10000", timed=True),
    T("SET", "k", "v", "EXAT", "4102444800", timed=True),
    T("SET", "k", "v", "PXAT", "4102444800000", timed=True),
    T("SETEX", "k", "10", "v", timed=True),
    T("PSETEX", "k", "10000", "v", timed=True),
    T("GETEX", "e", "EX", "10", timed=True, fresh=True),
    T("GETEX", "e", "PXAT", "4102444800000", timed=True, fresh=True),
    T("GETRANGE", "s", "0", "-1"),
    T("SUBSTR", "s", "2", "-3"),
    # Offset + length is capped by proto-max-bulk-len (512 MB) in both servers; every large
    # value here is past it, so each is a refusal and nothing big is allocated.
    T("SETRANGE", "s", "3", "xy"),
    T("SETRANGE", "missing", "536870911", "", positions=[2]),
    T("INCRBY", "n", "5"),
    T("DECRBY", "n", "5"),
    T("INCRBYFLOAT", "n", "1.5"),
    T("INCR", "n"),
    T("DECR", "n"),
    T("APPEND", "s", "x"),
    T("STRLEN", "s"),
    T("MSET", "a", "1", "b", "2"),
    T("MGET", "s", "n", "missing"),
    T("LCS", "s", "b", "MINMATCHLEN", "1"),
    T("LCS", "s", "n", "IDX", "MINMATCHLEN", "0", "WITHMATCHLEN"),
    T("GETDEL", "s"),
    T("GETSET", "s", "v"),
    T("SETNX", "k", "v"),
    T("MSETNX", "a", "1", "b", "2"),
]


@pytest.mark.parametrize("template,pos,values", params(TEMPLATES))
def test_hostile_strings(pair: Pair, template: Template, pos: int, values: list[str | bytes]) -> None:
    check_group(pair, template, pos, values)
