"""bench/publish.py: the README's Benchmarks section is rendered from the runs in docs/bench/."""

import json
from pathlib import Path

from bench import publish
from bench.fanout import FanoutBench
from bench.fanout_cell import FanoutConfig
from bench.report import RunRecord

from .test_report import TARGETS, bench_with_cells, cell


def _run(bench: FanoutBench) -> dict:
    record = RunRecord(command="python -m bench fanout", machine={"date": "2026-11-29", "nproc": "2"}, fanout=bench)
    return json.loads(json.dumps(record.to_json()))  # as read back from results.json


def test_readme_section_matches_the_published_runs() -> None:
    readme = publish.README.read_text(encoding="utf-8")
    assert publish.START in readme and publish.END in readme
    assert publish.replace_section(readme, publish.render(publish.load())) == readme, (
        "README.md's Benchmarks section does not match docs/bench/: run "
        "`python -m bench.publish <run dirs>` rather than editing figures by hand")


def test_seed_table_rows_and_ratio_to_redis(tmp_path: Path) -> None:
    text = publish.render([("run", _run(bench_with_cells(tmp_path)))])
    # medians: batch 1030 / nobatch 1000 pub/s, 0.76 / 1.0 writes per delivery; Redis 2060 and 0.5
    assert "| 1 | +3% | -24% | 1,030 | 2,060 | 0.50x | 0.76 | 0.5 |" in text
    assert "| 10 | +12% | -68% | 11,200 | 22,400 | 0.50x | 0.032 | 0.016 |" in text
    assert text.startswith(publish.START) and text.endswith(publish.END)


def test_a_single_depth_run_is_a_wide_fanout_row(tmp_path: Path) -> None:
    wide = FanoutBench(FanoutConfig(subscribers=1000, pipelines=(100,), repeat=1), TARGETS, use_perf=True,
                       out_dir=tmp_path)
    wide.cells += [cell("damselfly-batch", 100, 1, 500, 0.001), cell("damselfly-nobatch", 100, 1, 100, 1.0),
                   cell("redis", 100, 1, 250, 0.002)]
    text = publish.render([("wide", _run(wide))])
    assert "| 1,000 | 5,000 | 1,000 | 2,500 | 2.00x | 0.001 | 0.002 |" in text
    assert "### Pub/Sub fan-out" not in text  # one depth: no seed table


def test_replace_section_keeps_the_rest() -> None:
    readme = f"intro\n{publish.START}\nold\n{publish.END}\noutro\n"
    assert publish.replace_section(readme, f"{publish.START}\nnew\n{publish.END}") == (
        f"intro\n{publish.START}\nnew\n{publish.END}\noutro\n")
