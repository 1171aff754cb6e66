"""Which PostgreSQL and Redis a load or fault test uses (the variables tests/conftest.py reads),
skipping the test when they are not configured, or failing under MICROCRED_REQUIRE_SERVICES=1."""

from __future__ import annotations

import os
import shutil

import pytest


def _missing(what: str) -> None:
    if os.environ.get("MICROCRED_REQUIRE_SERVICES", "") == "1":
        pytest.fail(f"MICROCRED_REQUIRE_SERVICES=1 but {what}")
    pytest.skip(what)


def postgres_server() -> str:
    """The PostgreSQL server URL of MICROCRED_TEST_POSTGRES_URL (skip or fail without it)."""
    url = os.environ.get("MICROCRED_TEST_POSTGRES_URL", "")
    if not url:
        _missing("MICROCRED_TEST_POSTGRES_URL is not set")
    return url


def redis_server() -> str:
    """The Redis URL of MICROCRED_TEST_REDIS_URL (skip or fail without it)."""
    url = os.environ.get("MICROCRED_TEST_REDIS_URL", "")
    if not url:
        _missing("MICROCRED_TEST_REDIS_URL is not set")
    return url


def require_binaries(*names: str) -> None:
    """Skip (or fail under MICROCRED_REQUIRE_SERVICES=1) when a server binary is missing."""
    from tests.loadkit.services import PG_BIN_DIRS

    for name in names:
        found = shutil.which(name) or any(
            os.path.exists(os.path.join(d, name)) for d in PG_BIN_DIRS
        )
        if not found:
            _missing(f"{name} is not installed")
