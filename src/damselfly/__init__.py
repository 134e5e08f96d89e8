"""damselfly: a Redis-compatible in-memory server in Python."""
from __future__ import annotations

__version__ = "0.1.0"
# The Redis line whose semantics (reply formats, error texts) we follow.
REDIS_COMPAT_VERSION = "7.0.15"

from .embed import Server, serve  # noqa: E402

__all__ = ["REDIS_COMPAT_VERSION", "Server", "__version__", "serve"]
