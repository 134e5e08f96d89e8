"""Count pub/sub frames in a byte stream without parsing it.

A subscriber process that parsed every RESP frame in Python would saturate
long before the server does (millions of deliveries per second at high
pipeline depth). Every `message` frame for our channel starts with the same
header, `*3\r\n$7\r\nmessage\r\n$<n>\r\n<channel>\r\n$<len>\r\n`, so counting
occurrences of that header with `bytearray.count` (C speed, no copies) gives
the delivery count. The only subtlety is a header split across two reads,
which `FrameCounter` handles by looking at the seam separately.
"""

import time

TIMESTAMP_DIGITS = 19


def message_header(channel: bytes, payload_len: int) -> bytes:
    """The fixed RESP2 prefix of every `message` push for `channel`."""
    return b"*3\r\n$7\r\nmessage\r\n$%d\r\n%s\r\n$%d\r\n" % (len(channel), channel, payload_len)


def _has_border(marker: bytes) -> bool:
    """True if a proper prefix of `marker` is also a suffix (so matches could overlap)."""
    return any(marker[:k] == marker[-k:] for k in range(1, len(marker)))


class FrameCounter:
    """Counts non-overlapping occurrences of `marker` across arbitrary chunks.

    Occurrences inside a chunk are counted by `count(marker, 0, n)`. One that
    straddles the seam must start in the last len(marker)-1 bytes of the stream
    so far and end in the first len(marker)-1 bytes of the new chunk; that
    small window cannot hold a whole occurrence on either side, so nothing is
    counted twice.
    """

    __slots__ = ("marker", "_keep", "_tail", "count")

    def __init__(self, marker: bytes) -> None:
        if len(marker) < 2 or _has_border(marker):
            raise ValueError("marker must be at least 2 bytes and unable to overlap itself")
        self.marker = marker
        self._keep = len(marker) - 1
        self._tail = b""
        self.count = 0

    def feed(self, data: bytes | bytearray, n: int | None = None) -> int:
        """Account for the first `n` bytes of `data`; return how many markers ended in them."""
        if n is None:
            n = len(data)
        if n == 0:
            return 0
        found = data.count(self.marker, 0, n)
        keep = self._keep
        if self._tail:
            found += (self._tail + bytes(data[: min(keep, n)])).count(self.marker)
        if n >= keep:
            self._tail = bytes(data[n - keep : n])
        else:
            self._tail = (self._tail + bytes(data[:n]))[-keep:]
        self.count += found
        return found


def timestamped_payload(size: int, now_ns: int | None = None) -> bytes:
    """A payload of `size` bytes that starts with a 19-digit monotonic_ns stamp.

    time.monotonic_ns reads CLOCK_MONOTONIC, which is shared by every process
    on the machine, so the subscriber process can subtract it from its own
    clock to get publish-to-delivery latency.
    """
    if size < TIMESTAMP_DIGITS:
        raise ValueError(f"payload must be at least {TIMESTAMP_DIGITS} bytes to carry a timestamp")
    stamp = b"%019d" % (time.monotonic_ns() if now_ns is None else now_ns)
    return stamp + b"x" * (size - TIMESTAMP_DIGITS)


class TimestampSampler:
    """Extracts the timestamp that follows each header in one connection's stream.

    Used on a single subscriber connection at pipeline depth 1, where the rate
    is low enough for a Python-level scan. A frame is reported exactly once,
    when the chunk holding the last digit of its timestamp arrives.
    """

    __slots__ = ("header", "_span", "_tail")

    def __init__(self, header: bytes) -> None:
        self.header = header
        self._span = len(header) + TIMESTAMP_DIGITS
        self._tail = b""

    def feed(self, data: bytes) -> list[int]:
        """Return the timestamps completed by `data`, in stream order."""
        buf = self._tail + data
        seam = len(self._tail)
        header, span = self.header, self._span
        stamps: list[int] = []
        pos = buf.find(header)
        while pos >= 0:
            end = pos + span
            if end > len(buf):
                break
            if end > seam:
                digits = buf[end - TIMESTAMP_DIGITS : end]
                if digits.isdigit():
                    stamps.append(int(digits))
            pos = buf.find(header, pos + len(header))
        self._tail = buf[-(span - 1) :] if span > 1 else b""
        return stamps
