"""Operations pages: Prometheus /metrics (token), the admin operations page (outbox, recent
errors, learner data export and erasure) and a learner's own data download."""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField
from wtforms.validators import DataRequired, NumberRange

from ..access import token_guarded
from ..admin.auth import current_admin, require_admin
from ..errors import NotFoundError
from ..extensions import csrf, db
from ..lti.session import current_launch, require_launch
from ..web import get_store
from . import installation_prefix
from .metrics import render_metrics
from .privacy import erase_learner, export_learner
from .recent import list_recent_errors
from .settings import ops_settings

log = logging.getLogger(__name__)
bp = Blueprint("ops", __name__)
OUTBOX_ROWS = 50


class LearnerForm(FlaskForm):
    """Pick a learner by the tool's learner number."""

    learner_id = IntegerField("Learner number", validators=[DataRequired(), NumberRange(min=1)])


class EraseForm(LearnerForm):
    """Erase a learner; the box must be ticked."""

    confirm = BooleanField(
        "I understand that this cannot be undone",
        validators=[DataRequired(message="Tick the box to confirm.")],
    )


@bp.get("/metrics")
@csrf.exempt
@token_guarded("METRICS_TOKEN (Authorization: Bearer)")
def metrics() -> Response:
    """Who may see it: a scraper holding METRICS_TOKEN (Authorization: Bearer)."""
    token = ops_settings().metrics_token
    if not token:
        abort(404)
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), token.encode()):
        response = Response("a valid bearer token is required\n", 401, mimetype="text/plain")
        response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    body = render_metrics(get_store(), installation_prefix(current_app))
    return Response(body, mimetype="text/plain; version=0.0.4")


def _download(document: dict[str, Any], name: str) -> Response:
    response = Response(json.dumps(document, indent=2, sort_keys=True), mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/lti/my-data")
@require_launch()
def my_data() -> Response:
    """Who may see it: the launched learner, for their own data only."""
    ctx = current_launch()
    document = export_learner(ctx.learner_id, actor="learner")
    db.session.commit()
    return _download(document, "microcred-my-data.json")


def _admin_page(template: str, status: int = 200, **values: Any) -> tuple[Response, int]:
    html = render_template(template, admin_user=current_admin(), **values)
    response = Response(html, status, mimetype="text/html")
    nonce = g.get("csp_nonce", "")
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; "
        f"script-src 'self' 'nonce-{nonce}'; style-src 'self' 'nonce-{nonce}'; "
        "img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    )
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cache-Control"] = "no-store"
    return response, status


def _outbox() -> dict[str, Any]:
    tables = set(sa.inspect(db.engine).get_table_names())
    if "outbox_scores" not in tables:
        return {"available": False, "counts": {}, "rows": []}
    counts: dict[str, int] = dict(
        db.session.execute(
            sa.text("SELECT status, count(*) FROM outbox_scores GROUP BY status")
        ).all()
    )
    rows = (
        db.session.execute(
            sa.text(
                "SELECT o.id, r.name, r.issuer, o.label, o.status, o.tries, o.last_status,"
                " o.last_error, o.created_at, o.next_try_at FROM outbox_scores o"
                " JOIN registrations r ON r.id = o.registration_id"
                " ORDER BY o.status, o.created_at LIMIT :n"
            ),
            {"n": OUTBOX_ROWS},
        )
        .mappings()
        .all()
    )
    return {"available": True, "counts": counts, "rows": rows}


@bp.route("/admin/operations", methods=["GET"])
@require_admin
def operations() -> tuple[Response, int]:
    """Who may see it: admin accounts."""
    return _admin_page(
        "ops/operations.html",
        outbox=_outbox(),
        errors=list_recent_errors(get_store(), installation_prefix(current_app)),
        export_form=LearnerForm(prefix="export"),
        erase_form=EraseForm(prefix="erase"),
    )


def _admin_actor() -> str:
    """How the privacy audit names the signed-in admin (the view's guard made sure of one)."""
    user = current_admin()
    assert user is not None
    return f"admin {user.username}"


@bp.post("/admin/operations/export")
@require_admin
def admin_export() -> Any:
    """Who may see it: admin accounts. Downloads one learner's data (a POST: it is audited)."""
    form = LearnerForm(prefix="export")
    if form.validate_on_submit():
        try:
            document = export_learner(form.learner_id.data or 0, actor=_admin_actor())
        except NotFoundError as exc:
            form.learner_id.errors = [exc.message]
        else:
            db.session.commit()
            return _download(document, f"microcred-learner-{form.learner_id.data}.json")
    return _admin_page(
        "ops/operations.html",
        422,
        outbox=_outbox(),
        errors=list_recent_errors(get_store(), installation_prefix(current_app)),
        export_form=form,
        erase_form=EraseForm(formdata=None, prefix="erase"),
    )


@bp.post("/admin/operations/erase")
@require_admin
def admin_erase() -> Any:
    """Who may see it: admin accounts. Erases one learner's personal data."""
    form = EraseForm(prefix="erase")
    if form.validate_on_submit():
        learner_id = form.learner_id.data or 0
        try:
            report = erase_learner(learner_id, actor=_admin_actor())
        except NotFoundError as exc:
            db.session.rollback()
            form.learner_id.errors = [exc.message]
        else:
            db.session.commit()
            kept = sum(report.kept.values())
            flash(
                f"Learner {learner_id} is erased: {sum(report.deleted.values())} rows deleted, "
                f"{kept} issued credentials kept (they hold no personal data).",
                "success",
            )
            return redirect(url_for(".operations"))
    return _admin_page(
        "ops/operations.html",
        422,
        outbox=_outbox(),
        errors=list_recent_errors(get_store(), installation_prefix(current_app)),
        export_form=LearnerForm(formdata=None, prefix="export"),
        erase_form=form,
    )
