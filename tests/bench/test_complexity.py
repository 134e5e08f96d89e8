"""bench/complexity.py at tiny sizes: the harness runs end to end (never how fast anything is)."""
import shutil

import pytest

from bench import complexity

needs_redis = pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server not installed")


def _rows(results_per_n: dict[int, float]) -> dict[int, dict[str, float]]:
    return {n: {op: t for op, _, _ in complexity.OPERATIONS} | {"rss_per_member": 1.0, "used_per_member": 1.0}
            for n, t in results_per_n.items()}


def test_report_flags_a_command_that_grows_faster_than_both_bounds(capsys: pytest.CaptureFixture[str]) -> None:
    flat = _rows({1000: 1.0, 1000000: 1.0})
    assert complexity.report({"damselfly": flat, "redis": flat}, [1000, 1000000]) == 0
    slow = _rows({1000: 1.0, 1000000: 1.0})
    slow[1000000]["LINDEX tail"] = 1.6  # O(1) expected, Redis flat: 1.6 > 1.5 x 1
    assert complexity.report({"damselfly": slow, "redis": flat}, [1000, 1000000]) == 1
    log = _rows({1000: 1.0, 1000000: 1.0})
    log[1000000]["ZRANK"] = 2.9  # within 1.5 x the log factor 2.0
    assert complexity.report({"damselfly": log, "redis": flat}, [1000, 1000000]) == 0
    assert "GROWS FASTER THAN EXPECTED" in capsys.readouterr().out


@needs_redis
def test_timing_mode_measures_every_command_at_every_size(capsys: pytest.CaptureFixture[str]) -> None:
    code = complexity.main(["--sizes", "150,600", "--ops", "200", "--depth", "10"])
    out = capsys.readouterr().out
    assert code in (0, 1), out  # 1 is a growth verdict, which tiny sizes make noisy
    for op, _, _ in complexity.OPERATIONS:
        for n in ("150", "600"):
            assert any(line.startswith(op) and f" {n} " in line for line in out.splitlines()), (op, n, out)
    assert "verdict:" in out


@needs_redis
def test_memory_mode_loads_each_type_on_a_fresh_server(capsys: pytest.CaptureFixture[str]) -> None:
    assert complexity.main(["--memory", "--members", "3000"]) == 0
    out = capsys.readouterr().out
    for kind in complexity.MEMORY_KINDS:
        assert sum(line.split()[:2] == [target, kind] for line in out.splitlines()
                   for target in complexity.TARGETS) == 2, out
        assert any(line.startswith(kind + " ") and line.endswith("x") for line in out.splitlines()), out
