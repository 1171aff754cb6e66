"""Every endpoint declares who may see it, and guarded ones refuse anonymous visitors (issue #3)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from werkzeug.routing import Rule

from plugin import create_app
from plugin.access import access_of, is_public, undeclared_endpoints, view_access


def _bare_app() -> Any:
    """The app as built at start-up, only for its url_map and views (no database is opened)."""
    folder = Path(tempfile.mkdtemp(prefix="microcred-access-"))
    try:
        return create_app(
            {
                "MICROCRED_ENV": "testing",
                "DATABASE_URL": f"sqlite:///{folder / 'unused.sqlite3'}",
                "INSTANCE_PATH": str(folder),
                "SECRET_KEY": "collection-only",
            }
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


_APP = _bare_app()
_RULES: list[Rule] = sorted(_APP.url_map.iter_rules(), key=lambda r: (r.endpoint, r.rule))


def _dummy_values(rule: Rule) -> dict[str, Any]:
    values: dict[str, Any] = dict(rule.defaults or {})
    for name, converter in rule._converters.items():
        kind = type(converter).__name__
        if kind == "IntegerConverter":
            values[name] = 1
        elif kind == "AnyConverter":
            values[name] = sorted(converter.items)[0]  # type: ignore[attr-defined]
        else:
            values[name] = "x"
    return values


def _guarded_cases() -> list[Any]:
    cases = []
    for rule in _RULES:
        declaration = access_of(_APP, rule.endpoint)
        if is_public(declaration):
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            cases.append(pytest.param(rule, method, id=f"{method} {rule.rule}"))
    return cases


def test_every_endpoint_declares_who_may_see_it() -> None:
    table = {rule.endpoint: access_of(_APP, rule.endpoint) for rule in _RULES}
    assert len(table) > 40  # the whole app, not an empty map
    missing = undeclared_endpoints(_APP)
    assert missing == [], f"endpoints without an access declaration: {missing}"
    assert table["core.healthz"].startswith("public: ")
    assert table["admin.registrations"] == "admin sign-in: admin account"
    assert table["gradebook.overview"].startswith("LTI launch session: instructor")
    assert table["registrar.index"].startswith("registrar")


def test_an_untagged_view_is_reported() -> None:
    from flask import Flask

    app = Flask(__name__)

    @app.get("/forgotten")
    def forgotten() -> str:
        return "oops"

    assert view_access(forgotten) is None
    assert undeclared_endpoints(app) == ["forgotten"]


@pytest.fixture
def anonymous(app_config: dict[str, Any]) -> Any:
    """A client with no session; CSRF is off so the view's own guard is what answers."""
    app_config["WTF_CSRF_ENABLED"] = False
    application = create_app(app_config)
    yield application.test_client()
    from plugin.extensions import db

    with application.app_context():
        db.engine.dispose()


@pytest.mark.parametrize(("rule", "method"), _guarded_cases())
def test_guarded_endpoint_refuses_anonymous(anonymous: Any, rule: Rule, method: str) -> None:
    with _APP.test_request_context():
        from flask import url_for

        url = url_for(rule.endpoint, **_dummy_values(rule))
    response = anonymous.open(url, method=method, json={} if method != "GET" else None)
    declaration = access_of(_APP, rule.endpoint) or ""
    status = response.status_code
    if 300 <= status < 400:
        assert "sign-in" in response.headers["Location"], response.headers["Location"]
    elif declaration.startswith("checks a bearer token itself") and status == 404:
        pass  # metrics without a configured token is not there at all
    else:
        assert status in (401, 403), (status, response.get_data(as_text=True)[:300])
