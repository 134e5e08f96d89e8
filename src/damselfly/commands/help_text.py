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


def subcommand_syntax(sub: bytes, command: bytes) -> str:
    """Redis's ``addReplySubcommandSyntaxError``: the subcommand as typed, the command upper-cased."""
    return (f"ERR unknown subcommand or wrong number of arguments for '{sub[:128].decode('utf-8', 'replace')}'. "
            f"Try {command.decode('utf-8', 'replace').upper()} HELP.")
