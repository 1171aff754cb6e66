"""In Debian's chromium: a launch inside the course page's iframe that keeps its state in the
Platform Storage frame, that frame's origin check, and an axe check of the pages (WCAG 2.1 AA)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, request
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from plugin.devlms import create_devlms_app, get_devlms, tool_config
from plugin.devlms.testing import DevLmsClient
from tests.browser import chromium_path, frames_seen, open_browser
from tests.servers import LiveServer, free_port, start_server

pytestmark = pytest.mark.browser
#: How long the tool's script waits for the platform's answer (it comes at once when it comes).
ANSWER_WAIT_MS = 10_000
#: How long the test from another origin waits before it concludes that no answer will come.
SILENCE_WAIT_MS = 3_000

# The tool side of lti-cs-oidc / lti-pm-s, as a tool would write it.
ASK = """
function ask(win, origin, msg) {
  return new Promise(function (resolve) {
    var id = Math.random().toString(36).slice(2);
    // Generous: an answer comes at once, and a busy 2-core CI machine must not turn into a miss.
    var timer = setTimeout(function () { resolve({timeout: true}); }, %d);
    addEventListener("message", function handler(e) {
      if (e.origin !== origin || !e.data || e.data.message_id !== id) return;
      removeEventListener("message", handler); clearTimeout(timer); resolve(e.data);
    });
    msg.message_id = id;
    win.postMessage(msg, origin);
  });
}
"""

LOGIN = """<!doctype html><html lang="en"><head><title>login</title></head><body>
<script type="application/json" id="p">%s</script><script>%s
var p = JSON.parse(document.getElementById("p").textContent);
var platform = new URL(p.iss).origin;
(async function () {
  var caps = await ask(window.parent, platform, {subject: "lti.capabilities"});
  var put = caps.supported_messages.find(function (m) { return m.subject === "lti.put_data"; });
  var frame = window.parent.frames[put.frame];
  await ask(frame, platform, {subject: "lti.put_data", key: "state_" + p.state, value: p.state});
  location.href = p.iss + "/auth?" + new URLSearchParams(p.query).toString();
})();
</script></body></html>"""

LAUNCH = """<!doctype html><html lang="en"><head><title>launch</title></head><body>
<p id="result">waiting</p>
<script type="application/json" id="p">%s</script><script>%s
var p = JSON.parse(document.getElementById("p").textContent);
(async function () {
  var frame = window.parent.frames["post_message_forwarding"];
  var got = await ask(frame, p.platform, {subject: "lti.get_data", key: "state_" + p.state});
  var missing = await ask(frame, p.platform, {subject: "lti.get_data", key: "state_nope"});
  document.getElementById("result").textContent = JSON.stringify(
    {state_ok: got.value === p.state, missing: missing.error && missing.error.code});
})();
</script></body></html>"""

EVIL = """<!doctype html><html lang="en"><head><title>evil</title></head><body>
<p id="result">waiting</p>
<iframe name="pm" title="storage" src="%s"></iframe>
<script>%s
document.querySelector("iframe").addEventListener("load", async function () {
  var answer = await ask(window.frames.pm, "%s",
                         {subject: "lti.get_data", key: "state_anything"});
  document.getElementById("result").textContent = answer.timeout ? "no answer" : "answered";
});
</script></body></html>"""


def storage_tool(url_box: dict[str, str]) -> Flask:
    app = Flask("storage_tool")

    @app.route("/lti/login", methods=["GET", "POST"])
    def login() -> str:
        values = request.values
        state = secrets.token_urlsafe(8)
        query = {
            "scope": "openid",
            "response_type": "id_token",
            "response_mode": "form_post",
            "prompt": "none",
            "client_id": values["client_id"],
            "redirect_uri": f"{url_box['tool']}/lti/launch",
            "state": state,
            "nonce": secrets.token_urlsafe(8),
            "login_hint": values["login_hint"],
            "lti_message_hint": values["lti_message_hint"],
        }
        params = {
            "iss": values["iss"],
            "state": state,
            "query": query,
            "target": values["lti_storage_target"],
        }
        return LOGIN % (json.dumps(params), ASK % ANSWER_WAIT_MS)

    @app.post("/lti/launch")
    def launch() -> str:
        params = {"state": request.form["state"], "platform": url_box["lms"]}
        return LAUNCH % (json.dumps(params), ASK % ANSWER_WAIT_MS)

    @app.get("/evil")
    def evil() -> str:
        return EVIL % (
            f"{url_box['lms']}/platform_storage?client_id=microcred-dev",
            ASK % SILENCE_WAIT_MS,
            url_box["lms"],
        )

    return app


@pytest.fixture(scope="module")
def world(tmp_path_factory: Any) -> Iterator[dict[str, Any]]:
    chromium_path()  # skips here, fails under MICROCRED_REQUIRE_BROWSER=1
    urls: dict[str, str] = {}
    tool_port, evil_port, lms_port = free_port(), free_port(), free_port()
    urls["tool"] = f"http://localhost:{tool_port}"
    urls["evil"] = f"http://localhost:{evil_port}"
    urls["lms"] = f"http://127.0.0.1:{lms_port}"
    tool_app = storage_tool(urls)
    servers: list[LiveServer] = [
        start_server(tool_app, port=tool_port, public_host="localhost"),
        start_server(tool_app, port=evil_port, public_host="localhost"),
    ]
    lms_app = create_devlms_app(
        {
            "DEVLMS_PUBLIC_URL": urls["lms"],
            "DEVLMS_DATABASE": str(tmp_path_factory.mktemp("browser") / "lms.sqlite3"),
            "DEVLMS_TOOLS": [{**tool_config(urls["tool"]), "jwks_url": None, "jwks": {"keys": []}}],
            "DEVLMS_PLACEMENTS": [
                {
                    "title": "Quiz 1",
                    "url": f"{urls['tool']}/lti/launch?m=1",
                    "lineItem": {"scoreMaximum": 10},
                }
            ],
        }
    )
    servers.append(start_server(lms_app, port=lms_port, public_host="127.0.0.1"))
    with open_browser() as browser:
        yield {"urls": urls, "browser": browser, "client": DevLmsClient.for_app(lms_app)}
    for server in servers:
        server.stop()
    get_devlms(lms_app).store.close()


def test_launch_in_the_iframe_keeps_its_state_in_platform_storage(world):
    page = world["browser"].new_page()
    placement = world["client"].placements()[0]
    page.goto(f"{world['urls']['lms']}/launch/{placement['id']}?as=grace")
    result = page.frame_locator("iframe.tool-frame").locator("#result")
    try:
        result.filter(has_text="state_ok").wait_for(timeout=30_000)
    except PlaywrightTimeout:
        pytest.fail(f"the launch did not finish; frames: {frames_seen(page)}")
    assert json.loads(result.text_content()) == {"state_ok": True, "missing": "bad_request"}


def test_storage_frame_ignores_other_origins(world):
    page = world["browser"].new_page()
    page.goto(f"{world['urls']['evil']}/evil")
    result = page.locator("#result")
    result.filter(has_not_text="waiting").wait_for(timeout=15000)
    assert result.text_content() == "no answer"


@pytest.mark.parametrize(
    "path", ["/?as=ada", "/gradebook?as=ada", "/admin/tools?as=admin", "/launch/{pid}?as=grace"]
)
def test_pages_pass_axe_wcag_21_aa(world, path):
    from axe_playwright_python.sync_playwright import Axe

    page = world["browser"].new_page()
    pid = world["client"].placements()[0]["id"]
    page.goto(world["urls"]["lms"] + path.format(pid=pid))
    results = Axe().run(
        page,
        context={"exclude": [["iframe.tool-frame"]]},
        options={
            "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}
        },
    )
    assert results.violations_count == 0, results.generate_report()
