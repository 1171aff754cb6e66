"""Cross-cutting web concerns: request ids, error pages, security headers, template helpers."""

from __future__ import annotations

import logging
import re
import secrets
from typing import Any

from flask import Flask, Response, current_app, g, render_template, request
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from .errors import MicrocredError
from .store import Store

log = logging.getLogger(__name__)
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
#: The policy for answers no feature gave one (JSON, text, files): nothing may run or frame them.
DEFAULT_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


def get_store() -> Store:
    """The shared key-value store of this app."""
    return current_app.extensions["microcred.store"]


def settings() -> Any:
    return current_app.config["MICROCRED"]


def wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return request.path.startswith("/api/") or best == "application/json"


def _discard_session() -> None:
    from .extensions import db

    try:
        db.session.remove()
    except DBAPIError:
        log.warning("discarded a database session whose connection had died")
        db.session.remove()


def error_response(code: str, title: str, message: str, status: int) -> tuple[Any, int]:
    """An iframe-friendly error page (or JSON) carrying a stable code and the request id."""
    rid = getattr(g, "request_id", "")
    if wants_json():
        body = {"error": {"code": code, "title": title, "message": message, "request_id": rid}}
        return body, status
    html = render_template(
        "errors/error.html",
        code=code,
        title=title,
        message=message,
        request_id=rid,
        status=status,
    )
    return html, status


class _CachedSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, with its serializer built once per app instead of on
    every request (LTI pages carry their own session token and never need the cookie one)."""

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        cached = app.extensions.get("microcred.session_serializer")
        if cached is None:
            cached = super().get_signing_serializer(app)
            app.extensions["microcred.session_serializer"] = cached
        return cached


def init_app(app: Flask) -> None:
    app.session_interface = _CachedSessionInterface()

    @app.before_request
    def _request_id() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else secrets.token_hex(8)
        g.csp_nonce = secrets.token_urlsafe(16)

    @app.after_request
    def _headers(response: Response) -> Response:
        # Runs after every feature's hook (registered first): pages that set their own keep
        # them. The names present are read once (werkzeug's setdefault scans the headers four
        # times per call, on every request).
        headers = response.headers
        present = {name.lower() for name, _ in headers.items()}
        wanted = [
            ("X-Request-ID", getattr(g, "request_id", "")),
            ("X-Content-Type-Options", "nosniff"),
            # Session tokens travel in URLs inside LMS iframes: never leak them to other sites.
            ("Referrer-Policy", "same-origin"),
        ]
        # Not on PDFs (some browsers' built-in viewers do not open under default-src 'none'),
        # nor on the dev LMS (it is the platform, with its own pages).
        if response.mimetype != "application/pdf" and not (request.blueprint or "").startswith(
            "devlms"
        ):
            wanted.append(("Content-Security-Policy", DEFAULT_CSP))
        if request.is_secure:  # real HTTPS, as the proxy reports it through ProxyFix
            wanted.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))
        for name, value in wanted:
            if name.lower() not in present:
                headers.add(name, value)
        return response

    @app.errorhandler(MicrocredError)
    def _domain_error(exc: MicrocredError) -> tuple[Any, int]:
        log.info("refused %s %s: %s %s", request.method, request.path, exc.code, exc.message)
        return error_response(exc.code, exc.title, exc.message, exc.status)

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(exc: RequestEntityTooLarge) -> tuple[Any, int]:
        limit = settings().max_upload_mb
        return error_response(
            "TOO_LARGE",
            "The upload is too large",
            f"This tool accepts requests of at most {limit} MB (the MAX_UPLOAD_MB setting). "
            "Nothing was saved; make the file smaller and send it again.",
            413,
        )

    @app.errorhandler(DBAPIError)
    def _database_down(exc: DBAPIError) -> tuple[Any, int]:
        if not exc.connection_invalidated and not isinstance(exc, OperationalError):
            raise exc  # a bug, not an outage: the generic 500 page with the request id
        log.warning("database unavailable on %s %s: %s", request.method, request.path, exc.orig)
        _discard_session()
        return error_response(
            "DATABASE_UNAVAILABLE",
            "The database is not answering",
            "Nothing was saved by this request. Try again in a minute; your earlier work is kept.",
            503,
        )

    @app.teardown_appcontext
    def _discard_broken_session(_exc: BaseException | None) -> None:
        # A connection that died after the request's last query makes Flask-SQLAlchemy's own
        # session.remove() raise, which would replace a finished page with a bare 500.
        _discard_session()

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> tuple[Any, int]:
        code = (exc.name or "error").upper().replace(" ", "_")
        return error_response(code, exc.name or "Error", exc.description or "", exc.code or 500)

    @app.context_processor
    def _template_globals() -> dict[str, Any]:
        return {
            "csp_nonce": getattr(g, "csp_nonce", ""),
            "request_id": getattr(g, "request_id", ""),
        }
