"""Uniform random picks from a dict or set without an O(n) copy per call.

Python's ``dict`` and ``set`` have no random access, so SRANDMEMBER, SPOP
and HRANDFIELD would otherwise copy every member into a sequence on each
call. A container keeps a *pool*: a tuple of its members, built once (O(n))
and kept while the container only shrinks, because the pool is then still a
superset of the live members. A pick draws a random pool slot and retries if
that member has been removed since (rejection sampling, still uniform over
the live members). Any addition drops the pool; the pool is rebuilt when the
dead slots reach half of it, so a draw takes at most two tries on average and
a run of SPOPs costs O(1) amortized per pop.

The trade-off: the pool costs 8 bytes per member while it exists, and the
first pick after an addition pays the O(n) rebuild (measured ~4 ms per
100,000 members). Random reads on a container that is also being added to
between every pick stay O(n) each, as they would with ``random.sample(list(...))``.
"""
from __future__ import annotations

import random
from typing import Any, Collection

_rand = random.random


def fresh_pool(members: Collection[Any], pool: tuple | None) -> tuple:
    """The pool to draw from: ``pool`` if still dense enough, else a rebuilt one."""
    if pool is None or len(pool) > 2 * len(members):
        return tuple(members)
    return pool


def exact_pool(members: Collection[Any], pool: tuple | None) -> tuple:
    """A pool with no dead slots (for picks that need distinct or repeated draws)."""
    if pool is None or len(pool) != len(members):
        return tuple(members)
    return pool


def pick_one(members: Collection[Any], pool: tuple) -> Any:
    """One uniformly random live member (``members`` must not be empty)."""
    n = len(pool)
    while True:
        m = pool[int(_rand() * n)]
        if m in members:
            return m
