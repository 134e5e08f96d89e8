"""MONITOR: stream every executed command to this client."""
from __future__ import annotations

from .registry import CommandGroup

group = CommandGroup("server")
