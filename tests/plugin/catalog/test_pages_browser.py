"""The instructor's publishing pages in Debian's chromium pass axe (WCAG 2.1 AA), and a package
is published from the upload page with the keyboard alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser import assert_accessible, open_browser
from tests.plugin.catalog.helpers import TOOL, launch, tiny_package
from tests.servers import live_server

pytestmark = pytest.mark.browser


@pytest.fixture
def backend() -> str:
    """One backend is enough here: the browser, not the database, is under test."""
    return "sqlite"


def test_publishing_pages_pass_axe_and_work_by_keyboard(
    app: Any, client: Any, platform: Any, tmp_path: Path
) -> None:
    package = tmp_path / "tiny.mcpkg"
    package.write_bytes(tiny_package(tmp_path))
    landing = launch(client, platform, f"{TOOL}/lti/launch?target=catalog", role="Instructor")
    assert landing.startswith("/catalog/?")
    token = landing.split("mc_session=")[1]
    with live_server(app) as server, open_browser() as context:
        page = context.new_page()
        page.goto(f"{server.url}/catalog/?mc_session={token}")
        assert "Nothing is published yet." in page.locator("main").inner_text()
        assert_accessible(page, "published courses (empty)")

        page.goto(f"{server.url}/catalog/upload?mc_session={token}")
        assert_accessible(page, "upload page")
        page.get_by_label("Course package (.mcpkg)").set_input_files(str(package))
        page.get_by_label("Course package (.mcpkg)").focus()
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        page.get_by_text("Published Tiny Statistics version 1.0.0.").wait_for()
        assert_accessible(page, "upload page after publishing")

        page.goto(f"{server.url}/catalog/?mc_session={token}")
        assert "Tiny Statistics" in page.locator("main").inner_text()
        assert_accessible(page, "published courses")

        page.goto(f"{server.url}/catalog/tokens?mc_session={token}")
        page.get_by_label("Name").fill("laptop")
        page.get_by_role("button", name="Create token").click()
        page.get_by_text("Copy your new token now").wait_for()
        assert_accessible(page, "API tokens with a new token")
