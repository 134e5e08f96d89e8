"""Memory per key: RSS growth while loading a known dataset.

Each (target, dataset) gets a fresh server, because RSS after an earlier
workload (freed but not returned to the OS) would blur the next figure. The
data goes in over one raw socket with pipelined MSET/HSET, which is fast
enough that loading a million keys takes seconds, not minutes.
"""

import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass

from bench.procstat import rss_bytes
from bench.progress import RunProgress
from bench.resp import RespConnection, RespError, encode_command
from bench.servers import ServerPool, ServerProcess, ServerStartError

SETTLE_SECONDS = 0.5


@dataclass(frozen=True)
class MemoryConfig:
    keys: int = 1_000_000
    hashes: int = 100_000
    fields: int = 10
    key_size: int = 16
    value_size: int = 32
    field_size: int = 8
    pairs_per_command: int = 100
    commands_per_write: int = 16


@dataclass
class MemoryRow:
    target: str
    dataset: str
    items: int
    rss_before: int | None = None
    rss_after: int | None = None
    bytes_per_item: float | None = None
    loaded_with: str = ""
    error: str = ""


def string_commands(config: MemoryConfig, use_mset: bool = True) -> Iterator[bytes]:
    """`keys` keys of key_size bytes with value_size-byte values, by MSET (or one SET each)."""
    key_fmt = b"k%0" + str(config.key_size - 1).encode() + b"d"
    value_fmt = b"%0" + str(config.value_size).encode() + b"d"
    if not use_mset:
        for i in range(config.keys):
            yield encode_command(b"SET", key_fmt % i, value_fmt % i)
        return
    for start in range(0, config.keys, config.pairs_per_command):
        args: list[bytes] = [b"MSET"]
        for i in range(start, min(start + config.pairs_per_command, config.keys)):
            args += [key_fmt % i, value_fmt % i]
        yield encode_command(*args)


def knows_command(conn: RespConnection, name: str) -> bool:
    """Call `name` with no arguments: an arity error means it exists, and nothing changes."""
    reply = conn.call(name)
    return not (isinstance(reply, RespError) and reply.message.startswith("ERR unknown command"))


def hash_commands(config: MemoryConfig) -> Iterator[bytes]:
    """One HSET per hash with `fields` fields (field_size-byte names, value_size-byte values)."""
    key_fmt = b"h%0" + str(config.key_size - 1).encode() + b"d"
    field_names = [(b"f%0" + str(config.field_size - 1).encode() + b"d") % j for j in range(config.fields)]
    value_fmt = b"%0" + str(config.value_size).encode() + b"d"
    for i in range(config.hashes):
        args: list[bytes] = [b"HSET", key_fmt % i]
        for j, name in enumerate(field_names):
            args += [name, value_fmt % (i * config.fields + j)]
        yield encode_command(*args)


def load(conn: RespConnection, commands: Iterator[bytes], per_write: int) -> str:
    """Send commands `per_write` at a time; return the first error reply, or ""."""
    batch: list[bytes] = []

    def flush() -> str:
        conn.send(b"".join(batch))
        replies = conn.read_replies(len(batch))
        batch.clear()
        for reply in replies:
            if isinstance(reply, RespError):
                return reply.message
        return ""

    for command in commands:
        batch.append(command)
        if len(batch) >= per_write:
            error = flush()
            if error:
                return error
    return flush() if batch else ""


class MemoryBench:
    """Strings then hashes, for each target, each on its own fresh server."""

    def __init__(self, config: MemoryConfig, targets: list[str]) -> None:
        self.config = config
        self.targets = targets
        self.rows: list[MemoryRow] = []

    def datasets(self) -> list[tuple[str, int]]:
        return [("strings", self.config.keys), ("hashes", self.config.hashes)]

    def run(self, pool: ServerPool, progress: RunProgress) -> None:
        progress.begin("memory", len(self.targets) * len(self.datasets()))
        for dataset, items in self.datasets():
            for target in self.targets:
                progress.step(f"{target} {items:,} {dataset}")
                row = MemoryRow(target=target, dataset=dataset, items=items)
                try:
                    server = pool.start_fresh(target)
                except ServerStartError as exc:
                    row.error = f"server failed: {str(exc).splitlines()[0]}"
                else:
                    try:
                        self._measure(server, row)
                    finally:
                        pool.release(server)
                self.rows.append(row)
                if row.error:
                    progress.note(f"  memory {target} {dataset}: n/a ({row.error[:120]})", style="yellow")
                progress.advance()

    def _measure(self, server: ServerProcess, row: MemoryRow) -> None:
        cfg = self.config
        time.sleep(SETTLE_SECONDS)
        row.rss_before = rss_bytes(server.pid)
        try:
            with RespConnection("127.0.0.1", server.port, timeout=120.0) as conn:
                if row.dataset == "strings":
                    use_mset = knows_command(conn, "MSET")
                    row.loaded_with = "MSET" if use_mset else "SET"
                    commands = string_commands(cfg, use_mset)
                    per_write = cfg.commands_per_write * (1 if use_mset else cfg.pairs_per_command)
                else:
                    row.loaded_with = "HSET"
                    commands, per_write = hash_commands(cfg), cfg.commands_per_write
                error = load(conn, commands, per_write)
                if not error:
                    size = conn.call("DBSIZE")
                    if isinstance(size, int) and size != row.items:
                        error = f"DBSIZE is {size}, expected {row.items}"
        except Exception as exc:  # the server under test may close or misbehave
            error = f"{type(exc).__name__}: {exc}"
        if error:
            row.error = error
            return
        time.sleep(SETTLE_SECONDS)
        row.rss_after = rss_bytes(server.pid)
        row.bytes_per_item = (row.rss_after - row.rss_before) / row.items

    def bytes_per_item(self, target: str, dataset: str) -> float | None:
        for row in self.rows:
            if row.target == target and row.dataset == dataset:
                return row.bytes_per_item
        return None

    def to_json(self) -> dict[str, object]:
        return {"config": asdict(self.config), "targets": self.targets, "rows": [asdict(r) for r in self.rows]}
