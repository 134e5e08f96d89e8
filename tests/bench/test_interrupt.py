"""Ctrl-C during a run stops every server and load generator and keeps the partial results."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def children_of(pid: int) -> list[int]:
    """Every live descendant of `pid`, from /proc (no psutil needed)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                raw = fh.read()
        except OSError:
            continue
        fields = raw[raw.rindex(b")") + 2 :].split()
        if fields[0] != b"Z":
            parents[int(entry)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        kids = [child for child, ppid in parents.items() if ppid == parent]
        found += kids
        frontier += kids
    return found


def comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server not installed")
def test_sigint_stops_everything_and_writes_partial_report(tmp_path: Path) -> None:
    out = tmp_path / "run"
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench", "fanout", "--targets", "redis", "--duration", "30", "--repeat", "1",
         "--pipeline", "1", "--out", str(out)],
        cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        started: list[int] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            started = children_of(proc.pid)
            names = [comm(p) for p in started]
            if "redis-server" in names and sum(n.startswith("python") for n in names) >= 2:
                break
            time.sleep(0.2)
        assert "redis-server" in [comm(p) for p in started], "the run never started redis-server"
        time.sleep(1.0)
        started = children_of(proc.pid)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stderr.decode(errors="replace")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() for p in started):
        time.sleep(0.1)
    assert not [(p, comm(p)) for p in started if Path(f"/proc/{p}").exists()]
    results = json.loads((out / "results.json").read_text())
    assert results["interrupted"] is True
    assert "INTERRUPTED" in (out / "report.md").read_text()
