"""Fixtures for the learning tests."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _rate_limits_off(app_config: dict[str, Any]) -> None:
    """These tests launch and publish many times from one address; with Redis the rate-limit
    counters would outlive each test and refuse later ones (the limits have their own tests)."""
    app_config["RATE_LIMITS_ENABLED"] = "false"
