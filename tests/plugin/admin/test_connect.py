"""The "Connect an LMS" pages: each LMS's words, the tool's real URLs, copy buttons done safely."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from plugin.admin.guides import GUIDES

# Plain http so the test client keeps its session cookie; a path checks URLs are built from it.
PUBLIC = "http://tool.example.edu/microcred"
DOCS = Path(__file__).resolve().parents[3] / "docs" / "lms-setup.md"


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "PUBLIC_URL": PUBLIC}


@pytest.mark.parametrize("lms", sorted(GUIDES))
def test_each_lms_page_shows_the_tool_urls(admin_client: Any, lms: str) -> None:
    page = admin_client.get(f"/admin/connect/{lms}").text
    for url in ("/lti/login", "/lti/launch", "/lti/deeplink", "/lti/jwks", "/lti/register"):
        assert f">{PUBLIC}{url}<" in page or f"{PUBLIC}{url}\n" in page, url
    assert ">tool.example.edu<" in page
    assert "https://purl.imsglobal.org/spec/lti-ags/scope/score" in page
    assert f'href="/admin/registrations/new?lms={lms}"' in page
    for step in GUIDES[lms].manual:
        for field in step.fields:
            assert field.label.replace("'", "&#39;") in page


def test_moodle_page_says_dynamic_registrations_stay_pending(admin_client: Any) -> None:
    page = admin_client.get("/admin/connect/moodle").text
    assert "Add LTI Advantage" in page
    assert "stays Pending" in page and "Activate" in page and "Manage tools" in page
    assert "Platform ID" in page and "Public keyset URL" in page


def test_brightspace_page_asks_for_the_token_audience(admin_client: Any) -> None:
    page = admin_client.get("/admin/connect/brightspace").text
    assert "Brightspace OAuth2 Audience" in page
    assert "https://api.brightspace.com/auth/token" in page
    assert "Tool initiation registration endpoint" in page


def test_canvas_page_names_the_shared_issuer_and_sso_endpoints(admin_client: Any) -> None:
    page = admin_client.get("/admin/connect/canvas").text
    assert "https://canvas.instructure.com" in page
    assert "https://sso.canvaslms.com/api/lti/authorize_redirect" in page
    assert "https://sso.canvaslms.com/api/lti/security/jwks" in page
    assert "By Client ID" in page


def test_blackboard_and_sakai_pages(admin_client: Any) -> None:
    bb = admin_client.get("/admin/connect/blackboard").text
    assert "https://developer.blackboard.com/api/v1/gateway/oidcauth" in bb
    assert "Register LTI 1.3/Advantage Tool" in bb
    sakai = admin_client.get("/admin/connect/sakai").text
    assert "LTI 1.3 Tool OpenID Connect/Initialization Endpoint" in sakai
    assert "LTI 1.3 Platform OAuth2 Bearer Token Retrieval URL" in sakai


def test_dynamic_registration_note_follows_the_auto_approve_setting(
    app_config: dict[str, Any], admin_client: Any
) -> None:
    assert "waits, disabled, until you enable it" in admin_client.get("/admin/connect/sakai").text


def test_copy_buttons_use_a_nonced_script_and_no_inline_handlers(admin_client: Any) -> None:
    response = admin_client.get("/admin/connect/canvas")
    page = response.text
    nonce = re.search(r"<script nonce=\"([^\"]+)\">", page)
    assert nonce
    assert f"'nonce-{nonce.group(1)}'" in response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert not re.search(r"\son[a-z]+=", page)
    assert page.count("data-copy=") >= 10
    assert 'role="status"' in page  # copy results are announced


def test_connect_index_lists_every_lms(admin_client: Any) -> None:
    page = admin_client.get("/admin/connect/").text
    for guide in GUIDES.values():
        assert f'href="/admin/connect/{guide.slug}"' in page
    assert f"{PUBLIC}/lti/register" in page


def test_docs_name_every_field_the_pages_name() -> None:
    text = " ".join(DOCS.read_text().split())  # phrases may wrap across lines
    missing = []
    for guide in GUIDES.values():
        assert f"## {guide.name}" in text
        for step in (*guide.dynamic, *guide.manual):
            missing += [f"{guide.slug}: {f.label}" for f in step.fields if f.label not in text]
        missing += [f"{guide.slug}: {e.source}" for e in guide.enter_back if e.source not in text]
    assert missing == []
