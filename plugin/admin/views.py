"""The admin area (blueprint "admin" at /admin): sign-in, registrations, deployments, keys, LMSs.

Each view says who may see it. Views parse the form, call a service, commit once, render.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response

from ..access import public
from ..db import utcnow
from ..errors import ConflictError, ValidationError
from ..extensions import db
from ..lti import services as lti
from ..lti.models import Deployment, Registration
from ..web import settings
from . import auth
from .auth import current_admin, require_admin, require_signed_in
from .forms import (
    ChangePasswordForm,
    ConfirmForm,
    RegistrationForm,
    RotateKeyForm,
    SignInForm,
    attach_service_error,
    registration_labels,
)
from .guides import GUIDES
from .lms import SCOPES, show, tool_values
from .services import authenticate, change_password

log = logging.getLogger(__name__)

bp = Blueprint("admin", __name__, url_prefix="/admin")

Page = str | tuple[str, int] | Response


@bp.after_request
def _admin_headers(response: Response) -> Response:
    # First-party pages with secrets in forms: never framed, never cached, scripts only by nonce.
    nonce = g.get("csp_nonce", "")
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; "
        f"script-src 'self' 'nonce-{nonce}'; style-src 'self' 'nonce-{nonce}'; "
        "img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    )
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.context_processor
def _admin_globals() -> dict[str, Any]:
    return {"admin_user": current_admin(), "guides": GUIDES}


# --- signing in and out: anyone may try; sign-out and password need a signed-in account ---


@bp.route("/sign-in", methods=["GET", "POST"])
@public("the sign-in page itself")
def sign_in() -> Page:
    """Who may see it: anyone. Signed-in visitors go straight to the dashboard."""
    if request.method == "GET" and current_admin() is not None:
        return redirect(auth.safe_next(request.args.get("next")) or url_for(".dashboard"))
    form = SignInForm(next=request.args.get("next", ""))
    problem = None
    status = 200
    if form.validate_on_submit():
        username, password = form.username.data or "", form.password.data or ""
        if not auth.note_sign_in_attempt(username):
            problem = (
                "Too many sign-in attempts for this username from your network address. "
                f"Wait {auth.FAILURE_WINDOW_SECONDS // 60} minutes and try again."
            )
            status = 429
            log.warning("admin sign-in rate limit reached from %s", request.remote_addr)
        elif (user := authenticate(username, password)) is not None:
            db.session.commit()
            auth.clear_sign_in_attempts(username)
            auth.sign_in(user)
            log.info("admin %s signed in", user.username)
            return redirect(auth.safe_next(form.next.data) or url_for(".dashboard"))
        else:
            problem = "The username or password is not right."
            status = 422
    elif form.is_submitted():
        status = 422
    return render_template("admin/sign_in.html", form=form, problem=problem), status


@bp.route("/sign-out", methods=["GET", "POST"])
@require_signed_in
def sign_out() -> Page:
    """Who may see it: any signed-in account. GET asks, POST signs out."""
    form = ConfirmForm()
    if form.validate_on_submit():
        auth.sign_out()
        flash("You are signed out.", "success")
        return redirect(url_for(".sign_in"))
    return render_template("admin/sign_out.html", form=form)


@bp.route("/account/password", methods=["GET", "POST"])
@require_signed_in
def account_password() -> Page:
    """Who may see it: any signed-in account, for its own password."""
    user = current_admin()
    assert user is not None
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            change_password(user, form.current_password.data or "", form.new_password.data or "")
        except ValidationError as exc:
            db.session.rollback()
            target = form.current_password if "current" in exc.message else form.new_password
            target.errors = [*target.errors, exc.message]
        else:
            db.session.commit()
            auth.sign_in(user)  # the old fingerprint no longer matches; keep this browser in
            flash("Your password is changed. Other browsers are signed out.", "success")
            return redirect(url_for(".dashboard"))
    status = 422 if form.errors else 200
    return render_template("admin/account_password.html", form=form), status


@bp.get("/")
@require_signed_in
def dashboard() -> Page:
    """Who may see it: any signed-in account; the counts are shown to admins only."""
    user = current_admin()
    counts = None
    if user is not None and user.has_role("admin"):
        registrations = lti.list_registrations()
        counts = {
            "registrations": len(registrations),
            "active_registrations": sum(1 for r in registrations if r.active),
            "pending_deployments": len(lti.list_deployments("pending")),
            "keys": len(lti.list_tool_keys()),
        }
    registrar_url = (
        url_for("registrar.index") if "registrar.index" in current_app.view_functions else None
    )
    return render_template("admin/dashboard.html", counts=counts, registrar_url=registrar_url)


# --- registrations: admins only ---


def _registration_or_404(reg_id: int) -> Registration:
    reg = lti.get_registration(reg_id)
    if reg is None:
        abort(404)
    return reg


@bp.get("/registrations")
@require_admin
def registrations() -> Page:
    """Who may see it: admins."""
    return render_template(
        "admin/registrations.html", registrations=lti.list_registrations(), form=ConfirmForm()
    )


@bp.route("/registrations/new", methods=["GET", "POST"])
@require_admin
def registration_new() -> Page:
    """Who may see it: admins. `?lms=canvas` fills in what that LMS always uses."""
    guide = GUIDES.get(request.args.get("lms", ""))
    form = RegistrationForm(data=dict(guide.prefill) if guide else None)
    problem = None
    if form.validate_on_submit():
        try:
            reg = lti.create_registration(
                **form.service_fields(), deployment_ids=tuple(form.parsed_deployment_ids())
            )
        except (ValidationError, ConflictError) as exc:
            db.session.rollback()
            problem = attach_service_error(form, exc)
        else:
            db.session.commit()
            log.info("registration %s added by %s", reg.id, _who())
            flash(f"Added {reg.label}.", "success")
            return redirect(url_for(".registrations"))
    status = 422 if form.errors or problem else 200
    return render_template(
        "admin/registration_form.html",
        form=form,
        problem=problem,
        registration=None,
        guide=guide,
    ), status


@bp.route("/registrations/<int:reg_id>/edit", methods=["GET", "POST"])
@require_admin
def registration_edit(reg_id: int) -> Page:
    """Who may see it: admins. New deployment ids are added as active."""
    reg = _registration_or_404(reg_id)
    form = RegistrationForm(obj=reg if request.method == "GET" else None)
    if request.method == "GET":
        form.deployment_ids.data = ""
    problem = None
    if form.validate_on_submit():
        try:
            lti.update_registration(reg, **form.service_fields())
            known = {d.deployment_id for d in reg.deployments}
            for deployment_id in form.parsed_deployment_ids():
                if deployment_id not in known:
                    lti.add_deployment(reg, deployment_id, status="active")
        except (ValidationError, ConflictError) as exc:
            db.session.rollback()
            problem = attach_service_error(form, exc)
        else:
            db.session.commit()
            log.info("registration %s changed by %s", reg.id, _who())
            flash(f"Saved {reg.label}.", "success")
            return redirect(url_for(".registrations"))
    status = 422 if form.errors or problem else 200
    return render_template(
        "admin/registration_form.html",
        form=form,
        problem=problem,
        registration=reg,
        guide=GUIDES.get(reg.product),
    ), status


@bp.post("/registrations/<int:reg_id>/<any(enable, disable):action>")
@require_admin
def registration_set_active(reg_id: int, action: str) -> Page:
    """Who may see it: admins. A disabled registration's launches are refused."""
    reg = _registration_or_404(reg_id)
    if ConfirmForm().validate_on_submit():
        lti.set_registration_active(reg, action == "enable")
        db.session.commit()
        log.info("registration %s %sd by %s", reg.id, action, _who())
        flash(f"{reg.label} is {'enabled' if action == 'enable' else 'disabled'}.", "success")
    return redirect(url_for(".registrations"))


# --- deployments: admins only ---


@bp.get("/deployments")
@require_admin
def deployments() -> Page:
    """Who may see it: admins. Pending first: they wait for a decision."""
    groups = {status: lti.list_deployments(status) for status in ("pending", "active", "disabled")}
    return render_template("admin/deployments.html", groups=groups, form=ConfirmForm())


@bp.post("/deployments/<int:dep_pk>/<any(approve, disable):action>")
@require_admin
def deployment_decide(dep_pk: int, action: str) -> Page:
    """Who may see it: admins. Approving makes the deployment active."""
    dep = db.session.get(Deployment, dep_pk)
    if dep is None:
        abort(404)
    if ConfirmForm().validate_on_submit():
        lti.set_deployment_status(dep, "active" if action == "approve" else "disabled")
        db.session.commit()
        log.info("deployment %s %sd by %s", dep.id, action, _who())
        verb = "approved" if action == "approve" else "disabled"
        flash(f"Deployment {dep.deployment_id} of {dep.registration.label} is {verb}.", "success")
    return redirect(url_for(".deployments"))


# --- tool keys: admins only ---


@bp.route("/keys", methods=["GET", "POST"])
@require_admin
def keys() -> Page:
    """Who may see it: admins. POST rotates the signing key once the box is ticked."""
    form = RotateKeyForm()
    if form.validate_on_submit():
        key = lti.rotate_tool_key()
        db.session.commit()
        log.info("tool key rotated by %s; new kid %s", _who(), key.kid)
        flash(
            f"The new key {key.kid} signs from now on. The previous key stays published for "
            f"{settings().key_rotation_overlap_days} days so platforms can still check it.",
            "success",
        )
        return redirect(url_for(".keys"))
    status = 422 if form.errors else 200
    return render_template(
        "admin/keys.html",
        keys=lti.list_tool_keys(),
        form=form,
        now=utcnow(),
        overlap_days=settings().key_rotation_overlap_days,
    ), status


# --- connect an LMS: admins only ---


@bp.get("/connect/")
@require_admin
def connect_index() -> Page:
    """Who may see it: admins."""
    return render_template(
        "admin/connect_index.html", values=tool_values(lti.tool_urls()), scopes=SCOPES
    )


@bp.get("/connect/<lms>")
@require_admin
def connect(lms: str) -> Page:
    """Who may see it: admins. What to paste where in one LMS, with this tool's URLs."""
    guide = GUIDES.get(lms)
    if guide is None:
        abort(404)
    values = tool_values(lti.tool_urls())
    return render_template(
        "admin/connect.html",
        guide=guide,
        values=values,
        show=show,
        scopes=SCOPES,
        auto_approve=settings().auto_approve_registrations,
        field_labels=registration_labels(),
    )


def _who() -> str:
    user = current_admin()
    return user.username if user else "?"
