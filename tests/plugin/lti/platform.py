"""A minimal signing platform for launch tests: real RSA keys, a JWKS served on loopback, and
id_tokens built claim by claim (known-good, or deliberately bad).

The dev LMS drives whole launches over HTTP; this helper exists for precise known-bad payloads
and for counting JWKS fetches.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from werkzeug.wrappers import Request, Response

from tests.servers import LiveServer, start_server

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"


@cache
def rsa_key(name: str) -> rsa.RSAPrivateKey:
    """A 2048-bit key per name, made once per test session (key generation is slow)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    return {
        **RSAAlgorithm.to_jwk(key.public_key(), as_dict=True),
        "kid": kid,
        "alg": "RS256",
        "use": "sig",
    }


@dataclass(frozen=True)
class AuthRequest:
    """What the tool sent the browser to: the platform's auth endpoint with its parameters."""

    url: str
    params: dict[str, str]

    @property
    def state(self) -> str:
        return self.params["state"]

    @property
    def nonce(self) -> str:
        return self.params["nonce"]


@dataclass
class TestPlatform:
    """A platform on 127.0.0.1 that serves its JWKS and signs whatever it is asked to."""

    __test__ = False

    client_id: str = "tool-client"
    deployment_id: str = "dep-1"
    kid: str = "platform-key-1"
    keys: list[tuple[str, rsa.RSAPrivateKey]] = field(default_factory=list)
    jwks_fetches: int = 0
    server: LiveServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if not self.keys:
            self.keys = [(self.kid, rsa_key("platform-1"))]

    @property
    def issuer(self) -> str:
        assert self.server is not None
        return self.server.url

    @property
    def jwks_url(self) -> str:
        return self.issuer + "/jwks"

    @property
    def auth_url(self) -> str:
        return self.issuer + "/auth"

    def start(self) -> TestPlatform:
        self.server = start_server(self._wsgi)
        return self

    def stop(self) -> None:
        if self.server:
            self.server.stop()

    def _wsgi(self, environ: Any, start_response: Any) -> Any:
        request = Request(environ)
        if request.path == "/jwks":
            with self._lock:
                self.jwks_fetches += 1
            body = json.dumps({"keys": [public_jwk(k, kid) for kid, k in self.keys]})
            return Response(body, mimetype="application/json")(environ, start_response)
        return Response("not found", status=404)(environ, start_response)

    def reset(self) -> None:
        """Back to one key and no fetches counted (between tests)."""
        self.kid = "platform-key-1"
        self.keys = [(self.kid, rsa_key("platform-1"))]
        self.jwks_fetches = 0

    def rotate(self, kid: str, key_name: str) -> None:
        """Publish a new key (first in the set) beside the old one."""
        self.keys.insert(0, (kid, rsa_key(key_name)))
        self.kid = kid

    # -- the tool's side of the flow --------------------------------------------------------

    def register(self, **overrides: Any) -> int:
        """Register this platform with the tool (inside an app context); returns its id."""
        from plugin.extensions import db
        from plugin.lti import services

        fields: dict[str, Any] = {
            "issuer": self.issuer,
            "client_id": self.client_id,
            "name": "Test platform",
            "auth_login_url": self.auth_url,
            "auth_token_url": self.issuer + "/token",
            "key_set_url": self.jwks_url,
            "deployment_ids": [self.deployment_id],
        }
        fields.update(overrides)
        reg = services.create_registration(**fields)
        db.session.commit()
        return reg.id

    def login_params(self, target: str, **overrides: Any) -> dict[str, str]:
        params = {
            "iss": self.issuer,
            "login_hint": "user-1",
            "target_link_uri": target,
            "lti_message_hint": "hint-1",
            "client_id": self.client_id,
            "lti_deployment_id": self.deployment_id,
        }
        params.update(overrides)
        return {k: v for k, v in params.items() if v is not None}

    def login(self, client: Any, target: str, **overrides: Any) -> AuthRequest:
        """Initiate login through a Flask test client; return the auth request it redirects to."""
        response = client.get("/lti/login", query_string=self.login_params(target, **overrides))
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        location = response.headers["Location"]
        return AuthRequest(location, dict(parse_qsl(urlsplit(location).query)))

    def claims(self, auth: AuthRequest, target: str, **overrides: Any) -> dict[str, Any]:
        """Known-good LtiResourceLinkRequest claims answering `auth`."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.client_id,
            "sub": "user-1",
            "iat": now,
            "exp": now + 300,
            "nonce": auth.nonce,
            "name": "Grace Hopper",
            "given_name": "Grace",
            "family_name": "Hopper",
            "email": "grace@example.edu",
            CLAIM + "message_type": "LtiResourceLinkRequest",
            CLAIM + "version": "1.3.0",
            CLAIM + "deployment_id": self.deployment_id,
            CLAIM + "target_link_uri": target,
            CLAIM + "resource_link": {"id": "link-1", "title": "Module 1"},
            CLAIM + "roles": [MEMBERSHIP + "Learner"],
            CLAIM + "context": {"id": "course-1", "label": "CS101", "title": "Intro to CS"},
            CLAIM + "launch_presentation": {"document_target": "iframe", "locale": "en"},
            CLAIM + "custom": {"answer": "42"},
            "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": {
                "scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/score"],
                "lineitems": self.issuer + "/lineitems",
                "lineitem": self.issuer + "/lineitems/1",
            },
            "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice": {
                "context_memberships_url": self.issuer + "/memberships",
                "service_versions": ["2.0"],
            },
        }
        claims.update(overrides)
        return claims

    def deep_linking_claims(
        self, auth: AuthRequest, target: str, *, data: Any = None, with_data: bool = True
    ) -> dict[str, Any]:
        claims = self.claims(auth, target)
        del claims[CLAIM + "resource_link"]
        claims[CLAIM + "message_type"] = "LtiDeepLinkingRequest"
        claims[CLAIM + "roles"] = [MEMBERSHIP + "Instructor"]
        settings: dict[str, Any] = {
            "deep_link_return_url": self.issuer + "/deep_linking_return",
            "accept_types": ["ltiResourceLink"],
            "accept_presentation_document_targets": ["iframe", "window"],
            "accept_multiple": True,
        }
        if with_data:
            settings["data"] = data if data is not None else "opaque-" + uuid.uuid4().hex
        claims["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"] = settings
        return claims

    def sign(
        self,
        claims: dict[str, Any],
        *,
        kid: Any = "current",
        alg: str = "RS256",
        key: Any = None,
        headers: dict[str, Any] | None = None,
    ) -> str:
        """Sign claims; kid=None leaves the kid out; alg "none" and "HS256" forge on purpose."""
        header: dict[str, Any] = {"typ": "JWT", "alg": alg, **(headers or {})}
        if kid == "current":
            header["kid"] = self.kid
        elif kid is not None:
            header["kid"] = kid
        private = key or dict(self.keys)[self.kid]
        if alg in ("none", "HS256"):

            def b64(part: dict[str, Any]) -> bytes:
                return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=")

            signing_input = b64(header) + b"." + b64(claims)
            if alg == "none":
                return signing_input.decode() + "."
            secret = (
                dict(self.keys)[self.kid]
                .public_key()
                .public_bytes(
                    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
                )
            )
            signature = hmac.new(secret, signing_input, hashlib.sha256).digest()
            return (
                signing_input + b"." + base64.urlsafe_b64encode(signature).rstrip(b"=")
            ).decode()
        header.pop("alg")
        return jwt.encode(claims, private, algorithm=alg, headers=header)
