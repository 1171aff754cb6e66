"""The tool's own short session after a launch, so the visit needs no third-party cookie.

A launch stores its `LaunchContext` in the shared store under a launch id; the browser carries a
signed token naming that id (HMAC with SECRET_KEY, valid SESSION_MINUTES) in links and forms as
`mc_session`, or in an `Authorization: Bearer` header. Under HTTPS the token is also set as a
`Secure; SameSite=None; Partitioned` cookie, which is only trusted for safe (GET/HEAD) requests:
a state-changing request must show the token itself, which makes it CSRF-proof too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, TypeVar

from flask import Response, current_app, g, request, url_for
from itsdangerous import BadSignature, TimestampSigner
from markupsafe import Markup, escape

from ..access import declare
from ..errors import AccessDenied, NotSignedIn
from ..extensions import csrf
from ..ops import LAUNCH_OK_COUNTER
from ..store import Batch
from ..web import get_store, settings
from . import regcache
from .context import LaunchContext

F = TypeVar("F", bound=Callable[..., Any])

PARAM = "mc_session"
COOKIE = "mc_session"
ROLE_CHECKS = {
    "instructor": lambda ctx: ctx.is_instructor,
    "learner": lambda ctx: ctx.is_learner,
    "admin": lambda ctx: ctx.is_admin,
}
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


def launch_key(launch_id: str) -> str:
    return f"lti:launch:{launch_id}"


def _signer() -> TimestampSigner:
    signer = current_app.extensions.get("microcred.lti.signer")
    if signer is None:
        signer = TimestampSigner(
            current_app.config["SECRET_KEY"], salt="mc-session", digest_method=hashlib.sha256
        )
        current_app.extensions["microcred.lti.signer"] = signer
    return signer


def session_ttl() -> int:
    return int(settings().session_minutes) * 60


def save_launch(ctx: LaunchContext, batch: Batch | None = None) -> str:
    """Keep `ctx` in the shared store for the session's life; return its session token.
    Whatever else `batch` holds goes in the same round trip, and so does the operations
    feature's launch counter when it is on (the request is then marked counted)."""
    batch = batch or Batch()
    batch.set(launch_key(ctx.launch_id), ctx.to_json(), session_ttl())
    counter = current_app.extensions.get(LAUNCH_OK_COUNTER)
    if counter is not None:
        batch.incr(*counter)
    get_store().run(batch)
    if counter is not None:
        g.launch_counted = True
    token = _signer().sign(ctx.launch_id).decode()
    g.lti_launch, g.lti_token = ctx, token
    return token


def set_session_cookie(response: Response, token: str) -> None:
    """Under HTTPS, also set the token as a partitioned cross-site cookie."""
    if settings().is_https:
        response.set_cookie(
            COOKIE,
            token,
            max_age=session_ttl(),
            secure=True,
            httponly=True,
            samesite="None",
            partitioned=True,
            path="/",
        )


def _incoming_token() -> str | None:
    token = request.args.get(PARAM) or (request.form.get(PARAM) if request.form else None)
    if not token:
        auth = request.headers.get("Authorization", "")
        if auth[:7].lower() == "bearer ":
            token = auth[7:].strip()
    if not token and request.method in _SAFE:
        token = request.cookies.get(COOKIE)
    return token or None


def get_launch() -> LaunchContext | None:
    """The launch of this request's session, or None when there is no valid session."""
    if "lti_launch" in g:
        return g.lti_launch
    ctx: LaunchContext | None = None
    token = _incoming_token()
    # Settled before the store is asked: when the store is down, the error page this request
    # ends on must not ask again (and fail again) while rendering.
    g.lti_launch, g.lti_token = None, None
    if token:
        try:
            launch_id = _signer().unsign(token, max_age=session_ttl()).decode()
        except BadSignature:
            launch_id = None
        raw = None
        if launch_id:
            # The registry generation comes along: the page's CSP (frame_ancestors) needs it.
            batch = Batch()
            saved, generation = batch.get(launch_key(launch_id)), batch.get(regcache.GENERATION_KEY)
            get_store().run(batch)
            raw = saved.value
            regcache.prime(generation.value)
        if raw is not None:
            ctx = LaunchContext.from_json(raw)
    g.lti_launch, g.lti_token = ctx, token if ctx else None
    return ctx


def current_launch() -> LaunchContext:
    """The launch of this request; NotSignedIn (401) when the session is missing or over."""
    ctx = get_launch()
    if ctx is None:
        raise NotSignedIn(
            "Your session has ended or the page was opened without one. "
            "Open the activity again from your LMS."
        )
    return ctx


def session_token() -> str | None:
    """The token of this request's session (to carry in links, forms and API calls)."""
    return g.lti_token if get_launch() is not None else None


def require_launch(roles: Iterable[str] | str | None = None) -> Callable[[F], F]:
    """Guard a view: a valid launch session, and (when given) one of `roles`.

    Roles are "instructor", "learner" and "admin", e.g. `@require_launch(roles=("instructor",))`.
    The view is exempt from Flask-WTF's cookie-based CSRF check: a state-changing request must
    carry the session token itself (form field or header, never the cookie alone), which an
    attacker's page cannot know, and LMS iframes often have no cookie to check against.
    """
    wanted = (roles,) if isinstance(roles, str) else tuple(roles or ())
    unknown = [r for r in wanted if r not in ROLE_CHECKS]
    if unknown:
        raise ValueError(f"unknown role names {unknown}; use {sorted(ROLE_CHECKS)}")

    def decorate(fn: F) -> F:
        @wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            ctx = current_launch()
            if wanted and not any(ROLE_CHECKS[r](ctx) for r in wanted):
                raise AccessDenied("This page is for " + " or ".join(wanted) + "s of the course.")
            return fn(*args, **kwargs)

        who = " or ".join(wanted) if wanted else "any role"
        return csrf.exempt(declare(wrapper, f"LTI launch session: {who}"))

    return decorate


def lti_url_for(endpoint: str, **values: Any) -> str:
    """`url_for` that carries this request's session token (when there is one)."""
    token = session_token()
    if token and PARAM not in values:
        values[PARAM] = token
    return url_for(endpoint, **values)


def session_field() -> Markup:
    """A hidden form field carrying the session token; put it in every form of a launched page."""
    token = session_token() or ""
    return Markup('<input type="hidden" name="%s" value="%s">') % (PARAM, escape(token))


def new_window_url() -> str:
    """This page's URL with the session token, for "Open in a new window"."""
    token = session_token()
    args = request.args.to_dict()
    if token:
        args[PARAM] = token
    if request.endpoint is None or request.method != "GET":
        home: dict[str, Any] = {PARAM: token} if token else {}
        return url_for("lti.home", **home)
    values: dict[str, Any] = {**(request.view_args or {}), **args}
    return url_for(request.endpoint, **values)
