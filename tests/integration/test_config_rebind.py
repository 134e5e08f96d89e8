"""CONFIG SET port / bind rebind the listener at runtime, as Redis 7.0 does."""
from __future__ import annotations

import socket
from typing import Any, Callable

import pytest
import redis


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_config_set_port_moves_the_listener(start_server: Callable[..., Any]) -> None:
    srv = start_server()
    old = srv.port
    client = redis.Redis(port=old)
    client.set("k", "v")
    new = _free_port()
    assert client.config_set("port", new) is True
    assert client.get("k") == b"v"  # the open connection stays
    assert redis.Redis(port=new).get("k") == b"v"
    assert redis.Redis(port=new).info("server")["tcp_port"] == new
    client.ping()  # one more loop turn on the server
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", old), timeout=2).close()


def test_config_set_port_in_use_keeps_the_old_one(start_server: Callable[..., Any]) -> None:
    srv = start_server()
    client = redis.Redis(port=srv.port)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        try:
            client.config_set("port", taken)
        except redis.ResponseError as exc:
            assert str(exc) == ("CONFIG SET failed (possibly related to argument 'port') - "
                                "Unable to listen on this port. Check server logs.")
        else:
            raise AssertionError("CONFIG SET port on a busy port succeeded")
    assert client.config_get("port") == {"port": str(srv.config.port)}
    assert redis.Redis(port=srv.port).ping() is True


def test_config_set_bind(start_server: Callable[..., Any]) -> None:
    srv = start_server()
    client = redis.Redis(port=srv.port)
    try:
        client.config_set("bind", "10.255.255.1")
    except redis.ResponseError as exc:
        assert str(exc) == ("CONFIG SET failed (possibly related to argument 'bind') - "
                            "Failed to bind to specified addresses.")
    else:
        raise AssertionError("bound to an address this host does not have")
    assert client.config_get("bind") == {"bind": "127.0.0.1"}
    assert client.config_set("bind", "127.0.0.1 -::1") is True
    assert client.config_get("bind") == {"bind": "127.0.0.1 -::1"}
    assert redis.Redis(port=srv.port).ping() is True
