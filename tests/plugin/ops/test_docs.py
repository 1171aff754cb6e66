"""docs/deployment.md lists every setting, exactly as `microcred settings` prints them."""

from __future__ import annotations

from pathlib import Path

from plugin.ops.settings_doc import all_settings, settings_table

DEPLOYMENT = Path(__file__).resolve().parents[3] / "docs" / "deployment.md"


def test_every_setting_is_in_the_reference_table() -> None:
    text = DEPLOYMENT.read_text()
    missing = [name for name in all_settings() if f"| `{name}` |" not in text]
    assert missing == [], "run `microcred settings` and paste the table into docs/deployment.md"


def test_the_table_matches_the_code() -> None:
    section = DEPLOYMENT.read_text().split("## Configuration", 1)[1].split("\n## ", 1)[0]
    documented = [line for line in section.splitlines() if line.startswith("| `")]
    expected = [line for line in settings_table().splitlines() if line.startswith("| `")]
    assert documented == expected


def test_the_api_description_is_linked() -> None:
    assert "/api/openapi.json" in (DEPLOYMENT.parent / "api.md").read_text()


def test_the_settings_command_prints_the_table() -> None:
    import click
    from click.testing import CliRunner

    from plugin.cli import register_commands

    group = click.Group("microcred")
    register_commands(group)
    result = CliRunner().invoke(group, ["settings"])
    assert result.exit_code == 0
    assert "| `RATE_LIMIT_LAUNCH` | `60/minute` |" in result.output
