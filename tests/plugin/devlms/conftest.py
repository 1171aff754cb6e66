"""Fixtures: a live dev LMS on 127.0.0.1 and a tiny stub tool on localhost, over real HTTP."""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, jsonify, redirect, request
from jwt.algorithms import RSAAlgorithm

from plugin.devlms import create_devlms_app, get_devlms, tool_config
from plugin.devlms.testing import DevLmsClient
from tests.servers import LiveServer, free_port, start_server


@dataclass
class StubTool:
    """A minimal LTI tool: serves its JWKS, starts logins with a 302, records launches."""

    url: str = ""
    key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    kid: str = "stub-1"
    platform: str = ""
    client_id: str = "microcred-dev"
    states: dict[str, str] = field(default_factory=dict)
    launches: list[dict[str, str]] = field(default_factory=list)
    jwks_hits: int = 0
    extra_keys: list[tuple[str, rsa.RSAPrivateKey]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def jwks(self) -> dict[str, Any]:
        keys = [(self.kid, self.key), *self.extra_keys]
        return {
            "keys": [
                {
                    **RSAAlgorithm.to_jwk(k.public_key(), as_dict=True),
                    "kid": kid,
                    "alg": "RS256",
                    "use": "sig",
                }
                for kid, k in keys
            ]
        }

    def sign(
        self,
        claims: dict[str, Any],
        *,
        kid: str | None = None,
        key: rsa.RSAPrivateKey | None = None,
    ) -> str:
        return jwt.encode(
            claims, key or self.key, algorithm="RS256", headers={"kid": kid or self.kid}
        )

    def assertion(self, aud: str, **overrides: Any) -> str:
        now = int(time.time())
        claims = {
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": aud,
            "iat": now,
            "exp": now + 60,
            "jti": str(uuid.uuid4()),
        }
        claims.update(overrides)
        return self.sign({k: v for k, v in claims.items() if v is not None})

    def app(self) -> Flask:
        app = Flask("stub_tool")

        @app.get("/lti/jwks")
        def jwks() -> Any:
            with self.lock:
                self.jwks_hits += 1
            return jsonify(self.jwks())

        @app.route("/lti/login", methods=["GET", "POST"])
        def login() -> Any:
            params = request.values
            state, nonce = secrets.token_urlsafe(8), secrets.token_urlsafe(8)
            with self.lock:
                self.states[state] = nonce
            query = {
                "scope": "openid",
                "response_type": "id_token",
                "response_mode": "form_post",
                "prompt": "none",
                "client_id": params["client_id"],
                "redirect_uri": f"{self.url}/lti/launch",
                "login_hint": params["login_hint"],
                "lti_message_hint": params.get("lti_message_hint", ""),
                "state": state,
                "nonce": nonce,
            }
            return redirect(f"{params['iss']}/auth?{urlencode(query)}")

        @app.post("/lti/launch")
        def launch() -> Any:
            with self.lock:
                self.launches.append(request.form.to_dict())
            return "launched"

        return app


@dataclass
class LiveLms:
    """The running dev LMS: its app, URL and a DevLmsClient."""

    app: Flask
    url: str
    client: DevLmsClient
    server: LiveServer

    @property
    def devlms(self) -> Any:
        return get_devlms(self.app)

    def token(self, tool: StubTool, scope: str) -> str:
        response = requests.post(
            f"{self.url}/token",
            timeout=10,
            data={
                "grant_type": "client_credentials",
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": tool.assertion(f"{self.url}/token"),
                "scope": scope,
            },
        )
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])


@pytest.fixture(scope="session")
def stub_tool() -> Iterator[StubTool]:
    tool = StubTool()
    port = free_port()
    tool.url = f"http://localhost:{port}"
    server = start_server(tool.app(), port=port, public_host="localhost")
    yield tool
    server.stop()


def start_lms(tmp_path: Any, stub_tool: StubTool, **config: Any) -> LiveLms:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = {
        "DEVLMS_PUBLIC_URL": url,
        "DEVLMS_DATABASE": str(tmp_path / "devlms.sqlite3"),
        "DEVLMS_TOOLS": [tool_config(stub_tool.url)],
        **config,
    }
    app = create_devlms_app(settings)
    server = start_server(app, port=port, public_host="127.0.0.1")
    stub_tool.platform = url
    return LiveLms(app, url, DevLmsClient.for_app(app), server)


def stop_lms(live: LiveLms) -> None:
    """Stop in the background: werkzeug's shutdown waits up to half a second for its poll."""
    live.devlms.hangs.release_all()

    def stop() -> None:
        live.server.stop()
        live.devlms.store.close()

    threading.Thread(target=stop, name="stop-devlms", daemon=True).start()


@pytest.fixture
def lms(tmp_path: Any, stub_tool: StubTool) -> Iterator[LiveLms]:
    live = start_lms(tmp_path, stub_tool)
    yield live
    stop_lms(live)
