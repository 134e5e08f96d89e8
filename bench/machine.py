"""Describe the machine a run happened on.

Figures from a 2-core VM and a 64-core server are not comparable; every
report carries the facts needed to tell which one produced it.
"""

import datetime
import os
import platform
import re
import shutil
import subprocess
import sys

from bench.servers import REPO_ROOT


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _command_output(argv: list[str]) -> str:
    if shutil.which(argv[0]) is None:
        return ""
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=10, cwd=REPO_ROOT)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return proc.stdout.strip() if proc.returncode == 0 else ""


def redis_version() -> str:
    """The `v=` field of `redis-server --version`, or "not installed"."""
    out = _command_output(["redis-server", "--version"])
    match = re.search(r"v=(\S+)", out)
    return match.group(1) if match else "not installed"


def describe_machine() -> dict[str, str]:
    """Facts printed at the top of every report."""
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "nproc": str(os.cpu_count()),
        "cpu_model": _cpu_model(),
        "kernel": platform.release(),
        "python": platform.python_version() + f" ({sys.executable})",
        "redis_server": redis_version(),
        "damselfly_commit": _command_output(["git", "rev-parse", "--short", "HEAD"]) or "no commit",
    }
