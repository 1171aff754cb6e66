"""OIDC third-party login initiation: find the registration, make state and nonce, send the
browser to the platform's authorization endpoint.

The state carries what the launch needs to know of its login (registration, nonce, the Platform
Storage frame), signed with SECRET_KEY and valid STATE_TTL seconds, so a login writes nothing
and any process of the installation can serve the launch. The launch makes it single-use in the
shared store (`state_used_key`). The state is bound to the browser by a cookie under HTTPS, or
by the LTI Platform Storage postMessage flow when the platform offers it (`lti_storage_target`),
so the login works without third-party cookies.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import astuple, dataclass
from urllib.parse import urlencode

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode
from itsdangerous.url_safe import URLSafeSerializerMixin

from ..config import Settings
from ..errors import LaunchError
from ..extensions import db
from . import regcache
from .models import Registration
from .urls import build_tool_urls, is_our_url, origin_of

#: Seconds a login may take before its launch arrives.
STATE_TTL = 600
STATE_COOKIE_PREFIX = "mc_state_"


@dataclass(frozen=True)
class LoginResult:
    """Where to send the browser, and what binds the state to it."""

    auth_url: str
    state: str
    nonce: str
    platform_origin: str
    storage_target: str | None


@dataclass(frozen=True)
class StateRecord:
    """What the launch needs of its login, carried in the signed state."""

    registration_id: int
    nonce: str
    platform_origin: str
    storage_target: str | None


class _StateSerializer(URLSafeTimedSerializer):
    """itsdangerous's URL-safe timed serializer without its zlib attempt on every dump: a state
    is mostly a random nonce, which does not compress, and setting up zlib cost more CPU than
    the rest of the login. Loading still accepts both forms."""

    def dump_payload(self, obj: object) -> bytes:
        return base64_encode(super(URLSafeSerializerMixin, self).dump_payload(obj))


def _state_serializer() -> URLSafeTimedSerializer:
    serializer = current_app.extensions.get("microcred.lti.state_serializer")
    if serializer is None:
        serializer = _StateSerializer(current_app.config["SECRET_KEY"], salt="microcred.lti.state")
        current_app.extensions["microcred.lti.state_serializer"] = serializer
    return serializer


def seal_state(record: StateRecord) -> str:
    """The state parameter for `record`: signed, timestamped, URL-safe."""
    return str(_state_serializer().dumps(list(astuple(record))))


def open_state(state: str) -> StateRecord:
    """The record a state carries; LaunchError LTI_STATE_UNKNOWN when it is not one of ours,
    was tampered with, or is older than STATE_TTL."""
    try:
        fields = _state_serializer().loads(state, max_age=STATE_TTL)
        return StateRecord(*fields)
    except (BadData, TypeError, ValueError):
        raise LaunchError(
            "This launch is unknown or expired. Open the activity again from your LMS.",
            code="LTI_STATE_UNKNOWN",
            status=400,
        ) from None


def _digest(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()[:32]


def state_used_key(state: str) -> str:
    """The store key that makes a state single-use (claimed by the launch that uses it)."""
    return f"lti:state-used:{_digest(state)}"


def state_cookie_name(state: str) -> str:
    return STATE_COOKIE_PREFIX + _digest(state)[:20]


def _param(params: Mapping[str, str], name: str) -> str:
    value = params.get(name, "")
    return value.strip() if isinstance(value, str) else ""


@dataclass(frozen=True)
class LoginRegistration:
    """What a login needs of a registration."""

    id: int
    client_id: str
    active: bool
    auth_login_url: str


def _login_rows(iss: str, client_id: str) -> tuple[LoginRegistration, ...] | None:
    r = Registration
    query = db.select(r.id, r.client_id, r.active, r.auth_login_url).where(r.issuer == iss)
    if client_id:
        query = query.where(r.client_id == client_id)
    rows = db.session.execute(query.limit(2)).all()
    return tuple(LoginRegistration(*row) for row in rows) or None


def find_login_registration(iss: str, client_id: str) -> LoginRegistration:
    """The registration a login names; LaunchError when unknown, ambiguous or inactive."""
    rows = regcache.cached(("login", iss, client_id), lambda: _login_rows(iss, client_id)) or ()
    if not rows:
        raise LaunchError(
            "This LMS is not registered with the tool (unknown issuer"
            + (" and client_id)." if client_id else ")."),
            code="LTI_UNKNOWN_PLATFORM",
            status=400,
        )
    if len(rows) > 1:
        raise LaunchError(
            "Several registrations share this issuer and the LMS did not say which one "
            "(no client_id in the login request). Ask the LMS administrator to send client_id.",
            code="LTI_AMBIGUOUS_CLIENT",
            status=400,
        )
    reg = rows[0]
    if not reg.active:
        raise LaunchError(
            "This LMS registration is waiting for approval by the tool's administrator.",
            code="LTI_REGISTRATION_INACTIVE",
            status=403,
        )
    return reg


def _recent_registration(iss: str, client_id: str) -> LoginRegistration | None:
    """The registration from this process's recent lookups (PROCESS_TTL), when it was the only
    one and active; None sends the caller to the checked lookup. A login only picks where to
    send the browser: its launch is validated against current registrations."""
    hit = regcache.peek(("login", iss, client_id))
    rows = hit[1] if hit is not None else None
    if not rows or len(rows) != 1 or not rows[0].active:
        return None  # refusals are always decided on fresh data
    return rows[0]


def begin_login(params: Mapping[str, str], settings: Settings) -> LoginResult:
    """Validate a login initiation and seal its state; LaunchError with a stable code if bad."""
    iss = _param(params, "iss")
    login_hint = _param(params, "login_hint")
    target = _param(params, "target_link_uri")
    missing = [
        n
        for n, v in (("iss", iss), ("login_hint", login_hint), ("target_link_uri", target))
        if not v
    ]
    if missing:
        raise LaunchError(
            f"The login request from the LMS lacks {', '.join(missing)}.",
            code="LTI_LOGIN_MISSING_PARAM",
            status=400,
        )
    if not is_our_url(target, settings.public_url):
        raise LaunchError(
            "The LMS asked to open an address that is not this tool.",
            code="LTI_BAD_TARGET",
            status=400,
        )
    client_id = _param(params, "client_id")
    nonce = secrets.token_urlsafe(32)
    storage_target = _param(params, "lti_storage_target") or None
    reg = _recent_registration(iss, client_id) or find_login_registration(iss, client_id)
    origin = origin_of(reg.auth_login_url) or ""
    state = seal_state(StateRecord(reg.id, nonce, origin, storage_target))
    query = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": reg.client_id,
        "redirect_uri": build_tool_urls(settings.public_url).launch,
        "login_hint": login_hint,
        "state": state,
        "nonce": nonce,
    }
    hint = _param(params, "lti_message_hint")
    if hint:
        query["lti_message_hint"] = hint
    sep = "&" if "?" in reg.auth_login_url else "?"
    return LoginResult(
        auth_url=reg.auth_login_url + sep + urlencode(query),
        state=state,
        nonce=nonce,
        platform_origin=origin,
        storage_target=storage_target,
    )
