"""Argument parsing shared by handlers: numbers with Redis's rules and error texts."""
from __future__ import annotations

import math

from .. import errors
from ..errors import CommandError

_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1


def parse_int(raw: bytes, message: str = errors.NOT_INTEGER) -> int:
    """Redis's ``string2ll`` for command arguments: strict signed 64-bit."""
    if raw and len(raw) <= 20:
        if raw.isdigit():
            if raw[0] != 48 or len(raw) == 1:
                v = int(raw)
                if v <= _INT64_MAX:
                    return v
        elif raw[0] == 45 and raw[1:].isdigit() and raw[1] != 48:
            v = int(raw)
            if v >= _INT64_MIN:
                return v
    raise CommandError(message)


def parse_nonneg_int(raw: bytes, message: str = errors.COUNT_NEGATIVE) -> int:
    v = parse_int(raw)
    if v < 0:
        raise CommandError(message)
    return v


def parse_float(raw: bytes, message: str = errors.NOT_FLOAT) -> float:
    """Redis's ``string2d``/``strtold`` checks: no spaces, no NaN, 'inf' allowed."""
    if not raw or raw[0] in b" \t\n\r\x0b\x0c" or raw[-1] in b" \t\n\r\x0b\x0c":
        raise CommandError(message)
    try:
        v = float(raw)
    except ValueError:
        raise CommandError(message) from None
    if math.isnan(v) or b"_" in raw:
        raise CommandError(message)
    return v


def format_float(value: float) -> bytes:
    """Redis's %.17g double text (ZSCORE-style)."""
    from ..protocol.reply import format_double
    return format_double(value)
