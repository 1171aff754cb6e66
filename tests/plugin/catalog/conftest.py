"""Fixtures for the catalog tests: the `microcred` command group built from the test app's env."""

from __future__ import annotations

from typing import Any

import click
import pytest


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


@pytest.fixture(autouse=True)
def _rate_limits_off(app_config: dict[str, Any]) -> None:
    """These tests launch and publish many times from one address; with Redis the rate-limit
    counters would outlive each test and refuse later ones (the limits have their own tests)."""
    app_config["RATE_LIMITS_ENABLED"] = "false"
