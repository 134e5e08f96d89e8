"""Redis's ``long double`` arithmetic for INCRBYFLOAT (and HINCRBYFLOAT), bit for bit.

Redis parses with ``strtold``, adds in x87 80-bit extended precision (a 64-bit
significand, exponents down to subnormal 2**-16445, overflow at 2**16384) and
prints with ``%.17Lf`` before trimming trailing zeros (``ld2string`` in
human-friendly mode). Python has no long double, and a 53-bit float would
print different digits (``1e300`` has 300 exact digits that differ), so values
are kept as exact :class:`~fractions.Fraction` numbers rounded to the 64-bit
significand after each operation (round half to even, as the FPU does), and
printed from the exact value with glibc's round-half-even.

Costs tens of microseconds per operation, fine for commands that are not on
the hot path.
"""
from __future__ import annotations

import re
from fractions import Fraction

from .. import errors
from ..errors import CommandError

MAX_LONG_DOUBLE_CHARS = 5 * 1024
_SIG_BITS = 64
_MIN_EXP = -16445      # exponent of the smallest subnormal (2**-16445)
_MAX_EXP = 16384       # first power of two that overflows
_INF = float("inf")

LongDouble = Fraction | float  # an exact finite value, or +-inf as a float

_DECIMAL = re.compile(rb"([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?")
_HEX = re.compile(rb"([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?")
_INFINITY = re.compile(rb"([+-]?)(?:inf|infinity)", re.IGNORECASE)


def round_ld(x: Fraction) -> LongDouble:
    """``x`` rounded to the nearest x87 extended value (ties to even); +-inf past the range."""
    if x == 0:
        return Fraction(0)
    negative = x < 0
    n, d = (-x.numerator if negative else x.numerator), x.denominator
    top = n.bit_length() - d.bit_length()  # floor(log2(n/d)) is top or top - 1
    if (n >= d << top) if top >= 0 else (n << -top >= d):
        exp2 = top
    else:
        exp2 = top - 1
    shift = max(exp2 - (_SIG_BITS - 1), _MIN_EXP)
    if shift >= 0:
        q, r = divmod(n, d << shift)
        den = d << shift
    else:
        q, r = divmod(n << -shift, d)
        den = d
    if 2 * r > den or (2 * r == den and q & 1):
        q += 1
    if q and q.bit_length() + shift > _MAX_EXP:
        return -_INF if negative else _INF
    value = Fraction(q << shift) if shift >= 0 else Fraction(q, 1 << -shift)
    return -value if negative else value


def parse_ld(raw: bytes) -> LongDouble | None:
    """Redis's ``string2ld`` (``strtold`` plus its checks); None when not a valid float.

    Rejected: empty or too long texts, leading spaces, trailing bytes, NaN,
    and values that overflow or underflow to zero (strtold's ERANGE cases).
    """
    if not raw or len(raw) >= MAX_LONG_DOUBLE_CHARS:
        return None
    m = _DECIMAL.fullmatch(raw)
    if m is not None:
        sign, whole, frac, exp = m.groups()
        frac = frac or b""
        if not whole and not frac:
            return None
        digits = (whole + frac).lstrip(b"0")
        if not digits:
            return Fraction(0)
        e10 = (int(exp) if exp else 0) - len(frac)
        magnitude = e10 + len(digits)  # the value is below 10**magnitude
        if magnitude > 4940:
            return None
        if magnitude < -4960:
            return None
        value = Fraction(_int10(digits)) * (Fraction(10) ** e10)
        return _checked(value, sign == b"-")
    m = _HEX.fullmatch(raw)
    if m is not None:
        sign, whole, frac, exp = m.groups()
        frac = frac or b""
        if not whole and not frac:
            return None
        digits = (whole + frac).lstrip(b"0")
        if not digits:
            return Fraction(0)
        e2 = (int(exp) if exp else 0) - 4 * len(frac)
        magnitude = e2 + 4 * len(digits)
        if magnitude > _MAX_EXP + 8:
            return None
        if magnitude < _MIN_EXP - 8:
            return None
        value = Fraction(int(digits, 16)) * (Fraction(2) ** e2)
        return _checked(value, sign == b"-")
    m = _INFINITY.fullmatch(raw)
    if m is not None:
        return -_INF if m.group(1) == b"-" else _INF
    return None


def _checked(value: Fraction, negative: bool) -> LongDouble | None:
    rounded = round_ld(value)
    if rounded == 0 or rounded in (_INF, -_INF):  # strtold's ERANGE: underflow or overflow
        return None
    return -rounded if negative else rounded


def add_ld(a: LongDouble, b: LongDouble) -> LongDouble:
    """``a + b`` in extended precision; inf + -inf gives NaN (a float)."""
    if isinstance(a, float):
        return a + b if isinstance(b, float) else a
    if isinstance(b, float):
        return b
    return round_ld(a + b)


def is_finite(value: LongDouble) -> bool:
    return not isinstance(value, float)


def format_ld(value: LongDouble) -> bytes:
    """``ld2string(..., LD_STR_HUMAN)``: ``%.17Lf``, trailing zeros and dot removed, ``-0`` as ``0``."""
    if isinstance(value, float):
        return b"inf" if value > 0 else b"-inf"
    negative = value < 0
    scaled = abs(value) * 10**17
    q, r = divmod(scaled.numerator, scaled.denominator)
    if 2 * r > scaled.denominator or (2 * r == scaled.denominator and q & 1):
        q += 1
    whole, frac = divmod(q, 10**17)
    text = _text10(whole) + b".%017d" % frac
    text = text.rstrip(b"0").rstrip(b".")
    if negative and text != b"0":
        text = b"-" + text
    return text


# Python refuses int <-> decimal text conversions past 4300 digits (a guard
# against quadratic conversions); long doubles reach 4933 digits, inputs 5120
# bytes, so convert in chunks below the limit.
_CHUNK = 4000
_CHUNK_POW = 10**_CHUNK


def _int10(digits: bytes) -> int:
    if len(digits) <= _CHUNK:
        return int(digits)
    head, tail = digits[:-_CHUNK], digits[-_CHUNK:]
    return _int10(head) * _CHUNK_POW + int(tail)


def _text10(n: int) -> bytes:
    if n < _CHUNK_POW:
        return b"%d" % n
    head, tail = divmod(n, _CHUNK_POW)
    return _text10(head) + (b"%d" % tail).rjust(_CHUNK, b"0")


def parse_ld_or_error(raw: bytes) -> LongDouble:
    value = parse_ld(raw)
    if value is None:
        raise CommandError(errors.NOT_FLOAT)
    return value


def incr_by_float(current: bytes | None, increment: bytes) -> bytes:
    """INCRBYFLOAT's new text for ``current`` (None for a missing key) plus ``increment``.

    Checks in Redis's order: the stored value, then the increment, then the
    result (``ERR increment would produce NaN or Infinity``).
    """
    base: LongDouble = Fraction(0) if current is None else parse_ld_or_error(current)
    incr = parse_ld_or_error(increment)
    total = add_ld(base, incr)
    if not is_finite(total):
        raise CommandError(errors.INCR_NAN_INF)
    return format_ld(total)


__all__ = ["LongDouble", "add_ld", "format_ld", "incr_by_float", "is_finite", "parse_ld", "round_ld"]
