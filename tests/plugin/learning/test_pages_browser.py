"""Every question kind as the student sees it, in Debian's chromium: the module pages of a
sample course (matching, ordering, numeric, short answer) and their feedback pages pass axe
(WCAG 2.1 AA)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser import assert_accessible, open_browser
from tests.plugin.catalog.helpers import build_course, launch, launch_url, publish_bytes
from tests.servers import live_server

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[3]
COURSE = "data-spreadsheets"


@pytest.fixture
def backend() -> str:
    """One backend is enough here: the browser, not the database, is under test."""
    return "sqlite"


@pytest.mark.parametrize("module", ["02-data-types", "03-sort-filter"])
def test_every_question_kind_passes_axe(
    app: Any, client: Any, platform: Any, tmp_path: Path, module: str
) -> None:
    publish_bytes(app, build_course(ROOT / "content_samples" / COURSE, tmp_path / "c.mcpkg"))
    landing = launch(
        client,
        platform,
        launch_url("module", COURSE, module),
        custom={"course_id": COURSE, "module_id": module},
    )
    with live_server(app) as server, open_browser() as context:
        page = context.new_page()
        page.goto(server.url + landing)
        quizzes = page.locator("section.quiz").count()
        assert quizzes == 3
        assert_accessible(page, f"module page {module}")
        for number in range(1, quizzes + 1):
            page.get_by_role("button", name=f"Submit quiz {number}").click()
            page.get_by_role("heading", name="Feedback:", exact=False).wait_for()
            assert "points" in page.locator("p.score").inner_text()
            assert_accessible(page, f"feedback on quiz {number} of {module}")
            page.goto(server.url + landing)
