"""TLS over real sockets: redis-py (sync and asyncio), redis-cli, raw ssl sockets.

Certificates come from tests/tls_certs.py (openssl command-line tool). The
server listens on its plain port and on ``tls-port`` together, one keyspace.
"""
from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import time
from typing import Any

import pytest
import redis
import redis.asyncio

from damselfly import Server, errors

from ..conftest import free_port
from ..tls_certs import KEY_PASS, Certs, available, make_certs

pytestmark = pytest.mark.skipif(not available(), reason="openssl command-line tool not installed")


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    return make_certs(tmp_path_factory.mktemp("tls"))


def tls_options(certs: Certs, **extra: Any) -> dict[str, Any]:
    options = dict(tls_port=free_port(), tls_cert_file=certs.server_cert, tls_key_file=certs.server_key,
                   tls_ca_cert_file=certs.ca)
    options.update(extra)
    return options


def client_context(certs: Certs, cert: bool = True, rogue: bool = False,
                   versions: tuple[ssl.TLSVersion, ssl.TLSVersion] | None = None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=certs.ca)
    if cert:
        ctx.load_cert_chain(*((certs.rogue_cert, certs.rogue_key) if rogue else (certs.client_cert, certs.client_key)))
    if versions is not None:
        ctx.minimum_version, ctx.maximum_version = versions
    return ctx


def tls_ping(port: int, ctx: ssl.SSLContext, source: str | None = None, send: bool = True) -> bytes:
    """PING over a raw TLS socket: the reply bytes, b"" if the server closed, or the error's name.

    With TLSv1.3 the server checks the client certificate after the client
    has finished its side of the handshake, so a refusal may surface on the
    first read rather than in ``wrap_socket``.
    """
    raw = socket.create_connection(("127.0.0.1", port), timeout=5,
                                   source_address=(source, 0) if source else None)
    try:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as sock:
            if send:
                sock.sendall(b"PING\r\n")
            data = b""
            while not data.endswith(b"\r\n"):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
            return data
    except (ssl.SSLError, ConnectionError) as exc:
        return type(exc).__name__.encode()
    finally:
        raw.close()


# -- clients ---------------------------------------------------------------------------

def test_redis_py_sync_with_client_certificate(start_server, certs):
    srv = start_server(**tls_options(certs))
    port = srv.config.tls_port
    r = redis.Redis(port=port, ssl=True, ssl_ca_certs=certs.ca, ssl_certfile=certs.client_cert,
                    ssl_keyfile=certs.client_key)
    assert r.ping() is True
    assert r.set("k", "v") is True
    big = b"x" * (3 * 1024 * 1024)  # more than one TLS record and the transport's write buffer
    r.set("big", big)
    assert r.get("big") == big
    pipe = r.pipeline(transaction=False)
    for i in range(2000):
        pipe.incr("n")
    assert pipe.execute()[-1] == 2000
    # the plain port serves the same keyspace at the same time
    plain = redis.Redis(port=srv.port)
    assert plain.get("k") == b"v"
    listing = plain.client_list()
    tls_clients = [c for c in listing if c["laddr"] == f"127.0.0.1:{port}"]
    assert len(tls_clients) == 1 and int(tls_clients[0]["fd"]) > 0
    r.close()
    plain.close()


async def test_redis_py_asyncio(start_server, certs):
    srv = start_server(**tls_options(certs))
    r = redis.asyncio.Redis(port=srv.config.tls_port, ssl=True, ssl_ca_certs=certs.ca,
                            ssl_certfile=certs.client_cert, ssl_keyfile=certs.client_key, protocol=3)
    assert await r.ping() is True
    await r.rpush("l", "a", "b")
    assert await r.lrange("l", 0, -1) == [b"a", b"b"]
    pubsub = r.pubsub()
    await pubsub.subscribe("ch")
    publisher = redis.asyncio.Redis(port=srv.port)
    await publisher.publish("ch", "hello")
    message = None
    for _ in range(50):
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
        if message is not None:
            break
    assert message is not None and message["data"] == b"hello"
    await pubsub.aclose()
    await publisher.aclose()
    await r.aclose()


@pytest.mark.skipif(shutil.which("redis-cli") is None, reason="redis-cli not installed")
def test_redis_cli_tls(start_server, certs):
    srv = start_server(**tls_options(certs))
    base = ["redis-cli", "-p", str(srv.config.tls_port), "--tls", "--cacert", certs.ca]
    with_cert = base + ["--cert", certs.client_cert, "--key", certs.client_key]
    done = subprocess.run(with_cert + ["PING"], capture_output=True, text=True, timeout=30)
    assert done.stdout == "PONG\n"
    done = subprocess.run(with_cert + ["CLIENT", "LIST"], capture_output=True, text=True, timeout=30)
    assert f"laddr=127.0.0.1:{srv.config.tls_port} " in done.stdout
    refused = subprocess.run(base + ["PING"], capture_output=True, text=True, timeout=30)
    assert refused.returncode != 0 and "PONG" not in refused.stdout


# -- tls-auth-clients ------------------------------------------------------------------

def test_auth_clients_yes_refuses_a_client_without_certificate(start_server, certs):
    srv = start_server(**tls_options(certs))
    before = redis.Redis(port=srv.port).info("stats")["total_connections_received"]
    assert tls_ping(srv.config.tls_port, client_context(certs, cert=False)) != b"+PONG\r\n"
    assert tls_ping(srv.config.tls_port, client_context(certs, rogue=True)) != b"+PONG\r\n"
    with pytest.raises(redis.ConnectionError):
        redis.Redis(port=srv.config.tls_port, ssl=True, ssl_ca_certs=certs.ca).ping()
    # a failed handshake never makes a client (only the INFO client itself is counted)
    assert redis.Redis(port=srv.port).info("stats")["total_connections_received"] == before + 1
    assert tls_ping(srv.config.tls_port, client_context(certs)) == b"+PONG\r\n"


def test_auth_clients_optional_accepts_no_certificate_but_checks_one_given(start_server, certs):
    srv = start_server(**tls_options(certs, tls_auth_clients="optional"))
    assert tls_ping(srv.config.tls_port, client_context(certs, cert=False)) == b"+PONG\r\n"
    assert tls_ping(srv.config.tls_port, client_context(certs)) == b"+PONG\r\n"
    assert tls_ping(srv.config.tls_port, client_context(certs, rogue=True)) != b"+PONG\r\n"


def test_auth_clients_no_needs_no_ca(start_server, certs):
    srv = start_server(tls_port=free_port(), tls_cert_file=certs.server_cert, tls_key_file=certs.server_key,
                       tls_auth_clients="no")
    assert tls_ping(srv.config.tls_port, client_context(certs, cert=False)) == b"+PONG\r\n"
    assert tls_ping(srv.config.tls_port, client_context(certs, rogue=True)) == b"+PONG\r\n"  # never asked


# -- tls-protocols, tls-ciphers, key passphrase ----------------------------------------

TLS12 = (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_2)
TLS13 = (ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_3)


def test_protocols_tls13_only_refuses_a_tls12_client(start_server, certs):
    srv = start_server(**tls_options(certs, tls_protocols="TLSv1.3"))
    assert tls_ping(srv.config.tls_port, client_context(certs, versions=TLS12)) != b"+PONG\r\n"
    assert tls_ping(srv.config.tls_port, client_context(certs, versions=TLS13)) == b"+PONG\r\n"


def test_protocols_tls12_only_refuses_a_tls13_client(start_server, certs):
    srv = start_server(**tls_options(certs, tls_protocols="tlsv1.2"))
    assert tls_ping(srv.config.tls_port, client_context(certs, versions=TLS13)) != b"+PONG\r\n"
    assert tls_ping(srv.config.tls_port, client_context(certs, versions=TLS12)) == b"+PONG\r\n"


def test_default_protocols_accept_tls12_and_tls13(start_server, certs):
    srv = start_server(**tls_options(certs))
    for versions in (TLS12, TLS13):
        assert tls_ping(srv.config.tls_port, client_context(certs, versions=versions)) == b"+PONG\r\n"


def test_ciphers_limit_what_tls12_negotiates(start_server, certs):
    cipher = "ECDHE-RSA-AES128-GCM-SHA256"
    srv = start_server(**tls_options(certs, tls_ciphers=cipher, tls_protocols="TLSv1.2"))
    ctx = client_context(certs, versions=TLS12)
    with socket.create_connection(("127.0.0.1", srv.config.tls_port), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as sock:
            assert sock.cipher()[0] == cipher
            sock.sendall(b"PING\r\n")
            assert sock.recv(100) == b"+PONG\r\n"
    other = client_context(certs, versions=TLS12)
    other.set_ciphers("ECDHE-RSA-AES256-GCM-SHA384")
    assert tls_ping(srv.config.tls_port, other) != b"+PONG\r\n"


def test_encrypted_key_with_passphrase(start_server, certs):
    srv = start_server(**tls_options(certs, tls_key_file=certs.server_key_encrypted, tls_key_file_pass=KEY_PASS))
    assert tls_ping(srv.config.tls_port, client_context(certs)) == b"+PONG\r\n"


# -- configuration ---------------------------------------------------------------------

def test_config_get_and_info_show_tls(start_server, certs):
    options = tls_options(certs, tls_auth_clients="optional", tls_protocols="TLSv1.2 TLSv1.3")
    srv = start_server(**options)
    r = redis.Redis(port=srv.port, decode_responses=True)
    got = r.config_get("tls-*")
    assert got["tls-port"] == str(options["tls_port"])
    assert got["tls-cert-file"] == certs.server_cert
    assert got["tls-auth-clients"] == "optional"
    assert got["tls-protocols"] == "TLSv1.2 TLSv1.3"
    assert got["tls-prefer-server-ciphers"] == "no"
    assert r.info("server")["tls_port"] == options["tls_port"]


# -- CONFIG SET while running (Redis's applyTLSPort / applyTlsCfg) -------------------------

UPDATE_FAILED = "Unable to update TLS configuration. Check server logs."


def _set_error(name: str, reason: str) -> str:
    return f"CONFIG SET failed (possibly related to argument '{name}') - {reason}"


def _eventually(check: Any) -> bool:
    """New listeners start on the loop's next turns: look a bounded number of times."""
    for _ in range(100):
        if check():
            return True
        time.sleep(0.02)
    return False


def test_config_set_protocols_applies_to_new_connections(start_server, certs):
    srv = start_server(**tls_options(certs))
    port = srv.config.tls_port
    kept = redis.Redis(port=port, ssl=True, ssl_ca_certs=certs.ca, ssl_certfile=certs.client_cert,
                       ssl_keyfile=certs.client_key)
    assert kept.ping()
    admin = redis.Redis(port=srv.port, decode_responses=True)
    assert admin.config_set("tls-protocols", "TLSv1.3") is True
    assert _eventually(lambda: tls_ping(port, client_context(certs, versions=TLS12)) != b"+PONG\r\n")
    assert tls_ping(port, client_context(certs, versions=TLS13)) == b"+PONG\r\n"
    assert kept.ping()  # an open session is not touched
    assert admin.config_set("tls-auth-clients", "no") is True
    assert _eventually(lambda: tls_ping(port, client_context(certs, cert=False)) == b"+PONG\r\n")
    kept.close()


def test_two_reloads_in_one_loop_turn_leave_only_the_last(start_server, certs):
    srv = start_server(**tls_options(certs))
    port = srv.config.tls_port
    pipe = redis.Redis(port=srv.port).pipeline(transaction=False)
    pipe.config_set("tls-protocols", "TLSv1.3")
    pipe.config_set("tls-protocols", "TLSv1.2")
    assert pipe.execute() == [True, True]
    assert _eventually(lambda: tls_ping(port, client_context(certs, versions=TLS13)) != b"+PONG\r\n")
    for _ in range(5):  # every accept goes to a TLSv1.2 server: the superseded one was closed
        assert tls_ping(port, client_context(certs, versions=TLS12)) == b"+PONG\r\n"
        assert tls_ping(port, client_context(certs, versions=TLS13)) != b"+PONG\r\n"
    tls = srv._listener.tls
    assert _eventually(lambda: all(task.done() for task in tls._tasks))
    assert len(tls.servers) == len(tls.socks) == 1


def test_config_set_bad_tls_value_changes_nothing(start_server, certs):
    srv = start_server(**tls_options(certs))
    admin = redis.Redis(port=srv.port, decode_responses=True)
    for name, value in (("tls-cert-file", "/nonexistent.crt"), ("tls-protocols", "TLSv1.4"),
                        ("tls-ciphers", "NOPE"), ("tls-ca-cert-file", "")):
        with pytest.raises(redis.ResponseError) as info:
            admin.config_set(name, value)
        assert str(info.value) == _set_error(name, UPDATE_FAILED)
    assert admin.config_get("tls-cert-file")["tls-cert-file"] == certs.server_cert
    assert admin.config_get("tls-protocols")["tls-protocols"] == ""
    with pytest.raises(redis.ResponseError) as info:  # blamed on the option whose apply failed, as Redis
        admin.execute_command("CONFIG", "SET", "tls-port", str(free_port()), "tls-cert-file", "")
    assert str(info.value) == _set_error("tls-cert-file", UPDATE_FAILED)
    with pytest.raises(redis.ResponseError) as info:
        admin.config_set("tls-auth-clients", "maybe")
    assert str(info.value) == _set_error("tls-auth-clients", "argument(s) must be one of the following: no, yes, "
                                         "optional")
    assert tls_ping(srv.config.tls_port, client_context(certs)) == b"+PONG\r\n"


def test_config_set_tls_port_moves_stops_and_starts_the_listener(start_server, certs):
    srv = start_server(**tls_options(certs))
    old_port, new_port = srv.config.tls_port, free_port()
    admin = redis.Redis(port=srv.port, decode_responses=True)
    assert admin.config_set("tls-port", str(new_port)) is True
    assert tls_ping(new_port, client_context(certs)) == b"+PONG\r\n"
    assert _eventually(lambda: _refused(old_port))
    assert admin.info("server")["tls_port"] == new_port
    assert admin.config_set("tls-port", "0") is True
    assert _eventually(lambda: _refused(new_port))
    assert "tls_port" not in admin.info("server")
    assert admin.config_set("tls-port", str(old_port)) is True
    assert tls_ping(old_port, client_context(certs)) == b"+PONG\r\n"


def test_config_set_tls_port_in_use_keeps_the_old_listener(start_server, certs):
    srv = start_server(**tls_options(certs))
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    admin = redis.Redis(port=srv.port, decode_responses=True)
    with pytest.raises(redis.ResponseError) as info:
        admin.config_set("tls-port", str(busy.getsockname()[1]))
    assert str(info.value) == _set_error("tls-port", "Unable to listen on this port. Check server logs.")
    busy.close()
    assert admin.config_get("tls-port")["tls-port"] == str(srv.config.tls_port)
    assert tls_ping(srv.config.tls_port, client_context(certs)) == b"+PONG\r\n"


def test_config_set_bind_moves_the_tls_listener_too(start_server, certs):
    """Redis's changeBindAddr rebinds the TLS port with the plain one."""
    srv = start_server(**tls_options(certs))
    admin = redis.Redis(port=srv.port, decode_responses=True)
    try:
        admin.config_set("bind", "127.0.0.1 ::1")
    except redis.ResponseError:
        pytest.skip("::1 is not available here")
    port = srv.config.tls_port
    ctx = client_context(certs)
    ctx.check_hostname = False  # the test certificate names 127.0.0.1 and localhost
    with socket.create_connection(("::1", port), timeout=5) as raw, ctx.wrap_socket(raw) as sock:
        sock.sendall(b"PING\r\n")
        assert sock.recv(100) == b"+PONG\r\n"
    assert tls_ping(port, client_context(certs)) == b"+PONG\r\n"


def _bind_refused_with_busy(srv: Any, busy_port: int) -> redis.Redis:
    """CONFIG SET bind adding ::1 while another socket holds ::1:``busy_port``: Redis's error."""
    try:
        busy = socket.socket(socket.AF_INET6)
        busy.bind(("::1", busy_port))
    except OSError:
        pytest.skip("::1 is not available here")
    busy.listen(1)
    admin = redis.Redis(port=srv.port, decode_responses=True)
    with pytest.raises(redis.ResponseError) as info:
        admin.config_set("bind", "127.0.0.1 ::1")
    busy.close()
    assert str(info.value) == _set_error("bind", "Failed to bind to specified addresses.")
    return admin


def test_config_set_bind_refused_by_the_tls_port_changes_nothing(start_server, certs):
    srv = start_server(**tls_options(certs))
    admin = _bind_refused_with_busy(srv, srv.config.tls_port)
    assert admin.config_get("bind")["bind"] == "127.0.0.1"
    assert _eventually(lambda: _refused_at("::1", srv.port))  # the plain listener went back too
    assert admin.ping() and tls_ping(srv.config.tls_port, client_context(certs)) == b"+PONG\r\n"


def test_config_set_bind_refused_by_the_plain_port_reverts_tls(start_server, certs):
    srv = start_server(**tls_options(certs))
    _bind_refused_with_busy(srv, srv.port)
    assert _eventually(lambda: _refused_at("::1", srv.config.tls_port))
    tls = srv._listener.tls
    assert _eventually(lambda: all(task.done() for task in tls._tasks))
    assert len(tls.servers) == len(tls.socks) == 1
    assert tls_ping(srv.config.tls_port, client_context(certs)) == b"+PONG\r\n"


def _refused_at(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    except ConnectionResetError:  # a listener closing while we connect: not refused yet
        return False
    return False


def test_turning_tls_on_at_runtime_checks_the_configuration(start_server, certs):
    srv = start_server()
    admin = redis.Redis(port=srv.port, decode_responses=True)
    port = free_port()
    with pytest.raises(redis.ResponseError) as info:  # no certificate configured yet
        admin.config_set("tls-port", str(port))
    assert str(info.value) == _set_error("tls-port", UPDATE_FAILED)
    assert admin.config_get("tls-port")["tls-port"] == "0"
    # with TLS off, values are stored unchecked, as Redis does
    assert admin.config_set("tls-protocols", "TLSv1.4") is True
    admin.execute_command("CONFIG", "SET", "tls-protocols", "", "tls-cert-file", certs.server_cert,
                          "tls-key-file", certs.server_key, "tls-ca-cert-file", certs.ca)
    assert admin.config_set("tls-port", str(port)) is True
    assert tls_ping(port, client_context(certs)) == b"+PONG\r\n"


def _refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


def test_info_has_no_tls_port_without_tls(server):
    assert "tls_port" not in redis.Redis(port=server.port).info("server")


@pytest.mark.parametrize("options, message", [
    ({"tls_ca_cert_file": ""},
     "Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, tls-replication "
     "or tls-auth-clients are enabled!"),
    ({"tls_cert_file": ""}, "No tls-cert-file configured!"),
    ({"tls_key_file": ""}, "No tls-key-file configured!"),
    ({"tls_ciphers": "NOPE"}, "Failed to configure ciphers: NOPE"),
    ({"tls_key_file": "/nonexistent.key"}, "Failed to load certificate or private key"),
])
def test_startup_refuses_a_bad_tls_configuration(certs, options, message):
    srv = Server(port=0, **tls_options(certs, **options))
    with pytest.raises(OSError) as info:
        srv.start()
    assert message in str(info.value)


def test_unknown_protocol_fails_startup(certs):
    with pytest.raises(OSError, match="Invalid tls-protocols specified"):
        Server(port=0, **tls_options(certs, tls_protocols="TLSv1.4")).start()


def test_tls_port_in_use_fails_startup(start_server, certs):
    srv = start_server(**tls_options(certs))
    with pytest.raises(OSError, match="Could not create server TLS listening socket"):
        Server(port=0, **tls_options(certs, tls_port=srv.config.tls_port)).start()


# -- protected mode applies after the handshake --------------------------------------------

def test_protected_mode_denies_non_local_tls_client(start_server, certs):
    try:
        with socket.socket() as s:
            s.bind(("127.0.0.2", 0))
    except OSError:
        pytest.skip("127.0.0.2 is not usable as a source address here")
    srv = start_server(**tls_options(certs))
    reply = tls_ping(srv.config.tls_port, client_context(certs), source="127.0.0.2", send=False)
    assert reply == b"-" + errors.PROTECTED_MODE_DENIED.encode() + b"\r\n"
