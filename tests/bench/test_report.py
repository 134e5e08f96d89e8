"""The report's arithmetic on made-up cells: deltas, ratios, medians, FAILED marks."""

from pathlib import Path

from bench.charts import write_fanout_charts
from bench.fanout import FanoutBench
from bench.fanout_cell import FanoutCell, FanoutConfig
from bench.report import RunRecord, render

TARGETS = ["damselfly-batch", "damselfly-nobatch", "redis"]
CONFIG = FanoutConfig(pipelines=(1, 10), repeat=3)


def cell(target: str, pipeline: int, repeat: int, pubs: float, per_delivery: float, ok: bool = True) -> FanoutCell:
    return FanoutCell(
        target=target, pipeline=pipeline, repeat=repeat, ok=ok, error="" if ok else "delivered 1 != published 2 x 10",
        publishes_per_s=pubs, deliveries_per_s=pubs * 10, syscalls_per_delivery=per_delivery,
        syscalls_per_publish=per_delivery * 10, server_cpu_pct=50.0, syscall_source="perf",
        perf_writes=100, info_writes=101,
    )


def bench_with_cells(tmp_path: Path) -> FanoutBench:
    bench = FanoutBench(CONFIG, TARGETS, use_perf=True, out_dir=tmp_path)
    for repeat, noise in ((1, 0.9), (2, 1.0), (3, 5.0)):
        bench.cells += [
            cell("damselfly-batch", 1, repeat, 1030 * noise, 0.76),
            cell("damselfly-nobatch", 1, repeat, 1000 * noise, 1.0),
            cell("redis", 1, repeat, 2060 * noise, 0.5),
            cell("damselfly-batch", 10, repeat, 11200 * noise, 0.032),
            cell("damselfly-nobatch", 10, repeat, 10000 * noise, 0.1),
            cell("redis", 10, repeat, 22400 * noise, 0.016),
        ]
    bench.cells.append(cell("redis", 10, 4, 1.0, 9.0, ok=False))
    return bench


def test_seed_table_uses_medians_of_batch_over_nobatch(tmp_path: Path) -> None:
    report = render(RunRecord(command="test", machine={"nproc": "2"}, fanout=bench_with_cells(tmp_path)))
    assert "| 1 | +3.0% | -24% |" in report
    assert "| 10 | +12% | -68% |" in report


def test_ratio_table_and_failed_cells(tmp_path: Path) -> None:
    report = render(RunRecord(command="test", machine={}, fanout=bench_with_cells(tmp_path)))
    assert "| 10 | 0.50x | 0.50x | 2.00x | 1.00x |" in report
    assert "| 10 | redis | 22,400 | 224,000 | 0.16 | 0.016 | 50 | 3/4 **FAILED** |" in report
    assert "- redis p=10 repeat 4: delivered 1 != published 2 x 10" in report
    assert "| damselfly-batch | 600 | 606 | 1.01x |" in report


def test_charts_have_a_file_per_metric(tmp_path: Path) -> None:
    bench = bench_with_cells(tmp_path)
    written = write_fanout_charts(bench.summary(), TARGETS, tmp_path)
    assert written == ["fanout_publishes.png", "fanout_syscalls.png"]
    for name in written:
        assert (tmp_path / name).read_bytes().startswith(b"\x89PNG")


def test_failed_record_flags_exit_status(tmp_path: Path) -> None:
    assert RunRecord(command="", machine={}, fanout=bench_with_cells(tmp_path)).failed()
    assert RunRecord(command="", machine={}, target_errors={"redis": "boom"}).failed()
    assert not RunRecord(command="", machine={}).failed()
