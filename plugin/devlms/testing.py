"""Test helpers for the dev LMS: drive it like a browser, and forge id_tokens with its own key.

For the tool's tests (the dev LMS runs in the test process, so its key is at hand)::

    port = free_port()
    lms_app = create_devlms_app({"DEVLMS_PUBLIC_URL": f"http://127.0.0.1:{port}",
                                 "DEVLMS_DATABASE": str(tmp_path / "lms.sqlite3"),
                                 "DEVLMS_TOOL_URL": tool_url})
    start_server(lms_app, port=port, public_host="127.0.0.1")
    lms = DevLmsClient.for_app(lms_app)
    placement = lms.add_placement("Quiz 1", f"{tool_url}/lti/launch?course=c&module=m")
    browser = browser_session()
    auth = lms.start_tool_login(lms.login_initiation(placement.id, "grace"), browser)
    lms.authorize(auth).submit(browser)              # a real launch, as the browser posts it
    bad = lms.claims_for(auth); del bad["sub"]
    lms.forge(auth, bad).submit(browser)             # a known-bad one
    lms.forge(auth, lms.claims_for(auth), alg="none").submit(browser)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import ipaddress
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from flask import Flask

from . import add_placement as _add_placement
from . import get_devlms
from .data import Placement, get_context, get_placement, get_tool, get_user
from .deeplinking import new_deep_link_request
from .keys import current_signing_key
from .oidc import launch_claims
from .runtime import DevLms

CURRENT_KID: Any = object()  # sentinel: the kid of the dev LMS's current key
_HMAC = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}


class DevLmsRefused(Exception):
    """The dev LMS answered a browser step with an error page (status and stable code)."""

    def __init__(self, response: requests.Response) -> None:
        self.status = response.status_code
        self.code = response.headers.get("X-Devlms-Error", "")
        super().__init__(f"dev LMS refused {response.url}: HTTP {self.status} {self.code}")


@dataclass(frozen=True)
class FormPost:
    """A form the browser would submit: where, how, which fields."""

    action: str
    fields: dict[str, str]
    method: str = "post"

    def submit(self, session: requests.Session, **kwargs: Any) -> requests.Response:
        """Send it like the browser (no redirects followed unless asked)."""
        kwargs.setdefault("allow_redirects", False)
        kwargs.setdefault("timeout", 30)
        if self.method.lower() == "get":
            joiner = "&" if "?" in self.action else "?"
            return session.get(f"{self.action}{joiner}{urlencode(self.fields)}", **kwargs)
        return session.post(self.action, data=self.fields, **kwargs)


@dataclass(frozen=True)
class AuthRequest:
    """The tool's OIDC authentication request, as it reached the platform's /auth."""

    url: str
    params: dict[str, str]

    @classmethod
    def from_url(cls, url: str) -> AuthRequest:
        """Parse an auth request URL (e.g. a tool's 302 Location)."""
        return cls(url, dict(parse_qsl(urlsplit(url).query, keep_blank_values=True)))

    @property
    def state(self) -> str | None:
        return self.params.get("state")

    @property
    def nonce(self) -> str | None:
        return self.params.get("nonce")

    @property
    def redirect_uri(self) -> str:
        return self.params.get("redirect_uri", "")


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[dict[str, str], dict[str, str]]] = []
        self._open = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append((values, {}))
            self._open = True
        elif tag == "input" and self._open and values.get("name"):
            self.forms[-1][1][values["name"]] = values.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = False


def parse_form(page: str, base_url: str) -> FormPost | None:
    """The first form of an HTML page (e.g. an auto-submit page), or None."""
    parser = _Forms()
    parser.feed(page)
    if not parser.forms:
        return None
    attrs, fields = parser.forms[0]
    return FormPost(
        urljoin(base_url, attrs.get("action") or base_url),
        fields,
        (attrs.get("method") or "get").lower(),
    )


class _LoopbackJar(requests.cookies.RequestsCookieJar):
    """Browsers send Secure cookies to http://localhost and 127.0.0.1; http.cookiejar does not,
    so the Secure flag is cleared for loopback hosts when a cookie is stored."""

    def set_cookie(self, cookie: Any, *args: Any, **kwargs: Any) -> None:
        host = (cookie.domain or "").lstrip(".").removesuffix(".local")
        try:
            loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if cookie.secure and loopback:
            cookie.secure = False
        super().set_cookie(cookie, *args, **kwargs)


def browser_session() -> requests.Session:
    """A requests session with a cookie jar that behaves like a browser on loopback."""
    session = requests.Session()
    session.cookies = _LoopbackJar()
    session.headers["User-Agent"] = "microcred-devlms-testing/0.1 (browser stand-in)"
    return session


def sign_id_token(
    app: Flask | DevLms,
    claims: Mapping[str, Any],
    *,
    alg: str = "RS256",
    kid: Any = CURRENT_KID,
    key: Any = None,
    headers: Mapping[str, Any] | None = None,
) -> str:
    """Sign arbitrary claims as the dev LMS would, or deliberately wrong.

    `kid=None` leaves the kid out, a string sets any kid; `key` signs with another private key
    (RS*) or secret (HS*); `alg="none"` gives an unsigned token; `alg="HS256"` without `key`
    uses the platform's public key PEM as the HMAC secret (the classic confusion attack).
    """
    devlms = app if isinstance(app, DevLms) else get_devlms(app)
    current = current_signing_key(devlms.store)
    header: dict[str, Any] = {"typ": "JWT", "alg": alg, **(headers or {})}
    if kid is CURRENT_KID:
        header["kid"] = current.kid
    elif kid is not None:
        header["kid"] = kid
    if alg == "none" or alg in _HMAC:
        segments = [
            base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=")
            for part in (header, dict(claims))
        ]
        signing_input = b".".join(segments)
        if alg == "none":
            return signing_input.decode() + "."
        secret = (
            key
            if key is not None
            else current.private_key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        secret = secret.encode() if isinstance(secret, str) else secret
        signature = hmac.new(secret, signing_input, _HMAC[alg]).digest()
        return (signing_input + b"." + base64.urlsafe_b64encode(signature).rstrip(b"=")).decode()
    header.pop("alg")
    return jwt.encode(
        dict(claims), key if key is not None else current.private_key, algorithm=alg, headers=header
    )


_JS_LOCATION = re.compile(r"""location(?:\.href)?\s*=\s*["']([^"']+)["']""")
_META_REFRESH = re.compile(r"""http-equiv=["']?refresh["']?[^>]*url=([^"'>]+)""", re.I)
_PYLTI_PARAMS = re.compile(r"var\s+urlParams\s*=\s*(\{.*?\});", re.S)


def _unamp(url: str) -> str:
    # Not html.unescape: it would turn "&lti_message_hint" into "<i_message_hint".
    return url.replace("&amp;", "&")


class DevLmsClient:
    """Talk to a running dev LMS: browser steps over HTTP, and (with `devlms`) forging."""

    def __init__(
        self, base_url: str, app: Flask | None = None, session: requests.Session | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.app = app
        self.devlms = get_devlms(app) if app is not None else None
        self.http = session or requests.Session()

    @classmethod
    def for_app(cls, app: Flask) -> DevLmsClient:
        """A client for an in-process dev LMS app (served at its DEVLMS_PUBLIC_URL)."""
        return cls(get_devlms(app).settings.public_url, app)

    def _state(self) -> DevLms:
        if self.devlms is None:
            raise RuntimeError("this needs the dev LMS in-process: use DevLmsClient.for_app(app)")
        return self.devlms

    # -- platform state --------------------------------------------------------------------

    def get_json(self, path: str) -> Any:
        """GET a JSON endpoint of the dev LMS."""
        response = self.http.get(self.base_url + path, timeout=30)
        response.raise_for_status()
        return response.json()

    def placements(self) -> list[dict[str, Any]]:
        """Placements of the course (P/_dev/placements)."""
        return list(self.get_json("/_dev/placements"))

    def add_placement(self, title: str, url: str, **kwargs: Any) -> Placement:
        """Place an activity (in-process only); see plugin.devlms.add_placement."""
        if self.app is None:
            raise RuntimeError("add_placement needs the dev LMS in-process (DevLmsClient.for_app)")
        return _add_placement(self.app, title, url, **kwargs)

    def stats(self) -> dict[str, Any]:
        """P/_dev/stats."""
        return dict(self.get_json("/_dev/stats"))

    def gradebook(self) -> dict[str, Any]:
        """P/gradebook?format=json."""
        return dict(self.get_json("/gradebook?format=json"))

    def set_fault(
        self,
        endpoint: str,
        mode: str = "error500",
        *,
        retry_after: int | None = None,
        count: int | None = None,
        delay_ms: int = 0,
    ) -> dict[str, Any]:
        """Make `endpoint` (scores, token, lineitems, results, memberships) misbehave."""
        response = self.http.post(
            self.base_url + "/_dev/faults",
            timeout=30,
            json={
                "endpoint": endpoint,
                "mode": mode,
                "retry_after": retry_after,
                "count": count,
                "delay_ms": delay_ms,
            },
        )
        response.raise_for_status()
        return dict(response.json())

    def reset(self, scope: str = "runtime") -> None:
        """Clear faults and counters ("all": also data, re-seeded from config)."""
        self.http.post(
            self.base_url + "/_dev/reset", json={"scope": scope}, timeout=30
        ).raise_for_status()

    def rotate_keys(self) -> str:
        """Rotate the platform signing key; return the new kid."""
        response = self.http.post(self.base_url + "/_dev/rotate_keys", timeout=30)
        response.raise_for_status()
        return str(response.json()["kid"])

    # -- browser steps ---------------------------------------------------------------------

    def login_initiation(
        self,
        placement_id: str | None = None,
        user: str = "grace",
        *,
        client_id: str | None = None,
        target: str = "iframe",
    ) -> FormPost:
        """What the course page's iframe sends to the tool's login URL: a resource link launch
        of `placement_id`, or a deep linking request when it is None (`user` an instructor)."""
        if placement_id is None:
            query = {"as": user, **({"client_id": client_id} if client_id else {})}
            url = f"{self.base_url}/deeplink/initiate?{urlencode(query)}"
        else:
            url = (
                f"{self.base_url}/launch/{placement_id}/initiate?"
                f"{urlencode({'as': user, 'target': target})}"
            )
        response = self.http.get(url, allow_redirects=False, timeout=30)
        if response.status_code in (301, 302, 303, 307):
            location = response.headers["Location"]
            parts = urlsplit(location)
            return FormPost(location.split("?")[0], dict(parse_qsl(parts.query)), "get")
        if response.status_code != 200:
            raise DevLmsRefused(response)
        form = parse_form(response.text, response.url)
        assert form is not None, "the initiation page has no form"
        return form

    def _auth_from(self, response: requests.Response) -> AuthRequest | tuple[str, str, Any]:
        auth_url = self.base_url + "/auth"
        if response.is_redirect:
            location = urljoin(response.url, response.headers["Location"])
            return (
                AuthRequest.from_url(location)
                if location.startswith(auth_url)
                else ("get", location, None)
            )
        form = parse_form(response.text, response.url)
        if form is not None:
            if form.action.startswith(auth_url):
                return AuthRequest(form.action, dict(form.fields))
            return (form.method, form.action, form.fields)
        text = response.text.replace("\\/", "/").replace("\\u0026", "&")
        found = re.search(re.escape(auth_url) + r"\?[^\"'<>\s]+", text)
        if found:
            return AuthRequest.from_url(_unamp(found.group(0)))
        pylti = _PYLTI_PARAMS.search(response.text)
        if pylti:  # pylti1p3's cookie check page reloads itself with these parameters added
            params = {k: html.unescape(v) for k, v in json.loads(pylti.group(1)).items()}
            joiner = "&" if urlsplit(response.url).query else "?"
            return ("get", f"{response.url}{joiner}{urlencode(params)}", None)
        moved = _JS_LOCATION.search(response.text) or _META_REFRESH.search(response.text)
        if moved:
            return ("get", urljoin(response.url, _unamp(moved.group(1))), None)
        raise AssertionError(
            f"the tool's login answer leads nowhere: HTTP "
            f"{response.status_code} {response.text[:300]}"
        )

    def start_tool_login(
        self, initiation: FormPost, session: requests.Session, max_hops: int = 6
    ) -> AuthRequest:
        """Send the initiation to the tool and follow its answer (302, form, JS or meta redirect,
        pylti1p3's cookie check) until it reaches this platform's /auth; return that request."""
        response = initiation.submit(session)
        for _ in range(max_hops):
            step = self._auth_from(response)
            if isinstance(step, AuthRequest):
                return step
            method, url, fields = step
            response = FormPost(url, fields or {}, method).submit(session)
        raise AssertionError("too many hops before the tool sent its auth request")

    def authorize(self, auth: AuthRequest, session: requests.Session | None = None) -> FormPost:
        """Send the auth request to P/auth; return the id_token form_post (DevLmsRefused on
        an error page)."""
        response = (session or self.http).post(
            self.base_url + "/auth", data=auth.params, allow_redirects=False, timeout=30
        )
        if response.status_code != 200:
            raise DevLmsRefused(response)
        form = parse_form(response.text, response.url)
        assert form is not None and "id_token" in form.fields
        return form

    def launch(
        self, placement_id: str, user: str = "grace", session: requests.Session | None = None
    ) -> tuple[requests.Session, FormPost]:
        """Initiation, tool login and P/auth for one launch; returns the browser session and
        the id_token form_post, ready to `submit` to the tool."""
        browser = session or browser_session()
        auth = self.start_tool_login(self.login_initiation(placement_id, user), browser)
        return browser, self.authorize(auth, browser)

    # -- forging (in-process only) ---------------------------------------------------------

    def claims_for(self, auth: AuthRequest) -> dict[str, Any]:
        """The claims P/auth would sign for this auth request (a known-good starting point;
        a deep linking request gets a fresh, open `data`)."""
        devlms = self._state()
        row = devlms.store.query_one(
            "SELECT * FROM message_hints WHERE hint = ?", (auth.params.get("lti_message_hint", ""),)
        )
        if row is None:
            raise ValueError("the auth request carries no lti_message_hint this platform issued")
        tool = get_tool(devlms.store, row["client_id"])
        user = get_user(devlms.store, row["user_handle"])
        context = get_context(devlms.store, row["context_id"])
        assert tool is not None and user is not None and context is not None
        placement = (
            get_placement(devlms.store, row["placement_id"]) if row["placement_id"] else None
        )
        data = None if placement else new_deep_link_request(devlms, tool, user, context)
        return launch_claims(
            devlms,
            tool=tool,
            user=user,
            context=context,
            placement=placement,
            nonce=auth.nonce or "",
            document_target=row["document_target"],
            deep_link_data=data,
        )

    def forge(self, auth: AuthRequest, claims: Mapping[str, Any], **sign: Any) -> FormPost:
        """The form_post of a hand-made id_token (see `sign_id_token` for the options) to the
        auth request's redirect_uri, with its state."""
        fields = {"id_token": sign_id_token(self._state(), claims, **sign)}
        if auth.state is not None:
            fields["state"] = auth.state
        return FormPost(auth.redirect_uri, fields)
