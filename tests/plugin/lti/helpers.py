"""Small helpers shared by the LTI tests."""

from __future__ import annotations

from typing import Any

TARGET = "http://localhost:5000/lti/launch"
MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
INSTITUTION = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#"
CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"


def count(app: Any, model: Any) -> int:
    """Rows in a model's table."""
    from plugin.extensions import db

    with app.app_context():
        return int(db.session.scalar(db.select(db.func.count()).select_from(model)) or 0)


def launch(
    client: Any,
    platform: Any,
    claims: dict[str, Any] | None = None,
    *,
    target: str = TARGET,
    **sign: Any,
) -> Any:
    """Login, sign `claims` (default: known-good ones) and post the launch; return the answer."""
    auth = platform.login(client, target)
    body = platform.claims(auth, target) if claims is None else claims
    token = platform.sign(body, **sign)
    return client.post("/lti/launch", data={"id_token": token, "state": auth.state})


def landed_on(response: Any, status: int | None = 200) -> str:
    """The address (with the session token) of the page a launch answered with: a launch
    answers with its first page (200, unless `status` says otherwise or is None for any page,
    e.g. a course not published yet) and names the page's own address in Content-Location."""
    if status is not None:
        text = response.get_data(as_text=True) if hasattr(response, "get_data") else response.text
        assert response.status_code == status, text[:800]
    assert "Location" not in response.headers
    return str(response.headers["Content-Location"])


def assert_refused(response: Any, code: str, status: int | None = None) -> None:
    """A refusal: 4xx, the stable code on the page, and no session handed out."""
    assert 400 <= response.status_code < 500, response.status_code
    if status is not None:
        assert response.status_code == status
    text = response.get_data(as_text=True)
    assert code in text, text[:800]
    assert "Location" not in response.headers
    assert "mc_session" not in response.headers.get("Set-Cookie", "")
    assert "mc_session" not in text
