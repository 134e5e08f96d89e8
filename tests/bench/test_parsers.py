"""Parsers of other tools' output and the raw RESP client, on canned bytes."""

import socket
import threading

from bench.datapath import parse_csv
from bench.resp import RespConnection, RespError, encode_command, parse_info
from bench.syscalls import WRITE_EVENTS, parse_perf_csv

BENCHMARK_CSV = '''"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms",\
"p95_latency_ms","p99_latency_ms","max_latency_ms"
"SET","46511.62","0.071","0.008","0.063","0.127","0.159","0.359"
"MSET (10 keys)","86956.52","0.040","0.016","0.039","0.055","0.079","0.967"
'''


def test_redis_benchmark_csv() -> None:
    assert parse_csv(BENCHMARK_CSV, "set") == 46511.62
    assert parse_csv(BENCHMARK_CSV, "mset") == 86956.52
    assert parse_csv(BENCHMARK_CSV, "get") is None
    assert parse_csv(BENCHMARK_CSV.splitlines()[0] + "\n", "set") is None


def test_perf_csv() -> None:
    text = (
        "# started on Sun Nov 29 01:56:54 2026\n\n"
        "1001,,syscalls:sys_enter_write,10214433,100.00,,\n"
        "5,,syscalls:sys_enter_writev,10214433,100.00,,\n"
        "0,,syscalls:sys_enter_sendto,10214433,100.00,,\n"
        "<not counted>,,syscalls:sys_enter_sendmsg,0,0.00,,\n"
    )
    counts = parse_perf_csv(text)
    assert set(counts) == set(WRITE_EVENTS)
    assert counts["syscalls:sys_enter_write"] == 1001
    assert counts["syscalls:sys_enter_sendmsg"] is None


def test_encode_command() -> None:
    assert encode_command("SET", b"k", 12) == b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\n12\r\n"


def test_info_parsing() -> None:
    info = parse_info(b"# Stats\r\ntotal_writes_processed:42\r\n\r\n# Server\r\nredis_version:7.0.15\r\n")
    assert info == {"total_writes_processed": "42", "redis_version": "7.0.15"}


def test_resp_connection_reads_every_reply_type() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    replies = b"+PONG\r\n-ERR nope\r\n:7\r\n$3\r\nabc\r\n$-1\r\n*2\r\n:1\r\n$1\r\nx\r\n"

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(1024)
            for i in range(len(replies)):
                conn.sendall(replies[i : i + 1])

    thread = threading.Thread(target=serve)
    thread.start()
    with RespConnection("127.0.0.1", port) as conn:
        conn.send(b"PING\r\n")
        got = conn.read_replies(6)
    thread.join()
    listener.close()
    assert got == [b"PONG", RespError("ERR nope"), 7, b"abc", None, [1, b"x"]]
