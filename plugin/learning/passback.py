"""Where a graded attempt's scores go: the placements of the course in the learner's LMS course.

A placement is a resource link whose custom parameters (or launch URL query) name the course,
and the module for module placements. After a graded attempt in module M of course C, every
known placement of C in the launch's LMS course gets a score: module placements of M get the
module score (when the course passes back per module), course placements get the course score.
Rows go to `plugin.gradebook.services.enqueue_score` in the caller's transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ..catalog.packages import CourseContent
from ..catalog.placement import passback_mode
from ..extensions import db
from ..lti.context import LaunchContext
from ..lti.models import ResourceLink
from .progress import CourseProgress

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Placement:
    """What a resource link shows: a module (target "module") or a course outline ("course")."""

    target: str
    course_id: str
    module_id: str | None = None


def placement_of(custom: Mapping[str, Any], target_link_uri: str) -> Placement | None:
    """The placement a launch or resource link names, or None when it names no course.

    Custom parameters win over the launch URL's query (`course`, `module`, `target`); a link
    with a module and no target shows the module.
    """
    query = parse_qs(urlsplit(target_link_uri or "").query)

    def pick(custom_key: str, query_key: str) -> str | None:
        value = custom.get(custom_key)
        if isinstance(value, str) and value:
            return value
        values = query.get(query_key)
        return values[0] or None if values else None

    course_id = pick("course_id", "course")
    if not course_id:
        return None
    module_id = pick("module_id", "module")
    target = pick("target", "target")
    if target == "course" or module_id is None:
        return Placement("course", course_id)
    return Placement("module", course_id, module_id)


def gradebook_enqueue() -> Callable[..., None] | None:
    """`plugin.gradebook.services.enqueue_score`, or None while the gradebook is not installed."""
    try:
        from ..gradebook.services import enqueue_score
    except ModuleNotFoundError as exc:
        if exc.name not in ("plugin.gradebook", "plugin.gradebook.services"):
            raise
        return None
    return enqueue_score


def _links(ctx: LaunchContext) -> list[ResourceLink]:
    if ctx.context_pk is not None:
        query = db.select(ResourceLink).where(ResourceLink.context_pk == ctx.context_pk)
    elif ctx.resource_link_pk is not None:
        query = db.select(ResourceLink).where(ResourceLink.id == ctx.resource_link_pk)
    else:
        return []
    return list(db.session.execute(query.order_by(ResourceLink.id)).scalars())


def _progress_words(complete: bool) -> tuple[str, str]:
    return ("Completed", "FullyGraded") if complete else ("InProgress", "Pending")


def score_rows(
    ctx: LaunchContext, content: CourseContent, progress: CourseProgress, module_id: str
) -> list[dict[str, Any]]:
    """The scores one graded attempt in `module_id` sends, one per matching placement."""
    rows: list[dict[str, Any]] = []
    module = progress.module(module_id)
    per_module = passback_mode(content.course) == "per-module"
    all_graded_done = all(m.complete for m in progress.modules if m.graded)
    for link in _links(ctx):
        if not (link.ags_lineitem or link.ags_lineitems):
            continue  # the LMS offered no gradebook for this link
        placement = placement_of(link.custom_params, link.target_link_uri)
        if placement is None or placement.course_id != content.course_id:
            continue
        if placement.target == "module":
            if placement.module_id != module_id or module is None or not per_module:
                continue
            if not module.graded or module.points <= 0:
                continue
            given, maximum, complete = module.score, module.points, module.complete
        else:
            if progress.points <= 0:
                continue
            given, maximum, complete = progress.score, progress.points, all_graded_done
        activity, grading = _progress_words(complete)
        rows.append(
            {
                "learner_id": ctx.learner_id,
                "resource_link_pk": link.id,
                "score_given": round(given, 4),
                "score_maximum": round(maximum, 4),
                "activity_progress": activity,
                "grading_progress": grading,
            }
        )
    return rows


def send_scores(
    ctx: LaunchContext, content: CourseContent, progress: CourseProgress, module_id: str
) -> int:
    """Queue the scores of a graded attempt (learners only); returns how many were queued."""
    if not ctx.is_learner:
        return 0
    rows = score_rows(ctx, content, progress, module_id)
    enqueue = gradebook_enqueue()
    if enqueue is None:
        if rows:
            log.warning("gradebook not installed: %d score(s) not queued", len(rows))
        return 0
    for row in rows:
        enqueue(**row)
    return len(rows)
