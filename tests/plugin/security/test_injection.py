"""XSS payloads in forms, launch claims and course content; SQL injection probes on query
parameters; path traversal on asset and static URLs. Each is refused or rendered inert."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.plugin.admin.helpers import csrf_from, sign_in
from tests.plugin.catalog.helpers import (
    MEAN_MD,
    launch,
    launch_url,
    publish_bytes,
    session_of,
    tiny_package,
)
from tests.plugin.lti.helpers import TARGET

from .conftest import db_fingerprint

XSS = '<script>alert("xss")</script>"\'><img src=x onerror=alert(1)>'
SQLI = [
    "' OR '1'='1",
    "1; DROP TABLE learners; --",
    "1 UNION SELECT password_hash FROM admin_users",
    "%' AND 1=CAST((SELECT version()) AS int) --",
]
# What a successful probe would show: database errors or password hashes (echoes of the probe
# itself in an escaped form field are fine).
LEAKS = (
    "syntax error",
    "sqlite3.",
    "psycopg",
    "Traceback",
    "OperationalError",
    "ProgrammingError",
    "scrypt:",
    "pbkdf2:",
)


def _inert(html: str) -> None:
    assert "<script>alert" not in html
    assert "onerror=alert" not in html.replace("onerror=alert(1)&gt;", "")
    assert "<img src=x" not in html


def test_xss_in_launch_claims_is_escaped(client: Any, platform: Any) -> None:
    location = launch(
        client,
        platform,
        TARGET,
        role="Instructor",
        name=XSS,
        context={"id": "c1", "title": XSS, "label": XSS},
    )
    page = client.get(location)
    assert page.status_code == 200
    _inert(page.text)


def test_xss_in_admin_forms_is_escaped(admin_client: Any) -> None:
    form = admin_client.get("/admin/registrations/new")
    response = admin_client.post(
        "/admin/registrations/new",
        data={
            "csrf_token": csrf_from(form.text),
            "name": XSS,
            "issuer": XSS,
            "client_id": XSS,
            "auth_login_url": XSS,
            "auth_token_url": XSS,
            "key_set_url": XSS,
            "product": "generic",
        },
    )
    assert response.status_code == 422
    _inert(response.text)
    assert "&lt;script&gt;" in response.text  # echoed back, escaped, so nothing is lost


def test_xss_in_the_sign_in_and_verify_forms_is_escaped(client: Any) -> None:
    response = client.get("/admin/sign-in", query_string={"next": XSS})
    _inert(response.text)
    verify = client.post("/credentials/verify", data={"credential": XSS, "url": XSS})
    assert verify.status_code < 500
    _inert(verify.text)


def test_script_in_course_content_is_removed(
    app: Any, client: Any, platform: Any, tmp_path: Path
) -> None:
    hostile = MEAN_MD.replace(
        "Add the values and divide by how many there are.",
        'Add the values. <script>alert("xss")</script>'
        '<img src=x alt="a chart" onerror=alert(1)>\n\n'
        '<iframe src="https://evil.example"></iframe>',
    )
    publish_bytes(app, tiny_package(tmp_path, mean_md=hostile))
    token = session_of(launch(client, platform, launch_url("module", module="01-mean")))
    page = client.get(f"/learn/tiny-stats/01-mean?mc_session={token}")
    assert page.status_code == 200, page.text[:300]
    assert "Add the values." in page.text
    _inert(page.text)
    assert "<iframe" not in page.text


def _get_routes(app: Any) -> list[str]:
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" in (rule.methods or ()) and not rule.arguments and rule.endpoint != "static":
            paths.append(rule.rule)
    return sorted(paths)


@pytest.mark.parametrize("probe", SQLI)
def test_sql_injection_probes_on_query_parameters(
    app: Any, client: Any, make_account: Any, probe: str
) -> None:
    account = make_account(roles=("admin", "registrar"))
    assert sign_in(client, account.username, account.password).status_code == 302
    for path in _get_routes(app):  # first visits may set things up (keys, defaults)
        client.get(path)
    before = db_fingerprint(app)
    params = {
        name: probe
        for name in (
            "q",
            "id",
            "course",
            "sort",
            "order",
            "page",
            "status",
            "learner_id",
            "export-learner_id",
            "platform",
            "next",
        )
    }
    for path in _get_routes(app):
        response = client.get(path, query_string=params)
        assert response.status_code < 500, (path, response.status_code)
        body = response.get_data(as_text=True)
        assert not any(leak in body for leak in LEAKS), path
    assert db_fingerprint(app) == before


@pytest.mark.parametrize(
    "path",
    [
        "/c/{h}/assets/../../../../etc/passwd",
        "/c/{h}/assets/..%2f..%2f..%2fetc%2fpasswd",
        "/c/{h}/assets/%2e%2e/%2e%2e/plugin/config.py",
        "/c/../../etc/passwd/assets/x",
        "/static/../config.py",
        "/static/%2e%2e/config.py",
        "/static/..%2fconfig.py",
    ],
)
def test_path_traversal_on_asset_urls_finds_nothing(client: Any, path: str) -> None:
    response = client.get(path.format(h="a" * 64))
    assert response.status_code in (400, 404)
    assert "root:" not in response.text and "DEFAULTS" not in response.text
