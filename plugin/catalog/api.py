"""`POST /api/v1/packages`: publish a built package with an API token (what `microcred publish`
calls). The body is the .mcpkg itself (or a multipart field `package`); answers are JSON.

201: a new version was published. 200: that exact version was already published (no change).
401: no, unknown, expired or revoked token. 409: the version exists with other content (P003).
413: larger than MAX_UPLOAD_MB. 422: not a package, or a version bump that does not match the
change (P001/P002); `error.diagnostics` lists every reason.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from ..access import token_guarded
from ..errors import ValidationError
from ..extensions import csrf, db
from .models import CourseVersion
from .services import PublishRefused, PublishResult, publish
from .tokens import TokenRefused, authenticate_token

log = logging.getLogger(__name__)

bp = Blueprint("catalog_api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # bearer tokens, never cookies: nothing for a cross-site form to ride on


def _error(code: str, title: str, message: str, status: int, **extra: Any) -> Response:
    body = {
        "error": {
            "code": code,
            "title": title,
            "message": message,
            "request_id": getattr(g, "request_id", ""),
            **extra,
        }
    }
    response = jsonify(body)
    response.status_code = status
    return response


def _limit_mb() -> float:
    return float(current_app.config.get("MAX_CONTENT_LENGTH") or 0) / (1024 * 1024)


def _too_large(size: int | None = None) -> Response:
    limit = _limit_mb()
    said = f"The package is {size / (1024 * 1024):.1f} MB; t" if size else "T"
    return _error(
        "PACKAGE_TOO_LARGE",
        "The package is too large",
        f"{said}his tool accepts packages up to {limit:g} MB (MAX_UPLOAD_MB).",
        413,
        limit_bytes=int(current_app.config.get("MAX_CONTENT_LENGTH") or 0),
    )


@bp.errorhandler(RequestEntityTooLarge)
def _entity_too_large(exc: RequestEntityTooLarge) -> Response:
    return _too_large(request.content_length)


@bp.errorhandler(PublishRefused)
def _refused(exc: PublishRefused) -> Response:
    log.info("package refused: %s %s", exc.code, exc.message)
    return _error(
        exc.code,
        exc.title,
        exc.message,
        exc.status,
        diagnostics=[d.as_dict() for d in exc.diagnostics],
        errors=[d.format() for d in exc.diagnostics],
    )


@bp.errorhandler(TokenRefused)
def _token_refused(exc: TokenRefused) -> Response:
    response = _error(exc.code, exc.title, exc.message, exc.status)
    response.headers["WWW-Authenticate"] = 'Bearer realm="microcred", error="invalid_token"'
    return response


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header[:7].lower() == "bearer " else None


def _package_bytes() -> bytes:
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit and request.content_length and request.content_length > limit:
        raise RequestEntityTooLarge()
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("package")
        data = upload.read() if upload is not None else b""
    else:
        data = request.get_data(cache=False)
    if not data:
        raise ValidationError("Send the .mcpkg file as the request body.", code="PACKAGE_MISSING")
    return data


def version_json(version: CourseVersion) -> dict[str, Any]:
    """A published version as the API shows it."""
    return {
        "id": version.id,
        "course_id": version.course_id,
        "version": version.version,
        "title": version.title,
        "content_hash": version.content_hash,
        "published_at": version.published_at.isoformat() if version.published_at else None,
        "published_by": version.published_by,
        "size": version.size,
    }


def result_json(result: PublishResult) -> dict[str, Any]:
    return {
        "status": "published" if result.created else "unchanged",
        "version": version_json(result.version),
        "warnings": [d.as_dict() for d in result.warnings],
    }


@bp.post("/packages")
@token_guarded("a catalog API token (Authorization: Bearer)")
def publish_package_api() -> tuple[Response, int]:
    """Publish the package in the body with the caller's API token."""
    token = authenticate_token(_bearer())
    data = _package_bytes()
    result = publish(data, published_by=f"API token {token.name!r} of {token.owner_label}")
    db.session.commit()
    return jsonify(result_json(result)), 201 if result.created else 200
