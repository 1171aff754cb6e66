"""LTI 1.3: registrations, keys, OIDC login, hardened launches, the tool's own session,
deep linking and dynamic registration. Only this package imports pylti1p3.

Other features use: `plugin.lti.session` (require_launch, current_launch, lti_url_for,
session_field), `plugin.lti.registry` (register_launch_target, register_deep_link_items),
`plugin.lti.context.LaunchContext` and `plugin.lti.services` (registrations, deployments, keys).
"""

from __future__ import annotations

import logging

from flask import Flask, Response, g, request, url_for

from ..signals import learner_erasing
from . import models  # noqa: F401  (tables join the metadata before anything else runs)

log = logging.getLogger(__name__)


def content_security_policy(nonce: str, ancestors: list[str]) -> str:
    """The tool pages' CSP: strict, framable by 'self' and the active platforms only."""
    frame_ancestors = " ".join(["'self'", *ancestors])
    return (
        "default-src 'self'; "
        f"script-src 'self' 'nonce-{nonce}'; "
        "style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; "
        f"frame-ancestors {frame_ancestors}"
    )


def _forget_launch_records(sender: Flask, **_: object) -> None:
    """A new registry generation: no cached launch record (plugin.lti.recordcache) matches."""
    from . import regcache

    regcache.invalidate()


def init_app(app: Flask) -> None:
    """Template helpers, the default launch target and the CSP header."""
    from ..extensions import db
    from .registry import register_launch_target
    from .services import frame_ancestors
    from .session import lti_url_for, new_window_url, session_field, session_token

    app.jinja_env.globals.update(
        lti_url_for=lti_url_for,
        session_field=session_field,
        new_window_url=new_window_url,
        session_token=session_token,
    )
    register_launch_target("home", lambda ctx: url_for("lti.home"))
    # An erased learner's next launch must make a new learner, not reuse the cached one.
    learner_erasing.connect(_forget_launch_records, weak=False)  # once: connecting is idempotent

    @app.after_request
    def _csp(response: Response) -> Response:
        if (
            response.mimetype != "text/html"
            or response.status_code in (301, 302, 303, 307)
            or "Content-Security-Policy" in response.headers
        ):
            return response
        if (request.blueprint or "").startswith("devlms"):
            return response  # the dev LMS is the platform, not a tool page
        try:
            ancestors = frame_ancestors()
        except Exception:  # an error page must still be served, framable or not
            log.exception("could not read the platforms allowed to frame the tool")
            db.session.rollback()
            ancestors = []
        response.headers["Content-Security-Policy"] = content_security_policy(
            getattr(g, "csp_nonce", ""), ancestors
        )
        return response
