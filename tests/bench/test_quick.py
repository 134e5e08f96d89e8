"""End-to-end: the harness in --quick mode against real servers.

These check that the harness works (servers start and stop, reports and
charts appear, the delivery check passes), never how fast anything is: the
machine is shared and noisy, so no test here compares a timing.
"""

import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
RUN_TIMEOUT = 300


def run_bench(*args: str, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench", *args, "--out", str(out)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
    )


def load_results(out: Path) -> dict[str, Any]:
    results: dict[str, Any] = json.loads((out / "results.json").read_text())
    return results


def damselfly_pubsub_missing() -> str:
    """Why the damselfly end-to-end test cannot run yet, or "" if it can.

    The server is being written alongside the harness: the test turns itself
    on once `python -m damselfly` starts and knows SUBSCRIBE.
    """
    env = {"PYTHONPATH": str(REPO_ROOT / "src")}
    probe = subprocess.run(
        [sys.executable, "-m", "damselfly", "--help"], capture_output=True, cwd=REPO_ROOT, timeout=60, env=env
    )
    if probe.returncode != 0:
        return "python -m damselfly --help fails: the server does not exist yet"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "damselfly", "--port", str(port), "--bind", "127.0.0.1", "--save", ""],
        cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                return f"damselfly exited at startup with code {proc.returncode}"
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=2) as conn:
                    conn.sendall(b"*2\r\n$9\r\nSUBSCRIBE\r\n$5\r\nprobe\r\n")
                    reply = conn.recv(256)
                break
            except OSError:
                time.sleep(0.1)
        else:
            return "damselfly did not accept connections within 10 s"
    finally:
        proc.terminate()
        proc.wait(10)
    if not reply.startswith(b"*3\r\n$9\r\nsubscribe"):
        return f"damselfly does not support SUBSCRIBE yet ({reply[:60]!r})"
    return ""


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server not installed")
def test_quick_run_against_redis(tmp_path: Path) -> None:
    out = tmp_path / "run"
    proc = run_bench("all", "--quick", "--targets", "redis", out=out)
    assert proc.returncode == 0, proc.stdout + proc.stderr

    for name in ("report.md", "results.json", "fanout_publishes.png", "fanout_syscalls.png"):
        assert (out / name).stat().st_size > 0, name
    results = load_results(out)
    cells = results["fanout"]["cells"]
    assert [c["pipeline"] for c in cells] == [1, 10]
    for cell in cells:
        assert cell["ok"], cell["error"]
        assert cell["published"] > 0
        assert cell["delivered"] == cell["published"] * results["fanout"]["config"]["subscribers"]
        assert cell["syscalls_per_delivery"] > 0
    assert cells[0]["latency"]["samples"] > 0
    assert all(row["rps"]["redis"] for row in results["datapath"]["summary"])
    assert all(row["bytes_per_item"] > 0 for row in results["memory"]["rows"])

    report = (out / "report.md").read_text()
    assert "| PIPELINE | RPS Δ | SYSCALLS Δ |" in report
    assert "FAILED" not in report
    assert not any(out.glob("servers/*/dump.rdb")), "persistence must be off"


def test_quick_run_with_damselfly_targets(tmp_path: Path) -> None:
    """Batching on and off (redis is covered above); skipped until damselfly has pub/sub."""
    missing = damselfly_pubsub_missing()
    if missing:
        pytest.skip(missing)
    out = tmp_path / "run"
    proc = run_bench("all", "--quick", "--targets", "damselfly-batch,damselfly-nobatch", out=out)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = load_results(out)
    assert results["target_errors"] == {}
    subscribers = results["fanout"]["config"]["subscribers"]
    for cell in results["fanout"]["cells"]:
        assert cell["ok"], (cell["target"], cell["pipeline"], cell["error"])
        assert cell["delivered"] == cell["published"] * subscribers
    seed_table = (out / "report.md").read_text().split("| PIPELINE | RPS Δ | SYSCALLS Δ |")[1].split("\n\n")[0]
    assert "n/a" not in seed_table
