"""The learner's pages: course outline, module page with quizzes, autosave, hints, submit and
the feedback page. Views parse input, call the services, commit, then render or redirect.

Every state-changing request carries the launch session token itself (form field or bearer
header), which is also its CSRF protection; pages work in an LMS iframe and in a new window.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, jsonify, redirect, render_template, request
from werkzeug.wrappers import Response as BaseResponse

from ..catalog.models import CourseVersion
from ..catalog.packages import CourseContent, get_content
from ..catalog.services import assets_base
from ..errors import NotFoundError, ValidationError
from ..extensions import db
from ..lti.session import current_launch, get_launch, lti_url_for, require_launch
from . import services
from .models import Attempt, Enrollment
from .pages import SlotView, module_body, question_view, review_view
from .progress import course_progress
from .quizzes import AnswerError, answers_from_form, module_slots

log = logging.getLogger(__name__)

bp = Blueprint("learning", __name__, url_prefix="/learn")


@bp.context_processor
def _staff() -> dict[str, Any]:
    """Instructors and admins see the publishing pages in the page header."""
    ctx = get_launch()  # None on an error page for a missing session
    return {"staff": bool(ctx and (ctx.is_instructor or ctx.is_admin))}


def _course(course_id: str) -> tuple[Enrollment, CourseVersion, CourseContent]:
    enrollment, version = services.enroll(current_launch(), course_id)
    return enrollment, version, get_content(version)


def _no_store(page: str, status: int = 200) -> Response:
    response = Response(page, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"  # answers and scores of one person
    return response


@bp.get("/<course_id>/")
@require_launch()
def outline(course_id: str) -> BaseResponse:
    """The course outline: modules with progress and score, and where to continue."""
    enrollment, version, content = _course(course_id)
    progress = course_progress(
        content, services.list_attempts(enrollment), services.list_visits(enrollment)
    )
    resume = services.last_visited_module(enrollment)
    started = resume is not None
    if resume is None or content.module(resume) is None:
        resume = next((m.id for m in progress.modules if not m.complete), None)
    db.session.commit()
    return _no_store(
        render_template(
            "learning/outline.html",
            title=version.title,
            version=version,
            progress=progress,
            resume=content.module(resume) if resume else None,
            resume_label="Continue" if started else "Start",
            enrollment=enrollment,
        )
    )


def _slot_views(
    enrollment: Enrollment, content: CourseContent, module: dict[str, Any], version: CourseVersion
) -> dict[str, SlotView]:
    """Each quiz of the module with its attempts; the first attempt opens on the first visit."""
    ctx = current_launch()
    views: dict[str, SlotView] = {}
    slots = module_slots(content, module)
    by_quiz: dict[str, list[Attempt]] = {slot.id: [] for slot in slots}
    if slots:  # one query for every quiz of the module
        for attempt in services.list_attempts(enrollment, quiz_ids=list(by_quiz)):
            by_quiz[attempt.quiz_id].append(attempt)
    for number, slot in enumerate(slots, start=1):
        attempts = by_quiz[slot.id]
        if not attempts:
            attempts = [
                services.start_attempt(ctx, enrollment, content, version, slot, existing=[])
            ]
        open_attempt = next((a for a in attempts if a.is_open), None)
        views[slot.id] = SlotView(
            slot, number, attempts, open_attempt, services.attempts_left(slot, attempts)
        )
    return views


@bp.get("/<course_id>/<module_id>")
@require_launch()
def module(course_id: str, module_id: str) -> BaseResponse:
    """A module: the author's text with each quiz as a form (or its result)."""
    enrollment, version, content = _course(course_id)
    module_data = content.module(module_id)
    if module_data is None:
        raise NotFoundError(f"This course has no module {module_id!r}.")
    services.record_visit(enrollment, module_id)
    slots = _slot_views(enrollment, content, module_data, version)

    def render_slot(quiz_id: str) -> Any:
        view = slots.get(quiz_id)
        if view is None:
            return ""
        questions = (
            [
                question_view(content, view.open_attempt, qid)
                for qid in view.open_attempt.question_ids
            ]
            if view.open_attempt
            else []
        )
        return render_template(
            "learning/_slot.html",
            view=view,
            questions=questions,
            course_id=course_id,
            order_problem=request.args.get("order"),
        )

    body = module_body(
        content.module_html(module_id), assets_base(content.content_hash), render_slot
    )
    modules = content.modules
    index = next(i for i, m in enumerate(modules) if m["id"] == module_id)
    page = render_template(
        "learning/module.html",
        title=f"{module_data['title']} · {version.title}",
        version=version,
        module=module_data,
        body=body,
        course_id=course_id,
        previous=modules[index - 1] if index > 0 else None,
        next=modules[index + 1] if index + 1 < len(modules) else None,
    )
    # The visit and any new attempt are kept before the page goes out; committing after the
    # page is made spares reloading every attempt and the version the commit would expire.
    db.session.commit()
    return _no_store(page)


def _own_attempt(attempt_id: int) -> tuple[Attempt, CourseContent]:
    attempt = services.get_own_attempt(current_launch().learner_id, attempt_id)
    version = db.session.get(CourseVersion, attempt.course_version_id)
    assert version is not None
    return attempt, get_content(version)


def _module_url(attempt: Attempt, content: CourseContent, anchor: str = "") -> str:
    url = lti_url_for("learning.module", course_id=content.course_id, module_id=attempt.module_id)
    return f"{url}#{anchor}" if anchor else url


@bp.put("/attempts/<int:attempt_id>/answers")
@require_launch()
def autosave(attempt_id: int) -> tuple[Response, int]:
    """Autosave (JavaScript): the form's fields, form-encoded, merged into the open attempt."""
    attempt, content = _own_attempt(attempt_id)
    try:
        answers, _ = answers_from_form(
            request.form, attempt.question_ids, content.public, attempt.display or {}
        )
    except AnswerError as exc:
        raise ValidationError(
            f"Your answers could not be saved: {exc}.", code="ANSWERS_INVALID"
        ) from exc
    services.save_answers(attempt, answers)
    db.session.commit()
    saved = attempt.saved_at.isoformat() if attempt.saved_at else None
    return jsonify({"status": "saved", "saved_at": saved}), 200


@bp.post("/attempts/<int:attempt_id>")
@require_launch()
def act(attempt_id: int) -> BaseResponse:
    """The quiz form without JavaScript: save, reveal a hint, or submit (graded once)."""
    ctx = current_launch()
    attempt, content = _own_attempt(attempt_id)
    action = request.form.get("action", "submit")
    anchor = f"quiz-{attempt.quiz_id}"
    if not attempt.is_open:
        return redirect(lti_url_for("learning.feedback", attempt_id=attempt.id), 303)
    try:
        answers, bad_order = answers_from_form(
            request.form, attempt.question_ids, content.public, attempt.display or {}
        )
    except AnswerError as exc:
        raise ValidationError(
            f"Your answers could not be read: {exc}.", code="ANSWERS_INVALID"
        ) from exc
    if action.startswith("hint:"):
        services.save_answers(attempt, answers)
        services.reveal_hint(attempt, content, action[5:])
        db.session.commit()
        return redirect(_module_url(attempt, content, f"q-{action[5:]}-hints"), 303)
    if action == "save" or bad_order:
        services.save_answers(attempt, answers)
        db.session.commit()
        if bad_order:  # not submitted: say why, next to the question
            url = lti_url_for(
                "learning.module",
                course_id=content.course_id,
                module_id=attempt.module_id,
                order=bad_order[0],
            )
            return redirect(f"{url}#q-{bad_order[0]}", 303)
        return redirect(_module_url(attempt, content, anchor), 303)
    outcome = services.submit_attempt(ctx, attempt, answers)
    db.session.commit()
    services.announce(outcome, ctx)
    return redirect(lti_url_for("learning.feedback", attempt_id=attempt.id), 303)


@bp.post("/<course_id>/<module_id>/quizzes/<quiz_id>/attempts")
@require_launch()
def start(course_id: str, module_id: str, quiz_id: str) -> BaseResponse:
    """Start the next attempt at a quiz (refused with a clear page when none are left)."""
    enrollment, version, content = _course(course_id)
    slot = services.slot_of(content, module_id, quiz_id)
    services.start_attempt(current_launch(), enrollment, content, version, slot)
    db.session.commit()
    url = lti_url_for("learning.module", course_id=course_id, module_id=module_id)
    return redirect(f"{url}#quiz-{quiz_id}", 303)


@bp.get("/attempts/<int:attempt_id>/feedback")
@require_launch()
def feedback(attempt_id: int) -> BaseResponse:
    """A graded attempt: score, and per question the feedback and explanation as authored."""
    attempt, content = _own_attempt(attempt_id)
    if attempt.is_open:
        return redirect(_module_url(attempt, content, f"quiz-{attempt.quiz_id}"), 303)
    module_data = content.module(attempt.module_id) or {"id": attempt.module_id, "title": ""}
    slot = services.slot_of(content, attempt.module_id, attempt.quiz_id)
    enrollment = db.session.get(Enrollment, attempt.enrollment_id)
    assert enrollment is not None
    left = services.attempts_left(slot, services.list_attempts(enrollment, slot.id))
    questions = [
        review_view(content, attempt, qid, show_solution=left == 0) for qid in attempt.question_ids
    ]
    return _no_store(
        render_template(
            "learning/feedback.html",
            title=f"Feedback · {module_data.get('title')}",
            attempt=attempt,
            module=module_data,
            course_id=content.course_id,
            questions=questions,
            left=left,
            slot=slot,
            course_title=content.course.get("title"),
        )
    )
