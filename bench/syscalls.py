"""Count the server's write-type syscalls with `perf stat`.

The seed's claim is about syscalls, so we count them from outside the server
with the kernel's syscall tracepoints; a server's own counter could only count
what it thinks it did. When perf is missing or not permitted, the fan-out
benchmark falls back to INFO `total_writes_processed` deltas and says so.
"""

import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

WRITE_EVENTS = (
    "syscalls:sys_enter_write",
    "syscalls:sys_enter_writev",
    "syscalls:sys_enter_sendto",
    "syscalls:sys_enter_sendmsg",
)
ATTACH_SETTLE = 0.3


def perf_unavailable_reason() -> str | None:
    """None if `perf stat` can count the write tracepoints here, else why not."""
    if shutil.which("perf") is None:
        return "perf not found on PATH"
    with tempfile.NamedTemporaryFile("r", suffix=".perf") as out:
        try:
            proc = subprocess.run(
                ["perf", "stat", "-x,", "-o", out.name, "-e", ",".join(WRITE_EVENTS), "--", "true"],
                capture_output=True,
                timeout=20,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"perf stat failed: {exc}"
        if proc.returncode != 0:
            return "perf stat failed: " + proc.stderr.decode(errors="replace").strip()[:300]
        counts = parse_perf_csv(Path(out.name).read_text())
    if set(counts) != set(WRITE_EVENTS) or any(v is None for v in counts.values()):
        return f"perf stat could not count the syscall tracepoints: {counts}"
    return None


def parse_perf_csv(text: str) -> dict[str, int | None]:
    """Parse `perf stat -x,` output into event -> count (None for <not counted>)."""
    counts: dict[str, int | None] = {}
    for line in text.splitlines():
        parts = line.split(",")
        if len(parts) < 3 or parts[2] not in WRITE_EVENTS:
            continue
        value = parts[0].strip()
        counts[parts[2]] = int(value) if value.isdigit() else None
    return counts


class PerfWriteCounter:
    """`perf stat -p PID` around a measured window.

    perf needs a moment to attach, so `start` waits ATTACH_SETTLE seconds
    before returning; the server is idle then (no writes), so starting early
    costs nothing. `stop` sends SIGINT, which makes perf print its totals.
    """

    def __init__(self, pid: int, out_path: Path) -> None:
        self.pid = pid
        self.out_path = out_path
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.out_path.parent.mkdir(parents=True, exist_ok=True)
        self._proc = subprocess.Popen(
            ["perf", "stat", "-x,", "-o", str(self.out_path), "-e", ",".join(WRITE_EVENTS), "-p", str(self.pid)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        time.sleep(ATTACH_SETTLE)
        if self._proc.poll() is not None:
            err = self._proc.stderr.read().decode(errors="replace") if self._proc.stderr else ""
            self._proc = None
            raise RuntimeError(f"perf stat -p {self.pid} exited early: {err.strip()[:300]}")

    def stop(self) -> int | None:
        """Stop perf; return the total of the four write-type syscalls, or None."""
        proc, self._proc = self._proc, None
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                return None
        if proc.stderr:
            proc.stderr.close()
        try:
            counts = parse_perf_csv(self.out_path.read_text())
        except OSError:
            return None
        if set(counts) != set(WRITE_EVENTS) or any(v is None for v in counts.values()):
            return None
        return sum(v for v in counts.values() if v is not None)

    def __enter__(self) -> "PerfWriteCounter":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
