"""sort commands."""
from __future__ import annotations

from .registry import CommandGroup

group = CommandGroup("sort")
