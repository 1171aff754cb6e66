"""A registrar in Debian's chromium: reviews an eligible learner, opens the evidence, approves
by keyboard, downloads the CLR and the CSV; axe finds no WCAG 2.1 AA problem on any page."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.browser import assert_accessible
from tests.plugin.admin.helpers import Account
from tests.servers import live_server

from .conftest import MEMBERS, world_context

pytestmark = pytest.mark.browser


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the pages do not depend on the database; one browser run is enough


def test_registrar_reviews_approves_and_exports(
    app: Any, browser_page: Any, make_account: Callable[..., Account], tmp_path: Path
) -> None:
    from plugin.extensions import db
    from plugin.registrar import cases

    with world_context(app) as world:
        pathway = world.pathway()
        grace = world.learner("Grace Hopper")
        world.complete(grace)
        world.complete(world.learner("Alan Turing"), MEMBERS[:2])
        cases.refresh_pathway(pathway)
        db.session.commit()
        pathway_id = pathway.id
    account = make_account(roles=("admin", "registrar"))  # admins also see the role mapping
    page = browser_page
    with live_server(app, public_host="localhost") as server:
        page.goto(server.url + "/registrar/")
        page.get_by_label("Username").fill(account.username)
        page.get_by_label("Password").fill(account.password)
        page.get_by_role("button", name="Sign in").click()
        page.goto(server.url + "/registrar/")
        assert_accessible(page, "the review queue")
        page.get_by_role("link", name="Grace Hopper").click()
        page.get_by_role("heading", name="Evidence for Grace Hopper").wait_for()
        assert page.get_by_text("Met: 3 of all 3 credentials").is_visible()
        assert page.locator("td .verdict-pass").count() == 3
        assert_accessible(page, "the evidence page")

        # A decision without a reason: the problem is announced, nothing is lost.
        page.get_by_label("Approve the credit").check()
        page.get_by_label("Note").fill("All three verified.")
        page.get_by_role("button", name="Record decision").click()
        page.get_by_text("Choose a reason code.").wait_for()
        assert page.get_by_label("Note").input_value() == "All three verified."
        assert_accessible(page, "the evidence page with a problem")

        # By keyboard: choose the reason, then submit from the button.
        page.get_by_label("Approve the credit").focus()
        page.keyboard.press("Space")
        page.get_by_label("Reason").select_option("meets-requirements")
        page.get_by_role("button", name="Record decision").focus()
        page.keyboard.press("Enter")
        page.get_by_text("Decision recorded: the case is now approved.").wait_for()
        assert_accessible(page, "the decided case")

        with page.expect_download() as clr_download:
            page.get_by_role("link", name="Download the signed CLR (JSON)").click()
        clr = json.loads(Path(clr_download.value.path()).read_text())
        assert "ClrCredential" in clr["type"]
        assert len(clr["credentialSubject"]["verifiableCredential"]) == 4

        page.get_by_role("link", name="Exports").click()
        assert_accessible(page, "the exports page")
        page.get_by_label("SIS template").select_option(label="Workday Student")
        page.get_by_role("button", name="Make an export batch").click()
        page.get_by_text("Batch 1 made with 1 row(s).").wait_for()
        assert_accessible(page, "the exports page with a batch")
        with page.expect_download() as csv_download:
            page.get_by_role("link", name="Download CSV of batch 1").click()
        text = Path(csv_download.value.path()).read_text()
        assert text.splitlines()[0].startswith("Student_ID,Student_Name,Course_Listing,Units")
        assert "Grace Hopper,DATA 1010,3,P" in text
        page.get_by_role("button", name="Mark posted batch 1").click()
        page.get_by_text("Batch 1 marked posted.").wait_for()

        for path, what in (
            ("/registrar/pathways", "the pathways page"),
            (f"/registrar/pathways/{pathway_id}", "the pathway editor"),
            (f"/registrar/pathways/{pathway_id}/charts", "the charts"),
            ("/registrar/templates/new", "the template editor"),
            ("/registrar/templates/1", "a preset template"),
            ("/registrar/roles", "the LTI role mapping"),
            ("/registrar/?status=any&from=nonsense", "the queue with a bad filter"),
        ):
            page.goto(server.url + path)
            assert_accessible(page, what)
        page.goto(server.url + f"/registrar/pathways/{pathway_id}")
        page.get_by_label("Title").fill("")
        page.get_by_role("button", name="Save pathway").click()
        page.get_by_text("Enter a title.").first.wait_for()
        assert_accessible(page, "the pathway editor with a problem")
        page.goto(server.url + "/registrar/roles")
        page.get_by_label("LTI role (full URI)").fill("Staff")
        page.get_by_role("button", name="Map to registrar").click()
        page.get_by_text("Give the full LTI role URI").wait_for()
        assert_accessible(page, "the role mapping with a problem")
