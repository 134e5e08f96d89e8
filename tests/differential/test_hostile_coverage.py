"""Every command damselfly implements gets hostile arguments, or says why it does not.

The hostile tables (``TEMPLATES`` in each ``test_hostile_*.py``) are written
by hand, family by family, so a new command can land without one. This
guard lists every command and subcommand of ``build_table()`` and fails for
any that no template sends and that :data:`EXEMPT` does not explain. It also
fails for stale exemptions and for templates that send nothing (no argument
position, so no case), name no command, or name a subcommand that does not
exist. A container (CLIENT, CONFIG...) counts as covered by the templates of
its subcommands, which all go through its dispatch.
"""
from __future__ import annotations

import importlib
from pathlib import Path

from damselfly.commands import build_table

from .test_hostile_table import Template

#: Commands with no template, one line each on why.
EXEMPT: dict[str, str] = {
    "acl|setuser": "rules are compared in test_acl.py (test_setuser_errors, hypothesis rule sequences); "
                   "hostile names would leave users on the shared servers",
    "quit": "closes the connection whatever its arguments (arity -1): a group would end at its first value",
    "shutdown": "any value it accepted (or mishandled) would stop the session's shared servers",
}

_HERE = Path(__file__).parent
_TABLE = build_table()


def _as_bytes(word: str | bytes) -> bytes:
    return word if isinstance(word, bytes) else word.encode()


def table_commands() -> set[str]:
    return {spec.full_name for spec in _TABLE.all_specs()}


def templates() -> list[tuple[str, Template]]:
    """(module, template) for every table of the hostile modules."""
    found = []
    for path in sorted(_HERE.glob("test_hostile_*.py")):
        module = importlib.import_module(f"{__package__}.{path.stem}")
        found += [(path.stem, t) for t in getattr(module, "TEMPLATES", [])]
    return found


def command_of(template: Template) -> list[str]:
    """The table names a template sends: the command, and its subcommand for a container."""
    spec = _TABLE.get(_as_bytes(template.argv[0]))
    if spec is None:
        return []
    if not spec.subcommands or len(template.argv) < 2:
        return [spec.full_name]
    sub = spec.subcommands.get(_as_bytes(template.argv[1]).lower())
    return [spec.full_name] + ([sub.full_name] if sub is not None else [])


def covered() -> set[str]:
    return {name for _, t in templates() for name in command_of(t)}


def test_every_command_has_a_template_or_a_reason() -> None:
    missing = sorted(table_commands() - covered() - set(EXEMPT))
    assert not missing, (f"{len(missing)} commands have no hostile template in tests/differential/"
                         f"test_hostile_*.py and no reason in EXEMPT: {', '.join(missing)}")


def test_exemptions_are_needed_and_explained() -> None:
    names = table_commands()
    stale = sorted(name for name in EXEMPT if name not in names)
    assert not stale, f"exempt but not implemented: {stale}"
    templated = sorted(set(EXEMPT) & covered())
    assert not templated, f"exempt but templated (drop the exemption): {templated}"
    for name, reason in EXEMPT.items():
        assert reason.strip() and "\n" not in reason, name


def test_every_template_sends_its_command() -> None:
    for module, template in templates():
        where = f"{module}: {template.argv!r}"
        names = command_of(template)
        assert names, f"{where} names no command of the table"
        spec = _TABLE.get(_as_bytes(template.argv[0]))
        if spec is not None and spec.subcommands and len(template.argv) > 1:
            assert len(names) == 2, f"{where}: no such subcommand"
        groups = list(template.cases())
        assert groups and all(values for _, values in groups), f"{where} has no case to send"
