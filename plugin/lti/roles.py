"""LTI role parsing: context (membership) roles first, institution roles only when there are none.

Full URIs (`http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor`), sub-roles
(`membership/Instructor#TeachingAssistant`) and the deprecated short names (`Instructor`) are
understood; unknown roles are kept out of every decision, never rejected.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
MEMBERSHIP = LIS + "membership#"
INSTITUTION = LIS + "institution/person#"
SYSTEM = LIS + "system/person#"

#: Membership role names that make a person staff of the course in this tool.
INSTRUCTOR_NAMES = frozenset({"Instructor", "TeachingAssistant", "ContentDeveloper"})
LEARNER_NAMES = frozenset({"Learner"})
ADMIN_NAMES = frozenset({"Administrator"})
#: Institution roles treated as course roles when the launch has no context role.
INSTITUTION_AS_CONTEXT = {
    "Faculty": "Instructor",
    "Instructor": "Instructor",
    "Student": "Learner",
    "Learner": "Learner",
    "Administrator": "Administrator",
}
#: System roles that make a person an administrator whatever the course roles say.
SYSTEM_ADMIN_NAMES = frozenset({"Administrator", "SysAdmin"})
_CONTEXT_SHORT = frozenset(
    {
        "Learner",
        "Instructor",
        "ContentDeveloper",
        "Member",
        "Manager",
        "Mentor",
        "Administrator",
        "TeachingAssistant",
        "Officer",
    }
)


@dataclass(frozen=True)
class Role:
    """One recognised role: its kind (context, institution, system) and its name."""

    kind: str
    name: str


@dataclass(frozen=True)
class ParsedRoles:
    """The roles of one launch, sorted out."""

    context: tuple[str, ...]
    institution: tuple[str, ...]
    system: tuple[str, ...]
    effective: tuple[str, ...]
    is_instructor: bool
    is_learner: bool
    is_admin: bool


def parse_role(value: str) -> Role | None:
    """One role string -> Role, or None when it is not an LTI role we know the shape of."""
    value = value.strip()
    if not value:
        return None
    if value.startswith(MEMBERSHIP):
        return Role("context", value[len(MEMBERSHIP) :])
    if value.startswith(LIS + "membership/"):
        # A sub-role such as membership/Instructor#TeachingAssistant: the fragment names it.
        return Role("context", value.rsplit("#", 1)[-1]) if "#" in value else None
    if value.startswith(INSTITUTION):
        return Role("institution", value[len(INSTITUTION) :])
    if value.startswith(SYSTEM):
        return Role("system", value[len(SYSTEM) :])
    if "/" not in value and "#" not in value and ":" not in value:
        # Deprecated short names (LTI 1.1 habit) are context roles.
        return Role("context", value) if value in _CONTEXT_SHORT else None
    return None


def parse_roles(values: Iterable[str] | None) -> ParsedRoles:
    """The roles claim -> ParsedRoles: context roles win, institution roles count without them."""
    context: list[str] = []
    institution: list[str] = []
    system: list[str] = []
    for raw in values or ():
        if not isinstance(raw, str):
            continue
        role = parse_role(raw)
        if role is None:
            continue
        bucket = {"context": context, "institution": institution, "system": system}[role.kind]
        if role.name not in bucket:
            bucket.append(role.name)
    if context:
        effective = list(context)
    else:
        effective = []
        for name in institution:
            mapped = INSTITUTION_AS_CONTEXT.get(name)
            if mapped and mapped not in effective:
                effective.append(mapped)
    is_admin = bool(ADMIN_NAMES.intersection(effective) or SYSTEM_ADMIN_NAMES.intersection(system))
    return ParsedRoles(
        context=tuple(context),
        institution=tuple(institution),
        system=tuple(system),
        effective=tuple(effective),
        is_instructor=bool(INSTRUCTOR_NAMES.intersection(effective)),
        is_learner=bool(LEARNER_NAMES.intersection(effective)),
        is_admin=is_admin,
    )
