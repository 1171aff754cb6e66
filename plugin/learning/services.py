"""The learning feature's rules: enrollment and version pinning, visits, attempts (start,
autosave, hints, submit exactly once), scores, and the course completion rule.

Services flush, never commit. `submit_attempt` returns what happened; the caller commits and
then calls `announce(outcome)`, which sends `attempt_graded` and (once per enrollment)
`course_completed`. Concurrency is settled by the database: conditional UPDATEs
(`... WHERE status = 'open'`, `... WHERE completed_at IS NULL`) and INSERT ... ON CONFLICT.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite

from authoring.grading import attempt_credit

from .. import signals
from ..catalog.models import CourseVersion
from ..catalog.packages import CourseContent, get_content
from ..catalog.services import choose_version, list_versions
from ..db import utcnow
from ..errors import ConflictError, NotFoundError
from ..extensions import db
from ..lti.context import LaunchContext
from . import passback
from .models import Attempt, Enrollment, ModuleVisit
from .progress import course_progress
from .quizzes import (
    Slot,
    attempt_seed,
    grade_attempt,
    module_model,
    module_slots,
    plan_attempt,
)

log = logging.getLogger(__name__)


class AttemptClosed(ConflictError):
    code = "ATTEMPT_SUBMITTED"
    title = "This attempt was already submitted"


class NoAttemptsLeft(ConflictError):
    code = "NO_ATTEMPTS_LEFT"
    title = "No attempts left"


def _insert(table: Any) -> Any:
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


# --- enrollment and visits -------------------------------------------------------------------


def get_enrollment(learner_id: int, course_id: str) -> Enrollment | None:
    return db.session.execute(
        db.select(Enrollment).where(
            Enrollment.learner_id == learner_id, Enrollment.course_id == course_id
        )
    ).scalar_one_or_none()


def enroll(ctx: LaunchContext, course_id: str) -> tuple[Enrollment, CourseVersion]:
    """The learner's enrollment in a course and the version to show them.

    A first visit pins the newest version; later visits move forward to the newest version of
    the same major (compatible), never to another major. NotFoundError for unknown courses.
    """
    versions = list_versions(course_id)  # the pinned one among them: no query of its own below
    enrollment = get_enrollment(ctx.learner_id, course_id)
    if enrollment is None:
        newest = choose_version(versions)
        if newest is None:
            raise NotFoundError(f"There is no published course {course_id!r}.")
        enrollment = db.session.execute(
            _insert(Enrollment)
            .values(
                learner_id=ctx.learner_id,
                course_id=course_id,
                course_version_id=newest.id,
                context_pk=ctx.context_pk,
                started_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["learner_id", "course_id"])
            .returning(Enrollment)
        ).scalar_one_or_none() or get_enrollment(ctx.learner_id, course_id)  # or a twin's
        assert enrollment is not None
    pinned = db.session.get(CourseVersion, enrollment.course_version_id)
    current = choose_version(versions, pinned)
    if current is not None and pinned is not None and current.id != pinned.id:
        log.info(
            "enrollment %s moves from %s to %s", enrollment.id, pinned.version, current.version
        )
        enrollment.course_version_id = current.id
    if enrollment.context_pk is None and ctx.context_pk is not None:
        enrollment.context_pk = ctx.context_pk
    db.session.flush()
    version = current or pinned
    assert version is not None
    return enrollment, version


def record_visit(enrollment: Enrollment, module_id: str) -> None:
    """Remember that the learner opened a module now."""
    now = utcnow()
    stmt = _insert(ModuleVisit.__table__).values(
        enrollment_id=enrollment.id, module_id=module_id, first_seen_at=now, last_seen_at=now
    )
    db.session.execute(
        stmt.on_conflict_do_update(
            index_elements=["enrollment_id", "module_id"], set_={"last_seen_at": now}
        )
    )


def list_visits(enrollment: Enrollment) -> dict[str, ModuleVisit]:
    """Module id -> visit, for one enrollment."""
    rows = db.session.execute(
        db.select(ModuleVisit).where(ModuleVisit.enrollment_id == enrollment.id)
    ).scalars()
    return {v.module_id: v for v in rows}


def last_visited_module(enrollment: Enrollment) -> str | None:
    """The module the learner opened most recently ("continue where you left off")."""
    visits = list_visits(enrollment)
    if not visits:
        return None
    return max(visits.values(), key=lambda v: (v.last_seen_at, v.id)).module_id


# --- attempts --------------------------------------------------------------------------------


def list_attempts(
    enrollment: Enrollment, quiz_id: str | None = None, *, quiz_ids: Sequence[str] | None = None
) -> list[Attempt]:
    """The enrollment's attempts (of one quiz, or of `quiz_ids`, when given), by quiz and
    number."""
    query = db.select(Attempt).where(Attempt.enrollment_id == enrollment.id)
    if quiz_id is not None:
        query = query.where(Attempt.quiz_id == quiz_id)
    if quiz_ids is not None:
        query = query.where(Attempt.quiz_id.in_(quiz_ids))
    return list(db.session.execute(query.order_by(Attempt.quiz_id, Attempt.attempt_no)).scalars())


def get_own_attempt(learner_id: int, attempt_id: int) -> Attempt:
    """An attempt of this learner; NotFoundError for anyone else's (no hint that it exists)."""
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or attempt.learner_id != learner_id:
        raise NotFoundError("There is no such attempt among yours.")
    return attempt


def attempts_left(slot: Slot, attempts: list[Attempt]) -> int | None:
    """Attempts the learner may still start (None: unlimited)."""
    if slot.attempts <= 0:
        return None
    return max(0, slot.attempts - len(attempts))


def start_attempt(
    ctx: LaunchContext,
    enrollment: Enrollment,
    content: CourseContent,
    version: CourseVersion,
    slot: Slot,
    existing: list[Attempt] | None = None,
) -> Attempt:
    """The open attempt of a quiz, or a new one (seeded draw and order recorded); `existing`,
    when given, is the quiz's attempts as just read in this transaction.

    NoAttemptsLeft when the limit is reached. Two simultaneous starts make one attempt.
    """
    if existing is None:
        existing = list_attempts(enrollment, slot.id)
    open_one = next((a for a in existing if a.is_open), None)
    if open_one is not None:
        return open_one
    if attempts_left(slot, existing) == 0:
        raise NoAttemptsLeft(f"You have used all {slot.attempts} attempts at this quiz.")
    attempt_no = max((a.attempt_no for a in existing), default=0) + 1
    seed = attempt_seed(ctx.issuer, ctx.sub, content, slot.id, attempt_no)
    question_ids, display = plan_attempt(content, slot, seed)
    created = db.session.execute(
        _insert(Attempt)
        .values(
            enrollment_id=enrollment.id,
            learner_id=ctx.learner_id,
            course_version_id=version.id,
            module_id=slot.module_id,
            quiz_id=slot.id,
            attempt_no=attempt_no,
            seed=str(seed),
            question_ids=question_ids,
            display=display,
            answers={},
            hints_used={},
            status="open",
            max_points=sum(float(d["points"]) for d in display.values()),
            credit=1.0,
            started_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["enrollment_id", "quiz_id", "attempt_no"])
        .returning(Attempt)
    ).scalar_one_or_none()
    if created is not None:
        return created
    return db.session.execute(  # a simultaneous start made it first
        db.select(Attempt).where(
            Attempt.enrollment_id == enrollment.id,
            Attempt.quiz_id == slot.id,
            Attempt.attempt_no == attempt_no,
        )
    ).scalar_one()


def _update_open(attempt: Attempt, **values: Any) -> bool:
    """UPDATE the attempt only while it is open; True when this call changed it."""
    result = db.session.execute(
        update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.status == "open")
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    changed = result.rowcount == 1  # type: ignore[attr-defined]
    db.session.refresh(attempt)
    return changed


def save_answers(attempt: Attempt, answers: Mapping[str, Any]) -> None:
    """Autosave: merge answers into an open attempt; AttemptClosed once it was submitted."""
    merged = {**(attempt.answers or {}), **answers}
    if not _update_open(attempt, answers=merged, saved_at=utcnow()):
        raise AttemptClosed(
            "This attempt was already submitted; your answers can no longer change."
        )


def reveal_hint(attempt: Attempt, content: CourseContent, question_id: str) -> int:
    """Reveal the next hint of a question (each costs its hint penalty); returns how many are
    revealed now."""
    if question_id not in attempt.question_ids:
        raise NotFoundError("That question is not in this attempt.")
    available = int(content.public[question_id].get("hint_count") or 0)
    used = dict(attempt.hints_used or {})
    count = min(int(used.get(question_id, 0)) + 1, available)
    used[question_id] = count
    if not _update_open(attempt, hints_used=used):
        raise AttemptClosed("This attempt was already submitted.")
    return count


@dataclass(frozen=True)
class SubmitOutcome:
    """What a submit did: `graded` only for the one call that graded the attempt."""

    attempt: Attempt
    graded: bool
    completed: bool = False
    enrollment_id: int | None = None
    course_version_id: int | None = None


def submit_attempt(
    ctx: LaunchContext, attempt: Attempt, answers: Mapping[str, Any] | None = None
) -> SubmitOutcome:
    """Grade and close an attempt, exactly once however many times it is submitted at once.

    Only the caller whose conditional UPDATE closes the attempt writes the scores to the
    gradebook outbox and evaluates the completion rule, all in the caller's transaction.
    """
    if not attempt.is_open:
        return SubmitOutcome(attempt, graded=False)
    version = db.session.get(CourseVersion, attempt.course_version_id)
    assert version is not None
    content = get_content(version)
    module = content.module(attempt.module_id) or {"id": attempt.module_id}
    final = {**(attempt.answers or {}), **(answers or {})}
    credit = attempt_credit(module_model(module), attempt.attempt_no)
    graded = grade_attempt(
        content, attempt.question_ids, attempt.display, final, attempt.hints_used or {}, credit
    )
    won = _update_open(
        attempt,
        status="submitted",
        answers=final,
        results=graded.results,
        fraction=graded.fraction,
        points=graded.points,
        max_points=graded.max_points,
        credit=credit,
        submitted_at=utcnow(),
        resource_link_pk=ctx.resource_link_pk,
    )
    if not won:
        return SubmitOutcome(attempt, graded=False)
    enrollment = db.session.get(Enrollment, attempt.enrollment_id)
    assert enrollment is not None
    current = db.session.get(CourseVersion, enrollment.course_version_id) or version
    current_content = get_content(current)
    progress = course_progress(current_content, list_attempts(enrollment), list_visits(enrollment))
    passback.send_scores(ctx, current_content, progress, attempt.module_id)
    completed = False
    if progress.rule_met:
        completed = mark_completed(enrollment)
    log.info("attempt %s graded: %s/%s", attempt.id, graded.points, graded.max_points)
    return SubmitOutcome(
        attempt,
        graded=True,
        completed=completed,
        enrollment_id=enrollment.id,
        course_version_id=current.id,
    )


def mark_completed(enrollment: Enrollment) -> bool:
    """Set completed_at once; True only for the call that set it."""
    result = db.session.execute(
        update(Enrollment)
        .where(Enrollment.id == enrollment.id, Enrollment.completed_at.is_(None))
        .values(completed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(enrollment)
    return result.rowcount == 1  # type: ignore[attr-defined]


def announce(outcome: SubmitOutcome, ctx: LaunchContext) -> None:
    """After commit: `attempt_graded`, and `course_completed` the one time it became true."""
    if not outcome.graded:
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    signals.attempt_graded.send(app, attempt_id=outcome.attempt.id)
    if outcome.completed:
        signals.course_completed.send(
            app, learner_id=ctx.learner_id, course_version_id=outcome.course_version_id
        )


def slot_of(content: CourseContent, module_id: str, quiz_id: str) -> Slot:
    """A module's quiz slot by id; NotFoundError when the module has no such quiz."""
    module = content.module(module_id)
    slot = (
        next((s for s in module_slots(content, module) if s.id == quiz_id), None)
        if (module)
        else None
    )
    if slot is None:
        raise NotFoundError("There is no such quiz in this module.")
    return slot
