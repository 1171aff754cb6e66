"""The registrar area (blueprint "registrar" at /registrar): the review queue, evidence and
decisions, pathways (import, edit, eligibility, charts). Exports are in export_views.py.

Who may see every view: a registrar (access.require_registrar); nobody else sees any data.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Blueprint, Response, redirect, render_template, request
from werkzeug.wrappers import Response as BaseResponse

from ..errors import ConflictError, NotFoundError, ValidationError
from ..extensions import db
from ..lti.session import lti_url_for
from . import cases, charts, evidence, exports, history, issuing, pathways, queue
from .access import current_registrar, require_registrar
from .web import form_dict, notify, registrar_globals, registrar_headers

log = logging.getLogger(__name__)

bp = Blueprint("registrar", __name__, url_prefix="/registrar")
bp.after_request(registrar_headers)
bp.context_processor(registrar_globals)

Page = str | tuple[str, int] | BaseResponse  # redirects are werkzeug's


def _actor() -> str:
    who = current_registrar()
    assert who is not None  # the guard ran
    return who.actor


@bp.get("/")
@require_registrar
def index() -> Page:
    """The review queue, filterable by pathway, status and eligibility date, paginated."""
    if cases.raise_revocation_alerts():
        db.session.commit()  # alerts show on the queue as soon as a credential is revoked
    f = queue.parse_filter(request.args.to_dict())
    page = queue.list_queue(f)
    return render_template(
        "registrar/queue.html",
        f=f,
        page=page,
        pathways=pathways.list_pathways(),
        statuses=("any", *queue.CASE_STATUSES),
    )


@bp.get("/cases/<int:case_id>")
@require_registrar
def case(case_id: int) -> Page:
    """The evidence of one case, its decision log and the decision form."""
    return _case_page(case_id)


def _case_page(
    case_id: int,
    problem: str | None = None,
    status: int = 200,
    values: dict[str, str] | None = None,
) -> Page:
    credit_case = cases.get_case(case_id)
    ev = evidence.gather(credit_case)
    return render_template(
        "registrar/case.html",
        ev=ev,
        case=credit_case,
        log=cases.decision_log(case_id),
        reasons=cases.REASON_CODES,
        problem=problem,
        values=values or {},
        hours=exports.case_hours(credit_case),
    ), status


@bp.post("/cases/<int:case_id>/decide")
@require_registrar
def decide(case_id: int) -> Page:
    """Record a decision; a bad form is shown again with every problem and nothing lost."""
    credit_case = cases.get_case(case_id)
    form = form_dict()
    try:
        entry = cases.decide(
            credit_case,
            form.get("action", ""),
            form.get("reason_code", ""),
            form.get("note", ""),
            _actor(),
        )
    except (ValidationError, ConflictError) as exc:
        db.session.rollback()
        return _case_page(case_id, exc.message, exc.status, form)
    db.session.commit()
    notify(f"Decision recorded: the case is now {entry.status_after}.", "success")
    return redirect(lti_url_for("registrar.case", case_id=case_id), 303)


@bp.get("/cases/<int:case_id>/clr.json")
@require_registrar
def case_clr(case_id: int) -> Response:
    """The learner's signed CLR (certificate and member credentials) as a download."""
    credit_case = cases.get_case(case_id)
    doc = issuing.clr_document(credit_case)
    if doc is None:
        raise NotFoundError("No CLR was issued for this case yet.")
    body = json.dumps(doc, indent=2, ensure_ascii=False)
    name = f"clr-{credit_case.pathway.slug}-case-{credit_case.id}.json"
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/pathways")
@require_registrar
def pathway_list() -> Page:
    """Every pathway, with the form to import a program file."""
    return render_template(
        "registrar/pathways.html", pathways=pathways.list_pathways(), problems=[]
    )


@bp.post("/pathways/import")
@require_registrar
def pathway_import() -> Page:
    """Import a program file (upload or pasted YAML); every error in the file is listed."""
    upload = request.files.get("program_file")
    text = upload.read().decode("utf-8", "replace") if upload and upload.filename else ""
    text = text or request.form.get("program_text", "")
    if not text.strip():
        problems = ["Choose a program.yml file or paste its text."]
    else:
        try:
            pathway, created = pathways.import_program(
                pathways.parse_program_text(text), by=_actor()
            )
        except pathways.ProgramFileError as exc:
            db.session.rollback()
            problems = [d.format() for d in exc.diagnostics]
        else:
            db.session.commit()
            notify(f"Pathway {pathway.title} {'imported' if created else 'updated'}.", "success")
            return redirect(lti_url_for("registrar.pathway_edit", pathway_id=pathway.id), 303)
    return render_template(
        "registrar/pathways.html",
        pathways=pathways.list_pathways(),
        problems=problems,
        program_text=text,
    ), 422


@bp.route("/pathways/<int:pathway_id>", methods=["GET", "POST"])
@require_registrar
def pathway_edit(pathway_id: int) -> Page:
    """Edit a pathway's rules and credit; every problem is shown at once, nothing is lost."""
    pathway = pathways.get_pathway(pathway_id)
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    if request.method == "POST":
        edit = pathways.parse_edit(pathway, form_dict())
        errors, values = edit.errors, form_dict()
        if not errors:
            changed = pathways.apply_edit(pathway, edit, by=_actor())
            db.session.commit()
            log.info("pathway %s edited by %s: %s", pathway.slug, _actor(), changed)
            notify("Saved." if changed else "Nothing changed.", "success")
            return redirect(lti_url_for("registrar.pathway_edit", pathway_id=pathway.id), 303)
    return render_template(
        "registrar/pathway.html",
        pathway=pathway,
        errors=errors,
        values=values,
        levels=pathways.LEVELS,
        grade_modes=pathways.GRADE_MODES,
        history=history.history(pathway),
        history_limit=history.PAGE_LIMIT,
    ), (422 if errors else 200)


@bp.post("/pathways/<int:pathway_id>/refresh")
@require_registrar
def pathway_refresh(pathway_id: int) -> Page:
    """Compute eligibility now: open cases (and issue stacks) for newly eligible learners."""
    pathway = pathways.get_pathway(pathway_id)
    result = cases.refresh_pathway(pathway)
    db.session.commit()
    notify(
        f"{result.opened} newly eligible learner(s) added to the queue; "
        f"{result.alerts} new alert(s).",
        "success",
    )
    return redirect(lti_url_for("registrar.index", pathway=pathway.id), 303)


@bp.get("/pathways/<int:pathway_id>/charts")
@require_registrar
def pathway_charts(pathway_id: int) -> Page:
    """The funnel and time to completion of one pathway, as SVG and as tables."""
    pathway = pathways.get_pathway(pathway_id)
    funnel, ttc = charts.funnel(pathway), charts.time_to_completion(pathway)
    return render_template(
        "registrar/charts.html",
        pathway=pathway,
        funnel=funnel,
        ttc=ttc,
        funnel_svg=charts.bar_chart_svg(funnel, f"Funnel of {pathway.title}", "funnel"),
        ttc_svg=charts.bar_chart_svg(ttc, "Time to completion", "ttc"),
    )
