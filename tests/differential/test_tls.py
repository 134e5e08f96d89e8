"""TLS options against redis-server 7.0.15 (built with TLS): defaults, CONFIG SET texts, handshakes."""
from __future__ import annotations

import shutil
import time
from typing import Iterator

import pytest

from damselfly import Server

from ..conftest import RedisServerProcess, free_port
from ..integration.test_tls import TLS12, TLS13, client_context, tls_ping
from ..resp import RawConnection
from ..tls_certs import Certs, available, make_certs

pytestmark = [pytest.mark.differential,
              pytest.mark.skipif(not available(), reason="openssl command-line tool not installed")]

OURS = ["tls-port", "tls-cert-file", "tls-key-file", "tls-key-file-pass", "tls-ca-cert-file", "tls-ca-cert-dir",
        "tls-dh-params-file", "tls-auth-clients", "tls-protocols", "tls-ciphers", "tls-prefer-server-ciphers"]


@pytest.mark.parametrize("name", OURS)
def test_defaults_match(pair, name):
    pair.check("CONFIG", "GET", name)


def test_tls_off_config_set_matches(pair):
    pair.check("CONFIG", "SET", "tls-auth-clients", "maybe")
    pair.check("CONFIG", "SET", "tls-port", "70000")
    pair.check("CONFIG", "SET", "tls-prefer-server-ciphers", "perhaps")
    try:
        pair.check("CONFIG", "SET", "tls-protocols", "TLSv1.4")  # stored unchecked while TLS is off
        pair.check("CONFIG", "GET", "tls-protocols")
    finally:
        pair.check("CONFIG", "SET", "tls-protocols", "")


def test_turning_tls_on_without_certificate_fails_alike(pair):
    port = free_port()
    pair.check("CONFIG", "SET", "tls-port", str(port))
    pair.check("CONFIG", "GET", "tls-port")


def _tls_redis(certs: Certs) -> RedisServerProcess:
    try:
        return RedisServerProcess("--tls-cert-file", certs.server_cert, "--tls-key-file", certs.server_key,
                                  "--tls-ca-cert-file", certs.ca, port_options=("tls-port",))
    except RuntimeError:
        pytest.skip("redis-server did not start with TLS (built without it?)")


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    return make_certs(tmp_path_factory.mktemp("tls-diff"))


@pytest.fixture
def tls_pair(certs) -> Iterator[tuple[Server, RedisServerProcess]]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server not installed")
    theirs = _tls_redis(certs)
    ours = Server(port=0, tls_port=free_port(), tls_cert_file=certs.server_cert, tls_key_file=certs.server_key,
                  tls_ca_cert_file=certs.ca).start()
    try:
        yield ours, theirs
    finally:
        ours.stop()
        theirs.stop()


def _both(tls_pair, *command: str) -> list[bytes]:
    replies = []
    for port in (tls_pair[0].port, tls_pair[1].port):
        conn = RawConnection("127.0.0.1", port)
        replies.append(conn.command(*command))
        conn.close()
    return replies


@pytest.mark.parametrize("command", [
    ("CONFIG", "SET", "tls-cert-file", "/nonexistent.crt"),
    ("CONFIG", "SET", "tls-key-file", "/nonexistent.key"),
    ("CONFIG", "SET", "tls-protocols", "TLSv1.4"),
    ("CONFIG", "SET", "tls-protocols", "TLSv1.2  TLSv1.3"),
    ("CONFIG", "SET", "tls-ciphers", "NOPE"),
    ("CONFIG", "SET", "tls-ca-cert-file", ""),
    ("CONFIG", "SET", "tls-auth-clients", "no", "tls-ca-cert-file", ""),
    ("CONFIG", "SET", "tls-dh-params-file", "/nonexistent.pem"),
    ("CONFIG", "GET", "tls-cert-file"),
    ("CONFIG", "GET", "tls-auth-clients"),
])
def test_tls_on_config_set_matches(tls_pair, command):
    ours, theirs = _both(tls_pair, *command)
    assert ours == theirs, f"{command}: damselfly {ours!r} != redis {theirs!r}"


def test_handshakes_match(tls_pair, certs):
    ports = [tls_pair[0].config.tls_port, tls_pair[1].ports["tls-port"]]
    for kwargs in ({}, {"versions": TLS12}, {"versions": TLS13}):
        assert [tls_ping(p, client_context(certs, **kwargs)) for p in ports] == [b"+PONG\r\n"] * 2
    for kwargs in ({"cert": False}, {"rogue": True}):
        assert all(tls_ping(p, client_context(certs, **kwargs)) != b"+PONG\r\n" for p in ports)
    assert _both(tls_pair, "CONFIG", "SET", "tls-protocols", "TLSv1.3") == [b"+OK\r\n"] * 2
    for port in ports:
        for _ in range(100):  # damselfly's new listener starts on a later loop turn
            if tls_ping(port, client_context(certs, versions=TLS12)) != b"+PONG\r\n":
                break
            time.sleep(0.02)
        else:
            pytest.fail(f"TLSv1.2 still accepted on {port}")
        assert tls_ping(port, client_context(certs, versions=TLS13)) == b"+PONG\r\n"
