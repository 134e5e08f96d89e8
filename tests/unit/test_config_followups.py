"""CONFIG GET globs (Redis's stringmatch), the aliases Redis 7.0.15 has, live loglevel."""
from __future__ import annotations

import logging

import pytest

from damselfly.app import setup_logging
from damselfly.config import ALIASES, Config, ConfigError

from .commands._server_fixtures import Harness


def test_config_match_is_redis_stringmatch_nocase() -> None:
    cfg = Config()
    assert set(cfg.match("MAXMEM*")) == {n for n in cfg.values if n.startswith("maxmemory")}
    assert set(cfg.match("maxmemor\\y*")) == set(cfg.match("maxmemory*"))  # an escape, not a literal backslash
    assert "hz" in set(cfg.match("h[x-z]")) and "hz" not in set(cfg.match("h[^z]"))
    assert set(cfg.match("*ziplist*")) == {n for n in ALIASES if "ziplist" in n}


def test_glob_escape_and_classes_in_config_get() -> None:
    h = Harness()
    c = h.connect()
    assert h.call(c, "CONFIG", "GET", "maxmemor\\y") == {}  # no glob character: an exact name
    assert set(h.call(c, "CONFIG", "GET", "maxmemor\\y-p*")) == {b"maxmemory-policy"}
    assert h.call(c, "CONFIG", "GET", "[") == {}


def test_no_slave_output_buffer_limit_alias() -> None:
    """Redis 7.0.15: CONFIG GET answers nothing, CONFIG SET and the config file refuse it."""
    h = Harness()
    c = h.connect()
    assert h.call(c, "CONFIG", "GET", "slave-output-buffer-limit") == {}
    assert set(h.call(c, "CONFIG", "GET", "*output-buffer-limit")) == {b"client-output-buffer-limit"}
    assert h.run(c, "CONFIG", "SET", "slave-output-buffer-limit", "pubsub 1mb 1mb 10") == (
        b"-ERR Unknown option or number of arguments for CONFIG SET - 'slave-output-buffer-limit'\r\n")
    with pytest.raises(ConfigError):
        Config({"slave-output-buffer-limit": "pubsub 1mb 1mb 10"})


@pytest.fixture
def damselfly_logger():
    log = logging.getLogger("damselfly")
    saved = (list(log.handlers), log.level, log.propagate)
    yield log
    log.handlers[:], log.level, log.propagate = saved[0], saved[1], saved[2]


def test_config_set_loglevel_applies_at_once(damselfly_logger: logging.Logger) -> None:
    h = Harness()
    setup_logging(h.state.config)
    assert damselfly_logger.level == logging.INFO
    c = h.connect()
    assert h.run(c, "CONFIG", "SET", "loglevel", "warning") == b"+OK\r\n"
    assert damselfly_logger.level == logging.WARNING
    h.run(c, "CONFIG", "SET", "loglevel", "debug")
    assert damselfly_logger.level == logging.DEBUG
