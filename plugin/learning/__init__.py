"""Learning: module delivery, quiz attempts graded on the server, progress and completion.

A resource-link launch naming a course (custom `course_id`, and `module_id` for a module, or
the same as `course`/`module` in the launch URL's query) lands on the module page or the course
outline. Other features use `plugin.learning.services` and the `course_completed` signal.
"""

from __future__ import annotations

from flask import Flask, url_for

from ..lti.context import LaunchContext
from . import models  # noqa: F401  (tables join the metadata before anything else runs)


def landing_url(ctx: LaunchContext) -> str | None:
    """Where a launch that names a course lands (module page or outline), or None."""
    from .passback import placement_of

    placement = placement_of(ctx.custom, ctx.target_link_uri)
    if placement is None:
        return None
    if placement.target == "module" and placement.module_id:
        return url_for(
            "learning.module", course_id=placement.course_id, module_id=placement.module_id
        )
    return url_for("learning.outline", course_id=placement.course_id)


def course_target(ctx: LaunchContext) -> str:
    """The launch target of course and module placements (the LTI home page otherwise)."""
    return landing_url(ctx) or url_for("lti.home")


def format_points(value: float | None) -> str:
    """Points for people: 2.0 -> "2", 0.6667 -> "0.67"."""
    return f"{round(float(value or 0), 2):g}"


def init_app(app: Flask) -> None:
    """Launch targets "module" and "course" (a "home" launch that names a course goes there
    too), and the `points` template filter."""
    from ..lti.registry import register_launch_target

    app.jinja_env.filters["points"] = format_points
    register_launch_target("module", course_target)
    register_launch_target("course", course_target)
    register_launch_target("home", course_target)
