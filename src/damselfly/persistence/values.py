"""Between stored values and the neutral forms the RDB codec speaks.

The codec knows five kinds: ``string`` (bytes), ``list`` (a sequence of
bytes), ``set`` (members), ``hash`` ((field, value) pairs) and ``zset``
((member, score) pairs). Stored values are the families' own classes,
recognised through the :mod:`~damselfly.keyspace.encoding` registry by their
TYPE name, so this module is the only place that knows both sides. When a
family's class is not importable yet, its kind is refused with a clear error
rather than guessed.
"""
from __future__ import annotations

from typing import Any, Iterable


class UnsupportedValue(TypeError):
    """A value damselfly cannot store or serialise (its family is missing)."""


_KINDS: dict[type, str] = {bytes: "string"}


def _zset_class() -> Any:
    try:
        from ..types.zset import ZSet
    except ImportError:
        return None
    return ZSet


def _known_classes() -> None:
    from .. import types
    for name, kind in (("List", "list"), ("Set", "set"), ("Hash", "hash")):
        cls = getattr(types, name, None)
        if cls is not None:
            _KINDS[cls] = kind
    zset = _zset_class()
    if zset is not None:
        _KINDS[zset] = "zset"


def kind_of(value: Any) -> str:
    """The codec kind of a stored value (its TYPE name)."""
    kind = _KINDS.get(type(value))
    if kind is None:
        _known_classes()
        kind = _KINDS.get(type(value))
        if kind is None:
            try:
                from ..keyspace.encoding import type_name_of
                kind = type_name_of(value)
            except LookupError:
                raise UnsupportedValue(f"cannot serialise a {type(value).__name__}") from None
    return kind


def zset_items(value: Any) -> Iterable[tuple[bytes, float]]:
    """(member, score) pairs of a stored sorted set, lowest score first.

    A :class:`~damselfly.types.zset.ZSet` keeps ``order``, a sorted list of
    ``(score, member)``.
    """
    order = getattr(value, "order", None)
    if order is None:
        raise UnsupportedValue(f"cannot read the members of a {type(value).__name__}")
    return [(member, score) for score, member in order]


def _limit(config: Any, name: str, default: int) -> int:
    return getattr(config, name, default)


def build(kind: str, payload: Any, config: Any) -> Any:
    """A stored value from a neutral one, with the encoding Redis would give it on load."""
    if kind == "string":
        return payload
    if kind == "list":
        from ..types import List
        return List(payload)
    if kind == "set":
        from ..types import Set
        return Set(payload, _limit(config, "set_max_intset_entries", 512))
    if kind == "hash":
        from ..types import Hash
        return Hash(payload, _limit(config, "hash_max_listpack_entries", 128),
                    _limit(config, "hash_max_listpack_value", 64))
    if kind == "zset":
        return _build_zset(payload, config)
    raise UnsupportedValue(f"{kind} values are not supported")


def _build_zset(pairs: list[tuple[bytes, float]], config: Any) -> Any:
    """Redis loads every sorted set as a skiplist, then converts it to a listpack if it fits."""
    zset_class = _zset_class()
    if zset_class is None:
        raise UnsupportedValue("sorted sets are not supported yet (no ZSet class)")
    zset = zset_class(listpack=False)
    for member, score in pairs:
        zset.insert(member, score, 0, 0)
    zset.fit_listpack(_limit(config, "zset_max_listpack_entries", 128),
                      _limit(config, "zset_max_listpack_value", 64))
    return zset
