"""The tool's own session: where the token may come from, guards, URL helpers, launch targets,
and the CSP every tool page carries."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Blueprint

from plugin.lti.registry import register_launch_target
from plugin.lti.session import (
    current_launch,
    lti_url_for,
    require_launch,
    session_field,
)
from tests.plugin.lti.helpers import CLAIM, MEMBERSHIP, TARGET, launch


def _token(response: Any) -> str:
    return response.headers["Content-Location"].split("mc_session=")[1]


def test_token_in_query_form_or_bearer_header(app: Any, client: Any, platform: Any) -> None:
    token = _token(launch(client, platform))
    assert client.get(f"/lti/home?mc_session={token}").status_code == 200
    assert client.get("/lti/home", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert client.get("/lti/home").status_code == 401
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    response = client.get(f"/lti/home?mc_session={tampered}")
    assert response.status_code == 401 and "NOT_SIGNED_IN" in response.get_data(as_text=True)


def test_session_ends_with_the_store_entry(app: Any, client: Any, platform: Any) -> None:
    from plugin.lti.session import launch_key
    from plugin.web import get_store

    response = launch(client, platform)
    token = _token(response)
    launch_id = token.split(".")[0]
    with app.app_context():
        get_store().delete(launch_key(launch_id))
    assert client.get(f"/lti/home?mc_session={token}").status_code == 401


def test_token_of_another_secret_is_refused(app_config: dict[str, Any], request: Any) -> None:
    from plugin import create_app

    app = request.getfixturevalue("app")
    platform = request.getfixturevalue("platform")
    token = _token(launch(app.test_client(), platform))
    other = create_app({**app_config, "SECRET_KEY": "another-secret-key-for-this-test-123"})
    assert other.test_client().get(f"/lti/home?mc_session={token}").status_code == 401
    from plugin.extensions import db

    with other.app_context():
        db.engine.dispose()


@pytest.fixture
def guarded(app: Any) -> Any:
    bp = Blueprint("guarded_test", __name__)

    @bp.get("/t/instructors")
    @require_launch(roles=("instructor",))
    def instructors() -> str:
        return f"hello {current_launch().sub} {lti_url_for('lti.home')} {session_field()}"

    @bp.post("/t/any")
    @require_launch()
    def anyone() -> str:
        return "posted"

    app.register_blueprint(bp)
    return app


def test_roles_guard(guarded: Any, platform: Any) -> None:
    client = guarded.test_client()
    learner = _token(launch(client, platform))
    assert client.get(f"/t/instructors?mc_session={learner}").status_code == 403
    auth = platform.login(client, TARGET)
    claims = platform.claims(auth, TARGET)
    claims[CLAIM + "roles"] = [MEMBERSHIP + "Instructor"]
    teacher = _token(
        client.post("/lti/launch", data={"id_token": platform.sign(claims), "state": auth.state})
    )
    page = client.get(f"/t/instructors?mc_session={teacher}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert f"/lti/home?mc_session={teacher}" in text
    assert f'name="mc_session" value="{teacher}"' in text
    assert client.post("/t/any", data={"mc_session": teacher}).status_code == 200


def test_unknown_role_name_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown role"):
        require_launch(roles=("teacher",))


def test_launch_target_from_custom_or_query(app: Any, client: Any, platform: Any) -> None:
    register_launch_target("module-test", lambda ctx: f"/lti/home?module={ctx.custom['m']}")
    auth = platform.login(client, TARGET)
    claims = platform.claims(
        auth, TARGET, **{CLAIM + "custom": {"target": "module-test", "m": "7"}}
    )
    response = client.post(
        "/lti/launch", data={"id_token": platform.sign(claims), "state": auth.state}
    )
    assert response.headers["Content-Location"].startswith("/lti/home?module=7&mc_session=")
    target = TARGET + "?target=module-test"
    auth = platform.login(client, target)
    claims = platform.claims(auth, target, **{CLAIM + "custom": {"m": "8"}})
    response = client.post(
        "/lti/launch", data={"id_token": platform.sign(claims), "state": auth.state}
    )
    assert response.headers["Content-Location"].startswith("/lti/home?module=8&mc_session=")
    # An unknown target falls back to the landing page.
    target = TARGET + "?target=nothing-here"
    auth = platform.login(client, target)
    response = client.post(
        "/lti/launch",
        data={"id_token": platform.sign(platform.claims(auth, target)), "state": auth.state},
    )
    assert response.headers["Content-Location"].startswith("/lti/home?mc_session=")


def test_csp_lets_only_active_platforms_frame_the_tool(
    app: Any, client: Any, platform: Any
) -> None:
    from plugin.extensions import db
    from plugin.lti import services

    token = _token(launch(client, platform))
    csp = client.get(f"/lti/home?mc_session={token}").headers["Content-Security-Policy"]
    assert f"frame-ancestors 'self' {platform.issuer}" in csp
    for directive in ("script-src 'self' 'nonce-", "object-src 'none'", "base-uri 'none'"):
        assert directive in csp
    with app.app_context():
        services.set_registration_active(services.list_registrations()[0], False)
        db.session.commit()
    csp = client.get("/lti/home").headers["Content-Security-Policy"]
    assert csp.endswith("frame-ancestors 'self'")


def test_launch_completed_signal(app: Any, client: Any, platform: Any) -> None:
    from plugin.signals import launch_completed

    seen: list[Any] = []

    claims: list[dict[str, Any]] = []

    def listener(sender: Any, context: Any, **kwargs: Any) -> None:
        seen.append(context)
        claims.append(kwargs["claims"])

    launch_completed.connect(listener)
    try:
        launch(client, platform)
    finally:
        launch_completed.disconnect(listener)
    assert [c.sub for c in seen] == ["user-1"]
    assert [c["sub"] for c in claims] == ["user-1"]  # the validated id_token, for receivers
