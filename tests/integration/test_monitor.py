"""MONITOR over real TCP: redis-py's monitor(), raw lines, RESP3 monitors, CLIENT LIST flag."""
from __future__ import annotations

import re
import time

import redis

from tests.resp import RawConnection

LINE = re.compile(rb'^\+(\d+)\.(\d{6}) \[(\d+) ([^\]]+)\] (.*)\r\n$')


def test_raw_monitor_lines(start_server) -> None:
    srv = start_server()
    mon = RawConnection(srv.host, srv.port)
    assert mon.command("MONITOR") == b"+OK\r\n"
    c = RawConnection(srv.host, srv.port)
    c.command("SET", "k", 'a "b"\n')
    c.command("SELECT", "4")
    c.command("CONFIG", "GET", "port")   # admin: not shown
    c.command("NOPE")                     # rejected: not shown
    c.command("AUTH", "pw")               # shown redacted (it fails: no password set)
    lines = [mon.read_reply() for _ in range(3)]
    parsed = [LINE.match(line) for line in lines]
    assert all(parsed), lines
    addr = parsed[0].group(4)
    assert [(m.group(3), m.group(5)) for m in parsed] == [
        (b"0", b'"SET" "k" "a \\"b\\"\\n"'), (b"4", b'"SELECT" "4"'), (b"4", b'"AUTH" "(redacted)"')]
    assert abs(int(parsed[0].group(1)) - time.time()) < 60
    assert addr.startswith(b"127.0.0.1:")
    mon.close()
    c.close()


def test_monitor_sees_its_own_commands_after_the_reply_and_resp3_uses_status_lines(start_server) -> None:
    srv = start_server()
    mon = RawConnection(srv.host, srv.port)
    mon.command("HELLO", "3")
    mon.command("MONITOR")
    assert mon.command("PING") == b"+PONG\r\n"
    own = mon.read_reply()
    assert own.startswith(b"+") and own.endswith(b'"PING"\r\n')
    assert mon.command("GET", "k") == b"-ERR Replica can't interact with the keyspace\r\n"
    other = RawConnection(srv.host, srv.port)
    other.command("INCR", "n")
    assert mon.read_reply().endswith(b'"INCR" "n"\r\n')
    assert mon.command("RESET") == b"+RESET\r\n"
    other.command("INCR", "n")
    assert mon.command("PING") == b"+PONG\r\n"  # no longer monitoring: no line queued
    mon.close()
    other.close()


def test_redis_py_monitor_and_client_list_flag(start_server) -> None:
    srv = start_server()
    r = redis.Redis(host=srv.host, port=srv.port)
    with r.monitor() as m:
        deadline = time.monotonic() + 2
        flags = b""
        while time.monotonic() < deadline and b"O" not in flags:
            listing = r.execute_command("CLIENT", "LIST")
            flags = b"".join(re.findall(rb"flags=(\S+)", listing))
        assert b"O" in flags
        r.set("mk", "1")
        seen = []
        for _ in range(20):
            info = m.next_command()
            seen.append(info["command"])
            if info["command"] == "SET mk 1":
                break
        assert "SET mk 1" in seen
        assert info["db"] == 0 and info["client_type"] == "tcp"
        # Redis 7.0 counts a monitor as a connected client (only replicas are left out)
        assert r.info("clients")["connected_clients"] == 2
        assert r.info("replication")["connected_slaves"] == 0
    r.close()


def connected_clients(conn: RawConnection) -> int:
    info = conn.command("INFO", "clients")
    return int(re.search(rb"\r\nconnected_clients:(\d+)\r\n", info).group(1))


def test_monitors_count_as_connected_clients_until_they_close(start_server) -> None:
    """What redis-server 7.0.15 reports with MONITOR clients open, RESP2 and RESP3, and after RESET."""
    srv = start_server()
    admin = RawConnection(srv.host, srv.port)
    assert connected_clients(admin) == 1
    mon2, mon3 = RawConnection(srv.host, srv.port), RawConnection(srv.host, srv.port)
    mon3.command("HELLO", "3")
    assert mon2.command("MONITOR") == b"+OK\r\n" and mon3.command("MONITOR") == b"+OK\r\n"
    assert connected_clients(admin) == 3
    assert b"\r\nconnected_slaves:0\r\n" in admin.command("INFO", "replication")
    assert mon2.read_reply().endswith(b'"INFO" "clients"\r\n')  # they are monitoring
    assert mon2.read_reply().endswith(b'"INFO" "replication"\r\n')
    assert mon2.command("RESET") == b"+RESET\r\n"  # no longer a monitor, still a client
    assert connected_clients(admin) == 3
    mon2.close()
    mon3.close()
    deadline = time.monotonic() + 5
    while connected_clients(admin) != 1 and time.monotonic() < deadline:
        time.sleep(0.02)  # the server sees the closes asynchronously
    assert connected_clients(admin) == 1
    admin.close()


def test_multi_exec_shows_queued_commands_at_exec(start_server) -> None:
    srv = start_server()
    mon = RawConnection(srv.host, srv.port)
    mon.command("MONITOR")
    c = RawConnection(srv.host, srv.port)
    for cmd in (("MULTI",), ("SET", "a", "1"), ("GET", "a"), ("EXEC",)):
        c.command(*cmd)
    tails = [mon.read_reply().split(b"] ", 1)[1] for _ in range(4)]
    assert tails == [b'"MULTI"\r\n', b'"SET" "a" "1"\r\n', b'"GET" "a"\r\n', b'"EXEC"\r\n']
    mon.close()
    c.close()
