"""`microcred doctor`: check configuration, database, migrations, Redis, keys, the public URL and
every registered platform's key set, and say in plain words what is wrong.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ..errors import ConfigError

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


@dataclass(frozen=True)
class Check:
    """One finding: `ok` False means a problem that needs fixing."""

    name: str
    ok: bool
    message: str

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'}  {self.name}: {self.message}"


def run_doctor(config: Mapping[str, Any] | None = None) -> list[Check]:
    """Every check, in order; later checks that need an earlier one are skipped with a note."""
    from .. import create_app

    try:
        app = create_app(dict(config or {}))
    except ConfigError as exc:
        return [Check("configuration", False, p) for p in exc.problems]
    settings = app.config["MICROCRED"]
    checks = [Check("configuration", True, f"valid ({settings.env})")]
    checks.append(_public_url(settings))
    with app.app_context():
        database_ok = _database(checks, settings.database_url)
        checks.append(_store(app, settings.redis_url))
        if database_ok:
            checks.append(_keys())
            checks.extend(_platforms())
        from ..extensions import db

        db.session.remove()
        db.engine.dispose()
    return checks


def _public_url(settings: Any) -> Check:
    if settings.is_https:
        return Check("public URL", True, settings.public_url)
    if settings.is_production:  # load_settings refuses this; kept for clarity
        return Check("public URL", False, f"{settings.public_url} must use https in production")
    return Check("public URL", True, f"{settings.public_url} (plain http: fine outside production)")


def _database(checks: list[Check], url: str) -> bool:
    from ..extensions import db

    kind = url.split(":", 1)[0].split("+", 1)[0]
    try:
        with db.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
            current = _current_revision(conn)
    except sa.exc.SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0][:200]
        checks.append(Check("database", False, f"cannot connect to the {kind} database: {reason}"))
        return False
    checks.append(Check("database", True, f"{kind} database answers"))
    head = _head_revision()
    if current is None:
        checks.append(
            Check("migrations", False, "the database has no tables yet: run `microcred db upgrade`")
        )
        return False
    if current != head:
        checks.append(
            Check(
                "migrations",
                False,
                f"the database is at {current}, the code needs {head}: run `microcred db upgrade`",
            )
        )
        return False
    checks.append(Check("migrations", True, f"at the latest revision ({head})"))
    return True


def _current_revision(conn: sa.Connection) -> str | None:
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def _head_revision() -> str | None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


def _store(app: Any, redis_url: str | None) -> Check:
    store = app.extensions["microcred.store"]
    if not redis_url:
        ok = store.ping()
        return Check(
            "store",
            ok,
            "the SQLite store in the instance folder (one machine only; "
            "set REDIS_URL to run several servers)"
            if ok
            else "the SQLite store in the instance folder cannot be opened",
        )
    if store.ping():
        return Check("redis", True, "Redis answers")
    return Check(
        "redis", False, "Redis does not answer at REDIS_URL: launches and rate limits need it"
    )


def _keys() -> Check:
    from ..extensions import db

    count = db.session.scalar(
        sa.text("SELECT count(*) FROM tool_keys WHERE current = :t"), {"t": True}
    )
    if not count:
        return Check(
            "tool keys",
            False,
            "there is no current signing key: run "
            "`microcred keys rotate` (or open the admin Keys page)",
        )
    return Check("tool keys", True, "a current signing key is present")


def _platforms() -> list[Check]:
    from ..extensions import db
    from .outbound import OutboundError, fetch_json

    rows = db.session.execute(
        sa.text(
            "SELECT name, issuer, key_set_url FROM registrations WHERE active = :t ORDER BY id"
        ),
        {"t": True},
    ).all()
    if not rows:
        return [Check("platforms", True, "no active platform registrations yet")]
    checks = []
    for name, issuer, url in rows:
        label = f"platform {name or issuer}"
        if not url:
            checks.append(Check(label, True, "keys were pasted in (no key set URL to check)"))
            continue
        try:
            document = fetch_json(url, what="the platform's key set")
        except OutboundError as exc:
            checks.append(Check(label, False, f"{exc.message} ({url})"))
            continue
        keys = document.get("keys") if isinstance(document, dict) else None
        if not keys:
            checks.append(Check(label, False, f"the key set at {url} has no keys"))
        else:
            checks.append(Check(label, True, f"key set reachable ({len(keys)} keys)"))
    return checks
