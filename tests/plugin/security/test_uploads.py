"""Package uploads end to end through the publish API: entries escaping their folder, links,
zip bombs (ratio and total size) and oversized bodies are refused and nothing is published."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.plugin.catalog.helpers import tiny_package


@pytest.fixture
def api_token(app: Any) -> str:
    from plugin.catalog.tokens import create_token
    from plugin.extensions import db

    with app.app_context():
        _, raw = create_token("security tests", days=30)
        db.session.commit()
    return raw


def _publish(client: Any, token: str, data: bytes) -> Any:
    return client.post(
        "/api/v1/packages",
        data=data,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/octet-stream"},
    )


def _versions(app: Any) -> int:
    from plugin.catalog.models import CourseVersion
    from plugin.extensions import db

    with app.app_context():
        return int(db.session.scalar(db.select(db.func.count()).select_from(CourseVersion)) or 0)


def _with_extra(package: bytes, info: zipfile.ZipInfo, payload: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item))
        dst.writestr(info, payload, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def test_a_good_package_is_published(app: Any, client: Any, api_token: str, tmp_path: Path) -> None:
    response = _publish(client, api_token, tiny_package(tmp_path))
    assert response.status_code == 201, response.text
    assert _versions(app) == 1


@pytest.mark.parametrize(
    "name", ["../evil.txt", "/etc/cron.d/evil", "assets/../../evil.txt", "C:/evil.txt"]
)
def test_entries_leaving_the_package_are_refused(
    app: Any, client: Any, api_token: str, tmp_path: Path, name: str
) -> None:
    bad = _with_extra(tiny_package(tmp_path), zipfile.ZipInfo(name), b"owned")
    response = _publish(client, api_token, bad)
    assert response.status_code == 422
    assert "outside the package folder" in response.json["error"]["message"]
    assert _versions(app) == 0


def test_links_are_refused(app: Any, client: Any, api_token: str, tmp_path: Path) -> None:
    link = zipfile.ZipInfo("assets/passwd")
    link.external_attr = 0o120777 << 16
    response = _publish(
        client, api_token, _with_extra(tiny_package(tmp_path), link, b"/etc/passwd")
    )
    assert response.status_code == 422
    assert "is a link" in response.json["error"]["message"]
    assert _versions(app) == 0


def test_zip_bombs_are_stopped_by_ratio(
    app: Any, client: Any, api_token: str, tmp_path: Path
) -> None:
    bomb = _with_extra(
        tiny_package(tmp_path), zipfile.ZipInfo("assets/zeros.bin"), bytes(20 * 1024 * 1024)
    )
    assert len(bomb) < 200_000
    response = _publish(client, api_token, bomb)
    assert response.status_code == 422
    assert "looks like a zip bomb" in response.json["error"]["message"]
    assert _versions(app) == 0


def test_zip_bombs_are_stopped_by_total_size(make_app: Any, tmp_path: Path) -> None:
    from plugin.catalog.tokens import create_token
    from plugin.extensions import db

    app = make_app(UPLOAD_MAX_UNPACKED_MB="5")
    with app.app_context():
        _, token = create_token("security tests", days=30)
        db.session.commit()
    big = _with_extra(
        tiny_package(tmp_path), zipfile.ZipInfo("assets/zeros.bin"), bytes(6 * 1024 * 1024)
    )
    response = _publish(app.test_client(), token, big)
    assert response.status_code == 422
    assert "this tool unpacks at most 5 MB" in response.json["error"]["message"]
    assert _versions(app) == 0


def test_a_lying_entry_size_is_refused(
    app: Any, client: Any, api_token: str, tmp_path: Path
) -> None:
    package = _with_extra(tiny_package(tmp_path), zipfile.ZipInfo("assets/a.txt"), b"A" * 5000)
    # Shrink the declared size in the central directory: the reader must not trust it.
    lied = package.replace((5000).to_bytes(4, "little"), (50).to_bytes(4, "little"))
    response = _publish(client, api_token, lied)
    assert response.status_code == 422
    assert "damaged" in response.json["error"]["message"]
    assert _versions(app) == 0


def test_oversized_bodies_get_413(make_app: Any) -> None:
    client = make_app(MAX_UPLOAD_MB="1").test_client()
    body = b"x" * (1024 * 1024 + 10)
    api = client.post("/api/v1/packages", data=body, headers={"Authorization": "Bearer x"})
    assert api.status_code == 413
    page = client.post("/admin/sign-in", data={"username": "a", "password": "x" * len(body)})
    assert page.status_code == 413
    assert "at most 1 MB" in page.text and "Nothing was saved" in page.text
