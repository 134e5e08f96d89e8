"""Uniform random picks from a dict or set without an O(n) copy per call.

Python's ``dict`` and ``set`` have no random access, so SRANDMEMBER, SPOP
and HRANDFIELD would otherwise copy every member into a sequence on each
call. A container keeps a *pool* (its ``pool`` slot): a tuple of its
members, built once (O(n)) and kept while the container only shrinks,
because the pool is then still a superset of the live members. A pick draws
a random pool slot and retries if that member has been removed since
(rejection sampling, still uniform over the live members). Any addition
drops the pool; the pool is rebuilt when the dead slots reach half of it, so
a draw takes at most two tries on average and a run of SPOPs costs O(1)
amortized per pop.

The trade-off: the pool costs 8 bytes per member while it exists, and the
first pick after an addition pays the O(n) rebuild (about 4 ms per 100,000
members). Random reads on a container that is also grown between every
pick stay O(n) each, as they would with ``random.sample(list(...))``.
"""
from __future__ import annotations

import random
from typing import Any

_rand = random.random


def _pool(container: Any) -> tuple:
    """The container's pool, rebuilt if missing or more than half dead."""
    pool = container.pool
    if pool is None or len(pool) > 2 * len(container):
        pool = container.pool = tuple(container)
    return pool


def pick(container: Any) -> Any:
    """One uniformly random live member (``container`` must not be empty)."""
    pool = _pool(container)
    n = len(pool)
    while True:
        m = pool[int(_rand() * n)]
        if m in container:
            return m


def picks(container: Any, count: int) -> list[Any]:
    """``count`` independent uniform draws (repetitions allowed: negative counts)."""
    pool = _pool(container)
    if len(pool) == len(container):
        return random.choices(pool, k=count)
    n = len(pool)
    out = []
    for _ in range(count):
        while True:
            m = pool[int(_rand() * n)]
            if m in container:
                out.append(m)
                break
    return out


def distinct(container: Any, count: int) -> list[Any]:
    """``count`` different members in random order (``count`` below the size)."""
    if count * 3 <= len(container):
        # few of many: draw until enough different ones (Redis's CASE 4)
        chosen: dict[Any, None] = {}
        while len(chosen) < count:
            chosen[pick(container)] = None
        return list(chosen)
    pool = container.pool
    if pool is None or len(pool) != len(container):
        pool = container.pool = tuple(container)
    return random.sample(pool, count)
