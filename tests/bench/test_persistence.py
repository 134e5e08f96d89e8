"""bench/persistence.py at a tiny size: both servers save, reload and are compared (no timing checked)."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("redis-check-rdb") is None, reason="redis-server not installed")
def test_runs_as_a_module_and_reports_ratios() -> None:
    run = subprocess.run([sys.executable, "-m", "bench.persistence", "--keys", "1500"], cwd=REPO_ROOT,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    for server in ("redis-server 7.0", "damselfly"):
        row = next(line for line in lines if line.startswith(server))
        assert row.split()[-1] == "1,500"  # DBSIZE after the restart on the dump
    ratios = lines[-1]
    assert ratios.startswith("damselfly / redis: SAVE ")
    for name in ("file size", "load (logged)", "ready", "empty start"):
        assert f", {name} " in ratios, ratios
    size_ratio = ratios.split("file size ")[1].split("x")[0]
    assert 0.5 < float(size_ratio) < 2, ratios  # a size, not a timing: both dumps hold the same keys
