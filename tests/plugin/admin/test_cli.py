"""`microcred admin ...` through the real command group, on the test database."""

from __future__ import annotations

from typing import Any

import click
import pytest

from .helpers import sign_in, unique_name


@pytest.fixture
def microcred(app: Any, app_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Any:
    """The `microcred` group with the tool's commands; they build their app from this env."""
    from plugin.cli import register_commands

    env = {
        "MICROCRED_ENV": "testing",
        "DATABASE_URL": app_config["DATABASE_URL"],
        "MICROCRED_INSTANCE": app_config["INSTANCE_PATH"],
        "SECRET_KEY": app_config["SECRET_KEY"],
        "PUBLIC_URL": app_config["PUBLIC_URL"],
        "REDIS_URL": app_config.get("REDIS_URL", ""),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    group = click.Group("microcred")
    register_commands(group)
    return group


def _account(app: Any, username: str) -> Any:
    from plugin.admin.services import get_admin_by_username

    with app.app_context():
        return get_admin_by_username(username)


def test_create_prompts_twice_and_the_account_can_sign_in(
    app: Any, client: Any, runner: Any, microcred: Any
) -> None:
    name = unique_name()
    password = "a long enough passphrase"
    result = runner.invoke(microcred, ["admin", "create", name], input=f"{password}\n{password}\n")
    assert result.exit_code == 0, result.output
    assert "Password again" in result.output
    assert password not in result.output
    assert f"created {name} (admin)" in result.output
    user = _account(app, name)
    assert user.role_list == ["admin"] and user.active
    assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))
    assert sign_in(client, name, password).status_code == 302


def test_create_asks_again_when_the_two_entries_differ(
    app: Any, runner: Any, microcred: Any
) -> None:
    name = unique_name()
    result = runner.invoke(
        microcred,
        ["admin", "create", name],
        input="first passphrase!!\nsecond passphrase!\nthird passphrase!!\nthird passphrase!!\n",
    )
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output
    assert _account(app, name) is not None


def test_create_from_stdin_with_both_roles(
    app: Any, client: Any, runner: Any, microcred: Any
) -> None:
    name = unique_name()
    result = runner.invoke(
        microcred,
        ["admin", "create", name, "--password-stdin", "--role", "admin", "--role", "registrar"],
        input="piped in passphrase\n",
    )
    assert result.exit_code == 0, result.output
    assert "Password" not in result.output
    assert _account(app, name).role_list == ["admin", "registrar"]
    assert sign_in(client, name, "piped in passphrase").status_code == 302


def test_create_registrar_only(app: Any, runner: Any, microcred: Any) -> None:
    name = unique_name()
    result = runner.invoke(
        microcred,
        ["admin", "create", name, "--password-stdin", "--role", "registrar"],
        input="registrar passphrase\n",
    )
    assert result.exit_code == 0, result.output
    assert _account(app, name).role_list == ["registrar"]


def test_create_refuses_short_passwords_duplicates_and_unknown_roles(
    app: Any, runner: Any, microcred: Any
) -> None:
    name = unique_name()
    short = runner.invoke(microcred, ["admin", "create", name, "--password-stdin"], input="short\n")
    assert short.exit_code == 1
    assert "A password needs at least 12 characters" in short.output
    assert _account(app, name) is None

    ok = runner.invoke(
        microcred, ["admin", "create", name, "--password-stdin"], input="long enough passphrase\n"
    )
    assert ok.exit_code == 0
    again = runner.invoke(
        microcred,
        ["admin", "create", name.upper(), "--password-stdin"],
        input="long enough passphrase\n",
    )
    assert again.exit_code == 1
    assert "already exists" in again.output

    bad_role = runner.invoke(microcred, ["admin", "create", unique_name(), "--role", "dean"])
    assert bad_role.exit_code == 2
    assert "dean" in bad_role.output


def test_set_password_disable_enable_and_list(
    app: Any, client: Any, runner: Any, microcred: Any
) -> None:
    name = unique_name()
    runner.invoke(
        microcred, ["admin", "create", name, "--password-stdin"], input="original passphrase\n"
    )
    result = runner.invoke(
        microcred,
        ["admin", "set-password", name, "--password-stdin"],
        input="replacement passphrase\n",
    )
    assert result.exit_code == 0, result.output
    assert sign_in(client, name, "replacement passphrase").status_code == 302

    assert runner.invoke(microcred, ["admin", "disable", name]).exit_code == 0
    assert client.get("/admin/").status_code == 302  # the open session ended
    listing = runner.invoke(microcred, ["admin", "list"]).output
    assert f"{name}\tadmin\tdisabled\tlast sign-in " in listing

    assert runner.invoke(microcred, ["admin", "enable", name]).exit_code == 0
    assert "active" in runner.invoke(microcred, ["admin", "list"]).output

    missing = runner.invoke(microcred, ["admin", "disable", "nobody-here"])
    assert missing.exit_code == 1
    assert "no account named" in missing.output
