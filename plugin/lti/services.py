"""The LTI feature's API for other features (the admin area, the CLI): registrations,
deployments and tool keys. Services flush, never commit; views and commands commit."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ..db import utcnow
from ..errors import ValidationError
from ..extensions import db
from ..web import get_store, settings
from . import keys as _keys
from . import regcache
from .models import DEPLOYMENT_STATUSES, PRODUCTS, Deployment, Registration, ToolKey
from .platform_keys import KeySource, forget_key_set, parse_jwks
from .urls import ToolUrls, build_tool_urls, origin_of

FRAME_ANCESTORS_KEY = "lti:frame-ancestors"
_URL_FIELDS = ("auth_login_url", "auth_token_url", "auth_audience", "key_set_url")
_EDITABLE = frozenset(
    {
        "issuer",
        "client_id",
        "name",
        "product",
        "auth_login_url",
        "auth_token_url",
        "auth_audience",
        "key_set_url",
        "key_set",
        "active",
    }
)


def tool_urls() -> ToolUrls:
    """The tool's URLs for LMS administrators (login, launch, deep link, JWKS, registration)."""
    return build_tool_urls(settings().public_url)


def list_registrations() -> list[Registration]:
    """Every registration, by issuer then client_id."""
    return list(
        db.session.execute(
            db.select(Registration).order_by(Registration.issuer, Registration.client_id)
        ).scalars()
    )


def get_registration(reg_id: int) -> Registration | None:
    return db.session.get(Registration, reg_id)


def find_registration(issuer: str, client_id: str) -> Registration | None:
    """The registration for (issuer, client_id), or None."""
    return db.session.execute(
        db.select(Registration).where(
            Registration.issuer == issuer, Registration.client_id == client_id
        )
    ).scalar_one_or_none()


def check_platform_url(value: str, field: str) -> str:
    """An absolute http(s) URL; https unless ALLOW_INSECURE_PLATFORMS. Raises ValidationError."""
    value = (value or "").strip()
    origin = origin_of(value)
    if origin is None:
        raise ValidationError(
            f"{field} must be an absolute http(s) URL, not {value[:100]!r}.", code="LTI_BAD_URL"
        )
    if value.startswith("http://") and not settings().allow_insecure_platforms:
        raise ValidationError(
            f"{field} must use https ({value[:100]}); plain http is only allowed outside "
            "production with ALLOW_INSECURE_PLATFORMS.",
            code="LTI_INSECURE_URL",
        )
    return value


def _check_key_set(key_set: str) -> str:
    try:
        data = json.loads(key_set)
        keys = parse_jwks(data)
    except ValueError as exc:
        raise ValidationError(
            f"The pasted key set is not a valid JWKS: {exc}.", code="LTI_BAD_KEY_SET"
        ) from exc
    if not keys:
        raise ValidationError(
            "The pasted key set has no RSA signing key with a kid.", code="LTI_BAD_KEY_SET"
        )
    return json.dumps(data)


def _clean(fields: dict[str, Any]) -> dict[str, Any]:
    out = dict(fields)
    for name in ("issuer", "client_id", "name"):
        if name in out:
            out[name] = (out[name] or "").strip()
    if "issuer" in out and not out["issuer"]:
        raise ValidationError("issuer is required.", code="LTI_MISSING_FIELD")
    if "client_id" in out and not out["client_id"]:
        raise ValidationError("client_id is required.", code="LTI_MISSING_FIELD")
    if "product" in out and out["product"] not in PRODUCTS:
        raise ValidationError(
            f"product must be one of {', '.join(PRODUCTS)}.", code="LTI_BAD_PRODUCT"
        )
    for name in _URL_FIELDS:
        if name in out:
            out[name] = check_platform_url(out[name], name) if out[name] else None
    for name in ("auth_login_url", "auth_token_url"):
        if name in out and not out[name]:
            raise ValidationError(f"{name} is required.", code="LTI_MISSING_FIELD")
    if out.get("key_set"):
        out["key_set"] = _check_key_set(out["key_set"])
    elif "key_set" in out:
        out["key_set"] = None
    return out


def _invalidate() -> None:
    get_store().delete(FRAME_ANCESTORS_KEY)
    regcache.invalidate()


def create_registration(
    *,
    issuer: str,
    client_id: str,
    name: str,
    auth_login_url: str,
    auth_token_url: str,
    auth_audience: str | None = None,
    key_set_url: str | None = None,
    key_set: str | None = None,
    product: str = "generic",
    deployment_ids: Sequence[str] = (),
    active: bool = True,
) -> Registration:
    """Add a platform registration (and its known deployments, active). Raises ValidationError."""
    fields = _clean(
        {
            "issuer": issuer,
            "client_id": client_id,
            "name": name,
            "product": product,
            "auth_login_url": auth_login_url,
            "auth_token_url": auth_token_url,
            "auth_audience": auth_audience,
            "key_set_url": key_set_url,
            "key_set": key_set,
        }
    )
    if not fields["key_set_url"] and not fields["key_set"]:
        raise ValidationError(
            "Give the platform's key set URL or paste its key set (JWKS).", code="LTI_NO_KEYS"
        )
    if find_registration(fields["issuer"], fields["client_id"]) is not None:
        raise ValidationError(
            f"A registration for issuer {fields['issuer']} and client_id {fields['client_id']} "
            "already exists.",
            code="LTI_DUPLICATE_REGISTRATION",
        )
    reg = Registration(active=active, **fields)
    db.session.add(reg)
    db.session.flush()
    for dep_id in deployment_ids:
        if dep_id and dep_id.strip():
            add_deployment(reg, dep_id.strip(), "active")
    _invalidate()
    return reg


def update_registration(reg: Registration, **fields: Any) -> Registration:
    """Change some fields of a registration (same checks as create)."""
    unknown = set(fields) - _EDITABLE
    if unknown:
        raise ValidationError(
            f"Unknown registration fields: {', '.join(sorted(unknown))}.", code="LTI_BAD_FIELD"
        )
    cleaned = _clean(fields)
    key_set_url = cleaned.get("key_set_url", reg.key_set_url)
    key_set = cleaned.get("key_set", reg.key_set)
    if not key_set_url and not key_set:
        raise ValidationError(
            "Give the platform's key set URL or paste its key set (JWKS).", code="LTI_NO_KEYS"
        )
    issuer = cleaned.get("issuer", reg.issuer)
    client_id = cleaned.get("client_id", reg.client_id)
    other = find_registration(issuer, client_id)
    if other is not None and other.id != reg.id:
        raise ValidationError(
            f"A registration for issuer {issuer} and client_id {client_id} already exists.",
            code="LTI_DUPLICATE_REGISTRATION",
        )
    if key_set_url != reg.key_set_url or key_set != reg.key_set:
        forget_key_set(get_store(), KeySource(reg.id, reg.key_set_url, reg.key_set))
    for name, value in cleaned.items():
        setattr(reg, name, value)
    db.session.flush()
    _invalidate()
    return reg


def set_registration_active(reg: Registration, active: bool) -> None:
    """Approve (or disable) a registration: inactive ones can neither log in nor launch."""
    reg.active = active
    db.session.flush()
    _invalidate()


def list_deployments(status: str | None = None) -> list[Deployment]:
    """Deployments, newest first; only those with `status` when given."""
    query = db.select(Deployment).order_by(Deployment.id.desc())
    if status is not None:
        if status not in DEPLOYMENT_STATUSES:
            raise ValidationError(
                f"status must be one of {', '.join(DEPLOYMENT_STATUSES)}.", code="LTI_BAD_STATUS"
            )
        query = query.where(Deployment.status == status)
    return list(db.session.execute(query).scalars())


def set_deployment_status(dep: Deployment, status: str) -> None:
    """Approve (active), hold (pending) or disable a deployment."""
    if status not in DEPLOYMENT_STATUSES:
        raise ValidationError(
            f"status must be one of {', '.join(DEPLOYMENT_STATUSES)}.", code="LTI_BAD_STATUS"
        )
    dep.status = status
    dep.decided_at = utcnow()
    db.session.flush()
    _invalidate()


def add_deployment(reg: Registration, deployment_id: str, status: str = "active") -> Deployment:
    """Record a deployment id under a registration (ValidationError if it exists already)."""
    deployment_id = (deployment_id or "").strip()
    if not deployment_id:
        raise ValidationError("deployment_id is required.", code="LTI_MISSING_FIELD")
    if status not in DEPLOYMENT_STATUSES:
        raise ValidationError(
            f"status must be one of {', '.join(DEPLOYMENT_STATUSES)}.", code="LTI_BAD_STATUS"
        )
    existing = db.session.execute(
        db.select(Deployment).where(
            Deployment.registration_id == reg.id, Deployment.deployment_id == deployment_id
        )
    ).scalar_one_or_none()
    if existing is not None:
        raise ValidationError(
            f"Deployment {deployment_id} already exists for this registration.",
            code="LTI_DUPLICATE_DEPLOYMENT",
        )
    dep = Deployment(
        registration_id=reg.id,
        deployment_id=deployment_id,
        status=status,
        decided_at=utcnow() if status != "pending" else None,
    )
    db.session.add(dep)
    db.session.flush()
    _invalidate()
    return dep


def rotate_tool_key() -> ToolKey:
    """A new current signing key; the old one stays published for KEY_ROTATION_OVERLAP_DAYS."""
    return _keys.rotate_tool_key(settings().key_rotation_overlap_days)


def list_tool_keys() -> list[ToolKey]:
    """Every tool key, newest first (published or not)."""
    return list(db.session.execute(db.select(ToolKey).order_by(ToolKey.id.desc())).scalars())


def jwks() -> dict[str, Any]:
    """The tool's public JWKS (current key plus those still in their rotation overlap)."""
    return _keys.tool_jwks()


def frame_ancestors() -> list[str]:
    """Origins allowed to frame the tool: those of every active registration's URLs (cached in
    the process while the registry generation holds, and in the shared store)."""
    return list(regcache.cached(("frame-ancestors",), _frame_ancestors) or ())


def _frame_ancestors() -> list[str]:
    store = get_store()
    raw = store.get(FRAME_ANCESTORS_KEY)
    if raw is not None:
        return list(json.loads(raw))
    origins: set[str] = set()
    rows = db.session.execute(
        db.select(
            Registration.issuer, Registration.auth_login_url, Registration.auth_token_url
        ).where(Registration.active.is_(True))
    )
    for row in rows:
        origins.update(o for o in (origin_of(u) for u in row) if o)
    result = sorted(origins)
    store.set(FRAME_ANCESTORS_KEY, json.dumps(result), 300)
    return result
