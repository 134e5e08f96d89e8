"""glibc's thresholds are fixed by the standalone server only (src/damselfly/malloc_tuning.py)."""
from __future__ import annotations

import platform
import subprocess
import sys
from typing import Any

import pytest

from damselfly import app, malloc_tuning
from damselfly.config import Config


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_mallopt_accepts_both_thresholds() -> None:
    # in a child: the thresholds are process-wide and cannot be reset
    out = subprocess.run([sys.executable, "-c", "from damselfly.malloc_tuning import tune_malloc; print(tune_malloc())"],
                         check=True, capture_output=True, text=True).stdout
    assert out.strip() == "True"


def test_the_standalone_server_tunes_before_serving(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(malloc_tuning, "tune_malloc", lambda: calls.append("tune") or True)

    def fake_run(coro: Any) -> int:
        coro.close()
        calls.append("serve")
        return 0

    monkeypatch.setattr(app.asyncio, "run", fake_run)
    monkeypatch.setattr(app, "install_event_loop_policy", lambda: None)
    config = Config()
    config.set("save", "")
    assert app.run(config) == 0
    assert calls == ["tune", "serve"]


def test_an_embedded_server_leaves_the_host_allocator_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    import damselfly

    monkeypatch.setattr(malloc_tuning, "tune_malloc", lambda: pytest.fail("embedded server tuned malloc"))
    with damselfly.Server(port=0, save="") as server:
        assert server.port


def test_trim_malloc_is_harmless_anywhere() -> None:
    # MEMORY PURGE's work: True when glibc gave pages back, False when none or no malloc_trim
    assert malloc_tuning.trim_malloc() in (True, False)
