"""The LTI blueprint: login, launch, JWKS, the landing page, deep linking, registration."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for

from .. import signals
from ..access import public
from ..errors import LaunchError, ValidationError
from ..extensions import csrf, db
from ..store import Batch
from ..web import get_store, settings
from . import deeplink as dl
from . import recordcache, records, regcache
from .context import DEEP_LINKING_REQUEST, build_launch_context
from .dynreg import register_with_platform
from .firstpage import render_in_place
from .launch import ValidatedLaunch, decode_unverified, nonce_claim, validate_launch
from .login import (
    STATE_TTL,
    StateRecord,
    begin_login,
    open_state,
    state_cookie_name,
    state_used_key,
)
from .registry import deep_link_items, resolve_launch_target
from .services import jwks as tool_jwks
from .session import (
    PARAM,
    current_launch,
    require_launch,
    save_launch,
    set_session_cookie,
)

bp = Blueprint("lti", __name__, url_prefix="/lti")


def _with_token(url: str, token: str) -> str:
    parts = urlsplit(url)
    query = f"{parts.query}&" if parts.query else ""
    return urlunsplit(parts._replace(query=query + urlencode({PARAM: token})))


def _set_state_cookie(response: Response, state: str) -> None:
    # Under HTTPS only: browsers drop SameSite=None cookies without Secure, and a Lax cookie
    # never comes back on the LMS's cross-site form_post. Plain-http loopback (dev, tests)
    # binds the state through Platform Storage when offered, else by the state alone.
    if settings().is_https:
        response.set_cookie(
            state_cookie_name(state),
            state,
            max_age=STATE_TTL,
            secure=True,
            httponly=True,
            samesite="None",
            partitioned=True,
            path="/lti/",
        )


def _state_cookie_matches(state: str) -> bool:
    return request.cookies.get(state_cookie_name(state)) == state


@bp.route("/login", methods=["GET", "POST"])
@csrf.exempt
@public("LTI OIDC login initiation from the platform")
def login() -> Any:
    """OIDC login initiation from the platform (GET or POST)."""
    result = begin_login(request.values, settings())
    if result.storage_target:
        response = Response(
            render_template(
                "lti/storage.html",
                mode="login",
                title="Opening the activity…",
                config={
                    "mode": "login",
                    "origin": result.platform_origin,
                    "target": result.storage_target,
                    "state": result.state,
                    "nonce": result.nonce,
                    "auth_url": result.auth_url,
                },
                auth_url=result.auth_url,
            )
        )
    else:
        response = redirect(result.auth_url, 302)  # type: ignore[assignment]
    _set_state_cookie(response, result.state)
    return response


def _launch_form() -> tuple[str, str]:
    if request.form.get("error"):
        reason = request.form.get("error_description") or request.form["error"]
        raise LaunchError(
            f"The LMS refused the sign-in: {reason[:200]}", code="LTI_PLATFORM_ERROR", status=400
        )
    state = request.form.get("state", "")
    if not state:
        raise LaunchError("The launch has no state.", code="LTI_STATE_UNKNOWN", status=400)
    if not request.form.get("id_token"):
        raise LaunchError("The launch has no id_token.", code="LTI_BAD_MESSAGE", status=400)
    return state, request.form["id_token"]


@bp.post("/launch")
@csrf.exempt
@public("LTI launch: the platform signed id_token is the credential")
def launch() -> Any:
    """The redirect URI: the platform form-posts id_token and state here."""
    state, id_token = _launch_form()
    record = open_state(state)
    if not _state_cookie_matches(state):
        if record.storage_target:
            # Cookie-less: read state and nonce back from Platform Storage, then finish
            # (launch_finish uses the state up; nothing is spent here).
            return render_template(
                "lti/storage.html",
                mode="launch",
                title="Opening the activity…",
                config={
                    "mode": "launch",
                    "origin": record.platform_origin,
                    "target": record.storage_target,
                    "state": state,
                    "nonce": record.nonce,
                },
                id_token=id_token,
                state=state,
            )
        if settings().is_https:
            raise LaunchError(
                "This launch did not start in this browser. Open the activity again from your LMS.",
                code="LTI_STATE_MISMATCH",
                status=403,
            )
    return _use_state(state, record, id_token)


def _use_state(state: str, record: StateRecord, id_token: str) -> Response:
    """Spend the state, validate the id_token against it and complete the launch.

    One store round trip: the state is claimed (single use), the registry generation that
    validation needs is read, the token's nonce is claimed for this state, and the entries of
    the records it names are read."""
    jwt = decode_unverified(id_token)
    batch = Batch()
    ours = secrets.token_hex(8)
    used = batch.claim(state_used_key(state), ours, STATE_TTL)
    generation = batch.get(regcache.GENERATION_KEY)
    claim = nonce_claim(jwt, state, settings().jwt_leeway_seconds)
    holder = batch.claim(*claim) if claim is not None else None
    lookup = recordcache.look_up(batch, jwt["body"] if jwt else None)
    get_store().run(batch)
    regcache.prime(generation.value)
    if used.value != ours:
        raise LaunchError(
            "This launch was already used. Open the activity again from your LMS.",
            code="LTI_STATE_UNKNOWN",
            status=400,
        )
    valid = validate_launch(
        request.form,
        record,
        settings(),
        get_store(),
        jwt=jwt,
        nonce_holder=holder.value if holder is not None else None,
    )
    return _complete(valid, state, lookup)


@bp.post("/launch/finish")
@csrf.exempt
@public("LTI launch completion, checked by state and nonce")
def launch_finish() -> Any:
    """Second step of a cookie-less launch: the page posts what Platform Storage held."""
    state, id_token = _launch_form()
    record = open_state(state)
    stored_state = request.form.get("lti_storage_state", "")
    stored_nonce = request.form.get("lti_storage_nonce", "")
    if stored_state or stored_nonce:
        bound = secrets.compare_digest(stored_state, state) and secrets.compare_digest(
            stored_nonce, record.nonce
        )
    else:
        bound = _state_cookie_matches(state) or not settings().is_https
    if not bound:
        raise LaunchError(
            "This launch did not start in this browser. Open the activity again from your LMS.",
            code="LTI_STATE_MISMATCH",
            status=403,
        )
    return _use_state(state, record, id_token)


def _complete(
    valid: ValidatedLaunch, state: str, lookup: recordcache.Lookup | None = None
) -> Response:
    """Record the launch, start the tool's own session and answer with the first page."""
    if valid.deployment_status != "active":
        db.session.commit()  # keep the newly seen deployment for the administrator
        if valid.deployment_status == "pending":
            raise LaunchError(
                "This course's connection to the tool is waiting for approval by the tool's "
                "administrator. Try again once it is approved.",
                code="LTI_DEPLOYMENT_PENDING",
                status=403,
            )
        raise LaunchError(
            "This LMS deployment has been disabled by the tool's administrator.",
            code="LTI_DEPLOYMENT_DISABLED",
            status=403,
        )
    claims = valid.claims
    save = Batch()
    known = recordcache.match(
        lookup, claims, valid.registration_id, valid.deployment_pk, regcache.generation()
    )
    if known is not None and known.ids is not None:
        learner_id, context_pk, link_pk = known.ids  # written by an earlier, identical launch
    else:
        learner_id, context_pk, link_pk = records.upsert_launch_records(
            claims, valid.registration_id, valid.deployment_pk
        )
        db.session.commit()
        if known is not None:
            recordcache.remember(save, known, (learner_id, context_pk, link_pk))
    ctx = build_launch_context(
        claims,
        launch_id=secrets.token_urlsafe(18),
        registration_id=valid.registration_id,
        client_id=valid.client_id,
        deployment_pk=valid.deployment_pk,
        learner_id=learner_id,
        context_pk=context_pk,
        resource_link_pk=link_pk,
        issued_at=int(time.time()),
    )
    token = save_launch(ctx, save)
    # `claims` (the validated id_token) spares receivers decoding the token again.
    signals.launch_completed.send(
        current_app._get_current_object(),  # type: ignore[attr-defined]
        context=ctx,
        claims=claims,
    )
    if ctx.message_type == DEEP_LINKING_REQUEST:
        target = url_for("lti.deeplink")
    else:
        target = resolve_launch_target(ctx)
    location = _with_token(target, token)
    # The first page itself, in this answer (a reload asks for `location` by GET); a redirect
    # to it when it is not a page of this app.
    response = render_in_place(location) or redirect(location, 303)
    set_session_cookie(response, token)  # type: ignore[arg-type]
    if settings().is_https:
        response.delete_cookie(
            state_cookie_name(state),
            path="/lti/",
            secure=True,
            httponly=True,
            samesite="None",
            partitioned=True,
        )
    return response  # type: ignore[return-value]


@bp.get("/jwks")
@public("the tool public keys platforms fetch")
def jwks() -> Response:
    """The tool's public keys (current and still-published retired ones)."""
    response = Response(json.dumps(tool_jwks()), mimetype="application/json")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/home")
@require_launch()
def home() -> str:
    """Placeholder landing page: who you are, your roles and the course."""
    return render_template("lti/home.html", ctx=current_launch(), title="microcred")


def _items(ctx: Any) -> list[dl.DeepLinkItem]:
    return deep_link_items(ctx, lambda c: dl.sample_items(settings().public_url))


@bp.route("/deeplink", methods=["GET", "POST"])
@require_launch(roles=("instructor", "admin"))
def deeplink() -> str:
    """GET: the picker of placeable items. POST: answer the platform with a signed
    LtiDeepLinkingResponse, auto-posted as the form field JWT to deep_link_return_url."""
    ctx = current_launch()
    if ctx.deep_linking is None:
        raise LaunchError(
            "This page was not opened for placing activities.",
            code="LTI_NOT_DEEP_LINKING",
            status=400,
        )
    if request.method == "GET":
        return render_template(
            "lti/deeplink.html", ctx=ctx, items=_items(ctx), title="Place an activity"
        )
    chosen = set(request.form.getlist("item"))
    items = [item for item in _items(ctx) if item.id in chosen]
    msg = (
        f"{len(items)} microcred activit{'y' if len(items) == 1 else 'ies'} placed."
        if items
        else "No activity was placed."
    )
    token = dl.response_jwt(ctx, items, msg)
    return render_template(
        "lti/deeplink_return.html",
        return_url=ctx.deep_linking.return_url,
        jwt=token,
        items=items,
        title="Returning to your LMS",
    )


@bp.get("/register")
@public("LTI dynamic registration opened from the LMS with its token")
def register() -> str:
    """Dynamic Registration: the platform opens this with openid_configuration (+ token)."""
    config_url = request.args.get("openid_configuration", "")
    if not config_url:
        raise ValidationError(
            "Open this address from your LMS's dynamic registration page: it adds the "
            "openid_configuration parameter.",
            code="LTI_DR_NO_CONFIG",
        )
    reg = register_with_platform(config_url, request.args.get("registration_token"), settings())
    db.session.commit()
    return render_template("lti/registered.html", reg=reg, title="microcred is registered")
