"""Reply values and the RESP2/RESP3 encoder.

Handlers return plain Python values; this module is the only place that
knows how each is written on the wire and how RESP3 types are downgraded for
RESP2 clients (as Redis's ``networking.c`` does):

==================  ==================  =====================================
value               RESP3               RESP2
==================  ==================  =====================================
``bytes``/``str``   ``$`` bulk          same
``int``             ``:`` integer       same
``bool``            ``#t``/``#f``       ``:1``/``:0``
``float``           ``,`` double        ``$`` bulk (``%.17g``, ``inf``)
``None``            ``_`` null          ``$-1`` null bulk
``NULL_ARRAY``      ``_`` null          ``*-1`` null array
``list``/``tuple``  ``*`` array         same
``dict``            ``%`` map           flat ``*`` array of key, value
``set``/SetReply    ``~`` set           ``*`` array
``Push``            ``>`` push          ``*`` array
``Simple``          ``+`` status        same
``CommandError``    ``-`` error         same
``BigNumber``       ``(`` big number    ``$`` bulk
``Verbatim``        ``=`` verbatim      ``$`` bulk of the text only
``Raw``             the bytes as given  same
``Pairs``           ``*`` of ``*2``     one flat ``*`` array (WITHSCORES)
``Replies``         each item in turn   same (no header: several replies)
==================  ==================  =====================================
"""
from __future__ import annotations

from typing import Any, Callable

from ..errors import CommandError


class Simple(str):
    """A status reply (``+OK``)."""

    __slots__ = ()


class Raw(bytes):
    """Bytes already encoded, identical for both protocol versions."""

    __slots__ = ()


class Push(list):
    """An out-of-band push (pub/sub messages, invalidations, MONITOR in RESP3)."""

    __slots__ = ()


class Replies(list):
    """Several consecutive replies to one command, written with no array header.

    SUBSCRIBE a b c answers one confirmation per channel; inside EXEC the
    items follow the EXEC array header exactly as Redis writes them.
    """

    __slots__ = ()


class Pairs(list):
    """``(a, b)`` tuples: RESP3 an array of 2-element arrays, RESP2 one flat array.

    Redis answers ZRANGE ... WITHSCORES (and every other WITHSCORES reply) so:
    nested pairs keep the order that a RESP3 map would not promise.
    """

    __slots__ = ()


class SetReply(list):
    """A RESP3 set whose members are given in a chosen order."""

    __slots__ = ()


class BigNumber(int):
    __slots__ = ()


class Verbatim:
    """A verbatim string with a 3-letter format (``txt``, ``mkd``)."""

    __slots__ = ("fmt", "text")

    def __init__(self, text: bytes, fmt: bytes = b"txt") -> None:
        self.fmt = fmt
        self.text = text


class _NullArray:
    __slots__ = ()

    def __repr__(self) -> str:
        return "NULL_ARRAY"


NULL_ARRAY = _NullArray()

OK = Raw(b"+OK\r\n")
PONG = Raw(b"+PONG\r\n")
QUEUED = Raw(b"+QUEUED\r\n")
EMPTY_ARRAY = Raw(b"*0\r\n")
ZERO = Raw(b":0\r\n")
ONE = Raw(b":1\r\n")

_CRLF = b"\r\n"


def format_double(value: float) -> bytes:
    """Redis 7.0's ``addReplyDouble`` text: ``%.17g``, and ``inf``/``-inf``."""
    if value != value:
        return b"nan"
    if value in (float("inf"), float("-inf")):
        return b"inf" if value > 0 else b"-inf"
    return b"%.17g" % value


def _bulk(v: bytes, out: list[bytes]) -> None:
    if len(v) < 16384:
        out.append(b"$%d\r\n%s\r\n" % (len(v), v))
    else:  # avoid copying a large value into a formatted string
        out.append(b"$%d\r\n" % len(v))
        out.append(v)
        out.append(_CRLF)


def _error_bytes(err: CommandError) -> bytes:
    # Redis turns newlines in error texts into spaces so the frame stays valid.
    text = err.message.replace("\r", " ").replace("\n", " ")
    try:  # surrogateescape: an argument echoed in the text goes back out as the raw bytes sent
        data = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        data = text.encode("utf-8", "replace")
    return b"-" + data + _CRLF


def _make_encoder(resp3: bool) -> Callable[[Any, list[bytes]], None]:
    """Build the recursive encoder for one protocol version.

    A closure per version avoids testing the version at every value; the
    lookup table maps exact types, so subclasses (Simple, Raw, Push...) get
    their own rows.
    """
    table: dict[type, Callable[[Any, list[bytes]], None]] = {}

    def enc(v: Any, out: list[bytes]) -> None:
        fn = table.get(type(v))
        if fn is None:
            fn = _lookup(type(v))
        fn(v, out)

    def _lookup(t: type) -> Callable[[Any, list[bytes]], None]:
        for base, fn in table.items():
            if issubclass(t, base) and base not in (int, list, bytes, str):
                return fn
        for base in (bool, int, bytes, str, list, tuple, dict, set, frozenset):
            if issubclass(t, base):
                return table[base]
        if issubclass(t, CommandError):
            return table[CommandError]
        raise TypeError(f"cannot encode reply of type {t.__name__}")

    def e_bytes(v: bytes, out: list[bytes]) -> None:
        _bulk(v, out)

    def e_str(v: str, out: list[bytes]) -> None:
        _bulk(v.encode("utf-8"), out)

    def e_simple(v: str, out: list[bytes]) -> None:
        out.append(b"+" + v.encode("utf-8") + _CRLF)

    def e_int(v: int, out: list[bytes]) -> None:
        out.append(b":%d\r\n" % v)

    def e_raw(v: bytes, out: list[bytes]) -> None:
        out.append(v)

    def e_error(v: CommandError, out: list[bytes]) -> None:
        out.append(_error_bytes(v))

    def e_array(v: list, out: list[bytes]) -> None:
        out.append(b"*%d\r\n" % len(v))
        for item in v:
            enc(item, out)

    def e_list_of_bytes_fast(v: list, out: list[bytes]) -> None:
        # Most arrays are flat lists of bytes (MGET, LRANGE, KEYS): one pass.
        parts = [b"*%d\r\n" % len(v)]
        for item in v:
            if type(item) is bytes and len(item) < 16384:
                parts.append(b"$%d\r\n%s\r\n" % (len(item), item))
            else:
                out.extend(parts)
                parts = []
                enc(item, out)
        out.extend(parts)

    if resp3:
        def e_none(v: None, out: list[bytes]) -> None:
            out.append(b"_\r\n")

        e_null_array = e_none

        def e_bool(v: bool, out: list[bytes]) -> None:
            out.append(b"#t\r\n" if v else b"#f\r\n")

        def e_float(v: float, out: list[bytes]) -> None:
            out.append(b"," + format_double(v) + _CRLF)

        def e_map(v: dict, out: list[bytes]) -> None:
            out.append(b"%%%d\r\n" % len(v))
            for k, val in v.items():
                enc(k, out)
                enc(val, out)

        def e_set(v: Any, out: list[bytes]) -> None:
            out.append(b"~%d\r\n" % len(v))
            for item in v:
                enc(item, out)

        def e_push(v: list, out: list[bytes]) -> None:
            out.append(b">%d\r\n" % len(v))
            for item in v:
                enc(item, out)

        def e_big(v: int, out: list[bytes]) -> None:
            out.append(b"(%d\r\n" % v)

        def e_verbatim(v: Verbatim, out: list[bytes]) -> None:
            body = v.fmt + b":" + v.text
            out.append(b"=%d\r\n%s\r\n" % (len(body), body))
    else:
        def e_none(v: None, out: list[bytes]) -> None:
            out.append(b"$-1\r\n")

        def e_null_array(v: Any, out: list[bytes]) -> None:
            out.append(b"*-1\r\n")

        def e_bool(v: bool, out: list[bytes]) -> None:
            out.append(b":1\r\n" if v else b":0\r\n")

        def e_float(v: float, out: list[bytes]) -> None:
            _bulk(format_double(v), out)

        def e_map(v: dict, out: list[bytes]) -> None:
            out.append(b"*%d\r\n" % (2 * len(v)))
            for k, val in v.items():
                enc(k, out)
                enc(val, out)

        e_set = e_array
        e_push = e_array

        def e_big(v: int, out: list[bytes]) -> None:
            _bulk(b"%d" % v, out)

        def e_verbatim(v: Verbatim, out: list[bytes]) -> None:
            _bulk(v.text, out)

    def e_replies(v: list, out: list[bytes]) -> None:
        for item in v:
            enc(item, out)

    table[Replies] = e_replies
    if resp3:
        def e_pairs(v: list, out: list[bytes]) -> None:
            out.append(b"*%d\r\n" % len(v))
            for a, b in v:
                out.append(b"*2\r\n")
                if type(a) is bytes and len(a) < 16384:
                    out.append(b"$%d\r\n%s\r\n" % (len(a), a))
                else:
                    enc(a, out)
                enc(b, out)
    else:
        def e_pairs(v: list, out: list[bytes]) -> None:
            out.append(b"*%d\r\n" % (2 * len(v)))
            for a, b in v:
                if type(a) is bytes and len(a) < 16384:
                    out.append(b"$%d\r\n%s\r\n" % (len(a), a))
                else:
                    enc(a, out)
                enc(b, out)

    table[Pairs] = e_pairs
    table.update({
        bytes: e_bytes, str: e_str, Simple: e_simple, int: e_int, bool: e_bool,
        float: e_float, type(None): e_none, _NullArray: e_null_array,
        list: e_list_of_bytes_fast, tuple: e_array, dict: e_map, set: e_set,
        frozenset: e_set, SetReply: e_set, Push: e_push, BigNumber: e_big,
        Verbatim: e_verbatim, Raw: e_raw, CommandError: e_error,
        bytearray: lambda v, out: _bulk(bytes(v), out),
    })
    return enc


encode_into_resp2 = _make_encoder(False)
encode_into_resp3 = _make_encoder(True)


def encode(value: Any, resp: int = 2) -> bytes:
    """Encode one reply value to bytes for protocol version ``resp`` (2 or 3)."""
    out: list[bytes] = []
    (encode_into_resp3 if resp == 3 else encode_into_resp2)(value, out)
    return b"".join(out)


def encoder_for(resp: int) -> Callable[[Any, list[bytes]], None]:
    return encode_into_resp3 if resp == 3 else encode_into_resp2
