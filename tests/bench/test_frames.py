"""The subscriber's frame counting must be exact wherever the kernel splits the stream.

The fan-out correctness check (delivered == published x subscribers) relies on
it, so every split point of a small stream is tried, not a random sample.
"""

import pytest

from bench.frames import (
    FrameCounter,
    TimestampSampler,
    message_header,
    timestamped_payload,
)

CHANNEL = b"fanout"
PAYLOAD = 32


def frame(payload: bytes, channel: bytes = CHANNEL) -> bytes:
    return message_header(channel, len(payload)) + payload + b"\r\n"


def stream(stamps: list[int]) -> bytes:
    return b"".join(frame(timestamped_payload(PAYLOAD, s)) for s in stamps)


STAMPS = [1_000_000_000_000 + i * 7919 for i in range(5)]
DATA = stream(STAMPS)
HEADER = message_header(CHANNEL, PAYLOAD)


def test_header_is_what_redis_sends() -> None:
    assert HEADER == b"*3\r\n$7\r\nmessage\r\n$6\r\nfanout\r\n$32\r\n"
    assert frame(b"hello") == b"*3\r\n$7\r\nmessage\r\n$6\r\nfanout\r\n$5\r\nhello\r\n"


def test_count_whole_stream() -> None:
    counter = FrameCounter(HEADER)
    assert counter.feed(DATA) == len(STAMPS)
    assert counter.count == len(STAMPS)


@pytest.mark.parametrize("split", range(len(DATA) + 1))
def test_count_split_in_two_at_every_offset(split: int) -> None:
    counter = FrameCounter(HEADER)
    counter.feed(DATA[:split])
    counter.feed(DATA[split:])
    assert counter.count == len(STAMPS)


def test_count_split_in_three_at_every_pair_of_offsets() -> None:
    data = stream(STAMPS[:2])
    for i in range(len(data) + 1):
        for j in range(i, len(data) + 1):
            counter = FrameCounter(HEADER)
            for part in (data[:i], data[i:j], data[j:]):
                counter.feed(part)
            assert counter.count == 2, (i, j)


def test_count_one_byte_at_a_time() -> None:
    counter = FrameCounter(HEADER)
    for i in range(len(DATA)):
        counter.feed(DATA[i : i + 1])
    assert counter.count == len(STAMPS)


@pytest.mark.parametrize("split", range(0, len(DATA) + 1, 3))
def test_count_from_a_reused_receive_buffer(split: int) -> None:
    """recv_into fills the front of a big buffer; stale bytes after n must be ignored."""
    buf = bytearray(b"\xff" * 4096)
    buf[: len(HEADER)] = HEADER
    counter = FrameCounter(HEADER)
    for part in (DATA[:split], DATA[split:]):
        buf[: len(part)] = part
        counter.feed(buf, len(part))
        buf[: len(HEADER)] = HEADER
    assert counter.count == len(STAMPS)


def test_other_channels_and_lengths_are_not_counted() -> None:
    data = frame(b"x" * PAYLOAD, b"other!") + frame(b"x" * 31) + DATA
    counter = FrameCounter(HEADER)
    counter.feed(data)
    assert counter.count == len(STAMPS)


def test_marker_that_could_overlap_itself_is_refused() -> None:
    with pytest.raises(ValueError):
        FrameCounter(b"abab")


@pytest.mark.parametrize("split", range(len(DATA) + 1))
def test_timestamps_split_in_two_at_every_offset(split: int) -> None:
    sampler = TimestampSampler(HEADER)
    got = sampler.feed(DATA[:split]) + sampler.feed(DATA[split:])
    assert got == STAMPS


def test_timestamps_one_byte_at_a_time() -> None:
    sampler = TimestampSampler(HEADER)
    got: list[int] = []
    for i in range(len(DATA)):
        got += sampler.feed(DATA[i : i + 1])
    assert got == STAMPS


def test_timestamped_payload_has_the_requested_size() -> None:
    payload = timestamped_payload(PAYLOAD, 42)
    assert len(payload) == PAYLOAD
    assert payload.startswith(b"0" * 17 + b"42")
    with pytest.raises(ValueError):
        timestamped_payload(10)
