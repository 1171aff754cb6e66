"""docs/instructors.md, step by step: new course, build, token, publish to a live tool, place the
modules, and a student's graded attempt queued for the LMS gradebook."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.plugin.catalog.helpers import launch, launch_url, open_picker, pick
from tests.servers import live_server

ROOT = Path(__file__).resolve().parents[3]


def test_the_guide_from_an_empty_folder_to_a_graded_module(
    app: Any,
    client: Any,
    platform: Any,
    runner: Any,
    microcred: Any,
    tmp_path: Path,
    monkeypatch: Any,
) -> None:
    from authoring.cli import main as authoring_cli
    from plugin.extensions import db
    from plugin.gradebook.models import OutboxScore

    guide = (ROOT / "docs" / "instructors.md").read_text("utf-8")
    for command in (
        "microcred new stats-basics",
        "microcred build .",
        "microcred publish dist/stats-basics-0.1.0.mcpkg --url",
        "microcred export cc stats-basics",
    ):
        assert command in guide
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(authoring_cli, ["new", "stats-basics"]).exit_code == 0
    monkeypatch.chdir(tmp_path / "stats-basics")
    checked = runner.invoke(authoring_cli, ["check", "."])
    assert checked.exit_code == 0, checked.output
    built = runner.invoke(authoring_cli, ["build", "."])
    assert built.exit_code == 0, built.output
    token = re.search(
        r"mcp_[A-Za-z0-9_-]{20,}",
        runner.invoke(microcred, ["tokens", "create", "--name", "stats-basics CI"]).output,
    )
    assert token
    monkeypatch.setenv("MICROCRED_TOKEN", token.group(0))
    with live_server(app) as server:
        published = runner.invoke(
            microcred, ["publish", "dist/stats-basics-0.1.0.mcpkg", "--url", server.url]
        )
    assert published.exit_code == 0, published.output
    assert re.search(
        r"^published stats-basics 0\.1\.0 \(sha256:[0-9a-f]{12}\)$", published.output, re.M
    ), published.output

    location = open_picker(client, platform)
    assert "Stats basics (whole course)" in client.get(location).get_data(as_text=True)
    [item] = pick(client, location, "module:stats-basics/01-welcome")
    assert item["lineItem"]["resourceId"] == "stats-basics/01-welcome"

    landing = launch(
        client, platform, launch_url("module", "stats-basics", "01-welcome"), custom=item["custom"]
    )
    page = client.get(landing).get_data(as_text=True)
    form = re.search(r'action="(/learn/attempts/\d+)"', page)
    option = re.search(r'value="([^"]+)"[^>]*>\s*<label for="[^"]+">course.yml</label>', page)
    assert form and option, page[:2000]
    token_value = landing.split("mc_session=")[1]
    done = client.post(
        form.group(1), data={"mc_session": token_value, "a.stats-basics-format": option.group(1)}
    )
    assert "You scored 1 of 1 points" in client.get(done.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        [score] = db.session.execute(db.select(OutboxScore)).scalars().all()
        assert score.score_given > 0
