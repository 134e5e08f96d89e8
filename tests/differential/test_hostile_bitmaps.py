"""Hostile arguments for the bitmap family (see test_hostile_table for the engine)."""
from __future__ import annotations

import pytest

from .conftest import Pair
from .test_hostile_table import HUGE_OFFSETS, I64_MAX, I64_MIN, T, Template, check_group, params

pytestmark = [pytest.mark.differential, pytest.mark.timeout(120)]

# SETBIT/BITFIELD offsets of 2^32 bits and more are refused by both (checked); 2^31 bits is
# accepted and would allocate 256 MB in each server, so it is not sent to write positions.
TEMPLATES: list[Template] = [
    T("SETBIT", "b", "7", "1", skip={2: HUGE_OFFSETS}),
    T("GETBIT", "b", "7"),
    T("BITCOUNT", "b", "0", "-1"),
    T("BITCOUNT", "b", "0", "-1", "BIT"),
    T("BITCOUNT", "b", I64_MIN, I64_MAX, "BYTE", positions=[4]),
    T("BITPOS", "b", "0", "1", "-1"),
    T("BITPOS", "b", "1", "0", "-1", "BIT"),
    T("BITOP", "AND", "d", "b", "s"),
    T("BITOP", "NOT", "d", "b"),
    T("BITFIELD", "b", "GET", "i8", "0"),
    T("BITFIELD", "b", "SET", "u8", "#1", "200", skip={4: HUGE_OFFSETS}),
    T("BITFIELD", "b", "INCRBY", "i5", "100", "1", skip={4: HUGE_OFFSETS}),
    T("BITFIELD", "b", "OVERFLOW", "SAT", "INCRBY", "u63", "0", "1", skip={6: HUGE_OFFSETS}),
    T("BITFIELD_RO", "b", "GET", "u4", "4"),
    T("BITFIELD", "b", "GET", "i64", "0", "GET", "u63", "1"),
    T("BITFIELD", "missing", "SET", "i16", "#0", "-32768", "GET", "i16", "0", skip={4: HUGE_OFFSETS}),
    T("BITFIELD", "b", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "5", skip={6: HUGE_OFFSETS}),
    T("BITPOS", "missing", "0", "3", "-9223372036854775808", "BYTE"),
    T("GETBIT", "missing", "4294967295", positions=[2]),
]

XFAIL: dict[tuple[str, int], str] = {}


@pytest.mark.parametrize("template,pos,values", params(TEMPLATES, XFAIL))
def test_hostile_bitmaps(pair: Pair, template: Template, pos: int, values: list[str | bytes]) -> None:
    check_group(pair, template, pos, values)
