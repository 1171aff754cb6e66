"""Deep linking from the catalog: one item per module with its line item, one per course."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.plugin.catalog.helpers import open_picker, pick, publish_bytes, tiny_package


def test_picker_offers_each_module_and_the_course(
    app: Any, client: Any, platform: Any, tmp_path: Path
) -> None:
    publish_bytes(app, tiny_package(tmp_path))
    location = open_picker(client, platform)
    page = client.get(location).get_data(as_text=True)
    assert "Tiny Statistics (whole course)" in page
    assert "The mean" in page and "The median" in page
    assert "Graded out of 3" in page
    assert "microcred sample activity" not in page
    items = pick(
        client,
        location,
        "module:tiny-stats/01-mean",
        "module:tiny-stats/02-median",
        "course:tiny-stats",
    )
    assert [i["title"] for i in items] == [
        "Tiny Statistics (whole course)",
        "The mean",
        "The median",
    ]
    course, mean, _median = items
    assert mean["type"] == "ltiResourceLink"
    assert mean["url"] == (
        "http://localhost:5000/lti/launch?target=module&course=tiny-stats&module=01-mean"
    )
    assert mean["custom"] == {
        "course_id": "tiny-stats",
        "module_id": "01-mean",
        "course_version": "1.0.0",
    }
    assert mean["lineItem"] == {
        "scoreMaximum": 3.0,
        "label": "The mean",
        "resourceId": "tiny-stats/01-mean",
        "tag": "microcred",
    }
    assert mean["text"].startswith("Tiny Statistics · 5 min. Compute a mean.")
    assert course["url"] == "http://localhost:5000/lti/launch?target=course&course=tiny-stats"
    assert course["lineItem"] == {
        "scoreMaximum": 4.0,
        "label": "Tiny Statistics",
        "resourceId": "tiny-stats",
        "tag": "microcred",
    }


def test_course_passback_places_modules_without_line_items(
    app: Any, client: Any, platform: Any, tmp_path: Path
) -> None:
    from tests.plugin.catalog import helpers

    folder = helpers.write_course(tmp_path / "src")
    yml = folder / "course.yml"
    yml.write_text(yml.read_text() + "grading:\n  passback: course\n")
    publish_bytes(app, helpers.build_course(folder, tmp_path / "c.mcpkg"))
    location = open_picker(client, platform)
    course, mean = pick(client, location, "module:tiny-stats/01-mean", "course:tiny-stats")
    assert "lineItem" not in mean
    assert course["lineItem"]["scoreMaximum"] == 4.0
