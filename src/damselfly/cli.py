"""Command line: ``damselfly [/path/to/damselfly.conf] [--option value ...]``.

Like ``redis-server``: an optional config file first, then ``--name value``
pairs that override it (an option may take several words: ``--save 60 1``,
``--save ""`` disables saving).
"""
from __future__ import annotations

import sys

from . import __version__
from .config import OPTIONS, ConfigError, load_config

USAGE = """Usage: damselfly [/path/to/damselfly.conf] [options]
       damselfly -v or --version
       damselfly -h or --help

Options use Redis's names, for example:
  damselfly --port 7777
  damselfly /etc/damselfly/6379.conf --loglevel verbose
  damselfly --save "" --control-batching no

Known options (name, default):
"""


def _help() -> str:
    lines = [USAGE]
    for opt in OPTIONS.values():
        doc = f"  -- {opt.doc}" if opt.doc else ""
        lines.append(f"  --{opt.name} {opt.default!r}{doc}")
    return "\n".join(lines) + "\n"


def parse_argv(argv: list[str]) -> tuple[str | None, list[tuple[str, str]]]:
    """Split argv into an optional config path and (name, value) overrides."""
    path = None
    args = list(argv)
    if args and not args[0].startswith("--"):
        path = args.pop(0)
    pairs: list[tuple[str, str]] = []
    i = 0
    while i < len(args):
        word = args[i]
        if not word.startswith("--"):
            raise ConfigError(f"unexpected argument {word!r} (options look like --name value)")
        name = word[2:]
        values: list[str] = []
        i += 1
        while i < len(args) and not args[i].startswith("--"):
            values.append(args[i])
            i += 1
        pairs.append((name, " ".join(values)))
    return path, pairs


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("-h", "--help"):
        sys.stdout.write(_help())
        return 0
    if argv and argv[0] in ("-v", "--version"):
        sys.stdout.write(f"damselfly v={__version__}\n")
        return 0
    try:
        path, pairs = parse_argv(argv)
        config = load_config(path, pairs)
    except (ConfigError, OSError) as exc:
        sys.stderr.write(f"\n*** FATAL CONFIG FILE ERROR ***\n{exc}\n")
        return 1
    from .acl.registry import AclStartupError
    from .app import run
    try:
        return run(config)
    except (OSError, AclStartupError) as exc:
        sys.stderr.write(f"damselfly: {exc}\n")
        return 1
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
