"""OIDC third-party login initiation: find the registration, make state and nonce, send the
browser to the platform's authorization endpoint.

State and nonce live in the shared store (any process may serve the launch). The state is bound
to the browser by a cookie under HTTPS, or by the LTI Platform Storage postMessage flow when the
platform offers it (`lti_storage_target`), so the login works without third-party cookies.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from ..config import Settings
from ..errors import LaunchError
from ..extensions import db
from ..store import Batch, Store
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
    """What the login left in the store for the launch."""

    registration_id: int
    client_id: str
    nonce: str
    target_link_uri: str
    platform_origin: str
    storage_target: str | None

    def to_json(self) -> str:
        return json.dumps(
            [
                self.registration_id,
                self.client_id,
                self.nonce,
                self.target_link_uri,
                self.platform_origin,
                self.storage_target,
            ]
        )

    @classmethod
    def from_json(cls, raw: str) -> StateRecord:
        return cls(*json.loads(raw))


def state_key(state: str) -> str:
    return f"lti:state:{state}"


def state_cookie_name(state: str) -> str:
    return STATE_COOKIE_PREFIX + state


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


def _speculative_login(
    iss: str,
    client_id: str,
    state: str,
    record_for: Callable[[LoginRegistration], StateRecord],
    store: Store,
) -> LoginRegistration | None:
    """The registration from this process's cache, with the state written and the registry
    generation read in one store round trip; None (and no state left) unless the cached entry
    was still current and usable, so the caller then does the checked lookup."""
    if regcache.known():
        return None
    hit = regcache.peek(("login", iss, client_id))
    rows = hit[1] if hit is not None else None
    if not rows or len(rows) != 1 or not rows[0].active:
        return None  # refusals are always decided on fresh data
    reg: LoginRegistration = rows[0]
    key = state_key(state)
    batch = Batch()
    batch.set(key, record_for(reg).to_json(), STATE_TTL)
    generation = batch.get(regcache.GENERATION_KEY)
    store.run(batch)
    current = generation.value
    regcache.prime(current)
    if (current or "0") == hit[0]:  # type: ignore[index]
        return reg
    store.delete(key)  # registrations changed meanwhile: nobody has seen this state yet
    return None


def begin_login(params: Mapping[str, str], settings: Settings, store: Store) -> LoginResult:
    """Validate a login initiation and record its state; LaunchError with a stable code if bad."""
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
    state = secrets.token_urlsafe(32)
    nonce = secrets.token_urlsafe(32)
    storage_target = _param(params, "lti_storage_target") or None

    def record_for(reg: LoginRegistration) -> StateRecord:
        origin = origin_of(reg.auth_login_url) or ""
        return StateRecord(reg.id, reg.client_id, nonce, target, origin, storage_target)

    reg = _speculative_login(iss, client_id, state, record_for, store)
    if reg is None:
        reg = find_login_registration(iss, client_id)
        store.set(state_key(state), record_for(reg).to_json(), STATE_TTL)
    platform_origin = origin_of(reg.auth_login_url) or ""

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
        platform_origin=platform_origin,
        storage_target=storage_target,
    )
