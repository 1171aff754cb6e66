"""Who may use the registrar area: a local account with the registrar role, or an LTI launch
holding a role an admin mapped to registrar (institution or context role, full URI).

A launch's roles are matched once, when the launch completes, and the grant is kept in the
shared store next to the launch for the session's life.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import redirect, request, url_for

from ..access import declare
from ..admin.auth import current_admin
from ..errors import AccessDenied, ValidationError
from ..extensions import csrf, db
from ..lti.context import ROLES, LaunchContext
from ..lti.roles import parse_role
from ..lti.session import get_launch, session_ttl
from ..web import get_store
from .models import RegistrarRole

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Registrar:
    """The person using the registrar area; `actor` is what the decision log records."""

    actor: str
    name: str
    via: str  # "account" or "lti"


def _grant_key(launch_id: str) -> str:
    return f"registrar:launch:{launch_id}"


def mapped_roles() -> list[RegistrarRole]:
    """Every LTI role mapped to registrar, by role."""
    return list(db.session.scalars(sa.select(RegistrarRole).order_by(RegistrarRole.role)))


def map_role(role: str, by: str) -> RegistrarRole:
    """Map an LTI role (full URI) to registrar; a role already mapped is returned as it is."""
    role = role.strip()
    parsed = parse_role(role)
    if parsed is None or "/" not in role:
        raise ValidationError(
            "Give the full LTI role URI, e.g. "
            "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Staff"
        )
    existing = db.session.scalar(sa.select(RegistrarRole).where(RegistrarRole.role == role))
    if existing is not None:
        return existing
    row = RegistrarRole(role=role, created_by=by)
    db.session.add(row)
    _forget_mapped_roles()
    db.session.flush()
    log.info("LTI role %s mapped to registrar by %s", role, by)
    return row


def unmap_role(role_id: int) -> None:
    """Remove a role mapping (sessions granted earlier end with their launch)."""
    row = db.session.get(RegistrarRole, role_id)
    if row is not None:
        db.session.delete(row)
        _forget_mapped_roles()
        db.session.flush()


_PROCESS_TTL = 5.0
_mapped_cache: dict[int, tuple[float, frozenset[str]]] = {}  # by the app's store: one per app


def _mapped_role_set() -> frozenset[str]:
    """The mapped role URIs. Every launch asks and mapping is rare, so each process keeps the
    answer for a few seconds: a change is seen at once here, in other processes within
    _PROCESS_TTL seconds."""
    now = time.monotonic()
    key = id(get_store())
    hit = _mapped_cache.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]
    roles = frozenset(r.role for r in mapped_roles())
    _mapped_cache[key] = (now + _PROCESS_TTL, roles)
    return roles


def _forget_mapped_roles() -> None:
    _mapped_cache.pop(id(get_store()), None)


def launch_roles(claims: dict[str, Any]) -> list[str]:
    """The roles claim of a launch's validated id_token claims (as launch_completed carries)."""
    roles = claims.get(ROLES)
    return [r for r in roles if isinstance(r, str)] if isinstance(roles, list) else []


def grant_from_launch(context: LaunchContext, claims: dict[str, Any]) -> bool:
    """Give this launch's session registrar access when one of its roles is mapped."""
    held = set(launch_roles(claims))
    if not held or not held & _mapped_role_set():
        return False
    get_store().set(_grant_key(context.launch_id), "1", session_ttl())
    log.info("launch %s may use the registrar area", context.launch_id)
    return True


def current_registrar() -> Registrar | None:
    """The registrar of this request, or None."""
    user = current_admin()
    if user is not None and user.has_role("registrar"):
        return Registrar(f"account:{user.username}", user.username, "account")
    ctx = get_launch()
    if ctx is not None and get_store().get(_grant_key(ctx.launch_id)) is not None:
        name = ctx.name or ctx.sub
        return Registrar(f"lti:{ctx.issuer}|{ctx.sub}", name, "lti")
    return None


def require_registrar(view: F) -> F:
    """Guard a registrar view: anonymous visitors go to sign-in, anyone else gets 403.

    State-changing requests from an account carry Flask-WTF's CSRF token; from an LMS launch
    they carry the session token itself (as every launched page does), which is CSRF-proof.
    """

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        who = current_registrar()
        if who is None:
            anonymous = current_admin() is None and get_launch() is None
            if anonymous and request.method == "GET":
                return redirect(url_for("admin.sign_in"))
            raise AccessDenied("The registrar area is for registrars.")
        if request.method not in ("GET", "HEAD", "OPTIONS") and who.via == "account":
            csrf.protect()
        return view(*args, **kwargs)

    declared = declare(wrapper, "registrar: account or LTI grant")
    return csrf.exempt(declared)
