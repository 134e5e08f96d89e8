"""README.md's "Supported commands" table must be what scripts/gen_commands_table.py generates."""
from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "gen_commands_table.py"


def _generator():
    spec = importlib.util.spec_from_file_location("gen_commands_table", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def test_readme_table_is_current() -> None:
    gen = _generator()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert gen.START in readme and gen.END in readme, (
        "README.md lost its <!-- commands:start --> / <!-- commands:end --> markers: "
        "the command table can be neither checked nor regenerated")
    assert gen.replace_block(readme, gen.render_table()) == readme, (
        "README.md's command table is stale: run `make readme-commands` "
        "(scripts/gen_commands_table.py --write)")


def test_table_lists_every_command_and_subcommand() -> None:
    from damselfly.commands import build_table
    text = _generator().render_table()
    for spec in build_table().all_specs():
        if spec.subcommands and spec.handler is None:
            assert f"`{spec.name.upper()} " in text  # containers appear through their subcommands
        else:
            assert f"| `{spec.full_name.replace('|', ' ').upper()}` | {spec.group} | {spec.arity} |" in text


def test_check_and_write_modes(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# x\n\n<!-- commands:start -->\nold\n<!-- commands:end -->\n\nafter\n")
    run = [sys.executable, str(SCRIPT), "--readme", str(readme)]
    assert subprocess.run(run + ["--check"], capture_output=True).returncode == 1
    assert subprocess.run(run + ["--write"], capture_output=True).returncode == 0
    text = readme.read_text()
    assert text.startswith("# x\n\n<!-- commands:start -->\n") and text.endswith("<!-- commands:end -->\n\nafter\n")
    assert "| `GET` | string | 2 | readonly, fast |" in text
    assert subprocess.run(run + ["--check"], capture_output=True).returncode == 0
    readme.write_text("no markers\n")
    result = subprocess.run(run + ["--check"], capture_output=True, text=True)
    assert result.returncode == 2 and "markers" in result.stderr
