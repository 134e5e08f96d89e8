"""Server lifecycle: a broken target is reported, the others still run, nothing is left behind."""

import shutil
import sys
from pathlib import Path

import pytest

from bench import servers
from bench.fanout import FanoutBench
from bench.fanout_cell import FanoutConfig
from bench.servers import ServerPool, ServerStartError, TargetSpec

QUICK = FanoutConfig(subscribers=2, publishers=1, pipelines=(1,), duration=0.2, repeat=1)


class SilentProgress:
    def begin(self, phase: str, total: int) -> None: ...
    def step(self, description: str) -> None: ...
    def advance(self) -> None: ...
    def note(self, message: str, style: str | None = None) -> None: ...


@pytest.fixture
def broken_target(monkeypatch: pytest.MonkeyPatch) -> str:
    spec = TargetSpec(
        "broken", "exits at once", lambda port: [sys.executable, "-c", "print('no such server'); raise SystemExit(3)"]
    )
    monkeypatch.setitem(servers.TARGETS, "broken", spec)
    return "broken"


def test_start_failure_is_recorded_with_the_server_output(tmp_path: Path, broken_target: str) -> None:
    with ServerPool(tmp_path) as pool:
        with pytest.raises(ServerStartError, match="exited with code 3"):
            pool.get(broken_target)
        with pytest.raises(ServerStartError):
            pool.get(broken_target)
        assert "no such server" in pool.errors[broken_target]


def test_missing_executable_is_a_start_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = TargetSpec("ghost", "not installed", lambda port: ["/nonexistent/server"])
    monkeypatch.setitem(servers.TARGETS, "ghost", spec)
    with ServerPool(tmp_path) as pool, pytest.raises(ServerStartError, match="cannot execute"):
        pool.get("ghost")


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server not installed")
def test_broken_target_fails_its_cells_and_the_rest_runs(tmp_path: Path, broken_target: str) -> None:
    bench = FanoutBench(QUICK, [broken_target, "redis"], use_perf=False, out_dir=tmp_path)
    with ServerPool(tmp_path) as pool:
        bench.run(pool, SilentProgress())  # type: ignore[arg-type]
        redis_pid = pool.get("redis").pid
    by_target = {c.target: c for c in bench.cells}
    assert not by_target["broken"].ok
    assert "server failed" in by_target["broken"].error
    assert by_target["redis"].ok, by_target["redis"].error
    assert by_target["redis"].syscall_source == "INFO counter"
    assert not Path(f"/proc/{redis_pid}").exists(), "the pool must stop its servers"
