"""Dynamic Registration against a replay of Moodle 4.5's endpoints (recorded configuration,
Moodle's checks, its plain-string errors)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.wrappers import Request, Response

from tests.servers import LiveServer, start_server

FIXTURE = json.loads(
    (Path(__file__).parent / "fixtures" / "moodle-4.5-dynamic-registration.json").read_text()
)
TOOL_CONFIG = "https://purl.imsglobal.org/spec/lti-tool-configuration"


class MoodleStandin:
    """Moodle's openid-configuration and openid-registration endpoints, replayed."""

    def __init__(self) -> None:
        self.server: LiveServer | None = None
        self.requests: list[dict[str, Any]] = []
        self.used_tokens: set[str] = set()
        self.issuer_override: str | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return self.server.url

    @property
    def config_url(self) -> str:
        return self.url + "/mod/lti/openid-configuration.php"

    def _rewrite(self, value: Any) -> Any:
        return json.loads(json.dumps(value).replace("http://127.0.0.1:8080", self.url))

    def __call__(self, environ: Any, start_response: Any) -> Any:
        request = Request(environ)
        if request.path == "/mod/lti/openid-configuration.php":
            config = self._rewrite(FIXTURE["openid_configuration"])
            if self.issuer_override:
                config["issuer"] = self.issuer_override
            response = Response(json.dumps(config), mimetype="application/json")
        elif request.path == "/mod/lti/openid-registration.php":
            response = self.register(request)
        else:
            response = Response("not found", status=404)
        return response(environ, start_response)

    def register(self, request: Request) -> Response:
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            return Response("missing_registration_token", status=401)
        token = auth[7:]
        if token in self.used_tokens:
            return Response("token_already_used", status=401)
        body = json.loads(request.get_data())
        self.requests.append(body)
        for name in (
            "response_types",
            "initiate_login_uri",
            "redirect_uris",
            "client_name",
            "jwks_uri",
            "token_endpoint_auth_method",
            TOOL_CONFIG,
        ):
            if not body.get(name):
                return Response(f"missing required attribute {name}", status=400)
        tool = body[TOOL_CONFIG]
        if not tool.get("domain"):
            return Response("missing_domain", status=400)
        target_host = tool["target_link_uri"].split("/")[2]
        if tool["domain"].removeprefix("www.") != target_host:
            return Response("domain_targetlinkuri_mismatch", status=400)
        self.used_tokens.add(token)
        answer = dict(FIXTURE["registration_response"])
        answer.update(
            {k: body[k] for k in ("jwks_uri", "initiate_login_uri", "redirect_uris", "client_name")}
        )
        answer["client_id"] = f"moodle-{token}"
        answer[TOOL_CONFIG] = {
            **FIXTURE["registration_response"][TOOL_CONFIG],
            "deployment_id": "2",
            "domain": tool["domain"],
            "target_link_uri": tool["target_link_uri"],
        }
        return Response(json.dumps(answer), mimetype="application/json")


@pytest.fixture
def moodle() -> Iterator[MoodleStandin]:
    standin = MoodleStandin()
    standin.server = start_server(standin)
    yield standin
    standin.server.stop()


def _register(client: Any, moodle: MoodleStandin, token: str = "tok-1") -> Any:
    return client.get(
        "/lti/register",
        query_string={"openid_configuration": moodle.config_url, "registration_token": token},
    )


def test_registration_round_trip_with_moodle(app: Any, client: Any, moodle: MoodleStandin) -> None:
    from plugin.lti import services

    response = _register(client, moodle)
    assert response.status_code == 200, response.get_data(as_text=True)[:800]
    page = response.get_data(as_text=True)
    assert "registration-close.js" in page and "waiting for approval" in page
    assert "Pending" in page  # Moodle's own activation step is explained
    sent = moodle.requests[0]
    tool = sent[TOOL_CONFIG]
    assert sent["application_type"] == "web" and sent["response_types"] == ["id_token"]
    assert sent["token_endpoint_auth_method"] == "private_key_jwt"
    assert sent["initiate_login_uri"] == "http://localhost:5000/lti/login"
    assert sent["redirect_uris"] == ["http://localhost:5000/lti/launch"]
    assert sent["jwks_uri"] == "http://localhost:5000/lti/jwks"
    assert "https://purl.imsglobal.org/spec/lti-ags/scope/score" in sent["scope"].split()
    assert (
        "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
        in sent["scope"].split()
    )
    assert tool["domain"] == "localhost:5000"
    assert tool["target_link_uri"] == "http://localhost:5000/lti/launch"
    deep = next(m for m in tool["messages"] if m["type"] == "LtiDeepLinkingRequest")
    assert deep["target_link_uri"] == "http://localhost:5000/lti/deeplink"
    assert deep["placements"] == ["ContentArea"]
    assert tool["https://canvas.instructure.com/lti/privacy_level"] == "public"
    with app.app_context():
        reg = services.find_registration(moodle.url, "moodle-tok-1")
        assert reg is not None and not reg.active and reg.product == "moodle"
        assert reg.auth_login_url == moodle.url + "/mod/lti/auth.php"
        assert reg.auth_token_url == moodle.url + "/mod/lti/token.php"
        assert reg.key_set_url == moodle.url + "/mod/lti/certs.php"
        assert [(d.deployment_id, d.status) for d in reg.deployments] == [("2", "active")]


def test_auto_approve_makes_the_registration_active(
    app_config: dict[str, Any], request: Any, moodle: MoodleStandin
) -> None:
    from plugin.lti import services

    app_config["AUTO_APPROVE_REGISTRATIONS"] = "yes"
    app = request.getfixturevalue("app")
    response = _register(app.test_client(), moodle)
    assert response.status_code == 200
    assert "waiting for approval" not in response.get_data(as_text=True)
    with app.app_context():
        assert services.find_registration(moodle.url, "moodle-tok-1").active


def test_moodle_plain_string_error_is_shown(app: Any, client: Any, moodle: MoodleStandin) -> None:
    assert _register(client, moodle).status_code == 200
    again = _register(client, moodle)  # Moodle: the token was used already
    assert again.status_code == 422
    text = again.get_data(as_text=True)
    assert "LTI_DR_REFUSED" in text and "token_already_used" in text


def test_issuer_must_prefix_the_configuration_url(
    app: Any, client: Any, moodle: MoodleStandin
) -> None:
    moodle.issuer_override = "https://moodle.example.edu"
    response = _register(client, moodle)
    assert response.status_code == 422
    assert "LTI_DR_ISSUER_MISMATCH" in response.get_data(as_text=True)
    assert moodle.requests == []


def test_registration_url_without_configuration(app: Any, client: Any) -> None:
    response = client.get("/lti/register")
    assert response.status_code == 422
    assert "LTI_DR_NO_CONFIG" in response.get_data(as_text=True)


def test_unreachable_platform(app: Any, client: Any) -> None:
    from tests.servers import free_port

    response = client.get(
        "/lti/register",
        query_string={"openid_configuration": f"http://127.0.0.1:{free_port()}/openid"},
    )
    assert response.status_code == 422
    assert "LTI_DR_FETCH_FAILED" in response.get_data(as_text=True)


def test_issuer_prefix_rule() -> None:
    from plugin.lti.dynreg import issuer_prefixes

    assert issuer_prefixes("http://127.0.0.1:8080", "http://127.0.0.1:8080/mod/lti/x.php")
    assert issuer_prefixes("https://lms.example/", "https://lms.example/.well-known/x")
    assert not issuer_prefixes("https://lms.example", "https://lms.example.evil.com/x")
    assert not issuer_prefixes("https://other.example", "https://lms.example/x")


def test_insecure_platform_refused_when_not_allowed(
    app_config: dict[str, Any], request: Any, moodle: MoodleStandin
) -> None:
    app_config["ALLOW_INSECURE_PLATFORMS"] = "false"
    app = request.getfixturevalue("app")
    response = _register(app.test_client(), moodle)
    assert response.status_code == 422
    assert "LTI_INSECURE_URL" in response.get_data(as_text=True)
