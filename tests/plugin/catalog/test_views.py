"""Course assets (immutable, script-proof SVG) and the instructor's upload page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.plugin.catalog.helpers import (
    BARS_SVG,
    TOOL,
    launch,
    publish_bytes,
    session_of,
    tiny_package,
)


def _hash_hex(app: Any, version_id: int) -> str:
    from plugin.catalog.services import get_version

    with app.app_context():
        version = get_version(version_id)
        assert version is not None
        return version.hash_hex


def test_assets_are_immutable_and_svg_cannot_run_script(
    app: Any, client: Any, tmp_path: Path
) -> None:
    hash_hex = _hash_hex(app, publish_bytes(app, tiny_package(tmp_path)))
    response = client.get(f"/c/{hash_hex}/assets/img/bars.svg")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == BARS_SVG
    assert response.mimetype == "image/svg+xml"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["Content-Security-Policy"] == (
        "default-src 'none'; style-src 'unsafe-inline'"
    )
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    etag = response.headers["ETag"]
    cached = client.get(f"/c/{hash_hex}/assets/img/bars.svg", headers={"If-None-Match": etag})
    assert cached.status_code == 304


def test_unknown_assets_and_hashes_are_not_found(app: Any, client: Any, tmp_path: Path) -> None:
    hash_hex = _hash_hex(app, publish_bytes(app, tiny_package(tmp_path)))
    assert client.get(f"/c/{hash_hex}/assets/img/none.svg").status_code == 404
    assert client.get(f"/c/{'0' * 64}/assets/img/bars.svg").status_code == 404
    assert client.get("/c/not-a-hash/assets/img/bars.svg").status_code == 404


def _instructor(client: Any, platform: Any) -> str:
    return session_of(
        launch(client, platform, f"{TOOL}/lti/launch", role="Instructor", sub="teacher-1")
    )


def test_upload_page_publishes_and_explains_refusals(
    app: Any, client: Any, platform: Any, tmp_path: Path
) -> None:
    token = _instructor(client, platform)
    page = client.get(f"/catalog/upload?mc_session={token}")
    assert page.status_code == 200
    assert '<label for="package">Course package (.mcpkg)</label>' in page.get_data(as_text=True)
    data = tiny_package(tmp_path)
    done = client.post(
        "/catalog/upload",
        data={"mc_session": token, "package": (tmp_path / "tiny-1.0.0-0.mcpkg").open("rb")},
        content_type="multipart/form-data",
    )
    assert done.status_code == 200
    assert "Published <strong>Tiny Statistics</strong> version 1.0.0" in done.get_data(as_text=True)
    empty = client.post(
        "/catalog/upload", data={"mc_session": token}, content_type="multipart/form-data"
    )
    assert empty.status_code == 422
    assert "Choose a .mcpkg file to publish." in empty.get_data(as_text=True)
    (tmp_path / "junk.mcpkg").write_bytes(b"junk" + data[:10])
    junk = client.post(
        "/catalog/upload",
        data={"mc_session": token, "package": (tmp_path / "junk.mcpkg").open("rb")},
        content_type="multipart/form-data",
    )
    assert junk.status_code == 422
    assert "not a valid course package" in junk.get_data(as_text=True)
    listing = client.get(f"/catalog/?mc_session={token}").get_data(as_text=True)
    assert "Tiny Statistics" in listing and "1.0.0" in listing


def test_upload_needs_the_session_token_in_the_form(
    app: Any, client: Any, platform: Any, tmp_path: Path
) -> None:
    _instructor(client, platform)
    response = client.post(
        "/catalog/upload",
        data={"package": (tmp_path / "x").open("wb+")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 401


def test_learners_cannot_publish(app: Any, client: Any, platform: Any) -> None:
    token = session_of(launch(client, platform, f"{TOOL}/lti/launch"))
    response = client.get(f"/catalog/upload?mc_session={token}")
    assert response.status_code == 403
    assert "ACCESS_DENIED" in response.get_data(as_text=True)


def test_instructor_creates_uses_and_revokes_a_token(
    app: Any, client: Any, platform: Any, tmp_path: Path
) -> None:
    import re

    session = _instructor(client, platform)
    made = client.post(
        "/catalog/tokens", data={"mc_session": session, "name": "laptop", "days": "30"}
    )
    assert made.status_code == 201
    assert made.headers["Cache-Control"] == "no-store"
    page = made.get_data(as_text=True)
    assert "Copy your new token now: it is not shown again." in page
    found = re.search(r'value="(mcp_[A-Za-z0-9_-]+)"', page)
    assert found
    token = found.group(1)
    listing = client.get(f"/catalog/tokens?mc_session={session}").get_data(as_text=True)
    assert token not in listing and f"{token[:12]}…" in listing
    headers = {"Authorization": f"Bearer {token}"}
    data = tiny_package(tmp_path)
    assert client.post("/api/v1/packages", data=data, headers=headers).status_code == 201
    token_id = re.search(r"/catalog/tokens/(\d+)/revoke", listing)
    assert token_id
    client.post(f"/catalog/tokens/{token_id.group(1)}/revoke", data={"mc_session": session})
    refused = client.post("/api/v1/packages", data=data, headers=headers)
    assert refused.status_code == 401
    assert refused.get_json()["error"]["code"] == "TOKEN_REVOKED"


def test_token_needs_a_name(app: Any, client: Any, platform: Any) -> None:
    session = _instructor(client, platform)
    response = client.post(
        "/catalog/tokens", data={"mc_session": session, "name": " ", "days": "90"}
    )
    assert response.status_code == 422
    assert "Give the token a name of 1 to 100 characters." in response.get_data(as_text=True)


@pytest.fixture
def small_uploads(app_config: dict[str, Any]) -> None:
    """A tool that accepts packages up to 1 MB (asked for before `app`)."""
    app_config["MAX_UPLOAD_MB"] = "1"


def test_packages_over_the_limit_are_refused_with_the_limit(
    small_uploads: None, app: Any, client: Any
) -> None:
    from plugin.catalog.tokens import create_token
    from plugin.extensions import db

    with app.app_context():
        _, raw = create_token("big")
        db.session.commit()
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = client.post(
        "/api/v1/packages", data=b"x" * (limit + 1), headers={"Authorization": f"Bearer {raw}"}
    )
    assert response.status_code == 413
    error = response.get_json()["error"]
    assert error["code"] == "PACKAGE_TOO_LARGE"
    assert "accepts packages up to 1 MB (MAX_UPLOAD_MB)" in error["message"]
