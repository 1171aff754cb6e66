"""Role parsing: context roles first, institution roles only without them, unknown ignored."""

from __future__ import annotations

from plugin.lti.roles import parse_roles

M = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
I = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#"  # noqa: E741
S = "http://purl.imsglobal.org/vocab/lis/v2/system/person#"


def test_context_roles_win_over_institution_roles() -> None:
    roles = parse_roles([M + "Learner", I + "Administrator", I + "Instructor"])
    assert roles.effective == ("Learner",)
    assert roles.is_learner and not roles.is_instructor and not roles.is_admin
    assert roles.institution == ("Administrator", "Instructor")


def test_institution_roles_count_without_context_roles() -> None:
    roles = parse_roles([I + "Faculty", I + "Administrator"])
    assert roles.effective == ("Instructor", "Administrator")
    assert roles.is_instructor and roles.is_admin


def test_short_names_sub_roles_and_unknown_roles() -> None:
    assert parse_roles(["Instructor"]).is_instructor
    assert parse_roles(["Learner", "Wizard", "urn:lti:role:odd", 42]).effective == ("Learner",)
    assert parse_roles([M.replace("#", "/") + "Instructor#TeachingAssistant"]).is_instructor
    assert parse_roles([M + "ContentDeveloper"]).is_instructor


def test_system_administrator_and_empty_roles() -> None:
    assert parse_roles([S + "Administrator", M + "Learner"]).is_admin
    empty = parse_roles([])
    assert empty.effective == () and not (empty.is_learner or empty.is_instructor)
    assert parse_roles(None).effective == ()
