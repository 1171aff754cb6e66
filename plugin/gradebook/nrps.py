"""Names and Role Provisioning Services 2.0 client: a course's members, every page of them.

Members who never opened the tool are in the roster too; that is the point of asking the LMS.
Rosters are cached in the store for GRADEBOOK_ROSTER_CACHE_SECONDS.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass
from typing import Any

from ..web import get_store
from .http import ServiceCallError, next_link
from .settings import gradebook_settings
from .tokens import NRPS_SCOPES, Platform, call_service

log = logging.getLogger(__name__)

MEDIA_MEMBERSHIPS = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
MAX_PAGES = 200
LEARNER_ROLE = "Learner"
INSTRUCTOR_ROLES = frozenset({"Instructor", "TeachingAssistant", "ContentDeveloper"})


@dataclass(frozen=True)
class Member:
    """One member of the course as the LMS lists it (name and email only if it shares them)."""

    user_id: str
    roles: tuple[str, ...]
    status: str = "Active"
    name: str | None = None
    email: str | None = None

    @property
    def role_names(self) -> tuple[str, ...]:
        """Short role names: Learner, Instructor, ..."""
        return tuple(dict.fromkeys(r.rsplit("#", 1)[-1].rsplit("/", 1)[-1] for r in self.roles))

    @property
    def is_learner(self) -> bool:
        return LEARNER_ROLE in self.role_names

    @property
    def is_staff(self) -> bool:
        return bool(INSTRUCTOR_ROLES.intersection(self.role_names))


def _member(raw: dict[str, Any]) -> Member | None:
    user_id = raw.get("user_id")
    if not isinstance(user_id, str) or not user_id:
        return None
    raw_roles = raw.get("roles")
    roles: list[Any] = raw_roles if isinstance(raw_roles, list) else []
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        parts = [raw.get("given_name"), raw.get("family_name")]
        name = " ".join(p for p in parts if isinstance(p, str) and p) or None
    email = raw.get("email") if isinstance(raw.get("email"), str) and raw.get("email") else None
    return Member(
        user_id=user_id,
        roles=tuple(r for r in roles if isinstance(r, str)),
        status=str(raw.get("status") or "Active"),
        name=name,
        email=email,
    )


def fetch_members(platform: Platform, memberships_url: str) -> list[Member]:
    """Every member of the context (all pages, in the LMS's order, each user once)."""
    url: str | None = memberships_url
    seen: dict[str, Member] = {}
    for _ in range(MAX_PAGES):
        if url is None:
            break
        response = call_service(
            platform,
            NRPS_SCOPES,
            "GET",
            url,
            "reading the roster",
            limited=False,
            headers={"Accept": MEDIA_MEMBERSHIPS},
        )
        try:
            body = response.json()
        except ValueError as exc:
            raise ServiceCallError(
                "reading the roster: the answer is not JSON", transient=True
            ) from exc
        for raw in body.get("members", []) if isinstance(body, dict) else []:
            member = _member(raw) if isinstance(raw, dict) else None
            if member is not None and member.user_id not in seen:
                seen[member.user_id] = member
        url = next_link(response.headers, url)
    return list(seen.values())


def cached_members(platform: Platform, memberships_url: str) -> list[Member]:
    """`fetch_members`, reused from the store for a short while."""
    ttl = int(gradebook_settings().roster_cache_seconds)
    key = (
        "gradebook:roster:"
        + hashlib.sha256(f"{platform.key}\n{memberships_url}".encode()).hexdigest()[:32]
    )
    store = get_store()
    raw = store.get(key) if ttl > 0 else None
    if raw is not None:
        return [Member(**{**m, "roles": tuple(m["roles"])}) for m in json.loads(raw)]
    members = fetch_members(platform, memberships_url)
    if ttl > 0:
        store.set(key, json.dumps([asdict(m) for m in members]), ttl)
    return members
