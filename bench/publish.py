"""Put benchmark results into the README: ``python -m bench.publish RUN_DIR [RUN_DIR ...]``.

Each RUN_DIR is an output directory of ``python -m bench`` (its
``results.json`` and charts). The results and charts are copied to
``docs/bench/`` and the README's "Benchmarks" section, between the
``<!-- bench:start -->`` and ``<!-- bench:end -->`` markers, is rewritten from
them. The section is rendered from the copied JSON alone, so every figure in
the README comes from a recorded run, and ``tests/bench/test_publish.py``
fails when the README no longer matches the files in ``docs/bench/``.

Runs are listed in ``docs/bench/index.json`` in the order given: the first
run with S subscribers and several pipeline depths is "the seed's table"; a
run with one pipeline depth is a wide fan-out row; every run with data-path
results gets its own table (each names its redis-benchmark command line), and
memory comes from the first run that has it.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "bench"
README = ROOT / "README.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"
BATCH, NOBATCH, REDIS = "damselfly-batch", "damselfly-nobatch", "redis"

Run = dict[str, Any]


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f}"


def _sig(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3g}"


def _ratio(a: float | None, b: float | None) -> str:
    return "n/a" if a is None or b is None or not b else f"{a / b:.2f}x"


def _delta(new: float | None, old: float | None) -> str:
    if new is None or old is None or not old:
        return "n/a"
    change = (new / old - 1) * 100
    return f"{change:+.2f}%" if -100 < change < -99.5 else f"{change:+.0f}%"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|",
            *("| " + " | ".join(row) + " |" for row in rows)]


def _summary(run: Run) -> dict[tuple[str, int], dict[str, Any]]:
    return {(s["target"], s["pipeline"]): s for s in run["fanout"]["summary"]}


def _get(rows: dict[tuple[str, int], dict[str, Any]], target: str, pipeline: int, metric: str) -> Any:
    row = rows.get((target, pipeline))
    return None if row is None or not row["ok_repeats"] else row[metric]


def _machine(run: Run) -> str:
    m = run["machine"]
    return (f"{m.get('date', '?')}, {m.get('cpu_model', '?')} ({m.get('nproc', '?')} cores, shared), "
            f"Linux {m.get('kernel', '?')}, Python {m.get('python', '?').split(' ')[0]}, "
            f"redis-server {m.get('redis_server', '?')}, damselfly commit `{m.get('damselfly_commit', '?')}`")


def _fanout_table(name: str, run: Run) -> list[str]:
    fan = run["fanout"]
    cfg = fan["config"]
    rows = _summary(run)
    lines = [f"### Pub/Sub fan-out: {cfg['subscribers']} subscribers, {cfg['publishers']} publishers, "
             f"{cfg['payload']}-byte messages", "",
             f"`{run['command']}`: {cfg['duration']:g} s per cell, median of {cfg['repeat']}, targets "
             f"interleaved per cell; write syscalls counted by {fan['syscall_source']}. "
             "RPS and SYSCALLS compare batching on with batching off (the seed's table); "
             "the last columns compare damselfly (batching on) with Redis in the same run.", ""]
    body = []
    for p in cfg["pipelines"]:
        pub = _get(rows, BATCH, p, "publishes_per_s")
        body.append([str(p), _delta(pub, _get(rows, NOBATCH, p, "publishes_per_s")),
                     _delta(_get(rows, BATCH, p, "syscalls_per_delivery"),
                            _get(rows, NOBATCH, p, "syscalls_per_delivery")),
                     _num(pub), _num(_get(rows, REDIS, p, "publishes_per_s")),
                     _ratio(pub, _get(rows, REDIS, p, "publishes_per_s")),
                     _sig(_get(rows, BATCH, p, "syscalls_per_delivery")),
                     _sig(_get(rows, REDIS, p, "syscalls_per_delivery"))])
    lines += _table(["PIPELINE", "RPS Δ", "SYSCALLS Δ", "damselfly pub/s", "Redis pub/s", "damselfly / Redis",
                     "damselfly writes/delivery", "Redis writes/delivery"], body)
    if 1 in cfg["pipelines"]:
        lat = [f"{t} p50 {_num(_get(rows, t, 1, 'latency_p50_us'))} µs, p99 {_num(_get(rows, t, 1, 'latency_p99_us'))} µs"
               for t in (BATCH, NOBATCH, REDIS) if (t, 1) in rows]
        lines += ["", "Publish-to-delivery latency at pipeline 1: " + "; ".join(lat) + "."]
    charts = [c for c in run.get("charts", []) if (DOCS / f"{name}-{c}").exists()]
    if charts:
        lines += [""] + [f"![{c.removesuffix('.png').replace('_', ' ')}](docs/bench/{name}-{c})" for c in charts]
    return lines


def _wide_table(wide: list[Run]) -> list[str]:
    cfg = wide[0]["fanout"]["config"]
    lines = ["### Wide fan-out", "",
             f"One channel, {cfg['publishers']} publishers, pipeline {cfg['pipelines'][0]}, "
             f"{cfg['payload']}-byte messages, median of {cfg['repeat']}.", ""]
    body = []
    for run in wide:
        c = run["fanout"]["config"]
        rows, p = _summary(run), c["pipelines"][0]
        deliveries = {t: _get(rows, t, p, "deliveries_per_s") for t in (BATCH, NOBATCH, REDIS)}
        body.append([f"{c['subscribers']:,}", _num(deliveries[BATCH]), _num(deliveries[NOBATCH]),
                     _num(deliveries[REDIS]), _ratio(deliveries[BATCH], deliveries[REDIS]),
                     _sig(_get(rows, BATCH, p, "syscalls_per_delivery")),
                     _sig(_get(rows, REDIS, p, "syscalls_per_delivery"))])
    return lines + _table(["SUBSCRIBERS", "damselfly deliveries/s", "batching off", "Redis deliveries/s",
                           "damselfly / Redis", "damselfly writes/delivery", "Redis writes/delivery"], body)


def _datapath_table(run: Run) -> list[str]:
    data = run["datapath"]
    cfg = data["config"]
    lines = [f"### Data path (redis-benchmark, {cfg['requests']:,} requests)", "",
             f"`redis-benchmark -c {cfg['clients']} -n {cfg['requests']} -t <test> -P <depth>`, "
             f"median of {cfg['repeat']}, targets interleaved.", ""]
    body = [[row["test"].upper(), str(row["pipeline"]), _num(row["rps"].get(BATCH)), _num(row["rps"].get(REDIS)),
             _ratio(row["rps"].get(BATCH), row["rps"].get(REDIS))] for row in data["summary"]]
    return lines + _table(["TEST", "-P", "damselfly req/s", "Redis req/s", "damselfly / Redis"], body)


def _memory_table(run: Run) -> list[str]:
    mem = run["memory"]
    cfg = mem["config"]
    by = {(r["dataset"], r["target"]): r for r in mem["rows"]}
    damselfly = next((t for t in mem["targets"] if t.startswith("damselfly")), BATCH)
    lines = ["### Memory", "",
             f"Resident memory growth while loading {cfg['keys']:,} strings and {cfg['hashes']:,} hashes of "
             f"{cfg['fields']} fields into a fresh server.", ""]
    body = []
    for dataset in dict.fromkeys(r["dataset"] for r in mem["rows"]):
        ours = (by.get((dataset, damselfly)) or {}).get("bytes_per_item")
        theirs = (by.get((dataset, REDIS)) or {}).get("bytes_per_item")
        body.append([dataset, _num(ours), _num(theirs), _ratio(ours, theirs)])
    return lines + _table(["DATASET", "damselfly bytes/item", "Redis bytes/item", "damselfly / Redis"], body)


def render(runs: list[tuple[str, Run]]) -> str:
    """The README section (markers included) for the runs, in order."""
    lines = [START, "## Benchmarks", "",
             "Every figure below is rendered by `python -m bench.publish` from the recorded runs in "
             "[docs/bench/](docs/bench/) (raw JSON and full reports); `make bench-readme` reruns them all "
             "and `make bench` the first (method and options: [docs/benchmarks.md](docs/benchmarks.md)). This machine is shared and "
             "noisy, so each comparison is made side by side in one run.", ""]
    lines += [f"- `{name}`: {_machine(run)}" for name, run in runs]
    fanouts = [(n, r) for n, r in runs if r.get("fanout") and len(r["fanout"]["config"]["pipelines"]) > 1]
    wide = [r for _, r in runs if r.get("fanout") and len(r["fanout"]["config"]["pipelines"]) == 1]
    for name, run in fanouts:
        lines += [""] + _fanout_table(name, run)
    if wide:
        lines += [""] + _wide_table(wide)
    for _, run in runs:  # each data-path run has its own redis-benchmark command line
        if run.get("datapath"):
            lines += [""] + _datapath_table(run)
    run = next((r for _, r in runs if r.get("memory")), None)
    if run is not None:
        lines += [""] + _memory_table(run)
    warnings = [f"- `{name}`: {w}" for name, run in runs if run.get("fanout") for w in run["fanout"]["warnings"]]
    if warnings:
        lines += ["", "Warnings the harness gave for these runs:", ""] + warnings
    return "\n".join(lines + ["", END])


def load() -> list[tuple[str, Run]]:
    """The published runs, in the order of docs/bench/index.json."""
    names = json.loads((DOCS / "index.json").read_text())
    return [(name, json.loads((DOCS / f"{name}.json").read_text())) for name in names]


def replace_section(readme: str, section: str) -> str:
    start, end = readme.index(START), readme.index(END) + len(END)
    return readme[:start] + section + readme[end:]


def publish(run_dirs: list[Path]) -> None:
    DOCS.mkdir(parents=True, exist_ok=True)
    names = []
    for run_dir in run_dirs:
        name = run_dir.resolve().name
        data = json.loads((run_dir / "results.json").read_text())
        if data.get("interrupted"):
            raise SystemExit(f"{run_dir}: the run was interrupted; publish complete runs only")
        shutil.copyfile(run_dir / "results.json", DOCS / f"{name}.json")
        report = (run_dir / "report.md").read_text()
        for chart in data.get("charts", []):
            shutil.copyfile(run_dir / chart, DOCS / f"{name}-{chart}")
            report = report.replace(f"]({chart})", f"]({name}-{chart})")
        (DOCS / f"{name}.md").write_text(report)
        names.append(name)
    (DOCS / "index.json").write_text(json.dumps(names, indent=2) + "\n")
    README.write_text(replace_section(README.read_text(), render(load())))


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    publish([Path(a) for a in argv])
    print(f"README.md and {DOCS.relative_to(ROOT)}/ updated from {len(argv)} run(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
