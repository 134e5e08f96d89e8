"""Smoke test of bench/startup.py: tiny counts, and no timing is compared (the machine is shared)."""
from __future__ import annotations

import re
import shutil

import pytest

from bench import startup


def test_startup_bench_runs_every_target_and_ignores_a_dump_in_the_cwd(tmp_path, monkeypatch, capsys) -> None:
    # Servers started with Redis's default `dir .` would load this and refuse to start.
    (tmp_path / "dump.rdb").write_bytes(b"REDIS0009 not a dump")
    monkeypatch.chdir(tmp_path)
    assert startup.main(["--repeat", "1", "--fresh", "1"]) == 0
    table = capsys.readouterr().out.strip().splitlines()
    assert table[0].startswith("| target | import | first start")
    rows = {row.split(" | ")[0].lstrip("| "): row for row in table[2:]}
    expected = ["damselfly-thread", "damselfly-process"]
    expected += ["redis-server"] if shutil.which("redis-server") else []
    expected += ["fakeredis"] if "fakeredis" in startup.available_targets() else []
    assert list(rows) == [startup.LABELS[name] for name in expected]
    for name in expected:
        cells = rows[startup.LABELS[name]].strip("| ").split(" | ")[1:]
        assert all(re.fullmatch(r"\d+\.\d ms", cell) for cell in cells[1:]), cells  # first, median, p90
        assert (cells[0] == "n/a") == (name == "redis-server")  # import timed for Python targets


def test_one_fresh_start_and_unknown_targets(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    run = startup.one_fresh_start("damselfly-thread")
    assert run["import_s"] is not None and run["first_s"] is not None and run["first_s"] > 0
    with pytest.raises(SystemExit):
        startup.main(["--targets", "nope"])
