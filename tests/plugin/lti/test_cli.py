"""`microcred platform add|list|disable` and `microcred keys rotate|list`."""

from __future__ import annotations

import json
from typing import Any

import pytest

ADD = [
    "platform",
    "add",
    "--issuer",
    "http://127.0.0.1:8080",
    "--client-id",
    "B5JoAQtYp4snAaE",
    "--auth-url",
    "http://127.0.0.1:8080/mod/lti/auth.php",
    "--token-url",
    "http://127.0.0.1:8080/mod/lti/token.php",
    "--jwks-url",
    "http://127.0.0.1:8080/mod/lti/certs.php",
    "--deployment-id",
    "1",
    "--name",
    "Moodle test",
    "--product",
    "moodle",
]


@pytest.fixture
def cli(app: Any, app_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Any:
    """Run `microcred` tool commands against this test's app configuration."""
    import click
    from click.testing import CliRunner

    import plugin
    from plugin.cli import register_commands
    from plugin.extensions import db

    for key, value in app_config.items():
        monkeypatch.setenv("MICROCRED_INSTANCE" if key == "INSTANCE_PATH" else key, str(value))
    made: list[Any] = []
    real_create_app = plugin.create_app

    def create_app(config: Any = None) -> Any:
        made.append(real_create_app(config))
        return made[-1]

    monkeypatch.setattr(plugin, "create_app", create_app)
    group = click.Group("microcred")
    register_commands(group)

    def run(*args: str) -> Any:
        try:
            return CliRunner().invoke(group, list(args), catch_exceptions=False)
        finally:
            for command_app in made:  # each command builds its own app: close its pool
                with command_app.app_context():
                    db.engine.dispose()
            made.clear()

    return run


def test_platform_add_prints_the_urls(cli: Any) -> None:
    result = cli(*ADD)
    assert result.exit_code == 0, result.output
    assert "http://localhost:5000/lti/login" in result.output
    assert "http://localhost:5000/lti/jwks" in result.output
    assert "http://localhost:5000/lti/register" in result.output
    listing = cli("platform", "list")
    assert "B5JoAQtYp4snAaE" in listing.output and "1 (active)" in listing.output
    again = cli(*ADD)
    assert again.exit_code != 0 and "already exists" in again.output


def test_platform_add_json_and_disable(cli: Any) -> None:
    result = cli(*ADD, "--json")
    data = json.loads(result.stdout)
    assert data["tool"]["launch"] == "http://localhost:5000/lti/launch"
    assert data["tool"]["deep_link"] == "http://localhost:5000/lti/deeplink"
    assert data["registration"]["deployments"] == [{"deployment_id": "1", "status": "active"}]
    assert cli("platform", "disable", "http://127.0.0.1:8080", "B5JoAQtYp4snAaE").exit_code == 0
    [listed] = json.loads(cli("platform", "list", "--json").stdout)
    assert listed["active"] is False
    missing = cli("platform", "disable", "http://nowhere", "x")
    assert missing.exit_code != 0 and "no registration" in missing.output


def test_bad_url_is_reported(cli: Any) -> None:
    args = list(ADD)
    args[args.index("--auth-url") + 1] = "auth.php"
    result = cli(*args)
    assert result.exit_code != 0 and "auth_login_url" in result.output


def test_keys_rotate_and_list(cli: Any) -> None:
    first = cli("keys", "rotate")
    assert first.exit_code == 0 and first.stdout.startswith("new current key ")
    second = cli("keys", "rotate")
    listing = cli("keys", "list").stdout.splitlines()
    assert len(listing) == 2
    assert second.stdout.split()[-1] in listing[0] and "current" in listing[0]
    assert "published until" in listing[1]
