"""A learner's credentials in Debian's chromium: launched from the dev LMS course page into the
wallet, downloads the JSON and the PDF certificate, opens the verify page (every check passes),
binds a DID by keyboard alone; axe finds no WCAG 2.1 AA problem on the wallet, verify and
achievement pages.

The course is completed through the service (rows as the learning feature writes them, then the
wallet issues the award), not by clicking through the learning pages.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from plugin.credentials import keys
from tests.browser import assert_accessible, open_browser
from tests.plugin.credentials.test_wallet import complete_for

pytestmark = pytest.mark.browser

TOOL_FRAME = "iframe.tool-frame"


def _wallet_page(context: Any, dev_lms: Any, user: str = "grace") -> Any:
    """``user`` launches "My credentials" from the course page; the tool page on its own."""
    if not any(p["title"] == "My credentials" for p in dev_lms.lms.placements()):
        dev_lms.place("My credentials", target="credentials")
    page = context.new_page()
    page.goto(f"{dev_lms.lms_url}/?as={user}")
    page.get_by_role("link", name="My credentials").click()
    # A launch is four cross-site round trips: allow for a busy machine.
    heading = page.frame_locator(TOOL_FRAME).get_by_role("heading", name="My credentials")
    heading.wait_for(timeout=60_000)
    tool_frame = next(f for f in page.frames if f.url.startswith(dev_lms.tool_url))
    assert "mc_session=" in tool_frame.url
    if user == "grace":
        complete_for(dev_lms, "user-grace")
    alone = context.new_page()
    alone.goto(tool_frame.url)  # what "Open in a new window" shows
    return alone


@pytest.mark.parametrize("backend", ["sqlite"])
def test_learner_downloads_and_verifies_a_credential(dev_lms_storage: Any, tmp_path: Path) -> None:
    with open_browser() as context:
        wallet = _wallet_page(context, dev_lms_storage)
        name = "Working with Data in Spreadsheets"
        wallet.get_by_role("heading", name=name).wait_for()
        assert_accessible(wallet, "the wallet page")

        with wallet.expect_download() as json_download:
            wallet.get_by_role("link", name=f"Download JSON for {name}").click()
        credential = json.loads(Path(json_download.value.path()).read_text("utf-8"))
        assert credential["credentialSubject"]["achievement"]["name"] == name
        with wallet.expect_download() as pdf_download:
            wallet.get_by_role("link", name=f"PDF certificate for {name}").click()
        assert Path(pdf_download.value.path()).read_bytes().startswith(b"%PDF")

        with context.expect_page() as opened:
            wallet.get_by_role("link", name=f"Verify {name} (opens a new window)").click()
        verify = opened.value
        verify.get_by_role("heading", name="Verified").wait_for()
        results = verify.locator("tr[data-check] td:nth-child(2)").all_inner_texts()
        assert results == ["pass"] * 5
        assert_accessible(verify, "the verify page")

        verify.get_by_role("link", name="What this achievement certifies").click()
        verify.get_by_role("heading", name="What it certifies").wait_for()
        assert_accessible(verify, "the achievement page")


@pytest.mark.parametrize("backend", ["sqlite"])
def test_did_binding_works_by_keyboard(dev_lms_storage: Any) -> None:
    did = keys.generate_did_key().controller
    with open_browser() as context:
        wallet = _wallet_page(context, dev_lms_storage)
        wallet.locator("body").focus()
        for _ in range(40):
            wallet.keyboard.press("Tab")
            if wallet.evaluate("document.activeElement.id") == "did":
                break
        assert wallet.evaluate("document.activeElement.id") == "did"
        wallet.keyboard.type("did:key:zBroken")
        wallet.keyboard.press("Enter")
        wallet.get_by_role("alert").filter(has_text="not a valid did:key").wait_for()
        assert wallet.locator("#did").input_value() == "did:key:zBroken"
        assert_accessible(wallet, "the wallet page with an error")
        wallet.locator("#did").fill(did)
        wallet.keyboard.press("Enter")
        wallet.get_by_text("Your DID is bound").wait_for()
        assert did in wallet.locator("main").inner_text()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_instructor_revokes_from_the_course_list(dev_lms_storage: Any) -> None:
    with open_browser() as context:
        _wallet_page(context, dev_lms_storage)  # Grace earns her credential
        wallet = _wallet_page(context, dev_lms_storage, user="ada")
        wallet.get_by_role("link", name="Credentials earned in this course").click()
        wallet.get_by_role("heading", name="Course credentials").wait_for()
        assert_accessible(wallet, "the course credentials page")
        wallet.get_by_label("Reason").fill("Awarded to the wrong person")
        wallet.get_by_role("button", name="Revoke").click()
        wallet.get_by_text("The credential is revoked").wait_for()
        assert "Awarded to the wrong person" in wallet.locator("main").inner_text()
