"""Redis's stringmatchlen, ported: fixed cases checked against redis-server 7.0.15 by hand,
and the compiled (regex) matcher held equal to the reference walk on random input."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from damselfly.glob import compile_glob, glob_match

CASES = [
    # pattern, text, nocase, expected
    (b"*", b"anything", False, True),
    (b"*", b"", False, False),          # Redis: an empty subject never matches '*'
    (b"", b"", False, True),
    (b"", b"a", False, False),
    (b"**", b"ab", False, True),
    (b"a*", b"a", False, True),
    (b"a*b", b"ab", False, True),
    (b"a*b", b"axxb", False, True),
    (b"a*b", b"axxc", False, False),
    (b"h?llo", b"hello", False, True),
    (b"h?llo", b"hllo", False, False),
    (b"h[ae]llo", b"hallo", False, True),
    (b"h[ae]llo", b"hillo", False, False),
    (b"h[^e]llo", b"hallo", False, True),
    (b"h[^e]llo", b"hello", False, False),
    (b"h[a-b]llo", b"hbllo", False, True),
    (b"h[b-a]llo", b"hallo", False, True),   # reversed ranges are swapped
    (b"h[a-b]llo", b"hcllo", False, False),
    (b"\\*", b"*", False, True),
    (b"\\*", b"a", False, False),
    (b"a\\", b"a\\", False, True),           # a trailing backslash is literal
    (b"[\\]]", b"]", False, True),
    (b"[]", b"]", False, False),
    (b"[a-]", b"]", False, True),            # 'a-]' is the range ']'..'a', class left open
    (b"[abc", b"b", False, True),            # unterminated class at the end still matches
    (b"[", b"a", False, False),
    (b"[^", b"a", False, True),
    (b"HELLO", b"hello", True, True),
    (b"HELLO", b"hello", False, False),
    (b"h[A-Z]llo", b"hello", True, True),
    (b"h[E]llo", b"hello", True, True),
    (b"[a-\xff]", b"b", False, False),       # signed char: the range is -1..97
    (b"[a-\xff]", b"a", False, True),
    (b"[\x80-\xff]", b"\x90", False, True),
    (b"*a*a*a*a*a*a*a*a*b", b"a" * 40, False, False),
]


@pytest.mark.parametrize("pattern,text,nocase,expected", CASES)
def test_reference_cases(pattern: bytes, text: bytes, nocase: bool, expected: bool) -> None:
    assert glob_match(pattern, text, nocase) is expected


@pytest.mark.parametrize("pattern,text,nocase,expected", CASES)
def test_compiled_cases(pattern: bytes, text: bytes, nocase: bool, expected: bool) -> None:
    assert compile_glob(pattern, nocase)(text) is expected


_ALPHABET = st.sampled_from([b"a", b"b", b"A", b"-", b"*", b"?", b"[", b"]", b"^", b"\\", b"\xe9", b"\x00"])
_TEXT_ALPHABET = st.sampled_from([b"a", b"b", b"A", b"B", b"-", b"]", b"^", b"\\", b"\xe9", b"\x00", b"*"])


@settings(max_examples=3000, deadline=None)
@given(st.lists(_ALPHABET, max_size=10).map(b"".join), st.lists(_TEXT_ALPHABET, max_size=8).map(b"".join),
       st.booleans())
def test_compiled_equals_reference(pattern: bytes, text: bytes, nocase: bool) -> None:
    assert compile_glob(pattern, nocase)(text) == glob_match(pattern, text, nocase)


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=8), st.binary(max_size=8))
def test_compiled_equals_reference_any_bytes(pattern: bytes, text: bytes) -> None:
    assert compile_glob(pattern)(text) == glob_match(pattern, text)
