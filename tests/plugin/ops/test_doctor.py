"""`microcred doctor`: plain-words findings and exit code 1 on problems, against a healthy
installation, a database and Redis that are down, and a platform whose key set is broken."""

from __future__ import annotations

from typing import Any

from click.testing import CliRunner

from plugin.ops.doctor import run_doctor
from tests.servers import free_port


def _lines(checks: list[Any]) -> str:
    return "\n".join(c.line() for c in checks)


def _with_key(app: Any) -> None:
    from plugin.extensions import db
    from plugin.lti.services import rotate_tool_key

    with app.app_context():
        rotate_tool_key()
        db.session.commit()


def test_a_healthy_installation_passes(app: Any, app_config: dict[str, Any], platform: Any) -> None:
    _with_key(app)
    checks = run_doctor(app_config)
    text = _lines(checks)
    assert all(c.ok for c in checks), text
    assert "ok    migrations: at the latest revision" in text
    assert "ok    platform Test platform: key set reachable (1 keys)" in text


def test_a_missing_key_and_a_broken_platform_key_set_are_reported(
    app: Any, app_config: dict[str, Any], platform: Any
) -> None:
    from plugin.extensions import db
    from plugin.lti.models import Registration

    with app.app_context():
        reg = db.session.scalars(db.select(Registration)).one()
        reg.key_set_url = platform.issuer + "/no-such-jwks"
        db.session.commit()
    text = _lines(run_doctor(app_config))
    assert "FAIL  tool keys: there is no current signing key: run `microcred keys rotate`" in text
    assert (
        "FAIL  platform Test platform: the platform's key set at 127.0.0.1 answered HTTP 404"
    ) in text


def test_a_database_that_is_down_is_reported(app_config: dict[str, Any]) -> None:
    port = free_port()
    app_config["DATABASE_URL"] = f"postgresql://postgres@127.0.0.1:{port}/microcred"
    checks = run_doctor(app_config)
    database = next(c for c in checks if c.name == "database")
    assert not database.ok
    assert database.message.startswith("cannot connect to the postgresql database")
    assert not any(c.name == "migrations" for c in checks)


def test_redis_that_is_down_is_reported(app_config: dict[str, Any]) -> None:
    app_config["REDIS_URL"] = f"redis://127.0.0.1:{free_port()}/0"
    redis = next(c for c in run_doctor(app_config) if c.name == "redis")
    assert not redis.ok
    assert "Redis does not answer at REDIS_URL" in redis.message


def test_bad_settings_are_all_listed(app_config: dict[str, Any]) -> None:
    app_config.update(JWT_LEEWAY_SECONDS="600", PUBLIC_URL="ftp://x")
    problems = [c.message for c in run_doctor(app_config) if not c.ok]
    assert "JWT_LEEWAY_SECONDS=600 is outside 0..60" in problems
    assert any(
        p.startswith("PUBLIC_URL='ftp://x' must be an absolute http(s) URL") for p in problems
    )


def test_the_command_exits_1_on_problems(microcred: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    result = CliRunner().invoke(microcred, ["doctor"])
    assert result.exit_code == 1
    assert "FAIL  redis: Redis does not answer" in result.output
    assert "problem(s) found" in result.output
