"""Redis's ``addReplyHelp``: the shape of every ``<COMMAND> HELP`` reply."""
from __future__ import annotations

from ..protocol.reply import Simple


def help_reply(command: str, lines: list[str]) -> list[Simple]:
    """A header naming ``command``, the given lines, then the HELP entry, as status replies."""
    out = [Simple(f"{command.upper()} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")]
    out.extend(Simple(line) for line in lines)
    out.append(Simple("HELP"))
    out.append(Simple("    Prints this help."))
    return out
