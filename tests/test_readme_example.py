"""README.md's pytest example must pass when run with the installed plugin, so it cannot rot."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEADING = "## Testing with damselfly"


def readme_example(text: str) -> str:
    """The first ```python block of the README's testing section."""
    start = text.index(HEADING)
    section = text[start:text.find("\n## ", start + len(HEADING))]
    found = re.search(r"```python\n(.*?)```", section, re.S)
    assert found, f"no python example under {HEADING!r}"
    return found.group(1)


def test_the_readme_pytest_example_passes(pytester: pytest.Pytester) -> None:
    code = readme_example((ROOT / "README.md").read_text(encoding="utf-8"))
    tests = re.findall(r"^(?:async )?def (test_\w+)", code, re.M)
    assert len(tests) >= 3  # the example shows the sync, isolation and async cases
    pytester.makepyfile(test_readme=code)
    # A fresh directory with no ini: the plugin is found through its entry point alone,
    # and pytest-asyncio runs in its default (strict) mode, as in a new project.
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=len(tests))


def test_the_readme_fixture_table_names_every_plugin_fixture_and_option() -> None:
    import damselfly.pytest_plugin as plugin
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index(HEADING):]
    fixtures = [name for name, value in vars(plugin).items()
                if type(value).__name__ == "FixtureFunctionDefinition" or hasattr(value, "_pytestfixturefunction")]
    assert len(fixtures) >= 4, fixtures  # the detection itself still works
    for name in fixtures:
        assert f"`{name}`" in section, f"fixture {name} is not in the README table"
    for option in ("damselfly_protocol", "--damselfly-protocol", "damselfly_config", "--damselfly-config"):
        assert f"`{option}" in section, f"option {option} is not in the README table"
