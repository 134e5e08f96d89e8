#!/usr/bin/env python3
"""Generate README.md's "Supported commands" table from the command table.

    python scripts/gen_commands_table.py           # print the table
    python scripts/gen_commands_table.py --write   # put it into README.md between the markers
    python scripts/gen_commands_table.py --check   # exit 1 when README.md's table is stale

One row per command and per subcommand (``CLIENT LIST``), sorted by name:
command, group, arity, flags (as COMMAND INFO shows them) and summary. The
table sits between ``<!-- commands:start -->`` and ``<!-- commands:end -->``;
nothing else in the README is touched.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from damselfly.commands import build_table  # noqa: E402
from damselfly.commands.introspection import visible_flags  # noqa: E402

START = "<!-- commands:start -->"
END = "<!-- commands:end -->"
README = ROOT / "README.md"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").strip()


def render_table() -> str:
    """The markdown table, with a line giving the counts."""
    table = build_table()
    rows = []
    for spec in table.all_specs():
        if spec.subcommands and spec.handler is None:
            continue  # a pure container: its subcommands have rows of their own
        name = spec.full_name.replace("|", " ").upper()
        flags = ", ".join(visible_flags(spec))
        rows.append((name, spec.group, str(spec.arity), flags, spec.summary))
    rows.sort()
    lines = [f"{len(table)} commands, {len(rows)} rows with subcommands.", "",
             "| command | group | arity | flags | summary |", "|---|---|---|---|---|"]
    lines += ["| " + " | ".join(_cell(c) if i else f"`{_cell(c)}`" for i, c in enumerate(row)) + " |"
              for row in rows]
    return "\n".join(lines) + "\n"


def replace_block(readme: str, block: str) -> str:
    """``readme`` with the text between the markers replaced by ``block``; ValueError without markers."""
    start = readme.find(START)
    end = readme.find(END)
    if start < 0 or end < start:
        raise ValueError(f"README has no {START} ... {END} markers")
    return readme[:start + len(START)] + "\n" + block + readme[end:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="update README.md in place")
    mode.add_argument("--check", action="store_true", help="exit 1 when README.md is stale")
    parser.add_argument("--readme", type=Path, default=README, help="README file (default: the repository's)")
    args = parser.parse_args(argv)
    block = render_table()
    if not (args.write or args.check):
        sys.stdout.write(block)
        return 0
    text = args.readme.read_text(encoding="utf-8")
    try:
        updated = replace_block(text, block)
    except ValueError as exc:
        sys.stderr.write(f"{exc}\n")
        return 2
    if args.check:
        if updated != text:
            sys.stderr.write(f"{args.readme} command table is stale: run scripts/gen_commands_table.py --write\n")
            return 1
        return 0
    if updated != text:
        args.readme.write_text(updated, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
