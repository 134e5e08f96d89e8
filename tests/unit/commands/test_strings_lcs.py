"""LCS: the bit-parallel table against Redis's dynamic programming, cell by cell."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from damselfly.commands.strings import _lcs_walk, lcs_at, lcs_rows


def dp_table(a: bytes, b: bytes) -> list[list[int]]:
    """Redis's LCS(i, j) table, filled the way lcsCommand fills it."""
    t = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            t[i][j] = t[i - 1][j - 1] + 1 if a[i - 1] == b[j - 1] else max(t[i - 1][j], t[i][j - 1])
    return t


small = st.binary(max_size=40).map(lambda s: bytes(c % 4 + 97 for c in s))


@given(small, small)
def test_every_cell_matches_the_dp(a, b):
    rows = lcs_rows(a, b)
    table = dp_table(a, b)
    for i in range(len(a) + 1):
        for j in range(len(b) + 1):
            assert lcs_at(rows, i, j) == table[i][j]


@given(small, small)
def test_the_string_is_a_common_subsequence_of_that_length(a, b):
    rows = lcs_rows(a, b)
    total = lcs_at(rows, len(a), len(b))
    text = _lcs_walk(a, b, rows, total, False, False, 0)
    assert len(text) == total

    def is_subsequence(s: bytes, t: bytes) -> bool:
        it = iter(t)
        return all(c in it for c in s)

    assert is_subsequence(text, a) and is_subsequence(text, b)


@given(small, small, st.integers(min_value=0, max_value=4))
def test_ranges_cover_matching_bytes(a, b, minlen):
    rows = lcs_rows(a, b)
    total = lcs_at(rows, len(a), len(b))
    reply = _lcs_walk(a, b, rows, total, True, True, minlen)
    assert reply[b"len"] == total
    for (a0, a1), (b0, b1), length in reply[b"matches"]:
        assert a[a0:a1 + 1] == b[b0:b1 + 1]
        assert length == a1 - a0 + 1 >= max(minlen, 1)


def test_redis_documentation_example():
    a, b = b"ohmytext", b"mynewtext"
    rows = lcs_rows(a, b)
    assert _lcs_walk(a, b, rows, 6, False, False, 0) == b"mytext"
    reply = _lcs_walk(a, b, rows, 6, True, True, 0)
    assert reply == {b"matches": [[[4, 7], [5, 8], 4], [[2, 3], [0, 1], 2]], b"len": 6}
