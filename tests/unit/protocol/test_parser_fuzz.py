"""Fuzzing the sans-IO request parser with random and mutated frames.

Frames are valid multibulk and inline requests, then mutated the ways a
hostile or broken peer would: byte flips, truncation, huge and negative
lengths, a CR or LF missing, NULs, nested ``*``, and junk tokens spliced in.
Each input is fed in one piece and again split at random offsets, to the
hiredis-backed parser and to the exact Python parser. The properties:

- nothing but the parser's own protocol-error result comes out (no exception);
- every complete command is a non-empty list of bytes, and every error is one
  of Redis's protocol-error texts, byte for byte (``REDIS_PROTOCOL_ERRORS``);
- the outcome (commands and error) does not depend on how the input is split,
  nor on which parser reads it;
- memory stays linear in the input: tracemalloc's peak while parsing is at
  most ``MEMORY_FACTOR`` times the input size plus ``MEMORY_SLACK`` (a header
  announcing a 500 MB bulk allocates nothing).

Inputs are kept below Redis's 64 KiB inline limit, the one place where Redis
itself answers differently depending on how a request is split (a 70 KB line
in one read is accepted, the same line in pieces is "too big").

``DAMSELFLY_FUZZ_EXAMPLES`` sets the examples per property (``make fuzz``);
the count of parser runs is printed at the end of the module. With atheris
installed (optional, not a dependency; its cp311 manylinux wheel installs from
PyPI), ``python tests/unit/protocol/test_parser_fuzz.py -max_total_time=60 CORPUS_DIR``
runs the same checks under coverage-guided fuzzing (libFuzzer flags apply).
"""
from __future__ import annotations

import os
import sys
import tracemalloc
from collections import Counter
from typing import Callable, Iterator

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from damselfly import errors
from damselfly.protocol.parser import INLINE_MAX_SIZE, RequestParser

EXAMPLES = int(os.environ.get("DAMSELFLY_FUZZ_EXAMPLES", "300"))
# The suite's 120 s guard is per test; ``make fuzz`` (20,000 examples) needs longer per property.
pytestmark = pytest.mark.timeout(120 + EXAMPLES // 10)
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: Every text the parser may answer with (``expected '$', got 'c'`` for each byte c).
REDIS_PROTOCOL_ERRORS = frozenset({
    "ERR Protocol error: invalid multibulk length",
    "ERR Protocol error: invalid bulk length",
    "ERR Protocol error: too big mbulk count string",
    "ERR Protocol error: too big bulk count string",
    "ERR Protocol error: too big inline request",
    "ERR Protocol error: unbalanced quotes in request",
} | {"ERR Protocol error: expected '$', got '%s'" % chr(c) for c in range(128) if c not in b"$\r\n"}
  | {"ERR Protocol error: expected '$', got ' '"}  # CR and LF are shown as spaces, as Redis does
  | {"ERR Protocol error: expected '$', got '%s'" % bytes([c]).decode("utf-8", "surrogateescape")
     for c in range(128, 256)})  # a high byte is sent raw: its surrogateescape form

#: Peak traced allocation allowed while parsing n bytes: MEMORY_FACTOR * n + MEMORY_SLACK.
#: The worst case is an inline request of two-byte words ("ab ab ab ..."): each 3 input
#: bytes become a bytes object and a list slot, 15.6x the input (measured); mutated
#: frames stay under 6x.
MEMORY_FACTOR = 40
MEMORY_SLACK = 64 * 1024

RUNS: Counter[str] = Counter()


@pytest.fixture(scope="module", autouse=True)
def _report_runs(request: pytest.FixtureRequest) -> Iterator[None]:
    """Print how many inputs and parser runs the fuzzing covered (the issue asks for the count)."""
    yield
    line = (f"parser fuzz: {RUNS['inputs']} inputs, {RUNS['feeds']} feed() calls, "
            f"{RUNS['commands']} commands, {RUNS['errors']} protocol errors, "
            f"peak traced memory up to {RUNS['peak_x10'] / 10:.1f}x the input")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:  # pragma: no cover - reporting only
        print(line, file=sys.stderr)
        return
    with capture.global_and_fixture_disabled():  # teardown output is captured otherwise
        reporter.write("\n" + line + "\n")


def _pure() -> RequestParser:
    p = RequestParser()
    p._reader = None  # the exact Python parser only
    return p


PARSERS: dict[str, Callable[[], RequestParser]] = {"hiredis": RequestParser, "python": _pure}

Outcome = tuple[list[list[bytes]], str | None]


def run(make: Callable[[], RequestParser], data: bytes, cuts: list[int]) -> Outcome:
    """Feed ``data`` split at ``cuts``; return the commands and the error, checking each step."""
    parser = make()
    got: list[list[bytes]] = []
    prev = 0
    for cut in sorted({c for c in cuts if 0 < c < len(data)}) + [len(data)]:
        try:
            cmds = parser.feed(data[prev:cut])
        except Exception as exc:  # the property: nothing escapes
            raise AssertionError(f"{type(exc).__name__} escaped the parser for {data!r} split {cuts}") from exc
        RUNS["feeds"] += 1
        for cmd in cmds:
            assert type(cmd) is list and cmd, cmd
            assert all(type(a) is bytes for a in cmd), cmd
        got += cmds
        prev = cut
        if parser.error is not None:
            break
    if parser.error is not None:
        assert parser.error in REDIS_PROTOCOL_ERRORS, parser.error
        assert parser.feed(b"*1\r\n$4\r\nPING\r\n") == []  # nothing after an error
    return got, parser.error


def check_all_ways(data: bytes, cuts: list[int]) -> Outcome:
    """One piece and split, both parsers: every outcome must be the same."""
    RUNS["inputs"] += 1
    whole = run(RequestParser, data, [])
    for name, make in PARSERS.items():
        assert run(make, data, []) == whole, name
        assert run(make, data, cuts) == whole, (name, cuts)
    RUNS["commands"] += len(whole[0])
    RUNS["errors"] += whole[1] is not None
    return whole


def peak_while_parsing(make: Callable[[], RequestParser], data: bytes, cuts: list[int]) -> int:
    """tracemalloc's peak (bytes) for parsing ``data``; the input itself is allocated before."""
    pieces = []
    prev = 0
    for cut in sorted({c for c in cuts if 0 < c < len(data)}) + [len(data)]:
        pieces.append(data[prev:cut])
        prev = cut
    parser = make()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        kept = [parser.feed(p) for p in pieces]
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    del kept
    return peak


def assert_linear_memory(data: bytes, cuts: list[int]) -> None:
    for make, split in [(m, c) for m in PARSERS.values() for c in ([], cuts)]:
        peak = peak_while_parsing(make, data, split)
        RUNS["peak_x10"] = max(RUNS["peak_x10"], (10 * peak) // max(len(data), 1)
                               if len(data) > 1024 else 0)
        assert peak <= MEMORY_FACTOR * len(data) + MEMORY_SLACK, (peak, len(data), data[:80])


# -- input generation ---------------------------------------------------------------------

_words = st.binary(min_size=0, max_size=12)
_safe_words = st.binary(min_size=1, max_size=8).filter(
    lambda w: not any(c in w for c in b" \t\r\n\x0b\x0c\"'\x00"))


def multibulk(args: list[bytes]) -> bytes:
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)


_multibulk = st.lists(_words, min_size=1, max_size=6).map(multibulk)
_inline = st.lists(_safe_words, min_size=1, max_size=6).map(lambda ws: b" ".join(ws)) \
    .flatmap(lambda line: st.sampled_from([line + b"\r\n", line + b"\n"]))
_quoted_inline = st.tuples(_safe_words, _words).map(
    lambda t: t[0] + b' "' + b"".join(b"\\x%02x" % c for c in t[1]) + b'"\r\n')
valid_frame = st.one_of(_multibulk, _inline, _quoted_inline)

#: Tokens a mutation splices in: lengths that overflow or are negative, nested arrays,
#: CR/LF alone, NULs, quotes, signs and a header announcing a 500 MB bulk.
HOSTILE_TOKENS = [
    b"*", b"$", b"\r", b"\n", b"\r\n", b"\x00", b'"', b"'", b"\\", b" ", b"-", b"+", b"0",
    b"$536870912\r\n", b"$500000000\r\n", b"$536870913\r\n", b"*2147483647\r\n", b"*2147483648\r\n",
    b"$-1\r\n", b"$-5\r\n", b"*-1\r\n", b"*-5\r\n", b"$01\r\n", b"*01\r\n", b"$+1\r\n",
    b"$9223372036854775807\r\n", b"$9223372036854775808\r\n", b"*99999999999999999999\r\n",
    b"*1\r\n*1\r\n$1\r\na\r\n", b"*2\r\n$1\r\na\r\n*1\r\n", b":1\r\n", b"+OK\r\n", b"$ 1\r\n", b"$1 \r\n",
]


@st.composite
def mutated_frame(draw: st.DrawFn) -> bytes:
    """A pipeline of valid frames with up to four mutations applied."""
    data = bytearray(b"".join(draw(st.lists(valid_frame, min_size=1, max_size=4))))
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        kind = draw(st.sampled_from(["flip", "truncate", "insert", "delete", "replace_crlf", "dup"]))
        at = draw(st.integers(min_value=0, max_value=max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] ^= draw(st.integers(min_value=1, max_value=255))
        elif kind == "truncate":
            del data[at:]
        elif kind == "insert":
            data[at:at] = draw(st.sampled_from(HOSTILE_TOKENS))
        elif kind == "delete" and data:
            del data[at:at + draw(st.integers(min_value=1, max_value=4))]
        elif kind == "replace_crlf":
            crlf = data.find(b"\r\n", at)
            if crlf >= 0:
                data[crlf:crlf + 2] = draw(st.sampled_from([b"\r", b"\n", b"", b"\n\r", b"\r\r", b"\x00\n"]))
        elif kind == "dup":
            data += data[at:]
    return bytes(data)


cut_points = st.lists(st.integers(min_value=0, max_value=2048), max_size=6)


# -- properties ---------------------------------------------------------------------------

@FUZZ
@given(mutated_frame(), cut_points)
def test_fuzz_mutated_frames(data: bytes, cuts: list[int]) -> None:
    check_all_ways(data, cuts)


@FUZZ
@given(st.binary(max_size=400), cut_points)
def test_fuzz_random_bytes(data: bytes, cuts: list[int]) -> None:
    check_all_ways(data, cuts)


@FUZZ
@given(st.lists(st.lists(_words, min_size=1, max_size=5), min_size=1, max_size=5), cut_points)
def test_fuzz_valid_pipelines_roundtrip(commands: list[list[bytes]], cuts: list[int]) -> None:
    """Unmutated multibulk pipelines come back exactly, however they are split."""
    data = b"".join(multibulk(c) for c in commands)
    assert check_all_ways(data, cuts) == (commands, None)


@FUZZ
@given(st.lists(st.lists(_safe_words, min_size=1, max_size=5).filter(lambda c: c[0][:1] != b"*"),
                min_size=1, max_size=5), cut_points)
def test_fuzz_valid_inline_roundtrip(commands: list[list[bytes]], cuts: list[int]) -> None:
    """Inline lines (not starting with '*', which makes a multibulk) come back word by word."""
    data = b"".join(b" ".join(c) + b"\r\n" for c in commands)
    assert check_all_ways(data, cuts) == (commands, None)


@settings(max_examples=max(EXAMPLES // 10, 20), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(mutated_frame(), cut_points)
def test_fuzz_memory_linear_in_input(data: bytes, cuts: list[int]) -> None:
    assert_linear_memory(data, cuts)


# -- the named hostile shapes, each checked the same ways ----------------------------------

HUGE_HEADERS = [
    b"*1\r\n$536870912\r\n",                     # proto-max-bulk-len exactly: accepted, waits
    b"*2\r\n$3\r\nSET\r\n$500000000\r\nabc",     # a 500 MB claim with 3 bytes of body
    b"*2147483647\r\n$1\r\na\r\n",               # INT_MAX arguments announced
    b"*10000000\r\n$1\r\na\r\n",                 # hiredis would allocate 80 MB of slots here
    b"*1\r\n$1\r\na\r\n*10000000\r\n",             # ... or after a complete command
    b"*1\r\n$536870912\r\n" + b"x" * 60000,      # a large partial body
]


@pytest.mark.parametrize("data", HUGE_HEADERS)
def test_huge_headers_allocate_only_what_arrived(data: bytes) -> None:
    commands = check_all_ways(data, [5, 17, 100])[0]
    assert commands in ([], [[b"a"]])
    for make in PARSERS.values():
        for cuts in ([], [5, 17, 100]):
            peak = peak_while_parsing(make, data, cuts)
            assert peak <= 4 * len(data) + MEMORY_SLACK, (peak, cuts)


def test_worst_case_inline_words_stay_within_the_memory_bound() -> None:
    """The densest input: two-byte words, a bytes object and a list slot per 3 input bytes."""
    data = b"ab " * (INLINE_MAX_SIZE // 3 - 8) + b"\r\n"
    assert_linear_memory(data, [])
    assert_linear_memory(b"*30000\r\n" + b"$2\r\nab\r\n" * 30000, [100, 5000])


SHAPES: list[tuple[bytes, Outcome]] = [
    (b"*1\r\n$-1\r\n", ([], "ERR Protocol error: invalid bulk length")),
    (b"*1\r\n$-5\r\n", ([], "ERR Protocol error: invalid bulk length")),
    (b"*-5\r\n*1\r\n$4\r\nPING\r\n", ([[b"PING"]], None)),
    (b"*1\r\n$9223372036854775808\r\n", ([], "ERR Protocol error: invalid bulk length")),
    (b"*9223372036854775808\r\n", ([], "ERR Protocol error: invalid multibulk length")),
    (b"*2\r\n$4\r\nECHO\r\n*1\r\n$1\r\na\r\n", ([], "ERR Protocol error: expected '$', got '*'")),
    (b"*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n", ([[b"PING"], [b"PING"]], None)),  # CRLF after a body is not checked
    (b"*1\rX$4\r\nPING\r\n", ([[b"PING"]], None)),  # nor the LF after a header's CR
    (b"PING\x00 x\r\nPING\r\n", ([], None)),       # a NUL before the LF: Redis waits (strchr)
    (b"*1\r\n\x00\r\n", ([], None)),
    (b"*1\r\n$4\r\nP\x00NG\r\n", ([[b"P\x00NG"]], None)),  # in a body a NUL is data
    (b"PING\r\n*1\r\n$1\x00\r\n", ([[b"PING"]], None)),
    (b"\x00" * 10, ([], None)),
]


@pytest.mark.parametrize("data,expected", SHAPES)
def test_named_shapes(data: bytes, expected: Outcome) -> None:
    assert check_all_ways(data, list(range(len(data)))) == expected


@pytest.mark.parametrize("prefix,error", [
    (b"PING\x00", "ERR Protocol error: too big inline request"),
    (b"*1\x00\r\n", "ERR Protocol error: too big mbulk count string"),
    (b"*1\r\n$1\x00\r\n", "ERR Protocol error: too big bulk count string"),
])
def test_nul_stall_ends_in_the_too_big_error(prefix: bytes, error: str) -> None:
    """A stalled line (NUL before its end) fails as Redis does once 64 KiB are pending."""
    filler = b"\r\n" * (INLINE_MAX_SIZE // 2 + 1)
    for make in PARSERS.values():
        p = make()
        assert p.feed(prefix) == []
        assert p.error is None
        p.feed(filler)
        assert p.error == error


def test_every_offset_of_a_mixed_pipeline() -> None:
    data = (multibulk([b"SET", b"k", b"a\r\nb"]) + b"PING\r\n" + b'ECHO "x\\ty"\n'
            + multibulk([b""]) + b"*0\r\n*-1\r\n" + multibulk([b"GET", b"k"]))
    expected = [[b"SET", b"k", b"a\r\nb"], [b"PING"], [b"ECHO", b"x\ty"], [b""], [b"GET", b"k"]]
    for cut in range(len(data) + 1):
        for cut2 in (cut, cut + 3, cut + 11):
            assert check_all_ways(data, [cut, cut2]) == (expected, None)


def test_counter_counts() -> None:
    before = RUNS["inputs"]
    check_all_ways(b"PING\r\n", [2])
    assert RUNS["inputs"] == before + 1


# -- optional: coverage-guided fuzzing with atheris ---------------------------------------

def atheris_one_input(data: bytes) -> None:
    """The checks above for one atheris input: the first byte chooses the split points."""
    if not data:
        return
    step = data[0] or 1
    body = data[1:INLINE_MAX_SIZE]
    check_all_ways(body, list(range(step, len(body), step)))


if __name__ == "__main__":  # pragma: no cover - needs atheris (pip install atheris)
    import atheris  # type: ignore[import-not-found]
    atheris.instrument_all()  # coverage of the parser's Python code guides the mutations
    atheris.Setup(sys.argv, atheris_one_input)
    atheris.Fuzz()
