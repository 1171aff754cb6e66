"""A launch answers with its first page, which names its own address so a reload asks by GET."""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Blueprint, g, request

from plugin.lti.registry import register_launch_target
from plugin.lti.session import require_launch
from tests.plugin.lti.helpers import CLAIM, TARGET, launch


def _json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_the_launch_answers_with_the_page_and_its_address(client: Any, platform: Any) -> None:
    response = launch(client, platform)
    assert response.status_code == 200, response.get_data(as_text=True)[:800]
    assert "Location" not in response.headers
    address = response.headers["Content-Location"]
    assert address.startswith("/lti/home?mc_session=")
    html = response.get_data(as_text=True)
    assert "Open in a new window" in html  # the landing page itself
    # The browser's address becomes the page's: a reload, a bookmark or a new window asks by GET.
    script = re.search(r'<script nonce="([^"]+)">history\.replaceState\(null, "", (".*?")\);', html)
    assert script, html[:800]
    assert json.loads(script.group(2)) == address
    # The script may run: its nonce is the one the page's CSP allows.
    assert f"'nonce-{script.group(1)}'" in response.headers["Content-Security-Policy"]
    assert f'<meta http-equiv="refresh" content="0; url={address}">' in html.replace("&amp;", "&")
    assert response.headers["Cache-Control"] == "no-store"


def test_a_reload_gets_the_page_and_a_repost_is_refused(client: Any, platform: Any) -> None:
    auth = platform.login(client, TARGET)
    form = {"id_token": platform.sign(platform.claims(auth, TARGET)), "state": auth.state}
    first = client.post("/lti/launch", data=form)
    address = first.headers["Content-Location"]
    again = client.get(address)  # what the reload does once the page renamed itself
    assert again.status_code == 200
    assert "Open in a new window" in again.get_data(as_text=True)
    assert "history.replaceState" not in again.get_data(as_text=True)  # a plain GET page
    # A browser that re-posted the sign-in instead gets a clear refusal, no second session.
    repost = client.post("/lti/launch", data=form)
    assert repost.status_code == 400 and "LTI_STATE_UNKNOWN" in repost.get_data(as_text=True)


def test_the_launch_is_one_request_in_the_log(client: Any, platform: Any, capsys: Any) -> None:
    capsys.readouterr()
    response = launch(client, platform)
    access = [e for e in _json_lines(capsys.readouterr().err) if e["logger"] == "plugin.access"]
    assert [(e["method"], e["path"], e["status"]) for e in access] == [
        ("GET", "/lti/login", 302),
        ("POST", "/lti/launch", 200),
    ]
    # The page was made inside the launch: it answers with the launch's request id.
    assert access[1]["request_id"] == response.headers["X-Request-ID"]


def test_a_page_that_is_not_found_is_the_answer_with_its_status(client: Any, platform: Any) -> None:
    register_launch_target("gone-test", lambda ctx: "/lti/no-such-page")
    auth = platform.login(client, TARGET)
    claims = platform.claims(auth, TARGET, **{CLAIM + "custom": {"target": "gone-test"}})
    response = client.post(
        "/lti/launch",
        data={"id_token": platform.sign(claims), "state": auth.state},
        headers={"Accept": "text/html"},
    )
    assert response.status_code == 404
    assert response.headers["Content-Location"].startswith("/lti/no-such-page?mc_session=")
    assert "Not Found" in response.get_data(as_text=True)


def test_a_target_outside_the_tool_is_redirected_to(client: Any, platform: Any) -> None:
    register_launch_target("elsewhere-test", lambda ctx: "https://elsewhere.example/start")
    auth = platform.login(client, TARGET)
    claims = platform.claims(auth, TARGET, **{CLAIM + "custom": {"target": "elsewhere-test"}})
    response = client.post(
        "/lti/launch", data={"id_token": platform.sign(claims), "state": auth.state}
    )
    assert response.status_code == 303
    assert response.headers["Location"].startswith("https://elsewhere.example/start?mc_session=")


def test_the_page_runs_its_blueprint_hooks_and_the_app_hooks_once(app: Any, platform: Any) -> None:
    bp = Blueprint("hooked_test", __name__)

    @bp.before_request
    def _before() -> None:
        g.hooked_before = request.method

    @bp.after_request
    def _after(response: Any) -> Any:
        response.headers["X-Hooked"] = "ran"
        return response

    @bp.get("/t/hooked")
    @require_launch()
    def hooked() -> str:
        return f"<p>{g.hooked_before} {request.path} {request.args.get('x')}</p>"

    app.register_blueprint(bp)
    register_launch_target("hooked-test", lambda ctx: "/t/hooked?x=1")
    client = app.test_client()
    auth = platform.login(client, TARGET)
    claims = platform.claims(auth, TARGET, **{CLAIM + "custom": {"target": "hooked-test"}})
    response = client.post(
        "/lti/launch", data={"id_token": platform.sign(claims), "state": auth.state}
    )
    assert response.status_code == 200
    # The page is what a GET of its address gets, with its blueprint's own hooks ...
    assert response.get_data(as_text=True) == "<p>GET /t/hooked 1</p>"
    assert response.headers["X-Hooked"] == "ran"
    # ... and the app-wide ones once, for the launch request.
    assert len(response.headers.getlist("X-Request-ID")) == 1
    assert len(response.headers.getlist("Content-Security-Policy")) == 1
