"""What an instructor can place from the LMS: one item per module, and one per whole course.

Each module item launches `PUBLIC_URL/lti/launch?target=module&course=<id>&module=<id>` with the
custom parameters `course_id` and `module_id`, and asks for a line item (label, score maximum =
module points, resource id `<course>/<module>`, tag `microcred`) when the module is graded and
the course passes scores back per module. The whole-course item asks for one line item with the
course's graded points (course-level passback).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from ..lti.context import LaunchContext
from ..lti.deeplink import sample_items
from ..lti.registry import DeepLinkItem, LineItemSpec
from ..web import settings
from .services import list_courses

LINE_ITEM_TAG = "microcred"
TEXT_LIMIT = 400


def launch_url(target: str, course_id: str, module_id: str | None = None) -> str:
    """The tool's launch URL for a module (target "module") or a course outline ("course")."""
    query = {"target": target, "course": course_id}
    if module_id is not None:
        query["module"] = module_id
    return f"{settings().public_url}/lti/launch?{urlencode(query)}"


def graded_points(course: dict[str, Any]) -> float:
    """The points of every graded module of a course (course.json)."""
    return float(
        sum(float(m.get("points") or 0) for m in course.get("modules") or [] if m.get("graded"))
    )


def passback_mode(course: dict[str, Any]) -> str:
    """ "per-module" (default) or "course"."""
    return str((course.get("grading") or {}).get("passback") or "per-module")


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1].rstrip() + "…"


def module_text(course: dict[str, Any], module: dict[str, Any]) -> str:
    """A short description of a module for pickers: course, length and objectives."""
    parts = [str(course.get("title") or course.get("id"))]
    if module.get("minutes"):
        parts.append(f"{module['minutes']} min")
    objectives = [str(o) for o in module.get("objectives") or []]
    text = " · ".join(parts)
    return _clip(f"{text}. {' '.join(objectives)}" if objectives else text)


def module_item(course: dict[str, Any], module: dict[str, Any]) -> DeepLinkItem:
    """The placeable item for one module."""
    course_id, module_id = str(course["id"]), str(module["id"])
    points = float(module.get("points") or 0)
    line_item = None
    if module.get("graded") and points > 0 and passback_mode(course) == "per-module":
        line_item = LineItemSpec(
            score_maximum=points,
            label=str(module["title"]),
            resource_id=f"{course_id}/{module_id}",
            tag=LINE_ITEM_TAG,
        )
    return DeepLinkItem(
        id=f"module:{course_id}/{module_id}",
        title=str(module["title"]),
        url=launch_url("module", course_id, module_id),
        text=module_text(course, module),
        custom={
            "course_id": course_id,
            "module_id": module_id,
            "course_version": str(course.get("version") or ""),
        },
        line_item=line_item,
    )


def course_item(course: dict[str, Any]) -> DeepLinkItem:
    """The placeable item for a whole course (its outline), graded on the course's points."""
    course_id = str(course["id"])
    points = graded_points(course)
    line_item = (
        LineItemSpec(
            score_maximum=points,
            label=str(course["title"]),
            resource_id=course_id,
            tag=LINE_ITEM_TAG,
        )
        if points > 0
        else None
    )
    return DeepLinkItem(
        id=f"course:{course_id}",
        title=f"{course['title']} (whole course)",
        url=launch_url("course", course_id),
        text=_clip(str(course.get("summary") or course["title"])),
        custom={"course_id": course_id, "course_version": str(course.get("version") or "")},
        line_item=line_item,
    )


def course_items(course: dict[str, Any]) -> list[DeepLinkItem]:
    """The whole-course item first, then one item per module in course order."""
    return [course_item(course)] + [module_item(course, m) for m in course.get("modules") or []]


def deep_link_items(ctx: LaunchContext) -> list[DeepLinkItem]:
    """Every placeable item of the catalog (newest version of each course); while nothing is
    published, the LTI feature's sample activity, so a new installation has something to place.
    """
    items: list[DeepLinkItem] = []
    for version in list_courses():
        items.extend(course_items(version.course))
    return items or sample_items(settings().public_url)
