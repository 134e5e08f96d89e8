"""Start, probe and stop the servers under test.

Each target is a real server process on a free local port with persistence
off. The harness owns these processes: every one it starts is tracked by a
`ServerPool`, and the pool's `close()` (called from a `finally`) stops them,
so an interrupted run leaves nothing behind. On Linux the children are also
asked to die with the harness (PR_SET_PDEATHSIG) in case it is SIGKILLed.
"""

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.resp import RespConnection, RespError, parse_info

REPO_ROOT = Path(__file__).resolve().parent.parent
READY_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0


@dataclass(frozen=True)
class TargetSpec:
    """How to launch one kind of server."""

    name: str
    description: str
    argv: Callable[[int], list[str]]
    needs: str | None = None

    def unavailable_reason(self) -> str | None:
        """Why this target cannot run on this machine, or None."""
        if self.needs and shutil.which(self.needs) is None:
            return f"{self.needs} not found on PATH"
        return None


def _damselfly_argv(batching: str) -> Callable[[int], list[str]]:
    def build(port: int) -> list[str]:
        return [
            sys.executable, "-m", "damselfly",
            "--port", str(port), "--bind", "127.0.0.1",
            "--save", "", "--control-batching", batching,
        ]

    return build


def _redis_argv(port: int) -> list[str]:
    return [
        "redis-server", "--port", str(port), "--bind", "127.0.0.1",
        "--save", "", "--appendonly", "no",
    ]


TARGETS: dict[str, TargetSpec] = {
    spec.name: spec
    for spec in (
        TargetSpec("damselfly-batch", "damselfly, control-batching yes", _damselfly_argv("yes")),
        TargetSpec("damselfly-nobatch", "damselfly, control-batching no", _damselfly_argv("no")),
        TargetSpec("redis", "redis-server", _redis_argv, needs="redis-server"),
    )
}


class ServerStartError(RuntimeError):
    """A target could not be started or never answered PING."""


def free_port() -> int:
    """Ask the kernel for a free TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:
    """preexec_fn: have the kernel SIGKILL the server if the harness dies."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)
    except OSError:
        pass


def _server_env() -> dict[str, str]:
    env = dict(os.environ)
    src = str(REPO_ROOT / "src")
    env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.pop("PYTHONSTARTUP", None)
    return env


class ServerProcess:
    """One running server; `pid` is what perf and /proc measure."""

    def __init__(self, spec: TargetSpec, workdir: Path, log_path: Path) -> None:
        self.spec = spec
        self.port = free_port()
        self.log_path = log_path
        workdir.mkdir(parents=True, exist_ok=True)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(log_path, "wb")
        try:
            self.proc = subprocess.Popen(
                spec.argv(self.port),
                cwd=workdir,
                env=_server_env(),
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        except OSError as exc:
            self._log.close()
            raise ServerStartError(f"{spec.name}: cannot execute: {exc}") from exc
        self.info_server: dict[str, str] = {}

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def name(self) -> str:
        return self.spec.name

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log_tail(self, lines: int = 8) -> str:
        """The last lines of the server's output, for error messages."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.strip().splitlines()[-lines:])

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> None:
        """Send PING until the server answers +PONG, or raise ServerStartError."""
        deadline = time.monotonic() + timeout
        last_error = "no answer"
        while time.monotonic() < deadline:
            if not self.alive():
                raise ServerStartError(
                    f"{self.name} exited with code {self.proc.returncode} before answering PING"
                    f"; last output:\n{self.log_tail()}"
                )
            try:
                with RespConnection("127.0.0.1", self.port, timeout=0.5) as conn:
                    reply = conn.call("PING")
                if reply == b"PONG":
                    self.info_server = self.info("server") or {}
                    return
                last_error = f"PING answered {reply!r}"
            except OSError as exc:
                last_error = str(exc)
            except Exception as exc:  # a half-written server may send anything
                last_error = f"{type(exc).__name__}: {exc}"
            time.sleep(0.05)
        raise ServerStartError(
            f"{self.name} did not answer PING with +PONG within {timeout:.0f} s ({last_error})"
            f"; last output:\n{self.log_tail()}"
        )

    def info(self, section: str = "stats") -> dict[str, str] | None:
        """INFO <section> as a dict, or None if the server cannot answer it."""
        try:
            with RespConnection("127.0.0.1", self.port, timeout=5.0) as conn:
                reply = conn.call("INFO", section)
        except Exception:
            return None
        if isinstance(reply, bytes):
            return parse_info(reply)
        return None

    def info_counter(self, field: str) -> int | None:
        """One integer INFO stats field (e.g. total_writes_processed), if present."""
        stats = self.info("stats")
        if not stats or field not in stats:
            return None
        try:
            return int(stats[field])
        except ValueError:
            return None

    def call(self, *args: bytes | str | int) -> object:
        """Run one command on a fresh connection (used for FLUSHALL, DBSIZE)."""
        with RespConnection("127.0.0.1", self.port, timeout=30.0) as conn:
            reply = conn.call(*args)
        if isinstance(reply, RespError):
            raise RuntimeError(f"{self.name}: {' '.join(map(str, args))}: {reply.message}")
        return reply

    def stop(self) -> None:
        """SIGTERM, wait, then SIGKILL; always closes the log file."""
        try:
            if self.alive():
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(STOP_TIMEOUT)
        finally:
            self._log.close()


class ServerPool:
    """Starts each target at most once per run and stops everything at the end.

    Fan-out and data-path cells reuse one long-lived server per target (an idle
    server costs next to nothing, and restarting per cell would add noise from
    warm-up). Memory runs ask for fresh servers with `start_fresh`, because RSS
    after a previous workload says nothing about the next one.
    """

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self._shared: dict[str, ServerProcess] = {}
        self._all: list[ServerProcess] = []
        self.errors: dict[str, str] = {}
        self._count = 0

    def get(self, name: str) -> ServerProcess:
        """The shared server for `name`, started on first use.

        A target that failed to start (or died) raises ServerStartError with the
        reason, and is not retried within the run: one broken target must not
        stall the others.
        """
        if name in self.errors:
            raise ServerStartError(self.errors[name])
        server = self._shared.get(name)
        if server is not None:
            if server.alive():
                return server
            message = f"{name} died (exit code {server.proc.returncode}); last output:\n{server.log_tail()}"
            self.errors[name] = message
            raise ServerStartError(message)
        try:
            server = self.start_fresh(name)
        except ServerStartError as exc:
            self.errors[name] = str(exc)
            raise
        self._shared[name] = server
        return server

    def start_fresh(self, name: str) -> ServerProcess:
        """A new, untracked-by-name server (still stopped by `close`)."""
        spec = TARGETS[name]
        reason = spec.unavailable_reason()
        if reason:
            raise ServerStartError(f"{name}: {reason}")
        self._count += 1
        server = ServerProcess(
            spec,
            workdir=self.run_dir / "servers" / f"{name}-{self._count}",
            log_path=self.run_dir / "logs" / f"{name}-{self._count}.log",
        )
        self._all.append(server)
        try:
            server.wait_ready()
        except BaseException:
            server.stop()
            raise
        return server

    def release(self, server: ServerProcess) -> None:
        """Stop a server now (memory runs) instead of at the end of the run."""
        server.stop()
        for name, shared in list(self._shared.items()):
            if shared is server:
                del self._shared[name]

    def close(self) -> None:
        """Stop every server this pool started; safe to call more than once."""
        for server in self._all:
            try:
                server.stop()
            except Exception:
                server.proc.kill()
        self._all.clear()
        self._shared.clear()

    def __enter__(self) -> "ServerPool":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
