"""PNG charts of the fan-out summary (matplotlib, Agg: no display needed).

Pipeline depth spans 1..500 and the metrics span orders of magnitude, so both
axes are logarithmic; straight lines then read as constant ratios.
"""

from pathlib import Path

from bench.fanout import FanoutSummary

CHARTS = (
    ("fanout_publishes.png", "publishes_per_s", "publishes / s", "Publishes per second by pipeline depth"),
    (
        "fanout_syscalls.png",
        "syscalls_per_delivery",
        "write syscalls per delivery",
        "Server write syscalls per delivered message",
    ),
)


def write_fanout_charts(summary: list[FanoutSummary], targets: list[str], out_dir: Path) -> list[str]:
    """Write one chart per metric, one line per target; return the file names written."""
    # Imported here, not at module level: matplotlib takes ~0.5 s to import
    # and `--help` or a datapath-only run should not pay for it.
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    for filename, metric, ylabel, title in CHARTS:
        fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
        plotted = False
        for target in targets:
            points = [
                (s.pipeline, getattr(s, metric))
                for s in sorted(summary, key=lambda s: s.pipeline)
                if s.target == target and getattr(s, metric) is not None and getattr(s, metric) > 0
            ]
            if not points:
                continue
            xs, ys = zip(*points, strict=True)
            ax.plot(xs, ys, marker="o", label=target)
            plotted = True
        if not plotted:
            plt.close(fig)
            continue
        ax.set_xscale("log")
        ax.set_yscale("log")
        pipelines = sorted({s.pipeline for s in summary})
        ax.set_xticks(pipelines)
        ax.set_xticklabels([str(p) for p in pipelines])
        ax.set_xlabel("pipeline depth (PUBLISHes per write)")
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
        fig.tight_layout()
        fig.savefig(out_dir / filename)
        plt.close(fig)
        written.append(filename)
    return written
