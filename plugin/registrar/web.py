"""Shared pieces of the registrar blueprints: headers, template globals, form helpers."""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import flash, g, request
from werkzeug.wrappers import Response

from ..extensions import db
from ..lti.services import frame_ancestors
from ..lti.session import get_launch
from ..web import get_store
from .access import current_registrar

NOTICE_SECONDS = 300

log = logging.getLogger(__name__)


def registrar_headers(response: Response) -> Response:
    """Strict CSP (framable by the registered LMSs, as launched pages are), never cached."""
    nonce = g.get("csp_nonce", "")
    try:
        ancestors = " ".join(["'self'", *frame_ancestors()])
    except Exception:  # an error page must still get its headers
        log.exception("could not read the platforms allowed to frame the tool")
        db.session.rollback()
        ancestors = "'self'"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; "
        f"script-src 'self' 'nonce-{nonce}'; style-src 'self' 'nonce-{nonce}'; "
        "img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        f"form-action 'self'; frame-ancestors {ancestors}"
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def registrar_globals() -> dict[str, Any]:
    """`registrar` (who is using the area) and `lti_notices` for every registrar template."""
    return {"registrar": current_registrar(), "lti_notices": pop_notices}


def _notice_key() -> str | None:
    ctx = get_launch()
    return f"registrar:notice:{ctx.launch_id}" if ctx is not None else None


def notify(message: str, category: str = "success") -> None:
    """A message for the next page: a flash for accounts; for LMS launches, whose iframe may
    have no cookies, kept in the shared store next to the launch."""
    who = current_registrar()
    key = _notice_key()
    if who is None or who.via == "account" or key is None:
        flash(message, category)
        return
    pending = json.loads(get_store().get(key) or "[]")
    pending.append([category, message])
    get_store().set(key, json.dumps(pending), NOTICE_SECONDS)


def pop_notices() -> list[tuple[str, str]]:
    """The messages kept for this launch (shown once)."""
    key = _notice_key()
    raw = get_store().get(key) if key else None
    if not raw or key is None:
        return []
    get_store().delete(key)
    return [(c, m) for c, m in json.loads(raw)]


def form_dict() -> dict[str, str]:
    """The submitted form as a plain dict of strings."""
    return {k: v for k, v in request.form.items()}
