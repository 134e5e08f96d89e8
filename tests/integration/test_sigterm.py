"""SIGTERM during heavy traffic: stop cleanly, save, exit 0, lose no acknowledged write.

A process-mode server with a save point is flooded by several pipelining
clients that record every SET the server acknowledged. SIGTERM arrives in
the middle. The server must exit with status 0 after saving; a new server
started on that dump must hold every acknowledged key with its value, and
per client the keys present must be a prefix of what it sent (commands ran
in order, none half-applied).
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
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


def writer(port: int, worker: int, acked: list[int]) -> None:
    """Pipeline SET t<w>:<n> v<n> in batches; record each +OK until the server goes away."""
    sock = socket.create_connection(("127.0.0.1", port))
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
                        return
                    buf += chunk
                line, buf = buf.split(b"\r\n", 1)
                assert line == b"+OK", line  # never an error: a write is done or not at all
                acked[0] += 1
    except OSError:
        return
    finally:
        sock.close()


def test_sigterm_under_load_saves_every_acknowledged_write(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "server.log"
    proc = start(port, tmp_path, log)
    acked = [[0] for _ in range(CLIENTS)]
    threads = [threading.Thread(target=writer, args=(port, w, acked[w]), daemon=True) for w in range(CLIENTS)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    while sum(a[0] for a in acked) < 5000 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert all(a[0] > 0 for a in acked)  # every client was in full flow
    print("acked before SIGTERM", [a[0] for a in acked])
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(60) == 0, log.read_text()
    for t in threads:
        t.join(30)
        assert not t.is_alive()
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
            n_acked = acked[w][0]
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
