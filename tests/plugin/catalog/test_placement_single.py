"""Deep linking when the platform accepts only one item (accept_multiple false, issue #4): the
picker offers a single choice, and the signed response carries exactly one content item."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.plugin.catalog.helpers import (
    DL_TARGET,
    pick,
    publish_bytes,
    session_of,
    tiny_package,
)
from tests.plugin.lti.helpers import landed_on

SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"


def open_single_picker(client: Any, platform: Any) -> str:
    """An instructor's deep linking launch from a platform that accepts one item only."""
    auth = platform.login(client, DL_TARGET)
    claims = platform.deep_linking_claims(auth, DL_TARGET)
    claims[SETTINGS]["accept_multiple"] = False
    response = client.post(
        "/lti/launch", data={"id_token": platform.sign(claims), "state": auth.state}
    )
    return landed_on(response)


def test_picker_offers_single_selection_and_returns_one_item(
    app: Any, client: Any, platform: Any, tmp_path: Path
) -> None:
    publish_bytes(app, tiny_package(tmp_path))
    location = open_single_picker(client, platform)
    page = client.get(location).get_data(as_text=True)
    assert "Choose what to add to your course (one item)" in page
    inputs = re.findall(r'<input type="(\w+)" name="item"', page)
    assert len(inputs) == 3  # the course and its two modules
    assert set(inputs) == {"radio"}  # one group of radio buttons: a single choice
    assert 'type="checkbox"' not in page

    items = pick(client, location, "module:tiny-stats/02-median")
    assert len(items) == 1
    assert items[0]["title"] == "The median"
    assert items[0]["url"].endswith("target=module&course=tiny-stats&module=02-median")


def test_two_items_are_refused_with_a_clear_message(
    app: Any, client: Any, platform: Any, tmp_path: Path
) -> None:
    publish_bytes(app, tiny_package(tmp_path))
    location = open_single_picker(client, platform)
    response = client.post(
        "/lti/deeplink",
        data={
            "mc_session": session_of(location),
            "item": ["module:tiny-stats/01-mean", "module:tiny-stats/02-median"],
        },
    )
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "The LMS accepts only one item here; pick one." in text
    assert 'name="JWT"' not in text  # nothing was sent back to the LMS
