"""docs/operations.md keeps the settings table of plugin/config.py, row for row."""

from __future__ import annotations

from pathlib import Path

from plugin.config import DEFAULTS

OPERATIONS = Path(__file__).resolve().parents[3] / "docs" / "operations.md"


def _row(name: str, default: str, meaning: str) -> str:
    shown = f"`{default}`" if default else "(empty)"
    return f"| `{name}` | {shown} | {meaning} |"


def test_every_setting_is_documented() -> None:
    text = OPERATIONS.read_text()
    missing = [name for name in DEFAULTS if f"`{name}`" not in text]
    assert missing == []


def test_the_settings_table_matches_config_defaults() -> None:
    section = OPERATIONS.read_text().split("## Configuration", 1)[1].split("\n## ", 1)[0]
    documented = [line for line in section.splitlines() if line.startswith("| `")]
    expected = [_row(name, default, meaning) for name, (default, meaning) in DEFAULTS.items()]
    assert documented == expected
