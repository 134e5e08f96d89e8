"""SIGTERM during heavy traffic: stop cleanly, save, exit 0, lose no acknowledged write.

A process-mode server with a save point is flooded by several pipelining
clients that record every SET the server acknowledged. SIGTERM arrives in
the middle. The server must exit with status 0 after saving; a new server
started on that dump must hold every acknowledged key with its value, and
per client the keys present must be a prefix of what it sent (commands ran
in order, none half-applied). Each writer reports what it saw to the main
thread, which fails the test on any reply but ``+OK``, half a reply before a
clean close, or a connection that went silent instead of closing.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis

from ..conftest import free_port

CLIENTS = 4
BATCH = 50


def start(port: int, directory: Path, log: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    src = Path(__file__).resolve().parents[2] / "src"
    env["PYTHONPATH"] = str(src) + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.Popen([sys.executable, "-m", "damselfly", "--port", str(port), "--save", "3600 1",
                             "--dir", str(directory), "--dbfilename", "dump.rdb"],
                            stdout=log.open("wb"), stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("damselfly did not start: " + log.read_text())


@dataclass
class Outcome:
    """What one writer saw, judged in the main thread (an assert in a thread only warns)."""

    acked: int = 0
    wrong: list[bytes] = field(default_factory=list)  # replies other than +OK
    end: str = ""  # "eof" (clean close), "reset" (closed with data in flight), "timeout"
    torn: bytes = b""  # a partial reply left when the server closed cleanly
    error: str = ""  # anything else the thread raised


def writer(port: int, worker: int, out: Outcome) -> None:
    """Pipeline SET t<w>:<n> v<n> in batches; record each reply until the server goes away."""
    try:
        sock = socket.create_connection(("127.0.0.1", port))
    except OSError as exc:
        out.error = repr(exc)
        return
    sock.settimeout(20)
    buf = b""
    n = 0
    try:
        while True:
            batch = []
            for _ in range(BATCH):
                key, value = b"t%d:%d" % (worker, n), b"v%d" % n
                batch.append(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(key), key, len(value), value))
                n += 1
            sock.sendall(b"".join(batch))
            for _ in range(BATCH):
                while b"\r\n" not in buf:
                    chunk = sock.recv(65536)
                    if not chunk:
                        out.end, out.torn = "eof", buf
                        return
                    buf += chunk
                line, buf = buf.split(b"\r\n", 1)
                if line == b"+OK":
                    out.acked += 1
                else:
                    out.wrong.append(line)
    except TimeoutError:  # a server that stops answering without closing: a failure
        out.end = "timeout"
    except OSError:  # reset or broken pipe: the process exited with our data in flight
        out.end = "reset"
    except BaseException as exc:  # noqa: BLE001 - reported to the main thread
        out.error = repr(exc)
    finally:
        sock.close()


def test_sigterm_under_load_saves_every_acknowledged_write(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "server.log"
    proc = start(port, tmp_path, log)
    outcomes = [Outcome() for _ in range(CLIENTS)]
    threads = [threading.Thread(target=writer, args=(port, w, outcomes[w]), daemon=True) for w in range(CLIENTS)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    while sum(o.acked for o in outcomes) < 5000 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert all(o.acked > 0 for o in outcomes)  # every client was in full flow
    print("acked before SIGTERM", [o.acked for o in outcomes])
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(60) == 0, log.read_text()
    for t in threads:
        t.join(30)
        assert not t.is_alive()
    print("acked at exit", [o.acked for o in outcomes], "ends", [o.end for o in outcomes])
    for w, out in enumerate(outcomes):
        # In-flight commands finish (+OK) or the connection closes: never an error reply,
        # never half a reply followed by a clean close, never a server that just stops.
        assert out.error == "", (w, out.error)
        assert out.wrong == [], (w, out.wrong[:5])
        assert out.end in ("eof", "reset"), (w, out.end)
        assert out.torn == b"", (w, out.torn)
    text = log.read_text()
    assert "Received SIGTERM scheduling shutdown..." in text
    assert "Saving the final RDB snapshot before exiting." in text
    assert (tmp_path / "dump.rdb").exists()
    # the listening socket is gone with the process
    refused = False
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        refused = True
    assert refused

    port2 = free_port()
    proc2 = start(port2, tmp_path, tmp_path / "reload.log")
    try:
        r = redis.Redis(port=port2)
        for w in range(CLIENTS):
            n_acked = outcomes[w].acked
            present = 0
            while r.exists(b"t%d:%d" % (w, present)):
                present += 1
            print("client", w, "acked", n_acked, "in dump", present)
            assert present >= n_acked, (w, present, n_acked)  # every acknowledged SET survived
            assert r.mget([b"t%d:%d" % (w, i) for i in range(present)]) == [b"v%d" % i for i in range(present)]
        total = sum(1 for _ in r.scan_iter(count=1000))
        assert total == sum(  # and nothing beyond each client's in-order prefix
            next(i for i in range(10**7) if not r.exists(b"t%d:%d" % (w, i))) for w in range(CLIENTS))
        r.close()
    finally:
        proc2.terminate()
        proc2.wait(30)
