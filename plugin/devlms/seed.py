"""Seeded data of the dev LMS: the course, its people, and the tools and placements from config."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from .config import Settings
from .data import (
    Context,
    Placement,
    User,
    get_tool,
    list_placements,
    save_context,
    save_placement,
    save_tool,
    save_user,
    tool_from_mapping,
)
from .store import Store
from .vocab import ROLE_INSTITUTION_ADMIN, ROLE_INSTITUTION_STAFF, ROLE_INSTRUCTOR, ROLE_LEARNER

logger = logging.getLogger(__name__)

COURSE = Context(id="course-101", label="DATA101", title="Foundations of Data Literacy")

#: The people of the dev LMS. Alan shares his name only; Katherine shares no personal data;
#: the administrator is not enrolled (Moodle-like: Instructor rights plus the institution role);
#: the registrar has only an institution role.
USERS: tuple[User, ...] = (
    User(
        "ada",
        "user-ada",
        "Ada",
        "Lovelace",
        "ada@example.edu",
        (ROLE_INSTRUCTOR,),
        (),
        enrolled=True,
        share_name=True,
        share_email=True,
    ),
    User(
        "grace",
        "user-grace",
        "Grace",
        "Hopper",
        "grace@example.edu",
        (ROLE_LEARNER,),
        (),
        enrolled=True,
        share_name=True,
        share_email=True,
    ),
    User(
        "alan",
        "user-alan",
        "Alan",
        "Turing",
        "alan@example.edu",
        (ROLE_LEARNER,),
        (),
        enrolled=True,
        share_name=True,
        share_email=False,
    ),
    User(
        "katherine",
        "user-katherine",
        "Katherine",
        "Johnson",
        "katherine@example.edu",
        (ROLE_LEARNER,),
        (),
        enrolled=True,
        share_name=False,
        share_email=False,
    ),
    User(
        "admin",
        "user-admin",
        "Margaret",
        "Hamilton",
        "admin@example.edu",
        (ROLE_INSTRUCTOR,),
        (ROLE_INSTITUTION_ADMIN,),
        enrolled=False,
        share_name=True,
        share_email=True,
    ),
    User(
        "registrar",
        "user-registrar",
        "Rosalind",
        "Franklin",
        "registrar@example.edu",
        (),
        (ROLE_INSTITUTION_STAFF,),
        enrolled=False,
        share_name=True,
        share_email=True,
    ),
)


def seed_defaults(store: Store) -> None:
    """Write the course and its users (idempotent)."""
    with store.transaction():
        save_context(store, COURSE)
        for position, user in enumerate(USERS):
            save_user(store, user, position)


def seed_from_settings(store: Store, settings: Settings) -> None:
    """Register the DEVLMS_TOOLS and place the DEVLMS_PLACEMENTS (config wins on restart)."""
    with store.transaction():
        for entry in settings.tools:
            save_tool(store, tool_from_mapping(entry, source="config"))
        default_client = settings.tools[0]["client_id"] if settings.tools else None
        for entry in settings.placements:
            place_from_mapping(store, entry, default_client_id=default_client)
    logger.info(
        "dev LMS seeded: %d tools, %d placements from config",
        len(settings.tools),
        len(settings.placements),
    )


def place_from_mapping(
    store: Store, entry: Mapping[str, Any], default_client_id: str | None, source: str = "config"
) -> Placement:
    """Create or update the placement a DEVLMS_PLACEMENTS entry describes.

    Without an explicit `id`, an existing placement of the same tool with the same url is updated,
    so restarting with the same config does not duplicate placements.
    """
    client_id = entry.get("client_id") or default_client_id
    if not client_id or get_tool(store, client_id) is None:
        raise ValueError(f"placement {entry.get('title')!r}: unknown tool {client_id!r}")
    context_id = entry.get("context_id") or COURSE.id
    placement_id = entry.get("id")
    if placement_id is None:
        same = [
            p
            for p in list_placements(store, context_id, client_id)
            if p.url == entry["url"] and p.source == source
        ]
        placement_id = same[0].id if same else None
    return save_placement(
        store,
        context_id=context_id,
        client_id=client_id,
        title=entry["title"],
        url=entry["url"],
        custom=entry.get("custom"),
        text=entry.get("text"),
        line_item=entry.get("lineItem"),
        placement_id=placement_id,
        source=source,
    )
