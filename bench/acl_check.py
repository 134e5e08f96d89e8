"""Cost of the ACL permission check in ``dispatch.execute``: GET k1, in-process, no sockets.

Usage: python bench/acl_check.py

Prints the best per-call time of interleaved rounds for the default user
(unrestricted: one attribute test), a user with one command removed, a user
with two key patterns and a user with read/write key patterns.
"""
from __future__ import annotations

import time

from damselfly.app import build_state
from damselfly.client import Client
from damselfly.commands.dispatch import execute
from damselfly.config import Config

USERS = {
    "restricted_cmds": [b"on", b"nopass", b"+@all", b"-flushall", b"~*", b"&*"],
    "key_patterns": [b"on", b"nopass", b"+@all", b"~k*", b"~user:*", b"&*"],
    "rw_patterns": [b"on", b"nopass", b"+@all", b"%R~r*", b"%W~w*", b"~k*", b"&*"],
}


def main() -> None:
    state = build_state(Config())
    acl = state.extensions["acl"]
    for name, rules in USERS.items():
        acl.set_user(None, name.encode(), rules)
    state.keyspace.dbs[0].set(b"k1", b"v")
    argv = [b"GET", b"k1"]

    def bench(user: str | None, n: int = 100_000) -> float:
        client = Client(state.next_client_id(), state, None)
        if user:
            client.acl_user = acl.users[user.encode()]
        start = time.perf_counter()
        for _ in range(n):
            execute(client, argv)
        return (time.perf_counter() - start) / n

    names = [None, *USERS]
    best = {name: float("inf") for name in names}
    for _ in range(9):
        for name in names:
            best[name] = min(best[name], bench(name))
    for name in names:
        print(f"{name or 'default':16s} {best[name] * 1e9:7.0f} ns/GET")


if __name__ == "__main__":
    main()
