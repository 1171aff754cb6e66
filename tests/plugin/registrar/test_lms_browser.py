"""A registrar who comes from the LMS: the dev LMS user Rosalind (institution role Staff, mapped
to registrar) opens the registrar placement inside the cross-site iframe with third-party
cookies blocked, reviews the evidence and approves; links and forms carry the session token."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser import assert_accessible, open_browser

from .conftest import world_context

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("backend", ["sqlite"])
def test_registrar_from_the_lms_approves_inside_the_iframe(dev_lms_storage: Any) -> None:
    from plugin.devlms.vocab import ROLE_INSTITUTION_STAFF
    from plugin.extensions import db
    from plugin.registrar import cases
    from plugin.registrar.access import map_role

    with world_context(dev_lms_storage.tool) as world:
        map_role(ROLE_INSTITUTION_STAFF, "account:admin")
        pathway = world.pathway()
        world.complete(world.learner("Grace Hopper"))
        cases.refresh_pathway(pathway)
        db.session.commit()
    placement = dev_lms_storage.place("Credit review", target="registrar")
    with open_browser(block_third_party_cookies=True) as context:
        page = context.new_page()
        page.goto(f"{dev_lms_storage.lms_url}/?as=registrar")
        page.get_by_role("link", name="Credit review").click()
        page.wait_for_url(f"**/launch/{placement.id}?as=registrar")
        frame = page.frame_locator("iframe.tool-frame")
        # The login round trip (LMS, tool, LMS, tool) is slow on a busy machine: wait longer.
        frame.get_by_role("heading", name="Review queue").wait_for(timeout=60_000)
        assert frame.get_by_text("Registrar: Rosalind Franklin").is_visible()
        assert_accessible(page, "the dev LMS page around the registrar area")
        frame.get_by_role("link", name="Grace Hopper").click()
        frame.get_by_role("heading", name="Evidence for Grace Hopper").wait_for()
        frame.get_by_label("Approve the credit").check()
        frame.get_by_label("Reason").select_option("meets-requirements")
        frame.get_by_role("button", name="Record decision").click()
        frame.get_by_text("Decision recorded: the case is now approved.").wait_for()
        assert frame.get_by_text("pending to approved").is_visible()
    with dev_lms_storage.tool.app_context():
        log = cases.decision_log(cases.get_case(1).id)
        assert log[-1].decided_by == f"lti:{dev_lms_storage.lms_url}|user-registrar"
