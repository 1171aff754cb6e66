"""Sign-in for the admin area with Flask's session cookie, role guards and sign-in rate limits.

Admin pages are first-party (never in an LMS iframe), so the ordinary SameSite=Lax session cookie
works. The session holds the account id, a fingerprint of its password hash (a password change
ends every other session) and the sign-in time (sessions end after SESSION_HOURS).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import current_app, g, redirect, request, session, url_for

from ..access import declare
from ..errors import AccessDenied
from ..web import get_store
from .models import AdminUser
from .services import get_admin, normalize_username

F = TypeVar("F", bound=Callable[..., Any])

SESSION_HOURS = 8
MAX_FAILURES = 5
FAILURE_WINDOW_SECONDS = 15 * 60

_UID, _FP, _AT = "admin_uid", "admin_fp", "admin_at"


def _fingerprint(user: AdminUser) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, user.password_hash.encode(), hashlib.sha256).hexdigest()[:32]


def sign_in(user: AdminUser) -> None:
    """Start an admin session for `user` in this browser."""
    sign_out()
    session[_UID] = user.id
    session[_FP] = _fingerprint(user)
    session[_AT] = int(time.time())
    g.admin_user = user


def sign_out() -> None:
    """End the admin session in this browser (other session data is left alone)."""
    for key in (_UID, _FP, _AT):
        session.pop(key, None)
    g.pop("admin_user", None)


def current_admin() -> AdminUser | None:
    """The signed-in, active account of this request, or None."""
    if "admin_user" in g:
        return g.admin_user
    user: AdminUser | None = None
    uid, started = session.get(_UID), session.get(_AT)
    if isinstance(uid, int) and isinstance(started, int):
        fresh = 0 <= time.time() - started < SESSION_HOURS * 3600
        candidate = get_admin(uid) if fresh else None
        if (
            candidate is not None
            and candidate.active
            and hmac.compare_digest(str(session.get(_FP, "")), _fingerprint(candidate))
        ):
            user = candidate
    if user is None and uid is not None:
        sign_out()
    g.admin_user = user
    return user


def safe_next(target: str | None) -> str | None:
    """`target` when it is a path inside the admin area, else None (no open redirects)."""
    if not target or "\\" in target or any(ord(c) < 32 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/admin"):
        return None
    return target


def require_role(*roles: str) -> Callable[[F], F]:
    """Guard a view: signed-out visitors go to sign-in; accounts holding none of `roles` get 403.

    With no roles, any signed-in account may see the view.
    """

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = current_admin()
            if user is None:
                target = request.full_path if request.method == "GET" else request.path
                return redirect(url_for("admin.sign_in", next=target.rstrip("?")))
            if roles and not any(user.has_role(role) for role in roles):
                raise AccessDenied(f"This page is for accounts with the {' or '.join(roles)} role.")
            return view(*args, **kwargs)

        wrapper.allowed_roles = roles or ("any signed-in account",)  # type: ignore[attr-defined]
        who = " or ".join(roles) if roles else "any signed-in"
        return declare(wrapper, f"admin sign-in: {who} account")  # type: ignore[return-value]

    return decorator


#: The guard for admin pages: a signed-in account with the admin role.
require_admin = require_role("admin")
#: The guard for pages every signed-in account may use (its own password, sign-out).
require_signed_in = require_role()


def _failure_key(username: str) -> str:
    who = f"{normalize_username(username)}|{request.remote_addr or '-'}"
    return "admin-signin:" + hashlib.sha256(who.encode()).hexdigest()[:40]


def note_sign_in_attempt(username: str) -> bool:
    """Count an attempt for this username from this address; False once the limit is reached.

    Counting before the password is checked makes parallel guesses count too.
    """
    return get_store().incr(_failure_key(username), FAILURE_WINDOW_SECONDS) <= MAX_FAILURES


def clear_sign_in_attempts(username: str) -> None:
    """Forget the attempts for this username and address (after a successful sign-in)."""
    get_store().delete(_failure_key(username))
