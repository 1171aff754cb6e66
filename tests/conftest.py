"""Shared fixtures: the app on a real database (SQLite, and PostgreSQL when configured).

Environment:
- MICROCRED_TEST_POSTGRES_URL: a PostgreSQL server URL (e.g. postgresql://postgres@127.0.0.1/postgres);
  plugin tests then run on SQLite and on PostgreSQL.
- MICROCRED_TEST_REDIS_URL: Redis for the launch store; otherwise the SQLite store.
- MICROCRED_REQUIRE_SERVICES=1 (set by CI): a missing PostgreSQL, Redis or browser fails the run
  instead of skipping.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import browser_context, browser_page  # noqa: F401  (shared fixtures)

# psycopg2 is the driver the tool declares; a plain postgresql:// URL would make SQLAlchemy 2.1
# look for psycopg 3, so name the driver (the app does the same in plugin/config.py).
POSTGRES_URL = os.environ.get("MICROCRED_TEST_POSTGRES_URL", "")
for _prefix in ("postgresql://", "postgres://"):
    if POSTGRES_URL.startswith(_prefix):
        POSTGRES_URL = "postgresql+psycopg2://" + POSTGRES_URL[len(_prefix) :]
REDIS_URL = os.environ.get("MICROCRED_TEST_REDIS_URL", "")
REQUIRE_SERVICES = os.environ.get("MICROCRED_REQUIRE_SERVICES", "") == "1"

BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


def pytest_sessionstart(session: pytest.Session) -> None:
    if REQUIRE_SERVICES and not (POSTGRES_URL and REDIS_URL):
        raise pytest.UsageError(
            "MICROCRED_REQUIRE_SERVICES=1 but MICROCRED_TEST_POSTGRES_URL or "
            "MICROCRED_TEST_REDIS_URL is not set"
        )


def _pg_admin_url() -> str:
    return POSTGRES_URL


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, migrated once."""
    import sqlalchemy as sa

    name = f"microcred_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        if REQUIRE_SERVICES:
            raise
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    _migrate(url, None)
    yield url
    with admin.connect() as conn:
        conn.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
                " AND pid <> pg_backend_pid()"
            ),
            {"n": name},
        )
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating once keeps the suite fast)."""
    folder = tmp_path_factory.mktemp("sqlite-template")
    path = folder / "template.sqlite3"
    _migrate(f"sqlite:///{path}", folder)
    return path


def _migrate(url: str, instance: Path | None) -> None:
    from flask_migrate import upgrade

    from plugin import create_app

    inst = instance or Path(f"/tmp/microcred-migrate-{uuid.uuid4().hex[:8]}")
    app = create_app({"MICROCRED_ENV": "testing", "DATABASE_URL": url, "INSTANCE_PATH": str(inst)})
    with app.app_context():
        upgrade()
        from plugin.extensions import db

        db.engine.dispose()
    if instance is None:
        shutil.rmtree(inst, ignore_errors=True)


def _truncate_all(app: Any) -> None:
    import sqlalchemy as sa

    from plugin.extensions import db

    with app.app_context():
        tables = [t.name for t in db.metadata.sorted_tables]
        if tables:
            with db.engine.begin() as conn:
                quoted = ", ".join(f'"{t}"' for t in tables)
                conn.execute(sa.text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
        db.engine.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def app_config(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    """Settings for one test's app; tests may update it before asking for `app`."""
    instance = tmp_path / "instance"
    instance.mkdir()
    if backend == "postgresql":
        url = request.getfixturevalue("pg_database")
    else:
        template = request.getfixturevalue("sqlite_template")
        db_file = instance / "microcred.sqlite3"
        shutil.copyfile(template, db_file)
        url = f"sqlite:///{db_file}"
    config: dict[str, Any] = {
        "MICROCRED_ENV": "testing",
        "DATABASE_URL": url,
        "INSTANCE_PATH": str(instance),
        "PUBLIC_URL": "http://localhost:5000",
        "SECRET_KEY": "test-secret-key-" + uuid.uuid4().hex,
    }
    if REDIS_URL:
        config["REDIS_URL"] = REDIS_URL
    return config


@pytest.fixture
def app(app_config: dict[str, Any], backend: str) -> Iterator[Any]:
    """The tool on a migrated, empty database."""
    from plugin import create_app

    application = create_app(app_config)
    yield application
    if backend == "postgresql":
        _truncate_all(application)
    else:
        from plugin.extensions import db

        with application.app_context():
            db.engine.dispose()


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture
def runner(app: Any) -> Any:
    return app.test_cli_runner()
