"""Data-path throughput with redis-benchmark, damselfly beside Redis.

redis-benchmark is Redis's own load generator, written in C, so it measures
the server rather than a Python client. Each (test, pipeline depth) runs as a
separate invocation: a command damselfly does not implement yet makes
redis-benchmark exit without a CSV row, and that becomes "n/a" for that one
test instead of losing the whole run. Targets are interleaved per test.
"""

import csv
import io
import shutil
import statistics
import subprocess
from dataclasses import asdict, dataclass, field

from bench.progress import RunProgress
from bench.servers import ServerPool, ServerStartError

DEFAULT_TESTS = ("get", "set", "incr", "lpush", "lpop", "sadd", "hset", "zadd", "mset")
QUICK_TESTS = ("get", "set")


@dataclass(frozen=True)
class DatapathConfig:
    requests: int = 100_000
    clients: int = 50
    tests: tuple[str, ...] = DEFAULT_TESTS
    pipelines: tuple[int, ...] = (1, 16)
    repeat: int = 1

    def timeout(self) -> float:
        """Generous: a slow Python server at 2k requests/s must still finish."""
        return max(60.0, self.requests / 2_000)


@dataclass
class DatapathRun:
    """One redis-benchmark invocation."""

    target: str
    test: str
    pipeline: int
    repeat: int
    rps: float | None
    error: str = ""


@dataclass
class DatapathRow:
    """Median requests/s per target for one (test, pipeline), and the ratio."""

    test: str
    pipeline: int
    rps: dict[str, float | None]
    errors: dict[str, str] = field(default_factory=dict)


def parse_csv(text: str, test: str) -> float | None:
    """The rps of `test` in redis-benchmark --csv output (names like "MSET (10 keys)")."""
    for row in csv.DictReader(io.StringIO(text)):
        name = (row.get("test") or "").split(" ")[0].lower()
        if name == test.lower():
            try:
                return float(row["rps"])
            except (KeyError, ValueError):
                return None
    return None


def run_redis_benchmark(port: int, test: str, pipeline: int, config: DatapathConfig) -> tuple[float | None, str]:
    """Run one test; return (requests/s, "") or (None, why)."""
    argv = [
        "redis-benchmark", "-h", "127.0.0.1", "-p", str(port),
        "-c", str(config.clients), "-n", str(config.requests),
        "-t", test, "-P", str(pipeline), "--csv",
    ]
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=config.timeout())
    except subprocess.TimeoutExpired:
        return None, f"redis-benchmark timed out after {config.timeout():.0f} s"
    rps = parse_csv(proc.stdout, test)
    if rps is not None and proc.returncode == 0:
        return rps, ""
    lines = [ln.strip() for ln in (proc.stderr + proc.stdout).splitlines() if ln.strip() and not ln.startswith('"')]
    return None, (lines[-1] if lines else f"redis-benchmark exited with {proc.returncode}")[:200]


class DatapathBench:
    """Collects runs as they finish, so an interrupted run still reports them."""

    def __init__(self, config: DatapathConfig, targets: list[str]) -> None:
        self.config = config
        self.targets = targets
        self.runs: list[DatapathRun] = []
        self.skipped = "" if shutil.which("redis-benchmark") else "redis-benchmark not found on PATH"

    def run(self, pool: ServerPool, progress: RunProgress) -> None:
        cfg = self.config
        if self.skipped:
            progress.note(f"data path skipped: {self.skipped}", style="yellow")
            return
        progress.begin("data path", cfg.repeat * len(cfg.pipelines) * len(cfg.tests) * len(self.targets))
        for repeat in range(1, cfg.repeat + 1):
            for pipeline in cfg.pipelines:
                for test in cfg.tests:
                    for target in self.targets:
                        progress.step(f"{target} {test} -P {pipeline}")
                        try:
                            server = pool.get(target)
                            rps, error = run_redis_benchmark(server.port, test, pipeline, cfg)
                        except ServerStartError as exc:
                            rps, error = None, f"server failed: {str(exc).splitlines()[0]}"
                        self.runs.append(DatapathRun(target, test, pipeline, repeat, rps, error))
                        progress.advance()

    def rows(self) -> list[DatapathRow]:
        rows = []
        for pipeline in self.config.pipelines:
            for test in self.config.tests:
                row = DatapathRow(test=test, pipeline=pipeline, rps={})
                for target in self.targets:
                    mine = [r for r in self.runs if (r.target, r.test, r.pipeline) == (target, test, pipeline)]
                    values = [r.rps for r in mine if r.rps is not None]
                    row.rps[target] = statistics.median(values) if values else None
                    if not values and mine:
                        row.errors[target] = mine[-1].error
                rows.append(row)
        return rows

    def to_json(self) -> dict[str, object]:
        return {
            "config": asdict(self.config),
            "targets": self.targets,
            "skipped": self.skipped,
            "runs": [asdict(r) for r in self.runs],
            "summary": [asdict(r) for r in self.rows()],
        }
