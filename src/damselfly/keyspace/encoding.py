"""What TYPE and OBJECT ENCODING report for a stored value, for every family.

Each family stores its own Python class and registers it once, at import::

    register_type(HashValue, "hash", lambda v: "listpack" if v.small else "hashtable")

so generic commands (TYPE, OBJECT ENCODING, SCAN ... TYPE, COPY) work for all
types without knowing them. Strings are ``bytes`` and built in: Redis reports
``int`` for a canonical 64-bit integer text of up to 20 bytes, ``embstr`` up
to 44 bytes and ``raw`` above, as its ``tryObjectEncoding`` decides when a
string is stored by SET-like commands.

Some commands store strings without that step, so their encoding is not the
one the bytes imply: APPEND and SETRANGE (and SETBIT, PFADD...) leave a
``raw`` string even when short, INCRBYFLOAT an ``embstr`` even when the text
is an integer. The value alone cannot say so (it must stay plain ``bytes``),
so :func:`force_encoding` records the exception per key in
``db.str_encodings`` together with the value object itself: any later write
of a new object under that key makes the record stale (the identity no longer
matches), and ``Database.set``/``delete``/expiry drop it.
"""
from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:  # pragma: no cover
    from .database import Database

EMBSTR_SIZE_LIMIT = 44  # OBJ_ENCODING_EMBSTR_SIZE_LIMIT
_INT64_MAX = 2**63 - 1
_INT64_MIN = -(2**63)


class TypeInfo:
    """How one Python class of stored value presents itself to generic commands."""

    __slots__ = ("name", "encoding", "copy")

    def __init__(self, name: str, encoding: Callable[[Any], str], copier: Callable[[Any], Any]) -> None:
        self.name = name
        self.encoding = encoding
        self.copy = copier


def is_int_text(value: bytes) -> bool:
    """True when ``value`` is the canonical text of a signed 64-bit integer (Redis's ``string2l``)."""
    n = len(value)
    if n == 0 or n > 20:
        return False
    if value.isdigit():
        return (value[0] != 48 or n == 1) and int(value) <= _INT64_MAX
    return (n > 1 and value[0] == 45 and value[1] != 48 and value[1:].isdigit()
            and int(value) >= _INT64_MIN)


def string_encoding(value: bytes) -> str:
    """The encoding ``tryObjectEncoding`` gives a stored string."""
    if len(value) <= 20 and is_int_text(value):
        return "int"
    return "embstr" if len(value) <= EMBSTR_SIZE_LIMIT else "raw"


def created_encoding(value: bytes) -> str:
    """The encoding of a string created without ``tryObjectEncoding`` (``createStringObject``)."""
    return "embstr" if len(value) <= EMBSTR_SIZE_LIMIT else "raw"


_REGISTRY: dict[type, TypeInfo] = {
    bytes: TypeInfo("string", string_encoding, lambda v: v),
}


def register_type(pytype: type, type_name: str, encoding_fn: Callable[[Any], str],
                  copy_fn: Callable[[Any], Any] | None = None) -> None:
    """Declare a family's value class: its TYPE name, OBJECT ENCODING, and COPY duplicate.

    ``copy_fn`` returns an independent value for COPY; the default is
    :func:`copy.deepcopy`, correct for containers of bytes but slower than a
    family's own copy.
    """
    _REGISTRY[pytype] = TypeInfo(type_name, encoding_fn, copy_fn or copy.deepcopy)


def _info(value: Any) -> TypeInfo:
    info = _REGISTRY.get(type(value))
    if info is None:
        raise LookupError(f"value type {type(value).__name__} was never registered "
                          "with keyspace.encoding.register_type")
    return info


def type_name_of(value: Any) -> str:
    """TYPE's answer for a live value (``string``, ``list``, ``hash``...)."""
    if type(value) is bytes:
        return "string"
    return _info(value).name


def encoding_of(value: Any) -> str:
    """OBJECT ENCODING for a value, ignoring per-key exceptions (see :func:`key_encoding`)."""
    return _info(value).encoding(value)


def key_encoding(db: "Database", key: bytes, value: Any) -> str:
    """OBJECT ENCODING for the value stored at ``key``, per-key exceptions included."""
    if type(value) is bytes and db.str_encodings:
        forced = db.str_encodings.get(key)
        if forced is not None and forced[0] is value:
            return forced[1]
    return encoding_of(value)


def force_encoding(db: "Database", key: bytes, value: bytes, encoding: str) -> None:
    """Record that the string just stored at ``key`` has ``encoding`` whatever its bytes say."""
    if encoding == string_encoding(value):
        if db.str_encodings:
            db.str_encodings.pop(key, None)
    else:
        db.str_encodings[key] = (value, encoding)


def mark_raw(db: "Database", key: bytes, value: bytes) -> None:
    """The string at ``key`` was modified in place (APPEND, SETRANGE, SETBIT...): Redis reports ``raw``."""
    force_encoding(db, key, value, "raw")


def copy_value(value: Any) -> Any:
    """An independent duplicate of a stored value (COPY)."""
    if type(value) is bytes:
        return value
    return _info(value).copy(value)


__all__ = ["EMBSTR_SIZE_LIMIT", "TypeInfo", "copy_value", "created_encoding", "encoding_of",
           "force_encoding", "is_int_text", "key_encoding", "mark_raw", "register_type",
           "string_encoding", "type_name_of"]
