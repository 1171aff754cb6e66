"""The instructor's gradebook of one LMS course: roster (NRPS), grades, deliveries, progress.

`build_gradebook(ctx)` gathers everything the pages and the CSV export show, from the launch of
an instructor. A roster the LMS cannot give right now is replaced by the learners the tool knows,
with the LMS's reason shown.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from ..errors import MicrocredError, ValidationError
from ..extensions import db
from ..lti.context import LaunchContext
from ..lti.models import Learner, Registration, ResourceLink
from .models import LatestScore, OutboxScore
from .nrps import Member, cached_members
from .progress import (
    Progress,
    learning_available,
    load_attempts,
    load_progress,
    question_labels,
)
from .services import latest_scores, list_deliveries
from .stats import Bin, QuestionStats, distribution, percent, question_statistics
from .tokens import Platform

log = logging.getLogger(__name__)
GRADEBOOK_TARGET = "target=gradebook"


@dataclass(frozen=True)
class Placement:
    """A placed activity (resource link) of the course."""

    pk: int
    resource_link_id: str
    title: str
    course_id: str | None = None
    module_id: str | None = None


@dataclass(frozen=True)
class GradeCell:
    """A learner's latest score on a placement and where its delivery stands."""

    score_given: float
    score_maximum: float
    state: str  # delivered | pending | failed
    error: str | None = None


@dataclass(frozen=True)
class RosterRow:
    """One person: from the LMS roster, the tool's learners, or both."""

    user_id: str
    name: str | None
    email: str | None
    roles: tuple[str, ...]
    is_learner: bool
    learner_id: int | None
    opened: bool
    in_lms: bool
    grades: dict[int, GradeCell] = field(default_factory=dict)
    percent: float | None = None
    progress: Progress | None = None

    @property
    def display_name(self) -> str:
        return self.name or self.email or self.user_id


@dataclass(frozen=True)
class FailedDelivery:
    """A score the LMS refused (or never answered for) after its last try."""

    id: int
    who: str
    placement: str
    score_given: float
    score_maximum: float
    tries: int
    last_error: str
    last_try_at: datetime | None


@dataclass(frozen=True)
class Gradebook:
    """Everything the instructor pages show for one LMS course."""

    course_title: str
    placements: list[Placement]
    rows: list[RosterRow]
    roster_error: str | None
    failed: list[FailedDelivery]
    pending: int
    bins: list[Bin]
    questions: list[QuestionStats]
    progress_available: bool

    @property
    def learners(self) -> list[RosterRow]:
        return [r for r in self.rows if r.is_learner]


def placements_of(ctx: LaunchContext) -> list[Placement]:
    """The course's placements the tool knows (from launches), oldest first."""
    if ctx.context_pk is None:
        raise ValidationError(
            "Open the gradebook from a course in your LMS.", code="GRADE_NO_COURSE"
        )
    links = db.session.execute(
        db.select(ResourceLink)
        .where(ResourceLink.context_pk == ctx.context_pk)
        .order_by(ResourceLink.id)
    ).scalars()
    out = []
    for link in links:
        if GRADEBOOK_TARGET in (link.target_link_uri or ""):
            continue  # the placement that opens this page is not a graded activity
        custom = link.custom_params
        out.append(
            Placement(
                link.id,
                link.resource_link_id,
                link.title or link.resource_link_id,
                str(custom["course_id"]) if custom.get("course_id") else None,
                str(custom["module_id"]) if custom.get("module_id") else None,
            )
        )
    return out


def _roster(ctx: LaunchContext) -> tuple[list[Member], str | None]:
    nrps_url = (
        ctx.nrps_url
        or db.session.execute(
            db.select(ResourceLink.nrps_url)
            .where(ResourceLink.context_pk == ctx.context_pk, ResourceLink.nrps_url.is_not(None))
            .limit(1)
        ).scalar_one_or_none()
    )
    if not nrps_url:
        return [], "Your LMS did not offer its roster service (Names and Roles) to the tool."
    reg = db.session.get(Registration, ctx.registration_id)
    if reg is None:
        return [], "The LMS registration is gone."
    try:
        return cached_members(Platform.of(reg), nrps_url), None
    except MicrocredError as exc:
        log.info("roster of context %s unavailable: %s", ctx.context_pk, exc.message)
        return [], f"The LMS did not give the roster: {exc.message}"


def _cells(
    pks: list[int],
) -> tuple[dict[int, dict[int, GradeCell]], list[OutboxScore], list[LatestScore]]:
    queued = list_deliveries(pks)
    state = {(r.learner_id, r.resource_link_pk): r for r in queued}
    scores = latest_scores(pks)
    cells: dict[int, dict[int, GradeCell]] = {}
    for s in scores:
        row = state.get((s.learner_id, s.resource_link_pk))
        cell = GradeCell(
            s.score_given,
            s.score_maximum,
            row.status if row is not None else "delivered",
            row.last_error if row is not None else None,
        )
        cells.setdefault(s.learner_id, {})[s.resource_link_pk] = cell
    return cells, queued, scores


def build_gradebook(ctx: LaunchContext) -> Gradebook:
    """Roster, grades, deliveries, distribution and question statistics of the launch's course."""
    placements = placements_of(ctx)
    pks = [p.pk for p in placements]
    members, roster_error = _roster(ctx)
    cells, queued, scores = _cells(pks)
    subs = {m.user_id for m in members}
    graded_ids = {s.learner_id for s in scores}
    learners: list[Learner] = []
    if subs or graded_ids:
        known = Learner.sub.in_(subs) | Learner.id.in_(graded_ids)
        learners = list(
            db.session.execute(
                db.select(Learner).where(Learner.issuer == ctx.issuer, known)
            ).scalars()
        )
    by_sub = {lr.sub: lr for lr in learners}
    course_ids = {p.course_id for p in placements if p.course_id}
    ids = [lr.id for lr in learners]
    progress = load_progress(ids, course_ids)
    available = learning_available()

    def row_for(sub: str, member: Member | None) -> RosterRow:
        learner = by_sub.get(sub)
        lid = learner.id if learner else None
        grades = cells.get(lid, {}) if lid is not None else {}
        got = list(grades.values())
        is_learner = member.is_learner if member else True
        # A learner "opened the tool" in this course when the course delivery knows them here;
        # staff have launched the tool when it knows them at all.
        opened = learner is not None and (
            not available or not is_learner or lid in progress or bool(grades)
        )
        return RosterRow(
            user_id=sub,
            name=(member.name if member else None) or (learner.name if learner else None),
            email=(member.email if member else None) or (learner.email if learner else None),
            roles=member.role_names if member else ("Learner",),
            is_learner=is_learner,
            learner_id=lid,
            opened=opened,
            in_lms=member is not None,
            grades=grades,
            percent=percent([g.score_given for g in got], [g.score_maximum for g in got]),
            progress=progress.get(lid) if lid is not None else None,
        )

    rows = [row_for(m.user_id, m) for m in members]
    rows += [row_for(lr.sub, None) for lr in learners if lr.sub not in subs and lr.id in graded_ids]
    rows.sort(key=lambda r: (not r.is_learner, r.display_name.lower()))
    names = {lr.id: lr.name or lr.email or lr.sub for lr in learners}
    titles = {p.pk: p.title for p in placements}
    failed = [
        FailedDelivery(
            r.id,
            names.get(r.learner_id, r.user_sub),
            titles.get(r.resource_link_pk, r.resource_link_id),
            r.score_given,
            r.score_maximum,
            r.tries,
            r.last_error or "",
            r.last_try_at,
        )
        for r in queued
        if r.status == "failed"
    ]
    learner_rows = [r for r in rows if r.is_learner and r.percent is not None]
    questions = (
        question_statistics(load_attempts(ids, course_ids), *question_labels(course_ids))
        if available
        else []
    )
    return Gradebook(
        course_title=ctx.context_title or ctx.context_label or "this course",
        placements=placements,
        rows=rows,
        roster_error=roster_error,
        failed=failed,
        pending=sum(1 for r in queued if r.status == "pending"),
        bins=distribution([r.percent for r in learner_rows if r.percent is not None]),
        questions=questions,
        progress_available=available,
    )
