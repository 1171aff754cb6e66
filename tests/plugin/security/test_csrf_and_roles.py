"""CSRF on every state-changing route, and privilege escalation between student, instructor,
registrar and admin: each attempt is refused and nothing in the database changes."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.plugin.admin.helpers import sign_in
from tests.plugin.catalog.helpers import launch, launch_url, session_of

from .conftest import db_fingerprint

#: Public POST endpoints that need no CSRF token by design (the platform or a token signs them).
PUBLIC_POSTS = {
    "lti.login",
    "lti.launch",
    "lti.launch_finish",
    "catalog_api.publish_package_api",
    "credentials.verify_api",
    "credentials.verify_page",
    "lti.deeplink",
}


def _build(rule: Any, values: dict[str, Any]) -> str:
    """The rule's path with `values` in place of its arguments."""

    def repl(match: re.Match[str]) -> str:
        return str(values[match.group(2)])

    return re.sub(r"<(?:([a-z]+)(?:\([^)]*\))?:)?([a-z_]+)>", repl, rule.rule)


def _state_changing(app: Any) -> list[tuple[str, str, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) & {"POST", "PUT", "DELETE", "PATCH"}):
            if rule.endpoint not in PUBLIC_POSTS and not rule.endpoint.startswith("test"):
                found.append(
                    (
                        rule.endpoint,
                        method,
                        _build(
                            rule,
                            {
                                n: 1
                                if type(c).__name__ == "IntegerConverter"
                                else (sorted(c.items)[0] if hasattr(c, "items") else "x")
                                for n, c in rule._converters.items()
                            },
                        ),
                    )
                )
    return found


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "WTF_CSRF_ENABLED": True}


def test_every_state_changing_route_refuses_a_request_without_its_token(
    app: Any, client: Any, make_account: Any, platform: Any
) -> None:
    account = make_account(roles=("admin", "registrar"))
    assert sign_in(client, account.username, account.password).status_code == 302
    routes = _state_changing(app)
    assert any(e == "ops.admin_erase" for e, _, _ in routes)
    before = db_fingerprint(app)
    for endpoint, method, path in routes:
        response = client.open(path, method=method, data={"confirm": "y", "name": "x"})
        assert 400 <= response.status_code < 500, (endpoint, path, response.status_code)
    assert db_fingerprint(app) == before


def test_a_student_cannot_reach_instructor_or_admin_pages(
    app: Any, client: Any, platform: Any
) -> None:
    location = launch(client, platform, launch_url("home"), role="Learner")
    token = session_of(location)
    before = db_fingerprint(app)
    for path in ("/catalog/upload", "/catalog/tokens", "/gradebook/"):
        assert client.get(f"{path}?mc_session={token}").status_code == 403, path
    made = client.post("/catalog/tokens", data={"mc_session": token, "name": "mine", "days": 30})
    assert made.status_code == 403
    for path in ("/admin/", "/admin/operations", "/registrar/"):
        response = client.get(f"{path}?mc_session={token}")
        assert response.status_code in (302, 401, 403), path
        assert "/sign-in" in response.headers.get("Location", "/sign-in")
    assert db_fingerprint(app) == before


def test_an_instructor_is_not_an_admin(app: Any, client: Any, platform: Any) -> None:
    token = session_of(launch(client, platform, launch_url("home"), role="Instructor"))
    assert client.get(f"/catalog/tokens?mc_session={token}").status_code == 200
    for path in ("/admin/registrations", "/admin/operations", "/registrar/"):
        assert client.get(f"{path}?mc_session={token}").status_code in (302, 401, 403), path


def test_a_registrar_is_not_an_admin_and_an_admin_is_not_a_registrar(
    app: Any, client: Any, make_account: Any, platform: Any
) -> None:
    registrar = make_account(roles=("registrar",))
    assert sign_in(client, registrar.username, registrar.password).status_code == 302
    before = db_fingerprint(app)
    for path in ("/admin/registrations", "/admin/keys", "/admin/operations"):
        assert client.get(path).status_code == 403, path
    page = client.get("/admin/operations")
    assert page.status_code == 403
    assert db_fingerprint(app) == before
    admin_only = app.test_client()
    admin = make_account(roles=("admin",))
    assert sign_in(admin_only, admin.username, admin.password).status_code == 302
    assert admin_only.get("/registrar/").status_code in (302, 403)
