"""The seed's experiment: pub/sub fan-out across pipeline depths and targets.

Targets are interleaved within each pipeline depth (A, B, C, A, B, C ...) and
the repeats form the outer loop, so slow drift on a noisy machine spreads
over every target instead of favouring whichever ran first; the summary takes
medians over repeats. Each target's server is started once per run and kept
across its cells (see ServerPool for why).
"""

import os
import statistics
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.fanout_cell import FanoutCell, FanoutConfig, run_cell
from bench.progress import RunProgress
from bench.servers import ServerPool, ServerStartError

SATURATION = 0.90


@dataclass
class FanoutSummary:
    """Medians over the successful repeats of one (target, pipeline)."""

    target: str
    pipeline: int
    ok_repeats: int
    failed_repeats: int
    publishes_per_s: float | None
    deliveries_per_s: float | None
    syscalls_per_publish: float | None
    syscalls_per_delivery: float | None
    server_cpu_pct: float | None
    latency_p50_us: float | None
    latency_p99_us: float | None
    errors: list[str]


def _median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


class FanoutBench:
    """Runs the cells and keeps them as they finish, so an interrupted run still reports."""

    def __init__(self, config: FanoutConfig, targets: list[str], use_perf: bool, out_dir: Path) -> None:
        self.config = config
        self.targets = targets
        self.use_perf = use_perf
        self.out_dir = out_dir
        self.cells: list[FanoutCell] = []

    def run(self, pool: ServerPool, progress: RunProgress) -> None:
        cfg = self.config
        progress.begin("fan-out", cfg.repeat * len(cfg.pipelines) * len(self.targets))
        for repeat in range(1, cfg.repeat + 1):
            for pipeline in cfg.pipelines:
                for target in self.targets:
                    progress.step(f"{target} p={pipeline} repeat {repeat}/{cfg.repeat}")
                    try:
                        server = pool.get(target)
                    except ServerStartError as exc:
                        cell = FanoutCell(target, pipeline, repeat, error=f"server failed: {exc}")
                    else:
                        cell = run_cell(server, cfg, pipeline, repeat, self.use_perf, self.out_dir / "perf")
                    self.cells.append(cell)
                    progress.note(cell_line(cell), style=None if cell.ok else "red")
                    progress.advance()

    def summary(self) -> list[FanoutSummary]:
        """Medians over repeats; a failed repeat is left out of the medians but counted."""
        rows = []
        for target in self.targets:
            for pipeline in self.config.pipelines:
                mine = [c for c in self.cells if c.target == target and c.pipeline == pipeline]
                good = [c for c in mine if c.ok]
                rows.append(
                    FanoutSummary(
                        target=target,
                        pipeline=pipeline,
                        ok_repeats=len(good),
                        failed_repeats=len(mine) - len(good),
                        publishes_per_s=_median([c.publishes_per_s for c in good]),
                        deliveries_per_s=_median([c.deliveries_per_s for c in good]),
                        syscalls_per_publish=_median([c.syscalls_per_publish for c in good]),
                        syscalls_per_delivery=_median([c.syscalls_per_delivery for c in good]),
                        server_cpu_pct=_median([c.server_cpu_pct for c in good]),
                        latency_p50_us=_median([c.latency["p50_ns"] / 1e3 for c in good if "p50_ns" in c.latency]),
                        latency_p99_us=_median([c.latency["p99_ns"] / 1e3 for c in good if "p99_ns" in c.latency]),
                        errors=sorted({c.error.splitlines()[0] for c in mine if c.error}),
                    )
                )
        return rows

    def syscall_source(self) -> str:
        """What the syscall figures come from, as the report should label them."""
        sources = {c.syscall_source for c in self.cells if c.ok}
        if sources == {"perf"}:
            return "perf"
        if sources == {"INFO counter"}:
            return "INFO counter"
        if not sources:
            return "perf" if self.use_perf else "INFO counter"
        return "mixed: " + ", ".join(sorted(sources))

    def warnings(self) -> list[str]:
        """Where a load generator, or the whole machine, was the bottleneck."""
        worst: dict[tuple[str, int, str], float] = {}
        for cell in self.cells:
            for role, pct in cell.loadgen_cpu_pct.items():
                if pct > SATURATION * 100:
                    key = (cell.target, cell.pipeline, role.split("-")[0])
                    worst[key] = max(worst.get(key, 0.0), pct)
        warnings = [
            f"{role} process saturated ({pct:.0f}% of one core) at {target} p={pipeline}: "
            "the load generator, not the server, may limit this cell"
            for (target, pipeline, role), pct in sorted(worst.items())
        ]
        cores = os.cpu_count() or 1
        busy = [
            c for c in self.cells
            if c.ok and c.server_cpu_pct + sum(c.loadgen_cpu_pct.values()) > SATURATION * 100 * cores
        ]
        if busy:
            warnings.append(
                f"{len(busy)} of {len(self.cells)} fan-out cells kept all {cores} cores over "
                f"{SATURATION:.0%} busy (server + load generators): absolute figures are bounded by "
                "contention on this machine; the ratios between targets are the robust result"
            )
        notes = sorted({c.note for c in self.cells if c.note})
        return warnings + notes

    def to_json(self) -> dict[str, object]:
        return {
            "config": self.config.to_json(),
            "targets": self.targets,
            "syscall_source": self.syscall_source(),
            "cells": [asdict(c) for c in self.cells],
            "summary": [asdict(s) for s in self.summary()],
            "warnings": self.warnings(),
        }


def cell_line(cell: FanoutCell) -> str:
    """One progress line per finished cell."""
    head = f"  {cell.target:<18} p={cell.pipeline:<4} r={cell.repeat} "
    if not cell.ok:
        return head + f"FAILED: {cell.error}"
    per_delivery = "n/a" if cell.syscalls_per_delivery is None else f"{cell.syscalls_per_delivery:.4f}"
    line = (
        head
        + f"{cell.publishes_per_s:>10,.0f} pub/s {cell.deliveries_per_s:>12,.0f} deliv/s "
        + f"writes/delivery {per_delivery} cpu {cell.server_cpu_pct:.0f}%"
    )
    if "p50_ns" in cell.latency:
        line += f" latency p50 {cell.latency['p50_ns'] / 1e3:.0f}us p99 {cell.latency['p99_ns'] / 1e3:.0f}us"
    return line
