"""A student's whole journey in Debian's chromium (issue 5's acceptance): in the dev LMS course
page the student opens a module in the tool's frame, answers every quiz of the course in the
browser, reaches "My credentials", downloads the JSON and the PDF certificate, and opens the
verify page, where every check passes; axe finds no WCAG 2.1 AA problem on the wallet and
verify pages.

Nothing is completed behind the browser's back: the award exists because the learning pages
recorded the answers the student gave.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest

from tests.browser import open_browser
from tests.plugin.catalog.helpers import COURSE_ID, TOOL, launch_url
from tests.plugin.credentials.factories import qr_codes_in
from tests.plugin.learning.helpers import publish_tiny
from tests.test_every_page_browser import _check

pytestmark = pytest.mark.browser

TOOL_FRAME = "iframe.tool-frame"
COURSE_NAME = "Tiny Statistics"
FULL_MARKS = re.compile(r"You scored (\S+) of \1 points")


def _submit(frame: Any, number: int) -> str:
    """Press "Submit quiz N" in the tool's frame; returns the score line of the feedback."""
    frame.get_by_role("button", name=f"Submit quiz {number}").click()
    score = frame.locator("p.score")
    score.wait_for()
    return str(score.inner_text())


def _complete_the_course(page: Any, dev_lms: Any) -> Any:
    """Grace opens "The mean" on the course page and answers every quiz of both modules in
    the tool's frame, then follows "My credentials"; returns the tool's frame locator."""
    module_url = launch_url("module", COURSE_ID, "01-mean").replace(TOOL, dev_lms.tool_url)
    dev_lms.lms.add_placement(
        "The mean", module_url, custom={"course_id": COURSE_ID, "module_id": "01-mean"}
    )
    page.goto(f"{dev_lms.lms_url}/?as=grace")
    page.get_by_role("link", name="The mean").click()
    frame = page.frame_locator(TOOL_FRAME)
    # A launch is four cross-site round trips: allow for a busy machine.
    frame.get_by_role("heading", name="The mean", level=1).wait_for(timeout=60_000)

    frame.locator("#q-mean-calc").get_by_label("4", exact=True).check()
    assert FULL_MARKS.search(_submit(frame, 1))
    assert "Right: 12 / 3." in frame.locator("main").inner_text()
    frame.get_by_role("link", name="Back to the module").click()
    frame.locator("#q-mean-outlier").get_by_label("True", exact=True).check()
    assert FULL_MARKS.search(_submit(frame, 2))
    frame.get_by_role("link", name="Back to the module").click()
    frame.get_by_role("link", name="Next: The median").click()

    frame.locator("#q-median-calc").get_by_label("Your answer").fill("3")
    assert FULL_MARKS.search(_submit(frame, 1))
    assert "Right: the middle value." in frame.locator("main").inner_text()
    frame.get_by_role("link", name=f"{COURSE_NAME}: all modules").click()
    frame.get_by_text("2 of 2 modules complete").wait_for()
    frame.get_by_role("link", name="My credentials").click()
    frame.get_by_role("heading", name="My credentials").wait_for()
    frame.get_by_role("heading", name=COURSE_NAME).wait_for()
    return frame


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_student_completes_a_course_in_the_lms_and_verifies_her_credential(
    dev_lms_storage: Any, tmp_path: Path
) -> None:
    dev_lms = dev_lms_storage
    publish_tiny(dev_lms.tool, tmp_path)
    with open_browser() as context:
        page = context.new_page()
        _complete_the_course(page, dev_lms)
        tool_frame = next(f for f in page.frames if f.url.startswith(dev_lms.tool_url))
        assert "/credentials/wallet" in tool_frame.url
        wallet = context.new_page()
        wallet.goto(tool_frame.url)  # what "Open in a new window" shows
        wallet.get_by_role("heading", name=COURSE_NAME).wait_for()
        _check(wallet, "the wallet with the credential just earned")

        with wallet.expect_download() as json_download:
            wallet.get_by_role("link", name=f"Download JSON for {COURSE_NAME}").click()
        credential = json.loads(Path(json_download.value.path()).read_text("utf-8"))
        assert "OpenBadgeCredential" in credential["type"]
        assert credential["credentialSubject"]["achievement"]["name"] == COURSE_NAME
        proofs = credential["proof"]
        proofs = proofs if isinstance(proofs, list) else [proofs]
        assert proofs and all(proof["proofValue"] for proof in proofs)

        with wallet.expect_download() as pdf_download:
            wallet.get_by_role("link", name=f"PDF certificate for {COURSE_NAME}").click()
        assert pdf_download.value.suggested_filename.endswith(".pdf")
        pdf = Path(pdf_download.value.path()).read_bytes()
        assert pdf.startswith(b"%PDF")
        verify_link = wallet.get_by_role("link", name=f"Verify {COURSE_NAME} (opens a new window)")
        # The certificate's QR code, read as a phone would, opens the same verify page.
        assert qr_codes_in(pdf) == [urljoin(wallet.url, verify_link.get_attribute("href") or "")]

        with context.expect_page() as opened:
            verify_link.click()
        verify = opened.value
        verify.get_by_role("heading", name="Verified").wait_for()
        results = verify.locator("tr[data-check] td:nth-child(2)").all_inner_texts()
        assert results and results == ["pass"] * len(results)
        assert COURSE_NAME in verify.locator("main").inner_text()
        _check(verify, "the verify page of the credential just earned")
