"""Unit tests run in a scratch working directory.

Servers built in-process keep Redis's defaults: ``dir .`` and save points,
so FLUSHALL, SHUTDOWN or DEBUG RELOAD in a unit test write ``dump.rdb`` to the
working directory, as redis-server would. That must not be the checkout.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest


@pytest.fixture(scope="session", autouse=True)
def _scratch_cwd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    scratch = tmp_path_factory.mktemp("unit-cwd")
    previous = os.getcwd()
    os.chdir(scratch)
    try:
        yield scratch
    finally:
        os.chdir(previous)
