"""Launched credential pages: the learner's wallet ("My credentials") with DID binding, and the
instructor's list of the course's awards with revocation."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from flask import redirect, render_template, request
from sqlalchemy import select

from ..errors import AccessDenied, MicrocredError
from ..extensions import db
from ..lti.models import Learner
from ..lti.session import current_launch, lti_url_for, require_launch
from . import holders, services
from .achievements import badge_url
from .listeners import announce
from .models import Award
from .status import award_url, verify_url
from .views import _award, bp

DONE_MESSAGES = {
    "did": "Your DID is bound: credentials issued from now on name it as their subject.",
    "revoked": "The credential is revoked. Verifiers see this at once.",
}


def linkedin_url(award: Award, credential: dict[str, Any]) -> str:
    """LinkedIn's "Add license or certification" link, filled in."""
    params = {
        "startTask": "CERTIFICATION_NAME",
        "name": credential.get("name") or award.achievement_id,
        "organizationName": (credential.get("issuer") or {}).get("name", ""),
        "issueYear": award.issued_at.year,
        "issueMonth": award.issued_at.month,
        "certUrl": verify_url(award.public_id),
        "certId": award.public_id,
    }
    if award.valid_until is not None:
        params.update(
            expirationYear=award.valid_until.year, expirationMonth=award.valid_until.month
        )
    return "https://www.linkedin.com/profile/add?" + urlencode(params)


def _card(award: Award) -> dict[str, Any]:
    credential = json.loads(award.credential_json)
    achievement = credential["credentialSubject"]["achievement"]
    return {
        "award": award,
        "name": credential.get("name") or achievement.get("name"),
        "description": achievement.get("description", ""),
        "issuer": (credential.get("issuer") or {}).get("name", ""),
        "badge_url": badge_url(award.achievement_id),
        "json_url": award_url(award.public_id) + "?download=1",
        "pdf_url": award_url(award.public_id) + "/certificate.pdf",
        "verify_url": verify_url(award.public_id),
        "linkedin_url": linkedin_url(award, credential),
    }


def _wallet(error: str | None = None, did_value: str = "", status: int = 200) -> Any:
    ctx = current_launch()
    made = holders.award_pending_completions(ctx.learner_id)
    created = services.new_awards()
    db.session.commit()
    if made:
        from flask import current_app

        announce(current_app._get_current_object(), created)  # type: ignore[attr-defined]
    html = render_template(
        "credentials/wallet.html",
        ctx=ctx,
        cards=[_card(a) for a in services.list_awards(ctx.learner_id)],
        bound_did=holders.get_bound_did(ctx.learner_id),
        error=error,
        did_value=did_value,
        done=DONE_MESSAGES.get(request.args.get("done", "")),
        title="My credentials",
    )
    return html, status


@bp.get("/credentials/wallet")
@require_launch()
def wallet() -> Any:
    """My credentials: badge, JSON, PDF certificate, share and LinkedIn links, DID binding."""
    return _wallet()


@bp.post("/credentials/wallet/did")
@require_launch()
def bind_did() -> Any:
    """Bind a did:key; a wrong value is shown back with the reason, nothing is lost."""
    ctx = current_launch()
    value = request.form.get("did", "")
    try:
        holders.bind_did(ctx.learner_id, value)
    except MicrocredError as exc:
        db.session.rollback()
        return _wallet(error=exc.message, did_value=value, status=422)
    db.session.commit()
    return redirect(lti_url_for("credentials.wallet", done="did"), code=303)


def _course_awards() -> list[tuple[Award, Learner]]:
    """Awards of learners enrolled through this LMS course (all awards for an administrator)."""
    from ..learning.models import Enrollment

    ctx = current_launch()
    query = select(Award, Learner).join(Learner, Learner.id == Award.learner_id)
    if not ctx.is_admin:
        query = query.join(
            Enrollment,
            (Enrollment.learner_id == Award.learner_id) & (Enrollment.course_id == Award.course_id),
        ).where(Enrollment.context_pk == ctx.context_pk)
    rows = db.session.execute(query.order_by(Award.issued_at.desc()).limit(500))
    return [(award, learner) for award, learner in rows]


@bp.get("/credentials/manage")
@require_launch(roles=("instructor", "admin"))
def manage() -> Any:
    """The course's awards, each with a revoke form (instructors and administrators)."""
    return render_template(
        "credentials/manage.html",
        rows=_course_awards(),
        done=DONE_MESSAGES.get(request.args.get("done", "")),
        title="Course credentials",
        error=None,
    )


@bp.post("/credentials/awards/<public_id>/revoke")
@require_launch(roles=("instructor", "admin"))
def revoke(public_id: str) -> Any:
    """Revoke with a reason; the status list is re-signed and its cache dropped at once."""
    ctx = current_launch()
    award = _award(public_id)
    if award.id not in {a.id for a, _ in _course_awards()}:
        raise AccessDenied("This credential was not earned in your course.")
    by = f"{ctx.name or ctx.email or ctx.sub} ({ctx.issuer})"
    try:
        services.revoke(award.id, request.form.get("reason", ""), by)
    except MicrocredError as exc:
        db.session.rollback()
        html = render_template(
            "credentials/manage.html",
            rows=_course_awards(),
            done=None,
            title="Course credentials",
            error=exc.message,
            failed_id=public_id,
            reason=request.form.get("reason", ""),
        )
        return html, exc.status
    db.session.commit()
    return redirect(lti_url_for("credentials.manage", done="revoked"), code=303)
