"""The catalog blueprint: course assets, and the instructor's pages reached from a launch
(published courses, package upload, API tokens).

Instructor pages carry the launch session token in every form (`session_field()`), which is
their CSRF protection: a state-changing request must show the token itself, never a cookie.
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
import re
from typing import Any

from flask import Blueprint, Response, abort, render_template, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response as BaseResponse

from ..access import public
from ..errors import ValidationError
from ..extensions import db
from ..lti.session import current_launch, require_launch
from ..web import settings
from . import tokens as token_services
from .packages import cached_content, get_content
from .services import PublishRefused, get_version_by_hash, list_courses, list_versions, publish

log = logging.getLogger(__name__)

bp = Blueprint("catalog", __name__)

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
ASSET_CSP = "default-src 'none'; style-src 'unsafe-inline'"
#: Types a browser could run as a page: served as downloads only.
_ACTIVE_TYPES = ("text/html", "application/xhtml+xml", "text/xml", "application/xml")
_EXTRA_TYPES = {".vtt": "text/vtt", ".svg": "image/svg+xml", ".webp": "image/webp"}
STAFF = ("instructor", "admin")
TOKEN_DAYS = (30, 90, 365)


def _asset_type(path: str) -> str:
    dot = path.rfind(".")
    ext = path[dot:].lower() if dot >= 0 else ""
    return _EXTRA_TYPES.get(ext) or mimetypes.guess_type(path)[0] or "application/octet-stream"


@bp.get("/c/<hash_hex>/assets/<path:path>")
@public("course assets addressed by content hash, shown in launched pages")
def asset(hash_hex: str, path: str) -> BaseResponse:
    """A course file by content hash: immutable, cached for a year, never able to run script."""
    if not _HEX64.match(hash_hex):
        abort(404)
    content = cached_content(f"sha256:{hash_hex}")
    if content is None:
        version = get_version_by_hash(hash_hex)
        if version is None:
            abort(404)
        content = get_content(version)
    data = content.asset(path)
    if data is None:
        abort(404)
    mimetype = _asset_type(path)
    response = Response(data, mimetype=mimetype)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    response.headers["Content-Security-Policy"] = ASSET_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    if mimetype in _ACTIVE_TYPES:
        response.headers["Content-Disposition"] = "attachment"
    response.set_etag(hashlib.sha256(f"{hash_hex}/{path}".encode()).hexdigest()[:32])
    return response.make_conditional(request)


def _owner() -> dict[str, Any]:
    ctx = current_launch()
    return {"owner_issuer": ctx.issuer, "owner_sub": ctx.sub}


def _who() -> str:
    ctx = current_launch()
    return f"{ctx.name or ctx.email or ctx.sub} ({ctx.issuer})"


@bp.get("/catalog/")
@require_launch(roles=STAFF)
def courses() -> str:
    """Published courses with their versions, for instructors."""
    rows = [(latest, list_versions(latest.course_id)) for latest in list_courses()]
    return render_template("catalog/courses.html", rows=rows, title="Published courses")


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc: RequestEntityTooLarge) -> tuple[str, int]:
    limit = settings().max_upload_mb
    return render_template(
        "catalog/upload.html",
        title="Publish a course package",
        refused=None,
        error=f"The file is larger than this tool accepts ({limit} MB).",
        result=None,
    ), 413


@bp.route("/catalog/upload", methods=["GET", "POST"])
@require_launch(roles=STAFF)
def upload() -> tuple[str, int] | str:
    """Publish a .mcpkg from the browser (same rules as the API)."""
    if request.method == "GET":
        return render_template(
            "catalog/upload.html",
            title="Publish a course package",
            result=None,
            refused=None,
            error=None,
        )
    file = request.files.get("package")
    data = file.read() if file is not None else b""
    if not data:
        return render_template(
            "catalog/upload.html",
            title="Publish a course package",
            result=None,
            refused=None,
            error="Choose a .mcpkg file to publish.",
        ), 422
    try:
        result = publish(data, published_by=_who())
    except PublishRefused as exc:
        db.session.rollback()
        return render_template(
            "catalog/upload.html",
            title="Publish a course package",
            result=None,
            refused=exc,
            error=None,
        ), exc.status
    db.session.commit()
    return render_template(
        "catalog/upload.html",
        title="Publish a course package",
        result=result,
        refused=None,
        error=None,
    )


def _tokens_page(
    new_token: str | None = None, error: str | None = None, status: int = 200
) -> tuple[Response, int]:
    owner = _owner()
    page = render_template(
        "catalog/tokens.html",
        title="API tokens for publishing",
        tokens=token_services.list_tokens(**owner),
        new_token=new_token,
        error=error,
        days_choices=TOKEN_DAYS,
        default_days=token_services.DEFAULT_DAYS,
        public_url=settings().public_url,
    )
    response = Response(page, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"  # a new token is on this page once
    return response, status


@bp.route("/catalog/tokens", methods=["GET", "POST"])
@require_launch(roles=STAFF)
def api_tokens() -> tuple[Response, int]:
    """List, create (shown once) and revoke the instructor's own API tokens."""
    if request.method == "GET":
        return _tokens_page()
    try:
        days = int(request.form.get("days") or token_services.DEFAULT_DAYS)
    except ValueError:
        days = 0
    if days not in TOKEN_DAYS:
        return _tokens_page(error="Choose how long the token lasts.", status=422)
    ctx = current_launch()
    try:
        _, raw = token_services.create_token(
            request.form.get("name", ""),
            owner_name=ctx.name or ctx.email or "",
            days=days,
            **_owner(),
        )
    except ValidationError as exc:
        db.session.rollback()
        return _tokens_page(error=exc.message, status=422)
    db.session.commit()
    return _tokens_page(new_token=raw, status=201)


@bp.post("/catalog/tokens/<int:token_id>/revoke")
@require_launch(roles=STAFF)
def revoke_api_token(token_id: int) -> tuple[Response, int]:
    """Revoke one of the instructor's own tokens."""
    token_services.revoke_owned_token(token_id, **_owner())
    db.session.commit()
    return _tokens_page()
