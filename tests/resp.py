"""Test helpers: raw sockets and a reader that returns one reply's exact bytes."""
from __future__ import annotations

import socket
import time
from typing import Any

import hiredis


class RawConnection:
    """A plain TCP connection that sends raw bytes and reads whole RESP frames."""

    def __init__(self, host: str, port: int, timeout: float = 5.0) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def command(self, *args: bytes | str | int) -> bytes:
        """Send one multibulk command and return the raw bytes of its reply."""
        self.send(encode_command(*args))
        return self.read_reply()

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed by server")
        self.buf += chunk

    def _line_end(self, pos: int) -> int:
        while True:
            i = self.buf.find(b"\r\n", pos)
            if i >= 0:
                return i
            self._fill()

    def _frame_end(self, pos: int) -> int:
        end = self._line_end(pos)
        kind = self.buf[pos:pos + 1]
        head = self.buf[pos + 1:end]
        nxt = end + 2
        if kind in (b"$", b"=", b"!"):
            n = int(head)
            if n < 0:
                return nxt
            while len(self.buf) < nxt + n + 2:
                self._fill()
            return nxt + n + 2
        if kind in (b"*", b">", b"~", b"%", b"|"):
            n = int(head)
            if n < 0:
                return nxt
            if kind in (b"%", b"|"):
                n *= 2
            for _ in range(n):
                nxt = self._frame_end(nxt)
            return nxt
        return nxt

    def read_reply(self) -> bytes:
        """The exact bytes of the next complete reply."""
        if not self.buf:
            self._fill()
        end = self._frame_end(0)
        frame, self.buf = self.buf[:end], self.buf[end:]
        return frame

    def read_all(self, wait: float = 0.2) -> bytes:
        """Whatever arrives within ``wait`` seconds (for connections the server closes)."""
        self.sock.settimeout(wait)
        deadline = time.monotonic() + wait
        try:
            while time.monotonic() < deadline:
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                self.buf += chunk
        except (socket.timeout, ConnectionResetError):
            pass
        data, self.buf = self.buf, b""
        return data

    def is_closed(self, wait: float = 1.0) -> bool:
        self.sock.settimeout(wait)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True
        if data:
            self.buf += data
            return self.is_closed(wait)
        return True

    def close(self) -> None:
        self.sock.close()


def encode_command(*args: bytes | str | int) -> bytes:
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, int):
            a = str(a)
        if isinstance(a, str):
            a = a.encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(parts)


def parse_reply(frame: bytes) -> Any:
    """One whole reply frame as hiredis reads it (for comparing by value or by shape)."""
    reader = hiredis.Reader()
    reader.feed(frame)
    return reader.gets()
