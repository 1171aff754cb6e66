"""Progress and attempts read from the learning feature (and the catalog), when they exist.

Only this module knows the learning feature's tables (delivery-design.md: Enrollment,
ModuleVisit, Attempt; catalog CourseVersion). Without them the instructor pages still show the
roster and the grades, and say that progress is not available.
"""

from __future__ import annotations

import importlib
import json
import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from types import ModuleType
from typing import Any

from ..extensions import db
from .stats import AttemptRecord, results_by_question

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Progress:
    """How far one learner got in the courses placed in this LMS course."""

    learner_id: int
    modules_visited: int = 0
    attempts_submitted: int = 0
    completed: bool = False
    last_activity: datetime | None = None


def _models(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(f"plugin.{name}.models")
    except ImportError:
        return None


def learning_available() -> bool:
    """Whether the learning feature's attempts can be read."""
    learning = _models("learning")
    return learning is not None and hasattr(learning, "Attempt")


def _version_ids(course_ids: Collection[str]) -> list[int] | None:
    """Course version ids of `course_ids` (None: no filter can be made)."""
    catalog = _models("catalog")
    if not course_ids or catalog is None or not hasattr(catalog, "CourseVersion"):
        return None
    version = catalog.CourseVersion
    return list(
        db.session.execute(
            db.select(version.id).where(version.course_id.in_(list(course_ids)))
        ).scalars()
    )


def _json(value: Any) -> Any:
    if isinstance(value, str | bytes):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def load_attempts(learner_ids: Collection[int], course_ids: Collection[str]) -> list[AttemptRecord]:
    """Submitted attempts of these learners in these courses."""
    learning = _models("learning")
    if not learner_ids or learning is None or not hasattr(learning, "Attempt"):
        return []
    try:
        attempt = learning.Attempt
        query = db.select(attempt).where(
            attempt.learner_id.in_(list(learner_ids)), attempt.status == "submitted"
        )
        versions = _version_ids(course_ids)
        if versions is not None:
            query = query.where(attempt.course_version_id.in_(versions))
        rows = db.session.execute(query.order_by(attempt.id)).scalars()
        return [
            AttemptRecord(
                learner_id=row.learner_id,
                quiz_id=str(row.quiz_id),
                module_id=str(getattr(row, "module_id", "") or ""),
                attempt_no=int(getattr(row, "attempt_no", 1) or 1),
                fraction=getattr(row, "fraction", None),
                results=results_by_question(_json(getattr(row, "results", None))),
            )
            for row in rows
        ]
    except AttributeError:
        log.warning(
            "the learning feature's Attempt does not look as delivery-design.md says", exc_info=True
        )
        return []


def load_progress(learner_ids: Collection[int], course_ids: Collection[str]) -> dict[int, Progress]:
    """Progress per learner id: modules visited, attempts submitted, completion."""
    learning = _models("learning")
    if not learner_ids or learning is None or not hasattr(learning, "Enrollment"):
        return {}
    try:
        enrollment = learning.Enrollment
        query = db.select(enrollment).where(enrollment.learner_id.in_(list(learner_ids)))
        if course_ids:
            query = query.where(enrollment.course_id.in_(list(course_ids)))
        enrollments = list(db.session.execute(query).scalars())
        visits: dict[int, int] = {}
        last: dict[int, datetime] = {}
        visit = getattr(learning, "ModuleVisit", None)
        by_id = {e.id: e.learner_id for e in enrollments}
        if visit is not None and by_id:
            for enrollment_id, seen in db.session.execute(
                db.select(visit.enrollment_id, visit.last_seen_at).where(
                    visit.enrollment_id.in_(list(by_id))
                )
            ):
                who = by_id[enrollment_id]
                visits[who] = visits.get(who, 0) + 1
                if seen is not None and (who not in last or seen > last[who]):
                    last[who] = seen
        submitted: dict[int, int] = {}
        for record in load_attempts(learner_ids, course_ids):
            submitted[record.learner_id] = submitted.get(record.learner_id, 0) + 1
        out: dict[int, Progress] = {}
        for e in enrollments:
            prev = out.get(e.learner_id)
            out[e.learner_id] = Progress(
                e.learner_id,
                visits.get(e.learner_id, 0),
                submitted.get(e.learner_id, 0),
                bool(e.completed_at) or bool(prev and prev.completed),
                last.get(e.learner_id),
            )
        return out
    except AttributeError:
        log.warning(
            "the learning feature's Enrollment does not look as delivery-design.md says",
            exc_info=True,
        )
        return {}


def _short(markdown: str, limit: int = 140) -> str:
    text = " ".join(markdown.replace("`", "").replace("*", "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def question_labels(course_ids: Collection[str]) -> tuple[dict[str, str], dict[str, set[str]]]:
    """Question stems and option texts ({qid: text, "qid:option": text}) and the right options
    of each choice question, read from the published packages of these courses (newest
    version last, so its wording wins). Without them the pages show ids."""
    catalog = _models("catalog")
    labels: dict[str, str] = {}
    right: dict[str, set[str]] = {}
    if not course_ids or catalog is None or not hasattr(catalog, "CourseVersion"):
        return labels, right
    version = catalog.CourseVersion
    rows = db.session.execute(
        db.select(version).where(version.course_id.in_(list(course_ids))).order_by(version.id)
    ).scalars()
    try:
        from ..catalog.packages import get_content
    except ImportError:
        return labels, right
    for row in rows:
        try:
            questions = get_content(row).questions
        except Exception:  # a package that cannot be read only costs the labels
            log.warning(
                "question texts of %s %s unavailable", row.course_id, row.version, exc_info=True
            )
            continue
        for qid, question in questions.items():
            labels[qid] = _short(question.stem_md)
            for choice in question.choices:
                labels[f"{qid}:{choice.id}"] = _short(choice.text_md, 80)
            if question.choices:
                right[qid] = {c.id for c in question.choices if c.correct}
    return labels, right
