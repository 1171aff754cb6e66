"""The "Download my data" link on the course outline and on the wallet: a learner following it
gets their own data as a JSON file, never another learner's, even in the same browser."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest

from tests.plugin.catalog.helpers import COURSE_ID, launch, launch_url, session_of
from tests.plugin.learning.helpers import publish_tiny


@pytest.fixture(autouse=True)
def _rate_limits_off(app_config: dict[str, Any]) -> None:
    """Several launches from one address; the limits have their own tests."""
    app_config["RATE_LIMITS_ENABLED"] = "false"


def _data_link(page: str) -> str:
    found = re.search(r'<a href="([^"]+)" download>Download my data</a>', page)
    assert found, "the page offers a 'Download my data' link"
    return html.unescape(found.group(1))


def _launch(client: Any, platform: Any, sub: str, name: str, email: str) -> str:
    return launch(
        client,
        platform,
        launch_url("course"),
        sub=sub,
        custom={"course_id": COURSE_ID},
        name=name,
        email=email,
    )


def test_the_outline_link_downloads_my_own_data(
    app: Any, client: Any, platform: Any, tmp_path: Path
) -> None:
    publish_tiny(app, tmp_path)
    grace = _launch(client, platform, "learner-1", "Grace Hopper", "grace@example.edu")
    ada = _launch(client, platform, "learner-2", "Ada Lovelace", "ada@example.edu")
    for landing, email, other in (
        (grace, "grace@example.edu", "ada@example.edu"),
        (ada, "ada@example.edu", "grace@example.edu"),
    ):
        outline = client.get(landing)
        assert outline.status_code == 200
        link = _data_link(outline.get_data(as_text=True))
        assert session_of(link) == session_of(landing)  # the session travels with the link
        download = client.get(link)
        assert download.status_code == 200
        assert download.mimetype == "application/json"
        assert "attachment" in download.headers["Content-Disposition"]
        assert download.json["learner"]["email"] == email
        assert other not in download.get_data(as_text=True)


def test_the_wallet_link_downloads_my_own_data(
    app: Any, client: Any, platform: Any, tmp_path: Path
) -> None:
    publish_tiny(app, tmp_path)
    ada = session_of(_launch(client, platform, "learner-2", "Ada Lovelace", "ada@example.edu"))
    grace = session_of(_launch(client, platform, "learner-1", "Grace Hopper", "grace@example.edu"))
    wallet = client.get(f"/credentials/wallet?mc_session={ada}")
    assert wallet.status_code == 200
    download = client.get(_data_link(wallet.get_data(as_text=True)))
    assert download.status_code == 200
    assert download.json["learner"]["name"] == "Ada Lovelace"
    assert "grace@example.edu" not in download.get_data(as_text=True)
    assert grace != ada
