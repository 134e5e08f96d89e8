"""Render report.md and results.json from whatever phases ran.

The report leads with the seed's own table (batching on vs off, as deltas)
so the two can be compared line by line, then gives the absolute figures and
the ratios to Redis measured in the same run, which is what keeps the deltas
honest: a big improvement over a slow baseline is still slow.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

from bench.datapath import DatapathBench
from bench.fanout import FanoutBench, FanoutSummary
from bench.memory import MemoryBench

BATCH, NOBATCH, REDIS = "damselfly-batch", "damselfly-nobatch", "redis"
SOURCE_NOTES = {
    "perf": "perf stat: write + writev + sendto + sendmsg tracepoints on the server process",
    "INFO counter": "the server's own INFO total_writes_processed; perf was not available",
}


@dataclass
class RunRecord:
    """Everything one invocation produced; phases that did not run stay None."""

    command: str
    machine: dict[str, str]
    fanout: FanoutBench | None = None
    datapath: DatapathBench | None = None
    memory: MemoryBench | None = None
    target_errors: dict[str, str] = field(default_factory=dict)
    interrupted: bool = False
    charts: list[str] = field(default_factory=list)

    def failed(self) -> bool:
        """True if any fan-out cell failed or any target could not start."""
        if self.target_errors:
            return True
        return bool(self.fanout and any(not c.ok for c in self.fanout.cells))

    def to_json(self) -> dict[str, object]:
        return {
            "command": self.command,
            "machine": self.machine,
            "interrupted": self.interrupted,
            "target_errors": self.target_errors,
            "fanout": self.fanout.to_json() if self.fanout else None,
            "datapath": self.datapath.to_json() if self.datapath else None,
            "memory": self.memory.to_json() if self.memory else None,
            "charts": self.charts,
        }


def write_outputs(out_dir: Path, record: RunRecord) -> Path:
    """Write results.json and report.md; return the report's path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "results.json").write_text(json.dumps(record.to_json(), indent=2) + "\n")
    report = out_dir / "report.md"
    report.write_text(render(record))
    return report


def _num(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.{digits}f}"


def _sig(value: float | None) -> str:
    """Small ratios such as syscalls per delivery: 4 significant digits."""
    if value is None:
        return "n/a"
    return f"{value:.4g}"


def _delta(new: float | None, old: float | None) -> str:
    if new is None or old is None or old == 0:
        return "n/a"
    change = (new / old - 1) * 100
    if abs(change) < 10:
        return f"{change:+.1f}%"
    if -100 < change < -99.5:
        return f"{change:+.2f}%"
    return f"{change:+.0f}%"


def _ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b == 0:
        return "n/a"
    return f"{a / b:.2f}x"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def render(record: RunRecord) -> str:
    lines = ["# damselfly benchmark report", ""]
    lines.append(f"Command: `{record.command}`  ")
    lines.append("Status: " + ("**INTERRUPTED**, partial results" if record.interrupted else "complete"))
    lines += ["", "## Machine", ""]
    lines += _table(["", ""], [[k, v] for k, v in record.machine.items()])
    if record.fanout:
        lines += _render_fanout(record.fanout, record.charts)
    if record.datapath:
        lines += _render_datapath(record.datapath)
    if record.memory:
        lines += _render_memory(record.memory)
    warnings = record.fanout.warnings() if record.fanout else []
    lines += ["", "## Warnings", ""]
    lines += [f"- {w}" for w in warnings] or ["- none"]
    if record.target_errors:
        lines += ["", "## Targets that failed", ""]
        for name, error in record.target_errors.items():
            lines += [f"**{name}**", "", "```", error.strip(), "```", ""]
    return "\n".join(lines).rstrip() + "\n"


def _by_key(summary: list[FanoutSummary]) -> dict[tuple[str, int], FanoutSummary]:
    return {(s.target, s.pipeline): s for s in summary}


def _render_fanout(bench: FanoutBench, charts: list[str]) -> list[str]:
    cfg = bench.config
    summary = bench.summary()
    rows = _by_key(summary)
    source = bench.syscall_source()
    lines = [
        "",
        "## Fan-out (pub/sub)",
        "",
        f"{cfg.subscribers} subscribers on one channel, {cfg.publishers} publishers "
        f"({len(cfg.publisher_groups())} processes), {cfg.payload}-byte payload, "
        f"{cfg.duration:g} s per cell, median of {cfg.repeat} repeat(s), targets interleaved per cell. "
        f"Write syscalls counted with **{source}** ({SOURCE_NOTES.get(source, 'see results.json')}).",
        "",
        "### Batching on vs off (the seed's table)",
        "",
        "RPS = publishes/s; SYSCALLS = server write syscalls per delivered message; "
        f"{BATCH} relative to {NOBATCH}.",
        "",
    ]
    if BATCH not in bench.targets or NOBATCH not in bench.targets:
        lines += [f"n/a below: needs both {BATCH} and {NOBATCH} in --targets.", ""]
    seed_rows = [
        [
            str(p),
            _delta(_get(rows, BATCH, p, "publishes_per_s"), _get(rows, NOBATCH, p, "publishes_per_s")),
            _delta(_get(rows, BATCH, p, "syscalls_per_delivery"), _get(rows, NOBATCH, p, "syscalls_per_delivery")),
        ]
        for p in cfg.pipelines
    ]
    lines += _table(["PIPELINE", "RPS Δ", "SYSCALLS Δ"], seed_rows)
    lines += ["", "### Absolute figures (medians)", ""]
    lines += _table(
        [
            "PIPELINE", "TARGET", "PUBLISHES/S", "DELIVERIES/S",
            "WRITES/PUBLISH", "WRITES/DELIVERY", "SERVER CPU %", "RUNS OK",
        ],
        [
            [
                str(s.pipeline),
                s.target,
                _num(s.publishes_per_s),
                _num(s.deliveries_per_s),
                _sig(s.syscalls_per_publish),
                _sig(s.syscalls_per_delivery),
                _num(s.server_cpu_pct),
                f"{s.ok_repeats}/{s.ok_repeats + s.failed_repeats}"
                + ("" if not s.failed_repeats else " **FAILED**"),
            ]
            for p in cfg.pipelines
            for s in summary
            if s.pipeline == p
        ],
    )
    if BATCH in bench.targets and REDIS in bench.targets:
        lines += ["", f"### {BATCH} / {REDIS}", "", "Above 1.00x means damselfly has more of it.", ""]
        lines += _table(
            ["PIPELINE", "PUBLISHES/S", "DELIVERIES/S", "WRITES/DELIVERY", "SERVER CPU %"],
            [
                [str(p)]
                + [
                    _ratio(_get(rows, BATCH, p, metric), _get(rows, REDIS, p, metric))
                    for metric in ("publishes_per_s", "deliveries_per_s", "syscalls_per_delivery", "server_cpu_pct")
                ]
                for p in cfg.pipelines
            ],
        )
    latency = [s for s in summary if s.latency_p50_us is not None]
    if latency:
        lines += [
            "",
            "### Publish-to-delivery latency at pipeline 1",
            "",
            "Timestamp (CLOCK_MONOTONIC) written into the payload by the publisher, read on one "
            "subscriber connection; includes the load generators' own scheduling delay.",
            "",
        ]
        lines += _table(
            ["TARGET", "p50 µs", "p99 µs"],
            [[s.target, _num(s.latency_p50_us), _num(s.latency_p99_us)] for s in latency],
        )
    lines += _render_crosscheck(bench)
    failed = [c for c in bench.cells if not c.ok]
    if failed:
        lines += ["", "### FAILED cells", ""]
        lines += [f"- {c.target} p={c.pipeline} repeat {c.repeat}: {c.error.splitlines()[0]}" for c in failed]
    if charts:
        lines += [""] + [f"![{name}]({name})" for name in charts]
    return lines


def _get(rows: dict[tuple[str, int], FanoutSummary], target: str, pipeline: int, metric: str) -> float | None:
    row = rows.get((target, pipeline))
    return None if row is None else getattr(row, metric)


def _render_crosscheck(bench: FanoutBench) -> list[str]:
    """perf against the server's own INFO total_writes_processed, summed per target."""
    table = []
    for target in bench.targets:
        cells = [c for c in bench.cells if c.ok and c.perf_writes is not None]
        cells = [c for c in cells if c.target == target]
        if not cells:
            continue
        perf_total = sum(c.perf_writes or 0 for c in cells)
        info_cells = [c for c in cells if c.info_writes is not None]
        info_total = sum(c.info_writes or 0 for c in info_cells)
        table.append(
            [
                target,
                _num(perf_total),
                _num(info_total) if info_cells else "n/a",
                _ratio(info_total, perf_total) if info_cells else "n/a",
            ]
        )
    if not table:
        return []
    return [
        "",
        "### Cross-check: perf against INFO total_writes_processed",
        "",
        "The server's own counter should track the syscalls perf saw (close to 1.00x).",
        "",
        *_table(["TARGET", "PERF WRITES", "INFO WRITES", "INFO / PERF"], table),
    ]


def _render_datapath(bench: DatapathBench) -> list[str]:
    cfg = bench.config
    lines = [
        "",
        "## Data path (redis-benchmark)",
        "",
        f"`redis-benchmark -c {cfg.clients} -n {cfg.requests} -t <test> -P <depth>`, one invocation per cell, "
        f"targets interleaved, median of {cfg.repeat} repeat(s). n/a = the target returned an error "
        "(for example, a command not implemented yet).",
        "",
    ]
    if bench.skipped:
        return lines + [f"Skipped: {bench.skipped}."]
    targets = bench.targets
    header = ["TEST", "-P"] + [f"{t} rps" for t in targets]
    ratio = BATCH in targets and REDIS in targets
    if ratio:
        header.append(f"{BATCH} / {REDIS}")
    rows = []
    errors: list[str] = []
    for row in bench.rows():
        cells = [row.test.upper(), str(row.pipeline)] + [_num(row.rps.get(t)) for t in targets]
        if ratio:
            cells.append(_ratio(row.rps.get(BATCH), row.rps.get(REDIS)))
        rows.append(cells)
        errors += [f"- {t} {row.test.upper()} -P {row.pipeline}: {e}" for t, e in row.errors.items()]
    lines += _table(header, rows)
    if errors:
        lines += ["", "Errors behind the n/a cells:", ""] + errors
    return lines


def _render_memory(bench: MemoryBench) -> list[str]:
    cfg = bench.config
    lines = [
        "",
        "## Memory",
        "",
        f"RSS (VmRSS) growth of a fresh server while loading {cfg.keys:,} string keys "
        f"({cfg.key_size}-byte names, {cfg.value_size}-byte values) and {cfg.hashes:,} hashes of "
        f"{cfg.fields} fields ({cfg.field_size}-byte field names, {cfg.value_size}-byte values, HSET). "
        "Strings are loaded with MSET, or SET where a target does not have MSET.",
        "",
    ]
    rows = [
        [
            r.dataset,
            f"{r.items:,}",
            r.target,
            _num(r.rss_before / 2**20, 1) if r.rss_before is not None else "n/a",
            _num(r.rss_after / 2**20, 1) if r.rss_after is not None else "n/a",
            _num(r.bytes_per_item),
            r.loaded_with or "n/a",
        ]
        for r in bench.rows
    ]
    lines += _table(
        ["DATASET", "ITEMS", "TARGET", "RSS BEFORE MiB", "RSS AFTER MiB", "BYTES / ITEM", "LOADED WITH"], rows
    )
    errors = [f"- {r.target} {r.dataset}: {r.error[:160]}" for r in bench.rows if r.error]
    if errors:
        lines += ["", "Errors behind the n/a cells:", ""] + errors
    damselfly = next((t for t in bench.targets if t.startswith("damselfly")), None)
    if damselfly and REDIS in bench.targets:
        lines += [""]
        for dataset, _ in bench.datasets():
            ratio = _ratio(bench.bytes_per_item(damselfly, dataset), bench.bytes_per_item(REDIS, dataset))
            lines.append(f"- {dataset}: {damselfly} / {REDIS} bytes per item = {ratio}")
    return lines
