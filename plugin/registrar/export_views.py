"""Registrar exports (blueprint "registrar_exports" at /registrar/exports): SIS templates, CSV
batches (made, re-downloaded, marked posted once), and the LTI roles mapped to registrar.

Who may see every view: a registrar; the role mapping: an admin.
"""

from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template
from werkzeug.wrappers import Response as BaseResponse

from ..admin.auth import current_admin, require_admin
from ..errors import ConflictError, ValidationError
from ..extensions import db
from ..lti.session import lti_url_for
from . import access, exports
from .access import current_registrar, require_registrar
from .web import form_dict, notify, registrar_globals, registrar_headers

bp = Blueprint("registrar_exports", __name__, url_prefix="/registrar")
bp.after_request(registrar_headers)
bp.context_processor(registrar_globals)

Page = str | tuple[str, int] | BaseResponse  # redirects are werkzeug's


def _actor() -> str:
    who = current_registrar()
    assert who is not None
    return who.actor


def _page(problem: str | None = None, status: int = 200) -> Page:
    return render_template(
        "registrar/exports.html",
        templates=exports.list_templates(),
        batches=exports.list_batches(),
        waiting=len(exports.exportable_cases()),
        held=exports.exportable_cases(held=True),
        problem=problem,
    ), status


@bp.get("/exports/")
@require_registrar
def index() -> Page:
    """Export batches, the approved credit waiting, and the SIS templates."""
    page = _page()
    db.session.commit()  # the presets made on first visit
    return page


@bp.post("/exports/")
@require_registrar
def create() -> Page:
    """Freeze the approved credit waiting into a new batch, laid out by the chosen template."""
    form = form_dict()
    try:
        template = exports.get_template(int(form.get("template_id") or 0))
        batch = exports.create_batch(template, _actor())
    except (ValidationError, ValueError) as exc:
        db.session.rollback()
        return _page(getattr(exc, "message", "Choose a template."), 422)
    db.session.commit()
    notify(
        f"Batch {batch.id} made with {batch.row_count} row(s). Download it, load it into "
        "the SIS, then mark it posted.",
        "success",
    )
    return redirect(lti_url_for("registrar_exports.index"), 303)


@bp.get("/exports/<int:batch_id>.csv")
@require_registrar
def download(batch_id: int) -> Response:
    """The batch's CSV exactly as it was made (re-downloadable any time)."""
    batch = exports.get_batch(batch_id)
    name = f"credit-batch-{batch.id}-{batch.template.lower().replace(' ', '-')}.csv"
    return Response(
        batch.csv_text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.post("/exports/<int:batch_id>/posted")
@require_registrar
def posted(batch_id: int) -> Page:
    """Mark a batch posted to the SIS; a second time is refused with who and when."""
    batch = exports.get_batch(batch_id)
    try:
        exports.mark_posted(batch, _actor())
    except ConflictError as exc:
        db.session.rollback()
        return _page(exc.message, exc.status)
    db.session.commit()
    notify(f"Batch {batch.id} marked posted.", "success")
    return redirect(lti_url_for("registrar_exports.index"), 303)


@bp.route("/templates/<int:template_id>", methods=["GET", "POST"])
@bp.route("/templates/new", methods=["GET", "POST"], defaults={"template_id": 0})
@require_registrar
def template(template_id: int) -> Page:
    """Edit a template's column mapping (`Header = field` lines) or make a new one."""
    tpl = exports.get_template(template_id) if template_id else None
    form = form_dict()
    name = form.get("name", tpl.name if tpl else "")
    columns = form.get("columns", exports.columns_text(tpl) if tpl else "")
    problem = None
    if form:
        try:
            tpl = exports.save_template(name, columns, tpl)
        except ValidationError as exc:
            db.session.rollback()
            problem = exc.message
        else:
            db.session.commit()
            notify(f"Template {tpl.name} saved.", "success")
            return redirect(lti_url_for("registrar_exports.index"), 303)
    return render_template(
        "registrar/template.html",
        tpl=tpl,
        name=name,
        columns=columns,
        problem=problem,
        fields=exports.FIELDS,
    ), (422 if problem else 200)


@bp.route("/roles", methods=["GET", "POST"])
@require_admin
def roles() -> Page:
    """The LTI roles whose holders may use the registrar area; only admins see and change it."""
    user = current_admin()
    form = form_dict()
    problem = None
    if form:
        try:
            form.pop("csrf_token", None)
            if form.get("remove"):
                access.unmap_role(int(form["remove"]))
            else:
                access.map_role(form.get("role", ""), f"account:{user.username}")  # type: ignore[union-attr]
        except ValidationError as exc:
            db.session.rollback()
            problem = exc.message
        else:
            db.session.commit()
            notify("Saved.", "success")
            return redirect(lti_url_for("registrar_exports.roles"), 303)
    return render_template(
        "registrar/roles.html",
        roles=access.mapped_roles(),
        problem=problem,
        value=form.get("role", ""),
    ), (422 if problem else 200)
