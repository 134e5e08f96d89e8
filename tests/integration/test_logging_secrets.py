"""Passwords never reach the server log.

Every place that logs while credentials are about is driven once: start-up
with ``requirepass`` and ``user`` lines, an ACL file with errors (at start-up
and through ACL LOAD), AUTH and HELLO AUTH failures, ACL SETUSER and CONFIG
SET requirepass, CONFIG REWRITE (whose file does hold the secrets, as Redis's
does), and an authenticated client closed at its output buffer limit (its
CLIENT LIST line is logged). The log is then searched for each password.

Each test also asserts that the lines it expects were logged, so a logger
that lost its records (or a level that hid them) cannot pass for a clean log.
"""
from __future__ import annotations

import logging
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import redis

from damselfly import Server
from damselfly.acl.registry import AclStartupError

from ..resp import RawConnection
from ..waiting import wait_until

# Distinct strings, so a hit says which path leaked.
REQUIREPASS = "Rq-pass-6d1f0a"
USER_LINE = "Ul-pass-93be27"
SETUSER = "Su-pass-4c8e55"
CONFIG_SET = "Cs-pass-a07d31"
ACLFILE_GOOD = "Af-pass-1e9b6c"
ACLFILE_BAD_LINE = "Ab-pass-72f4d8"
WRONG = "Wr-pass-58c2e9"
SECRETS = (REQUIREPASS, USER_LINE, SETUSER, CONFIG_SET, ACLFILE_GOOD, ACLFILE_BAD_LINE, WRONG)

KILL_LINE = "scheduled to be closed ASAP for overcoming of output buffer limits"
REWRITE_LINE = "CONFIG REWRITE executed with success."


def assert_no_secret(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} in {where}"


def fail_auth(host: str, port: int) -> None:
    """Every failing form of AUTH, each answered WRONGPASS."""
    conn = RawConnection(host, port)
    for argv in (("AUTH", WRONG), ("AUTH", "default", WRONG), ("AUTH", "alice", WRONG),
                 ("AUTH", "nosuchuser", WRONG), ("HELLO", "3", "AUTH", "alice", WRONG),
                 ("HELLO", "2", "AUTH", "default", WRONG, "SETNAME", "x")):
        assert conn.command(*argv).startswith(b"-WRONGPASS"), argv
    conn.close()


def kill_at_output_limit(host: str, port: int, user: str, password: str) -> None:
    """Authenticate, then pipeline GETs of a 2 MB value without reading, until closed."""
    sock = socket.create_connection((host, port))
    sock.settimeout(10)
    sock.sendall(f"AUTH {user} {password}\r\n".encode())
    assert sock.recv(16) == b"+OK\r\n"
    try:
        sock.sendall(b"*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n" * 20)
        while sock.recv(1 << 16):
            pass
    except OSError:  # reset by the server, as expected
        pass
    finally:
        sock.close()


def exercise(srv_host: str, srv_port: int) -> None:
    """What every test runs on a server started with requirepass and the user ``alice``."""
    admin = redis.Redis(host=srv_host, port=srv_port, password=REQUIREPASS)
    assert redis.Redis(host=srv_host, port=srv_port, username="alice", password=USER_LINE).ping()
    fail_auth(srv_host, srv_port)
    admin.execute_command("ACL", "SETUSER", "carol", "on", f">{SETUSER}", "~*", "+@all")
    admin.config_set("client-output-buffer-limit", "normal 1mb 0 0")
    admin.set("big", b"v" * (2 * 1024 * 1024))
    kill_at_output_limit(srv_host, srv_port, "carol", SETUSER)
    assert wait_until(lambda: admin.info("stats")["client_output_buffer_limit_disconnections"] == 1)
    assert admin.config_rewrite()
    admin.config_set("requirepass", CONFIG_SET)
    admin.close()


def test_embedded_server_logs_no_password(caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    caplog.set_level(logging.DEBUG, logger="damselfly")
    conf = tmp_path / "damselfly.conf"
    conf.write_text("")
    srv = Server(port=0, dir=str(tmp_path), requirepass=REQUIREPASS)
    # What the config file loader does with ``user`` lines and the file's path.
    srv.config.acl_users.append(f"alice on >{USER_LINE} ~* &* +@all")
    srv.config.file = str(conf)
    srv.start()
    try:
        exercise(srv.host, srv.port)
    finally:
        srv.stop()
    assert USER_LINE not in conf.read_text()  # rewritten as a hash
    assert f"requirepass {REQUIREPASS}" in conf.read_text()  # as Redis writes it

    aclfile = tmp_path / "users.acl"
    aclfile.write_text(f"user dave on >{ACLFILE_GOOD} ~* +@all\nuser erin on >{ACLFILE_BAD_LINE} +nosuch\n")
    with pytest.raises(AclStartupError) as info:
        Server(port=0, dir=str(tmp_path), aclfile=str(aclfile)).start()
    assert "+nosuch" in str(info.value)
    assert_no_secret(str(info.value), "the start-up error")

    aclfile.write_text(f"user dave on >{ACLFILE_GOOD} ~* +@all\n")
    srv = Server(port=0, dir=str(tmp_path), aclfile=str(aclfile)).start()
    try:
        conn = RawConnection(srv.host, srv.port)
        aclfile.write_text(f"user dave on >{ACLFILE_GOOD} ~* +@all\nuser erin on >{ACLFILE_BAD_LINE} (+get\n"
                           f"user frank >{ACLFILE_BAD_LINE} bogus\n")
        reply = conn.command("ACL", "LOAD")
        assert reply.startswith(b"-ERR ") and b"no change to the previously active ACL rules" in reply
        assert_no_secret(reply.decode(), "the ACL LOAD error")
        assert conn.command("AUTH", "dave", ACLFILE_GOOD) == b"+OK\r\n"
        conn.close()
    finally:
        srv.stop()

    messages = [record.getMessage() for record in caplog.records if record.name == "damselfly"]
    assert any(KILL_LINE in m and "user=carol" in m for m in messages), messages
    assert REWRITE_LINE in messages
    assert_no_secret(caplog.text, "the log")
    assert_no_secret("\n".join(messages), "the log")


def test_standalone_server_logfile_holds_no_password(tmp_path: Path) -> None:
    """The CLI's own path: a config file with requirepass and ``user`` lines, loglevel debug."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    logfile = tmp_path / "server.log"
    conf = tmp_path / "damselfly.conf"
    conf.write_text(f'port {port}\nsave ""\ndir {tmp_path}\nloglevel debug\nlogfile {logfile}\n'
                    f"requirepass {REQUIREPASS}\nuser alice on >{USER_LINE} ~* &* +@all\n")
    proc = subprocess.Popen([sys.executable, "-m", "damselfly", str(conf)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        admin = redis.Redis(port=port, password=REQUIREPASS)
        assert wait_until(lambda: logfile.exists() and "Ready to accept connections" in logfile.read_text())
        exercise("127.0.0.1", port)
        redis.Redis(port=port, password=CONFIG_SET).shutdown(nosave=True)
        admin.close()
    finally:
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0
    log = logfile.read_text()
    assert KILL_LINE in log and "user=carol" in log
    assert REWRITE_LINE in log and "ready to exit" in log
    assert_no_secret(log, "the log file")
    assert_no_secret(out.decode() + err.decode(), "the process output")

    aclfile = tmp_path / "users.acl"
    aclfile.write_text(f"user dave on >{ACLFILE_GOOD} ~* +@all\nuser erin on >{ACLFILE_BAD_LINE} +nosuch\n")
    conf.write_text(f"port {port}\nlogfile {logfile}\naclfile {aclfile}\n")
    done = subprocess.run([sys.executable, "-m", "damselfly", str(conf)], capture_output=True, text=True,
                          timeout=30)
    assert done.returncode == 1 and "Aborting Redis startup because of ACL errors" in done.stderr
    assert_no_secret(done.stdout + done.stderr + logfile.read_text(), "the failed start-up's output")
