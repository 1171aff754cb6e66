"""The preview page, served by the dev LMS app: the course page's launch of a module in a frame
(as a student), the build's diagnostics beside it, and a status endpoint the page polls to
reload itself after each rebuild."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Blueprint, Flask, Response, current_app, jsonify, render_template, request

from ..devlms.data import get_context, get_user, list_users
from ..devlms.runtime import current_devlms
from ..devlms.seed import COURSE

if TYPE_CHECKING:
    from .session import Preview

bp = Blueprint(
    "preview", __name__, url_prefix="/preview", template_folder="templates", static_folder="static"
)

#: How often the page asks whether a rebuild happened (milliseconds).
POLL_MS = 800


def install(lms: Flask, preview: Preview) -> None:
    """Add the preview page to a dev LMS app."""
    lms.extensions["microcred.preview"] = preview
    lms.register_blueprint(bp)


def _preview() -> Preview:
    preview: Preview = current_app.extensions["microcred.preview"]
    return preview


@bp.get("/")
def page() -> str:
    """The module chosen with ?module= (default the first), framed, with the build beside."""
    devlms = current_devlms()
    user = get_user(devlms.store, request.args.get("as") or "grace")
    if user is None:
        user = get_user(devlms.store, "grace")
    status = _preview().status
    chosen = request.args.get("module") or (status.modules[0][0] if status.modules else "")
    current = next((m for m in status.modules if m[0] == chosen), None)
    return render_template(
        "preview/page.html",
        status=status,
        current=current,
        user=user,
        users=list_users(devlms.store),
        course=get_context(devlms.store, COURSE.id),
        config={
            "status": f"{bp.url_prefix}/status",
            "poll_ms": POLL_MS,
            "generation": status.generation,
            "modules": status.as_dict()["modules"],
        },
    )


@bp.get("/status")
def status() -> Response:
    """The build status as JSON (the page polls it; scripts and tests can too)."""
    response = jsonify(_preview().status.as_dict())
    response.headers["Cache-Control"] = "no-store"
    return response
