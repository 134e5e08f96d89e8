"""pytest plugin: a real damselfly server for your tests, registered as ``pytest11``.

Fixtures:

- ``damselfly_server`` (session): a :class:`damselfly.Server` on a free port;
- ``damselfly_url`` (session): its ``redis://`` URL;
- ``redis_client`` / ``async_redis_client`` (function): redis-py clients on a
  freshly flushed keyspace, so tests do not see each other's keys.

Options (command line or ini): ``--damselfly-protocol`` / ``damselfly_protocol``
(2 or 3) and ``--damselfly-config NAME=VALUE`` / ``damselfly_config`` (one
``name value`` per line) for server options.
"""
from __future__ import annotations

from typing import Any, AsyncIterator, Iterator

import pytest

from .config import ConfigError
from .embed import Server, _config

try:  # strict-mode pytest-asyncio needs its own decorator for async fixtures
    import pytest_asyncio
    _async_fixture = pytest_asyncio.fixture
except ImportError:  # pragma: no cover
    _async_fixture = pytest.fixture


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("damselfly")
    group.addoption("--damselfly-protocol", default=None, choices=("2", "3"),
                    help="RESP version of the redis_client fixtures (default 2)")
    group.addoption("--damselfly-config", action="append", default=[], metavar="NAME=VALUE",
                    help="server option for the damselfly_server fixture (repeatable)")
    parser.addini("damselfly_protocol", "RESP version of the redis_client fixtures", default="2")
    parser.addini("damselfly_config", "server options, one 'name value' per line", type="linelist",
                  default=[])


def pytest_configure(config: pytest.Config) -> None:
    """Check the options once, up front: a bad one is a usage error, not an error per test."""
    options = _server_options(config)
    if options:
        try:
            _config("127.0.0.1", 0, options)
        except ConfigError as exc:
            raise pytest.UsageError(f"damselfly_config / --damselfly-config: {exc}") from None
    _protocol(config)


def _protocol(config: pytest.Config) -> int:
    text = str(config.getoption("--damselfly-protocol") or config.getini("damselfly_protocol") or 2).strip()
    if text not in ("2", "3"):
        raise pytest.UsageError(f"damselfly_protocol must be 2 or 3, not {text!r}")
    return int(text)


def _server_options(config: pytest.Config) -> dict[str, str]:
    options: dict[str, str] = {}
    for line in config.getini("damselfly_config"):
        name, _, value = line.strip().partition(" ")
        if name:
            options[name] = value.strip()
    for item in config.getoption("--damselfly-config"):
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise pytest.UsageError(f"--damselfly-config takes NAME=VALUE, not {item!r}")
        options[name.strip()] = value
    return options


@pytest.fixture(scope="session")
def damselfly_server(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for the whole session, stopped at the end.

    Its ``dir`` is a temporary directory unless configured: a server loads
    ``dir/dbfilename`` at start-up, and a dump.rdb in the working directory
    must not leak into (or break) the tests.
    """
    options = _server_options(pytestconfig)
    if "dir" not in options:
        options["dir"] = str(tmp_path_factory.mktemp("damselfly"))
    server = Server(port=0, **options)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def damselfly_url(damselfly_server: Server) -> str:
    return damselfly_server.url


@pytest.fixture
def redis_client(damselfly_server: Server, pytestconfig: pytest.Config) -> Iterator[Any]:
    """A redis-py client on an empty keyspace."""
    import redis
    client = redis.Redis(host=damselfly_server.host, port=damselfly_server.port,
                         protocol=_protocol(pytestconfig))
    client.flushall()
    yield client
    client.close()


@_async_fixture
async def async_redis_client(damselfly_server: Server, pytestconfig: pytest.Config) -> AsyncIterator[Any]:
    """An asyncio redis-py client on an empty keyspace (needs pytest-asyncio or anyio)."""
    import redis.asyncio as aredis
    client = aredis.Redis(host=damselfly_server.host, port=damselfly_server.port,
                          protocol=_protocol(pytestconfig))
    await client.flushall()
    yield client
    await client.aclose()
