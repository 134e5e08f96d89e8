"""maxclients fitted to RLIMIT_NOFILE (Redis's adjustOpenFilesLimit), with a fake rlimit.

The expected figures and texts are redis-server 7.0.15's, run with
``ulimit -Sn 100; ulimit -Hn 200`` (maxclients 160, "Current maximum open
files is 192"), with ``ulimit -n 20`` (refuses to start) and with only the
soft limit low (raised to 10032).
"""
from __future__ import annotations

import errno
import logging

import pytest

from damselfly.config import Config, ConfigError
from damselfly.fdlimit import FdLimitFatal, adjust_open_files_limit, watch_maxclients


class FakeLimits:
    def __init__(self, soft: int, hard: int) -> None:
        self.soft, self.hard = soft, hard
        self.calls: list[int] = []

    def get(self) -> tuple[int, int]:
        return self.soft, self.hard

    def set(self, soft: int, hard: int) -> None:
        self.calls.append(soft)
        if hard > self.hard:
            raise OSError(errno.EPERM, "Operation not permitted")
        self.soft, self.hard = soft, hard


def test_a_low_soft_limit_is_raised_and_maxclients_kept(caplog: pytest.LogCaptureFixture) -> None:
    cfg = Config()
    limits = FakeLimits(100, 20000)
    with caplog.at_level(logging.INFO, logger="damselfly"):
        assert adjust_open_files_limit(cfg, limits.get, limits.set) == 10000
    assert (limits.soft, limits.hard) == (10032, 10032)
    assert cfg.maxclients == 10000
    assert "Increased maximum number of open files to 10032 (it was originally set to 100)." in caplog.text


def test_a_low_hard_limit_reduces_maxclients_as_redis(caplog: pytest.LogCaptureFixture) -> None:
    cfg = Config()
    limits = FakeLimits(100, 200)
    with caplog.at_level(logging.INFO, logger="damselfly"):
        assert adjust_open_files_limit(cfg, limits.get, limits.set) == 160
    assert cfg.maxclients == 160 and limits.soft == 192
    assert caplog.messages == [
        "You requested maxclients of 10000 requiring at least 10032 max file descriptors.",
        "Server can't set maximum open files to 10032 because of OS error: Operation not permitted.",
        "Current maximum open files is 192. maxclients has been reduced to 160 to compensate for low "
        "ulimit. If you need higher maxclients increase 'ulimit -n'.",
    ]


def test_enough_descriptors_changes_nothing() -> None:
    cfg = Config()
    cfg.set("maxclients", "50")
    limits = FakeLimits(1024, 1024)
    assert adjust_open_files_limit(cfg, limits.get, limits.set) == 50
    assert limits.calls == []


def test_too_few_descriptors_is_fatal() -> None:
    limits = FakeLimits(20, 20)
    with pytest.raises(FdLimitFatal) as info:
        adjust_open_files_limit(Config(), limits.get, limits.set)
    assert str(info.value) == ("Your current 'ulimit -n' of 20 is not enough for the server to start. "
                               "Please increase your open file limit to at least 10032. Exiting.")


def test_config_set_maxclients_beyond_the_limit_fails_and_keeps_the_old_value() -> None:
    cfg = Config()
    limits = FakeLimits(100, 200)
    adjust_open_files_limit(cfg, limits.get, limits.set)
    watch_maxclients(cfg, limits.get, limits.set)
    cfg.set("maxclients", "150")
    with pytest.raises(ConfigError) as info:
        cfg.set("maxclients", "100000")
    assert str(info.value) == ("The operating system is not able to handle the specified number of "
                               "clients, try with 160")
    assert cfg.maxclients == 150
    cfg.set("maxclients", "155")  # fits: accepted
    assert cfg.maxclients == 155


def test_process_mode_server_reports_the_reduced_maxclients(tmp_path) -> None:
    """The real process: started under a low hard limit, CONFIG GET shows what fits."""
    import resource
    import subprocess
    import sys

    import redis

    from ..conftest import free_port

    port = free_port()

    def low_limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (100, 200))

    proc = subprocess.Popen([sys.executable, "-m", "damselfly", "--port", str(port), "--save", ""],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, preexec_fn=low_limit)
    try:
        lines = []
        assert proc.stdout is not None
        for raw in proc.stdout:
            lines.append(raw.decode())
            if "Ready to accept connections" in lines[-1] or len(lines) > 20:
                break
        assert any("maxclients has been reduced to 160" in line for line in lines), lines
        r = redis.Redis(port=port)
        assert r.config_get("maxclients") == {"maxclients": "160"}
        r.close()
    finally:
        proc.terminate()
        proc.wait(10)
