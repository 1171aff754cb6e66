"""The launch benchmark's floor: the two requests of a launch answered by Flask under the same
gunicorn with no LTI work at all. The login redirects at once to the platform's authorization
URL with a random state and nonce; the launch answers a one-line page without reading the
id_token. Nothing is checked, stored or signed, so it is not a tool: what it costs is what Flask
and gunicorn alone cost on this machine for a launch's requests, the part of any Flask tool's
figure no application code can remove. bench_launch prints it beside microcred and the peer.

Configured by PEER_ISSUER (the platform the driver plays), as the peer is.

    gunicorn -w 2 'tests.benchmarks.floor_flask:create_app()'
"""

from __future__ import annotations

import os
import secrets
from urllib.parse import urlencode

from flask import Flask, Response, redirect, request


def create_app() -> Flask:
    """/login (straight to the platform's auth URL), /launch (a fixed page), /ready."""
    auth_url = f"{os.environ['PEER_ISSUER']}/auth"
    app = Flask("launch-floor")

    @app.route("/login", methods=["GET", "POST"])
    def login() -> Response:
        query = {
            "response_type": "id_token",
            "scope": "openid",
            "response_mode": "form_post",
            "prompt": "none",
            "client_id": request.values.get("client_id", ""),
            "login_hint": request.values.get("login_hint", ""),
            "lti_message_hint": request.values.get("lti_message_hint", ""),
            "redirect_uri": request.url_root + "launch",
            "state": secrets.token_urlsafe(24),
            "nonce": secrets.token_urlsafe(24),
        }
        return redirect(f"{auth_url}?{urlencode(query)}", 302)  # type: ignore[return-value]

    @app.post("/launch")
    def launch() -> str:
        return "<!doctype html><title>Floor</title><h1>Welcome</h1>"

    @app.get("/ready")
    def ready() -> str:
        return "ok"

    return app
