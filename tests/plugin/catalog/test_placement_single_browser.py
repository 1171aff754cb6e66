"""The single-choice picker (accept_multiple false) in Debian's chromium: it passes axe, a
keyboard user picks one item with the arrow keys, and the LMS receives exactly that one item."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import jwt
import pytest
from jwt.algorithms import RSAAlgorithm

from tests.browser import assert_accessible, open_browser
from tests.plugin.catalog.helpers import DL, publish_bytes, tiny_package
from tests.plugin.catalog.test_placement_single import open_single_picker
from tests.servers import live_server

pytestmark = pytest.mark.browser


@pytest.fixture
def backend() -> str:
    """One backend is enough here: the browser, not the database, is under test."""
    return "sqlite"


def test_keyboard_user_places_exactly_one_item(
    app: Any, client: Any, platform: Any, tmp_path: Path
) -> None:
    publish_bytes(app, tiny_package(tmp_path))
    picker = open_single_picker(client, platform)
    return_url = f"{platform.issuer}/deep_linking_return"
    with live_server(app) as server, open_browser() as context:
        context.route(return_url, lambda route: route.fulfill(status=204))
        page = context.new_page()
        page.goto(server.url + picker)
        page.get_by_role("heading", name="Place an activity").wait_for()
        assert "(one item)" in page.locator("legend").inner_text()
        assert page.get_by_role("checkbox").count() == 0
        radios = page.get_by_role("radio")
        assert radios.count() == 3
        assert_accessible(page, "the single-choice deep-linking picker")

        radios.first.focus()
        page.keyboard.press("Space")
        page.keyboard.press("ArrowDown")  # moves the one choice to the next item
        checked = [radios.nth(n).is_checked() for n in range(3)]
        assert checked == [False, True, False]
        chosen = page.locator(f"label[for='{radios.nth(1).get_attribute('id')}']").inner_text()
        page.keyboard.press("Tab")
        with page.expect_request(return_url) as sent:
            page.keyboard.press("Enter")  # the return page then posts to the LMS by itself
        page.get_by_role("heading", level=1).filter(has_text=re.compile("Returning")).wait_for()
        assert "1 item(s) chosen." in page.locator("main").inner_text()
        assert_accessible(page, "the page returning one item to the LMS")
        posted = sent.value.post_data or ""

    token = parse_qs(posted)["JWT"][0]
    keys = client.get("/lti/jwks").get_json()["keys"]
    jwk = next(k for k in keys if k["kid"] == jwt.get_unverified_header(token)["kid"])
    claims = jwt.decode(
        token, RSAAlgorithm.from_jwk(jwk), algorithms=["RS256"], options={"verify_aud": False}
    )
    items = claims[DL + "content_items"]
    assert len(items) == 1
    assert items[0]["title"] == chosen
