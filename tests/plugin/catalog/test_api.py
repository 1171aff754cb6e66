"""`POST /api/v1/packages`: publishing with an API token, idempotent, immutable, version rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.plugin.catalog.helpers import MEAN_MD, tiny_package


def _token(app: Any, **kwargs: Any) -> str:
    from plugin.catalog.tokens import create_token
    from plugin.extensions import db

    with app.app_context():
        _, raw = create_token(
            "course CI",
            owner_issuer="https://lms.example.edu",
            owner_sub="teacher-1",
            owner_name="Ada Teacher",
            **kwargs,
        )
        db.session.commit()
    return raw


def _post(client: Any, data: bytes, token: str | None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post(
        "/api/v1/packages", data=data, headers=headers, content_type="application/octet-stream"
    )


def test_publish_then_repeat_is_unchanged(app: Any, client: Any, tmp_path: Path) -> None:
    token = _token(app)
    data = tiny_package(tmp_path)
    first = _post(client, data, token)
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert body["status"] == "published"
    assert body["version"]["course_id"] == "tiny-stats"
    assert body["version"]["version"] == "1.0.0"
    assert "Ada Teacher" in body["version"]["published_by"]
    again = _post(client, data, token)
    assert again.status_code == 200
    assert again.get_json()["status"] == "unchanged"
    assert again.get_json()["version"]["id"] == body["version"]["id"]


def test_same_version_with_other_content_is_refused(app: Any, client: Any, tmp_path: Path) -> None:
    token = _token(app)
    assert _post(client, tiny_package(tmp_path), token).status_code == 201
    changed = tiny_package(tmp_path, mean_md=MEAN_MD.replace("Add the values", "Sum the values"))
    response = _post(client, changed, token)
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "P003"
    assert error["diagnostics"][0]["code"] == "P003"
    assert "already published with different content" in error["message"]


def test_a_bump_smaller_than_the_change_is_refused_with_diagnostics(
    app: Any, client: Any, tmp_path: Path
) -> None:
    token = _token(app)
    assert _post(client, tiny_package(tmp_path), token).status_code == 201
    # The right answer moves from 4 to 6: a grading change needs a major version.
    wrong = MEAN_MD.replace("( ) 6 #", "(x) 6 #").replace("(x) 4 #", "( ) 4 #")
    response = _post(client, tiny_package(tmp_path, "1.0.1", mean_md=wrong), token)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "P001"
    assert any("error[P001]" in line for line in error["errors"]), error["errors"]
    assert {d["code"] for d in error["diagnostics"]} >= {"P001"}
    # The same change as a major release is published.
    ok = _post(client, tiny_package(tmp_path, "2.0.0", mean_md=wrong), token)
    assert ok.status_code == 201, ok.get_json()


def test_text_only_patch_is_published(app: Any, client: Any, tmp_path: Path) -> None:
    token = _token(app)
    assert _post(client, tiny_package(tmp_path), token).status_code == 201
    patch = tiny_package(
        tmp_path, "1.0.1", mean_md=MEAN_MD.replace("Add the values", "Sum the values")
    )
    response = _post(client, patch, token)
    assert response.status_code == 201
    assert response.get_json()["version"]["version"] == "1.0.1"


def test_tokens_are_required_and_checked(app: Any, client: Any, tmp_path: Path) -> None:
    data = tiny_package(tmp_path)
    missing = _post(client, data, None)
    assert missing.status_code == 401
    assert missing.get_json()["error"]["code"] == "TOKEN_MISSING"
    assert "Bearer" in missing.headers["WWW-Authenticate"]
    forged = _post(client, data, "mcp_" + "x" * 43)
    assert forged.status_code == 401 and forged.get_json()["error"]["code"] == "TOKEN_INVALID"


def test_revoked_token_is_refused(app: Any, client: Any, tmp_path: Path) -> None:
    from plugin.catalog.tokens import authenticate_token, revoke_token
    from plugin.extensions import db

    token = _token(app)
    with app.app_context():
        revoke_token(authenticate_token(token))
        db.session.commit()
    response = _post(client, tiny_package(tmp_path), token)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "TOKEN_REVOKED"


def test_not_a_package_is_refused_clearly(app: Any, client: Any) -> None:
    response = _post(client, b"this is not a zip file", _token(app))
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "PACKAGE_INVALID"
    assert "not a valid course package" in error["message"]
