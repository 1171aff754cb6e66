"""The dev LMS's side of a load run: its students and the sample course's modules placed on its
course page (with a gradebook line item each), written before its server starts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PlacedModule:
    """One module of the sample course placed on the dev LMS course page."""

    placement_id: str
    course_id: str
    module_id: str
    title: str
    points: float


def seed_lms(
    course_folder: Path,
    lms_url: str,
    tool_url: str,
    database: Path,
    students: Sequence[str],
    modules: int,
) -> list[PlacedModule]:
    """Add `students` (learners, handle -> sub "load-<handle>") and place the first `modules`
    modules of the course in `course_folder`; return the placements."""
    from authoring.loader import load_course
    from plugin.devlms import add_placement, create_devlms_app, get_devlms
    from plugin.devlms.data import User, save_user
    from plugin.devlms.vocab import ROLE_LEARNER

    course, diagnostics = load_course(course_folder)
    if course is None:
        raise ValueError(f"the course {course_folder} does not load: {diagnostics[:3]}")
    app = create_devlms_app(
        {
            "DEVLMS_PUBLIC_URL": lms_url,
            "DEVLMS_DATABASE": str(database),
            "DEVLMS_TOOL_URL": tool_url,
            "DEVLMS_PLATFORM_STORAGE": False,
        }
    )
    store = get_devlms(app).store
    with store.transaction():
        for position, handle in enumerate(students, start=100):
            user = User(
                handle,
                f"load-{handle}",
                "Student",
                handle[1:],
                f"{handle}@example.edu",
                (ROLE_LEARNER,),
                (),
                enrolled=True,
                share_name=True,
                share_email=True,
            )
            save_user(store, user, position)
    placements = []
    for module in course.modules[:modules]:
        placement = add_placement(
            app,
            module.title,
            f"{tool_url}/lti/launch?course={course.id}&module={module.id}",
            custom={"course_id": course.id, "module_id": module.id},
            line_item={
                "label": module.title,
                "scoreMaximum": module.points,
                "resourceId": f"{course.id}/{module.id}",
                "tag": "microcred",
            },
        )
        placements.append(
            PlacedModule(placement.id, course.id, module.id, module.title, float(module.points))
        )
    store.close()
    return placements
