"""The launch benchmark's peer: a tool built the way pylti1p3's Flask example builds one, "set up to
be correct across workers" as issue 3 puts it: state, nonce and launch data in a shared Redis
cache through Flask-Caching instead of the example's per-process "simple" cache. Otherwise as the
example ships: the platform's key set is fetched on every launch, and every launch's claims are
pretty-printed to stdout (the benchmark sends that to its log file, as our log lines).

It does less than microcred on a launch: no database, no session of its own, a launch page of a
few lines rendered at once (no redirect, no follow-up page). Issue 3 measured this peer at 4.4 ms
of CPU per launch on its machine against a 3 ms target for microcred, so running both in one
benchmark puts the target on whatever machine runs it: 3 / 4.4 of the peer's figure.

Configured by environment variables the benchmark sets:
PEER_ISSUER, PEER_CLIENT_ID, PEER_DEPLOYMENT_ID, PEER_REDIS_URL, PEER_KEY_FILE (the tool's
private key, PEM, made at run time), PEER_NAMESPACE (its Redis key prefix).

    gunicorn -w 2 'tests.benchmarks.peer_pylti1p3:create_app()'
"""

from __future__ import annotations

import os
import pprint
from typing import Any

from flask import Flask, render_template_string

LAUNCH_PAGE = """<!doctype html><html lang="en"><head><title>Peer tool</title></head>
<body><main><h1>Welcome, {{ name }}</h1><p>Launch {{ launch_id }} in {{ course }}.</p></main>
</body></html>"""


def create_app() -> Flask:
    """The peer tool: /login/ (OIDC initiation), /launch/ (the redirect URI), /jwks/."""
    from cryptography.hazmat.primitives import serialization
    from flask import make_response
    from flask_caching import Cache
    from pylti1p3.contrib.flask import (
        FlaskCacheDataStorage,
        FlaskMessageLaunch,
        FlaskOIDCLogin,
        FlaskRequest,
    )
    from pylti1p3.cookies_allowed_check import CookiesAllowedCheckPage
    from pylti1p3.tool_config import ToolConfDict

    class PeerOIDCLogin(FlaskOIDCLogin):  # type: ignore[misc]
        """The example ships a template for pylti1p3's cookie check page; this renders the same
        page from pylti1p3's own class (as its Django integration does)."""

        def get_cookies_allowed_js_check(self) -> Any:
            protocol, params = self.get_cookies_allowed_js_check_params()
            page = CookiesAllowedCheckPage(
                params,
                protocol,
                self._cookies_unavailable_msg_main_text,
                self._cookies_unavailable_msg_click_text,
                self._cookies_check_loading_text,
            )
            return make_response(page.get_html())

    issuer = os.environ["PEER_ISSUER"]
    client_id = os.environ["PEER_CLIENT_ID"]
    with open(os.environ["PEER_KEY_FILE"], "rb") as f:
        private_pem = f.read()
    public_pem = (
        serialization.load_pem_private_key(private_pem, password=None)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    tool_conf = ToolConfDict(
        {
            issuer: [
                {
                    "default": True,
                    "client_id": client_id,
                    "auth_login_url": f"{issuer}/auth",
                    "auth_token_url": f"{issuer}/token",
                    "key_set_url": f"{issuer}/jwks.json",
                    "deployment_ids": [os.environ["PEER_DEPLOYMENT_ID"]],
                }
            ]
        }
    )
    tool_conf.set_private_key(issuer, private_pem.decode(), client_id=client_id)
    tool_conf.set_public_key(issuer, public_pem.decode(), client_id=client_id)

    app = Flask("pylti1p3-peer")
    app.config.update(
        SECRET_KEY=os.urandom(32).hex(),
        CACHE_TYPE="RedisCache",
        CACHE_REDIS_URL=os.environ["PEER_REDIS_URL"],
        CACHE_KEY_PREFIX=f"peer-{os.environ.get('PEER_NAMESPACE', 'bench')}:",
        CACHE_DEFAULT_TIMEOUT=600,
    )
    cache = Cache(app)

    def storage() -> Any:
        return FlaskCacheDataStorage(cache)

    @app.route("/login/", methods=["GET", "POST"])
    def login() -> Any:
        request = FlaskRequest()
        target = request.get_param("target_link_uri")
        if not target:
            raise ValueError('missing "target_link_uri"')
        oidc = PeerOIDCLogin(request, tool_conf, launch_data_storage=storage())
        return oidc.enable_check_cookies().redirect(target)

    @app.route("/launch/", methods=["POST"])
    def launch() -> str:
        data_storage = storage()
        message_launch = FlaskMessageLaunch(
            FlaskRequest(), tool_conf, launch_data_storage=data_storage
        )
        data = message_launch.get_launch_data()
        pprint.pprint(data)
        context = data.get("https://purl.imsglobal.org/spec/lti/claim/context", {})
        return render_template_string(
            LAUNCH_PAGE,
            name=data.get("name", ""),
            launch_id=message_launch.get_launch_id(),
            course=context.get("title", ""),
        )

    @app.route("/jwks/")
    def jwks() -> Any:
        return tool_conf.get_jwks()

    return app
