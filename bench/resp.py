"""A tiny blocking RESP2 client over a raw socket.

The harness talks to every target the same way, without redis-py, so that the
bytes on the wire are exactly the ones we chose and a half-finished server can
be probed (PING, INFO) without a client library tripping over an unexpected
reply shape.
"""

import socket
from dataclasses import dataclass


@dataclass(frozen=True)
class RespError:
    """An error reply (`-ERR ...`), kept as a value so callers can report it."""

    message: str


Reply = bytes | int | list["Reply"] | RespError | None


class ProtocolError(Exception):
    """The server sent bytes that are not RESP2, or closed the connection."""


def encode_command(*args: bytes | str | int) -> bytes:
    """Encode one command as a RESP multibulk request."""
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        if isinstance(arg, int):
            data = b"%d" % arg
        elif isinstance(arg, str):
            data = arg.encode()
        else:
            data = arg
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


class RespConnection:
    """One blocking connection; enough for probes, INFO and bulk loading."""

    def __init__(self, host: str, port: int, timeout: float = 10.0) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._buf = bytearray()
        self._pos = 0

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> "RespConnection":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def call(self, *args: bytes | str | int) -> Reply:
        """Send one command and return its parsed reply."""
        self.send(encode_command(*args))
        return self.read_reply()

    def read_replies(self, count: int) -> list[Reply]:
        """Read `count` replies, e.g. after a pipelined write."""
        return [self.read_reply() for _ in range(count)]

    def read_reply(self) -> Reply:
        line = self._read_line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return bytes(rest)
        if kind == b"-":
            return RespError(rest.decode(errors="replace"))
        if kind == b":":
            return int(rest)
        if kind == b"$":
            length = int(rest)
            if length < 0:
                return None
            data = self._read_exact(length + 2)
            return data[:-2]
        if kind == b"*":
            length = int(rest)
            if length < 0:
                return None
            return [self.read_reply() for _ in range(length)]
        raise ProtocolError(f"unexpected reply line {bytes(line)[:60]!r}")

    def _fill(self) -> None:
        if self._pos:
            del self._buf[: self._pos]
            self._pos = 0
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ProtocolError("connection closed by server")
        self._buf += chunk

    def _read_line(self) -> bytes:
        while True:
            end = self._buf.find(b"\r\n", self._pos)
            if end >= 0:
                line = bytes(self._buf[self._pos : end])
                self._pos = end + 2
                return line
            self._fill()

    def _read_exact(self, size: int) -> bytes:
        while len(self._buf) - self._pos < size:
            self._fill()
        data = bytes(self._buf[self._pos : self._pos + size])
        self._pos += size
        return data


def parse_info(text: bytes) -> dict[str, str]:
    """Turn an INFO bulk reply into a flat field -> value mapping."""
    fields: dict[str, str] = {}
    for raw in text.decode(errors="replace").splitlines():
        if not raw or raw.startswith("#") or ":" not in raw:
            continue
        key, _, value = raw.partition(":")
        fields[key.strip()] = value.strip()
    return fields
