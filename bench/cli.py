"""`python -m bench {fanout,datapath,memory,all}`: flags, run, report.

The run is wrapped so that every server and load generator it started is
stopped on any exit: normal, error, Ctrl-C or SIGTERM (the first signal
raises KeyboardInterrupt and further ones are ignored until cleanup is done).
Whatever finished before an interruption is still written to the report.
"""

import argparse
import datetime
import shlex
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from rich.console import Console
from rich.markdown import Markdown

from bench.charts import write_fanout_charts
from bench.datapath import DEFAULT_TESTS, QUICK_TESTS, DatapathBench, DatapathConfig
from bench.fanout import FanoutBench
from bench.fanout_cell import FanoutConfig
from bench.machine import describe_machine
from bench.memory import MemoryBench, MemoryConfig
from bench.procstat import raise_nofile_limit
from bench.progress import RunProgress
from bench.report import RunRecord, write_outputs
from bench.servers import REPO_ROOT, TARGETS, ServerPool
from bench.syscalls import perf_unavailable_reason

DEFAULT_TARGETS = ("damselfly-batch", "damselfly-nobatch", "redis")

HELP_DESCRIPTION = """\
Benchmark damselfly (control-path batching on and off) against redis-server.

  fanout    S subscribers on one channel, P publishers sending p PUBLISHes per
            write; publishes/s, deliveries/s, server CPU, write syscalls per
            delivery (perf stat, else INFO total_writes_processed), latency at
            p=1; every cell checks delivered == published x S.
  datapath  redis-benchmark -c 50 -P 1 and -P 16 per command, damselfly vs redis.
  memory    RSS bytes per key (1M strings) and per hash (100k x 10 fields).
  all       the three, one report.

Every server is started and stopped by the harness on a free 127.0.0.1 port
with persistence off; Ctrl-C stops everything and keeps partial results.
Run `python -m bench <command> --help` for that command's flags."""

HELP_EPILOG = """\
output (default bench/results/<timestamp>/): report.md, results.json,
fanout_publishes.png, fanout_syscalls.png, perf/, logs/
exit status: 0 all passed, 1 a target failed to start or a cell FAILED, 130 interrupted

examples:
  python -m bench all
  python -m bench all --quick
  python -m bench fanout --duration 2 --repeat 1
  python -m bench fanout --subscribers 1000 --pipeline 100 --targets redis
  python -m bench datapath -n 200000 --targets damselfly-batch,redis
  python -m bench memory --keys 200000
See docs/benchmarks.md for the method and how to read the report."""

# value used when neither the flag nor --quick sets it: (normal, quick)
PRESETS: dict[str, tuple[object, object]] = {
    "subscribers": (10, 3),
    "publishers": (4, 2),
    "pipeline": ((1, 10, 100, 500), (1, 10)),
    "payload": (32, 32),
    "duration": (5.0, 0.5),
    "repeat": (3, 1),
    "publishers_per_process": (2, 2),
    "requests": (100_000, 2_000),
    "clients": (50, 50),
    "tests": (DEFAULT_TESTS, QUICK_TESTS),
    "datapath_pipeline": ((1, 16), (1, 16)),
    "datapath_repeat": (1, 1),
    "keys": (1_000_000, 10_000),
    "hashes": (100_000, 1_000),
}


def _int_list(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from exc
    if not values or any(v < 1 for v in values):
        raise argparse.ArgumentTypeError("expected one or more positive integers")
    return values


def _targets(text: str) -> tuple[str, ...]:
    names = tuple(v.strip() for v in text.split(",") if v.strip())
    unknown = [n for n in names if n not in TARGETS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown target(s) {unknown}; choose from {', '.join(TARGETS)}")
    return names


def _tests(text: str) -> tuple[str, ...]:
    return tuple(v.strip().lower() for v in text.split(",") if v.strip())


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    g = common.add_argument_group("run")
    g.add_argument(
        "--targets", type=_targets, default=None,
        help="comma-separated servers to measure, interleaved: " + ", ".join(TARGETS)
        + f" (default: {','.join(DEFAULT_TARGETS)}; redis is dropped if redis-server is not installed). "
        "Data path and memory skip damselfly-nobatch: batching only concerns pub/sub.",
    )
    g.add_argument("--out", type=Path, default=None, help="output directory (default: bench/results/<timestamp>/)")
    g.add_argument(
        "--quick", action="store_true",
        help="tiny smoke run: duration 0.5 s, repeat 1, pipeline 1,10, 3 subscribers, 2 publishers, "
        "redis-benchmark -n 2000 for get,set only, 10,000 keys and 1,000 hashes; explicit flags still win",
    )

    fan = argparse.ArgumentParser(add_help=False)
    g = fan.add_argument_group("fan-out")
    g.add_argument("--subscribers", type=int, default=None, help="subscriber connections, one channel (default 10)")
    g.add_argument("--publishers", type=int, default=None, help="publisher connections (default 4)")
    g.add_argument(
        "--publishers-per-process", type=int, default=None,
        help="publisher connections driven by each load-generator process (default 2)",
    )
    g.add_argument("--pipeline", type=_int_list, default=None, help="PUBLISHes per write (default 1,10,100,500)")
    g.add_argument(
        "--payload", type=int, default=None,
        help="payload bytes (default 32; >= 19 needed for the latency timestamp at pipeline 1)",
    )
    g.add_argument("--duration", type=float, default=None, help="seconds of publishing per cell (default 5)")
    g.add_argument("--repeat", type=int, default=None, help="repeats per cell; medians are reported (default 3)")
    g.add_argument(
        "--no-perf", action="store_true",
        help="do not use perf; count writes with INFO total_writes_processed instead",
    )

    data = argparse.ArgumentParser(add_help=False)
    g = data.add_argument_group("data path (redis-benchmark)")
    g.add_argument("-n", "--requests", type=int, default=None, help="requests per test (default 100000)")
    g.add_argument("--clients", type=int, default=None, help="redis-benchmark -c (default 50)")
    g.add_argument(
        "--tests", type=_tests, default=None, help=f"redis-benchmark -t list (default {','.join(DEFAULT_TESTS)})"
    )
    g.add_argument("--datapath-pipeline", type=_int_list, default=None, help="redis-benchmark -P values (default 1,16)")
    g.add_argument("--datapath-repeat", type=int, default=None, help="repeats per data-path test (default 1)")

    mem = argparse.ArgumentParser(add_help=False)
    g = mem.add_argument_group("memory")
    g.add_argument("--keys", type=int, default=None, help="string keys to load (default 1000000)")
    g.add_argument("--hashes", type=int, default=None, help="10-field hashes to load (default 100000)")

    parser = argparse.ArgumentParser(
        prog="python -m bench",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=HELP_DESCRIPTION,
        epilog=HELP_EPILOG,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="{fanout,datapath,memory,all}")
    for name, parents, summary in (
        ("fanout", [common, fan], "pub/sub fan-out: the seed's table plus Redis"),
        ("datapath", [common, data], "redis-benchmark throughput per command"),
        ("memory", [common, mem], "RSS bytes per key and per hash"),
        ("all", [common, fan, data, mem], "fanout + datapath + memory, one report"),
    ):
        sub.add_parser(
            name, parents=parents, help=summary, description=f"{summary}. See docs/benchmarks.md.",
            epilog=HELP_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
        )
    return parser


def _setting(args: argparse.Namespace, name: str) -> object:
    """The flag if given, else the --quick preset if --quick, else the normal default."""
    explicit = getattr(args, name, None)
    if explicit is not None:
        return explicit
    normal, quick = PRESETS[name]
    return quick if args.quick else normal


def _int(args: argparse.Namespace, name: str) -> int:
    value = _setting(args, name)
    if not isinstance(value, int) or value < 1:
        raise SystemExit(f"--{name.replace('_', '-')} must be a positive integer, got {value!r}")
    return value


def _float(args: argparse.Namespace, name: str) -> float:
    value = _setting(args, name)
    if not isinstance(value, (int, float)) or value <= 0:
        raise SystemExit(f"--{name.replace('_', '-')} must be positive, got {value!r}")
    return float(value)


def _ints(args: argparse.Namespace, name: str) -> tuple[int, ...]:
    value = _setting(args, name)
    assert isinstance(value, tuple)
    return tuple(int(v) for v in value)


def _strs(args: argparse.Namespace, name: str) -> tuple[str, ...]:
    value = _setting(args, name)
    assert isinstance(value, tuple)
    return tuple(str(v) for v in value)


def _default_out() -> Path:
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    base = REPO_ROOT / "bench" / "results" / stamp
    out, n = base, 1
    while out.exists():
        n += 1
        out = base.with_name(f"{stamp}-{n}")
    return out


def _interrupt(signum: int, frame: FrameType | None) -> None:
    """First Ctrl-C/SIGTERM stops the run; later ones must not break the cleanup."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    console = Console(stderr=True)
    command = "python -m bench " + shlex.join(sys.argv[1:] if argv is None else list(argv))
    out_dir: Path = args.out or _default_out()
    out_dir.mkdir(parents=True, exist_ok=True)

    targets = list(args.targets or DEFAULT_TARGETS)
    if args.targets is None and TARGETS["redis"].unavailable_reason():
        targets.remove("redis")
        console.print("[yellow]redis-server not found: measuring damselfly only")
    kv_targets = [t for t in targets if t != "damselfly-nobatch"] or targets

    want = {args.command} if args.command != "all" else {"fanout", "datapath", "memory"}
    fanout = datapath = memory = None
    use_perf = False
    if "fanout" in want:
        config = FanoutConfig(
            subscribers=_int(args, "subscribers"),
            publishers=_int(args, "publishers"),
            pipelines=_ints(args, "pipeline"),
            payload=_int(args, "payload"),
            duration=_float(args, "duration"),
            repeat=_int(args, "repeat"),
            publishers_per_process=_int(args, "publishers_per_process"),
        )
        reason = "disabled with --no-perf" if args.no_perf else perf_unavailable_reason()
        use_perf = reason is None
        if reason:
            console.print(f"[yellow]perf not used ({reason}): write syscalls come from INFO total_writes_processed")
        raise_nofile_limit(max(4096, 2 * config.subscribers + 1024))
        fanout = FanoutBench(config, targets, use_perf, out_dir)
    if "datapath" in want:
        datapath = DatapathBench(
            DatapathConfig(
                requests=_int(args, "requests"),
                clients=_int(args, "clients"),
                tests=_strs(args, "tests"),
                pipelines=_ints(args, "datapath_pipeline"),
                repeat=_int(args, "datapath_repeat"),
            ),
            kv_targets,
        )
    if "memory" in want:
        memory = MemoryBench(
            MemoryConfig(
                keys=_int(args, "keys"),
                hashes=_int(args, "hashes"),
            ),
            kv_targets,
        )

    record = RunRecord(command=command, machine=describe_machine(), fanout=fanout, datapath=datapath, memory=memory)
    previous = signal.signal(signal.SIGINT, _interrupt), signal.signal(signal.SIGTERM, _interrupt)
    console.print(f"writing to {out_dir}")
    try:
        with ServerPool(out_dir) as pool:
            try:
                with RunProgress(console) as progress:
                    for phase in (fanout, datapath, memory):
                        if phase is not None:
                            phase.run(pool, progress)
            finally:
                record.target_errors = dict(pool.errors)
    except KeyboardInterrupt:
        record.interrupted = True
        console.print("[red]interrupted: every server and load generator was stopped; writing partial results")
    finally:
        signal.signal(signal.SIGINT, previous[0])
        signal.signal(signal.SIGTERM, previous[1])
    if fanout and fanout.cells:
        record.charts = write_fanout_charts(fanout.summary(), fanout.targets, out_dir)
    report = write_outputs(out_dir, record)
    if console.is_terminal:
        console.print(Markdown(report.read_text()))
    console.print(f"\nreport: {report}\nraw numbers: {out_dir / 'results.json'}")
    if record.interrupted:
        return 130
    return 1 if record.failed() else 0
